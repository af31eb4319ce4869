package admin

import (
	"encoding/json"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/proxy"
)

func (e *env) get(path string) (int, *fasthttp.Response) {
	e.t.Helper()
	var q fasthttp.Request
	q.Header.SetMethod("GET")
	q.SetRequestURI(path)
	var ctx fasthttp.RequestCtx
	ctx.Init(&q, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
	e.a.Console(&ctx)
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return resp.StatusCode(), &resp
}

func (e *env) state() State {
	e.t.Helper()
	code, resp := e.get("/console/api/state")
	if code != 200 {
		e.t.Fatalf("state: %d %s", code, resp.Body())
	}
	var s State
	if err := json.Unmarshal(resp.Body(), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func snapshotAt(t0 time.Time, at time.Duration, submits, exempt, refused uint64, rtt []uint64) proxy.Snapshot {
	return proxy.Snapshot{
		Taken: t0.Add(at), Started: t0, Protocol: "cmpp3", StoreAvailable: true, Window: 64,
		Reasons:   []proxy.Reason{{Name: "exempt", Allowed: true}, {Name: "not_subscribed"}, {Name: "flow_control"}},
		Accounts:  []proxy.AccountSnapshot{{ID: "sp1", Connections: 1, MaxConnections: 4, TPS: 500, Backlog: 3, Decisions: []uint64{exempt, refused, 0}}},
		RTTBounds: []float64{0.001, 0.01, 0.1},
		Loops:     []proxy.LoopSnapshot{{Index: 0, SubmitRTT: rtt}},
		Binds:     []proxy.BindStatus{{ID: 1, Loop: 0, State: "logged_in", Healthy: true, Inflight: 2}},
		Connections: []proxy.ConnSnapshot{{ID: 5, Account: "sp1", Remote: "127.0.0.1", Role: "sp", Since: t0,
			Window: 16, Inflight: 2, Submits: submits}},
	}
}

// TestStateRates: rates are the difference of the last two snapshots over
// the time between them; the first answer has none; a request within
// MinSampleGap reuses the last snapshot.
func TestStateRates(t *testing.T) {
	e := newEnv(t, defaultAdmin())
	e.a.freeSpace = func(string) (uint64, uint64, error) { return 5 << 30, 20 << 30, nil }
	t0 := e.now
	e.gw.snap = snapshotAt(t0, 0, 100, 90, 10, []uint64{50, 40, 0, 0})
	s := e.state()
	if s.IntervalSeconds != nil || s.DecisionsPerSecond != nil || s.Connections[0].SubmitsPerSecond != nil || s.Binds[0].RTTP99Seconds != nil {
		t.Fatalf("first answer has rates: %+v", s)
	}
	if !s.Ready || !s.AdminConfigured || s.Store.Backend != "badger" || *s.Store.FreeBytes != 5<<30 || s.Store.ReserveBytes != nil {
		t.Fatalf("first answer: %+v", s)
	}
	// Two seconds later: 300 more Submits, 280 exempt and 20 refused; 100
	// round trips, 99 under 1 ms and 1 in 10–100 ms.
	e.now = t0.Add(2 * time.Second)
	e.gw.snap = snapshotAt(t0, 2*time.Second, 400, 370, 30, []uint64{149, 40, 1, 0})
	s = e.state()
	near := func(what string, got *float64, want float64) {
		t.Helper()
		if got == nil || math.Abs(*got-want) > 1e-9 {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
	near("interval", s.IntervalSeconds, 2)
	near("decisions/s", s.DecisionsPerSecond, 150)
	near("conn Submits/s", s.Connections[0].SubmitsPerSecond, 150)
	near("sp1 allowed/s", s.Accounts[0].AllowedPerSecond, 140)
	near("sp1 refused/s", s.Accounts[0].RefusedPerSecond, 10)
	// rank 99 of 100: the 99th observation is the last of the first bucket.
	near("bind RTT p99", s.Binds[0].RTTP99Seconds, 0.001)
	if len(s.Decisions) != 2 || s.Decisions[0].Reason != "exempt" || s.Decisions[0].Total != 370 || s.Decisions[1].Result != "refuse" {
		t.Fatalf("decisions: %+v", s.Decisions)
	}
	if s.Accounts[0].Backlog != 3 || s.Connections[0].Inflight != 2 || s.Connections[0].Window != 16 || s.Binds[0].Window != 64 {
		t.Fatalf("state: %+v", s)
	}
	// Within MinSampleGap: the same snapshots, whatever the gateway says.
	e.now = e.now.Add(MinSampleGap / 2)
	e.gw.snap = snapshotAt(t0, 2*time.Second+MinSampleGap/2, 9999, 9999, 0, []uint64{149, 40, 1, 0})
	if again := e.state(); *again.DecisionsPerSecond != 150 {
		t.Fatalf("a request within the gap took a new snapshot: %v", *again.DecisionsPerSecond)
	}
}

func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4}
	for _, c := range []struct {
		now, before []uint64
		q, want     float64
	}{
		{[]uint64{0, 10, 0, 0}, []uint64{0, 0, 0, 0}, 0.5, 1.5},     // the middle of the bucket 1–2
		{[]uint64{10, 10, 0, 0}, []uint64{10, 0, 0, 0}, 0.99, 1.99}, // only the interval counts
		{[]uint64{0, 0, 0, 5}, []uint64{0, 0, 0, 0}, 0.99, 4},       // +Inf: the highest bound
	} {
		got := quantile(c.q, bounds, c.now, c.before)
		if got == nil || math.Abs(*got-c.want) > 1e-9 {
			t.Errorf("quantile(%v, %v − %v) = %v, want %v", c.q, c.now, c.before, got, c.want)
		}
	}
	if got := quantile(0.99, bounds, []uint64{3, 0, 0, 0}, []uint64{3, 0, 0, 0}); got != nil {
		t.Errorf("no observation: %v, want nil", *got)
	}
}

// TestConsoleFiles: the page and its files come from the binary, with a
// CSP that allows only themselves; nothing else is served.
func TestConsoleFiles(t *testing.T) {
	e := newEnv(t, defaultAdmin())
	code, resp := e.get("/console")
	if code != fasthttp.StatusMovedPermanently || !strings.HasSuffix(string(resp.Header.Peek("Location")), "/console/") {
		t.Fatalf("/console: %d %s", code, resp.Header.Peek("Location"))
	}
	for path, want := range map[string]string{
		"/console/":            "text/html",
		"/console/console.js":  "text/javascript",
		"/console/console.css": "text/css",
	} {
		code, resp := e.get(path)
		if code != 200 || !strings.HasPrefix(string(resp.Header.ContentType()), want) || len(resp.Body()) == 0 {
			t.Fatalf("%s: %d %s", path, code, resp.Header.ContentType())
		}
		if csp := string(resp.Header.Peek("Content-Security-Policy")); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
		if string(resp.Header.Peek("X-Content-Type-Options")) != "nosniff" {
			t.Fatalf("%s: no nosniff", path)
		}
	}
	_, resp = e.get("/console/")
	if body := string(resp.Body()); strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Fatal("the page loads something from elsewhere")
	}
	for _, p := range []string{"/console/nothing.js", "/console/../admin.go", "/console/api/nothing"} {
		if code, _ := e.get(p); code != 404 {
			t.Fatalf("%s: %d, want 404", p, code)
		}
	}
}
