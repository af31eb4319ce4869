// Package translate_test runs the gateway between SPs of one protocol and
// SMGs of another, through the simulators: every SP protocol in front of
// every upstream protocol (docs/translation.md), and a Submit whose
// recipients span three carriers (docs/routing.md).
package translate_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

var protocols = []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP30, codec.SMGP30, codec.SMPP34}

// pairLimit bounds the worlds running at once: each is a gateway and two
// or three simulators, and the machine is shared.
var pairLimit = make(chan struct{}, 4)

// TestEveryPair: for every SP protocol and every upstream protocol, an SP's
// Submit reaches the SMG in the SMG's protocol and is answered in the
// SP's, with a message id the SP's report then names; an MO from the SMG
// reaches the SP in its protocol with a LinkID (where the SP's protocol has
// a slot), and an MT naming that LinkID is allowed.
func TestEveryPair(t *testing.T) {
	for _, spP := range protocols {
		for _, upP := range protocols {
			t.Run(fmt.Sprintf("%s→%s", spP, upP), func(t *testing.T) {
				t.Parallel()
				pairLimit <- struct{}{}
				defer func() { <-pairLimit }()
				onePair(t, spP, upP)
			})
		}
	}
}

func onePair(t *testing.T, spP, upP codec.Protocol) {
	up := &carrier{name: "up", proto: upP}
	w := newWorld(t, spP, up)

	// Submit and its answer: the SMG reads the recipient and the text.
	r := w.submit(sp.MT{SPNumber: testenv.Access, Users: []string{w.number(testenv.User)}, ServiceCode: "FREE",
		Text: "hello across", NeedReport: true})
	if r.Result != 0 {
		t.Fatalf("Submit answered %d, want 0", r.Result)
	}
	subs, err := up.smg.WaitSubmits(1, testenv.Wait)
	if err != nil {
		t.Fatalf("the SMG got no Submit: %v", err)
	}
	if got := subs[0]; !strings.HasSuffix(strings.Join(got.Recipients, ","), testenv.User) || got.Text != "hello across" {
		t.Errorf("the SMG read recipients %q text %q", got.Recipients, got.Text)
	}
	// The report names the id the SP was answered with.
	rep := w.next("status report", func(d sp.Delivery) bool { return d.IsReport })
	if !bytes.Equal(rep.ReportMsgID, reportID(r)) || rep.Stat != "DELIVRD" {
		t.Errorf("report names %x stat %q, want %x DELIVRD", rep.ReportMsgID, rep.Stat, reportID(r))
	}

	// MO with a LinkID, to the SP's access number.
	if err := up.smg.InjectMO(smg.MO{User: testenv.Number(upP, testenv.User), SPNumber: testenv.Access, Text: "TV", LinkID: "LK000001"}); err != nil {
		t.Fatalf("InjectMO: %v", err)
	}
	mo := w.next("MO", func(d sp.Delivery) bool { return !d.IsReport && !d.IsUserRpt })
	if mo.Text != "TV" || !strings.HasSuffix(mo.User, testenv.User) {
		t.Errorf("MO %q from %q", mo.Text, mo.User)
	}
	if mo.LinkID == "" {
		t.Fatalf("the MO reached the SP without a LinkID")
	}
	// The LinkID authorizes an MT of a service that is not exempt.
	r = w.submit(sp.MT{SPNumber: testenv.Access, Users: []string{w.number(testenv.User)}, ServiceCode: "NEWS",
		LinkID: mo.LinkID, Text: "reply"})
	if r.Result != 0 {
		t.Errorf("MT with the MO's LinkID answered %d, want 0", r.Result)
	}
}

