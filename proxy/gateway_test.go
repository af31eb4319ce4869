package proxy_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/syncbuf"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

func forEachProtocol(t *testing.T, f func(t *testing.T, p codec.Protocol)) {
	for _, p := range variants {
		t.Run(p.String(), func(t *testing.T) { f(t, p) })
	}
}

func TestLogin(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{extraYAML: fmt.Sprintf(
			"  - {id: sp2, login: %q, secret: x, access_numbers: [\"10655999\"], allow_ips: [10.9.9.9], receiver: {addr: \"127.0.0.1:1\"}}\n",
			map[string]string{"sgip": "sp2", "cmpp": "900002", "smgp": "10002", "smpp": "900002"}[p.Family().String()])})
		login, secret := account(p)

		t.Run("good credentials log in", func(t *testing.T) {
			c, err := h.dial(login, secret)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
		wantCode := func(t *testing.T, err error, want uint32) {
			t.Helper()
			var le *sp.LoginError
			if !errors.As(err, &le) || le.Status != want {
				t.Fatalf("login error %v, want status %d", err, want)
			}
		}
		t.Run("bad password is refused with the protocol's code", func(t *testing.T) {
			_, err := h.dial(login, "wrong")
			wantCode(t, err, map[string]uint32{"sgip": 1, "cmpp": 3, "smgp": 21, "smpp": 0x0E}[p.Family().String()])
		})
		t.Run("unknown account is refused", func(t *testing.T) {
			_, err := h.dial("nobody", secret)
			wantCode(t, err, map[string]uint32{"sgip": 1, "cmpp": 2, "smgp": 21, "smpp": 0x0F}[p.Family().String()])
		})
		t.Run("IP outside the white-list is refused", func(t *testing.T) {
			sp2 := map[string]string{"sgip": "sp2", "cmpp": "900002", "smgp": "10002", "smpp": "900002"}[p.Family().String()]
			_, err := h.dial(sp2, "x")
			wantCode(t, err, map[string]uint32{"sgip": 1, "cmpp": 2, "smgp": 20, "smpp": 0x0D}[p.Family().String()])
		})
	})
}

func TestAllowedMTReachesSMGWithSequencesRewritten(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		c := h.client()
		before := h.smg.Stats().Submits
		for i := 0; i < 3; i++ {
			r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE", Text: fmt.Sprintf("free %d", i)})
			if r.Result != 0 {
				t.Fatalf("exempt MT refused with %d", r.Result)
			}
			if p != codec.SGIP && len(r.MsgID) == 0 {
				t.Fatal("Submit_Resp carries no message id")
			}
		}
		subs := h.smg.Submits()
		if got := h.smg.Stats().Submits - before; got != 3 || len(subs) < 3 {
			t.Fatalf("SMG saw %d Submits, want 3", got)
		}
		last := subs[len(subs)-1]
		if last.Text != "free 2" || last.ServiceCode != "FREE" || last.Recipients[0] != number(p, user) {
			t.Fatalf("SMG received %+v", last)
		}
	})
}

func TestRefusedMTNeverReachesSMG(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		c := h.client()
		before := h.smg.Stats().Submits
		r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "HELP"})
		if want := h.refusal(reason.NotSubscribed); r.Result != want {
			t.Fatalf("plain MT without subscription: result %d, want %d", r.Result, want)
		}
		r = h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "HELP", LinkID: "ZZZZZZZZ"})
		if want := h.refusal(reason.LinkIDUnknown); r.Result != want {
			t.Fatalf("MT with an unknown LinkID: result %d, want %d", r.Result, want)
		}
		r = h.submit(c, sp.MT{SPNumber: "10699999", Users: []string{number(p, user)}, ServiceCode: "FREE"})
		if want := h.refusal(reason.SPNumberNotAllowed); r.Result != want {
			t.Fatalf("foreign source number: result %d, want %d", r.Result, want)
		}
		if got := h.smg.Stats().Submits; got != before {
			t.Fatalf("refused MTs reached the SMG: %d Submits", got-before)
		}
	})
}

func TestMOThenMTWithItsLinkID(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		c := h.client()
		if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access + "01", Text: "HELP me"}); err != nil {
			t.Fatal(err)
		}
		d := h.nextDelivery(h.deliveries(c))
		if d.IsReport || d.Text != "HELP me" || d.LinkID == "" || d.User != number(p, user) {
			t.Fatalf("MO delivered as %+v", d)
		}
		if len(d.LinkID) > h.cfg.Upstream.Dialect().LinkIDWidth() {
			t.Fatalf("LinkID %q wider than the %d-byte slot", d.LinkID, h.cfg.Upstream.Dialect().LinkIDWidth())
		}
		h.eventually("the SMG sees the MO acknowledged", func() bool { return h.smg.Stats().MOAcked == 1 })

		r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "HELP", LinkID: d.LinkID})
		if r.Result != 0 {
			t.Fatalf("MT with the MO's LinkID refused with %d", r.Result)
		}
		r = h.submit(c, sp.MT{Users: []string{number(p, otherUser)}, ServiceCode: "HELP", LinkID: d.LinkID})
		if want := h.refusal(reason.LinkIDWrongUser); r.Result != want {
			t.Fatalf("LinkID used for another user: result %d, want %d", r.Result, want)
		}
	})
}

