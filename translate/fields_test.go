package translate

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/codec/text"
)

func TestNational(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000":      "13800138000",
		"8613800138000":    "13800138000",
		"+8613800138000":   "13800138000",
		"008613800138000":  "13800138000",
		"+13800138000":     "13800138000",
		"861065512":        "861065512",  // not a mobile number: kept
		"8610655123":       "8610655123", // 10 digits after 86: kept
		"+4915112345678":   "4915112345678",
		"abc":              "abc",
		"+":                "+",
		"":                 "",
		"0086106551230000": "0086106551230000",
	} {
		if got := National(in); got != want {
			t.Errorf("National(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCodingToSMPP: neutral codings become SMPP data_coding values and
// back: ASCII as IA5 (or GSM 7-bit when the deployment asks), binary and
// SIM-card write as 8-bit binary, UCS2 as it is, GBK re-encoded as UCS2,
// GSM schemes as they are.
func TestCodingToSMPP(t *testing.T) {
	gb, _ := text.Encode(text.GBK, "中文GBK")
	gsmFace := smppFace
	gsmFace.ASCIIAsGSM7 = true
	cases := []struct {
		name     string
		face     smpp.Neutral
		coding   uint8
		content  []byte
		dc       uint8
		wire     []byte
		back     uint8 // what the SMPP reader gives back
		backText []byte
	}{
		{"ascii", smppFace, text.ASCII, []byte("Hi @{x}"), 1, []byte("Hi @{x}"), text.ASCII, []byte("Hi @{x}")},
		{"ascii as gsm7", gsmFace, text.ASCII, []byte("Hi @{x}"), 0, []byte{'H', 'i', ' ', 0x00, 0x1B, 0x28, 'x', 0x1B, 0x29}, text.ASCII, []byte("Hi @{x}")},
		{"ucs2", smppFace, text.UCS2, ucs2("你好"), 8, ucs2("你好"), text.UCS2, ucs2("你好")},
		{"gbk", smppFace, text.GBK, gb, 8, ucs2("中文GBK"), text.UCS2, ucs2("中文GBK")},
		{"binary", smppFace, text.Binary, []byte{1, 2, 0xFF}, 4, []byte{1, 2, 0xFF}, text.Binary, []byte{1, 2, 0xFF}},
		{"sim", smppFace, text.SIM, []byte{1, 2}, 4, []byte{1, 2}, text.Binary, []byte{1, 2}},
		{"gsm class 1 8-bit", smppFace, 0xF5, []byte{0xCA, 0xFE}, 0xF5, []byte{0xCA, 0xFE}, 0xF5, []byte{0xCA, 0xFE}},
	}
	for _, c := range cases {
		src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS", Coding: c.coding,
			Content: c.content}
		frame := cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &src)
		pl, err := NewPair(cmpp3, c.face, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, pdu, err := smpp.Decode(pl.Frame(0))
		if err != nil {
			t.Fatal(err)
		}
		sm := pdu.(*smpp.Submit)
		if sm.DataCoding != c.dc || !bytes.Equal(sm.ShortMessage, c.wire) {
			t.Errorf("%s: data_coding %d %x, want %d %x", c.name, sm.DataCoding, sm.ShortMessage, c.dc, c.wire)
		}
		back := decodeSubmit(t, c.face, pl.Frame(0))
		if back.Coding != c.back || !bytes.Equal(back.Content, c.backText) {
			t.Errorf("%s: read back as %d %x, want %d %x", c.name, back.Coding, back.Content, c.back, c.backText)
		}
	}
}

// TestCodingFromSMPP: what an SMPP SP sends becomes a coding CMPP, SGIP
// and SMGP have: GSM 7-bit and Latin-1 text as ASCII when it is ASCII,
// as UCS2 otherwise; a Japanese set is refused.
func TestCodingFromSMPP(t *testing.T) {
	gsm, _ := text.AppendGSM7(nil, "Price: 5$ @home")
	gsmEuro, _ := text.AppendGSM7(nil, "5€ à")
	cases := []struct {
		dc      uint8
		in      []byte
		coding  uint8
		content []byte
	}{
		{0, gsm, text.ASCII, []byte("Price: 5$ @home")},
		{0, gsmEuro, text.UCS2, ucs2("5€ à")},
		{1, []byte("plain"), text.ASCII, []byte("plain")},
		{3, []byte("caf\xe9"), text.UCS2, ucs2("café")},
		{3, []byte("cafe"), text.ASCII, []byte("cafe")},
		{2, []byte{0, 1}, text.Binary, []byte{0, 1}},
		{8, ucs2("好"), text.UCS2, ucs2("好")},
	}
	for _, c := range cases {
		frame := smppSubmit(&smpp.Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", DataCoding: c.dc,
			ShortMessage: c.in})
		for _, up := range []Face{cmpp3, sgip.Dialect{}, smgp.NewDialect(smgp.V30)} {
			pl, err := NewPair(smppFace, up, testOptions).Submit(frame, spSeq(smppFace, 1), idGen(smppFace))
			if err != nil {
				t.Fatalf("data_coding %d: %v", c.dc, err)
			}
			s := decodeSubmit(t, up, pl.Frame(0))
			if s.Coding != c.coding || !bytes.Equal(s.Content, c.content) {
				t.Errorf("data_coding %d %x → %s: %d %x, want %d %x", c.dc, c.in, up.Protocol(), s.Coding, s.Content, c.coding, c.content)
			}
		}
	}
	frame := smppSubmit(&smpp.Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", DataCoding: 5,
		ShortMessage: []byte{0x30, 0x42}})
	_, err := NewPair(smppFace, cmpp3, testOptions).Submit(frame, spSeq(smppFace, 1), idGen(smppFace))
	if !errors.Is(err, text.ErrUnsupported) || ClassOf(err) != codec.ResultBadMessage {
		t.Errorf("JIS: %v", err)
	}
}