// TestLongSMSAcrossTranslation: an SMPP SP's 300-character message
// (message_payload) reaches a CMPP 3.0 SMG as two concatenated parts; the
// SP gets one answer, and one report per part naming its message id.
func TestLongSMSAcrossTranslation(t *testing.T) {
	up := &carrier{name: "up", proto: codec.CMPP30}
	w := newWorld(t, codec.SMPP34, up)
	long := strings.Repeat("0123456789", 30)
	r := w.submit(sp.MT{SPNumber: testenv.Access, Users: []string{testenv.User}, ServiceCode: "FREE", Text: long, NeedReport: true})
	if r.Result != 0 {
		t.Fatalf("Submit answered %d, want 0", r.Result)
	}
	subs, err := up.smg.WaitSubmits(2, testenv.Wait)
	if err != nil {
		t.Fatalf("the SMG got fewer than 2 Submits: %v", err)
	}
	var body []byte
	for i, s := range subs[:2] {
		if !s.UDHI || s.PkTotal != 2 || int(s.PkNumber) != i+1 || len(s.Content) < 6 {
			t.Fatalf("part %d: UDHI %v Pk %d/%d, %d bytes", i+1, s.UDHI, s.PkNumber, s.PkTotal, len(s.Content))
		}
		body = append(body, s.Content[6:]...) // after the 6-byte concatenation header
	}
	if string(body) != long {
		t.Errorf("the parts carry %q, want the message", body)
	}
	for i := 0; i < 2; i++ {
		rep := w.next("report", func(d sp.Delivery) bool { return d.IsReport })
		if !bytes.Equal(rep.ReportMsgID, r.MsgID) {
			t.Errorf("report %d names %q, want %q", i, rep.ReportMsgID, r.MsgID)
		}
	}
}

// TestSubmitAcrossThreeCarriers: a CMPP 3.0 SP's Submit to recipients of
// three carriers (CMPP 3.0, SGIP, SMGP, routed by prefix) reaches each
// carrier with its own recipient and is answered once, with one id; each
// recipient's report comes back under the SP's id of that recipient (the
// id + its index). When one carrier refuses, the SP is still answered 0
// and that recipient gets a REJECTD report under its id.
func TestSubmitAcrossThreeCarriers(t *testing.T) {
	cmcc := &carrier{name: "cmcc", proto: codec.CMPP30, routes: []string{`"138"`}}
	unicom := &carrier{name: "unicom", proto: codec.SGIP, routes: []string{`"130"`}}
	telecom := &carrier{name: "telecom", proto: codec.SMGP30, routes: []string{`"133"`}}
	w := newWorld(t, codec.CMPP30, cmcc, unicom, telecom)
	d := testenv.Dialect(codec.CMPP30)
	users := []string{"13800138000", "13000130000", "13300133000"}
	byCarrier := []*carrier{cmcc, unicom, telecom}

	r := w.submit(sp.MT{SPNumber: testenv.Access, Users: users, ServiceCode: "FREE", Text: "three", NeedReport: true})
	if r.Result != 0 || len(r.MsgID) != 8 {
		t.Fatalf("Submit answered %d id %x, want 0 and an 8-byte id", r.Result, r.MsgID)
	}
	for i, c := range byCarrier {
		subs, err := c.smg.WaitSubmits(1, testenv.Wait)
		if err != nil {
			t.Fatalf("%s got no Submit: %v", c.name, err)
		}
		if len(subs[0].Recipients) != 1 || !strings.HasSuffix(subs[0].Recipients[0], users[i]) {
			t.Errorf("%s got recipients %q, want only %s", c.name, subs[0].Recipients, users[i])
		}
	}
	want := map[string]string{}
	for i, u := range users {
		want[string(d.AppendMsgIDAt(nil, r.MsgID, i))] = u
	}
	for range users {
		rep := w.next("report", func(d sp.Delivery) bool { return d.IsReport })
		u, ok := want[string(rep.ReportMsgID)]
		if !ok || !strings.HasSuffix(rep.User, u) || rep.Stat != "DELIVRD" {
			t.Errorf("report for %s names %x stat %s; want one id of %x + i per recipient", rep.User, rep.ReportMsgID, rep.Stat, r.MsgID)
		}
		delete(want, string(rep.ReportMsgID))
	}

	// Telecom refuses (SMGP 47, an invalid recipient): the others have it.
	telecom.smg.SetSubmitResult(func(*codec.View) uint32 { return 47 })
	r = w.submit(sp.MT{SPNumber: testenv.Access, Users: users, ServiceCode: "FREE", Text: "three again", NeedReport: true})
	if r.Result != 0 {
		t.Fatalf("Submit with one carrier refusing answered %d, want 0 (two recipients have it)", r.Result)
	}
	rejected := d.AppendMsgIDAt(nil, r.MsgID, 2)
	rep := w.next("REJECTD report", func(d sp.Delivery) bool { return d.IsReport && d.Stat == "REJECTD" })
	if !bytes.Equal(rep.ReportMsgID, rejected) || !strings.HasSuffix(rep.User, users[2]) {
		t.Errorf("REJECTD report names %x for %s, want %x for %s", rep.ReportMsgID, rep.User, rejected, users[2])
	}
}