func TestReportReachesTheSPThatSentTheMT(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		c := h.client()
		r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE", NeedReport: true})
		if r.Result != 0 {
			t.Fatalf("result %d", r.Result)
		}
		d := h.nextDelivery(h.deliveries(c))
		if !d.IsReport || d.Stat != "DELIVRD" {
			t.Fatalf("expected a DELIVRD report, got %+v", d)
		}
		if !bytes.Equal(d.ReportMsgID, r.MsgID) {
			// SGIP: the report must name the SP's own Submit sequence, not
			// the one spsmg gave the Submit upstream.
			t.Fatalf("report names %x, the Submit was answered with %x", d.ReportMsgID, r.MsgID)
		}
		h.eventually("the SMG sees the report acknowledged", func() bool { return h.smg.Stats().ReportsAcked == 1 })
	})
}

func TestOfflineSPGetsMOAfterReconnect(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		// One loop, one bind: the SMG's MOs then reach spsmg in the order
		// it sent them (across several connections no order exists).
		h := newHarness(t, p, harnessOpt{gatewayCfg: func(c *config.Config) { c.Gateway.EventLoops = 1 }})
		if p == codec.SGIP {
			h.receiver.Close() // the SP's receiver is down
		}
		for i := 0; i < 3; i++ {
			if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access, Text: fmt.Sprintf("mo %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		// Persisted for the offline SP, so the SMG gets its acknowledgements.
		h.eventually("the SMG sees 3 MO acknowledged", func() bool { return h.smg.Stats().MOAcked == 3 })

		var ch <-chan sp.Delivery
		if p == codec.SGIP {
			r, err := sp.ListenReceiver(h.receiver.Addr().String(), "gw", "gw-password")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			ch = r.Deliveries()
		} else {
			ch = h.client().Deliveries()
		}
		for i := 0; i < 3; i++ {
			if d := h.nextDelivery(ch); d.Text != fmt.Sprintf("mo %d", i) {
				t.Fatalf("delivery %d is %q: out of order", i, d.Text)
			}
		}
	})
}

func TestSMGRestartBindsComeBackAndNoSubmitIsLeftUnanswered(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{smgConfig: func(c *smg.Config) { c.Delay = 200 * time.Millisecond }})
		c := h.client()
		type answer struct {
			r   sp.SubmitResult
			err error
		}
		answers := make(chan answer, 8)
		for i := 0; i < 8; i++ {
			err := c.SubmitAsync(context.Background(), sp.MT{SPNumber: access, Users: []string{number(p, user)}, ServiceCode: "FREE", Text: "x"},
				func(r sp.SubmitResult, err error) { answers <- answer{r, err} })
			if err != nil {
				t.Fatal(err)
			}
		}
		h.eventually("the SMG holds Submits", func() bool { return h.smg.Stats().Connections > 0 })
		addr := h.smg.Addr()
		h.smg.Close() // the SMG dies with Submits in flight
		for i := 0; i < 8; i++ {
			select {
			case a := <-answers:
				if a.err != nil {
					t.Fatalf("Submit %d: %v", i, a.err)
				}
				if a.r.Result != 0 && a.r.Result != h.refusal(reason.UpstreamTimeout) {
					t.Fatalf("Submit %d answered %d, want 0 or the retryable %d", i, a.r.Result, h.refusal(reason.UpstreamTimeout))
				}
			case <-time.After(testWait):
				t.Fatalf("Submit %d left unanswered after the SMG died", i)
			}
		}
		s2, err := smg.Start(smg.Config{Dialect: h.cfg.Upstream.Dialect(), Addr: addr, Accounts: map[string]string{smgLogin: smgSecret}, Logger: testLogger(),
			ReceiverAddr: h.inbound, ReceiverLogin: inboundLog, ReceiverPassword: inboundPW})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s2.Close() })
		h.eventually("the binds come back", func() bool { return s2.Stats().LoggedIn > 0 && h.gw.ReadyBinds() > 0 })
		if r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE"}); r.Result != 0 {
			t.Fatalf("after the restart: result %d", r.Result)
		}
	})
}