// TestServiceCodeAndLinkIDFit: a service code longer than SMPP's 5
// characters travels in the deployment's vendor TLV, or is refused with the
// bad-service class; a LinkID longer than the upstream's slot is refused
// with the LinkID class; an upstream with no LinkID loses it.
func TestServiceCodeAndLinkIDFit(t *testing.T) {
	src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "MUSICDAY", Content: []byte("x"),
		LinkID: "12345678901234567890"}
	frame := cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &src)
	pl, err := NewPair(cmpp3, smppFace, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
	if err != nil {
		t.Fatal(err)
	}
	_, pdu, _ := smpp.Decode(pl.Frame(0))
	sm := pdu.(*smpp.Submit)
	if v, ok := sm.TLVs.Get(testServiceTag); !ok || string(v) != "MUSICDAY" || sm.ServiceType != "" {
		t.Errorf("service_type %q, TLV %q", sm.ServiceType, v)
	}
	if got := decodeSubmit(t, smppFace, pl.Frame(0)); got.ServiceCode != "MUSICDAY" || got.LinkID != src.LinkID {
		t.Errorf("read back: service %q LinkID %q", got.ServiceCode, got.LinkID)
	}

	_, err = NewPair(cmpp3, smppPlain, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
	if ClassOf(err) != codec.ResultBadService || !errors.Is(err, ErrTooLong) {
		t.Errorf("plain SMPP, 8-character code: %v", err)
	}
	if got := NewPair(cmpp3, smppPlain, testOptions).RefusalResult(err); got != uint32(cmpp.ResultBadServiceID) {
		t.Errorf("CMPP SP answered %d, want 7", got)
	}

	src.ServiceCode = "NEWS"
	frame = cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &src)
	pl, err = NewPair(cmpp3, smppPlain, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeSubmit(t, smppPlain, pl.Frame(0)); got.LinkID != "" || got.ServiceCode != "NEWS" {
		t.Errorf("plain SMPP: LinkID %q service %q", got.LinkID, got.ServiceCode)
	}
	_, err = NewPair(cmpp3, cmpp.NewDialect(cmpp.V20), testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
	if ClassOf(err) != codec.ResultLinkID {
		t.Errorf("20-character LinkID to CMPP 2.0: %v", err)
	}
}

// TestPriorityScale: CMPP and SGIP priorities 0–9 reach SMGP and SMPP
// (0–3) capped at 3; 0–3 pass unchanged.
func TestPriorityScale(t *testing.T) {
	for _, c := range []struct{ in, want uint8 }{{0, 0}, {2, 2}, {3, 3}, {9, 3}} {
		src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS", Priority: c.in,
			Content: []byte("x")}
		frame := sgip.Dialect{}.AppendSubmit(nil, spSeq(sgip.Dialect{}, 1), &src)
		for _, up := range []Face{smgp.NewDialect(smgp.V30), smppFace} {
			pl, err := NewPair(sgip.Dialect{}, up, testOptions).Submit(frame, spSeq(sgip.Dialect{}, 1), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeSubmit(t, up, pl.Frame(0)).Priority; got != c.want {
				t.Errorf("%s: priority %d → %d, want %d", up.Protocol(), c.in, got, c.want)
			}
		}
	}
}

// TestSeveralCarriersPartialFailure: a CMPP Submit to three recipients
// goes to an SMPP upstream as three submit_sm. When one is refused the SP
// is answered 0 (two recipients got the message) and that recipient gets a
// REJECTD report under its own id; when all are refused the SP gets the
// first refusal's class in CMPP's words and no reports.
func TestSeveralCarriersPartialFailure(t *testing.T) {
	src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000", "13900139000", "13700137000"},
		ServiceCode: "NEWS", Content: []byte("hello"), NeedReport: true}
	seq := spSeq(cmpp3, 1)
	frame := cmpp3.AppendSubmit(nil, seq, &src)
	p := NewPair(cmpp3, smppFace, testOptions)
	pl, err := p.Submit(frame, seq, idGen(cmpp3))
	if err != nil {
		t.Fatal(err)
	}
	pl.Answer(0, 0, []byte("up-0"))
	pl.Answer(1, uint32(smpp.StatusInvDstAdr), nil)
	if pl.Answer(1, 0, []byte("late")) {
		t.Error("a second answer to the same Submit was taken")
	}
	pl.AnswerClass(2, codec.ResultOK)
	code, class := pl.Result()
	if code != 0 || class != codec.ResultOK || !equalInts(pl.Failures(), []int{1}) {
		t.Fatalf("result %d %v, failures %v", code, class, pl.Failures())
	}
	r := pl.FailureReport(1, testNow)
	d := decodeDelivery(t, cmpp3, p.AppendSPReport(nil, &r, idGen(cmpp3), testNow))
	if d.Kind != codec.KindReport || d.Report.Stat != "REJECTD" || d.Report.User != "13900139000" ||
		!bytes.Equal(d.Report.SubmitID, cmpp3.AppendMsgIDAt(nil, pl.SPID(), 1)) {
		t.Errorf("failure report %+v", d.Report)
	}

	pl, _ = p.Submit(frame, seq, idGen(cmpp3))
	pl.AnswerClass(0, codec.ResultBusy)
	pl.Answer(1, uint32(smpp.StatusInvDstAdr), nil)
	pl.Answer(2, uint32(smpp.StatusThrottled), nil)
	v := view(t, cmpp3, pl.AppendResp(nil, seq))
	if v.Result != uint32(cmpp.ResultFlowControl) || pl.Failures() != nil {
		t.Errorf("all refused: CMPP result %d (want 8, the first: busy), failures %v", v.Result, pl.Failures())
	}
}

// TestTimesAndHeadersFromFuzzing: two inputs FuzzSubmit and FuzzMO found.
// A validity time that is not SMPP's 16-character form is dropped (SMPP's
// reader refused the submit_sm it made); a Submit whose UDHI announces a
// header that does not parse is refused, and an MO's is read as text
// (SMPP's reader refused the deliver_sm it made).
func TestTimesAndHeadersFromFuzzing(t *testing.T) {
	for in, want := range map[string]string{"260315120000032+": "260315120000032+", "000001000000000R": "000001000000000R",
		"26031512000003+": "", "260315120000032x": "", "2603151200000 2+": "", "": ""} {
		src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS", Content: []byte("x"),
			ValidTime: in, AtTime: in}
		frame := cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &src)
		pl, err := NewPair(cmpp3, smppFace, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
		if err != nil {
			t.Fatal(err)
		}
		if s := decodeSubmit(t, smppFace, pl.Frame(0)); s.ValidTime != want || s.AtTime != want {
			t.Errorf("time %q → %q %q, want %q", in, s.ValidTime, s.AtTime, want)
		}
	}
	bad := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS", UDHI: true,
		Content: []byte{9, 0, 3, 1}}
	frame := cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &bad)
	if _, err := NewPair(cmpp3, smppFace, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3)); ClassOf(err) != codec.ResultBadMessage {
		t.Errorf("bad UDH Submit: %v", err)
	}
	mo := cmpp3.AppendDeliver(nil, spSeq(cmpp3, 1), &codec.Deliver{MsgID: []byte{1}, User: "13800138000", SPNumber: "1065",
		UDHI: true, Content: []byte{9, 'h', 'i'}})
	out, err := NewPair(smppFace, cmpp3, testOptions).MO(mo, nil, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if d := decodeDelivery(t, smppFace, out[0]).Deliver; d.UDHI || string(d.Content) != "\x09hi" {
		t.Errorf("MO with a bad header: UDHI %v content %q", d.UDHI, d.Content)
	}
}

