package smpp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

// compareView checks ParseView against the typed decode of the same frame.
func compareView(t *testing.T, frame []byte, o Options) *codec.View {
	t.Helper()
	h, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	var w codec.View
	if err := o.ParseView(frame, &w); err != nil {
		t.Fatal(err)
	}
	codectest.CheckViewInside(t, frame, &w)
	if w.Kind != KindOf(h.CommandID) || w.Command != uint32(h.CommandID) || w.Length != int(h.CommandLength) ||
		!bytes.Equal(w.Sequence, codec.AppendUint32(nil, h.SequenceNumber)) {
		t.Fatalf("header view %+v, header %+v", w, h)
	}
	if h.CommandID.IsResponse() != (w.Result == uint32(h.CommandStatus)) && h.CommandStatus != 0 {
		t.Fatalf("Result %d, command_status %d", w.Result, h.CommandStatus)
	}
	eq := func(what string, got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Errorf("View.%s = %q, want %q", what, got, want)
		}
	}
	linkID := func(ts TLVs) {
		t.Helper()
		raw, ok := ts.Get(o.LinkIDTag)
		if o.LinkIDTag == 0 {
			raw, ok = nil, false
		}
		if !bytes.Equal(w.LinkIDField, raw) || ok != (w.LinkIDField != nil) {
			t.Errorf("LinkIDField %q, want %q", w.LinkIDField, raw)
		}
	}
	switch p := p.(type) {
	case *Submit:
		eq("ServiceCode", w.ServiceCode, p.ServiceType)
		eq("SPNumber", w.SPNumber, p.SourceAddr)
		if w.DestCount != 1 || string(w.Dest(0)) != p.DestinationAddr || len(w.DestField(0)) != len(p.DestinationAddr)+1 {
			t.Errorf("Dest %d %q", w.DestCount, w.Dest(0))
		}
		eq("Content", w.Content, string(p.Message()))
		if w.UDHI != p.ESMClass.UDHI() || w.Coding != p.DataCoding || w.NeedReport != p.RegisteredDelivery.NeedReport() ||
			w.IsReport || w.UserNumber != nil {
			t.Errorf("UDHI %v Coding %d NeedReport %v", w.UDHI, w.Coding, w.NeedReport)
		}
		checkSegments(t, &w, p.TLVs, p.Message())
		linkID(p.TLVs)
	case *Deliver:
		eq("ServiceCode", w.ServiceCode, p.ServiceType)
		eq("UserNumber", w.UserNumber, p.SourceAddr)
		eq("SPNumber", w.SPNumber, p.DestinationAddr)
		eq("Content", w.Content, string(p.Message()))
		if w.IsReport != p.IsReport() || w.Coding != p.DataCoding || w.UDHI != p.ESMClass.UDHI() || w.DestCount != 0 {
			t.Errorf("IsReport %v Coding %d", w.IsReport, w.Coding)
		}
		checkReport(t, &w, p.IsReport(), p.Message(), p.TLVs)
		checkSegments(t, &w, p.TLVs, p.Message())
		linkID(p.TLVs)
	case *DataSM:
		eq("SPNumber", w.SPNumber, p.SourceAddr)
		eq("Dest", w.Dest(0), p.DestinationAddr)
		eq("Content", w.Content, string(p.Message()))
		checkReport(t, &w, p.IsReport(), p.Message(), p.TLVs)
		checkSegments(t, &w, p.TLVs, p.Message())
		linkID(p.TLVs)
	case *SubmitResp:
		eq("MsgID", w.MsgID, p.MessageID)
	case *DeliverResp:
		eq("MsgID", w.MsgID, p.MessageID)
	case *DataSMResp:
		eq("MsgID", w.MsgID, p.MessageID)
	default:
		if w.SPNumber != nil || w.Content != nil || w.MsgID != nil || w.DestCount != 0 {
			t.Errorf("body fields filled for %s", h.CommandID)
		}
	}
	return &w
}

