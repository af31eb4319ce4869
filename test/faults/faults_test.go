// Package faults checks how spsmg behaves when the SMG fails under load
// (docs/product.md §4, "upstream loss"): the SMG killed, slow, or refusing
// logins (faults_test.go); one bind stalled, the link blackholed, Submits
// dropped while Active_Tests are answered (bindhealth_test.go). SPs must get retryable results, never silence; the binds must
// come back; and repeated fault cycles must not leak goroutines or memory.
//
//	sp.Client ×2 (steady MT load) ──▶ gateway (in process) ──▶ smg.Server
//	                                                 ▲ Close / SetDelay / SetRefuseLogins+Kick
package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// The gateway's upstream timing in this test: short, so that a fault
// cycle takes seconds.
const (
	responseTimeout = 500 * time.Millisecond
	reconnectMax    = 300 * time.Millisecond
	// A Submit must be answered by spsmg within the response timeout plus
	// the once-a-second sweep that enforces it, plus slack for a loaded
	// machine: that is "never silence".
	answerBound = responseTimeout + time.Second + 3*time.Second
)

func TestUpstreamFaults(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMPP34} {
		t.Run(p.String(), func(t *testing.T) { runFaults(t, p) })
	}
}

// tally counts the answers to Submits sent during one phase.
type tally struct {
	ok, retryable, other, errs int
	codes                      map[uint32]int
	maxLatency                 time.Duration
	firstErr                   error
}

func (t *tally) String() string {
	return fmt.Sprintf("ok %d, retryable %d, other %d, errors %d, codes %v, max latency %v",
		t.ok, t.retryable, t.other, t.errs, t.codes, t.maxLatency.Round(time.Millisecond))
}

// driver sends a steady MT load on a few SP connections and files every
// answer under the phase it was sent in.
type driver struct {
	t         *testing.T
	w         *testenv.World
	retryable map[uint32]bool

	mu       sync.Mutex
	phase    string
	phases   map[string]*tally
	order    []string
	inflight int
}

func newDriver(t *testing.T, w *testenv.World) *driver {
	d := &driver{t: t, w: w, retryable: map[uint32]bool{}, phases: map[string]*tally{}}
	res := w.Cfg.Results.Table(w.Proto.Family())
	for _, r := range []reason.Reason{reason.FlowControl, reason.WindowFull, reason.UpstreamUnavailable, reason.UpstreamTimeout} {
		d.retryable[res.Result(r)] = true
	}
	return d
}

func (d *driver) setPhase(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.phase = name
	if d.phases[name] == nil {
		d.phases[name] = &tally{codes: map[uint32]int{}}
		d.order = append(d.order, name)
	}
}

func (d *driver) record(phase string, r sp.SubmitResult, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight--
	x := d.phases[phase]
	x.maxLatency = max(x.maxLatency, r.Latency)
	switch {
	case err != nil:
		x.errs++
		if x.firstErr == nil {
			x.firstErr = err
		}
	case r.Result == 0:
		x.ok++
	case d.retryable[r.Result]:
		x.retryable++
		x.codes[r.Result]++
	default:
		x.other++
		x.codes[r.Result]++
	}
}

// run sends about 1000 MTs a second per connection until ctx ends.
func (d *driver) run(ctx context.Context, c *sp.Client) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	mt := sp.MT{SPNumber: testenv.Access, Users: []string{testenv.Number(d.w.Proto, testenv.User)}, ServiceCode: "FREE", Text: "load"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.mu.Lock()
		phase := d.phase
		d.inflight++
		d.mu.Unlock()
		if err := c.SubmitAsync(ctx, mt, func(r sp.SubmitResult, err error) { d.record(phase, r, err) }); err != nil {
			if ctx.Err() == nil {
				d.record(phase, sp.SubmitResult{}, err) // the connection is gone
			} else {
				d.mu.Lock()
				d.inflight--
				d.mu.Unlock()
			}
			return
		}
	}
}

// load runs the driver on two fresh SP connections (window 16, then
// configure) until stop is called, which waits for every answer, closes
// the connections and returns the error of each one the gateway dropped.
func (d *driver) load(t *testing.T, configure func(i int, cc *sp.ClientConfig)) (stop func() []error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var clients []*sp.Client
	for i := 0; i < 2; i++ {
		cc := d.w.ClientConfig()
		cc.Window = 16
		configure(i, &cc)
		c, err := sp.Dial(ctx, cc)
		if err != nil {
			t.Fatalf("SP login: %v", err)
		}
		clients = append(clients, c)
		wg.Add(1)
		go func() { defer wg.Done(); d.run(ctx, c) }()
	}
	return func() []error {
		cancel()
		wg.Wait()
		testenv.Eventually(t, testenv.Wait, "every Submit is answered", func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			return d.inflight == 0
		})
		var errs []error
		for _, c := range clients {
			if err := c.Err(); err != nil {
				errs = append(errs, err)
			}
			c.Close()
		}
		return errs
	}
}

