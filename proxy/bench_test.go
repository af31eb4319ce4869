package proxy_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

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
func BenchmarkGateway(b *testing.B) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP} {
		for _, shape := range []struct{ conns, window int }{{1, 16}, {16, 1024}} {
			b.Run(fmt.Sprintf("%s/conns=%d/window=%d", p, shape.conns, shape.window), func(b *testing.B) {
				benchGateway(b, p, shape.conns, shape.window)
			})
		}
	}
}

func benchGateway(b *testing.B, p codec.Protocol, conns, window int) {
	h := newHarness(b, p, harnessOpt{smgConfig: func(c *smg.Config) { c.SubmitLog = 0 }, gatewayCfg: func(c *config.Config) {
		c.Upstream.Window = 32768
		c.Accounts[0].Window = window
		c.Accounts[0].MaxConnections = conns
		c.Accounts[0].TPS = 100000000
	}})
	users := make([]string, 100)
	for i := range users {
		users[i] = fmt.Sprintf("138%08d", i)
		if err := h.engine.Subscribe("sp1", users[i], "NEWS", 3 /* SourceAPI */); err != nil {
			b.Fatal(err)
		}
		users[i] = number(p, users[i])
	}
	login, secret := account(p)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	rep, err := sp.Run(context.Background(), sp.LoadConfig{Protocol: p, Addr: h.spAddr, Login: login, Secret: secret,
		Conns: conns, Window: window, Total: int64(b.N),
		Mix: []sp.MTTemplate{{MT: sp.MT{SPNumber: access, Users: users, ServiceCode: "NEWS", Text: "hello"}, Spread: true}}})
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	if err != nil {
		b.Fatal(err)
	}
	if rep.Count(0) != rep.Sent {
		b.Fatalf("not every Submit was answered 0: %s", rep.String())
	}
	b.ReportMetric(rep.MsgsPerSec, "msgs/s")
	b.ReportMetric(float64(rep.Latency.P99.Microseconds()), "p99-µs")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/msg")
}
