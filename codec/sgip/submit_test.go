package sgip

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestSubmitUserCount(t *testing.T) {
	hundred := make([]string, MaxUserCount)
	for i := range hundred {
		hundred[i] = fmt.Sprintf("86130%08d", i)
	}
	frame := Append(nil, spSeq, &Submit{UserNumber: hundred, MessageContent: codec.Octets("hi")})
	if want := 143 + 21*100 + 2; len(frame) != want {
		t.Fatalf("100-recipient Submit is %d bytes, want %d (§4)", len(frame), want)
	}
	t.Run("100 recipients decode", func(t *testing.T) { checkView(t, frame) })

	const userCountOff = HeaderLen + 2*NumberLen
	for _, n := range []byte{0, 101, 255} {
		t.Run(fmt.Sprintf("UserCount %d is refused", n), func(t *testing.T) {
			bad := bytes.Clone(frame)
			bad[userCountOff] = n
			_, _, err := Decode(bad)
			var fe *codec.FieldError
			want := codec.ErrTooManyRecipients
			if n == 0 {
				want = codec.ErrNoRecipients
			}
			if !errors.As(err, &fe) || !errors.Is(err, want) || !errors.Is(err, codec.ErrBadValue) || fe.Field != "UserCount" || fe.Value != int64(n) {
				t.Fatalf("Decode = %v; want %v (an ErrBadValue) naming UserCount and %d", err, want, n)
			}
			var v codec.View
			if verr := ParseView(bad, &v); verr == nil || verr.Error() != err.Error() || v.DestCount != 0 {
				t.Fatalf("ParseView = %v (dests %d), want %v", verr, v.DestCount, err)
			}
			if TrailingBytes(bad) != nil {
				t.Error("TrailingBytes on a bad UserCount")
			}
		})
	}
}

// A carrier variant may append bytes after Reserve (§8): they are kept,
// re-encoded byte for byte and reported by TrailingBytes; LinkIDField
// stays the 8-byte Reserve.
func TestSubmitTrailer(t *testing.T) {
	v4 := codectest.ReadHex(t, "v4-submit-linkid.hex")
	trailer := []byte("LINKID-OF-20-BYTES-X")
	frame := append(bytes.Clone(v4), trailer...)
	codec.PutLength(frame)
	_, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	s := p.(*Submit)
	if !bytes.Equal(s.Trailer, trailer) || s.LinkID() != "12345678" {
		t.Errorf("Trailer %q LinkID %q", s.Trailer, s.LinkID())
	}
	if got := Append(nil, spSeq, s); !bytes.Equal(got, frame) {
		t.Errorf("re-encoded %x\nwant %x", got, frame)
	}
	if tb := TrailingBytes(frame); !bytes.Equal(tb, trailer) {
		t.Errorf("TrailingBytes = %q", tb)
	}
	if TrailingBytes(v4) != nil {
		t.Error("TrailingBytes on V4 is not nil")
	}
	checkView(t, frame)
}

func TestSubmitViewNeedReport(t *testing.T) {
	for flag, want := range map[uint8]bool{
		ReportFlagOnError: true, // a report on final error may still come
		ReportFlagAlways:  true,
		ReportFlagNone:    false,
		ReportFlagMonthly: true,
	} {
		s := longSubmit()
		s.ReportFlag = flag
		var v codec.View
		if err := ParseView(Append(nil, spSeq, s), &v); err != nil {
			t.Fatal(err)
		}
		if v.NeedReport != want {
			t.Errorf("ReportFlag %d: NeedReport = %v, want %v", flag, v.NeedReport, want)
		}
	}
}

