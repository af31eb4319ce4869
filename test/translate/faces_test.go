package translate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// faceSP is one SP of a gateway serving several SP protocols: its account,
// its listener's address, its client and (SGIP) its receiver.
type faceSP struct {
	proto    codec.Protocol
	id       string
	login    string
	access   string
	addr     string
	client   *sp.Client
	receiver *sp.Receiver
}

func (s *faceSP) deliveries() <-chan sp.Delivery {
	if s.receiver != nil {
		return s.receiver.Deliveries()
	}
	return s.client.Deliveries()
}

// next waits for the SP's next delivery that matches keep.
func (s *faceSP) next(t *testing.T, what string, keep func(sp.Delivery) bool) sp.Delivery {
	t.Helper()
	d, ok := nextDelivery(s.deliveries(), keep)
	if !ok {
		t.Fatalf("%s SP: no %s within %s", s.proto, what, testenv.Wait)
	}
	return d
}

// newFacesWorld starts a gateway with one SP listener per protocol of
// spProtos and one account of that protocol each, in front of carriers
// (none SGIP: every carrier here is served at once), and logs every SP in
// on its listener.
func newFacesWorld(t *testing.T, spProtos []codec.Protocol, carriers ...*carrier) []*faceSP {
	t.Helper()
	sps := make([]*faceSP, len(spProtos))
	for i, p := range spProtos {
		s := &faceSP{proto: p, id: "sp-" + p.String(), login: fmt.Sprintf("9001%02d", i), access: testenv.Access + strconv.Itoa(i+1)}
		if testenv.Dialect(p).SplitConnections() {
			s.receiver = listenReceiver(t)
		}
		sps[i] = s
	}
	for _, c := range carriers {
		listenCarrier(t, c)
		serveCarrier(t, c)
	}
	q := strconv.Quote
	var b strings.Builder
	b.WriteString("listeners:\n")
	for _, s := range sps {
		opt := ""
		if s.proto == codec.SMPP34 {
			opt = fmt.Sprintf(", smpp: {linkid_tag: %#x}", testenv.SMPPLinkIDTag)
		}
		fmt.Fprintf(&b, "  - {protocol: %s, addr: \"127.0.0.1:0\"%s}\n", s.proto, opt)
	}
	writeUpstreams(&b, carriers)
	b.WriteString("accounts:\n")
	for _, s := range sps {
		fmt.Fprintf(&b, "  - {id: %s, protocol: %s, login: %s, secret: %s, access_numbers: [%s], window: 32, tps: 100000",
			s.id, s.proto, q(s.login), q(testenv.SP1.Secret), q(s.access))
		if s.receiver != nil {
			fmt.Fprintf(&b, ", receiver: {addr: %q, login: %s, secret: %s}", s.receiver.Addr().String(), testenv.ReceiverLogin, testenv.ReceiverPW)
		}
		b.WriteString("}\n")
	}
	gw := startGateway(t, b.String())
	testenv.Eventually(t, testenv.Wait, "every carrier's binds logged in", func() bool { return gw.ReadyBinds() >= 2*len(carriers) })
	addrs := gw.Addrs() // the SP listeners, in configuration order
	for i, s := range sps {
		s.addr = addrs[i].String()
		var err error
		s.client, err = sp.Dial(context.Background(), sp.ClientConfig{Dialect: testenv.Dialect(s.proto), Addr: s.addr,
			Login: s.login, Secret: testenv.SP1.Secret, DeliveryBuffer: 1024})
		if err != nil {
			t.Fatalf("%s SP login: %v", s.proto, err)
		}
		t.Cleanup(func() { s.client.Close() })
	}
	return sps
}

