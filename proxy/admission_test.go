package proxy_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"

	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/sp"
)

// histogram reads the sample count and sum of an unlabelled histogram of
// the gateway's collector.
func (h *harness) histogram(name string) (uint64, float64) {
	h.t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.gw.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			hg := mf.GetMetric()[0].GetHistogram()
			return hg.GetSampleCount(), hg.GetSampleSum()
		}
	}
	h.t.Fatalf("no histogram %s", name)
	return 0, 0
}

// closed reads spsmg_connections_closed_total{reason}.
func (h *harness) closed(reason string) float64 {
	return h.metric("spsmg_connections_closed_total", "reason", reason)
}

// dialFrom logs the test account in from the loopback address local.
func (h *harness) dialFrom(local string) (*sp.Client, error) {
	login, secret := account(h.proto)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	return sp.Dial(ctx, sp.ClientConfig{Dialect: h.cfg.Upstream.Dialect(), Addr: h.spAddr, LocalIP: local, Login: login, Secret: secret, Logger: testLogger()})
}

// rawFrom opens a TCP connection from local that says nothing.
func (h *harness) rawFrom(local string) net.Conn {
	h.t.Helper()
	d := net.Dialer{Timeout: testWait, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c, err := d.Dial("tcp", h.spAddr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// closedByGateway reports whether the gateway closed c before deadline
// (reading whatever it sent first).
func closedByGateway(c net.Conn, deadline time.Time) bool {
	_ = c.SetReadDeadline(deadline)
	_, err := io.Copy(io.Discard, c)
	return err == nil // EOF: io.Copy returns nil
}

// TestPreloginCapPerAddress: one address cannot take every connection
// slot. 20 silent connections from 127.0.0.2 against max_connections 20
// used to fill the gateway, and the real SP's connection was closed as
// over capacity; with max_prelogin_per_ip 4, 16 are closed at accept and
// the SP logs in. The slot of a connection is given back when it logs in
// or closes.
func TestPreloginCapPerAddress(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: func(c *config.Config) {
		c.Gateway.MaxPreloginPerIP = 4
		c.Gateway.MaxConnections = 20
		c.Gateway.LoginTimeout = time.Minute // nothing ends on its own during the test
		c.Accounts[0].AllowIPs = []string{"127.0.0.0/8"}
	}})
	attacker := make([]net.Conn, 20)
	for i := range attacker {
		attacker[i] = h.rawFrom("127.0.0.2")
	}
	open := func() float64 { return h.metric("spsmg_connections_open") }
	h.eventually("the gateway has accepted or refused all 20", func() bool {
		return open()+h.closed("too_many_from_ip")+h.closed("over_capacity") >= 20
	})
	c, err := h.dialFrom("127.0.0.3")
	if err != nil {
		t.Fatalf("the real SP cannot log in from another address while one address holds 20 connections: %v", err)
	}
	if r := h.submit(c, sp.MT{Users: []string{user}, ServiceCode: "FREE"}); r.Result != 0 {
		t.Fatalf("the SP's Submit: result %d", r.Result)
	}
	c.Close()
	if n := h.closed("too_many_from_ip"); n != 16 {
		t.Fatalf("%v connections closed as too_many_from_ip, want 16", n)
	}

	// The 4 slots of 127.0.0.2 are taken: a login from there is closed
	// at accept too.
	if c, err := h.dialFrom("127.0.0.2"); err == nil {
		c.Close()
		t.Fatal("a 5th connection from 127.0.0.2 logged in past max_prelogin_per_ip 4")
	}
	// The silent connections go; their slots are given back as the
	// gateway sees them close.
	for _, a := range attacker {
		a.Close()
	}
	h.eventually("the silent connections are gone", func() bool { return open() == 0 })
	// 3 silent connections and the SP's login fill the 4 slots of
	// 127.0.0.2; the login gives its slot back at once.
	for i := 0; i < 3; i++ {
		h.rawFrom("127.0.0.2")
	}
	h.eventually("3 silent connections are open", func() bool { return open() == 3 })
	before := h.closed("too_many_from_ip")
	logged, err := h.dialFrom("127.0.0.2")
	if err != nil {
		t.Fatalf("the SP's login from 127.0.0.2 beside 3 silent connections: %v", err)
	}
	defer logged.Close()
	h.rawFrom("127.0.0.2") // takes the slot the login gave back
	// Connections are accepted in order: once a later one from another
	// address has logged in, the one above has been admitted or refused.
	c3, err := h.dialFrom("127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	c3.Close()
	if got := h.closed("too_many_from_ip") - before; got != 0 {
		t.Fatalf("a logged-in connection still holds its pre-login slot: %v silent connection(s) refused after the login", got)
	}
}

// TestAcceptTimeAllowIPs: when every account has allow_ips, an address
// outside all of them is closed at accept, not after login_timeout; the
// rule follows reloads.
func TestAcceptTimeAllowIPs(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: func(c *config.Config) {
		c.Gateway.LoginTimeout = time.Minute
	}})
	// sp1 allows 127.0.0.1 only (the harness), and it is the only account.
	if !closedByGateway(h.rawFrom("127.0.0.2"), time.Now().Add(testWait)) {
		t.Fatal("a connection from 127.0.0.2, outside every allow_ips, was not closed")
	}
	h.eventually("the close is counted as ip_not_allowed", func() bool { return h.closed("ip_not_allowed") == 1 })
	c := h.client() // 127.0.0.1 is still served
	c.Close()

	// Reload: sp1 also allows 127.0.0.2.
	next := *h.cfg
	next.Accounts = append([]config.Account(nil), h.cfg.Accounts...)
	next.Accounts[0].AllowIPs = []string{"127.0.0.1", "127.0.0.2"}
	if err := h.gw.Reload(&next); err != nil {
		t.Fatal(err)
	}
	c2, err := h.dialFrom("127.0.0.2")
	if err != nil {
		t.Fatalf("after the reload, 127.0.0.2: %v", err)
	}
	c2.Close()

	// Reload: one more account that takes any address — nothing is
	// filtered at accept any more; a login from 127.0.0.9 as sp1 is
	// refused by the login (CMPP status 2), not closed at accept.
	withOpen := next
	withOpen.Accounts = append(append([]config.Account(nil), next.Accounts...), config.Account{ID: "open", Protocol: codec.CMPP30,
		Login: "900009", Secret: "s", AccessNumbers: []string{"10655999"}, MaxConnections: 1, TPS: 1, Window: 1})
	if err := h.gw.Reload(&withOpen); err != nil {
		t.Fatal(err)
	}
	_, err = h.dialFrom("127.0.0.9")
	var le *sp.LoginError
	if !errors.As(err, &le) || le.Status != 2 {
		t.Fatalf("sp1 from 127.0.0.9 with an open account beside it: %v, want a login refused with status 2", err)
	}
	if n := h.closed("ip_not_allowed"); n != 1 {
		t.Fatalf("ip_not_allowed counted %v, want 1", n)
	}
}

