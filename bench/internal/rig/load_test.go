package rig

import (
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestParseReport reads the table sp.Report.String prints (what cmd/spsim
// writes), so that a change of its layout fails here, not in a benchmark
// run.
func TestParseReport(t *testing.T) {
	rep := sp.Report{Protocol: codec.CMPP30, Conns: 4, Window: 16, Sent: 2000,
		Responses: []sp.ResultCount{{Result: 0, Count: 1000}, {Result: 106, Count: 1000}},
		Templates: []sp.TemplateReport{
			{Name: "user", Sent: 1000, Responses: []sp.ResultCount{{Result: 0, Count: 1000}}},
			{Name: "mix-user", Sent: 1000, Responses: []sp.ResultCount{{Result: 106, Count: 1000}}},
		},
		Elapsed: 2 * time.Second, MsgsPerSec: 1000,
		Latency: sp.LatencySummary{P50: 120 * time.Microsecond, P90: 180 * time.Microsecond,
			P99: 410 * time.Microsecond, P999: 1200 * time.Microsecond, Max: 12300 * time.Microsecond, Mean: 131 * time.Microsecond}}
	var got LoadResult
	if err := parseReport(rep.String(), &got); err != nil {
		t.Fatalf("%v\n%s", err, rep.String())
	}
	want := LoadResult{Sent: 2000, Answered: 2000, MsgsPerSec: 1000, P50: 120 * time.Microsecond,
		P90: 180 * time.Microsecond, P99: 410 * time.Microsecond, P999: 1200 * time.Microsecond, Max: 12300 * time.Microsecond}
	if got.Sent != want.Sent || got.Answered != want.Answered || got.MsgsPerSec != want.MsgsPerSec ||
		got.P50 != want.P50 || got.P90 != want.P90 || got.P99 != want.P99 || got.P999 != want.P999 || got.Max != want.Max {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	if got.Results[0] != 1000 || got.Results[106] != 1000 || len(got.Results) != 2 {
		t.Errorf("results %v: want the overall counts only (0: 1000, 106: 1000)", got.Results)
	}
	if got.OK() != 0.5 {
		t.Errorf("OK() = %v, want 0.5", got.OK())
	}
}

func TestHAProxyConfigIsTCPOnLoopback(t *testing.T) {
	c := HAProxyConfig("127.0.0.1:1", "127.0.0.1:2", 2)
	for _, want := range []string{"mode tcp", "bind 127.0.0.1:1", "server smg1 127.0.0.1:2", "nbthread 2"} {
		if !strings.Contains(c, want) {
			t.Errorf("config lacks %q:\n%s", want, c)
		}
	}
}

func TestGatewayYAMLParses(t *testing.T) {
	for _, p := range []string{"sgip", "cmpp2", "cmpp3", "smgp"} {
		g := Gateway{Proto: p, Listen: "127.0.0.1:7001", SMG: "127.0.0.1:7002", HTTP: "127.0.0.1:7003",
			DataDir: t.TempDir(), Inbound: "127.0.0.1:7004", Receiver: "127.0.0.1:7005", Binds: 2}
		cfg, err := config.Parse([]byte(g.YAML()))
		if err != nil {
			t.Fatalf("%s: %v\n%s", p, err, g.YAML())
		}
		if cfg.Upstream.BindsPerLoop != 2 || cfg.Accounts[0].TPS != 100_000_000 {
			t.Errorf("%s: binds %d, tps %d", p, cfg.Upstream.BindsPerLoop, cfg.Accounts[0].TPS)
		}
	}
}

func TestCountUp(t *testing.T) {
	got, err := countUp("13800000098", 3)
	if err != nil || len(got) != 3 || got[0] != "13800000098" || got[2] != "13800000100" {
		t.Errorf("countUp = %v, %v", got, err)
	}
}
