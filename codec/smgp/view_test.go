package smgp

import (
	"bytes"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

// compareView checks ParseView against the typed decode of the same frame.
func compareView(t *testing.T, frame []byte, v Version) *codec.View {
	t.Helper()
	h, p, err := Decode(frame, v)
	if err != nil {
		t.Fatal(err)
	}
	var w codec.View
	if err := ParseView(frame, v, &w); err != nil {
		t.Fatal(err)
	}
	codectest.CheckViewInside(t, frame, &w)
	if w.Kind != KindOf(h.RequestID) || w.Command != uint32(h.RequestID) || w.Length != int(h.PacketLength) ||
		!bytes.Equal(w.Sequence, codec.AppendUint32(nil, h.SequenceID)) {
		t.Fatalf("header view %+v, header %+v", w, h)
	}
	eq := func(what string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Errorf("View.%s = %q, want %q", what, got, want)
		}
	}
	switch p := p.(type) {
	case *Submit:
		eq("SPNumber", w.SPNumber, p.SrcTermID)
		eq("ServiceCode", w.ServiceCode, p.ServiceID)
		if w.DestCount != len(p.DestTermID) {
			t.Fatalf("DestCount %d", w.DestCount)
		}
		for i, d := range p.DestTermID {
			eq("Dest", w.Dest(i), d)
			if len(w.DestField(i)) != TermIDLen {
				t.Error("DestField width")
			}
		}
		raw, _ := p.TLV(TagLinkID)
		if !bytes.Equal(w.LinkIDField, raw) || (raw == nil) != (w.LinkIDField == nil) {
			t.Errorf("LinkIDField %q, want %q", w.LinkIDField, raw)
		}
		eq("LinkID", w.LinkID(), p.LinkID())
		if w.UDHI != udh.Flag(p.TPUDHI()) || w.Coding != p.MsgFormat || w.NeedReport != (p.NeedReport == 1) {
			t.Errorf("UDHI %v Coding %d NeedReport %v", w.UDHI, w.Coding, w.NeedReport)
		}
		checkSegments(t, &w, p.TLVs, p.MsgContent)
		eq("Content", w.Content, string(p.MsgContent))
	case *Deliver:
		eq("MsgID", w.MsgID, string(p.MsgID[:]))
		eq("UserNumber", w.UserNumber, p.SrcTermID)
		eq("SPNumber", w.SPNumber, p.DestTermID)
		eq("Content", w.Content, string(p.MsgContent))
		raw, _ := p.TLV(TagLinkID)
		if !bytes.Equal(w.LinkIDField, raw) || (raw == nil) != (w.LinkIDField == nil) {
			t.Errorf("LinkIDField %q, want %q", w.LinkIDField, raw)
		}
		if w.IsReport != (p.IsReport == 1) || w.Coding != p.MsgFormat || w.ServiceCode != nil {
			t.Errorf("IsReport %v Coding %d", w.IsReport, w.Coding)
		}
		checkSegments(t, &w, p.TLVs, p.MsgContent)
		if p.Report != nil {
			eq("ReportMsgID", w.ReportMsgID, string(p.Report.ID[:]))
			eq("ReportStat", w.ReportStat, p.Report.Stat)
		} else if w.ReportMsgID != nil || w.ReportStat != nil {
			t.Errorf("report fields on a non-report")
		}
	case *SubmitResp:
		eq("MsgID", w.MsgID, string(p.MsgID[:]))
		if w.Result != uint32(p.Status) {
			t.Errorf("Result %d", w.Result)
		}
	case *DeliverResp:
		eq("MsgID", w.MsgID, string(p.MsgID[:]))
		if w.Result != uint32(p.Status) {
			t.Errorf("Result %d", w.Result)
		}
	case *LoginResp:
		if w.Result != uint32(p.Status) {
			t.Errorf("Result %d", w.Result)
		}
	default:
		if w.SPNumber != nil || w.Content != nil || w.MsgID != nil || w.DestCount != 0 {
			t.Errorf("body fields filled for %s", h.RequestID)
		}
	}
	return &w
}

// checkSegments: PkTotal/PkNumber from the TLVs, else from the UDH when
// TP_udhi says there is one; ConcatRef from the UDH.
func checkSegments(t *testing.T, w *codec.View, tlvs []TLV, content []byte) {
	t.Helper()
	total, hasTotal := findTLV(tlvs, TagPkTotal)
	number, hasNumber := findTLV(tlvs, TagPkNumber)
	var h udh.Header
	if w.UDHI {
		h, _ = udh.Parse(content)
	}
	wantTotal, wantNumber := tlvUint8(total), tlvUint8(number)
	if !hasTotal {
		wantTotal = h.Concat.Total
	}
	if !hasNumber {
		wantNumber = h.Concat.Seq
	}
	if w.PkTotal != wantTotal || w.PkNumber != wantNumber || w.ConcatRef != h.Concat.Ref {
		t.Errorf("PkTotal %d PkNumber %d ConcatRef %d, want %d %d %d", w.PkTotal, w.PkNumber, w.ConcatRef,
			wantTotal, wantNumber, h.Concat.Ref)
	}
}

