package cmpp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// wrapDeliver puts a Deliver body (V9–V11 come without header) into a
// frame with Sequence_Id seq.
func wrapDeliver(body []byte, seq uint32) []byte {
	f := AppendHeader(nil, Header{TotalLength: uint32(HeaderLen + len(body)), CommandID: CmdDeliver, SequenceID: seq})
	return append(f, body...)
}

// checkVector is the one golden helper (gosmpp's validate): the frame
// decodes to want with nothing left over, want encodes to the same bytes, and
// ParseView agrees with the typed decode.
func checkVector(t *testing.T, frame []byte, v Version, seq uint32, want PDU) {
	t.Helper()
	h, got, err := Decode(frame, v)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if h.TotalLength != uint32(len(frame)) || h.CommandID != want.Command() || h.SequenceID != seq {
		t.Errorf("header = %+v, want length %d, %v, seq %d", h, len(frame), want.Command(), seq)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode:\n got %#v\nwant %#v", got, want)
	}
	if enc := Append(nil, v, seq, want); !bytes.Equal(enc, frame) {
		t.Errorf("Append:\n got %x\nwant %x", enc, frame)
	}
	checkView(t, frame, v, got)
}

// checkView compares ParseView with the typed decode of the same frame.
func checkView(t *testing.T, frame []byte, v Version, p PDU) {
	t.Helper()
	var view codec.View
	if err := ParseView(frame, v, &view); err != nil {
		t.Fatalf("ParseView: %v", err)
	}
	if view.Kind != KindOf(p.Command()) || CommandID(view.Command) != p.Command() || view.Length != len(frame) ||
		!bytes.Equal(view.Sequence, frame[8:12]) {
		t.Errorf("view header: kind %v command %#x length %d seq %x", view.Kind, view.Command, view.Length, view.Sequence)
	}
	eq := func(field string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Errorf("view.%s = %q, want %q", field, got, want)
		}
	}
	id := func(n uint64) string { return string(binary.BigEndian.AppendUint64(nil, n)) }
	f := v.Family()
	switch p := p.(type) {
	case *Submit:
		eq("SPNumber", view.SPNumber, p.SrcID)
		eq("ServiceCode", view.ServiceCode, p.ServiceID)
		if view.DestCount != len(p.DestTerminalID) {
			t.Fatalf("DestCount = %d, want %d", view.DestCount, len(p.DestTerminalID))
		}
		for i, d := range p.DestTerminalID {
			eq("Dest", view.Dest(i), d)
			if len(view.DestField(i)) != f.TerminalIDLen() {
				t.Errorf("DestField(%d) is %d bytes", i, len(view.DestField(i)))
			}
		}
		eq("LinkID", view.LinkID(), p.LinkID)
		if len(view.LinkIDField) != f.LinkIDLen() {
			t.Errorf("LinkIDField is %d bytes, want %d", len(view.LinkIDField), f.LinkIDLen())
		}
		pkTotal, pkNumber := p.PkTotal, p.PkNumber
		if h, ok := udh.Parse(p.MsgContent); pkTotal == 0 && pkNumber == 0 && udh.Flag(p.TPUDHI) && ok && h.HasConcat {
			pkTotal, pkNumber = h.Concat.Total, h.Concat.Seq // ParseView falls back to the UDH
		}
		if view.UDHI != udh.Flag(p.TPUDHI) || view.PkTotal != pkTotal || view.PkNumber != pkNumber ||
			view.Coding != p.MsgFmt || view.NeedReport != (p.RegisteredDelivery == 1) {
			t.Errorf("view flags %+v vs %+v", view, p)
		}
		eq("Content", view.Content, string(p.MsgContent))
	case *Deliver:
		eq("MsgID", view.MsgID, id(p.MsgID))
		eq("SPNumber", view.SPNumber, p.DestID)
		eq("ServiceCode", view.ServiceCode, p.ServiceID)
		eq("LinkID", view.LinkID(), p.LinkID)
		if len(view.LinkIDField) != f.LinkIDLen() {
			t.Errorf("LinkIDField is %d bytes, want %d", len(view.LinkIDField), f.LinkIDLen())
		}
		eq("Content", view.Content, string(p.MsgContent))
		if view.Coding != p.MsgFmt || view.IsReport != p.IsReport() || view.UDHI != udh.Flag(p.TPUDHI) {
			t.Errorf("view flags %+v vs %+v", view, p)
		}
		if p.Report != nil {
			eq("ReportMsgID", view.ReportMsgID, id(p.Report.MsgID))
			eq("ReportStat", view.ReportStat, p.Report.Stat)
			eq("UserNumber", view.UserNumber, p.Report.DestTerminalID)
		} else {
			eq("UserNumber", view.UserNumber, p.SrcTerminalID)
		}
	case *SubmitResp:
		eq("MsgID", view.MsgID, id(p.MsgID))
		if view.Result != uint32(p.Result) {
			t.Errorf("Result = %d, want %d", view.Result, p.Result)
		}
	case *DeliverResp:
		eq("MsgID", view.MsgID, id(p.MsgID))
		if view.Result != uint32(p.Result) {
			t.Errorf("Result = %d, want %d", view.Result, p.Result)
		}
	case *ConnectResp:
		if view.Result != uint32(p.Status) {
			t.Errorf("Result = %d, want %d", view.Result, p.Status)
		}
	case *Cancel:
		eq("MsgID", view.MsgID, id(p.MsgID))
	case *CancelResp:
		if view.Result != p.SuccessID {
			t.Errorf("Result = %d, want %d", view.Result, p.SuccessID)
		}
	}
}

// fieldError unwraps err into a *codec.FieldError or fails the test.
func fieldError(t *testing.T, err error) *codec.FieldError {
	t.Helper()
	var fe *codec.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *codec.FieldError", err, err)
	}
	return fe
}
