package bench

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// e2eShapes are the connection/window variants of BenchmarkE2E: one SP
// connection or sixteen; the carriers' window of 16 (docs/protocols/cmpp.md §2) or a deep
// pipeline of 1024.
var e2eShapes = []struct{ conns, window int }{{1, 16}, {1, 1024}, {16, 16}, {16, 1024}}

// BenchmarkE2E pushes MT Submits from simulated SPs (sim/sp's gnet load
// generator) through spsmg to the simulated SMG, in one process on
// loopback, and reports per message:
//
//	msgs/s        Submit_Resp received per second
//	p50/p99/p999  Submit written → Submit_Resp read, in µs
//	allocs/msg    heap allocations of the whole process (runtime.MemStats
//	              Mallocs) over the run, per message: the simulators
//	              allocate nothing per message (sim/sp, sim/smg alloc
//	              tests), so this is the gateway's hot path
//
// One op is one Submit: run it with a message count, e.g.
//
//	go test -run '^$' -bench 'E2E/cmpp3/spsmg/conns=16/window=1024' -benchtime 2000000x ./bench
//
// Variants: protocol; path direct (SP → SMG, the baseline) or spsmg;
// 1 or 16 connections; window 16 or 1024; all-allowed or a 50/50 mix of
// subscribed and unsubscribed users (mix50). Every Submit is authorized
// against a real subscription (SPSMG_BENCH_SUBSCRIBERS users, default
// 100 000, subscribed to the service code), never an exempt service.
// An allowed Submit answered with anything but result 0 fails the run.
//
// The load generator, the gateway and the SMG simulator share the
// machine's cores; see cmd/compare for separate processes.
func BenchmarkE2E(b *testing.B) {
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			w := newWorld(b, p, subscribers())
			for _, s := range e2eShapes {
				name := fmt.Sprintf("direct/conns=%d/window=%d/allowed", s.conns, s.window)
				b.Run(name, func(b *testing.B) {
					benchLoad(b, w, load{direct: true, conns: s.conns, window: s.window})
				})
			}
			for _, s := range e2eShapes {
				for _, m := range []mix{allAllowed, halfRefused} {
					name := fmt.Sprintf("spsmg/conns=%d/window=%d/%s", s.conns, s.window, m)
					b.Run(name, func(b *testing.B) {
						benchLoad(b, w, load{conns: s.conns, window: s.window, mix: m})
					})
				}
			}
		})
	}
}

// benchLoad runs b.N Submits after a short warm-up run and reports them.
func benchLoad(b *testing.B, w *world, l load) {
	warm := l
	warm.total = int64(min(20_000, 1000*l.conns*l.window))
	w.run(b, warm)

	l.total = int64(b.N)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	a := sampleAllocs(w.smg)
	rep := w.run(b, l)
	b.StopTimer()
	a.finish()
	reportLoad(b, &rep)
	b.ReportMetric(a.perMsg(), "allocs/msg")
}

// allocSampler measures allocations per message in the steady state of a
// run: every allocSampleEvery it reads the process's Mallocs and the SMG's
// Submit count, and perMsg divides the allocations between the first and
// the last sample taken while 10–90 % of the Submits were through by the
// Submits in between. The run's set-up and report (the load generator
// encodes its templates, sizes its rings and merges histograms: a few
// allocations per run, none per message) stay out of it, and so does the
// sampler's own cost (measured, subtracted). The simulators allocate
// nothing per Submit (sim/sp, sim/smg alloc tests), so what remains is the
// gateway's. b.ReportAllocs' allocs/op beside it counts the whole run.
type allocSampler struct {
	smg     *smg.Server
	own     uint64 // allocations of one sample
	samples []allocSample
	stop    chan struct{}
	done    chan struct{}
}

type allocSample struct{ mallocs, submits uint64 }

const allocSampleEvery = 20 * time.Millisecond

func sampleAllocs(s *smg.Server) *allocSampler {
	a := &allocSampler{smg: s, samples: make([]allocSample, 0, 1<<16),
		stop: make(chan struct{}), done: make(chan struct{})}
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
	allocs := a.samples[to].mallocs - a.samples[from].mallocs - uint64(to-from)*a.own
	return float64(allocs) / float64(a.samples[to].submits-a.samples[from].submits)
}

func reportLoad(b *testing.B, rep *sp.Report) {
	b.ReportMetric(rep.MsgsPerSec, "msgs/s")
	b.ReportMetric(us(rep.Latency.P50), "p50-µs")
	b.ReportMetric(us(rep.Latency.P99), "p99-µs")
	b.ReportMetric(us(rep.Latency.P999), "p999-µs")
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// BenchmarkHalfLoad measures the latency spsmg adds at half of its peak
// (the README's Performance target: p99 added ≤ 1 ms). Per protocol and shape (16
// connections × window 16 or 1024), it first finds the peak through spsmg
// (1M Submits, once), then sends b.N Submits at half that rate directly to
// the SMG and b.N through spsmg, same connections and window, and reports
// both p99s and their difference (added-p99-µs). Run it with a message
// count:
//
//	go test -run '^$' -bench HalfLoad/cmpp3 -benchtime 1000000x ./bench
func BenchmarkHalfLoad(b *testing.B) {
	const conns = 16
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			w := newWorld(b, p, subscribers())
			for _, window := range []int{16, 1024} {
				halfLoad(b, w, conns, window)
			}
		})
	}
}

func halfLoad(b *testing.B, w *world, conns, window int) {
	peak := 0.0
	b.Run(fmt.Sprintf("conns=%d/window=%d", conns, window), func(b *testing.B) {
		if peak == 0 { // once, not at every b.N of the ramp
			peak = w.run(b, load{conns: conns, window: window, total: 1_000_000}).MsgsPerSec
		}
		rate := peak / 2
		direct := w.run(b, load{direct: true, conns: conns, window: window, rate: rate, total: int64(b.N)})
		gw := w.run(b, load{conns: conns, window: window, rate: rate, total: int64(b.N)})
		b.ReportMetric(peak, "peak-msgs/s")
		b.ReportMetric(gw.MsgsPerSec, "msgs/s")
		b.ReportMetric(us(direct.Latency.P50), "direct-p50-µs")
		b.ReportMetric(us(direct.Latency.P99), "direct-p99-µs")
		b.ReportMetric(us(gw.Latency.P50), "p50-µs")
		b.ReportMetric(us(gw.Latency.P99), "p99-µs")
		b.ReportMetric(us(gw.Latency.P99-direct.Latency.P99), "added-p99-µs")
	})
}

// TestE2ESmoke keeps the benchmark harness honest in plain `go test`: a
// few thousand Submits per protocol, directly and through spsmg, with the
// 50/50 mix, every result checked (run's checks).
func TestE2ESmoke(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			w := newWorld(t, p, 1000)
			for _, direct := range []bool{true, false} {
				rep := w.run(t, load{direct: direct, conns: 2, window: 16, mix: halfRefused, total: 2000})
				if rep.Answered() != 2000 {
					t.Fatalf("direct=%v: %d answered, want 2000", direct, rep.Answered())
				}
			}
		})
	}
}
