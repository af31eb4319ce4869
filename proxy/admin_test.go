package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

func adminCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	t.Cleanup(cancel)
	return ctx
}

// decided is the number of sp1's Submits the gateway decided with reason.
func decided(gw *proxy.Gateway, reason string) uint64 {
	s := gw.Snapshot()
	for i, r := range s.Reasons {
		if r.Name == reason {
			var n uint64
			for _, a := range s.Accounts {
				n += a.Decisions[i]
			}
			return n
		}
	}
	return 0
}

// TestSuspendedAccount: a suspended SP's Submits get account_suspended at
// once and never reach the SMG; its connection stays, it may log in again,
// its MO still reach it; resumed, its Submits pass again. Every protocol.
func TestSuspendedAccount(t *testing.T) {
	for _, p := range variants {
		t.Run(p.String(), func(t *testing.T) {
			h := newHarness(t, p, harnessOpt{})
			c := h.client()
			free := sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE"}
			if r := h.submit(c, free); r.Result != 0 {
				t.Fatalf("before the suspension: result %d", r.Result)
			}
			if h.gw.Suspended("sp1") {
				t.Fatal("suspended before anyone suspended it")
			}
			changed, err := h.gw.Suspend(adminCtx(t), "sp1", "ops", "unpaid invoice")
			if err != nil || !changed {
				t.Fatalf("Suspend: changed %v, %v", changed, err)
			}
			if changed, err := h.gw.Suspend(adminCtx(t), "sp1", "ops", ""); err != nil || changed {
				t.Fatalf("Suspend again: changed %v, %v; want an unchanged no-op", changed, err)
			}
			atSMG := len(h.smg.Submits())
			want := h.refusal(reason.AccountSuspended)
			if want == 0 {
				t.Fatal("no result code for account_suspended")
			}
			for i := 0; i < 3; i++ {
				if r := h.submit(c, free); r.Result != want {
					t.Fatalf("suspended: result %d, want account_suspended %d", r.Result, want)
				}
			}
			if n := len(h.smg.Submits()); n != atSMG {
				t.Fatalf("%d Submits of a suspended SP reached the SMG", n-atSMG)
			}
			if n := decided(h.gw, reason.AccountSuspended.String()); n != 3 {
				t.Fatalf("account_suspended decisions: %d, want 3", n)
			}
			// Its connection stays; it may log in again; MO still reach it.
			login, secret := account(p)
			c2, err := h.dial(login, secret)
			if err != nil {
				t.Fatalf("a suspended SP logging in again: %v", err)
			}
			defer c2.Close()
			if r := h.submit(c2, free); r.Result != want {
				t.Fatalf("suspended, second connection: result %d, want %d", r.Result, want)
			}
			if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access, Text: "HELP"}); err != nil {
				t.Fatal(err)
			}
			ch := h.deliveries(c)
			if h.receiver == nil { // CMPP/SMGP: it may arrive on either connection
				select {
				case d := <-c.Deliveries():
					_ = d
				case d := <-c2.Deliveries():
					_ = d
				case <-time.After(testWait):
					t.Fatal("an MO did not reach the suspended SP")
				}
			} else if d := h.nextDelivery(ch); d.IsReport {
				t.Fatalf("got a report, want the MO: %+v", d)
			}
			snap := h.gw.Snapshot()
			if a := snap.Accounts[0]; !a.Suspended || a.Suspension.By != "ops" || a.Suspension.Reason != "unpaid invoice" || a.Suspension.Since.IsZero() {
				t.Fatalf("snapshot of the suspended account: %+v", a)
			}
			if changed, err := h.gw.Resume(adminCtx(t), "sp1"); err != nil || !changed {
				t.Fatalf("Resume: changed %v, %v", changed, err)
			}
			if r := h.submit(c, free); r.Result != 0 {
				t.Fatalf("resumed: result %d", r.Result)
			}
			if changed, err := h.gw.Resume(adminCtx(t), "sp1"); err != nil || changed {
				t.Fatalf("Resume again: changed %v, %v; want an unchanged no-op", changed, err)
			}
			if _, err := h.gw.Suspend(adminCtx(t), "nobody", "ops", ""); !errors.Is(err, proxy.ErrUnknownAccount) {
				t.Fatalf("Suspend of an unknown account: %v", err)
			}
		})
	}
}