// checkReport: ReportMsgID is receipted_message_id, else the text's id;
// ReportStat the text's stat; ReportState message_state.
func checkReport(t *testing.T, w *codec.View, isReport bool, msg []byte, ts TLVs) {
	t.Helper()
	if !isReport {
		if w.ReportMsgID != nil || w.ReportStat != nil || w.ReportState != 0 {
			t.Errorf("report fields on a non-report")
		}
		return
	}
	rc, _ := ParseReceipt(msg)
	wantID := rc.ID
	if id, ok := ts.ReceiptedMessageID(); ok {
		wantID = id
	}
	state, _ := ts.MessageState()
	if string(w.ReportMsgID) != wantID || string(w.ReportStat) != rc.Stat || w.ReportState != uint8(state) {
		t.Errorf("report view %q %q %d, want %q %q %d", w.ReportMsgID, w.ReportStat, w.ReportState, wantID, rc.Stat, state)
	}
}

// checkSegments: PkTotal/PkNumber/ConcatRef from the three sar_* TLVs, else
// from the UDH when UDHI is set.
func checkSegments(t *testing.T, w *codec.View, ts TLVs, content []byte) {
	t.Helper()
	ref, ok1 := ts.SARMsgRefNum()
	total, ok2 := ts.SARTotalSegments()
	seq, ok3 := ts.SARSegmentSeqnum()
	if !(ok1 && ok2 && ok3) {
		ref, total, seq = 0, 0, 0
		if h, ok := udh.Parse(content); w.UDHI && !w.IsReport && ok && h.HasConcat {
			ref, total, seq = h.Concat.Ref, h.Concat.Total, h.Concat.Seq
		}
	}
	if w.PkTotal != total || w.PkNumber != seq || w.ConcatRef != ref {
		t.Errorf("PkTotal %d PkNumber %d ConcatRef %d, want %d %d %d", w.PkTotal, w.PkNumber, w.ConcatRef, total, seq, ref)
	}
}

func TestParseViewMatchesDecode(t *testing.T) {
	for _, c := range walkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			compareView(t, c.frame, Options{})
			compareView(t, c.frame, Options{LinkIDTag: 0x1401})
		})
	}
}

