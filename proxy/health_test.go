package proxy_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// metric reads one series of the gateway's collector: name and label
// pairs; 0 when absent.
func (h *harness) metric(name string, labels ...string) float64 {
	h.t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.gw.Collector())
	fams, err := reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if !hasLabel(m, labels[i], labels[i+1]) {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// health sets short bind-health timers: a stall shows within a second.
func health(responseTimeout time.Duration) func(*config.Config) {
	return func(c *config.Config) {
		c.Upstream.ResponseTimeout = responseTimeout
		c.Upstream.StallProbeAfter = 200 * time.Millisecond
		c.Upstream.ProbeTimeout = 200 * time.Millisecond
		c.Upstream.MaxTimeouts = 3
		c.Upstream.ConnectTimeout = time.Second
	}
}

// bindOf is the status of the bind whose local address is addr.
func bindOf(gw *proxy.Gateway, addr string) (proxy.BindStatus, bool) {
	for _, b := range gw.Binds() {
		if b.LocalAddr == addr {
			return b, true
		}
	}
	return proxy.BindStatus{}, false
}

func bindByID(gw *proxy.Gateway, id int) proxy.BindStatus {
	for _, b := range gw.Binds() {
		if b.ID == id {
			return b
		}
	}
	return proxy.BindStatus{}
}

// busyBind sends one Submit on c and returns the SMG's record of the bind
// that carried it: the bind of c's event loop.
func (h *harness) busyBind(c *sp.Client) smg.ConnInfo {
	h.t.Helper()
	before := map[string]uint64{}
	for _, ci := range h.smg.Conns() {
		before[ci.Remote] = ci.Submits
	}
	if r := h.submit(c, sp.MT{Users: []string{number(h.proto, user)}, ServiceCode: "FREE"}); r.Result != 0 {
		h.t.Fatalf("Submit answered %d", r.Result)
	}
	for _, ci := range h.smg.Conns() {
		if ci.Submits > before[ci.Remote] {
			return ci
		}
	}
	h.t.Fatal("no SMG connection counted the Submit")
	return smg.ConnInfo{}
}

// Regression: a Submit the SMG never answered was answered upstream_timeout
// and counted as allowed only; spsmg_mt_decisions_total{reason=
// "upstream_timeout"} stayed 0. Each Submit is now counted once, under the
// answer spsmg gave it.
func TestUpstreamTimeoutIsCountedOnceUnderItsReason(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{gatewayCfg: health(300 * time.Millisecond)})
		c := h.client()
		h.smg.SetDelay(5 * time.Second) // far beyond response_timeout
		mt := sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE"}
		if r := h.submit(c, mt); r.Result != h.refusal(reason.UpstreamTimeout) {
			t.Fatalf("unanswered Submit: result %d, want upstream_timeout %d", r.Result, h.refusal(reason.UpstreamTimeout))
		}
		h.smg.SetDelay(0)
		if r := h.submit(c, mt); r.Result != 0 {
			t.Fatalf("answered Submit: result %d", r.Result)
		}
		timeouts := h.metric("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", reason.UpstreamTimeout.String())
		allowed := h.metric("spsmg_mt_decisions_total", "sp", "sp1", "result", "allow", "reason", "exempt")
		failures := h.metric("spsmg_mt_upstream_failures_total", "sp", "sp1")
		if timeouts != 1 || allowed != 1 || failures != 1 {
			t.Fatalf("decisions upstream_timeout %v, allow/exempt %v, upstream failures %v; want 1, 1, 1 (two Submits, each counted once)",
				timeouts, allowed, failures)
		}
	})
}

// The field case: an SMG stuck behind one bind's backlog stops reading that
// connection but keeps sending its own Active_Tests on it, so the bind
// never looks idle. spsmg's stall probe finds it, takes it out of service,
// and the other loop's bind serves the SPs meanwhile.
//
// SPSMG_HEAVY=1 adds a run with the default timers (5 s, 5 s, 60 s), the
// figure in README (Operations, Limits).
func TestStalledBindIsRoutedAround(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			testStalledBind(t, p, health(20*time.Second)) // the timeout alone would take 20 s
		})
	}
	if os.Getenv("SPSMG_HEAVY") != "" {
		t.Run("cmpp3 default timers", func(t *testing.T) {
			// The harness sets only response_timeout: back to its default.
			testStalledBind(t, codec.CMPP30, func(c *config.Config) { c.Upstream.ResponseTimeout = 60 * time.Second })
		})
	}
}

