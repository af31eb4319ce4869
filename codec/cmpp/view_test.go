package cmpp

import (
	"bytes"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestSetSequence(t *testing.T) {
	frame := codectest.ReadHex(t, "v05-submit-30.hex")
	orig := bytes.Clone(frame)
	if SequenceOf(frame) != 0x17 {
		t.Fatalf("SequenceOf = %#x", SequenceOf(frame))
	}
	SetSequence(frame, 0xa1b2c3d4)
	if SequenceOf(frame) != 0xa1b2c3d4 || !bytes.Equal(frame[8:12], []byte{0xa1, 0xb2, 0xc3, 0xd4}) {
		t.Fatalf("after SetSequence: %x", frame[:12])
	}
	if !bytes.Equal(frame[:8], orig[:8]) || !bytes.Equal(frame[12:], orig[12:]) {
		t.Fatal("SetSequence touched other bytes")
	}
	var view codec.View
	if err := ParseView(frame, V30, &view); err != nil {
		t.Fatal(err)
	}
	copy(view.Sequence, []byte{0, 0, 0, 9}) // the view's Sequence is the header slot itself
	if SequenceOf(frame) != 9 {
		t.Fatal("View.Sequence is not the frame's header field")
	}
}

// The view's LinkIDField and DestField are the frame's own bytes: the proxy
// may write a LinkID in place.
func TestViewSlotsAreWritable(t *testing.T) {
	for _, v := range []Version{V21, V30} {
		frame := Append(nil, v, 1, sampleSubmit())
		var view codec.View
		if err := ParseView(frame, v, &view); err != nil {
			t.Fatal(err)
		}
		copy(view.LinkIDField, codec.AppendText(nil, "NEWLINK", len(view.LinkIDField)))
		copy(view.DestField(2), codec.AppendText(nil, "13111111111", len(view.DestField(2))))
		_, p, err := Decode(frame, v)
		if err != nil {
			t.Fatal(err)
		}
		s := p.(*Submit)
		if s.LinkID != "NEWLINK" || s.DestTerminalID[2] != "13111111111" {
			t.Fatalf("%v: LinkID %q dest %q", v, s.LinkID, s.DestTerminalID[2])
		}
	}
}

func TestViewUDHFallback(t *testing.T) {
	s := sampleSubmit()
	s.PkTotal, s.PkNumber = 0, 0 // some SPs leave them 0 and rely on the UDH
	var view codec.View
	if err := ParseView(Append(nil, V30, 1, s), V30, &view); err != nil {
		t.Fatal(err)
	}
	if view.PkTotal != 3 || view.PkNumber != 2 || view.ConcatRef != 0x2a || !view.UDHI {
		t.Fatalf("Pk %d/%d ref %#x udhi %v", view.PkTotal, view.PkNumber, view.ConcatRef, view.UDHI)
	}
}

// TestViewSegment: the UDH's concatenation element says which part a
// Submit is, whatever Pk_total/Pk_number say; without one, the Pk fields do.
func TestViewSegment(t *testing.T) {
	cases := []struct {
		name              string
		pkTotal, pkNumber uint8
		udhi              uint8
		content           []byte
		ref               uint16
		total, seq        uint8
		ok                bool
	}{
		{"UDH and Pk fields agree", 3, 2, 1, []byte{5, 0, 3, 0x2a, 3, 2, 'x'}, 0x2a, 3, 2, true},
		{"Pk fields left 1/1, UDH says part 2 of 3", 1, 1, 1, []byte{5, 0, 3, 0x2a, 3, 2, 'x'}, 0x2a, 3, 2, true},
		{"16-bit reference, TP_udhi 0x40", 1, 1, 0x40, []byte{6, 8, 4, 0x12, 0x34, 6, 5, 'x'}, 0x1234, 6, 5, true},
		{"Pk fields only", 4, 3, 0, []byte("plain"), 0, 4, 3, true},
		{"UDH says one part", 2, 1, 1, []byte{5, 0, 3, 0x2a, 1, 1, 'x'}, 0x2a, 1, 1, false},
		{"a message of its own", 1, 1, 0, []byte("plain"), 0, 1, 1, false},
		{"Pk_number above Pk_total", 2, 3, 0, []byte("plain"), 0, 2, 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sampleSubmit()
			s.PkTotal, s.PkNumber, s.TPUDHI, s.MsgContent = c.pkTotal, c.pkNumber, c.udhi, codec.Octets(c.content)
			for _, v := range []Version{V21, V30} {
				var view codec.View
				if err := ParseView(Append(nil, v, 1, s), v, &view); err != nil {
					t.Fatal(err)
				}
				ref, total, seq, ok := view.Segment()
				if ref != c.ref || total != c.total || seq != c.seq || ok != c.ok {
					t.Errorf("%v: Segment() = %#x %d/%d %v, want %#x %d/%d %v", v, ref, seq, total, ok, c.ref, c.seq, c.total, c.ok)
				}
			}
		})
	}
}

