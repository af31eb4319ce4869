package smgp

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestTagNames(t *testing.T) {
	for tag, want := range map[uint16]string{
		TagTPPid: "TP_pid", TagTPUdhi: "TP_udhi", TagLinkID: "LinkID", TagChargeUserType: "ChargeUserType",
		TagChargeTermType: "ChargeTermType", TagChargeTermPseudo: "ChargeTermPseudo", TagDestTermType: "DestTermType",
		TagDestTermPseudo: "DestTermPseudo", TagPkTotal: "PkTotal", TagPkNumber: "PkNumber",
		TagSubmitMsgType: "SubmitMsgType", TagSPDealResult: "SPDealResult", TagSrcTermType: "SrcTermType",
		TagSrcTermPseudo: "SrcTermPseudo", TagNodesCount: "NodesCount", TagMsgSrc: "MsgSrc",
		TagSrcType: "SrcType", TagMServiceID: "MServiceID",
		0x0000: "0x0000", 0x0014: "0x0014", 0xabcd: "0xabcd",
	} {
		if got := TagName(tag); got != want {
			t.Errorf("TagName(%#x) = %q, want %q", tag, got, want)
		}
	}
}

func TestAppendTLV(t *testing.T) {
	got := AppendTLV([]byte{0xee}, TagLinkID, []byte("1023rsd\x00"))
	if !bytes.Equal(got, codectest.MustHex("ee 0003 0008 3130323372736400")) {
		t.Fatalf("%x", got)
	}
	if got := AppendTLV(nil, TagTPUdhi, nil); !bytes.Equal(got, codectest.MustHex("0002 0000")) {
		t.Fatalf("%x", got)
	}
	if got := AppendTLV(nil, 1, make([]byte, 70000)); len(got) != 4+0xffff || got[2] != 0xff || got[3] != 0xff {
		t.Fatalf("long value: %d bytes", len(got))
	}
}

// The proxy's way of giving an MO a LinkID: append the TLV to the frame,
// fix the length, and the frame is a valid Deliver carrying it.
func TestAppendLinkIDToDeliver(t *testing.T) {
	d := &Deliver{MsgID: mustID("01006101161700012346"), MsgFormat: 15, RecvTime: "20030116170000",
		SrcTermID: "13800138000", DestTermID: "1065512345", MsgContent: []byte("DZ"), Reserve: zeros(8)}
	frame := Append(nil, V30, 3, d)
	var w codec.View
	if err := ParseView(frame, V30, &w); err != nil || w.LinkIDField != nil {
		t.Fatalf("before: %v, LinkIDField %q", err, w.LinkIDField)
	}
	frame = AppendTLV(frame, TagLinkID, []byte("LINK0000000000000001"))
	codec.PutLength(frame)
	if !bytes.Equal(frame, codectest.ReadHex(t, "v4_deliver_mo_linkid.hex")) {
		t.Fatalf("frame with LinkID is not V4:\n%x", frame)
	}
	if err := ParseView(frame, V30, &w); err != nil || string(w.LinkID()) != "LINK0000000000000001" || len(w.LinkIDField) != LinkIDLen {
		t.Fatalf("after: %v %q", err, w.LinkIDField)
	}
}

func TestStringTLVHonoursLength(t *testing.T) {
	s := &Submit{MsgType: 6, DestTermID: []string{"1"}, MsgContent: []byte("x"), Reserve: zeros(8)}
	s.SetTLV(TagLinkID, []byte("1023rsd\x00")) // SMSGate: text + NUL, Length 8
	frame := Append(nil, V30, 1, s)
	_, p, err := Decode(frame, V30)
	if err != nil {
		t.Fatal(err)
	}
	got := p.(*Submit)
	if got.LinkID() != "1023rsd" {
		t.Fatalf("LinkID %q", got.LinkID())
	}
	if v, _ := got.TLV(TagLinkID); len(v) != 8 {
		t.Fatalf("raw value %q not kept", v)
	}
	if !bytes.Equal(Append(nil, V30, 1, got), frame) {
		t.Fatal("re-encode differs")
	}
	var w codec.View
	if err := ParseView(frame, V30, &w); err != nil || len(w.LinkIDField) != 8 || string(w.LinkID()) != "1023rsd" {
		t.Fatalf("view: %v %q", err, w.LinkIDField)
	}
	s.SetTLV(TagLinkID, []byte("ABC"))
	if len(s.TLVs) != 1 || s.LinkID() != "ABC" {
		t.Fatal("SetTLV did not replace")
	}
}

