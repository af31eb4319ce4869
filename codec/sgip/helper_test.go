package sgip

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

// The sequence the vectors use for the SP's commands
// (docs/protocols/sgip12.md §9): SP node 0755/12345, 11-20 20:32:25,
// counter 1.
var spSeq = Sequence{Node: 3075512345, Time: 1120203225, Counter: 1}

// The SMG's sequence in V5/V6: node 1075501, 11-20 20:32:26, counter 7.
var smgSeq = Sequence{Node: 1075501, Time: 1120203226, Counter: 7}

// vectorFiles lists testdata/*.hex.
func vectorFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

// checkVector is the one helper every vector goes through (gosmpp's
// validate): the hex decodes to exactly want, with no bytes left over;
// want encodes to exactly the hex; ParseView agrees with the typed decode.
func checkVector(t *testing.T, file string, seq Sequence, want PDU) {
	t.Helper()
	frame := codectest.ReadHex(t, file)
	h, got, err := Decode(frame)
	if err != nil {
		t.Fatalf("%s: Decode: %v", file, err)
	}
	if h.Length != uint32(len(frame)) || h.Command != want.Command() || h.Sequence != seq {
		t.Errorf("%s: header = %+v, want length %d, %v, %v", file, h, len(frame), want.Command(), seq)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: decoded\n  %s\nwant\n  %s", file, jsonOf(got), jsonOf(want))
	}
	if enc := Append(nil, seq, want); !bytes.Equal(enc, frame) {
		t.Errorf("%s: encoded\n  %x\nwant\n  %x", file, enc, frame)
	}
	checkView(t, frame)
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// checkView compares ParseView with Decode on a valid frame, then checks
// that SetSequence rewrites the header in place and nothing else.
func checkView(t *testing.T, frame []byte) {
	t.Helper()
	h, p, err := Decode(frame)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	var v codec.View
	if err := ParseView(frame, &v); err != nil {
		t.Fatalf("ParseView: %v", err)
	}
	if v.Kind != KindOf(h.Command) || v.Command != uint32(h.Command) || v.Length != len(frame) ||
		!bytes.Equal(v.Sequence, AppendSequence(nil, h.Sequence)) {
		t.Errorf("view header: kind %v cmd %#x len %d seq %x; want %v %v %d %v", v.Kind, v.Command, v.Length, v.Sequence, KindOf(h.Command), h.Command, len(frame), h.Sequence)
	}
	eq := func(field string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Errorf("view %s = %q, want %q", field, got, want)
		}
	}
	switch p := p.(type) {
	case *Submit:
		eq("SPNumber", v.SPNumber, p.SPNumber)
		eq("ServiceCode", v.ServiceCode, p.ServiceType)
		if v.DestCount != len(p.UserNumber) {
			t.Errorf("view DestCount = %d, want %d", v.DestCount, len(p.UserNumber))
		}
		for i, u := range p.UserNumber {
			eq("Dest", v.Dest(i), u)
			if len(v.DestField(i)) != NumberLen {
				t.Errorf("view DestField(%d) has %d bytes", i, len(v.DestField(i)))
			}
		}
		if !bytes.Equal(v.LinkIDField, codec.AppendFixed(nil, p.Reserve, LinkIDLen)) {
			t.Errorf("view LinkIDField = %x, want Reserve %x", v.LinkIDField, p.Reserve)
		}
		eq("LinkID", v.LinkID(), p.LinkID())
		if v.UDHI != udh.Flag(p.TPUDHI) || v.Coding != p.MessageCoding || v.NeedReport != (p.ReportFlag != ReportFlagNone) {
			t.Errorf("view UDHI %v Coding %d NeedReport %v; want from TP_udhi %d coding %d ReportFlag %d", v.UDHI, v.Coding, v.NeedReport, p.TPUDHI, p.MessageCoding, p.ReportFlag)
		}
		eq("Content", v.Content, string(p.MessageContent))
		var wantTotal, wantNum uint8
		var wantRef uint16
		if udh.Flag(p.TPUDHI) {
			if uh, ok := udh.Parse(p.MessageContent); ok && uh.HasConcat {
				wantTotal, wantNum, wantRef = uh.Concat.Total, uh.Concat.Seq, uh.Concat.Ref
			}
		}
		if v.PkTotal != wantTotal || v.PkNumber != wantNum || v.ConcatRef != wantRef {
			t.Errorf("view Pk %d/%d ref %d, want %d/%d ref %d", v.PkNumber, v.PkTotal, v.ConcatRef, wantNum, wantTotal, wantRef)
		}
		eq("TrailingBytes", TrailingBytes(frame), string(p.Trailer))
	case *Deliver:
		eq("UserNumber", v.UserNumber, p.UserNumber)
		eq("SPNumber", v.SPNumber, p.SPNumber)
		eq("LinkID", v.LinkID(), p.LinkID())
		if len(v.LinkIDField) != LinkIDLen || v.Coding != p.MessageCoding || v.UDHI != udh.Flag(p.TPUDHI) || v.IsReport {
			t.Errorf("view LinkIDField %x Coding %d UDHI %v IsReport %v", v.LinkIDField, v.Coding, v.UDHI, v.IsReport)
		}
		eq("Content", v.Content, string(p.MessageContent))
		eq("TrailingBytes", TrailingBytes(frame), string(p.Trailer))
	case *Report:
		if !v.IsReport || v.ReportState != p.State {
			t.Errorf("view IsReport %v ReportState %d, want true, %d", v.IsReport, v.ReportState, p.State)
		}
		eq("ReportMsgID", v.ReportMsgID, string(AppendSequence(nil, p.SubmitSequenceNumber)))
		eq("UserNumber", v.UserNumber, p.UserNumber)
	case *UserRpt:
		eq("SPNumber", v.SPNumber, p.SPNumber)
		eq("UserNumber", v.UserNumber, p.UserNumber)
	case *Resp:
		if v.Result != uint32(p.Result) {
			t.Errorf("view Result = %d, want %d", v.Result, p.Result)
		}
	}
	if tb := TrailingBytes(frame); tb != nil {
		if _, ok := p.(*Submit); !ok {
			if _, ok := p.(*Deliver); !ok {
				t.Errorf("TrailingBytes = %x for %v", tb, h.Command)
			}
		}
	}

	// SetSequence rewrites the 12 header bytes in place, nothing else.
	c := bytes.Clone(frame)
	next := Sequence{Node: 4000000001, Time: 1231235959, Counter: 0xfffffffe}
	SetSequence(c, next)
	if got := SequenceOf(c); got != next {
		t.Errorf("SequenceOf after SetSequence = %v, want %v", got, next)
	}
	if !bytes.Equal(c[:offSequence], frame[:offSequence]) || !bytes.Equal(c[HeaderLen:], frame[HeaderLen:]) {
		t.Errorf("SetSequence touched bytes outside the sequence")
	}
	if h2, _, err := Decode(c); err != nil || h2.Sequence != next {
		t.Errorf("Decode after SetSequence: %v, %v", h2.Sequence, err)
	}
}