func TestParseViewMatchesDecode(t *testing.T) {
	for _, c := range walkCases(t) {
		t.Run(c.name, func(t *testing.T) { compareView(t, c.frame, c.v) })
	}
}

func TestParseViewVectors(t *testing.T) {
	t.Run("V2 Submit", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v2_submit_linkid.hex"), V30)
		if string(w.SPNumber) != "1065512345" || string(w.ServiceCode) != "HELP" || string(w.Dest(0)) != "13800138000" ||
			string(w.LinkIDField) != "LINK0000000000000001" || w.Coding != 8 || !w.NeedReport || w.UDHI {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("V5 report", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v5_deliver_report.hex"), V30)
		if !w.IsReport || !bytes.Equal(w.ReportMsgID, codectest.MustHex("01006101161700012345")) || string(w.ReportStat) != "DELIVRD" ||
			string(w.UserNumber) != "13800138000" || !bytes.Equal(w.MsgID, codectest.MustHex("01006101161700012347")) || w.LinkIDField != nil {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("V7 segments from TLVs, TP_udhi 0", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v7_submit_v13_tlvs.hex"), V13)
		if w.UDHI || w.PkTotal != 1 || w.PkNumber != 1 || string(w.SPNumber) != "10086" || w.LinkIDField != nil {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("V8 UDH without TP_udhi is not interpreted", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v8_submit_truncated_tlv.hex"), V30)
		if w.UDHI || w.PkTotal != 0 || w.ConcatRef != 0 || len(w.Content) != 90 {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("segments from the UDH when TP_udhi is 0x40 and no Pk TLVs", func(t *testing.T) {
		s := samples(V30)[2].(*Submit)
		s.TLVs = []TLV{{Tag: TagTPUdhi, Value: []byte{0x40}}}
		w := compareView(t, Append(nil, V30, 1, s), V30)
		if !w.UDHI || w.PkTotal != 2 || w.PkNumber != 1 || w.ConcatRef != 0x34 {
			t.Fatalf("%+v", w)
		}
		if ref, total, seq, ok := w.Segment(); !ok || ref != 0x34 || total != 2 || seq != 1 {
			t.Fatalf("Segment() = %#x %d/%d %v", ref, seq, total, ok)
		}
	})
	t.Run("the UDH's element wins over Pk TLVs saying 1/1", func(t *testing.T) {
		s := samples(V30)[2].(*Submit)
		s.TLVs = []TLV{{Tag: TagTPUdhi, Value: []byte{1}}, {Tag: TagPkTotal, Value: []byte{1}}, {Tag: TagPkNumber, Value: []byte{1}}}
		w := compareView(t, Append(nil, V30, 1, s), V30)
		if w.PkTotal != 1 || w.PkNumber != 1 || !w.HasConcat || w.ConcatTotal != 2 || w.ConcatSeq != 1 {
			t.Fatalf("%+v", w)
		}
		if ref, total, seq, ok := w.Segment(); !ok || ref != 0x34 || total != 2 || seq != 1 {
			t.Fatalf("Segment() = %#x %d/%d %v", ref, seq, total, ok)
		}
	})
	t.Run("undefined RequestID", func(t *testing.T) {
		var w codec.View
		err := ParseView(codectest.MustHex("0000000c 00000013 00000009"), V30, &w)
		codectest.WantFieldError(t, err, "RequestID", -1, codec.ErrUnknownCommand)
		if w.Kind != codec.KindUnknown || w.Command != 0x13 || w.Length != 12 || len(w.Sequence) != 4 {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("view is reset", func(t *testing.T) {
		var w codec.View
		_ = ParseView(codectest.ReadHex(t, "v2_submit_linkid.hex"), V30, &w)
		if err := ParseView(codectest.ReadHex(t, "v6_active_test.hex"), V30, &w); err != nil || w.SPNumber != nil || w.DestCount != 0 {
			t.Fatalf("%v %+v", err, w)
		}
	})
}

func TestSetSequence(t *testing.T) {
	frame := codectest.ReadHex(t, "v2_submit_linkid.hex")
	SetSequence(frame, 0xa1b2c3d4)
	if SequenceOf(frame) != 0xa1b2c3d4 || !bytes.Equal(frame[8:12], codectest.MustHex("a1b2c3d4")) {
		t.Fatalf("%x", frame[:12])
	}
	h, _, err := Decode(frame, V30)
	if err != nil || h.SequenceID != 0xa1b2c3d4 {
		t.Fatal(h, err)
	}
	// The view's Sequence is the header field itself.
	var w codec.View
	_ = ParseView(frame, V30, &w)
	copy(w.Sequence, []byte{0, 0, 0, 9})
	if SequenceOf(frame) != 9 || cap(w.Sequence) != 4 {
		t.Fatal("Sequence is not the frame's field")
	}
	// A LinkID written into the view's slot lands in the frame.
	copy(w.LinkIDField, "LINK9999999999999999")
	_, p, _ := Decode(frame, V30)
	if p.(*Submit).LinkID() != "LINK9999999999999999" {
		t.Fatal("LinkIDField is not the frame's TLV value")
	}
	short := []byte{1, 2, 3}
	SetSequence(short, 1)
	if SequenceOf(short) != 0 || !bytes.Equal(short, []byte{1, 2, 3}) {
		t.Fatal("short frame touched")
	}
}

func TestHotPathAllocs(t *testing.T) {
	frames := map[string][]byte{
		"Submit":      codectest.ReadHex(t, "v2_submit_linkid.hex"),
		"Submit 0x13": codectest.ReadHex(t, "v7_submit_v13_tlvs.hex"),
		"Deliver MO":  codectest.ReadHex(t, "v4_deliver_mo_linkid.hex"),
		"report":      codectest.ReadHex(t, "v5_deliver_report.hex"),
		"Submit_Resp": codectest.ReadHex(t, "v3_submit_resp.hex"),
		"Active_Test": codectest.ReadHex(t, "v6_active_test.hex"),
		"V8":          codectest.ReadHex(t, "v8_submit_truncated_tlv.hex"),
		"UDH Submit": func() []byte {
			s := samples(V30)[2].(*Submit)
			s.TLVs = []TLV{{Tag: TagTPUdhi, Value: []byte{1}}}
			return Append(nil, V30, 1, s)
		}(),
	}
	var w codec.View
	for name, frame := range frames {
		v := V30
		if name == "Submit 0x13" {
			v = V13
		}
		t.Run("ParseView+SetSequence "+name, func(t *testing.T) {
			n := testing.AllocsPerRun(200, func() {
				if err := ParseView(frame, v, &w); err != nil {
					t.Fatal(err)
				}
				SetSequence(frame, SequenceOf(frame)+1)
			})
			if n != 0 {
				t.Fatalf("%v allocs", n)
			}
		})
	}
	buf := make([]byte, 0, 256)
	id := codectest.MustHex("01006101161700012345")
	resp := &SubmitResp{MsgID: mustID("01006101161700012345"), Status: StatusDailyLimit}
	for name, f := range map[string]func(){
		"AppendSubmitResp":     func() { buf = AppendSubmitResp(buf[:0], 1, id, StatusVendorMin) },
		"AppendDeliverResp":    func() { buf = AppendDeliverResp(buf[:0], 1, id, StatusOK) },
		"AppendActiveTestResp": func() { buf = AppendActiveTestResp(buf[:0], 1) },
		"AppendActiveTest":     func() { buf = AppendActiveTest(buf[:0], 1) },
		"AppendExitResp":       func() { buf = AppendExitResp(buf[:0], 1) },
		"Append reused struct": func() { buf = Append(buf[:0], V30, 1, resp) },
		"AppendTLV":            func() { buf = AppendTLV(buf[:0], TagLinkID, id) },
	} {
		t.Run(name, func(t *testing.T) {
			if n := testing.AllocsPerRun(200, f); n != 0 {
				t.Fatalf("%v allocs", n)
			}
		})
	}
}

func TestResponseHelpers(t *testing.T) {
	id := codectest.MustHex("01006101161700012347")
	if got := AppendDeliverResp(nil, 4, id, StatusOK); !bytes.Equal(got, codectest.ReadHex(t, "v6_deliver_resp.hex")) {
		t.Fatalf("%x", got)
	}
	if got := AppendSubmitResp([]byte{9}, 2, codectest.MustHex("01006101161700012345"), StatusOK); !bytes.Equal(got[1:], codectest.ReadHex(t, "v3_submit_resp.hex")) || got[0] != 9 {
		t.Fatalf("%x", got)
	}
	if got := AppendSubmitResp(nil, 2, nil, StatusVendorMin); !bytes.Equal(got, codectest.MustHex("0000001a 80000002 00000002 00000000000000000000 00000080")) {
		t.Fatalf("%x", got)
	}
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{AppendActiveTest(nil, 5), "0000000c 00000004 00000005"},
		{AppendActiveTestResp(nil, 5), "0000000c 80000004 00000005"},
		{AppendExit(nil, 6), "0000000c 00000006 00000006"},
		{AppendExitResp(nil, 6), "0000000c 80000006 00000006"},
	} {
		if !bytes.Equal(c.got, codectest.MustHex(c.want)) {
			t.Errorf("%x, want %s", c.got, c.want)
		}
	}
	fr := NewFramer(0)
	if fr.HeaderLen != HeaderLen || fr.Protocol != "smgp" {
		t.Fatal(fr)
	}
	if n, err := fr.Split(codectest.ReadHex(t, "v2_submit_linkid.hex")); n != 175 || err != nil {
		t.Fatal(n, err)
	}
}