// waitOK waits until more than n Submits of phase were answered 0.
func (d *driver) waitOK(t *testing.T, what, phase string, n int) {
	t.Helper()
	testenv.Eventually(t, testenv.Wait, what, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.phases[phase].ok > n
	})
}

// check applies the rules every phase shares: every Submit answered, with
// 0 or a retryable result, within bound plus slack.
func (d *driver) check(t *testing.T, bound, slack time.Duration) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, name := range d.order {
		x := d.phases[name]
		t.Logf("%-34s %s", name, x)
		if x.errs > 0 {
			t.Errorf("%s: %d Submits got no answer (silence) or lost their connection: %v", name, x.errs, x.firstErr)
		}
		if x.other > 0 {
			t.Errorf("%s: %d Submits answered with a non-retryable result: %v", name, x.other, x.codes)
		}
		if x.maxLatency > bound+slack {
			t.Errorf("%s: an answer took %v; bound %v (+%v slack)", name, x.maxLatency, bound, slack)
		}
	}
}

// wait lets a phase run under load for dur: the length of a phase, not a
// synchronization.
func wait(dur time.Duration) { <-time.After(dur) }

// recovered waits until every bind is back and a Submit succeeds, and
// returns how long that took.
func (d *driver) recovered(what string) time.Duration {
	d.t.Helper()
	start := time.Now()
	d.w.WaitBinds()
	var last error
	ok := testenv.Poll(testenv.Wait, func() bool {
		_, last = d.w.WellBehaved(5 * time.Second)
		return last == nil
	})
	if !ok {
		d.t.Fatalf("after %s: no Submit succeeds (%v)", what, last)
	}
	return time.Since(start)
}

// cycle runs one round of every fault under load, with fresh SP
// connections that it closes at the end.
func (d *driver) cycle(n int) {
	t, w := d.t, d.w
	phase := func(name string) string { return fmt.Sprintf("%d %s", n, name) }
	d.setPhase(phase("normal"))
	stop := d.load(t, func(i int, cc *sp.ClientConfig) {
		cc.ResponseTimeout = answerBound
		cc.SGIPNodeID = 3000000200 + uint32(i)
	})
	wait(300 * time.Millisecond)

	// The SMG dies: in-flight Submits get upstream_timeout at once (bind
	// lost), new ones upstream_unavailable until it is back.
	d.setPhase(phase("smg killed"))
	addr := w.SMG.Addr()
	w.SMG.Close()
	wait(600 * time.Millisecond)
	w.StartSMG(addr)
	d.setPhase(phase("smg restarted"))
	t.Logf("cycle %d: binds back %v after the SMG restarted", n, d.recovered("the SMG restart").Round(time.Millisecond))

	// Slow but in time, then slower than the response timeout.
	d.setPhase(phase("smg slow 200ms"))
	w.SMG.SetDelay(200 * time.Millisecond)
	wait(600 * time.Millisecond)
	d.setPhase(phase("smg slower than timeout"))
	w.SMG.SetDelay(3 * responseTimeout)
	wait(1500 * time.Millisecond)
	w.SMG.SetDelay(0)
	d.setPhase(phase("smg fast again"))
	// spsmg answered the SPs itself (upstream_timeout), and with
	// max_timeouts of them in a row found the binds unhealthy and dialled
	// them again: the held-back answers arrive on a closed connection, or
	// as unknown responses on a living one, and are never relayed twice.
	testenv.Eventually(t, testenv.Wait, "the binds of the slow SMG are found unhealthy", func() bool {
		m, err := w.Metrics()
		return err == nil && m.Sum("spsmg_upstream_bind_unhealthy_total", "reason", "response_timeouts") >= float64(n)
	})
	t.Logf("cycle %d: Submits succeed %v after the SMG is fast again", n, d.recovered("the slow SMG").Round(time.Millisecond))

	// The SMG refuses logins and drops the binds.
	before := w.SMG.Stats().LoginsRefused
	d.setPhase(phase("smg refusing logins"))
	w.SMG.SetRefuseLogins(true)
	w.SMG.Kick()
	wait(time.Second)
	refused := w.SMG.Stats().LoginsRefused - before
	w.SMG.SetRefuseLogins(false)
	d.setPhase(phase("smg accepting logins"))
	t.Logf("cycle %d: %d logins refused in 1 s (2 binds, backoff to %v); binds back %v later", n, refused, reconnectMax,
		d.recovered("logins accepted again").Round(time.Millisecond))
	// Backoff, not a tight loop: 2 binds, at least reconnect_min/2 between
	// tries and growing; 100 is far above what the backoff allows.
	if refused > 100 {
		t.Errorf("cycle %d: %d login attempts in one second while the SMG refused them: no backoff", n, refused)
	}
	d.setPhase(phase("end"))
	wait(200 * time.Millisecond)
	for _, err := range stop() {
		t.Errorf("cycle %d: the gateway dropped an SP connection during upstream faults: %v", n, err)
	}
}

