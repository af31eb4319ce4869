package sp_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/sp"
)

func loadConfig(f *fake, mod func(*sp.LoadConfig)) sp.LoadConfig {
	cfg := sp.LoadConfig{
		Protocol: f.proto, Addr: f.addr(), Login: testLogin, Secret: testSecret,
		Conns: 2, Window: 8, Total: 1000,
		Mix: []sp.MTTemplate{
			{Name: "allowed", Weight: 1, MT: sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, ServiceCode: "HELP", Text: "ok"}},
			{Name: "refused", Weight: 1, MT: sp.MT{SPNumber: "10655123", Users: []string{refusedUser}, ServiceCode: "HELP", Text: "no"}},
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

func checkLatency(t *testing.T, rep sp.Report) {
	t.Helper()
	l := rep.Latency
	if l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max || l.Max > 10*time.Second ||
		l.Mean <= 0 || l.Mean > l.Max {
		t.Errorf("latency quantiles not sane: %+v", l)
	}
	if rep.Histogram.Count() != rep.Answered() {
		t.Errorf("histogram holds %d, answered %d", rep.Histogram.Count(), rep.Answered())
	}
}

func TestLoad(t *testing.T) {
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String()+"/window respected, mix counted per template", func(t *testing.T) {
			// The fake holds its answers until a full window is pending and
			// counts a violation whenever a connection has more.
			f := newFake(t, p, fakeConfig{hold: 8})
			rep, err := sp.Run(testCtx(t), loadConfig(f, nil))
			if err != nil {
				t.Fatal(err)
			}
			if v := f.violations.Load(); v != 0 {
				t.Errorf("window exceeded %d times (max pending %d)", v, f.maxPending.Load())
			}
			if f.maxPending.Load() != 8 {
				t.Errorf("max pending %d, want the full window 8", f.maxPending.Load())
			}
			if rep.Sent != 1000 || rep.Answered() != 1000 || rep.Count(0) != 500 || rep.Count(refusedResult) != 500 {
				t.Errorf("sent %d answered %d responses %v", rep.Sent, rep.Answered(), rep.Responses)
			}
			if a, _ := rep.Template("allowed"); a.Sent != 500 || a.Count(0) != 500 {
				t.Errorf("template allowed: %+v", a)
			}
			if r, _ := rep.Template("refused"); r.Sent != 500 || r.Count(refusedResult) != 500 {
				t.Errorf("template refused: %+v", r)
			}
			if rep.Errors != 0 || len(rep.ConnErrors) != 0 {
				t.Errorf("errors %d: %v", rep.Errors, rep.ConnErrors)
			}
			if got := len(f.recorded()); got != 1000 {
				t.Errorf("the fake saw %d Submits", got)
			}
			seen := map[[2]uint32]bool{}
			for _, r := range f.recorded() {
				k := [2]uint32{uint32(r.conn), r.seq}
				if seen[k] {
					t.Fatalf("connection %d reused sequence %d", r.conn, r.seq)
				}
				seen[k] = true
			}
			checkLatency(t, rep)
			if rep.MsgsPerSec <= 0 || rep.Elapsed <= 0 || rep.ConnectTime <= 0 {
				t.Errorf("rate %v elapsed %v connect %v", rep.MsgsPerSec, rep.Elapsed, rep.ConnectTime)
			}
			s := rep.String()
			for _, want := range []string{p.String(), "result 106", "template refused", "p99.9"} {
				if !strings.Contains(s, want) {
					t.Errorf("String() lacks %q:\n%s", want, s)
				}
			}
		})
	}
	t.Run("rate caps the throughput", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		rep, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) { c.Rate, c.Total, c.Window = 1000, 200, 16 }))
		if err != nil {
			t.Fatal(err)
		}
		// 200 at 1000/s take 200 ms; the pacer starts with no credit.
		if rep.Elapsed < 180*time.Millisecond || rep.MsgsPerSec > 1100 {
			t.Errorf("elapsed %v, %.0f msg/s for a rate of 1000", rep.Elapsed, rep.MsgsPerSec)
		}
		if rep.Answered() != 200 {
			t.Errorf("answered %d", rep.Answered())
		}
	})
	t.Run("window and rate together", func(t *testing.T) {
		f := newFake(t, codec.SMGP30, fakeConfig{hold: 4})
		rep, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) { c.Rate, c.Total, c.Window = 2000, 200, 4 }))
		if err != nil {
			t.Fatal(err)
		}
		if f.violations.Load() != 0 || rep.Answered() != 200 {
			t.Errorf("violations %d, answered %d", f.violations.Load(), rep.Answered())
		}
	})
	t.Run("duration after warmup", func(t *testing.T) {
		// The run's clock is the test's: it stands still until the test
		// ends the warmup, and again until it ends the Duration, so that
		// what counts is which Submits were sent in which phase, whatever
		// the machine's load makes of the wall clock.
		f := newFake(t, codec.CMPP30, fakeConfig{})
		cfg := loadConfig(f, func(c *sp.LoadConfig) { c.Total, c.Warmup, c.Duration = 0, time.Hour, time.Hour })
		var clock atomic.Int64
		sp.SetLoadClock(&cfg, func() time.Duration { return time.Duration(clock.Load()) })
		inFlight := cfg.Conns * cfg.Window // sent but not yet seen by the fake, at most
		type result struct {
			rep sp.Report
			err error
		}
		done := make(chan result, 1)
		go func() {
			rep, err := sp.Run(testCtx(t), cfg)
			done <- result{rep, err}
		}()
		seen := func() int { return len(f.recorded()) }
		waitSeen := func(n int) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for seen() < n {
				if time.Now().After(deadline) {
					t.Fatalf("the fake saw %d Submits in 10 s, want %d", seen(), n)
				}
				time.Sleep(time.Millisecond)
			}
		}
		waitSeen(100)
		warm := seen() // sent during the warmup, at least
		clock.Store(int64(time.Hour))
		waitSeen(warm + inFlight + 100)
		measured := seen() - warm - inFlight // sent after the warmup, at least
		clock.Store(int64(2 * time.Hour))
		atEnd := seen() // the fake sees at most inFlight more: nothing is sent after the Duration
		var res result
		select {
		case res = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the run did not end once its Duration had passed")
		}
		rep := res.rep
		if res.err != nil || rep.Interrupted {
			t.Fatalf("err %v, interrupted %v: the run should end by its Duration", res.err, rep.Interrupted)
		}
		if rep.Errors != 0 || rep.Answered() != rep.Sent {
			t.Errorf("errors %d, answered %d of %d", rep.Errors, rep.Answered(), rep.Sent)
		}
		saw := len(f.recorded())
		if left := saw - int(rep.Sent); left < warm || left > warm+inFlight {
			t.Errorf("the fake saw %d Submits, the report counts %d: %d left out as the warmup, want %d–%d",
				saw, rep.Sent, left, warm, warm+inFlight)
		}
		if saw > atEnd+inFlight {
			t.Errorf("the fake saw %d Submits, %d when the Duration ended: Submits were sent after it", saw, atEnd)
		}
		if int(rep.Sent) < measured {
			t.Errorf("the report counts %d Submits, at least %d were sent after the warmup", rep.Sent, measured)
		}
		if rep.Elapsed <= 0 || rep.Elapsed > cfg.Duration {
			t.Errorf("elapsed %v on the run's clock, want within the Duration %v", rep.Elapsed, cfg.Duration)
		}
	})
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SMGP30} {
		t.Run(p.String()+"/reports on the connection are acknowledged", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{reportEach: true})
			rep, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) { c.Total, c.NeedReport = 300, true }))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Reports != 300 || f.acksSeen.Load() != 300 {
				t.Errorf("reports %d, acks the fake saw %d, want 300", rep.Reports, f.acksSeen.Load())
			}
		})
	}
	t.Run("spread over users", func(t *testing.T) {
		f := newFake(t, codec.SGIP, fakeConfig{})
		users := []string{"8613800000001", "8613800000002", "8613800000003", "8613800000004", "8613800000005"}
		rep, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) {
			c.Conns, c.Total = 1, 100
			c.Mix = []sp.MTTemplate{{Spread: true, MT: sp.MT{SPNumber: "10655123", Users: users, Text: "s"}}}
		}))
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, r := range f.recorded() {
			if len(r.users) != 1 {
				t.Fatalf("spread Submit to %v", r.users)
			}
			count[r.users[0]]++
		}
		for _, u := range users {
			if count[u] != 20 {
				t.Errorf("user %s got %d, want 20 (%v)", u, count[u], count)
			}
		}
		if rep.Templates[0].Name != "mt1" {
			t.Errorf("default template name %q", rep.Templates[0].Name)
		}
	})
	t.Run("spread over more users than one Submit may carry", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		users := make([]string, 1000)
		for i := range users {
			users[i] = fmt.Sprintf("138%08d", i)
		}
		if _, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) {
			c.Conns, c.Total = 1, 2000
			c.Mix = []sp.MTTemplate{{Spread: true, MT: sp.MT{SPNumber: "10655123", Users: users, Text: "s"}}}
		})); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range f.recorded() {
			seen[r.users[0]] = true
		}
		if len(seen) != 1000 {
			t.Fatalf("%d distinct recipients, want 1000", len(seen))
		}
	})
	t.Run("a lost connection is counted, the others go on", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{closeAfter: 300})
		rep, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) { c.Conns, c.Total = 2, 2000 }))
		if err != nil {
			t.Fatal(err)
		}
		// Both connections die at their 300th Submit.
		if len(rep.ConnErrors) != 2 || rep.Errors < 2 || rep.Answered() < 500 || rep.Answered() >= 2000 {
			t.Errorf("report:\n%s", rep)
		}
	})
	t.Run("the peer's Active_Test is answered mid-run", func(t *testing.T) {
		f := newFake(t, codec.SMGP30, fakeConfig{activeAfter: 100})
		rep, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) { c.Conns, c.Total = 1, 500 }))
		if err != nil {
			t.Fatal(err)
		}
		fc := f.conn(t)
		select {
		case <-fc.active:
		default:
			t.Error("no Active_Test_Resp")
		}
		if rep.Answered() != 500 || rep.Errors != 0 {
			t.Errorf("report:\n%s", rep)
		}
	})
	t.Run("login refused", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		_, err := sp.Run(testCtx(t), loadConfig(f, func(c *sp.LoadConfig) { c.Secret = "bad" }))
		var le *sp.LoginError
		if !errors.As(err, &le) || le.Status != 3 {
			t.Errorf("err = %v, want LoginError 3", err)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		for _, mod := range []func(*sp.LoadConfig){
			func(c *sp.LoadConfig) { c.Total = 0 },
			func(c *sp.LoadConfig) { c.Mix = nil },
			func(c *sp.LoadConfig) { c.Protocol = codec.ProtocolUnknown },
		} {
			if _, err := sp.Run(testCtx(t), loadConfig(f, mod)); !errors.Is(err, sp.ErrBadConfig) {
				t.Errorf("err = %v, want ErrBadConfig", err)
			}
		}
	})
	t.Run("cancel ends the run early", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		ctx, cancel := context.WithCancel(testCtx(t))
		done, ran := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for len(f.recorded()) < 100 {
				select {
				case <-ran:
					return
				default:
					runtime.Gosched()
				}
			}
			cancel()
		}()
		rep, err := sp.Run(ctx, loadConfig(f, func(c *sp.LoadConfig) { c.Total, c.Duration = 0, time.Hour }))
		close(ran)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Interrupted || rep.Sent < 100 || rep.Unanswered != 0 {
			t.Errorf("interrupted %v sent %d unanswered %d", rep.Interrupted, rep.Sent, rep.Unanswered)
		}
	})
	t.Run("echo server", func(t *testing.T) {
		for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP30, codec.SMGP30} {
			rep, err := sp.Run(testCtx(t), sp.LoadConfig{Protocol: p, Addr: echoAddr(t, p), Login: testLogin,
				Secret: testSecret, Conns: 2, Window: 64, Total: 20000, Mix: echoMix()})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Answered() != 20000 || rep.Count(0) != 20000 || rep.Errors != 0 {
				t.Errorf("%s: %s", p, rep)
			}
			checkLatency(t, rep)
		}
	})
}

