package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	cmppgo "github.com/bigwhite/gocmpp"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestGocmppClient drives the CMPP 3.0 leg with an independent
// implementation as the SP: github.com/bigwhite/gocmpp.
func TestGocmppClient(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	c := cmppgo.NewClient(cmppgo.V30)
	if err := c.Connect(h.spAddr, "900001", "888888", 5*time.Second); err != nil {
		t.Fatalf("gocmpp connect: %v", err)
	}
	defer c.Disconnect()
	bad := cmppgo.NewClient(cmppgo.V30)
	if err := bad.Connect(h.spAddr, "900001", "wrong", 5*time.Second); err == nil {
		t.Fatal("gocmpp logged in with a wrong secret")
	}

	submit := func(service, linkID string) *cmppgo.Cmpp3SubmitRspPkt {
		t.Helper()
		seq, err := c.SendReqPkt(&cmppgo.Cmpp3SubmitReqPkt{
			PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1, ServiceId: service,
			FeeUserType: 2, FeeTerminalId: user, MsgFmt: 0, MsgSrc: "900001", FeeType: "01", FeeCode: "0",
			SrcId: access, DestUsrTl: 1, DestTerminalId: []string{user}, MsgLength: 5, MsgContent: "hello", LinkId: linkID,
		})
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := c.RecvAndUnpackPkt(5 * time.Second)
			if err != nil {
				t.Fatalf("gocmpp receive: %v", err)
			}
			if r, ok := p.(*cmppgo.Cmpp3SubmitRspPkt); ok {
				if r.SeqId != seq {
					t.Fatalf("response sequence %d, the Submit was %d", r.SeqId, seq)
				}
				return r
			}
		}
	}
	if r := submit("HELP", ""); r.Result != h.refusal(reason.NotSubscribed) {
		t.Fatalf("unsubscribed MT: result %d", r.Result)
	}
	r := submit("FREE", "")
	if r.Result != 0 || r.MsgId == 0 {
		t.Fatalf("exempt MT: %+v", r)
	}
	// The report for it arrives as a gocmpp Deliver naming the Msg_Id.
	for {
		p, err := c.RecvAndUnpackPkt(5 * time.Second)
		if err != nil {
			t.Fatalf("waiting for the report: %v", err)
		}
		d, ok := p.(*cmppgo.Cmpp3DeliverReqPkt)
		if !ok {
			continue
		}
		if d.RegisterDelivery != 1 {
			t.Fatalf("expected a report, got an MO %+v", d)
		}
		if err := c.SendRspPkt(&cmppgo.Cmpp3DeliverRspPkt{MsgId: d.MsgId}, d.SeqId); err != nil {
			t.Fatal(err)
		}
		rep, err := cmpp.DecodeReport([]byte(d.MsgContent))
		if err != nil || rep.MsgID != r.MsgId || rep.Stat != "DELIVRD" {
			t.Fatalf("report %+v (%v) for Msg_Id %d", rep, err, r.MsgId)
		}
		break
	}
}

func TestLimits(t *testing.T) {
	p := codec.CMPP30
	h := newHarness(t, p, harnessOpt{
		smgConfig: func(c *smg.Config) { c.Delay = 300 * time.Millisecond },
		gatewayCfg: func(c *config.Config) {
			c.Accounts[0].Window = 4
			c.Accounts[0].MaxConnections = 2
		},
	})
	c := h.client()

	t.Run("a full window answers with flow control", func(t *testing.T) {
		results := make(chan uint32, 8)
		for i := 0; i < 8; i++ {
			if err := c.SubmitAsync(context.Background(), sp.MT{SPNumber: access, Users: []string{user}, ServiceCode: "FREE", Text: "w"},
				func(r sp.SubmitResult, err error) { results <- r.Result }); err != nil {
				t.Fatal(err)
			}
		}
		var ok, full int
		for i := 0; i < 8; i++ {
			switch <-results {
			case 0:
				ok++
			case h.refusal(reason.WindowFull):
				full++
			}
		}
		if ok != 4 || full != 4 {
			t.Fatalf("window 4, 8 Submits at once: %d forwarded, %d window_full", ok, full)
		}
	})

	t.Run("more connections than allowed are refused", func(t *testing.T) {
		c2 := h.client()
		_ = c2
		_, err := h.dial(account(p))
		var le *sp.LoginError
		if !errors.As(err, &le) || le.Status != 5 {
			t.Fatalf("third connection: %v, want status 5", err)
		}
	})

	t.Run("TPS over the limit answers with flow control", func(t *testing.T) {
		h2 := newHarness(t, p, harnessOpt{gatewayCfg: func(c *config.Config) { c.Accounts[0].TPS = 5 }})
		c := h2.client()
		var limited int
		for i := 0; i < 20; i++ {
			if r := h2.submit(c, sp.MT{Users: []string{user}, ServiceCode: "FREE"}); r.Result == h2.refusal(reason.FlowControl) {
				limited++
			}
		}
		if limited == 0 {
			t.Fatal("20 Submits at once with tps 5: none was refused with flow control")
		}
	})
}

func TestReloadRotatesCredentialsWithoutDroppingConnections(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	c := h.client()
	next := *h.cfg
	next.Accounts = append([]config.Account(nil), h.cfg.Accounts...)
	next.Accounts[0].Secret = "rotated"
	if err := h.gw.Reload(&next); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if r := h.submit(c, sp.MT{Users: []string{user}, ServiceCode: "FREE"}); r.Result != 0 {
		t.Fatalf("connection logged in before the reload: result %d", r.Result)
	}
	if _, err := h.dial("900001", "888888"); err == nil {
		t.Fatal("the old secret still logs in")
	}
	c2, err := h.dial("900001", "rotated")
	if err != nil {
		t.Fatalf("the new secret: %v", err)
	}
	c2.Close()
}

