package dialect_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/reason"
)

// Each Dialect's builders write what its readers read back: a Submit as
// the proxy's View sees it, an MO and a report as DecodeDelivery decodes
// them, a login and its answer with their authenticators, and the answers
// to every request the proxy answers itself.

// dialects are every Dialect the gateway serves, and SMPP once more with a
// LinkID TLV (a deployment choice), named apart.
func dialects() []named {
	var ns []named
	for _, d := range dialect.All() {
		ns = append(ns, named{d.Protocol().String(), d})
	}
	d, err := dialect.With(codec.SMPP34, dialect.Options{SMPPLinkIDTag: 0x1401})
	if err != nil {
		panic(err)
	}
	return append(ns, named{"smpp+linkid", d})
}

type named struct {
	name string
	d    codec.Dialect
}

// caps is what d's protocol can carry (every Dialect is a translation
// Face too).
func caps(d codec.Dialect) codec.Capabilities {
	return d.(interface{ Capabilities() codec.Capabilities }).Capabilities()
}

func seqOf(d codec.Dialect, counter uint32) []byte {
	b := make([]byte, d.Seq().Len)
	d.PutSeq(b, 3000000001, 1203040506, counter)
	return b
}

func parse(t *testing.T, d codec.Dialect, frame []byte) *codec.View {
	t.Helper()
	if n, err := d.Framer(0).Split(frame); err != nil || n != len(frame) {
		t.Fatalf("Split = %d, %v; the frame is %d bytes", n, err, len(frame))
	}
	var v codec.View
	if err := d.ParseView(frame, &v); err != nil {
		t.Fatalf("ParseView: %v", err)
	}
	return &v
}

func TestSubmitReadsBack(t *testing.T) {
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			content := append([]byte{5, 0, 3, 0x2a, 2, 1}, "hello"...)
			s := &codec.Submit{SPNumber: "10655123", Dests: []string{d.UserNumber("13800138000"), d.UserNumber("13900139000")},
				ServiceCode: "NEWS", LinkID: "AB12CD34", CorpID: "12345", Fee: codec.Fee{Payer: codec.PayerSP},
				Coding: text.ASCII, Content: content, UDHI: true, NeedReport: true, Priority: 1, PkTotal: 2, PkNumber: 1}
			seq := seqOf(d, 77)
			v := parse(t, d, d.AppendSubmit(nil, seq, s))
			if v.Kind != codec.KindSubmit || !bytes.Equal(v.Sequence, seq) {
				t.Fatalf("kind %v sequence %x, want submit %x", v.Kind, v.Sequence, seq)
			}
			// A protocol with one recipient a Submit (SMPP) writes the first.
			dests := min(len(s.Dests), caps(d).MaxDests)
			if string(v.SPNumber) != s.SPNumber || string(v.ServiceCode) != s.ServiceCode || v.DestCount != dests ||
				string(v.Dest(0)) != s.Dests[0] || dests > 1 && string(v.Dest(1)) != s.Dests[1] {
				t.Errorf("addressing: %q %q %d %q %q", v.SPNumber, v.ServiceCode, v.DestCount, v.Dest(0), v.Dest(1))
			}
			// Without a slot (SMPP without a LinkID TLV) the LinkID is not carried.
			wantLink := s.LinkID
			if d.LinkIDWidth() == 0 {
				wantLink = ""
			}
			if string(v.LinkID()) != wantLink || len(v.LinkIDField) < len(wantLink) || len(v.LinkIDField) > d.LinkIDWidth() {
				t.Errorf("LinkID %q in a %d-byte slot, want %q in at most %d", v.LinkID(), len(v.LinkIDField), wantLink, d.LinkIDWidth())
			}
			// SMPP sends ASCII as IA5 (data_coding 1); the View shows data_coding.
			coding := s.Coding
			if d.Protocol() == codec.SMPP34 {
				coding = 1
			}
			if !v.NeedReport || v.ReportOnError || !v.UDHI || v.Coding != coding || !bytes.Equal(v.Content, content) {
				t.Errorf("report %v/%v udhi %v coding %d content %x", v.NeedReport, v.ReportOnError, v.UDHI, v.Coding, v.Content)
			}
			if ref, total, seqNo, ok := v.Segment(); !ok || ref != 0x2a || total != 2 || seqNo != 1 {
				t.Errorf("segment %d %d/%d %v, want the UDH's 42 1/2", ref, seqNo, total, ok)
			}
		})
	}
}