// upstreamMetric sums the series of metric name whose upstream label is
// up (histograms: their sample count).
func upstreamMetric(t *testing.T, w *world, name, up string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(w.gw.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "upstream" || l.GetValue() != up {
					continue
				}
				switch {
				case m.Gauge != nil:
					sum += m.GetGauge().GetValue()
				case m.Counter != nil:
					sum += m.GetCounter().GetValue()
				case m.Histogram != nil:
					sum += float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return sum
}

// TestMetricsByUpstream: each carrier's binds and Submit round trips are
// counted under its name.
func TestMetricsByUpstream(t *testing.T) {
	cmcc := &carrier{name: "cmcc", proto: codec.CMPP30, routes: []string{`"138"`}}
	unicom := &carrier{name: "unicom", proto: codec.SGIP, routes: []string{`"130"`}}
	w := newWorld(t, codec.SMPP34, cmcc, unicom)
	if r := w.submit(sp.MT{SPNumber: testenv.Access, Users: []string{"13000130000"}, ServiceCode: "FREE", Text: "to unicom"}); r.Result != 0 {
		t.Fatalf("Submit answered %d", r.Result)
	}
	for _, c := range []struct {
		up          string
		binds, rtts float64
	}{{"cmcc", 2, 0}, {"unicom", 2, 1}} {
		if got := upstreamMetric(t, w, "spsmg_upstream_binds", c.up); got != c.binds {
			t.Errorf("spsmg_upstream_binds{upstream=%q} sum %v, want %v (event_loops 2)", c.up, got, c.binds)
		}
		// Each loop publishes its round trips once per callback (or
		// sweep), so the count may trail the SP's answer briefly.
		var got float64
		if !testenv.Poll(testenv.Wait, func() bool {
			got = upstreamMetric(t, w, "spsmg_submit_rtt_seconds", c.up)
			return got == c.rtts
		}) {
			t.Errorf("spsmg_submit_rtt_seconds{upstream=%q} count %v, want %v", c.up, got, c.rtts)
		}
	}
}

// TestSGIPSPAcrossCarriers: an SGIP SP's Submit split between a CMPP 3.0
// and an SGIP carrier keeps the SGIP way of naming it: both recipients'
// reports quote the SP's own Submit sequence, told apart by number.
func TestSGIPSPAcrossCarriers(t *testing.T) {
	cmcc := &carrier{name: "cmcc", proto: codec.CMPP30, routes: []string{`"138"`}}
	unicom := &carrier{name: "unicom", proto: codec.SGIP, routes: []string{`"130"`}}
	w := newWorld(t, codec.SGIP, cmcc, unicom)
	users := []string{"13800138000", "13000130000"}
	r := w.submit(sp.MT{SPNumber: testenv.Access, Users: []string{w.number(users[0]), w.number(users[1])}, ServiceCode: "FREE",
		Text: "two", NeedReport: true})
	if r.Result != 0 {
		t.Fatalf("Submit answered %d, want 0", r.Result)
	}
	for i, c := range []*carrier{cmcc, unicom} {
		subs, err := c.smg.WaitSubmits(1, testenv.Wait)
		if err != nil || len(subs[0].Recipients) != 1 || !strings.HasSuffix(subs[0].Recipients[0], users[i]) {
			t.Fatalf("%s: %v %v, want one Submit to %s", c.name, subs, err, users[i])
		}
	}
	seen := map[string]bool{}
	for range users {
		rep := w.next("report", func(d sp.Delivery) bool { return d.IsReport })
		if !bytes.Equal(rep.ReportMsgID, r.SeqField) {
			t.Errorf("report for %s quotes %x, want the Submit's sequence %x", rep.User, rep.ReportMsgID, r.SeqField)
		}
		seen[rep.User[len(rep.User)-11:]] = true
	}
	if !seen[users[0]] || !seen[users[1]] {
		t.Errorf("reports for %v, want one for each of %v", seen, users)
	}
}
