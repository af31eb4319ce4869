package e2e

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/subsync"
)

// scrape reads every sample of /metrics, keyed by name and sorted labels.
func (w *world) scrape() map[string]float64 {
	w.t.Helper()
	code, body, err := w.http.GetTimeout(nil, w.httpURL+"/metrics", timeout)
	if err != nil || code != 200 {
		w.t.Fatalf("/metrics: %d %v", code, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[seriesKey(name, m)] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out
}

func seriesKey(name string, m *dto.Metric) string {
	var b strings.Builder
	b.WriteString(name)
	for _, l := range m.GetLabel() { // the exposition sorts labels by name
		fmt.Fprintf(&b, ",%s=%s", l.GetName(), l.GetValue())
	}
	return b.String()
}

// sum adds the samples of name whose labels include every one of labels
// ("k=v").
func sum(samples map[string]float64, name string, labels ...string) float64 {
	var total float64
	for k, v := range samples {
		parts := strings.Split(k, ",")
		if parts[0] != name {
			continue
		}
		ok := true
		for _, l := range labels {
			found := false
			for _, p := range parts[1:] {
				found = found || p == l
			}
			ok = ok && found
		}
		if ok {
			total += v
		}
	}
	return total
}

// push sends a subscription change the way a carrier platform does.
func (w *world) push(ctid, opType, service string, at time.Time) {
	w.t.Helper()
	c, err := subsync.NewCipher([]byte(syncKey), nil, subsync.ModeCBC, subsync.PaddingPKCS5)
	if err != nil {
		w.t.Fatal(err)
	}
	change := "<SubscriptionChange><OPType>" + opType + "</OPType><SPID>" + corpID + "</SPID><ServiceID>" + service +
		"</ServiceID><Mobile>" + user + "</Mobile></SubscriptionChange>"
	ts := at.In(time.FixedZone("", 8*3600)).Format("20060102150405.000")
	msg := "<RequestInfo><Head><Code>ISV10101</Code><CTID>" + ctid + "</CTID><AppID>" + syncAppID + "</AppID><SubmitTime>" +
		strings.Replace(ts, ".", "", 1) + "</SubmitTime></Head><Body>" + c.Seal([]byte(change)) + "</Body></RequestInfo>"
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod("POST")
	req.SetRequestURI(w.httpURL + subsync.Path)
	req.Header.SetContentType("application/x-www-form-urlencoded")
	req.SetBodyString("Msg=" + url.QueryEscape(msg))
	if err := w.http.DoTimeout(req, resp, timeout); err != nil {
		w.t.Fatal(err)
	}
	if resp.StatusCode() != 200 || !strings.Contains(string(resp.Body()), "<ResultCode>0</ResultCode>") {
		w.t.Fatalf("push %s: %d %s", opType, resp.StatusCode(), resp.Body())
	}
}

// reconciliation fetches the signed CSV of the recorder's day.
func (w *world) reconciliation() map[string]uint64 {
	w.t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod("GET")
	req.SetRequestURI(w.httpURL + "/v1/reconciliation?date=" + w.day.UTC().Format("2006-01-02"))
	api.Sign(req, appKey, secret, time.Now(), "")
	if err := w.http.DoTimeout(req, resp, timeout); err != nil {
		w.t.Fatal(err)
	}
	if resp.StatusCode() != 200 {
		w.t.Fatalf("GET /v1/reconciliation: %d %s", resp.StatusCode(), resp.Body())
	}
	rows, err := csv.NewReader(strings.NewReader(string(resp.Body()))).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "date" || rows[0][1] != "sp" || rows[1][1] != "site" {
		w.t.Fatalf("CSV %q: %v", resp.Body(), err)
	}
	out := map[string]uint64{}
	for i, col := range rows[0][2:] {
		n, err := strconv.ParseUint(rows[1][2+i], 10, 64)
		if err != nil {
			w.t.Fatalf("column %s: %v", col, err)
		}
		out[col] = n
	}
	return out
}

// TestReconciliationEqualsMetrics: a day's reconciliation totals equal
// what the metrics counted over the same traffic, column by column: MT
// decided, forwarded and refused by reason, reports by status, and
// subscription changes from a carrier's sync and the API.
func TestReconciliationEqualsMetrics(t *testing.T) {
	w := start(t)
	before := w.scrape()
	mt := func(n int, want uint32) {
		t.Helper()
		for range n {
			r := w.submit(sp.MT{ServiceCode: "NEWS", NeedReport: true})
			if (r == 0) != (want == 0) {
				t.Fatalf("MT answered %d, want %d", r, want)
			}
		}
	}
	t0 := time.Now().Add(-time.Minute)
	mt(3, 106) // not subscribed
	w.push("r1", "1", "NEWS", t0)
	mt(2, 0)
	w.smg.SetReportStat("UNDELIV")
	mt(2, 0)
	w.push("r2", "3", "NEWS", t0.Add(time.Second)) // pause
	mt(2, 108)
	w.push("r3", "4", "NEWS", t0.Add(2*time.Second)) // resume
	mt(1, 0)
	var del struct{ Cancelled int }
	if code := w.call("DELETE", "/v1/subscriptions/"+user+"/NEWS", "", &del); code != 200 || del.Cancelled != 1 {
		t.Fatalf("DELETE: %d %+v", code, del)
	}
	mt(1, 106)
	w.eventually("5 reports reach spsmg", func() bool {
		return sum(w.scrape(), "spsmg_reports_total", "sp=site")-sum(before, "spsmg_reports_total", "sp=site") == 5
	})

	got := w.reconciliation()
	after := w.scrape()
	delta := func(name string, labels ...string) uint64 {
		labels = append(labels, "sp=site")
		return uint64(sum(after, name, labels...) - sum(before, name, labels...))
	}
	want := map[string]uint64{
		"mt_submitted":         delta("spsmg_mt_decisions_total"),
		"mt_forwarded":         delta("spsmg_mt_decisions_total", "result=allow"),
		"mt_refused":           delta("spsmg_mt_decisions_total", "result=refuse"),
		"mt_upstream_failures": delta("spsmg_mt_upstream_failures_total"),
	}
	for col := range got {
		switch {
		case strings.HasPrefix(col, "refused_"):
			want[col] = delta("spsmg_mt_decisions_total", "result=refuse", "reason="+strings.TrimPrefix(col, "refused_"))
		case strings.HasPrefix(col, "reports_"):
			want[col] = delta("spsmg_reports_total", "status="+strings.TrimPrefix(col, "reports_"))
		case strings.HasPrefix(col, "subscriptions_"):
			want[col] = delta("spsmg_subscription_changes_total", "change="+strings.TrimPrefix(col, "subscriptions_"))
		}
	}
	for col, v := range want {
		g, ok := got[col]
		if !ok {
			t.Errorf("column %s missing", col)
			continue
		}
		if g != v {
			t.Errorf("%s: reconciliation %d, metrics %d", col, g, v)
		}
	}
	// And both are what was sent.
	for col, v := range map[string]uint64{
		"mt_submitted": 11, "mt_forwarded": 5, "mt_refused": 6, "refused_not_subscribed": 4, "refused_subscription_paused": 2,
		"reports_delivered": 2, "reports_undeliverable": 3,
		"subscriptions_added": 1, "subscriptions_paused": 1, "subscriptions_resumed": 1, "subscriptions_cancelled": 1,
	} {
		if got[col] != v {
			t.Errorf("%s = %d, want %d (sent)", col, got[col], v)
		}
	}
}
