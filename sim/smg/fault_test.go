package smg

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/smgp"
)

// quiet is how long a test watches a faulted connection stay silent: a
// bounded negative check, not a synchronisation.
const quiet = 150 * time.Millisecond

// expectSilence checks that nothing arrives on c for quiet.
func (c *tclient) expectSilence() {
	c.t.Helper()
	f, err := c.read(quiet)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("got %x (%v), want nothing", f, err)
	}
}

func (c *tclient) activeTest(seq uint32) {
	if c.proto.Family().String() == "cmpp" {
		c.send(cmpp.AppendActiveTest(nil, seq))
	} else {
		c.send(smgp.AppendActiveTest(nil, seq))
	}
}

// connOf finds the Server's record of the client's connection.
func connOf(t *testing.T, s *Server, c *tclient) ConnInfo {
	t.Helper()
	for _, ci := range s.Conns() {
		if ci.Remote == c.nc.LocalAddr().String() {
			return ci
		}
	}
	t.Fatalf("no connection from %s in %+v", c.nc.LocalAddr(), s.Conns())
	return ConnInfo{}
}

func TestConnsListsConnectionsInAcceptOrder(t *testing.T) {
	s := startServer(t, codec.CMPP30, nil)
	a := dialClient(t, codec.CMPP30, s.Addr())
	a.mustLogin(0)
	b := dialClient(t, codec.CMPP30, s.Addr())
	b.mustLogin(0)
	b.submit(submitSpec{dests: []string{"13800000001"}})
	b.expectKind(codec.KindSubmitResp)
	cs := s.Conns()
	if len(cs) != 2 || cs[0].Remote != a.nc.LocalAddr().String() || cs[1].Remote != b.nc.LocalAddr().String() {
		t.Fatalf("Conns = %+v, want a (%s) then b (%s)", cs, a.nc.LocalAddr(), b.nc.LocalAddr())
	}
	if !cs[0].LoggedIn || cs[0].Account != testLogin || cs[0].Submits != 0 || cs[1].Submits != 1 {
		t.Fatalf("Conns = %+v", cs)
	}
}

// A stalled connection reads nothing more, while the others keep working
// and the SMG's own Active_Tests still go out on it; clearing the fault
// answers what waited.
func TestFaultStallStopsReadingOneConnection(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SMGP30, codec.SGIP} {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, nil)
			a := dialClient(t, p, s.Addr())
			a.mustLogin(smgp.LoginModeTransmit)
			b := dialClient(t, p, s.Addr())
			b.mustLogin(smgp.LoginModeTransmit)
			if !s.SetConnFault(a.nc.LocalAddr().String(), FaultStall) {
				t.Fatal("SetConnFault found no connection")
			}
			if f := connOf(t, s, a).Fault; f != FaultStall {
				t.Fatalf("Conns reports fault %v", f)
			}
			a.submit(submitSpec{dests: []string{"8613800000001"}})
			b.submit(submitSpec{dests: []string{"8613800000002"}})
			b.expectKind(codec.KindSubmitResp)
			a.expectSilence()
			if n := connOf(t, s, a).Submits; n != 0 {
				t.Fatalf("the stalled connection answered %d Submits", n)
			}
			if p != codec.SGIP {
				s.SetActiveTestInterval(20 * time.Millisecond)
				a.expectKind(codec.KindActiveTest) // the SMG's own, on the stalled connection
				s.SetActiveTestInterval(0)
			}
			s.SetConnFault(a.nc.LocalAddr().String(), FaultNone)
			for {
				_, v := a.next()
				if v.Kind == codec.KindSubmitResp {
					break
				}
				if v.Kind != codec.KindActiveTest {
					t.Fatalf("got %v after the stall ended", v.Kind)
				}
			}
		})
	}
}

func TestFaultDropSubmitsAnswersEverythingElse(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, func(c *Config) { c.ActiveTestInterval = 20 * time.Millisecond })
			a := dialClient(t, p, s.Addr())
			a.mustLogin(smgp.LoginModeTransmit)
			s.SetFault(FaultDropSubmits)
			a.submit(submitSpec{dests: []string{"13800000001"}})
			a.activeTest(77)
			// The Active_Test is answered, the Submit never: the SMG's own
			// Active_Tests may come in between.
			for {
				_, v := a.next()
				if v.Kind == codec.KindSubmitResp {
					t.Fatal("a dropped Submit was answered")
				}
				if v.Kind == codec.KindActiveTestResp {
					break
				}
			}
			st := waitStats(t, s, "the drop is counted", func(st Stats) bool { return st.SubmitsDropped == 1 && st.ActiveTestsSent > 0 })
			if st.Submits != 0 {
				t.Fatalf("Submits = %d, want 0", st.Submits)
			}
			s.SetFault(FaultNone)
			a.submit(submitSpec{dests: []string{"13800000001"}})
			for {
				if _, v := a.next(); v.Kind == codec.KindSubmitResp {
					break
				}
			}
		})
	}
}

// A blackhole answers nothing and sends nothing, holds new connections
// before their login, and lets everything through once it ends.
func TestFaultBlackhole(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, func(c *Config) { c.ActiveTestInterval = 10 * time.Millisecond })
			a := dialClient(t, p, s.Addr())
			a.mustLogin(smgp.LoginModeTransmit)
			a.expectKind(codec.KindActiveTest) // heartbeats flow before the fault
			s.SetFault(FaultBlackhole)
			for {
				// Drain heartbeats already on the wire.
				if _, err := a.read(quiet); err != nil {
					break
				}
			}
			sent := s.Stats().ActiveTestsSent
			a.activeTest(77)
			a.expectSilence()
			if got := s.Stats().ActiveTestsSent; got != sent {
				t.Fatalf("%d Active_Tests sent into the blackhole", got-sent)
			}

			b := dialClient(t, p, s.Addr()) // accepted, never answered
			ts := codec.Timestamp(time.Now())
			if p.Family().String() == "cmpp" {
				b.send(cmpp.Append(nil, b.cver(), b.nextSeq(), cmpp.NewConnect(testLogin, testSecret, b.cver(), ts)))
			} else {
				b.send(smgp.Append(nil, b.gver(), b.nextSeq(), &smgp.Login{ClientID: testLogin,
					AuthenticatorClient: smgp.AuthenticatorClient(testLogin, testSecret, ts), LoginMode: smgp.LoginModeTransmit,
					TimeStamp: ts, ClientVersion: b.gver()}))
			}
			b.expectSilence()

			s.SetActiveTestInterval(0)
			s.SetFault(FaultNone)
			b.expectKind(codec.KindLoginResp)
			for {
				if _, v := a.next(); v.Kind == codec.KindActiveTestResp {
					break
				}
			}
		})
	}
}
