package faults

import (
	"net/http"
	"testing"
	"time"

	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// Bind health: an SMG link that stalls, hangs or is blackholed is found,
// taken out of service and dialled again, and SPs are answered within the
// bound proxy.MaxSubmitWait derives from the configuration (README,
// Operations: Limits):
//
//	sp.Client ×2 (steady MT load) ──▶ gateway, 2 loops × 1 bind ──▶ smg.Server
//	                                                      ▲ SetConnFault / SetFault
//
// The SMG sends its own Active_Tests every 100 ms throughout, so that no
// bind ever looks idle: the field case, where those heartbeats kept a
// stalled bind looking busy and spsmg never probed it.
const (
	healthResponseTimeout = 3 * time.Second
	// scheduling slack on a loaded 2-core machine, on top of the bounds.
	healthSlack = 1500 * time.Millisecond
)

func TestBindHealth(t *testing.T) {
	w := testenv.NewWorld(t, testenv.Options{
		Upstream: map[string]string{"response_timeout": healthResponseTimeout.String(), "stall_probe_after": "300ms",
			"probe_timeout": "300ms", "max_timeouts": "3", "connect_timeout": "1s", "reconnect_min": "20ms",
			"reconnect_max": "300ms", "window": "64"},
		SMG: func(c *smg.Config) { c.ActiveTestInterval = 100 * time.Millisecond },
	})
	w.Start()
	w.ServeHTTP()
	anyBound, stalledBound := proxy.MaxSubmitWait(w.Cfg)
	t.Logf("bounds from the config: %v for any Submit, %v when a bind stops answering", anyBound, stalledBound)
	h := &healthRun{t: t, w: w, anyBound: anyBound, stalledBound: stalledBound}

	t.Run("one bind stalls while the other is healthy", h.stallOne)
	t.Run("the whole link is blackholed", h.blackhole)
	t.Run("the SMG sends Active_Tests and answers them but drops Submits", h.dropSubmits)

	m := w.MustMetrics()
	if n := m.Get("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", reason.UpstreamTimeout.String()); n == 0 {
		t.Error("no Submit counted under reason upstream_timeout")
	}
	for _, reason := range []string{"stall_probe_unanswered", "response_timeouts"} {
		if n := m.Sum("spsmg_upstream_bind_unhealthy_total", "reason", reason); n == 0 {
			t.Errorf("spsmg_upstream_bind_unhealthy_total{reason=%q} is 0", reason)
		}
	}
}

type healthRun struct {
	t                      *testing.T
	w                      *testenv.World
	anyBound, stalledBound time.Duration
}

// start begins phase "<prefix> normal": a new driver on the bound world,
// under load, once Submits flow.
func (h *healthRun) start(t *testing.T, prefix string) (*driver, func()) {
	t.Helper()
	h.w.WaitBinds()
	d := newDriver(t, h.w)
	d.setPhase(prefix + " normal")
	stop := d.load(t, func(_ int, cc *sp.ClientConfig) { cc.ResponseTimeout = h.anyBound + healthSlack })
	d.waitOK(t, "Submits flow", prefix+" normal", 100)
	return d, func() {
		for _, err := range stop() {
			t.Errorf("the gateway dropped an SP connection: %v", err)
		}
	}
}

// readyz fails the test when /readyz cannot be read.
func (h *healthRun) readyz(t *testing.T) (int, proxy.Readiness) {
	t.Helper()
	code, r, err := h.w.Readyz()
	if err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return code, r
}

func slotOf(r proxy.Readiness, id int) proxy.BindStatus {
	for _, b := range r.Binds {
		if b.ID == id {
			return b
		}
	}
	return proxy.BindStatus{}
}

// busiest is the bind carrying the most Submits, by the SMG's count.
func (h *healthRun) busiest(t *testing.T) proxy.BindStatus {
	t.Helper()
	var top smg.ConnInfo
	for _, ci := range h.w.SMG.Conns() {
		if ci.LoggedIn && ci.Submits > top.Submits {
			top = ci
		}
	}
	_, r := h.readyz(t)
	for _, b := range r.Binds {
		if b.LocalAddr == top.Remote && top.Remote != "" {
			return b
		}
	}
	t.Fatalf("no bind carries Submits: SMG %+v, /readyz %+v", h.w.SMG.Conns(), r)
	return proxy.BindStatus{}
}

// waitUnhealthy polls /readyz until slot id was found unhealthy n times,
// and returns how long that took from start.
func (h *healthRun) waitUnhealthy(t *testing.T, id int, n uint64, start time.Time) (time.Duration, proxy.BindStatus) {
	t.Helper()
	var b proxy.BindStatus
	deadline := start.Add(testenv.Wait)
	for time.Now().Before(deadline) {
		_, r := h.readyz(t)
		if b = slotOf(r, id); b.UnhealthyTotal >= n {
			return time.Since(start), b
		}
		time.Sleep(5 * time.Millisecond) // the poll's resolution
	}
	t.Fatalf("bind %d not found unhealthy within %v: %+v", id, testenv.Wait, b)
	return 0, b
}

// (a) One bind stops reading (the SMG's heartbeats still flow on it): its
// Submits are answered upstream_timeout within the stall bound, it is
// found unhealthy and dialled again, and from then on every Submit is
// answered 0 by the healthy binds.
func (h *healthRun) stallOne(t *testing.T) {
	w := h.w
	d, stop := h.start(t, "a")
	victim := h.busiest(t)
	d.setPhase("a stalled")
	start := time.Now()
	if !w.SMG.SetConnFault(victim.LocalAddr, smg.FaultStall) {
		t.Fatalf("the SMG has no connection from %s", victim.LocalAddr)
	}
	took, b := h.waitUnhealthy(t, victim.ID, victim.UnhealthyTotal+1, start)
	d.setPhase("a after detection")
	t.Logf("stalled bind %d (loop %d) found unhealthy %v after the stall began (bound %v): %+v",
		victim.ID, victim.Loop, took.Round(time.Millisecond), h.stalledBound, b)
	if b.LastUnhealthy != "stall_probe_unanswered" {
		t.Errorf("reason %q, want stall_probe_unanswered", b.LastUnhealthy)
	}
	if took > h.stalledBound+healthSlack {
		t.Errorf("the stall was found after %v; bound %v", took, h.stalledBound)
	}
	code, r := h.readyz(t)
	if code != http.StatusOK || !r.Ready {
		t.Errorf("/readyz %d %+v with one healthy bind left", code, r)
	}
	testenv.Eventually(t, testenv.Wait, "the stalled bind's slot is dialled again and logs in", func() bool {
		_, r := h.readyz(t)
		b = slotOf(r, victim.ID)
		return b.Healthy && b.Logins == victim.Logins+1 && b.LocalAddr != victim.LocalAddr
	})
	d.setPhase("a re-dialled")
	testenv.Eventually(t, testenv.Wait, "the new bind takes Submits", func() bool {
		for _, ci := range w.SMG.Conns() {
			if ci.Remote == b.LocalAddr && ci.Submits > 0 {
				return true
			}
		}
		return false
	})
	d.waitOK(t, "Submits are answered after the re-dial", "a re-dialled", 50)
	stop()
	w.SMG.SetFault(smg.FaultNone)
	d.check(t, h.stalledBound, healthSlack)
	d.mu.Lock()
	defer d.mu.Unlock()
	if x := d.phases["a stalled"]; x.retryable == 0 {
		t.Errorf("no Submit was in flight on the stalled bind (%s): the test did not stall a busy bind", x)
	}
	for _, name := range []string{"a after detection", "a re-dialled"} {
		if x := d.phases[name]; x.retryable > 0 || x.ok == 0 {
			t.Errorf("%s: %s; want every Submit answered 0 by the healthy binds", name, x)
		}
	}
}

// (b) The link is blackholed: nothing answered, nothing sent. Every
// Submit is answered with a retryable result within the stall bound,
// /readyz turns not ready, and everything comes back with the link.
func (h *healthRun) blackhole(t *testing.T) {
	w := h.w
	d, stop := h.start(t, "b")
	d.setPhase("b blackholed")
	start := time.Now()
	w.SMG.SetFault(smg.FaultBlackhole)
	var r proxy.Readiness
	var code int
	testenv.Eventually(t, testenv.Wait, "/readyz turns not ready", func() bool {
		code, r = h.readyz(t)
		return code == http.StatusServiceUnavailable
	})
	t.Logf("blackhole: /readyz not ready %v after it began: %+v", time.Since(start).Round(time.Millisecond), r)
	if r.Ready || r.HealthyBinds != 0 || r.Reason == "" {
		t.Errorf("/readyz %d %+v", code, r)
	}
	// Stay blackholed for a while: new Submits are refused at once
	// (upstream_unavailable), re-dialled binds hang in their login.
	wait(time.Second)
	d.setPhase("b link back")
	back := time.Now()
	w.SMG.SetFault(smg.FaultNone)
	w.WaitBinds()
	testenv.Eventually(t, testenv.Wait, "/readyz ready again", func() bool {
		code, _ := h.readyz(t)
		return code == http.StatusOK
	})
	var last error
	if !testenv.Poll(testenv.Wait, func() bool { _, last = w.WellBehaved(5 * time.Second); return last == nil }) {
		t.Fatalf("after the blackhole: no Submit succeeds (%v)", last)
	}
	t.Logf("blackhole: binds and /readyz back %v after the link", time.Since(back).Round(time.Millisecond))
	d.setPhase("b after")
	wait(300 * time.Millisecond)
	stop()
	d.check(t, h.stalledBound, healthSlack)
	d.mu.Lock()
	defer d.mu.Unlock()
	if x := d.phases["b blackholed"]; x.ok > 0 && x.retryable == 0 {
		t.Errorf("blackholed: %s; want retryable answers", x)
	}
	if x := d.phases["b after"]; x.retryable > 0 || x.ok == 0 {
		t.Errorf("after the blackhole: %s; want every Submit answered 0", x)
	}
}

// (c) The SMG reads, answers spsmg's Active_Tests and sends its own, but
// never answers a Submit on one bind: the probe passes, and max_timeouts
// Submits in a row timing out find the bind.
func (h *healthRun) dropSubmits(t *testing.T) {
	w := h.w
	d, stop := h.start(t, "c")
	victim := h.busiest(t)
	d.setPhase("c dropping")
	start := time.Now()
	w.SMG.SetConnFault(victim.LocalAddr, smg.FaultDropSubmits)
	took, b := h.waitUnhealthy(t, victim.ID, victim.UnhealthyTotal+1, start)
	d.setPhase("c after detection")
	t.Logf("bind %d dropping Submits found unhealthy %v after it began (bound %v): %+v",
		victim.ID, took.Round(time.Millisecond), h.anyBound, b)
	if b.LastUnhealthy != "response_timeouts" {
		t.Errorf("reason %q, want response_timeouts", b.LastUnhealthy)
	}
	testenv.Eventually(t, testenv.Wait, "the slot logs in again", func() bool {
		_, r := h.readyz(t)
		b = slotOf(r, victim.ID)
		return b.Healthy && b.Logins == victim.Logins+1
	})
	wait(300 * time.Millisecond)
	stop()
	d.check(t, h.anyBound, healthSlack)
	d.mu.Lock()
	defer d.mu.Unlock()
	if x := d.phases["c dropping"]; x.retryable == 0 {
		t.Errorf("dropping: %s; want upstream_timeout answers", x)
	}
	if x := d.phases["c after detection"]; x.retryable > 0 || x.ok == 0 {
		t.Errorf("after detection: %s; want every Submit answered 0", x)
	}
}