// TestPayerSPToSMGP: an MT the SP pays for stays the SP's at an SMGP
// upstream (TLV ChargeUserType 2); SMGP wrote no charge number and nothing
// else, which makes the recipient pay.
func TestPayerSPToSMGP(t *testing.T) {
	src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS", Content: []byte("x"),
		Fee: codec.Fee{Type: codec.FeePerMessage, Code: 10, Payer: codec.PayerSP}}
	for _, sp := range []Face{cmpp3, sgip.Dialect{}} {
		frame := sp.AppendSubmit(nil, spSeq(sp, 1), &src)
		up := smgp.NewDialect(smgp.V30)
		pl, err := NewPair(sp, up, testOptions).Submit(frame, spSeq(sp, 1), idGen(sp))
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeSubmit(t, up, pl.Frame(0)).Fee; got != src.Fee {
			t.Errorf("%s → smgp: fee %+v, want %+v", sp.Protocol(), got, src.Fee)
		}
	}
}

// TestRouteBeforeAnswerSGIP: toward SGIP the route is known when the
// Submit leaves (its sequence), and an answer without an id keeps it.
func TestRouteBeforeAnswerSGIP(t *testing.T) {
	src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000", "13900139000"}, ServiceCode: "NEWS",
		Content: []byte("x"), NeedReport: true}
	frame := cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &src)
	up := sgip.Dialect{}
	pl, err := NewPair(cmpp3, up, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
	if err != nil {
		t.Fatal(err)
	}
	for k := range pl.Len() {
		gw := spSeq(up, uint32(500+k))
		pl.Sent(k, gw)
		key, origin := pl.Route(k, k, nil, nil)
		if !bytes.Equal(key, gw) || !bytes.Equal(origin, cmpp3.AppendMsgIDAt(nil, pl.SPID(), k)) {
			t.Errorf("Submit %d before its answer: key %x origin %x", k, key, origin)
		}
		pl.Answer(k, 0, nil)
		if key2, _ := pl.Route(k, k, nil, nil); !bytes.Equal(key2, gw) {
			t.Errorf("after the answer: key %x, want %x", key2, gw)
		}
	}
}
