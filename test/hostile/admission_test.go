package hostile

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// TestOneAddressCannotTakeEverySlot: connections that never log in, all
// from one address, used to fill gateway.max_connections, and the real SP's
// login was closed as over capacity. With max_prelogin_per_ip 4, the
// address keeps 4 and the rest are closed at accept (too_many_from_ip);
// the SP, at another address, logs in and is served. Scaled down from the
// 15,000 sockets of the report: 20 against max_connections 20.
func TestOneAddressCannotTakeEverySlot(t *testing.T) {
	const conns, capPerIP = 20, 4
	w := testenv.NewWorld(t, testenv.Options{
		Gateway: map[string]string{"max_prelogin_per_ip": fmt.Sprint(capPerIP), "max_connections": fmt.Sprint(conns),
			"login_timeout": "60s"},
		Account: map[string]string{"allow_ips": "[127.0.0.0/8]"},
	})
	w.Start()
	before := w.MustMetrics()
	var silent []*net.TCPConn
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := testenv.DialFrom("127.0.0.1", w.SPAddr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		silent = append(silent, c)
	}
	closed := func(m testenv.Metrics, reason string) float64 {
		return m.Get("spsmg_connections_closed_total", "reason", reason) - before.Get("spsmg_connections_closed_total", "reason", reason)
	}
	testenv.Eventually(t, testenv.Wait, "the gateway has accepted or refused every connection", func() bool {
		m := w.MustMetrics()
		return m.Get("spsmg_connections_open")+closed(m, "too_many_from_ip")+closed(m, "over_capacity") >= conns
	})

	cc := w.ClientConfig()
	cc.LocalIP = "127.0.0.2"
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	c, err := sp.Dial(ctx, cc)
	if err != nil {
		t.Fatalf("the real SP at 127.0.0.2 cannot log in while 127.0.0.1 holds %d connections: %v", conns, err)
	}
	defer c.Close()
	r, err := c.Submit(ctx, sp.MT{SPNumber: testenv.Access, Users: []string{testenv.User}, ServiceCode: "FREE", Text: "served"})
	if err != nil || r.Result != 0 {
		t.Fatalf("the real SP's Submit: %+v %v", r, err)
	}
	// Accepted in order: the first 4 are held, the others were closed.
	m := w.MustMetrics()
	if open := m.Get("spsmg_connections_open"); open != capPerIP+1 {
		t.Errorf("the gateway holds %v connections, want %d: %d from 127.0.0.1 and the SP", open, capPerIP+1, capPerIP)
	}
	if n := closed(m, "too_many_from_ip"); n != conns-capPerIP {
		t.Errorf("%v connections closed as too_many_from_ip, want %d", n, conns-capPerIP)
	}
	for i, c := range silent[capPerIP:] {
		if err := testenv.WaitClosed(c, time.Now().Add(testenv.Wait)); err != nil {
			t.Errorf("silent connection %d: %v, want closed at accept", capPerIP+i, err)
		}
	}
	after := w.MustMetrics()
	if got := after.Get("spsmg_connections_closed_total", "reason", "over_capacity") - before.Get("spsmg_connections_closed_total", "reason", "over_capacity"); got != 0 {
		t.Errorf("%v connections closed as over_capacity: one address filled gateway.max_connections", got)
	}
	t.Logf("%d silent connections from one address: %d held, %v closed at accept; the SP at another address logged in and was served",
		conns, capPerIP, after.Get("spsmg_connections_closed_total", "reason", "too_many_from_ip"))
}

// TestAddressOutsideEveryAllowListClosedAtAccept: when every account has
// allow_ips, a connection from an address outside all of them is closed at
// once (ip_not_allowed) instead of waiting for login_timeout; with an
// account that takes any address (after a reload), the same address gets
// as far as the login.
func TestAddressOutsideEveryAllowListClosedAtAccept(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34} {
		t.Run(p.String(), func(t *testing.T) {
			w := testenv.NewWorld(t, testenv.Options{Proto: p, Gateway: map[string]string{"login_timeout": "60s"}})
			w.Start() // sp1 allows 127.0.0.1 only
			wire := testenv.NewWire(p)
			a := testenv.SP1
			st, c, err := wire.RawLogin("127.0.0.5", w.SPAddr, a.Login, a.Secret)
			if err == nil {
				if c != nil {
					c.Close()
				}
				t.Fatalf("a login from 127.0.0.5, outside every allow_ips, was answered (status %d): the connection got past accept", st)
			}
			testenv.Eventually(t, testenv.Wait, "the close is counted as ip_not_allowed", func() bool {
				return w.MustMetrics().Get("spsmg_connections_closed_total", "reason", "ip_not_allowed") == 1
			})
			if _, err := w.WellBehaved(testenv.Wait); err != nil {
				t.Fatalf("sp1 from 127.0.0.1: %v", err)
			}

			next := *w.Cfg
			next.Accounts = append(append([]config.Account(nil), w.Cfg.Accounts...), config.Account{ID: "open", Protocol: p,
				Login: "900009", Secret: "s", AccessNumbers: []string{"10655999"}, MaxConnections: 1, TPS: 1, Window: 1,
				Receiver: w.Cfg.Accounts[0].Receiver})
			if err := w.GW.Reload(&next); err != nil {
				t.Fatal(err)
			}
			st, c, err = wire.RawLogin("127.0.0.5", w.SPAddr, a.Login, a.Secret)
			if c != nil {
				c.Close()
			}
			if err != nil || st == 0 {
				t.Fatalf("with an account open to any address, sp1 from 127.0.0.5: status %d, %v; want its login refused by status", st, err)
			}
		})
	}
}
