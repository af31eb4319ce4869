package translate

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
)

var cmpp3 = cmpp.NewDialect(cmpp.V30)

// smppSubmit builds a submit_sm frame from the typed PDU.
func smppSubmit(p *smpp.Submit) []byte { return smpp.Append(nil, 7, 0, p) }

// reassemble checks that the upstream Submits of plan are the parts of one
// concatenated message in order — the same reference, totals, part
// numbers, and Pk fields that agree — and returns the text they carry.
func reassemble(t *testing.T, up Face, pl *Plan) []byte {
	t.Helper()
	var body []byte
	var ref uint16
	for k := range pl.Len() {
		s := decodeSubmit(t, up, pl.Frame(k))
		h, ok := udh.Parse(s.Content)
		if !s.UDHI || !ok || !h.HasConcat {
			t.Fatalf("part %d: UDHI %v, no concatenation header in %x", k, s.UDHI, s.Content)
		}
		if k == 0 {
			ref = h.Concat.Ref
		}
		if h.Concat.Ref != ref || int(h.Concat.Total) != pl.Len() || int(h.Concat.Seq) != k+1 {
			t.Errorf("part %d: header %+v, want ref %d total %d part %d", k, h.Concat, ref, pl.Len(), k+1)
		}
		if up.Capabilities().PkFields && (s.PkTotal != h.Concat.Total || s.PkNumber != h.Concat.Seq) {
			t.Errorf("part %d: Pk %d/%d, header %d/%d", k, s.PkNumber, s.PkTotal, h.Concat.Seq, h.Concat.Total)
		}
		if n, total := pl.Part(k); n != h.Concat.Seq || total != h.Concat.Total {
			t.Errorf("Plan.Part(%d) = %d/%d", k, n, total)
		}
		if !fitsOne(s.Coding, h.Len, len(s.Content)-h.Len) {
			t.Errorf("part %d: %d bytes in coding %d do not fit one short message", k, len(s.Content), s.Coding)
		}
		body = append(body, s.Content[h.Len:]...)
	}
	return body
}

// TestLongPayloadToCMPP: an SMPP SP's message_payload longer than one
// short message reaches a CMPP upstream as concatenated parts (8-bit
// reference, Pk_total/Pk_number set); the SP gets one submit_sm_resp once
// every part is answered, and every part's report names its one id.
func TestLongPayloadToCMPP(t *testing.T) {
	msg := strings.Repeat("长短信测试，", 25) // 150 characters, 300 bytes of UCS2
	frame := smppSubmit(&smpp.Submit{SourceAddr: "10655123", DestinationAddr: "8613800138000", DataCoding: 8,
		RegisteredDelivery: 1, TLVs: smpp.TLVs{{Tag: smpp.TagMessagePayload, Value: ucs2(msg)}}})
	p := NewPair(smppFace, cmpp3, testOptions)
	pl, err := p.Submit(frame, spSeq(smppFace, 7), idGen(smppFace))
	if err != nil {
		t.Fatal(err)
	}
	if pl.Len() != 3 {
		t.Fatalf("%d parts, want 3 (134 + 134 + 32 bytes)", pl.Len())
	}
	if got := reassemble(t, cmpp3, pl); !bytes.Equal(got, ucs2(msg)) {
		t.Errorf("parts carry %x", got)
	}
	for k := range pl.Len() {
		if pl.Done() {
			t.Fatal("done before every part was answered")
		}
		pl.Answer(k, 0, upstreamID(t, cmpp3, k))
	}
	v := view(t, smppFace, pl.AppendResp(nil, spSeq(smppFace, 7)))
	if v.Result != 0 || string(v.MsgID) != string(pl.SPID()) {
		t.Errorf("submit_sm_resp status %d id %q, want 0 %q", v.Result, v.MsgID, pl.SPID())
	}
	for k := range pl.Len() {
		if _, origin := pl.Route(k, 0, nil, nil); string(origin) != string(pl.SPID()) {
			t.Errorf("part %d routes to %q, want the one id %q", k, origin, pl.SPID())
		}
	}
}