func TestMOReadsBack(t *testing.T) {
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			id := []byte{0, 0, 0, 0, 0, 0, 1, 2}
			m := &codec.Deliver{MsgID: id, User: d.UserNumber("13800138000"), SPNumber: "10655123", ServiceCode: "HELP",
				LinkID: "AB12CD34", Coding: text.ASCII, Content: []byte("TD NEWS"), RecvTime: "20260102030405"}
			frame := d.AppendDeliver(nil, seqOf(d, 5), m)
			v := parse(t, d, frame)
			wantLink := m.LinkID
			if d.LinkIDWidth() == 0 {
				wantLink = ""
			}
			if v.Kind != codec.KindDeliver || v.IsReport || string(v.UserNumber) != m.User || string(v.SPNumber) != m.SPNumber ||
				string(v.LinkID()) != wantLink || string(v.Content) != "TD NEWS" {
				t.Errorf("view: kind %v report %v user %q sp %q linkid %q content %q", v.Kind, v.IsReport, v.UserNumber,
					v.SPNumber, v.LinkID(), v.Content)
			}
			var got codec.Delivery
			if err := d.DecodeDelivery(frame, &got); err != nil {
				t.Fatal(err)
			}
			g := got.Deliver
			if got.Kind != codec.KindDeliver || g.User != m.User || g.SPNumber != m.SPNumber || g.LinkID != wantLink ||
				g.Coding != m.Coding || string(g.Content) != "TD NEWS" {
				t.Errorf("decoded %+v", got)
			}
			// What the protocol carries comes back; what it lacks is empty.
			// A Deliver has an id of its own in CMPP and SMGP; SGIP has no
			// ids, SMPP's deliver_sm none.
			if f := d.Protocol().Family(); f == codec.FamilyCMPP || f == codec.FamilySMGP {
				if codec.Uint64Of(g.MsgID) != 0x0102 || !bytes.Equal(v.MsgID, g.MsgID) {
					t.Errorf("MsgID %x (view %x), want …0102", g.MsgID, v.MsgID)
				}
			} else if len(g.MsgID) != 0 {
				t.Errorf("MsgID %x in a protocol without ids", g.MsgID)
			}
			// The acknowledgement echoes the Deliver's id and sequence.
			ack := parse(t, d, d.AppendResp(nil, v, 0))
			if ack.Kind != codec.KindDeliverResp || !bytes.Equal(ack.Sequence, v.Sequence) || !bytes.Equal(ack.MsgID, v.MsgID) {
				t.Errorf("ack: kind %v seq %x id %x", ack.Kind, ack.Sequence, ack.MsgID)
			}
		})
	}
}

func TestReportReadsBack(t *testing.T) {
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			submitSeq := seqOf(d, 9)
			respID := submitSeq // SGIP: the Submit's sequence is its identity
			var carrier []byte
			if m := d.MsgIDs("000001"); m != nil {
				m.Stamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local))
				respID = m.Append(nil, 100)
				carrier = m.Append(nil, 200)
			}
			// The report of recipient 1 of a Submit to two.
			subID := d.AppendMsgIDAt(nil, respID, 1)
			for _, stat := range []string{"DELIVRD", "UNDELIV"} {
				r := &codec.Report{MsgID: carrier, SubmitID: subID, User: d.UserNumber("13900139000"), SPNumber: "10655123",
					ServiceCode: "NEWS", Stat: stat, SubmitTime: "2601020304", DoneTime: "2601020305",
					RecvTime: "20260102030506", Text: []byte("hello")}
				frame := d.AppendReport(nil, seqOf(d, 6), r)
				v := parse(t, d, frame)
				if !v.IsReport || !bytes.Equal(v.ReportMsgID, subID) {
					t.Errorf("%s: view report %v names %x, want %x", stat, v.IsReport, v.ReportMsgID, subID)
				}
				var got codec.Delivery
				if err := d.DecodeDelivery(frame, &got); err != nil {
					t.Fatal(err)
				}
				g := got.Report
				if got.Kind != codec.KindReport || !bytes.Equal(g.SubmitID, subID) || g.User != r.User || g.Stat != stat {
					t.Errorf("%s: decoded %+v", stat, got)
				}
			}
		})
	}
}