// TestSuspensionSurvivesReloadAndRestart: the suspension is in the store,
// so a reload, the account removed and added back by reloads, and a
// restart all keep it; a resume is kept the same way.
func TestSuspensionSurvivesReloadAndRestart(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{dataDir: t.TempDir()})
	free := sp.MT{Users: []string{user}, ServiceCode: "FREE"}
	want := h.refusal(reason.AccountSuspended)
	refused := func(when string) {
		t.Helper()
		c := h.client()
		if r := h.submit(c, free); r.Result != want {
			t.Fatalf("%s: result %d, want account_suspended %d", when, r.Result, want)
		}
		c.Close()
	}
	if _, err := h.gw.Suspend(adminCtx(t), "sp1", "ops", "audit"); err != nil {
		t.Fatal(err)
	}
	refused("suspended")
	if err := h.gw.Reload(h.cfg); err != nil {
		t.Fatal(err)
	}
	refused("after a reload")

	without := *h.cfg
	without.Accounts = nil
	if err := h.gw.Reload(&without); err != nil {
		t.Fatal(err)
	}
	if h.gw.Suspended("sp1") {
		t.Fatal("a removed account reads as suspended")
	}
	if err := h.gw.Reload(h.cfg); err != nil {
		t.Fatal(err)
	}
	refused("removed and added back")

	h.stop()
	h.start()
	refused("after a restart")
	if a := h.gw.Snapshot().Accounts[0]; !a.Suspended || a.Suspension.By != "ops" || a.Suspension.Reason != "audit" {
		t.Fatalf("the record after a restart: %+v", a)
	}
	if _, err := h.gw.Resume(adminCtx(t), "sp1"); err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.start()
	c := h.client()
	if r := h.submit(c, free); r.Result != 0 {
		t.Fatalf("resumed, then restarted: result %d", r.Result)
	}
}

// smgSubmitsOn counts the Submits the SMG answered on the connection whose
// peer is a bind's local address.
func smgSubmitsOn(s *smg.Server, addr string) uint64 {
	for _, c := range s.Conns() {
		if c.Remote == addr {
			return c.Submits
		}
	}
	return 0
}