func TestParseTLVs(t *testing.T) {
	cases := []struct {
		name    string
		area    string
		tags    []uint16
		trailer string
	}{
		{"empty", "", nil, ""},
		{"one", "0002 0001 01", []uint16{2}, ""},
		{"order kept, duplicates kept", "0009 0001 02 0002 0001 40 0009 0001 03", []uint16{9, 2, 9}, ""},
		{"3 stray bytes", "0002 0001 01 000300", []uint16{2}, "000300"},
		{"length past the end", "0002 0001 01 0003 0014 4c494e4b", []uint16{2}, "0003 0014 4c494e4b"},
		{"zero-length value", "0003 0000", []uint16{3}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tlvs, trailer := parseTLVs(codectest.MustHex(c.area))
			var tags []uint16
			for _, x := range tlvs {
				tags = append(tags, x.Tag)
			}
			if len(tags) != len(c.tags) || (len(tags) > 0 && !bytes.Equal(u16s(tags), u16s(c.tags))) {
				t.Fatalf("tags %v, want %v", tags, c.tags)
			}
			if !bytes.Equal(trailer, codectest.MustHex(c.trailer)) {
				t.Fatalf("trailer %x", trailer)
			}
			if got := appendTLVs(nil, tlvs, trailer); !bytes.Equal(got, codectest.MustHex(c.area)) {
				t.Fatalf("re-encoded %x", got)
			}
			checkViewTLVs(t, codectest.MustHex(c.area), tlvs)
		})
	}
}

// checkViewTLVs: ParseView's walk of a TLV area finds the first LinkID,
// TP_udhi, PkTotal and PkNumber of the TLVs Decode parsed from it.
func checkViewTLVs(t *testing.T, area []byte, tlvs []TLV) {
	t.Helper()
	var v codec.View
	viewTLVs(area, nil, &v)
	link, ok := findTLV(tlvs, TagLinkID)
	if !bytes.Equal(v.LinkIDField, link) || (v.LinkIDField != nil) != ok {
		t.Fatalf("viewTLVs LinkIDField %x, Decode's %x (%v)", v.LinkIDField, link, ok)
	}
	if v.UDHI != udh.Flag(tlvByte(tlvs, TagTPUdhi)) || v.PkTotal != tlvByte(tlvs, TagPkTotal) || v.PkNumber != tlvByte(tlvs, TagPkNumber) {
		t.Fatalf("viewTLVs UDHI %v PkTotal %d PkNumber %d, Decode's TLVs %v", v.UDHI, v.PkTotal, v.PkNumber, tlvs)
	}
}

func u16s(v []uint16) []byte {
	var b []byte
	for _, x := range v {
		b = codec.AppendUint16(b, x)
	}
	return b
}

func TestTLVJSON(t *testing.T) {
	b, err := json.Marshal([]TLV{{Tag: TagLinkID, Value: []byte("AB")}, {Tag: 0x14, Value: []byte{1}}})
	if err != nil || string(b) != `[{"Tag":"0x0003","Name":"LinkID","Value":"4142","Text":"AB"},{"Tag":"0x0014","Name":"0x0014","Value":"01"}]` {
		t.Fatalf("%s %v", b, err)
	}
	if (TLV{Value: []byte{0, 7}}).Uint8() != 7 || (TLV{}).Uint8() != 0 {
		t.Fatal("Uint8")
	}
}