func TestLoginExchange(t *testing.T) {
	now := time.Date(2026, 10, 21, 8, 5, 10, 0, time.Local)
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			for _, mode := range []codec.LoginMode{codec.LoginSubmit, codec.LoginDeliver, codec.LoginBoth} {
				seq := seqOf(d, 1)
				frame := d.AppendLogin(nil, seq, &codec.Login{Name: "900001", Secret: "s3cret", Mode: mode, Time: now})
				l, err := d.DecodeLogin(frame)
				if err != nil {
					t.Fatal(err)
				}
				if l.Name != "900001" || l.Version != d.Version() || !d.VerifyLogin(&l, "s3cret") || d.VerifyLogin(&l, "other") {
					t.Errorf("%v: login %+v: verified %v, with another secret %v", mode, l, d.VerifyLogin(&l, "s3cret"),
						d.VerifyLogin(&l, "other"))
				}
				if l.Timestamp != 0 && l.Timestamp != codec.Timestamp(now) {
					t.Errorf("timestamp %d", l.Timestamp)
				}
				resp := d.AppendLoginResp(nil, seq, &l, codec.LoginOK, "s3cret")
				v := parse(t, d, resp)
				r, err := d.DecodeLoginResp(resp)
				if err != nil || v.Kind != codec.KindLoginResp || !bytes.Equal(v.Sequence, seq) || r.Status != 0 {
					t.Fatalf("answer: %v %v %x %d", err, v.Kind, v.Sequence, r.Status)
				}
				if !d.VerifyLoginResp(&r, &l, "s3cret") {
					t.Errorf("%v: the server's authenticator does not verify", mode)
				}
				if len(r.Authenticator) > 0 && d.VerifyLoginResp(&r, &l, "other") {
					t.Errorf("%v: the server's authenticator verifies under another secret", mode)
				}
			}
			// Every refusal is a non-zero status of the protocol's own.
			var l codec.LoginView
			for st := codec.LoginUnknownAccount; st < codec.LoginStatusCount; st++ {
				r, err := d.DecodeLoginResp(d.AppendLoginResp(nil, seqOf(d, 2), &l, st, "s3cret"))
				if err != nil || r.Status == 0 || d.LoginResultText(r.Status) == "" {
					t.Errorf("%s: status %d (%s), %v", st, r.Status, d.LoginResultText(r.Status), err)
				}
			}
			if _, err := d.DecodeLogin(d.AppendLogout(nil, seqOf(d, 3))); !errors.Is(err, codec.ErrWrongCommand) {
				t.Errorf("DecodeLogin of a logout: %v", err)
			}
		})
	}
}