// TestDrainBind: a drained bind takes no new Submit (the others take them),
// answers the ones it has in flight, stays drained when it is dialled
// again, and takes Submits again once restored; with every bind drained
// Submits get upstream_unavailable and the gateway is not ready.
func TestDrainBind(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	h.eventually("both binds log in", func() bool { return h.gw.ReadyBinds() == 2 })
	binds := h.gw.Binds()
	a, b := binds[0], binds[1]
	c := h.client()
	free := sp.MT{Users: []string{user}, ServiceCode: "FREE"}

	if changed, err := h.gw.DrainBind(adminCtx(t), a.ID); err != nil || !changed {
		t.Fatalf("DrainBind: changed %v, %v", changed, err)
	}
	if changed, err := h.gw.DrainBind(adminCtx(t), a.ID); err != nil || changed {
		t.Fatalf("DrainBind again: changed %v, %v", changed, err)
	}
	onA, onB := smgSubmitsOn(h.smg, a.LocalAddr), smgSubmitsOn(h.smg, b.LocalAddr)
	for i := 0; i < 20; i++ {
		if r := h.submit(c, free); r.Result != 0 {
			t.Fatalf("one bind drained: result %d", r.Result)
		}
	}
	if n := smgSubmitsOn(h.smg, a.LocalAddr) - onA; n != 0 {
		t.Fatalf("the drained bind took %d Submits", n)
	}
	if n := smgSubmitsOn(h.smg, b.LocalAddr) - onB; n != 20 {
		t.Fatalf("the other bind took %d of 20 Submits", n)
	}
	if r := h.gw.Readiness(); !r.Ready || r.HealthyBinds != 1 {
		t.Fatalf("one of two binds drained: %+v", r)
	}

	// A Submit in flight on a bind that is drained is answered by the SMG.
	// The SMG holds the answer for a while, but less than the harness's
	// response_timeout (3 s): past it the Submit would be answered
	// upstream_timeout, drained bind or not.
	h.smg.SetDelay(2 * time.Second)
	res := make(chan sp.SubmitResult, 1)
	if err := c.SubmitAsync(adminCtx(t), sp.MT{SPNumber: access, Users: []string{user}, ServiceCode: "FREE", Text: "slow"}, func(r sp.SubmitResult, err error) {
		if err != nil {
			r.Result = 1 << 31
		}
		res <- r
	}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the Submit is in flight", func() bool {
		cs := h.gw.Snapshot().Connections
		return len(cs) == 1 && cs[0].Inflight == 1
	})
	if _, err := h.gw.DrainBind(adminCtx(t), b.ID); err != nil {
		t.Fatal(err)
	}
	if cs := h.gw.Snapshot().Connections; cs[0].Inflight != 1 {
		t.Fatal("the SMG answered before the drain: the test proves nothing (raise the delay)")
	}
	h.smg.SetDelay(0)
	if r := h.submit(c, free); r.Result != h.refusal(reason.UpstreamUnavailable) {
		t.Fatalf("every bind drained: result %d, want upstream_unavailable %d", r.Result, h.refusal(reason.UpstreamUnavailable))
	}
	select {
	case r := <-res:
		if r.Result != 0 {
			t.Fatalf("the Submit in flight on the drained bind: result %d, want the SMG's 0", r.Result)
		}
	case <-time.After(testWait):
		t.Fatal("the Submit in flight on the drained bind was never answered")
	}
	if r := h.gw.Readiness(); r.Ready || r.Reason != "every healthy SMG bind is drained (admin API)" {
		t.Fatalf("every bind drained: %+v", r)
	}
	if v := h.metric("spsmg_upstream_bind_drained", "bind", fmt.Sprint(a.ID)); v != 1 {
		t.Fatalf("spsmg_upstream_bind_drained{bind=%d} = %v", a.ID, v)
	}

	// Restore b; a stays drained across a re-dial of every bind.
	if changed, err := h.gw.RestoreBind(adminCtx(t), b.ID); err != nil || !changed {
		t.Fatalf("RestoreBind: changed %v, %v", changed, err)
	}
	h.smg.Kick()
	h.eventually("both binds log in again", func() bool {
		n := 0
		for _, x := range h.gw.Binds() {
			if x.State == "logged_in" && x.Logins == 2 {
				n++
			}
		}
		return n == 2
	})
	c.Close()
	c = h.client()
	var newA, newB proxy.BindStatus
	for _, x := range h.gw.Binds() {
		switch x.ID {
		case a.ID:
			newA = x
		case b.ID:
			newB = x
		}
	}
	if !newA.Drained || newB.Drained {
		t.Fatalf("after the re-dial: a drained %v, b drained %v; want true, false", newA.Drained, newB.Drained)
	}
	onA = smgSubmitsOn(h.smg, newA.LocalAddr)
	for i := 0; i < 10; i++ {
		if r := h.submit(c, free); r.Result != 0 {
			t.Fatalf("b restored: result %d", r.Result)
		}
	}
	if n := smgSubmitsOn(h.smg, newA.LocalAddr) - onA; n != 0 {
		t.Fatalf("the bind re-dialled into a drained slot took %d Submits", n)
	}
	if _, err := h.gw.RestoreBind(adminCtx(t), a.ID); err != nil {
		t.Fatal(err)
	}
	// A connection sends through its own loop's bind: c and a second
	// connection, which least-connections balancing puts on the other
	// loop, cover both.
	c2 := h.client()
	defer c2.Close()
	h.eventually("the restored bind takes Submits", func() bool {
		_ = h.submit(c, free)
		_ = h.submit(c2, free)
		return smgSubmitsOn(h.smg, newA.LocalAddr) > onA
	})
	if _, err := h.gw.DrainBind(adminCtx(t), 999); !errors.Is(err, proxy.ErrUnknownBind) {
		t.Fatalf("DrainBind of an unknown bind: %v", err)
	}
}

