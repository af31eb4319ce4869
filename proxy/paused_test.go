package proxy_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestPausedSubscriptionRefused: a relation a carrier paused refuses the
// SP's MT with subscription_paused (SGIP 108, CMPP 108, SMGP 133, SMPP
// 0x046C), counted
// by that reason, until it is resumed.
func TestPausedSubscriptionRefused(t *testing.T) {
	want := map[string]uint32{"sgip": 108, "cmpp": 108, "smgp": 133, "smpp": 0x046C}
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		c := h.client()
		sync := func(op authcache.SyncOp, v int64) {
			t.Helper()
			if _, err := h.engine.ApplySync(authcache.SyncChange{SP: "sp1", User: user, ServiceCode: "HELP", Op: op, Version: v}); err != nil {
				t.Fatal(err)
			}
		}
		mt := sp.MT{Users: []string{number(p, user)}, ServiceCode: "HELP"}
		sync(authcache.SyncSubscribe, 1)
		if r := h.submit(c, mt); r.Result != 0 {
			t.Fatalf("subscribed: result %d", r.Result)
		}
		sync(authcache.SyncPause, 2)
		before := h.smg.Stats().Submits
		r := h.submit(c, mt)
		if r.Result != want[p.Family().String()] || r.Result != h.refusal(reason.SubscriptionPaused) {
			t.Fatalf("paused: result %d, want %d", r.Result, want[p.Family().String()])
		}
		if got := h.smg.Stats().Submits; got != before {
			t.Fatal("a paused relation's MT reached the SMG")
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(h.gw.Collector())
		if n := decisions(t, reg, "refuse", "subscription_paused"); n != 1 {
			t.Errorf("spsmg_mt_decisions_total{reason=\"subscription_paused\"} = %v", n)
		}
		sync(authcache.SyncResume, 3)
		if r := h.submit(c, mt); r.Result != 0 {
			t.Fatalf("resumed: result %d", r.Result)
		}
	})
}

// decisions reads sp1's spsmg_mt_decisions_total for result and reason.
func decisions(t *testing.T, reg prometheus.Gatherer, result, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "spsmg_mt_decisions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["sp"] == "sp1" && l["result"] == result && l["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