// TestAnswers: the responses the proxy and the simulators write for
// requests they answer themselves carry the request's sequence and the
// result.
func TestAnswers(t *testing.T) {
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			sub := parse(t, d, d.AppendSubmit(nil, seqOf(d, 11), &codec.Submit{Dests: []string{"1"}}))
			refused := d.DefaultResults().Result(reason.NotSubscribed)
			resp := parse(t, d, d.AppendResp(nil, sub, refused))
			if resp.Kind != codec.KindSubmitResp || !bytes.Equal(resp.Sequence, sub.Sequence) || resp.Result != refused {
				t.Errorf("refusal: %v %x result %d", resp.Kind, resp.Sequence, resp.Result)
			}
			if m := d.MsgIDs("000001"); m != nil {
				id := m.Append(nil, 3)
				r := parse(t, d, d.AppendSubmitResp(nil, sub.Sequence, id, 0))
				if !bytes.Equal(r.MsgID, id) || r.Result != 0 {
					t.Errorf("Submit_Resp id %x result %d, want %x", r.MsgID, r.Result, id)
				}
				if next := m.Append(nil, 4); caps(d).MaxDests > 1 && !bytes.Equal(d.AppendMsgIDAt(nil, id, 1), next) {
					t.Errorf("id+1 = %x, the next id made is %x", d.AppendMsgIDAt(nil, id, 1), next)
				}
			}
			out := parse(t, d, d.AppendLogout(nil, seqOf(d, 12)))
			if out.Kind != codec.KindLogout || parse(t, d, d.AppendResp(nil, out, 0)).Kind != codec.KindLogoutResp {
				t.Errorf("logout %v", out.Kind)
			}
			at := d.AppendActiveTest(nil, seqOf(d, 13))
			if !d.HasActiveTest() {
				if len(at) != 0 {
					t.Errorf("an active test in a protocol without one: %x", at)
				}
				return
			}
			atv := parse(t, d, at)
			if atv.Kind != codec.KindActiveTest || parse(t, d, d.AppendResp(nil, atv, 0)).Kind != codec.KindActiveTestResp {
				t.Errorf("active test %v", atv.Kind)
			}
		})
	}
}

// TestSetLinkID: the proxy writes the LinkID of an MO it forwards into the
// frame's slot, or (SMGP, when the MO has none) appends one.
func TestSetLinkID(t *testing.T) {
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			for _, had := range []string{"", "OLD00001"} {
				frame := d.AppendDeliver(nil, seqOf(d, 1), &codec.Deliver{User: "13800138000", SPNumber: "10655123",
					LinkID: had, Content: []byte("hi")})
				for _, id := range []string{"NEW00002", "LONGER-LINKID-0003", "L4"} {
					own := append([]byte(nil), frame...)
					f := d.SetLinkID(own, parse(t, d, own), id)
					want := id[:min(len(id), d.LinkIDWidth())] // a fixed-width slot cuts it
					if d.LinkIDWidth() == 0 {
						want = "" // no slot: the frame goes as it is
						if !bytes.Equal(f, frame) {
							t.Errorf("had %q: SetLinkID changed a frame without a slot", had)
						}
					}
					w := parse(t, d, f)
					if got := w.LinkID(); string(got) != want || string(w.Content) != "hi" || string(w.UserNumber) != "13800138000" {
						t.Errorf("had %q: LinkID %q (want %q), content %q, user %q after SetLinkID", had, got, want, w.Content, w.UserNumber)
					}
				}
			}
		})
	}
}

// TestBuildersDoNotAllocate: the answers and reports a simulated SMG
// writes per Submit, into a buffer with room, from values on the heap.
func TestBuildersDoNotAllocate(t *testing.T) {
	for _, n := range dialects() {
		d := n.d
		t.Run(n.name, func(t *testing.T) {
			buf := make([]byte, 0, 4096)
			seq := seqOf(d, 1)
			sub := parse(t, d, d.AppendSubmit(nil, seq, &codec.Submit{Dests: []string{"13800138000"}}))
			id := d.AppendMsgIDAt(nil, seq, 0)
			rep := &codec.Report{MsgID: id, SubmitID: id, User: "13800138000", SPNumber: "10655123", Stat: "DELIVRD",
				SubmitTime: "2601020304", DoneTime: "2601020304"}
			if n := testing.AllocsPerRun(100, func() {
				b := d.AppendResp(buf[:0], sub, 8)
				b = d.AppendSubmitResp(b, seq, id, 0)
				_ = d.AppendReport(b, seq, rep)
			}); n != 0 {
				t.Errorf("%v allocations", n)
			}
		})
	}
}