// TestSARToUDH: an SMPP SP's sar_* segments become parts with a
// concatenation header: an 8-bit reference when it fits, the 16-bit one
// otherwise, Pk fields to match.
func TestSARToUDH(t *testing.T) {
	for _, ref := range []uint16{0x34, 0x1234} {
		part := []byte(strings.Repeat("a", 120))
		frame := smppSubmit(&smpp.Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", DataCoding: 1,
			ShortMessage: part, TLVs: smpp.TLVs{smpp.TLVUint16(smpp.TagSARMsgRefNum, ref),
				smpp.TLVUint8(smpp.TagSARTotalSegments, 3), smpp.TLVUint8(smpp.TagSARSegmentSeqnum, 2)}})
		for _, up := range []Face{cmpp3, smgp.NewDialect(smgp.V30), sgip.Dialect{}} {
			pl, err := NewPair(smppFace, up, testOptions).Submit(frame, spSeq(smppFace, 1), idGen(smppFace))
			if err != nil {
				t.Fatal(err)
			}
			s := decodeSubmit(t, up, pl.Frame(0))
			h, ok := udh.Parse(s.Content)
			if !s.UDHI || !ok || h.Concat != (udh.Concat{Ref: ref, Total: 3, Seq: 2, Wide: ref > 0xff}) {
				t.Errorf("%s ref %#x: UDHI %v header %+v", up.Protocol(), ref, s.UDHI, h.Concat)
			}
			if !bytes.Equal(s.Content[h.Len:], part) {
				t.Errorf("%s: text %q", up.Protocol(), s.Content[h.Len:])
			}
			if up.Capabilities().PkFields && (s.PkTotal != 3 || s.PkNumber != 2) {
				t.Errorf("%s: Pk %d/%d, want 2/3", up.Protocol(), s.PkNumber, s.PkTotal)
			}
		}
	}
}

// TestUDHToSMPP: a CMPP SP's part with a UDH reaches an SMPP upstream with
// the UDH kept and esm_class UDHI set (SMPP forbids mixing it with
// sar_*), and SMPP's View sees the same part.
func TestUDHToSMPP(t *testing.T) {
	content := append(udh.Append(nil, udh.Concat{Ref: 9, Total: 2, Seq: 2}), ucs2("第二部分")...)
	src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS",
		Coding: text.UCS2, Content: content, UDHI: true, PkTotal: 2, PkNumber: 2}
	frame := cmpp3.AppendSubmit(nil, spSeq(cmpp3, 1), &src)
	pl, err := NewPair(cmpp3, smppFace, testOptions).Submit(frame, spSeq(cmpp3, 1), idGen(cmpp3))
	if err != nil {
		t.Fatal(err)
	}
	_, pdu, err := smpp.Decode(pl.Frame(0))
	if err != nil {
		t.Fatal(err)
	}
	sm := pdu.(*smpp.Submit)
	if !sm.ESMClass.UDHI() || !bytes.Equal(sm.ShortMessage, content) || sm.DataCoding != 8 {
		t.Errorf("esm_class %#x data_coding %d short_message %x", sm.ESMClass, sm.DataCoding, sm.ShortMessage)
	}
	if _, ok := sm.TLVs.SARMsgRefNum(); ok {
		t.Error("sar_msg_ref_num sent with a UDH")
	}
	v := view(t, smppFace, pl.Frame(0))
	if ref, total, seq, ok := v.Segment(); !ok || ref != 9 || total != 2 || seq != 2 {
		t.Errorf("View.Segment = %d %d/%d %v", ref, seq, total, ok)
	}
}