// TestMalformedFrameBeforeLoginCloses: a Submit that cannot be decoded,
// sent before the login, is answered with the malformed result and the
// connection is closed at once, as a well-formed one is; it used to stay
// open until login_timeout.
func TestMalformedFrameBeforeLoginCloses(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{gatewayCfg: func(c *config.Config) { c.Gateway.LoginTimeout = time.Minute }})
		before := h.closed("protocol_error")
		c := h.rawFrom("127.0.0.1")
		// A complete frame whose body is too short for a Submit.
		hdr := dialect.For(p).Framer(0).HeaderLen // the sequence ends the header in every protocol
		frame := binary.BigEndian.AppendUint32(nil, uint32(hdr+30))
		frame = binary.BigEndian.AppendUint32(frame, map[string]uint32{"sgip": 0x3, "cmpp": 0x4, "smgp": 0x2, "smpp": 0x4}[p.Family().String()])
		frame = append(frame, make([]byte, hdr-8+30)...)
		frame[hdr-1] = 7 // sequence 7
		if _, err := c.Write(frame); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(testWait))
		resp, err := readFrame(c)
		if err != nil {
			t.Fatalf("no answer to a malformed Submit before the login: %v", err)
		}
		v, err := parseView(p, resp)
		if err != nil || v.Kind != codec.KindSubmitResp || v.Result == 0 {
			t.Fatalf("answer %+v (%v), want a Submit response with an error result", v, err)
		}
		if !closedByGateway(c, time.Now().Add(testWait)) {
			t.Fatal("the connection stayed open after a malformed frame before the login")
		}
		h.eventually("the close is counted as protocol_error", func() bool { return h.closed("protocol_error") > before })
	})
}

func readFrame(c net.Conn) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size < 4 || size > 1<<16 {
		return nil, io.ErrUnexpectedEOF
	}
	f := make([]byte, size)
	copy(f, n[:])
	_, err := io.ReadFull(c, f[4:])
	return f, err
}

func parseView(p codec.Protocol, frame []byte) (codec.View, error) {
	var v codec.View
	var err error
	switch p.Family().String() {
	case "cmpp":
		err = cmpp.ParseView(frame, cmpp.Version(dialect.For(p).Version()), &v)
	case "smgp":
		err = smgp.ParseView(frame, smgp.Version(dialect.For(p).Version()), &v)
	case "smpp":
		err = smpp.ParseView(frame, &v)
	default:
		err = sgip.ParseView(frame, &v)
	}
	return v, err
}