func TestSubmitViewUDH(t *testing.T) {
	cases := []struct {
		name      string
		udhi      uint8
		content   []byte
		udhiFlag  bool
		total     uint8
		number    uint8
		reference uint16
	}{
		{"8-bit reference, TP_udhi 1", 1, []byte{5, 0, 3, 0xa7, 3, 2, 'x'}, true, 3, 2, 0xa7},
		{"16-bit reference, TP_udhi 0x40", 0x40, []byte{6, 8, 4, 0x12, 0x34, 2, 1, 'x'}, true, 2, 1, 0x1234},
		{"UDH bytes but TP_udhi 0", 0, []byte{5, 0, 3, 0xa7, 3, 2, 'x'}, false, 0, 0, 0},
		{"TP_udhi set, no concatenation element", 1, []byte{4, 5, 2, 0xc3, 0x4f, 'x'}, true, 0, 0, 0},
		{"TP_udhi set, broken UDH", 1, []byte{9, 0, 3}, true, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := longSubmit()
			s.TPUDHI, s.MessageContent = c.udhi, c.content
			frame := Append(nil, spSeq, s)
			var v codec.View
			if err := ParseView(frame, &v); err != nil {
				t.Fatal(err)
			}
			if v.UDHI != c.udhiFlag || v.PkTotal != c.total || v.PkNumber != c.number || v.ConcatRef != c.reference {
				t.Errorf("UDHI %v Pk %d/%d ref %#x; want %v %d/%d %#x", v.UDHI, v.PkNumber, v.PkTotal, v.ConcatRef, c.udhiFlag, c.number, c.total, c.reference)
			}
			// SGIP has no part fields: a Submit is a part exactly when its UDH says so.
			ref, total, seq, ok := v.Segment()
			if ok != (c.total > 1) || (ok && (ref != c.reference || total != c.total || seq != c.number)) {
				t.Errorf("Segment() = %#x %d/%d %v", ref, seq, total, ok)
			}
			checkView(t, frame)
		})
	}
}

// The proxy writes a LinkID into the Reserve slot in place; the frame then
// decodes with it.
func TestLinkIDFieldWritable(t *testing.T) {
	for _, file := range []string{"v4-submit-linkid.hex", "v5-deliver.hex"} {
		frame := codectest.ReadHex(t, file)
		var v codec.View
		if err := ParseView(frame, &v); err != nil {
			t.Fatal(err)
		}
		copy(v.LinkIDField, codec.AppendFixed(nil, []byte("AB12"), LinkIDLen))
		_, p, err := Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		switch p := p.(type) {
		case *Submit:
			got = p.LinkID()
		case *Deliver:
			got = p.LinkID()
		}
		if got != "AB12" {
			t.Errorf("%s: LinkID after in-place write = %q", file, got)
		}
	}
}

// The proxy rewrites a Report's SubmitSequenceNumber back to the SP's
// original sequence in place.
func TestReportMsgIDWritable(t *testing.T) {
	frame := codectest.ReadHex(t, "v6-report.hex")
	var v codec.View
	if err := ParseView(frame, &v); err != nil {
		t.Fatal(err)
	}
	if v.Kind != codec.KindReport || !v.IsReport || DecodeSequence(v.ReportMsgID) != spSeq || string(v.UserNumber) != "8613800138000" {
		t.Fatalf("view %+v", v)
	}
	orig := Sequence{Node: 3075500001, Time: 1119000000, Counter: 99}
	PutSequence(v.ReportMsgID, orig)
	_, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*Report).SubmitSequenceNumber; got != orig {
		t.Errorf("SubmitSequenceNumber after rewrite = %v, want %v", got, orig)
	}
}

func TestDeliverTrailer(t *testing.T) {
	v5 := codectest.ReadHex(t, "v5-deliver.hex")
	frame := append(bytes.Clone(v5), 0xaa, 0xbb)
	codec.PutLength(frame)
	_, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.(*Deliver); !bytes.Equal(d.Trailer, []byte{0xaa, 0xbb}) || string(d.MessageContent) != "DZ HELP" {
		t.Errorf("Deliver %s", jsonOf(d))
	}
	if !bytes.Equal(TrailingBytes(frame), []byte{0xaa, 0xbb}) || TrailingBytes(v5) != nil {
		t.Errorf("TrailingBytes = %x / %x", TrailingBytes(frame), TrailingBytes(v5))
	}
	checkView(t, frame)
}

// MessageLength is 4 bytes; zysms writes it as 1 byte (§10), which must
// fail rather than decode as something else.
func TestOneByteMessageLengthFails(t *testing.T) {
	v4 := codectest.ReadHex(t, "v4-submit-linkid.hex")
	lenOff := len(v4) - 8 - 4 - 4
	zysms := append(bytes.Clone(v4[:lenOff]), v4[lenOff+3:]...) // drop three length bytes
	codec.PutLength(zysms)
	if len(zysms) != 165 {
		t.Fatalf("zysms frame is %d bytes, want 165", len(zysms))
	}
	if _, _, err := Decode(zysms); !errors.Is(err, codec.ErrShortFrame) {
		t.Errorf("Decode of a 1-byte MessageLength = %v, want a short frame", err)
	}
}
