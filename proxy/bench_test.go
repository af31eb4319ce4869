package proxy_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// BenchmarkGateway pushes MT Submits through the gateway in-process (SP
// load generator → gateway → simulated SMG, all on loopback, sharing the
// machine's cores), every one authorized against a subscription. It is
// the quick before/after check for proxy changes; bench/ has the full
// matrix and the comparison with HAProxy.
//
//	go test -run '^$' -bench Gateway -benchtime 2000000x ./proxy
//
// The gateway, the SMG and a warm-up run are outside the timer; one op is
// one Submit of the timed run (whose SP connections log in first: a few
// milliseconds over the run). msgs/s and p99-µs are the load generator's,
// over its sending; allocs/msg is the steady state (steadyAllocs).
func BenchmarkGateway(b *testing.B) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34} {
		for _, shape := range []struct{ conns, window int }{{1, 16}, {16, 1024}} {
			b.Run(fmt.Sprintf("%s/conns=%d/window=%d", p, shape.conns, shape.window), func(b *testing.B) {
				r := newForwardRig(b, p, shape.conns, shape.window)
				r.run(b, int64(min(20_000, 1000*shape.conns*shape.window))) // warm-up
				runtime.GC()
				b.ReportAllocs()
				b.ResetTimer()
				a := sampleAllocs(r.h.smg)
				rep := r.run(b, int64(b.N))
				b.StopTimer()
				a.finish()
				b.ReportMetric(rep.MsgsPerSec, "msgs/s")
				b.ReportMetric(float64(rep.Latency.P99.Microseconds()), "p99-µs")
				b.ReportMetric(a.perMsg(), "allocs/msg")
			})
		}
	}
}

// BenchmarkGatewaySubscribers is BenchmarkGateway's cmpp3 16 × 1024 with
// 100,000 subscribers instead of 100: each decision's subscription slot is
// a cache miss.
//
//	go test -run '^$' -bench GatewaySubscribers -benchtime 4000000x ./proxy
func BenchmarkGatewaySubscribers(b *testing.B) {
	timedRun(b, newForwardRigUsers(b, codec.CMPP30, 16, 1024, 100_000), 200_000)
}

// BenchmarkGatewayReports is BenchmarkGateway's 16 × 1024 with every
// Submit asking for a status report, as most production traffic does: per
// message the gateway also records the report route (memory and store;
// SGIP's before the Submit leaves, and the Submit waits until it is
// durable), and routes the SMG's report back to the SP through the outbox.
// The SP's acknowledgements of the reports are not waited for at the end.
//
//	go test -run '^$' -bench GatewayReports -benchtime 500000x ./proxy
func BenchmarkGatewayReports(b *testing.B) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP} {
		b.Run(p.String(), func(b *testing.B) {
			r := newForwardRig(b, p, 16, 1024)
			r.needReport = true
			timedRun(b, r, 20_000)
		})
	}
}

// timedRun warms r up with warm Submits, then sends b.N of them timed and
// reports the load generator's msgs/s and p99.
func timedRun(b *testing.B, r *forwardRig, warm int64) {
	r.run(b, warm)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	rep := r.run(b, int64(b.N))
	b.StopTimer()
	b.ReportMetric(rep.MsgsPerSec, "msgs/s")
	b.ReportMetric(float64(rep.Latency.P99.Microseconds()), "p99-µs")
}

// maxAllocsPerMsg bounds the heap allocations per forwarded Submit in
// TestForwardingAllocations. The forwarding path (decode, authorize,
// rewrite, write; the response back) allocates nothing, and neither do the
// load generator and the simulated SMG, so what the process allocates
// while Submits flow is background work that goes with time, not messages
// (timers, the loops' sweeps, the runtime): about 0.00008 per message
// measured on main. One allocation per message would read 1, one per
// callback of a window of 16 about 0.06; 0.01 — one allocation per 100
// messages — catches both with room for a loaded machine's slower run.
const maxAllocsPerMsg = 0.01

// TestForwardingAllocations fails when forwarding allocates: 100,000
// Submits through the gateway, allocations per message counted in the
// steady state. The race detector allocates on its own, so this runs
// without it only: the README's test command has a run of it without
// -race.
func TestForwardingAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates by itself; run without -race (the README's test command does)")
	}
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34} {
		t.Run(p.String(), func(t *testing.T) {
			r := newForwardRig(t, p, 4, 16)
			r.run(t, 10_000) // warm-up
			runtime.GC()
			a := sampleAllocs(r.h.smg)
			rep := r.run(t, 100_000)
			a.finish()
			got := a.perMsg()
			t.Logf("%.6f allocations per forwarded Submit over %d (%.0f msgs/s, %d samples)", got, rep.Sent, rep.MsgsPerSec, len(a.samples))
			if math.IsNaN(got) {
				t.Fatalf("too few samples in the run to measure (%d)", len(a.samples))
			}
			if got > maxAllocsPerMsg {
				t.Errorf("%.4f heap allocations per forwarded Submit, above the bound of %v: something on the forwarding path allocates "+
					"(go test -run '^$' -bench 'Gateway/cmpp3/conns=1/' -memprofile mem.out ./proxy; go tool pprof -sample_index=alloc_objects mem.out)",
					got, maxAllocsPerMsg)
			}
		})
	}
}