// TestReportRouteFromDisk: a report arriving after its route left memory
// (authorization.route_cache_ttl) is routed from the store.
func TestReportRouteFromDisk(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP} {
		t.Run(p.String(), func(t *testing.T) {
			h := newHarness(t, p, harnessOpt{
				smgConfig:  func(c *smg.Config) { c.ReportDelay = 2500 * time.Millisecond },
				gatewayCfg: func(c *config.Config) { c.Authorization.RouteCacheTTL = time.Second },
			})
			c := h.client()
			r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE", NeedReport: true})
			if r.Result != 0 {
				t.Fatalf("result %d", r.Result)
			}
			d := h.nextDelivery(h.deliveries(c))
			if !d.IsReport || !bytes.Equal(d.ReportMsgID, r.MsgID) {
				t.Fatalf("report %+v for %x", d, r.MsgID)
			}
		})
	}
}

// TestUnroutableReportIsLogged: a report no SP can be found for (here an
// SGIP report after its route expired) is acknowledged to the SMG and
// logged with its message id and the reason, not only counted.
func TestUnroutableReportIsLogged(t *testing.T) {
	p := codec.SGIP
	var logs syncbuf.Buffer
	h := newHarness(t, p, harnessOpt{
		log:       slog.New(slog.NewTextHandler(&logs, nil)),
		smgConfig: func(c *smg.Config) { c.ReportDelay = 2500 * time.Millisecond },
		gatewayCfg: func(c *config.Config) {
			c.Authorization.RouteTTL = time.Second
			c.Authorization.RouteCacheTTL = time.Second
		},
	})
	c := h.client()
	if r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE", NeedReport: true}); r.Result != 0 {
		t.Fatalf("result %d", r.Result)
	}
	h.eventually("the SMG sees the report acknowledged", func() bool { return h.smg.Stats().ReportsAcked == 1 })
	subs := h.smg.Submits()
	id := hex.EncodeToString(subs[len(subs)-1].MsgID)
	h.eventually("the unroutable report is logged", func() bool {
		return strings.Contains(logs.String(), "status report unroutable")
	})
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "status report unroutable") {
			line = l
		}
	}
	if !strings.Contains(line, "msgid="+id) || !strings.Contains(line, "reason=\"no route") {
		t.Fatalf("log line %q: want msgid=%s and the reason", line, id)
	}
	select {
	case d := <-h.deliveries(c):
		t.Fatalf("the SP got %+v", d)
	default:
	}
}

// failingStore fails every write while failing is set.
type failingStore struct {
	authcache.Store
	failing atomic.Bool
}

func (f *failingStore) Apply(b []authcache.Mutation) error {
	if f.failing.Load() {
		return errors.New("disk on fire")
	}
	return f.Store.Apply(b)
}

// TestSGIPReportSubmitWaitsForDurableRoute: an SGIP Submit that asks for a
// report reaches the SMG only once its report route is written; when the
// store fails the write, the SP gets the retryable store_unavailable result
// and the SMG never sees the Submit.
func TestSGIPReportSubmitWaitsForDurableRoute(t *testing.T) {
	p := codec.SGIP
	fs := &failingStore{}
	h := newHarness(t, p, harnessOpt{wrapStore: func(st authcache.Store) authcache.Store { fs.Store = st; return fs }})
	c := h.client()
	mt := sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE", NeedReport: true}
	if r := h.submit(c, mt); r.Result != 0 {
		t.Fatalf("with a working store: result %d", r.Result)
	}
	before := h.smg.Stats().Submits
	fs.failing.Store(true)
	if r := h.submit(c, mt); r.Result != h.refusal(reason.StoreUnavailable) {
		t.Fatalf("route write failed: result %d, want store_unavailable %d", r.Result, h.refusal(reason.StoreUnavailable))
	}
	if got := h.smg.Stats().Submits; got != before {
		t.Fatalf("the SMG received %d Submits whose report routes were not written", got-before)
	}
	fs.failing.Store(false)
	// After 3 failed batches the engine refuses every MT until a write
	// succeeds (the SMG's resent report, or the minute's probe): retry as
	// an SP does on a retryable result.
	h.eventually("a Submit asking for a report passes once the store writes again", func() bool {
		return h.submit(c, mt).Result == 0
	})
	// The reports of the first and the last Submit (the first one's resent
	// by the SMG if the failing store refused it).
	got := map[string]bool{}
	for len(got) < 2 {
		d := h.nextDelivery(h.deliveries(c))
		if !d.IsReport {
			t.Fatalf("got %+v, want a report", d)
		}
		got[hex.EncodeToString(d.ReportMsgID)] = true
	}
}