func testStalledBind(t *testing.T, p codec.Protocol, timers func(*config.Config)) {
	h := newHarness(t, p, harnessOpt{
		gatewayCfg: timers,
		smgConfig:  func(c *smg.Config) { c.ActiveTestInterval = 50 * time.Millisecond },
	})
	anyBound, bound := proxy.MaxSubmitWait(h.cfg)
	h.eventually("both binds log in", func() bool { return h.gw.ReadyBinds() == 2 })
	login, secret := account(p)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	c, err := sp.Dial(ctx, sp.ClientConfig{Dialect: h.cfg.Upstream.Dialect(), Addr: h.spAddr, Login: login, Secret: secret,
		Logger: testLogger(), ResponseTimeout: anyBound + testWait})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	stalled := h.busyBind(c)
	st, ok := bindOf(h.gw, stalled.Remote)
	if !ok {
		t.Fatalf("no bind with local address %s in %+v", stalled.Remote, h.gw.Binds())
	}
	// The stalled bind's replacement is refused until the end, so
	// that the other loop's bind must take the Submits.
	h.smg.SetRefuseLogins(true)
	h.smg.SetConnFault(stalled.Remote, smg.FaultStall)
	start := time.Now()
	mt := sp.MT{SPNumber: access, Users: []string{number(p, user)}, ServiceCode: "FREE", Text: "x"}
	results := make(chan sp.SubmitResult, 4)
	for i := 0; i < 4; i++ {
		if err := c.SubmitAsync(context.Background(), mt, func(r sp.SubmitResult, err error) {
			if err != nil {
				t.Errorf("Submit: %v", err)
			}
			results <- r
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		r := <-results
		if r.Result != h.refusal(reason.UpstreamTimeout) {
			t.Fatalf("Submit on the stalled bind: result %d, want upstream_timeout", r.Result)
		}
		if r.Latency > bound+time.Second {
			t.Fatalf("Submit on the stalled bind answered after %v; bound %v (+1 s for a loaded machine)", r.Latency, bound)
		}
	}
	var b proxy.BindStatus
	h.eventually("the stalled bind is found unhealthy", func() bool {
		b = bindByID(h.gw, st.ID)
		return b.UnhealthyTotal == 1
	})
	t.Logf("%s: stall found %v after it began (bound %v)", p, time.Since(start).Round(time.Millisecond), bound)
	if b.LastUnhealthy != "stall_probe_unanswered" || b.Healthy {
		t.Fatalf("stalled bind: %+v", b)
	}
	// Submits on the same SP connection now go to the other bind.
	other := h.smg.Conns()
	for i := 0; i < 5; i++ {
		if r := h.submit(c, mt); r.Result != 0 {
			t.Fatalf("Submit %d after the stall was found: result %d, want 0 through the healthy bind", i, r.Result)
		}
	}
	served := false
	for _, ci := range h.smg.Conns() {
		for _, o := range other {
			if ci.Remote == o.Remote && ci.Remote != stalled.Remote && ci.Submits >= o.Submits+5 {
				served = true
			}
		}
	}
	if !served {
		t.Fatalf("the healthy bind did not take the 5 Submits: before %+v, after %+v", other, h.smg.Conns())
	}
	if rd := h.gw.Readiness(); !rd.Ready || rd.HealthyBinds != 1 {
		t.Fatalf("readiness with one healthy bind: %+v", rd)
	}
	if n := h.metric("spsmg_upstream_bind_unhealthy_total", "reason", "stall_probe_unanswered"); n != 1 {
		t.Fatalf("spsmg_upstream_bind_unhealthy_total{reason=stall_probe_unanswered} = %v", n)
	}
	if n := h.metric("spsmg_mt_decisions_total", "sp", "sp1", "reason", reason.UpstreamTimeout.String()); n != 4 {
		t.Fatalf("decisions upstream_timeout = %v, want 4", n)
	}
	h.smg.SetRefuseLogins(false)
	h.eventually("the stalled bind's slot logs in again", func() bool {
		b = bindByID(h.gw, st.ID)
		return b.Healthy && b.Logins == 2 && b.LocalAddr != stalled.Remote
	})
	if h.gw.ReadyBinds() != 2 {
		t.Fatalf("%d binds ready, want 2", h.gw.ReadyBinds())
	}
}

// An SMG that answers Active_Tests (and sends its own) but never a Submit
// passes the probe; max_timeouts Submits in a row timing out find it. SGIP,
// without Active_Test, relies on this alone.
func TestBindThatDropsSubmitsIsReplacedAfterMaxTimeouts(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP} {
		t.Run(p.String(), func(t *testing.T) {
			h := newHarness(t, p, harnessOpt{
				gatewayCfg: health(300 * time.Millisecond),
				smgConfig:  func(c *smg.Config) { c.ActiveTestInterval = 50 * time.Millisecond },
			})
			anyBound, _ := proxy.MaxSubmitWait(h.cfg)
			h.eventually("both binds log in", func() bool { return h.gw.ReadyBinds() == 2 })
			c := h.client()
			dropping := h.busyBind(c)
			st, _ := bindOf(h.gw, dropping.Remote)
			h.smg.SetConnFault(dropping.Remote, smg.FaultDropSubmits)
			mt := sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE"}
			for i := 0; i < 3; i++ {
				r := h.submit(c, mt)
				if r.Result != h.refusal(reason.UpstreamTimeout) {
					t.Fatalf("dropped Submit %d: result %d, want upstream_timeout", i, r.Result)
				}
				if r.Latency > anyBound+time.Second {
					t.Fatalf("dropped Submit answered after %v; bound %v", r.Latency, anyBound)
				}
			}
			var b proxy.BindStatus
			h.eventually("the bind is found unhealthy and dialled again", func() bool {
				b = bindByID(h.gw, st.ID)
				return b.UnhealthyTotal == 1 && b.Healthy && b.Logins == 2
			})
			if b.LastUnhealthy != "response_timeouts" {
				t.Fatalf("reason %q, want response_timeouts", b.LastUnhealthy)
			}
			if r := h.submit(c, mt); r.Result != 0 {
				t.Fatalf("after the replacement: result %d", r.Result)
			}
		})
	}
}

// A quiet bind on a blackholed link: its keep-alive Active_Test goes
// unanswered, and the bind is replaced before any SP waits on it.
func TestIdleBindOnBlackholedLinkIsReplaced(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: func(c *config.Config) {
		health(2 * time.Second)(c)
		c.Upstream.ActiveTestInterval = 300 * time.Millisecond
	}})
	h.eventually("both binds log in", func() bool { return h.gw.ReadyBinds() == 2 })
	first := h.gw.Binds()[0]
	h.smg.SetConnFault(first.LocalAddr, smg.FaultBlackhole)
	var b proxy.BindStatus
	h.eventually("the blackholed bind is found unhealthy and dialled again", func() bool {
		b = bindByID(h.gw, first.ID)
		return b.UnhealthyTotal == 1 && b.Healthy
	})
	if b.LastUnhealthy != "active_test_unanswered" {
		t.Fatalf("reason %q, want active_test_unanswered", b.LastUnhealthy)
	}
}