// TestWebSubscriptionByMO walks docs/authorization.md §3 steps 8–20 on the wire:
// the user's Y reaches spsmg addressed to portal+ID, the SP gets a Noti_SP
// MO with a LinkID, its DZTZ notice records the subscription, and plain
// MTs pass from then on; N records nothing.
func TestWebSubscriptionByMO(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		c := h.client()
		deliveries := h.deliveries(c)

		id, err := h.engine.RequestSubscription(authcache.SubscriptionRequest{SP: "sp1", SPNumber: access, ServiceCode: "NEWS", User: user, Text: "DZ NEWS"})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: h.engine.ConfirmationNumber(id), Text: "Y"}); err != nil {
			t.Fatal(err)
		}
		noti := h.nextDelivery(deliveries)
		if noti.IsReport || noti.Text != "DZ NEWS" || noti.LinkID == "" || noti.SPNumber != access {
			t.Fatalf("Noti_SP delivered as %+v", noti)
		}
		h.eventually("the Y is acknowledged to the SMG", func() bool { return h.smg.Stats().MOAcked == 1 })

		if r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "NEWS"}); r.Result != h.refusal(reason.NotSubscribed) {
			t.Fatalf("before the notice: result %d", r.Result)
		}
		if r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "DZTZ", LinkID: noti.LinkID, Text: "subscribed"}); r.Result != 0 {
			t.Fatalf("DZTZ notice refused with %d", r.Result)
		}
		if r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "NEWS"}); r.Result != 0 {
			t.Fatalf("subscription MT refused with %d", r.Result)
		}

		// Unsubscribe by MO: TD + service code; the SP still gets the MO.
		if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access, Text: "TDNEWS"}); err != nil {
			t.Fatal(err)
		}
		if d := h.nextDelivery(deliveries); d.Text != "TDNEWS" {
			t.Fatalf("unsubscribe MO delivered as %+v", d)
		}
		h.eventually("the TD is acknowledged", func() bool { return h.smg.Stats().MOAcked == 2 })
		if r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "NEWS"}); r.Result != h.refusal(reason.NotSubscribed) {
			t.Fatalf("after TD: result %d", r.Result)
		}

		// N: nothing recorded, nothing delivered.
		id2, err := h.engine.RequestSubscription(authcache.SubscriptionRequest{SP: "sp1", SPNumber: access, ServiceCode: "HELP", User: otherUser})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.smg.InjectMO(smg.MO{User: number(p, otherUser), SPNumber: h.engine.ConfirmationNumber(id2), Text: "N"}); err != nil {
			t.Fatal(err)
		}
		h.eventually("the N is acknowledged", func() bool { return h.smg.Stats().MOAcked == 3 })
		select {
		case d := <-deliveries:
			t.Fatalf("an N reply reached the SP: %+v", d)
		default:
		}
		if r := h.submit(c, sp.MT{Users: []string{number(p, otherUser)}, ServiceCode: "HELP"}); r.Result != h.refusal(reason.NotSubscribed) {
			t.Fatalf("after N: result %d", r.Result)
		}
	})
}

func TestOriginate(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		res, err := h.gw.Originate(ctx, proxy.Origination{SPNumber: portal + "1234", User: number(p, user), Text: "Your code is 123456", CorpID: "12345"})
		if err != nil || res.Result != 0 {
			t.Fatalf("Originate: %+v, %v", res, err)
		}
		subs := h.smg.Submits()
		last := subs[len(subs)-1]
		if last.SPNumber != portal+"1234" || last.Text != "Your code is 123456" {
			t.Fatalf("SMG received %+v", last)
		}
	})
}

// An MT spsmg originates (web code, Noti_User) is a Submit to the SMG like
// any other: its round trip is observed in spsmg_submit_rtt_seconds.
func TestOriginateObservesSubmitRTT(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	const delay = 30 * time.Millisecond
	h.smg.SetDelay(delay)
	count0, sum0 := h.histogram("spsmg_submit_rtt_seconds")
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	res, err := h.gw.Originate(ctx, proxy.Origination{SPNumber: portal + "1234", User: user, Text: "Your code is 123456"})
	if err != nil || res.Result != 0 {
		t.Fatalf("Originate: %+v, %v", res, err)
	}
	// The loop publishes its histograms at the end of the callback that
	// handled the answer, which may be just after Originate returns.
	var count uint64
	var sum float64
	h.eventually("the round trip is published", func() bool {
		count, sum = h.histogram("spsmg_submit_rtt_seconds")
		return count != count0
	})
	if count != count0+1 {
		t.Fatalf("spsmg_submit_rtt_seconds count %d after one originated MT, was %d", count, count0)
	}
	if got := sum - sum0; got < delay.Seconds() {
		t.Fatalf("observed round trip %.4f s; the SMG held the answer %v", got, delay)
	}
}

func TestShutdownSaysGoodbye(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{})
	c := h.client()
	h.stop()
	select {
	case <-c.Done():
	case <-time.After(testWait):
		t.Fatal("the SP connection is still open after Shutdown")
	}
	if errs := c.ProtocolErrors(); len(errs) > 0 {
		t.Fatalf("protocol errors on the SP side: %v", errs)
	}
	h.eventually("the SMG saw its binds log out", func() bool { return h.smg.Stats().Closes["logout"] > 0 })
	_ = fmt.Sprint()
}
