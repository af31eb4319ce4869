package smpp

import (
	"errors"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

// testNeutral carries a LinkID in 0x1401 (vector V8's vendor tag) and long
// service codes in 0x1402, and writes handsets international.
var testNeutral = Neutral{Wire: Wire{Options: Options{LinkIDTag: 0x1401}}, ServiceCodeTag: 0x1402,
	UserTON: 1, UserNPI: 1, CountryCode: "86", SPTON: 3, SPNPI: 0}

// TestNeutralSubmitRoundTrip: what AppendSubmit writes, DecodeSubmit reads
// back, number prefix and all, for the fields SMPP carries.
func TestNeutralSubmitRoundTrip(t *testing.T) {
	in := codec.Submit{SPNumber: "10655123", Dests: []string{testNeutral.UserNumber("13800138000")}, ServiceCode: "MUSICDAY", LinkID: "LK1",
		Coding: text.UCS2, Content: ucs2be("你好"), NeedReport: true, Priority: 2, ValidTime: "260315120000032+",
		AtTime: "260314160000032+"}
	frame := testNeutral.AppendSubmit(nil, []byte{0, 0, 0, 5}, &in)
	_, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	sm := p.(*Submit)
	if sm.DestinationAddr != "8613800138000" || sm.DestAddrTON != 1 || sm.DestAddrNPI != 1 || sm.SourceAddrTON != 3 {
		t.Errorf("addresses %d/%d %q, source TON %d", sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr, sm.SourceAddrTON)
	}
	if sm.ServiceType != "" || sm.RegisteredDelivery != ReceiptAlways || sm.DataCoding != 8 {
		t.Errorf("service_type %q registered_delivery %d data_coding %d", sm.ServiceType, sm.RegisteredDelivery, sm.DataCoding)
	}
	var out codec.Submit
	if err := testNeutral.DecodeSubmit(frame, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("read back\n%+v\nwant\n%+v", out, in)
	}
}

func ucs2be(s string) []byte { b, _ := text.EncodeAlphabet(text.AlphabetUCS2, s); return b }

// TestNeutralVectors: the package's vectors read as neutral values: V3's
// UCS2 submit_sm, V4's deliver_sm with a UDH, V7's receipt, V8's sar_* and
// message_payload with the LinkID TLV, V9's GSM 7-bit text.
func TestNeutralVectors(t *testing.T) {
	var s codec.Submit
	if err := testNeutral.DecodeSubmit(codectest.ReadHex(t, "v03-submit-sm.hex"), &s); err != nil {
		t.Fatal(err)
	}
	if s.SPNumber != "Alicer" || s.Dests[0] != "Bob" || s.ServiceCode != "abc" || s.Coding != text.UCS2 || !s.NeedReport {
		t.Errorf("V3: %+v", s)
	}
	if err := testNeutral.DecodeSubmit(codectest.ReadHex(t, "v08-submit-sm-sar-payload.hex"), &s); err != nil {
		t.Fatal(err)
	}
	h, ok := udh.Parse(s.Content)
	if !s.UDHI || !ok || !h.HasConcat || s.PkTotal != h.Concat.Total || s.PkNumber != h.Concat.Seq || s.LinkID == "" {
		t.Errorf("V8: UDHI %v header %+v Pk %d/%d LinkID %q", s.UDHI, h, s.PkNumber, s.PkTotal, s.LinkID)
	}
	if err := testNeutral.DecodeSubmit(codectest.ReadHex(t, "v09-submit-sm-gsm7.hex"), &s); err != nil {
		t.Fatal(err)
	}
	if s.Coding != text.ASCII && s.Coding != text.UCS2 {
		t.Errorf("V9: GSM 7-bit read as coding %d", s.Coding)
	}
	var d codec.Delivery
	if err := testNeutral.DecodeDelivery(codectest.ReadHex(t, "v04-deliver-sm-udh.hex"), &d); err != nil {
		t.Fatal(err)
	}
	if d.Kind != codec.KindDeliver || !d.Deliver.UDHI {
		t.Errorf("V4: %v UDHI %v", d.Kind, d.Deliver.UDHI)
	}
	if err := testNeutral.DecodeDelivery(codectest.ReadHex(t, "v07-deliver-sm-receipt.hex"), &d); err != nil {
		t.Fatal(err)
	}
	if d.Kind != codec.KindReport || len(d.Report.SubmitID) == 0 || d.Report.Stat == "" || len(d.Report.DoneTime) > 10 {
		t.Errorf("V7: %v %+v", d.Kind, d.Report)
	}
	if err := testNeutral.DecodeSubmit(codectest.ReadHex(t, "v06a-enquire-link.hex"), &s); !errors.Is(err, codec.ErrWrongCommand) {
		t.Errorf("enquire_link as a Submit: %v", err)
	}
}

// TestNeutralBadUDH: UDHI set over a header that does not parse is an
// error naming the field, not a message read without its header.
func TestNeutralBadUDH(t *testing.T) {
	frame := Append(nil, 1, 0, &Submit{SourceAddr: "1", DestinationAddr: "2", ESMClass: ESMUDHI, ShortMessage: []byte{9, 0}})
	var s codec.Submit
	var fe *codec.FieldError
	if err := testNeutral.DecodeSubmit(frame, &s); !errors.As(err, &fe) || !errors.Is(err, codec.ErrBadValue) {
		t.Errorf("%v", err)
	}
}

// neutralSeeds are the fuzz seeds of FuzzNeutral: every vector and sample,
// and frames built from neutral values.
func neutralSeeds(t testing.TB) map[string][]byte {
	seeds := fuzzSeeds(t)
	seeds["neutral_submit"] = testNeutral.AppendSubmit(nil, []byte{0, 0, 0, 1}, &codec.Submit{SPNumber: "1065",
		Dests: []string{"13800138000"}, ServiceCode: "LONGCODE", LinkID: "L1", Coding: text.GBK, Content: []byte{0xd6, 0xd0},
		UDHI: false, NeedReport: true, Priority: 9})
	seeds["neutral_report"] = testNeutral.AppendReport(nil, []byte{0, 0, 0, 2}, &codec.Report{SubmitID: []byte("0123abcd"),
		User: "13800138000", SPNumber: "1065", Stat: "DELIVRD", SubmitTime: "2603141500", DoneTime: "2603141501"})
	seeds["neutral_mo_udh"] = testNeutral.AppendDeliver(nil, []byte{0, 0, 0, 3}, &codec.Deliver{User: "13800138000",
		SPNumber: "1065", Coding: text.ASCII, UDHI: true, Content: append(udh.Append(nil, udh.Concat{Ref: 1, Total: 2, Seq: 1}), 'h', 'i')})
	return seeds
}

// TestNeutralFuzzCorpus keeps testdata/fuzz/FuzzNeutral in step. Regenerate
// with: go test -run TestNeutralFuzzCorpus -update-corpus ./codec/smpp/
func TestNeutralFuzzCorpus(t *testing.T) {
	codectest.CheckCorpus(t, neutralSeeds(t), *updateCorpus, "FuzzNeutral")
}

// FuzzNeutral: the neutral readers never panic and fail only with
// errors; what they read, built again, reads back the same after one
// round (the first build settles what SMPP's writer normalises: priority
// capped at 3, a coding re-expressed, sar_* as a UDH).
func FuzzNeutral(f *testing.F) {
	f.Fuzz(func(t *testing.T, frame []byte) {
		var s1, s2, s3 codec.Submit
		if testNeutral.DecodeSubmit(frame, &s1) == nil {
			seq := []byte{0, 0, 0, 1}
			b1 := testNeutral.AppendSubmit(nil, seq, &s1)
			if err := testNeutral.DecodeSubmit(b1, &s2); err != nil {
				t.Fatalf("rebuilt submit_sm does not read: %v\n%+v", err, s1)
			}
			b2 := testNeutral.AppendSubmit(nil, seq, &s2)
			if err := testNeutral.DecodeSubmit(b2, &s3); err != nil || !reflect.DeepEqual(s2, s3) {
				t.Fatalf("no fixed point: %v\n%+v\n%+v", err, s2, s3)
			}
		}
		var d1, d2 codec.Delivery
		if testNeutral.DecodeDelivery(frame, &d1) == nil {
			seq := []byte{0, 0, 0, 2}
			var b []byte
			if d1.Kind == codec.KindReport {
				b = testNeutral.AppendReport(nil, seq, &d1.Report)
			} else {
				b = testNeutral.AppendDeliver(nil, seq, &d1.Deliver)
			}
			if err := testNeutral.DecodeDelivery(b, &d2); err != nil || d2.Kind != d1.Kind {
				t.Fatalf("rebuilt delivery does not read: %v (%v)\n%+v", err, d2.Kind, d1)
			}
		}
	})
}