func runFaults(t *testing.T, p codec.Protocol) {
	w := testenv.NewWorld(t, testenv.Options{Proto: p,
		Upstream: map[string]string{"response_timeout": responseTimeout.String(), "reconnect_min": "20ms",
			"reconnect_max": reconnectMax.String(), "window": "64"},
	})
	w.Start()
	d := newDriver(t, w)
	cycles := 2
	if testenv.Heavy() {
		cycles = 5
	}
	var base testenv.RuntimeSample
	for n := 1; n <= cycles; n++ {
		d.cycle(n)
		if n == 1 {
			// The first cycle warms every pool and buffer; later cycles
			// must come back to the same level. The smallest of a few
			// samples: a connection's objects may outlive it a moment.
			base = testenv.SettleRuntime(0, 0, time.Second)
		}
	}
	heapLimit := base.HeapBytes + max(base.HeapBytes/4, 4<<20)
	after := testenv.SettleRuntime(base.Goroutines+5, heapLimit, testenv.Wait)
	t.Logf("%s after cycle 1: %d goroutines, %d KB heap objects; after cycle %d: %d goroutines, %d KB",
		p, base.Goroutines, base.HeapBytes>>10, cycles, after.Goroutines, after.HeapBytes>>10)

	d.check(t, answerBound, 0)
	for n := 1; n <= cycles; n++ {
		for _, name := range []string{"smg killed", "smg slower than timeout", "smg refusing logins"} {
			if x := d.phases[fmt.Sprintf("%d %s", n, name)]; x.retryable == 0 {
				t.Errorf("%d %s: no Submit was answered with a retryable result (%s)", n, name, x)
			}
		}
	}

	m := w.MustMetrics()
	for _, c := range []struct {
		key  string
		want string
	}{
		// Forwarded Submits the SMG did not answer in time (or whose bind
		// died) are answered upstream_timeout and counted here, and once in
		// the decisions under that reason (not under their allow reason).
		{testenv.Key("spsmg_mt_upstream_failures_total", "sp", "sp1"), "Submits answered upstream_timeout"},
		{testenv.Key("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", reason.UpstreamTimeout.String()), "upstream_timeout answers"},
		{testenv.Key("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", reason.UpstreamUnavailable.String()), "upstream_unavailable refusals"},
		{testenv.Key("spsmg_upstream_bind_unhealthy_total", "reason", "response_timeouts", "upstream", "upstream"), "binds of the slower-than-timeout SMG found unhealthy"},
	} {
		t.Logf("%s %s = %v", p, c.key, m[c.key])
		if m[c.key] == 0 {
			t.Errorf("metric %s is 0: %s are not counted", c.key, c.want)
		}
	}
	if got, want := m.Sum("spsmg_upstream_binds", "state", "logged_in"), float64(w.Cfg.Gateway.EventLoops); got != want {
		t.Errorf("spsmg_upstream_binds{state=logged_in} = %v, want %v", got, want)
	}

	// No leak: goroutines back to the level after the first cycle, heap
	// within a tolerance (buffers sized by the load may differ a little).
	if after.Goroutines > base.Goroutines+5 {
		t.Errorf("goroutines grew from %d after cycle 1 to %d after cycle %d", base.Goroutines, after.Goroutines, cycles)
	}
	if after.HeapBytes > heapLimit {
		t.Errorf("heap objects grew from %d KB after cycle 1 to %d KB after cycle %d (limit %d KB)",
			base.HeapBytes>>10, after.HeapBytes>>10, cycles, heapLimit>>10)
	}
}
