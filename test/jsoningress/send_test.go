package jsoningress_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf16"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/internal/jsonclient"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

func TestNoticeAndCodeReachTheSMGAndReportBack(t *testing.T) {
	w := newWorld(t, options{})
	n, c := notice("Your parcel 4711 has left the depot"), code("Your code is 123456")
	b := w.send(w.shop(), n, c)
	if b.Status != "1" || len(b.Results) != 2 || b.Results[0].MsgID != n.MsgID || b.Results[0].Status != "1" ||
		b.Results[1].MsgID != c.MsgID || b.Results[1].Status != "1" {
		t.Fatalf("B001 %+v, want status 1 for both", b)
	}
	subs := w.submits(shopAccess)
	if len(subs) != 2 {
		t.Fatalf("the SMG got %d Submits from %s, want 2", len(subs), shopAccess)
	}
	texts := map[string]bool{}
	for _, s := range subs {
		texts[s.Text] = true
		if s.ServiceCode != "FREE" || len(s.Recipients) != 1 || s.Recipients[0] != user || !s.NeedReport || s.Coding != text.ASCII || s.UDHI {
			t.Errorf("Submit %+v: want service FREE to %s, a report asked for, ASCII", s, user)
		}
	}
	if !texts[n.Message] || !texts[c.Message] {
		t.Errorf("texts at the SMG %v, want %q and %q", texts, n.Message, c.Message)
	}
	// Each message's report comes back under the merchant's own msgid.
	got := map[string]jsonclient.Push{}
	for range 2 {
		p := w.push()
		got[p.Report.MsgID] = p
	}
	for _, m := range []jsonclient.Message{n, c} {
		p, ok := got[m.MsgID]
		switch {
		case !ok:
			t.Errorf("no report for msgid %s (got %v)", m.MsgID, got)
		case p.Err != nil || p.Report.Status != "1" || p.Report.Stat != "DELIVRD" || p.Report.Phone != user || p.Report.SendTime == 0:
			t.Errorf("report %+v (err %v): want status 1, DELIVRD, phone %s", p.Report, p.Err, user)
		case p.AppID != jsonclient.Pad(shopApp) || p.AppSecret != jsonclient.Pad(shopSecret):
			t.Errorf("A002 appid %q appsecret %q, want the account's own, padded", p.AppID, p.AppSecret)
		}
	}
	w.waitMetric(2, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
	m := w.MustMetrics()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"spsmg_mt_decisions_total", []string{"sp", shopID, "result", "allow", "reason", "exempt"}, 2},
		{"spsmg_json_requests_total", []string{"command", "A001", "result", "ok"}, 1},
		{"spsmg_json_messages_total", []string{"sp", shopID, "msgtype", "1", "status", "1"}, 1},
		{"spsmg_json_messages_total", []string{"sp", shopID, "msgtype", "2", "status", "1"}, 1},
		{"spsmg_json_reports_total", []string{"sp", shopID, "result", "queued"}, 2},
		{"spsmg_json_reports_total", []string{"sp", shopID, "result", "pushed"}, 2},
		{"spsmg_json_reports_waiting", nil, 0},
	} {
		if got := m.Get(c.name, c.labels...); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

func TestLongMessageIsSplitAndReportedOnce(t *testing.T) {
	w := newWorld(t, options{})
	long := strings.Repeat("您的订单已发货，请注意查收。", 11) // 154 characters: three UCS2 parts of 67
	m := notice(long)
	if b := w.send(w.shop(), m); b.Status != "1" {
		t.Fatalf("B001 %+v", b)
	}
	subs := w.submits(shopAccess)
	if len(subs) != 3 {
		t.Fatalf("%d Submits, want 3 parts", len(subs))
	}
	var whole []uint16
	ref := -1
	for i, s := range subs {
		c := s.Content
		if !s.UDHI || s.Coding != text.UCS2 || len(c) < 6 || c[0] != 5 || c[1] != 0 || c[2] != 3 || c[4] != 3 || int(c[5]) != i+1 ||
			s.PkTotal != 3 || int(s.PkNumber) != i+1 || len(c) > 140 {
			t.Fatalf("part %d: udhi %v coding %d header % x pk %d/%d, %d bytes", i+1, s.UDHI, s.Coding, c[:min(6, len(c))], s.PkNumber, s.PkTotal, len(c))
		}
		if ref >= 0 && int(c[3]) != ref {
			t.Errorf("part %d has reference %d, part 1 %d", i+1, c[3], ref)
		}
		ref = int(c[3])
		for j := 6; j+1 < len(c); j += 2 {
			whole = append(whole, uint16(c[j])<<8|uint16(c[j+1]))
		}
	}
	if got := string(utf16.Decode(whole)); got != long {
		t.Fatalf("parts put together read %q, want %q", got, long)
	}
	// Three part reports, one A002 for the message.
	p := w.push()
	if p.Report.MsgID != m.MsgID || p.Report.Status != "1" || p.Report.Stat != "DELIVRD" {
		t.Fatalf("report %+v, want msgid %s delivered", p.Report, m.MsgID)
	}
	w.waitMetric(2, "spsmg_json_reports_total", "sp", shopID, "result", "part")
	w.waitMetric(1, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
	if q := w.metric("spsmg_json_reports_total", "sp", shopID, "result", "queued"); q != 1 || len(w.reports.Pushes()) != 0 {
		t.Errorf("%v reports queued, %d more pushes: want one report for the message", q, len(w.reports.Pushes()))
	}
	if got := w.metric("spsmg_mt_decisions_total", "sp", shopID, "result", "allow", "reason", "exempt"); got != 3 {
		t.Errorf("decisions %v, want one per Submit (3)", got)
	}
}

func TestFailedPartReportsFailure(t *testing.T) {
	w := newWorld(t, options{})
	w.SMG.SetReportStat("UNDELIV")
	m := notice("Your appointment is tomorrow at 10:00")
	if b := w.send(w.shop(), m); b.Status != "1" {
		t.Fatalf("B001 %+v", b)
	}
	p := w.push()
	if p.Report.MsgID != m.MsgID || p.Report.Status != "2" || p.Report.Stat != "UNDELIV" {
		t.Fatalf("report %+v, want status 2 UNDELIV", p.Report)
	}
}

func TestAuthorizationLikeAnyMT(t *testing.T) {
	w := newWorld(t, options{})
	news := w.client(newsApp, newsSecret)
	b := w.send(news, notice("Today in NEWS"))
	if b.Status != "2" || len(b.Results) != 1 || b.Results[0].Status != "2" || b.Results[0].Reason != "not_subscribed" {
		t.Fatalf("B001 %+v, want 2 not_subscribed", b)
	}
	if n := len(w.submits(newsAccess)); n != 0 {
		t.Fatalf("a refused message reached the SMG (%d Submits)", n)
	}
	if err := w.Engine.Subscribe(newsID, user, "NEWS", 0); err != nil {
		t.Fatal(err)
	}
	if b := w.send(news, notice("Today in NEWS")); b.Status != "1" {
		t.Fatalf("subscribed: B001 %+v", b)
	}
	m := w.MustMetrics()
	if r, a := m.Get("spsmg_mt_decisions_total", "sp", newsID, "result", "refuse", "reason", "not_subscribed"),
		m.Get("spsmg_mt_decisions_total", "sp", newsID, "result", "allow", "reason", "subscription"); r != 1 || a != 1 {
		t.Errorf("decisions not_subscribed %v, subscription %v: want 1 and 1", r, a)
	}
	// A suspended account is refused at once, permanently.
	if _, err := w.GW.Suspend(context.Background(), newsID, "test", "abuse"); err != nil {
		t.Fatal(err)
	}
	if b := w.send(news, notice("Today in NEWS")); b.Status != "2" || b.Results[0].Reason != "account_suspended" {
		t.Fatalf("suspended: B001 %+v", b)
	}
}

func TestOverTheAccountsTPS(t *testing.T) {
	w := newWorld(t, options{extra: "  - {id: slow, protocol: json, access_numbers: [\"10655126\"], tps: 1, json: {app_id: slow1, app_secret: slowSecret1, service_code: FREE}}\n"})
	msgs := make([]jsonclient.Message, 8)
	for i := range msgs {
		msgs[i] = notice("tick")
	}
	b := w.send(w.client("slow1", "slowSecret1"), msgs...)
	ok, limited := 0, 0
	for _, r := range b.Results {
		switch {
		case r.Status == "1":
			ok++
		case r.Status == "3" && r.Reason == "flow_control":
			limited++
		default:
			t.Errorf("result %+v", r)
		}
	}
	if ok < 1 || limited < 1 || ok+limited != len(msgs) || b.Status != "3" {
		t.Fatalf("B001 %+v: %d sent, %d over the limit; want both, status 3", b, ok, limited)
	}
	if got := w.metric("spsmg_mt_decisions_total", "sp", "slow", "result", "refuse", "reason", "flow_control"); got != float64(limited) {
		t.Errorf("flow_control decisions %v, want %d", got, limited)
	}
}

// failFirst answers the first n Submits with code, the rest 0, and
// counts them.
func failFirst(n int32, code uint32, seen *atomic.Int32) func(*codec.View) uint32 {
	return func(*codec.View) uint32 {
		if seen.Add(1) <= n {
			return code
		}
		return 0
	}
}

func TestNoticesAreRetriedCodesAreNot(t *testing.T) {
	const busy, badDest = 8, 13 // CMPP: flow control (throttled, retryable), destination error (permanent)
	w := newWorld(t, options{})
	var seen atomic.Int32
	cases := []struct {
		name        string
		fail        int32
		code        uint32
		msg         jsonclient.Message
		wantStatus  string
		wantReason  string
		wantSubmits int32
	}{
		{"notice passes on its third try", 2, busy, notice("retry me"), "1", "", 3},
		{"notice fails four times", 100, busy, notice("retry me"), "3", "carrier_throttled", 4},
		{"code is tried once", 100, busy, code("123456"), "3", "carrier_throttled", 1},
		{"permanent failure is not retried", 100, badDest, notice("bad number"), "2", "carrier_bad_destination", 1},
	}
	retries := 0.0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen.Store(0)
			w.SMG.SetSubmitResult(failFirst(c.fail, c.code, &seen))
			b := w.send(w.shop(), c.msg)
			if b.Status != c.wantStatus || b.Results[0].Status != c.wantStatus || b.Results[0].Reason != c.wantReason {
				t.Errorf("B001 %+v, want %s %s", b, c.wantStatus, c.wantReason)
			}
			if got := seen.Load(); got != c.wantSubmits {
				t.Errorf("the SMG saw %d Submits, want %d", got, c.wantSubmits)
			}
			retries += float64(c.wantSubmits - 1)
			if got := w.metric("spsmg_json_retries_total", "sp", shopID); got != retries {
				t.Errorf("retries %v, want %v", got, retries)
			}
		})
	}
	w.SMG.SetSubmitResult(nil)
}

// Every upstream protocol: the number as it writes it, the parts, the
// report mapped back (SGIP: by the Submit's sequence, its report on the
// connection the SMG dials).
func TestEveryUpstreamProtocol(t *testing.T) {
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			w := newWorld(t, options{proto: p})
			long := strings.Repeat("0123456789", 20) // 200 ASCII characters: two parts of 153 and 47
			m := notice(long)
			if b := w.send(w.shop(), m, code("123456")); b.Status != "1" {
				t.Fatalf("B001 %+v", b)
			}
			subs := w.submits(shopAccess)
			if len(subs) != 3 {
				t.Fatalf("%d Submits, want 3", len(subs))
			}
			for _, s := range subs {
				if len(s.Recipients) != 1 || s.Recipients[0] != testenv.Number(p, user) {
					t.Errorf("recipients %q, want %q", s.Recipients, testenv.Number(p, user))
				}
			}
			got := map[string]string{}
			for range 2 {
				r := w.push()
				got[r.Report.MsgID] = r.Report.Status + r.Report.Stat
			}
			if got[m.MsgID] != "1DELIVRD" || len(got) != 2 {
				t.Errorf("reports %v, want both messages delivered", got)
			}
			w.waitMetric(2, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
		})
	}
}