// TestSplitBoundaries: splitting never cuts a character in two: a UCS2
// surrogate pair, a GBK two-byte character, a GB18030 four-byte one; and
// ASCII parts hold 153 characters.
func TestSplitBoundaries(t *testing.T) {
	gb := func(s string) []byte {
		b, err := text.Encode(text.GBK, s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name   string
		coding uint8
		body   []byte
		sizes  []int
	}{
		{"ascii", text.ASCII, []byte(strings.Repeat("x", 400)), []int{153, 153, 94}},
		{"ucs2 surrogate at the cut", text.UCS2, ucs2(strings.Repeat("a", 66) + "😀" + "b"), []int{132, 6}},
		{"gbk odd start", text.GBK, gb("a" + strings.Repeat("中", 80)), []int{133, 28}},
		{"gb18030 four bytes", text.GBK, append(bytes.Repeat([]byte{'a'}, 132), 0x81, 0x30, 0x81, 0x30, 'z'), []int{132, 5}},
		{"binary", text.Binary, bytes.Repeat([]byte{0xFF}, 300), []int{134, 134, 32}},
	}
	for _, c := range cases {
		parts, err := splitParts(c.coding, c.body, 7)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var sizes []int
		var joined []byte
		for _, p := range parts {
			sizes = append(sizes, len(p)-6)
			joined = append(joined, p[6:]...)
		}
		if !equalInts(sizes, c.sizes) || !bytes.Equal(joined, c.body) {
			t.Errorf("%s: parts of %v bytes, want %v (joined equal: %v)", c.name, sizes, c.sizes, bytes.Equal(joined, c.body))
		}
	}
	if _, err := splitParts(text.Binary, make([]byte, 134*255+1), 1); !errors.Is(err, ErrTooLong) {
		t.Errorf("256 parts: %v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPartTooLongAfterConversion: an SMPP segment of 153 GSM 7-bit
// characters fits a CMPP part as ASCII; with one Latin character it must
// become UCS2, no longer fits one part, and cannot be renumbered alone:
// the SP is refused with the bad-message class, before anything is sent.
func TestPartTooLongAfterConversion(t *testing.T) {
	sar := smpp.TLVs{smpp.TLVUint16(smpp.TagSARMsgRefNum, 5), smpp.TLVUint8(smpp.TagSARTotalSegments, 2),
		smpp.TLVUint8(smpp.TagSARSegmentSeqnum, 1)}
	gsm, _ := text.AppendGSM7(nil, strings.Repeat("a", 153))
	frame := smppSubmit(&smpp.Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", ShortMessage: gsm, TLVs: sar})
	p := NewPair(smppFace, cmpp3, testOptions)
	if _, err := p.Submit(frame, spSeq(smppFace, 1), idGen(smppFace)); err != nil {
		t.Fatalf("153 GSM 7-bit characters: %v", err)
	}
	latin, _ := text.AppendGSM7(nil, strings.Repeat("é", 153))
	frame = smppSubmit(&smpp.Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", ShortMessage: latin, TLVs: sar})
	_, err := p.Submit(frame, spSeq(smppFace, 1), idGen(smppFace))
	if !errors.Is(err, ErrTooLong) || ClassOf(err) != codec.ResultBadMessage {
		t.Fatalf("153 × é: %v (class %v)", err, ClassOf(err))
	}
	if got := p.RefusalResult(err); got != uint32(smpp.StatusSubmitFail) {
		t.Errorf("SP answered %#x, want ESME_RSUBMITFAIL", got)
	}
}

// TestLongToSMPPPayload: a message longer than 254 bytes from an SGIP SP
// (whose length field is 4 bytes) goes to SMPP in one submit_sm, in
// message_payload; to CMPP in 153-character parts.
func TestLongToSMPPPayload(t *testing.T) {
	msg := []byte(strings.Repeat("0123456789", 40))
	src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS", Content: msg}
	frame := sgip.Dialect{}.AppendSubmit(nil, spSeq(sgip.Dialect{}, 1), &src)
	pl, err := NewPair(sgip.Dialect{}, smppFace, testOptions).Submit(frame, spSeq(sgip.Dialect{}, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, pdu, err := smpp.Decode(pl.Frame(0))
	if err != nil {
		t.Fatal(err)
	}
	sm := pdu.(*smpp.Submit)
	if pl.Len() != 1 || len(sm.ShortMessage) != 0 || !bytes.Equal(sm.Message(), msg) || sm.DataCoding != 1 {
		t.Errorf("%d submit_sm, short_message %d bytes, payload %d bytes, data_coding %d", pl.Len(), len(sm.ShortMessage),
			len(sm.Message()), sm.DataCoding)
	}
	pl, err = NewPair(sgip.Dialect{}, cmpp3, testOptions).Submit(frame, spSeq(sgip.Dialect{}, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := reassemble(t, cmpp3, pl); pl.Len() != 3 || !bytes.Equal(got, msg) {
		t.Errorf("%d parts carrying %q", pl.Len(), got)
	}
}

// TestLongMOSplit: a long MO from an SMPP upstream (message_payload)
// reaches a CMPP SP as concatenated Delivers, each with its own id.
func TestLongMOSplit(t *testing.T) {
	msg := ucs2(strings.Repeat("回复内容", 20)) // 160 bytes
	frame := smpp.Append(nil, 3, 0, &smpp.Deliver{SourceAddr: "8613800138000", DestinationAddr: "10655123",
		DataCoding: 8, TLVs: smpp.TLVs{{Tag: smpp.TagMessagePayload, Value: msg}}})
	out, err := NewPair(cmpp3, smppFace, testOptions).MO(frame, idGen(cmpp3), testNow)
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	ids := map[uint64]bool{}
	for i, f := range out {
		d := decodeDelivery(t, cmpp3, f).Deliver
		h, ok := udh.Parse(d.Content)
		if !d.UDHI || !ok || h.Concat.Total != uint8(len(out)) || h.Concat.Seq != uint8(i+1) {
			t.Fatalf("Deliver %d: UDHI %v header %+v", i, d.UDHI, h.Concat)
		}
		body = append(body, d.Content[h.Len:]...)
		ids[codec.Uint64Of(d.MsgID)] = true
	}
	if len(out) != 2 || !bytes.Equal(body, msg) || len(ids) != 2 {
		t.Errorf("%d Delivers, %d ids, text equal %v", len(out), len(ids), bytes.Equal(body, msg))
	}
}