// /readyz lists every bind and is ready while one is healthy.
func TestReadyzReportsEveryBind(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: health(2 * time.Second)})
	h.eventually("both binds log in", func() bool { return h.gw.ReadyBinds() == 2 })
	reg := metrics.NewRegistry()
	srv := metrics.NewServer(reg)
	srv.Ready = h.gw.Readyz
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	get := func() (int, proxy.Readiness) {
		t.Helper()
		resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var r proxy.Readiness
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("/readyz body %q: %v", body, err)
		}
		return resp.StatusCode, r
	}
	code, r := get()
	if code != http.StatusOK || !r.Ready || r.HealthyBinds != 2 || len(r.Binds) != 2 || !r.StoreAvailable {
		t.Fatalf("/readyz %d %+v", code, r)
	}
	loops := map[int]bool{}
	for _, b := range r.Binds {
		if b.State != "logged_in" || !b.Healthy || b.LocalAddr == "" || b.Logins != 1 || b.LastAnswerAgeSeconds == nil {
			t.Fatalf("bind %+v", b)
		}
		loops[b.Loop] = true
	}
	if len(loops) != 2 {
		t.Fatalf("binds on loops %v, want one on each of 2", loops)
	}
	// Every bind gone, none coming back: 503 with the reason.
	h.smg.SetRefuseLogins(true)
	h.smg.Kick()
	h.eventually("/readyz turns not ready", func() bool {
		code, r = get()
		return code == http.StatusServiceUnavailable
	})
	if r.Ready || r.HealthyBinds != 0 || r.Reason != "no healthy SMG bind logged in" {
		t.Fatalf("/readyz %d %+v", code, r)
	}
}

func TestMaxSubmitWait(t *testing.T) {
	cases := []struct {
		proto          codec.Protocol
		yaml           string
		timeout, stall time.Duration
		why            string
	}{
		{codec.CMPP30, "", 61 * time.Second, 12 * time.Second, "defaults: 60 s + 1 s tick; 5 s + 5 s + 2 × 1 s"},
		{codec.SMGP30, "", 61 * time.Second, 12 * time.Second, "SMGP has Active_Test too"},
		{codec.SGIP, "", 31 * time.Second, 31 * time.Second, "SGIP: 30 s timeout, no Active_Test to probe with"},
		{codec.CMPP30, "stall_probe_after: 1s, probe_timeout: 2s, response_timeout: 10s", 10200 * time.Millisecond,
			3400 * time.Millisecond, "tick = 1 s / 5"},
		{codec.CMPP30, "stall_probe_after: 30s, probe_timeout: 30s, response_timeout: 10s", 11 * time.Second,
			11 * time.Second, "the timeout comes first"},
	}
	for _, c := range cases {
		y := "listeners: [{protocol: " + c.proto.String() + ", addr: \"127.0.0.1:1\"}]\n" +
			"upstream: {protocol: " + c.proto.String() + ", addr: \"127.0.0.1:2\", login: \"901234\", " + c.yaml
		if c.proto == codec.SGIP {
			y += ", inbound: {addr: \"127.0.0.1:3\", login: smg}"
		}
		y += "}\n"
		if c.yaml == "" {
			y = strings.Replace(y, "\"901234\", ", "\"901234\"", 1)
		}
		cfg, err := config.Parse([]byte(y))
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.why, err, y)
		}
		timeout, stalled := proxy.MaxSubmitWait(cfg)
		if timeout != c.timeout || stalled != c.stall {
			t.Errorf("%s: MaxSubmitWait = %v, %v; want %v, %v", c.why, timeout, stalled, c.timeout, c.stall)
		}
	}
}