// BenchmarkLoadAgainstEcho is the load generator's own ceiling: Run against
// the in-process gnet echo server, b.N Submits per run. allocs/op is per
// message (the run's setup included).
func BenchmarkLoadAgainstEcho(b *testing.B) {
	for _, bc := range []struct {
		p             codec.Protocol
		conns, window int
	}{
		{codec.CMPP30, 1, 1024},
		{codec.CMPP30, 4, 256},
		{codec.SGIP, 2, 512},
		{codec.SMGP30, 2, 512},
		{codec.CMPP30, 4, 16},
		{codec.CMPP30, 16, 16},
	} {
		b.Run(fmt.Sprintf("%s/conns=%d/window=%d", bc.p, bc.conns, bc.window), func(b *testing.B) {
			addr := echoAddr(b, bc.p)
			cfg := sp.LoadConfig{Protocol: bc.p, Addr: addr, Login: testLogin, Secret: testSecret,
				Conns: bc.conns, Window: bc.window, Total: int64(b.N), Mix: echoMix()}
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			var ru0, ru1 syscall.Rusage
			runtime.ReadMemStats(&ms0)
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			rep, err := sp.Run(context.Background(), cfg)
			b.StopTimer()
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			runtime.ReadMemStats(&ms1)
			if err != nil {
				b.Fatal(err)
			}
			if rep.Answered() != uint64(b.N) {
				b.Fatalf("answered %d of %d: %s", rep.Answered(), b.N, rep)
			}
			b.ReportMetric(rep.MsgsPerSec, "msgs/s")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/msg")
			b.ReportMetric(float64(rep.Latency.P99.Microseconds()), "p99-µs")
			// CPU time of the whole process (load generator and echo server)
			// per message: steadier than msgs/s on a shared machine, and
			// what is left for a gateway on the same host.
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
		})
	}
}