// TestCloseConnection: the operator closes one connection by the number
// the snapshot shows; the account's other connection goes on; the close
// is counted under reason admin.
func TestCloseConnection(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	c1 := h.client()
	c2 := h.client()
	conns := h.gw.Snapshot().Connections
	if len(conns) != 2 || conns[0].ID == conns[1].ID || conns[0].Account != "sp1" || conns[0].Remote != "127.0.0.1" {
		t.Fatalf("connections: %+v", conns)
	}
	// Which snapshot entry is c1: the newer connection has the higher id.
	id := conns[0].ID
	closed, err := h.gw.CloseConnection(id)
	if err != nil || closed.Account != "sp1" || closed.Remote != "127.0.0.1" {
		t.Fatalf("CloseConnection: %+v, %v", closed, err)
	}
	select {
	case <-c1.Done():
	case <-time.After(testWait):
		t.Fatal("the first connection is still open")
	}
	if r := h.submit(c2, sp.MT{Users: []string{user}, ServiceCode: "FREE"}); r.Result != 0 {
		t.Fatalf("the other connection: result %d", r.Result)
	}
	h.eventually("the close is counted under admin", func() bool {
		return h.metric("spsmg_connections_closed_total", "reason", "admin") == 1
	})
	if _, err := h.gw.CloseConnection(id); !errors.Is(err, proxy.ErrUnknownConnection) {
		t.Fatalf("closing it again: %v", err)
	}
}

// TestSnapshot: connections with their account, address, start and
// Submits; decisions by reason; binds; each loop's round-trip histogram.
func TestSnapshot(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	before := time.Now()
	c := h.client()
	for i := 0; i < 7; i++ {
		h.submit(c, sp.MT{Users: []string{user}, ServiceCode: "FREE"})
	}
	h.submit(c, sp.MT{Users: []string{user}, ServiceCode: "NEWS"}) // not subscribed
	s := h.gw.Snapshot()
	if len(s.Connections) != 1 {
		t.Fatalf("connections: %+v", s.Connections)
	}
	cs := s.Connections[0]
	if cs.Account != "sp1" || cs.Remote != "127.0.0.1" || cs.Role != "sp" || cs.Window != 32 || cs.Submits != 8 ||
		cs.Since.Before(before.Add(-time.Second)) || cs.Since.After(time.Now()) {
		t.Fatalf("connection: %+v", cs)
	}
	if n := decided(h.gw, "exempt"); n != 7 {
		t.Fatalf("exempt decisions %d, want 7", n)
	}
	if n := decided(h.gw, "not_subscribed"); n != 1 {
		t.Fatalf("not_subscribed decisions %d, want 1", n)
	}
	if len(s.Binds) != 2 || len(s.Loops) != 2 || len(s.Loops[0].SubmitRTT) != len(s.RTTBounds)+1 {
		t.Fatalf("binds %d, loops %+v", len(s.Binds), s.Loops)
	}
	var rtts uint64
	for _, l := range s.Loops {
		for _, n := range l.SubmitRTT {
			rtts += n
		}
	}
	if rtts != 7 {
		t.Fatalf("round trips in the histograms: %d, want 7", rtts)
	}
	if a := s.Accounts[0]; a.ID != "sp1" || a.Connections != 1 || a.Suspended || a.TPS != 100000 {
		t.Fatalf("account: %+v", a)
	}
}