// TestSPsOfEveryProtocolAtOnce: one gateway serves a CMPP 3.0, an SGIP, an
// SMGP and an SMPP SP at once, each on its own listener, in front of a CMPP
// 3.0 and an SMGP carrier. Every SP's Submit to a number of either carrier
// reaches that carrier in its protocol and is answered in the SP's; its
// report comes back under the id the SP was answered with, in the SP's
// protocol; an MO from either carrier reaches the SP in its protocol with
// a LinkID. The same-protocol pairs (CMPP 3.0 → cmcc, SMGP → telecom) take
// the untranslated path beside the translated ones.
func TestSPsOfEveryProtocolAtOnce(t *testing.T) {
	cmcc := &carrier{name: "cmcc", proto: codec.CMPP30, routes: []string{`"138"`}}
	telecom := &carrier{name: "telecom", proto: codec.SMGP30, routes: []string{`"133"`}}
	carriers := []*carrier{cmcc, telecom}
	users := []string{"13800138000", "13300133000"}
	sps := newFacesWorld(t, []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34}, carriers...)
	for _, s := range sps {
		for ci, c := range carriers {
			text := fmt.Sprintf("%s to %s", s.proto, c.name)
			ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
			r, err := s.client.Submit(ctx, sp.MT{SPNumber: s.access, Users: []string{testenv.Number(s.proto, users[ci])}, ServiceCode: "FREE",
				Text: text, NeedReport: true})
			cancel()
			if err != nil || r.Result != 0 {
				t.Fatalf("%s: Submit answered %d, %v; want 0", text, r.Result, err)
			}
			var got *smg.SubmitInfo
			testenv.Eventually(t, testenv.Wait, text+" at the carrier", func() bool {
				for _, m := range c.smg.Submits() {
					if m.Text == text {
						got = &m
						return true
					}
				}
				return false
			})
			if len(got.Recipients) != 1 || !strings.HasSuffix(got.Recipients[0], users[ci]) {
				t.Errorf("%s: the carrier read recipients %q", text, got.Recipients)
			}
			rep := s.next(t, "report on "+text, func(d sp.Delivery) bool { return d.IsReport })
			if !bytes.Equal(rep.ReportMsgID, reportID(r)) || rep.Stat != "DELIVRD" {
				t.Errorf("%s: report names %x stat %q, want %x DELIVRD", text, rep.ReportMsgID, rep.Stat, reportID(r))
			}

			mo := fmt.Sprintf("MO %s", s.proto)
			if err := c.smg.InjectMO(smg.MO{User: testenv.Number(c.proto, users[ci]), SPNumber: s.access, Text: mo, LinkID: "LK00000" + strconv.Itoa(ci)}); err != nil {
				t.Fatalf("InjectMO: %v", err)
			}
			d := s.next(t, mo+" from "+c.name, func(d sp.Delivery) bool { return !d.IsReport && !d.IsUserRpt })
			if d.Text != mo || !strings.HasSuffix(d.User, users[ci]) || d.LinkID == "" {
				t.Errorf("%s from %s: got %q from %q, LinkID %q", mo, c.name, d.Text, d.User, d.LinkID)
			}
		}
	}
}

// TestLoginOnAnotherProtocolsListener: the CMPP 3.0 account's login name
// and secret, sent as an SMGP Login on the SMGP listener, are refused with
// SMGP's "version" status (the account speaks another protocol), and the
// account logs in on its own listener.
func TestLoginOnAnotherProtocolsListener(t *testing.T) {
	cmcc := &carrier{name: "cmcc", proto: codec.CMPP30, routes: []string{`"138"`}}
	sps := newFacesWorld(t, []codec.Protocol{codec.CMPP30, codec.SMGP30}, cmcc)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	_, err := sp.Dial(ctx, sp.ClientConfig{Dialect: testenv.Dialect(codec.SMGP30), Addr: sps[1].addr,
		Login: sps[0].login, Secret: testenv.SP1.Secret})
	var le *sp.LoginError
	if !errors.As(err, &le) || le.Status != uint32(smgp.StatusVersionTooHigh) {
		t.Fatalf("CMPP account on the SMGP listener: %v, want SMGP status %d", err, smgp.StatusVersionTooHigh)
	}
	// Its own listener still takes it (a second connection).
	c, err := sp.Dial(ctx, sp.ClientConfig{Dialect: testenv.Dialect(codec.CMPP30), Addr: sps[0].addr,
		Login: sps[0].login, Secret: testenv.SP1.Secret})
	if err != nil {
		t.Fatalf("CMPP account on its listener: %v", err)
	}
	c.Close()
}
