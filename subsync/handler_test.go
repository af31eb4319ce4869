package subsync_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/subsync"
)

const (
	user  = "13800138000"
	user2 = "13900139000"
)

const worldYAML = `
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts:
  - {id: sp1, login: "900001", secret: x, corp_id: "12345", access_numbers: ["106551"]}
  - {id: sp2, login: "900002", secret: x, access_numbers: ["106552"]}
sync:
  platforms:
    - {id: cmcc, app_id: PRO200805270005, key: ABCD1234}
    - {id: ecbzero, app_id: ECB0001, key: "87654321", mode: ecb, padding: zero}
    - {id: cbciv, app_id: CBCIV01, key: "11223344", iv: "99887766"}
    - {id: far, app_id: FAR0001, key: FARKEY01, allow_ips: [10.9.9.9]}
    - {id: narrow, app_id: NARROW1, key: NARROW01, accounts: [sp2]}
`

type world struct {
	t      testing.TB
	engine *authcache.Engine
	reg    *prometheus.Registry
	url    string
	hc     *http.Client
}

func newWorld(t testing.TB) *world {
	t.Helper()
	cfg, err := config.Parse([]byte(worldYAML))
	if err != nil {
		t.Fatal(err)
	}
	e, err := authcache.Open(authcache.Config{}, authcache.NewMemStore(nil), authcache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	reg := prometheus.NewRegistry()
	h, err := subsync.New(cfg, e, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := metrics.NewServer(&metrics.Registry{Registry: prometheus.NewRegistry()})
	srv.Sync = h.Handler()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln, "", "")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &world{t: t, engine: e, reg: reg, url: "http://" + ln.Addr().String() + subsync.Path,
		hc: &http.Client{Timeout: 10 * time.Second}}
}

func (w *world) platform(appID, key string) *seedPlatform {
	return &seedPlatform{url: w.url, appID: appID, key: key, http: w.hc}
}

// decide authorizes a plain MT of sp to u for service NEWS.
func (w *world) decide(sp, u string) reason.Reason {
	return w.engine.Authorize(&authcache.MT{SP: sp, ServiceCode: []byte("NEWS"), Dests: [][]byte{[]byte(u)}}).Reason
}

// count reads spsmg_sync_requests_total for the labels.
func (w *world) count(platform, op, result string) float64 {
	w.t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "spsmg_sync_requests_total" {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			want := map[string]string{"platform": platform, "operation": op, "result": result}
			for _, l := range m.GetLabel() {
				if want[l.GetName()] != l.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// keyOf is each configured platform's key.
var keyOf = map[string]string{"cmcc": "ABCD1234", "ecbzero": "87654321", "cbciv": "11223344", "far": "FARKEY01", "narrow": "NARROW01"}

var stidRE = regexp.MustCompile(`^PRO200805270005_\d{8}\d{8}$`)
var timeRE = regexp.MustCompile(`^\d{17}$`)

// TestSyncFlow walks one relation through every operation, pushed by a
// platform client written from the protocol alone.
func TestSyncFlow(t *testing.T) {
	w := newWorld(t)
	p := w.platform("PRO200805270005", "ABCD1234")
	t0 := time.Now().Add(-time.Minute)
	steps := []struct {
		op, result string
		want       reason.Reason
	}{
		{"1", "applied", reason.Subscription},
		{"3", "applied", reason.SubscriptionPaused},
		{"3", "unchanged", reason.SubscriptionPaused},
		{"4", "applied", reason.Subscription},
		{"2", "applied", reason.NotSubscribed},
	}
	for i, s := range steps {
		ctid := fmt.Sprintf("20260101%08d", i+1)
		a := p.push(ctid, s.op, "12345", "NEWS", "+86"+user, t0.Add(time.Duration(i)*time.Second))
		if a.HTTPStatus != 200 || a.Head.ResultCode != 0 || !a.Opened || a.ResultCode != 0 || a.Head.Status != "0" {
			t.Fatalf("step %d OPType %s: %+v", i, s.op, a)
		}
		if a.Head.CTID != ctid || a.Head.Code != "ISV10101" || a.Head.AppID != "PRO200805270005" ||
			!stidRE.MatchString(a.Head.STID) || !timeRE.MatchString(a.Head.RequestTime) || !timeRE.MatchString(a.Head.ResponseTime) {
			t.Errorf("step %d: answer head %+v", i, a.Head)
		}
		if got := w.decide("sp1", user); got != s.want {
			t.Errorf("step %d OPType %s: MT decided %s, want %s", i, s.op, got, s.want)
		}
	}
	if got := w.count("cmcc", "pause", "unchanged"); got != 1 {
		t.Errorf("pause/unchanged counted %v", got)
	}
	// A replay of the subscribe is stale: answered 0, and the relation
	// stays cancelled.
	a := p.push("2026010100000001", "1", "12345", "NEWS", user, t0)
	if a.Head.ResultCode != 0 || a.ResultCode != 0 || !strings.Contains(a.ResultMessage, "ignored") {
		t.Errorf("replay: %+v", a)
	}
	if got := w.decide("sp1", user); got != reason.NotSubscribed {
		t.Errorf("after a replayed subscribe: %s", got)
	}
	if got := w.count("cmcc", "subscribe", "stale"); got != 1 {
		t.Errorf("stale counted %v", got)
	}
	subs := w.engine.Subscriptions("sp1", user)
	if len(subs) != 1 || subs[0].State != authcache.SubCancelled || subs[0].Source != authcache.SourceSync {
		t.Errorf("Subscriptions = %+v", subs)
	}
}

// TestSyncOverTaken: a push that arrives after a newer one is ignored.
func TestSyncOvertaken(t *testing.T) {
	w := newWorld(t)
	p := w.platform("PRO200805270005", "ABCD1234")
	t0 := time.Now().Add(-time.Minute)
	if a := p.push("c2", "3", "12345", "NEWS", user, t0.Add(time.Second)); a.ResultCode != 0 {
		t.Fatalf("pause: %+v", a)
	}
	if a := p.push("c1", "1", "12345", "NEWS", user, t0); a.ResultCode != 0 || !strings.Contains(a.ResultMessage, "ignored") {
		t.Fatalf("older subscribe: %+v", a)
	}
	if got := w.decide("sp1", user); got != reason.SubscriptionPaused {
		t.Errorf("the newer pause wins: %s", got)
	}
	// OPTime, when present, orders instead of SubmitTime.
	body := strings.Replace(change("4", "12345", "NEWS", user), "<OPNote>", "<OPTime>"+seedTime(t0.Add(2*time.Second))+"</OPTime><OPNote>", 1)
	if a := p.postForm(p.envelope("ISV10101", "c3", seedTime(t0), p.encrypt(body))); a.ResultCode != 0 || a.ResultMessage != "applied" {
		t.Fatalf("resume with a newer OPTime: %+v", a)
	}
	if got := w.decide("sp1", user); got != reason.Subscription {
		t.Errorf("after resume: %s", got)
	}
}

// TestSyncCipherChoices: each configured mode, padding and IV works with a
// platform that encrypts that way.
func TestSyncCipherChoices(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	for _, p := range []*seedPlatform{
		{appID: "ECB0001", key: "87654321", ecb: true, zero: true},
		{appID: "CBCIV01", key: "11223344", iv: "99887766"},
	} {
		p.url, p.http = w.url, w.hc
		a := p.push("c1", "1", "900002", "NEWS", user2, now)
		if a.HTTPStatus != 200 || a.Head.ResultCode != 0 || !a.Opened || a.ResultCode != 0 {
			t.Errorf("%s: %+v", p.appID, a)
		}
		// The CBC platform with the IV defaulted to the key is refused.
		if p.iv != "" {
			q := *p
			q.iv = ""
			if a := q.push("c2", "1", "900002", "NEWS", user2, now); a.Head.ResultCode != 101 {
				t.Errorf("%s with the key as IV: %+v", p.appID, a)
			}
		}
	}
	if got := w.decide("sp2", user2); got != reason.Subscription {
		t.Errorf("sp2 relation: %s", got)
	}
}

// TestSyncHostile: every malformed, forged or misdirected push is refused
// with its own answer, changes nothing, and is counted.
func TestSyncHostile(t *testing.T) {
	w := newWorld(t)
	good := w.platform("PRO200805270005", "ABCD1234")
	now := time.Now()
	ts := seedTime(now)
	enc := good.encrypt(change("1", "12345", "NEWS", user))
	wrongKey := w.platform("PRO200805270005", "WRONGKEY")
	// A well-encrypted body whose digest is not the body's.
	wrongDigest := good.encryptRaw([]byte(strings.Repeat("0", 32) + change("1", "12345", "NEWS", user)))
	// Zero padding where PKCS#5 is configured: the last byte decrypts to 0,
	// which no PKCS#5 padding ends with (the body is lengthened until a
	// pad is needed).
	badPadding := func() string {
		body := change("1", "12345", "NEWS", user)
		for (32+len(body))%8 == 0 {
			body += " "
		}
		zero := *good
		zero.zero = true
		return zero.encrypt(body)
	}()
	cases := []struct {
		name       string
		send       func() seedAnswer
		status     int  // HTTP
		code       int  // head ResultCode when 200
		sealed     bool // the answer carries a sealed body (spsmg knows the platform's key)
		platform   string
		op, result string
	}{
		{"bad Base64", func() seedAnswer { return good.postForm(good.envelope("ISV10101", "h1", ts, "%%%not*base64%%%")) },
			200, 101, true, "cmcc", "none", "bad_encryption"},
		{"not whole DES blocks", func() seedAnswer { return good.postForm(good.envelope("ISV10101", "h2", ts, "QUJDREVG")) },
			200, 101, true, "cmcc", "none", "bad_encryption"},
		{"wrong key", func() seedAnswer { return wrongKey.push("h3", "1", "12345", "NEWS", user, now) },
			200, 101, true, "cmcc", "none", "bad_encryption"},
		{"bad padding", func() seedAnswer { return good.postForm(good.envelope("ISV10101", "h4", ts, badPadding)) },
			200, 101, true, "cmcc", "none", "bad_encryption"},
		{"MD5 mismatch", func() seedAnswer {
			return good.postForm(good.envelope("ISV10101", "h5", ts, wrongDigest))
		}, 200, 101, true, "cmcc", "none", "bad_encryption"},
		{"unknown platform", func() seedAnswer {
			return w.platform("NOSUCHAPP", "ABCD1234").push("h6", "1", "12345", "NEWS", user, now)
		},
			200, 101, false, "unknown", "none", "bad_encryption"},
		{"envelope not XML", func() seedAnswer { return good.postForm("<RequestInfo><Head>") },
			200, 102, false, "unknown", "none", "bad_xml"},
		{"envelope with two roots", func() seedAnswer { return good.postForm(good.envelope("ISV10101", "h7", ts, enc) + "<x/>") },
			200, 102, false, "unknown", "none", "bad_xml"},
		{"DOCTYPE", func() seedAnswer {
			return good.postForm(`<!DOCTYPE r [<!ENTITY a "aaaa">]>` + good.envelope("ISV10101", "h8", ts, enc))
		}, 200, 102, false, "unknown", "none", "bad_xml"},
		{"body not XML", func() seedAnswer {
			return good.postForm(good.envelope("ISV10101", "h9", ts, good.encrypt("<SubscriptionChange><OPType>1")))
		},
			200, 102, true, "cmcc", "none", "bad_xml"},
		{"SubmitTime malformed", func() seedAnswer { return good.postForm(good.envelope("ISV10101", "h10", "2026-01-01", enc)) },
			200, 102, true, "cmcc", "none", "bad_xml"},
		{"SubmitTime impossible", func() seedAnswer { return good.postForm(good.envelope("ISV10101", "h10", "20261341000000000", enc)) },
			200, 102, true, "cmcc", "none", "bad_xml"},
		{"missing Mobile", func() seedAnswer {
			return good.postForm(good.envelope("ISV10101", "h11", ts, good.encrypt(change("1", "12345", "NEWS", ""))))
		}, 200, 102, true, "cmcc", "subscribe", "bad_xml"},
		{"service code with a space", func() seedAnswer {
			return good.postForm(good.envelope("ISV10101", "h12", ts, good.encrypt(change("1", "12345", "NE WS", user))))
		}, 200, 102, true, "cmcc", "subscribe", "bad_xml"},
		{"unknown operation", func() seedAnswer { return good.push("h13", "7", "12345", "NEWS", user, now) },
			200, 21010104, true, "cmcc", "unknown", "unknown_operation"},
		{"unknown operation code", func() seedAnswer { return good.postForm(good.envelope("ISV10999", "h14", ts, enc)) },
			200, 1, true, "cmcc", "none", "unknown_code"},
		{"unknown SP", func() seedAnswer { return good.push("h15", "1", "99999", "NEWS", user, now) },
			200, 21010201, true, "cmcc", "subscribe", "unknown_account"},
		{"SP outside the platform's accounts", func() seedAnswer {
			return w.platform("NARROW1", "NARROW01").push("h16", "1", "12345", "NEWS", user, now)
		},
			200, 21010201, true, "narrow", "subscribe", "unknown_account"},
		{"bad mobile", func() seedAnswer { return good.push("h17", "1", "12345", "NEWS", "12345", now) },
			200, 21010202, true, "cmcc", "subscribe", "bad_user"},
		{"too old", func() seedAnswer { return good.push("h18", "1", "12345", "NEWS", user, now.Add(-8*24*time.Hour)) },
			200, 21010105, true, "cmcc", "subscribe", "other_error"},
		{"dated in the future", func() seedAnswer { return good.push("h19", "1", "12345", "NEWS", user, now.Add(time.Hour)) },
			200, 21010105, true, "cmcc", "subscribe", "other_error"},
		{"head without AppID", func() seedAnswer {
			return good.postForm("<RequestInfo><Head><Code>ISV10101</Code></Head><Body>x</Body></RequestInfo>")
		},
			200, 102, false, "unknown", "none", "bad_xml"},
		{"form without Msg", func() seedAnswer { return good.postRaw("application/x-www-form-urlencoded", "Message=x") },
			200, 102, false, "unknown", "none", "bad_xml"},
		{"JSON body", func() seedAnswer { return good.postRaw("application/json", `{"a":1}`) },
			200, 102, false, "unknown", "none", "bad_xml"},
		{"platform from another address", func() seedAnswer {
			return w.platform("FAR0001", "FARKEY01").push("h20", "1", "12345", "NEWS", user, now)
		},
			403, 0, false, "unknown", "none", "forbidden_ip"},
		{"oversized body", func() seedAnswer {
			return good.postRaw("text/xml", good.envelope("ISV10101", "h21", ts, strings.Repeat("A", subsync.MaxBodySize)))
		}, 413, 0, false, "unknown", "none", "body_too_large"},
		{"GET", func() seedAnswer {
			resp, err := w.hc.Get(w.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return seedAnswer{HTTPStatus: resp.StatusCode}
		}, 405, 0, false, "unknown", "none", "method_not_allowed"},
		{"another path", func() seedAnswer {
			q := *good
			q.url = strings.TrimSuffix(w.url, "subscriptions") + "other"
			return q.push("h22", "1", "12345", "NEWS", user, now)
		}, 404, 0, false, "unknown", "none", "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.count(c.platform, c.op, c.result)
			a := c.send()
			if a.HTTPStatus != c.status {
				t.Fatalf("HTTP %d, want %d: %s", a.HTTPStatus, c.status, a.Raw)
			}
			if c.status == 200 {
				if a.Head.ResultCode != c.code {
					t.Errorf("head ResultCode %d, want %d: %s", a.Head.ResultCode, c.code, a.Raw)
				}
				if (a.Body != "") != c.sealed {
					t.Errorf("sealed body: %v, want %v (%s)", a.Body != "", c.sealed, a.Raw)
				}
				// The configured platform's key opens it, the sender's
				// own key only when it is that key.
				if c.sealed {
					if body, err := w.platform("", keyOf[c.platform]).decrypt(a.Body); err != nil || !strings.Contains(body, fmt.Sprintf("<ResultCode>%d</ResultCode>", c.code)) {
						t.Errorf("sealed body with the platform's key: %q, %v", body, err)
					}
				}
			}
			if got := w.count(c.platform, c.op, c.result); got != before+1 {
				t.Errorf("spsmg_sync_requests_total{platform=%q,operation=%q,result=%q} %v → %v", c.platform, c.op, c.result, before, got)
			}
		})
	}
	if subs := w.engine.Subscriptions("", user); len(subs) != 0 {
		t.Errorf("a refused push changed state: %+v", subs)
	}
}

// TestSyncStoreUnavailable: spsmg answers 1 with Status -1, and the
// platform's resend is applied once the store is back.
func TestSyncStoreUnavailable(t *testing.T) {
	w := newWorld(t)
	p := w.platform("PRO200805270005", "ABCD1234")
	at := time.Now()
	w.engine.SetAvailable(false)
	if a := p.push("u1", "1", "12345", "NEWS", user, at); a.Head.ResultCode != 1 || a.Head.Status != "-1" || a.ResultCode != 1 {
		t.Fatalf("store unavailable: %+v", a)
	}
	w.engine.SetAvailable(true)
	if a := p.push("u1", "1", "12345", "NEWS", user, at); a.ResultCode != 0 || a.ResultMessage != "applied" {
		t.Fatalf("resend: %+v", a)
	}
}