// forwardRig is a gateway in front of a simulated SMG that keeps no
// record of Submits (the SMG then allocates nothing per Submit), with 100
// users subscribed to NEWS, and an SP account that allows conns
// connections of window Submits in flight, with no TPS limit to speak of.
type forwardRig struct {
	h             *harness
	p             codec.Protocol
	conns, window int
	users         []string
	needReport    bool // every Submit asks for a status report (the SMG sends one)
}

func newForwardRig(tb testing.TB, p codec.Protocol, conns, window int) *forwardRig {
	return newForwardRigUsers(tb, p, conns, window, 100)
}

// newForwardRigUsers is newForwardRig with users subscribers, sent to in
// turn: at 100,000 the subscription table no longer fits the caches, and
// every decision misses, as in production.
func newForwardRigUsers(tb testing.TB, p codec.Protocol, conns, window, users int) *forwardRig {
	tb.Helper()
	h := newHarness(tb, p, harnessOpt{smgConfig: func(c *smg.Config) { c.SubmitLog = 0 }, gatewayCfg: func(c *config.Config) {
		c.Upstream.Window = 32768
		c.Accounts[0].Window = window
		c.Accounts[0].MaxConnections = conns
		c.Accounts[0].TPS = 100000000
	}})
	r := &forwardRig{h: h, p: p, conns: conns, window: window, users: make([]string, users)}
	for i := range r.users {
		u := fmt.Sprintf("138%08d", i)
		if err := h.engine.Subscribe("sp1", u, "NEWS", 3 /* SourceAPI */); err != nil {
			tb.Fatal(err)
		}
		r.users[i] = number(p, u)
	}
	return r
}

// run sends total Submits over the rig's connections and checks that
// every one was answered 0.
func (r *forwardRig) run(tb testing.TB, total int64) sp.Report {
	tb.Helper()
	login, secret := account(r.p)
	rep, err := sp.Run(context.Background(), sp.LoadConfig{Protocol: r.p, Addr: r.h.spAddr, Login: login, Secret: secret,
		Conns: r.conns, Window: r.window, Total: total,
		Mix: []sp.MTTemplate{{MT: sp.MT{SPNumber: access, Users: r.users, ServiceCode: "NEWS", Text: "hello", NeedReport: r.needReport}, Spread: true}}})
	if err != nil {
		tb.Fatal(err)
	}
	if rep.Count(0) != rep.Sent || rep.Sent != uint64(total) {
		tb.Fatalf("%d Submits sent of %d, %d answered 0: %s", rep.Sent, total, rep.Count(0), rep.String())
	}
	return rep
}

// allocSampler measures allocations per message in the steady state of a
// run, as bench/e2e_test.go's does: every allocSampleEvery it reads the
// process's Mallocs and the SMG's Submit count, and perMsg divides the
// allocations between the first and the last sample taken while 10–90 %
// of the Submits were through by the Submits in between. The run's set-up
// (logins, the load generator's templates and rings, its report) stays out,
// and so does the sampler's own cost (measured, subtracted).
type allocSampler struct {
	smg     *smg.Server
	own     uint64 // allocations of one sample
	samples []allocSample
	stop    chan struct{}
	done    chan struct{}
}

type allocSample struct{ mallocs, submits uint64 }

const allocSampleEvery = 10 * time.Millisecond

func sampleAllocs(s *smg.Server) *allocSampler {
	a := &allocSampler{smg: s, samples: make([]allocSample, 0, 1<<16), stop: make(chan struct{}), done: make(chan struct{})}
	x, y := a.sample(), a.sample()
	a.own = y.mallocs - x.mallocs
	go func() {
		defer close(a.done)
		t := time.NewTicker(allocSampleEvery)
		defer t.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-t.C:
				if len(a.samples) < cap(a.samples) {
					a.samples = append(a.samples, a.sample())
				}
			}
		}
	}()
	return a
}

func (a *allocSampler) sample() allocSample {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return allocSample{mallocs: m.Mallocs, submits: a.smg.Stats().Submits}
}

func (a *allocSampler) finish() {
	close(a.stop)
	<-a.done
	a.samples = append(a.samples, a.sample())
}

// perMsg is the steady-state allocations per Submit the SMG answered; NaN
// when the run was too short for two samples inside the window.
func (a *allocSampler) perMsg() float64 {
	if len(a.samples) < 2 {
		return math.NaN()
	}
	first, last := a.samples[0].submits, a.samples[len(a.samples)-1].submits
	lo, hi := first+(last-first)/10, first+(last-first)*9/10
	from, to := -1, -1
	for i, s := range a.samples {
		if s.submits >= lo && s.submits <= hi {
			if from < 0 {
				from = i
			}
			to = i
		}
	}
	if from < 0 || to <= from || a.samples[to].submits == a.samples[from].submits {
		return math.NaN()
	}
	allocs, own := a.samples[to].mallocs-a.samples[from].mallocs, uint64(to-from)*a.own
	// own is estimated from one pair of samples; when it overshoots (the
	// process allocated nothing else), the difference would wrap around.
	allocs -= min(own, allocs)
	return float64(allocs) / float64(a.samples[to].submits-a.samples[from].submits)
}
