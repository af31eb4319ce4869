package proxy_test

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestHandOverSpreadsOverTheOtherLoops: three loops, one bind each; the
// bind of the SP's own loop is drained, so its loop hands every Submit to
// another loop's bind — to each of the other two in turn, not always to
// the first one found.
func TestHandOverSpreadsOverTheOtherLoops(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: func(c *config.Config) { c.Gateway.EventLoops = 3 }})
	h.eventually("three binds log in", func() bool { return h.gw.ReadyBinds() == 3 })
	c := h.client()
	own, ok := bindOf(h.gw, h.busyBind(c).Remote)
	if !ok {
		t.Fatal("the bind that carried the SP's Submit is not in Binds()")
	}
	if _, err := h.gw.DrainBind(adminCtx(t), own.ID); err != nil {
		t.Fatal(err)
	}
	before := map[string]uint64{}
	for _, b := range h.gw.Binds() {
		before[b.LocalAddr] = smgSubmitsOn(h.smg, b.LocalAddr)
	}
	const n = 10
	for i := 0; i < n; i++ {
		if r := h.submit(c, sp.MT{Users: []string{user}, ServiceCode: "FREE"}); r.Result != 0 {
			t.Fatalf("Submit %d through another loop: result %d", i, r.Result)
		}
	}
	for _, b := range h.gw.Binds() {
		got := smgSubmitsOn(h.smg, b.LocalAddr) - before[b.LocalAddr]
		want := uint64(n / 2)
		if b.ID == own.ID {
			want = 0
		}
		if got != want {
			t.Errorf("bind %d (loop %d, drained %v) took %d of the %d Submits, want %d", b.ID, b.Loop, b.Drained, got, n, want)
		}
	}
}