func TestParseViewVectors(t *testing.T) {
	t.Run("V3 submit_sm", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v03-submit-sm.hex"), Options{})
		if w.Kind != codec.KindSubmit || string(w.SPNumber) != "Alicer" || string(w.ServiceCode) != "abc" ||
			string(w.Dest(0)) != "Bob" || w.Coding != 8 || !w.NeedReport || w.UDHI || w.LinkIDField != nil {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("V4 segments from the UDH", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v04-deliver-sm-udh.hex"), Options{})
		if !w.UDHI || w.PkTotal != 2 || w.PkNumber != 1 || w.ConcatRef != 0xFE || string(w.UserNumber) != "Alicer" ||
			string(w.SPNumber) != "Bobo" || w.IsReport {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("V7 receipt", func(t *testing.T) {
		w := compareView(t, codectest.ReadHex(t, "v07-deliver-sm-receipt.hex"), Options{})
		if !w.IsReport || string(w.ReportMsgID) != "1234567890" || string(w.ReportStat) != "DELIVRD" ||
			w.ReportState != uint8(StateDelivered) || string(w.UserNumber) != "8613800138000" || w.Kind != codec.KindDeliver {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("V8 segments from sar_*, content from message_payload, LinkID from a vendor TLV", func(t *testing.T) {
		frame := codectest.ReadHex(t, "v08-submit-sm-sar-payload.hex")
		w := compareView(t, frame, Options{LinkIDTag: 0x1401})
		if w.PkTotal != 2 || w.PkNumber != 1 || w.ConcatRef != 0x1234 || !bytes.Equal(w.Content, codectest.MustHex("4f60597dff0c4e16754c")) ||
			string(w.LinkID()) != "LINK0001" || string(w.ServiceCode) != "HELP" {
			t.Fatalf("%+v", w)
		}
		copy(w.LinkIDField, "LINK9999") // the slot is the frame's TLV value
		_, p, _ := Decode(frame)
		if v, _ := p.(*Submit).TLVs.Get(0x1401); string(v) != "LINK9999" {
			t.Fatalf("LinkIDField is not the frame's TLV value: %q", v)
		}
		if w := compareView(t, frame, Options{}); w.LinkIDField != nil {
			t.Fatal("a LinkID slot without Options.LinkIDTag")
		}
	})
	t.Run("a receipt with the TLVs only", func(t *testing.T) {
		d := &Deliver{SourceAddr: "8613800138000", DestinationAddr: "10655123", ESMClass: ESMTypeReceipt,
			ShortMessage: []byte{}, TLVs: TLVs{TLVCString(TagReceiptedMessageID, "abc-123"), TLVUint8(TagMessageState, 5)}}
		w := compareView(t, Append(nil, 1, 0, d), Options{})
		if !w.IsReport || string(w.ReportMsgID) != "abc-123" || w.ReportStat != nil || w.ReportState != 5 {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("a receipt with the text only", func(t *testing.T) {
		d := &Deliver{ESMClass: ESMTypeReceipt, ShortMessage: []byte("ID:0A1B2C3D4E5F60718293 SUB:001 DLVRD:000 " +
			"SUBMIT_DATE:2607011200 DONE_DATE:2607011300 STAT:UNDELIV ERR:034")}
		w := compareView(t, Append(nil, 1, 0, d), Options{})
		if !w.IsReport || string(w.ReportMsgID) != "0A1B2C3D4E5F60718293" || string(w.ReportStat) != "UNDELIV" {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("submit_sm_resp", func(t *testing.T) {
		w := compareView(t, AppendSubmitResp(nil, 5, StatusOK, []byte("msg-0001")), Options{})
		if w.Kind != codec.KindSubmitResp || string(w.MsgID) != "msg-0001" || w.Result != 0 {
			t.Fatalf("%+v", w)
		}
		w = compareView(t, AppendGenericNack(nil, 5, StatusInvCmdID), Options{})
		if w.Kind != codec.KindOtherResp || w.Result != uint32(StatusInvCmdID) {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("undefined command_id", func(t *testing.T) {
		var w codec.View
		err := ParseView(codectest.MustHex("00000010 00000099 00000000 00000009"), &w)
		codectest.WantFieldError(t, err, "command_id", -1, codec.ErrUnknownCommand)
		if w.Kind != codec.KindUnknown || w.Command != 0x99 || w.Length != 16 || len(w.Sequence) != 4 {
			t.Fatalf("%+v", w)
		}
	})
	t.Run("view is reset", func(t *testing.T) {
		var w codec.View
		_ = ParseView(codectest.ReadHex(t, "v03-submit-sm.hex"), &w)
		if err := ParseView(codectest.ReadHex(t, "v06a-enquire-link.hex"), &w); err != nil || w.SPNumber != nil || w.DestCount != 0 {
			t.Fatalf("%v %+v", err, w)
		}
	})
}

func TestSetSequence(t *testing.T) {
	frame := codectest.ReadHex(t, "v03-submit-sm.hex")
	SetSequence(frame, 0x7fffffff)
	if SequenceOf(frame) != 0x7fffffff || !bytes.Equal(frame[12:16], codectest.MustHex("7fffffff")) {
		t.Fatalf("%x", frame[:16])
	}
	h, _, err := Decode(frame)
	if err != nil || h.SequenceNumber != 0x7fffffff || h.CommandStatus != 0 {
		t.Fatal(h, err)
	}
	var w codec.View
	_ = ParseView(frame, &w)
	copy(w.Sequence, []byte{0, 0, 0, 9})
	if SequenceOf(frame) != 9 || cap(w.Sequence) != 4 {
		t.Fatal("Sequence is not the frame's field")
	}
	short := []byte{1, 2, 3}
	SetSequence(short, 1)
	if SequenceOf(short) != 0 || !bytes.Equal(short, []byte{1, 2, 3}) {
		t.Fatal("short frame touched")
	}
}

func TestHotPathAllocs(t *testing.T) {
	frames := map[string][]byte{
		"submit_sm":           codectest.ReadHex(t, "v03-submit-sm.hex"),
		"submit_sm sar":       codectest.ReadHex(t, "v08-submit-sm-sar-payload.hex"),
		"deliver_sm UDH":      codectest.ReadHex(t, "v04-deliver-sm-udh.hex"),
		"deliver_sm receipt":  codectest.ReadHex(t, "v07-deliver-sm-receipt.hex"),
		"data_sm":             codectest.ReadHex(t, "v05-data-sm-tlv.hex"),
		"submit_sm_resp":      codectest.ReadHex(t, "v03b-submit-sm-resp.hex"),
		"submit_sm_resp TLVs": Append(nil, 1, 0, &SubmitResp{MessageID: "x", TLVs: TLVs{TLVUint8(TagMessageState, 1)}}),
		"enquire_link":        codectest.ReadHex(t, "v06a-enquire-link.hex"),
	}
	var w codec.View
	o := Options{LinkIDTag: 0x1401}
	for name, frame := range frames {
		t.Run("ParseView+SetSequence "+name, func(t *testing.T) {
			n := testing.AllocsPerRun(200, func() {
				if err := o.ParseView(frame, &w); err != nil {
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
	id := []byte("0123456789")
	resp := &SubmitResp{MessageID: "0123456789"}
	for name, f := range map[string]func(){
		"AppendSubmitResp":      func() { buf = AppendSubmitResp(buf[:0], 1, StatusVendorMin, id) },
		"AppendDeliverResp":     func() { buf = AppendDeliverResp(buf[:0], 1, StatusOK) },
		"AppendDataSMResp":      func() { buf = AppendDataSMResp(buf[:0], 1, StatusOK, id) },
		"AppendGenericNack":     func() { buf = AppendGenericNack(buf[:0], 1, StatusInvCmdID) },
		"AppendEnquireLinkResp": func() { buf = AppendEnquireLinkResp(buf[:0], 1) },
		"AppendEnquireLink":     func() { buf = AppendEnquireLink(buf[:0], 1) },
		"AppendUnbindResp":      func() { buf = AppendUnbindResp(buf[:0], 1) },
		"AppendBindResp":        func() { buf = AppendBindResp(buf[:0], CmdBindTransceiver, 1, StatusOK, "spsmg") },
		"Append reused struct":  func() { buf = Append(buf[:0], 1, StatusOK, resp) },
		"AppendTLV":             func() { buf = AppendTLV(buf[:0], TagReceiptedMessageID, id) },
	} {
		t.Run(name, func(t *testing.T) {
			if n := testing.AllocsPerRun(200, f); n != 0 {
				t.Fatalf("%v allocs", n)
			}
		})
	}
}

func TestResponseBuilders(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"submit_sm_resp with an id", AppendSubmitResp(nil, 13, StatusOK, []byte("football")), "00000019 80000004 00000000 0000000d 666f6f7462616c6c00"},
		{"submit_sm_resp refusal: empty id, body kept", AppendSubmitResp(nil, 13, StatusThrottled, nil), "00000011 80000004 00000058 0000000d 00"},
		{"submit_sm_resp id cut at a NUL", AppendSubmitResp(nil, 13, StatusOK, []byte("ab\x00cd")), "00000013 80000004 00000000 0000000d 616200"},
		{"deliver_sm_resp", AppendDeliverResp(nil, 13, StatusOK), "00000011 80000005 00000000 0000000d 00"},
		{"data_sm_resp", AppendDataSMResp(nil, 13, StatusOK, []byte("testMID")), "00000018 80000103 00000000 0000000d 746573744d494400"},
		{"generic_nack", AppendGenericNack(nil, 13, StatusInvCmdID), "00000010 80000000 00000003 0000000d"},
		{"enquire_link", AppendEnquireLink(nil, 13), "00000010 00000015 00000000 0000000d"},
		{"enquire_link_resp", AppendEnquireLinkResp(nil, 13), "00000010 80000015 00000000 0000000d"},
		{"unbind", AppendUnbind(nil, 13), "00000010 00000006 00000000 0000000d"},
		{"unbind_resp", AppendUnbindResp(nil, 13), "00000010 80000006 00000000 0000000d"},
		{"bind_transceiver_resp accepted: sc_interface_version 0x34",
			AppendBindResp(nil, CmdBindTransceiver, 13, StatusOK, "spsmg"), "0000001b 80000009 00000000 0000000d 7370736d6700 0210 0001 34"},
		{"bind_transmitter_resp refused: no body", AppendBindResp(nil, CmdBindTransmitter, 13, StatusInvPaswd, "spsmg"),
			"00000010 80000002 0000000e 0000000d"},
		{"bind_transceiver_resp refused: system_id kept", AppendBindResp(nil, CmdBindTransceiver, 13, StatusBindFail, "spsmg"),
			"00000016 80000009 0000000d 0000000d 7370736d6700"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.got, codectest.MustHex(c.want)) {
				t.Fatalf("%x\nwant %s", c.got, c.want)
			}
			if _, _, err := Decode(c.got); err != nil {
				t.Fatalf("does not decode: %v", err)
			}
		})
	}
	if got := AppendSubmitResp([]byte{9}, 13, StatusOK, []byte("football")); got[0] != 9 || !bytes.Equal(got[1:], codectest.ReadHex(t, "v03b-submit-sm-resp.hex")) {
		t.Fatalf("appending after existing bytes: %x", got)
	}
	fr := NewFramer(0)
	if fr.HeaderLen != HeaderLen || fr.Protocol != "smpp" {
		t.Fatal(fr)
	}
	if n, err := fr.Split(codectest.ReadHex(t, "v03-submit-sm.hex")); n != 93 || err != nil {
		t.Fatal(n, err)
	}
}

// TestParseViewNoRecipient: SMPP has no recipient count; a submit_sm or
// data_sm whose destination_addr is empty names nobody, and ParseView
// says so as the other protocols' decoders say a count of 0
// (codec.ErrNoRecipients), with the View filled in so that the gateway
// answers it. A deliver_sm's destination_addr is the SP's number, not a
// recipient: it is not checked.
func TestParseViewNoRecipient(t *testing.T) {
	for _, id := range []CommandID{CmdSubmitSM, CmdDataSM, CmdDeliverSM} {
		var frame []byte
		switch id {
		case CmdSubmitSM:
			frame = Append(nil, 7, StatusOK, &Submit{SourceAddr: "10655123", ShortMessage: []byte("hi")})
		case CmdDataSM:
			frame = Append(nil, 7, StatusOK, &DataSM{SourceAddr: "10655123"})
		case CmdDeliverSM:
			frame = Append(nil, 7, StatusOK, &Deliver{SourceAddr: "13800138000", ShortMessage: []byte("hi")})
		}
		var v codec.View
		err := ParseView(frame, &v)
		if id == CmdDeliverSM {
			if err != nil {
				t.Fatalf("deliver_sm without destination_addr: %v", err)
			}
			continue
		}
		var fe *codec.FieldError
		if !errors.Is(err, codec.ErrNoRecipients) || !errors.As(err, &fe) || fe.Field != "destination_addr" {
			t.Fatalf("%v without destination_addr: %v, want ErrNoRecipients on destination_addr", id, err)
		}
		if v.Kind != codec.KindSubmit || SequenceOf(frame) != 7 || !bytes.Equal(v.Sequence, frame[12:16]) || string(v.SPNumber) != "10655123" {
			t.Fatalf("%v: view %+v not filled in", id, v)
		}
		frame = Append(nil, 8, StatusOK, &Submit{SourceAddr: "10655123", DestinationAddr: "13800138000"})
		if err := ParseView(frame, &v); err != nil || string(v.Dest(0)) != "13800138000" {
			t.Fatalf("with a destination_addr: %q, %v", v.Dest(0), err)
		}
	}
}