// field is one row of a layout written out in the test, independently of
// the decoder, for the truncation walk.
type field struct {
	name  string
	index int // -1 when not repeated
	size  int
}

func f(name string, size int) field         { return field{name, -1, size} }
func fi(name string, index, size int) field { return field{name, index, size} }
func headerFields() []field {
	return []field{f("Message Length", 4), f("Command ID", 4), f("Sequence Number", 12)}
}
func withHeader(body ...field) []field { return append(headerFields(), body...) }
func reserve() field                   { return f("Reserve", 8) }
func respLayout() []field              { return withHeader(f("Result", 1), reserve()) }
func numbers(name string, n int) (fs []field) {
	for i := range n {
		fs = append(fs, fi(name, i, NumberLen))
	}
	return fs
}

func submitLayout(n, l, trailer int) []field {
	fs := withHeader(f("SPNumber", 21), f("ChargeNumber", 21), f("UserCount", 1))
	fs = append(fs, numbers("UserNumber", n)...)
	fs = append(fs, f("CorpId", 5), f("ServiceType", 10), f("FeeType", 1), f("FeeValue", 6), f("GivenValue", 6),
		f("AgentFlag", 1), f("MorelatetoMTFlag", 1), f("Priority", 1), f("ExpireTime", 16), f("ScheduleTime", 16),
		f("ReportFlag", 1), f("TP_pid", 1), f("TP_udhi", 1), f("MessageCoding", 1), f("MessageType", 1),
		f("MessageLength", 4), f("MessageContent", l), reserve(), f("Message Length", trailer))
	return fs
}

func deliverLayout(l, trailer int) []field {
	return withHeader(f("UserNumber", 21), f("SPNumber", 21), f("TP_pid", 1), f("TP_udhi", 1), f("MessageCoding", 1),
		f("MessageLength", 4), f("MessageContent", l), reserve(), f("Message Length", trailer))
}

// truncationWalk checks every strict prefix of frame: Decode and ParseView
// fail with a *codec.FieldError wrapping codec.ErrShortFrame, and the error
// names the field in which the prefix ends (from layout) at its offset.
func truncationWalk(t *testing.T, frame []byte, layout []field) {
	t.Helper()
	total := 0
	for _, fl := range layout {
		total += fl.size
	}
	if total != len(frame) {
		t.Fatalf("layout covers %d bytes, frame has %d", total, len(frame))
	}
	for n := range len(frame) {
		// The field the prefix ends in: the first one not complete in it.
		var want field
		start := 0
		for _, fl := range layout {
			if start+fl.size > n {
				want = fl
				break
			}
			start += fl.size
		}
		if want.name == "Message Length" && start > 0 {
			start = offLength // a frame short of its trailer is named at its length field
		}
		_, _, err := Decode(frame[:n])
		var fe *codec.FieldError
		if !errors.As(err, &fe) || !errors.Is(err, codec.ErrShortFrame) {
			t.Fatalf("Decode(prefix %d) = %v, want a FieldError wrapping ErrShortFrame", n, err)
		}
		if fe.Field != want.name || fe.Index != want.index || fe.Offset != start {
			t.Fatalf("Decode(prefix %d): %v; want field %s[%d] at offset %d", n, err, want.name, want.index, start)
		}
		var v codec.View
		verr := ParseView(frame[:n], &v)
		if !errors.Is(verr, codec.ErrShortFrame) || verr.Error() != err.Error() {
			t.Fatalf("ParseView(prefix %d) = %v, want %v", n, verr, err)
		}
		if v.Content != nil || v.DestCount != 0 || v.LinkIDField != nil {
			t.Fatalf("ParseView(prefix %d) left body fields in the view: %+v", n, v)
		}
	}
}