func TestViewOddReportBody(t *testing.T) {
	d := &Deliver{SrcTerminalID: "13800138000", RegisteredDelivery: 1, MsgContent: codec.Octets("0123456789DELIVRDxx")}
	var view codec.View
	if err := ParseView(Append(nil, V30, 1, d), V30, &view); err != nil {
		t.Fatal(err)
	}
	if !view.IsReport || string(view.ReportMsgID) != "01234567" || string(view.ReportStat) != "89DELIV" ||
		string(view.UserNumber) != "13800138000" {
		t.Fatalf("%+v", view)
	}
}

func TestViewOtherCommands(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
		kind  codec.Kind
		err   error
	}{
		{"CMPP_FWD passes as other", codectest.MustHex("0000000c 00000009 00000001"), codec.KindOther, nil},
		{"GNS resp passes as other", codectest.MustHex("0000000c 80000012 00000001"), codec.KindOtherResp, nil},
		{"undefined id is refused", codectest.MustHex("0000000c 00000003 00000001"), codec.KindUnknown, codec.ErrUnknownCommand},
		{"2.x connect resp on a 3.0 session", codectest.ReadHex(t, "v02-connect-resp-2x.hex"), codec.KindLoginResp, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var view codec.View
			err := ParseView(c.frame, V30, &view)
			if err != c.err && (err == nil || c.err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.err.Error()))) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if view.Kind != c.kind || view.Length != len(c.frame) || SequenceOf(c.frame) != SequenceOf(append(make([]byte, 8), view.Sequence...)) {
				t.Fatalf("view %+v", view)
			}
		})
	}
}

// The hot-path response helpers produce what the typed Append produces.
func TestResponseHelpers(t *testing.T) {
	for _, v := range versions {
		cases := []struct {
			name string
			got  []byte
			want []byte
		}{
			{"submit resp", AppendSubmitResp(nil, v, 9, 0xb2b9da8000010000, ResultFlowControl),
				Append(nil, v, 9, &SubmitResp{MsgID: 0xb2b9da8000010000, Result: ResultFlowControl})},
			{"deliver resp", AppendDeliverResp(nil, v, 9, 0xb4c5530000010000, 0),
				Append(nil, v, 9, &DeliverResp{MsgID: 0xb4c5530000010000})},
			{"active test", AppendActiveTest(nil, 9), Append(nil, v, 9, &ActiveTest{})},
			{"active test resp", AppendActiveTestResp(nil, 9), Append(nil, v, 9, &ActiveTestResp{})},
			{"terminate resp", AppendTerminateResp(nil, 9), Append(nil, v, 9, &TerminateResp{})},
		}
		for _, c := range cases {
			if !bytes.Equal(c.got, c.want) {
				t.Errorf("%v %s: %x, want %x", v, c.name, c.got, c.want)
			}
		}
	}
	if got := AppendDeliverResp(nil, V30, 1, 0xb4c5530000010000, 0); !bytes.Equal(got, codectest.ReadHex(t, "v07b-deliver-resp-30.hex")) {
		t.Errorf("V7 deliver resp: %x", got)
	}
	if got := AppendSubmitResp(nil, V21, 0x17, 0xb2b9da8000010000, 0); !bytes.Equal(got, codectest.ReadHex(t, "v06a-submit-resp-2x.hex")) {
		t.Errorf("V6 submit resp: %x", got)
	}
}

func TestHotPathAllocs(t *testing.T) {
	frames := map[string]struct {
		v     Version
		frame []byte
	}{
		"submit 2.x":        {V21, Append(nil, V21, 1, sampleSubmit())},
		"submit 3.0":        {V30, Append(nil, V30, 1, sampleSubmit())},
		"deliver report 71": {V30, wrapDeliver(codectest.ReadHex(t, "v09-deliver-report71-30.body.hex"), 1)},
		"deliver MO UDH":    {V30, wrapDeliver(codectest.ReadHex(t, "v11-deliver-mo-udhi40-30.body.hex"), 1)},
		"submit resp":       {V30, codectest.ReadHex(t, "v06b-submit-resp-30.hex")},
	}
	var view codec.View
	for name, c := range frames {
		if n := testing.AllocsPerRun(200, func() {
			if err := ParseView(c.frame, c.v, &view); err != nil {
				t.Fatal(err)
			}
			SetSequence(c.frame, 42)
		}); n != 0 {
			t.Errorf("ParseView + SetSequence on %s: %v allocs", name, n)
		}
	}
	buf := make([]byte, 0, 4096)
	sub := sampleSubmit()
	dresp := &DeliverResp{MsgID: 1}
	helpers := map[string]func(){
		"AppendSubmitResp":           func() { buf = AppendSubmitResp(buf[:0], V30, 1, 2, ResultOK) },
		"AppendDeliverResp":          func() { buf = AppendDeliverResp(buf[:0], V21, 1, 2, ResultOK) },
		"AppendActiveTestResp":       func() { buf = AppendActiveTestResp(buf[:0], 1) },
		"AppendTerminateResp":        func() { buf = AppendTerminateResp(buf[:0], 1) },
		"Append reused Submit":       func() { buf = Append(buf[:0], V30, 1, sub) },
		"Append reused Deliver resp": func() { buf = Append(buf[:0], V30, 1, dresp) },
	}
	for name, f := range helpers {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocs", name, n)
		}
	}
}
