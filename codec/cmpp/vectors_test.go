package cmpp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"unicode/utf16"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func ucs2(s string) codec.Octets {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return b
}

// Every vector of docs/protocols/cmpp.md §14, each checked in both directions
// and against ParseView by checkVector.
func TestVectors(t *testing.T) {
	v4 := &Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1,
		ServiceID:      "test",
		FeeUserType:    2,
		FeeTerminalID:  "13500002696",
		MsgFmt:         8,
		MsgSrc:         "900001",
		FeeType:        "02",
		FeeCode:        "10",
		ValIDTime:      "151105131555101+",
		SrcID:          "900001",
		DestTerminalID: []string{"13500002696"},
		MsgContent:     ucs2("测试gocmpp submit"),
	}
	v5 := *v4 // same values; Fee_terminal_type and Dest_terminal_type 0, LinkID empty
	mo := func(id uint64) *Deliver {
		return &Deliver{MsgID: id, DestID: "900001", SrcTerminalID: "13412340000", MsgContent: codec.Octets("This is a test MO.")}
	}
	cases := []struct {
		name string
		file string
		v    Version
		seq  uint32
		want PDU
	}{
		{"V1 connect", "v01-connect.hex", V21, 0x17, &Connect{
			SourceAddr:          "900001",
			AuthenticatorSource: codectest.MustHex("90d00c1d517abd0b4f65f6bcf8535d16"),
			Version:             V21,
			Timestamp:           1021080510,
		}},
		{"V2 connect resp 2.x has a 1-byte status", "v02-connect-resp-2x.hex", V21, 0x17, &ConnectResp{
			Status: ConnectOK, AuthenticatorISMG: codectest.MustHex("6c0b846e25bab6daa4ed1c466e0f4bd8"), Version: V21, Layout: Family2x,
		}},
		{"V3 connect resp 3.0 has a 4-byte status", "v03-connect-resp-30.hex", V30, 0x17, &ConnectResp{
			Status: ConnectOK, AuthenticatorISMG: codectest.MustHex("7942977274098cf210ab0c16c367bc8d"), Version: V30, Layout: Family30,
		}},
		{"V3 connect resp is told by its length, not the session version", "v03-connect-resp-30.hex", V21, 0x17, &ConnectResp{
			Status: ConnectOK, AuthenticatorISMG: codectest.MustHex("7942977274098cf210ab0c16c367bc8d"), Version: V30, Layout: Family30,
		}},
		{"V4 submit 2.x", "v04-submit-2x.hex", V21, 0x17, v4},
		{"V4 submit 2.0 uses the same layout", "v04-submit-2x.hex", V20, 0x17, v4},
		{"V5 submit 3.0", "v05-submit-30.hex", V30, 0x17, &v5},
		{"V6 submit resp 2.x", "v06a-submit-resp-2x.hex", V21, 0x17, &SubmitResp{MsgID: 0xb2b9da8000010000, Result: ResultOK}},
		{"V6 submit resp 3.0", "v06b-submit-resp-30.hex", V30, 0x17, &SubmitResp{MsgID: 0xb2b9da8000010000, Result: ResultOK}},
		{"V7 deliver MO 3.0", "v07-deliver-mo-30.hex", V30, 1, mo(0xb4c5530000010000)},
		{"V7 deliver resp 3.0", "v07b-deliver-resp-30.hex", V30, 1, &DeliverResp{MsgID: 0xb4c5530000010000}},
		{"V8 deliver MO 2.x", "v08-deliver-mo-2x.hex", V21, 5, mo(0xb525628000010000)},
		{"V8 deliver resp 2.x", "v08a-deliver-resp-2x.hex", V21, 5, &DeliverResp{MsgID: 0xb525628000010000}},
		{"V8c active test resp", "v08c-active-test-resp.hex", V21, 0x17, &ActiveTestResp{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkVector(t, codectest.ReadHex(t, c.file), c.v, c.seq, c.want)
		})
	}
}

// V9–V11 are Deliver bodies from real gateways (SMSGate); wrapped in a
// header here.
func TestDeliverBodyVectors(t *testing.T) {
	v9 := codectest.ReadHex(t, "v09-deliver-report71-30.body.hex")
	v10 := codectest.ReadHex(t, "v10-deliver-report60-30.body.hex")
	v11 := codectest.ReadHex(t, "v11-deliver-mo-udhi40-30.body.hex")
	cases := []struct {
		name string
		body []byte
		want *Deliver
	}{
		{"V9 3.0 report with a 71-byte body", v9, &Deliver{
			MsgID: 0x522a4980002aa6ce, DestID: "10085101", ServiceID: "cmcczx_sms",
			SrcTerminalID: "13592261791", RegisteredDelivery: 1,
			MsgContent: codec.Octets(v9[77 : 77+71]),
			Report: &Report{
				MsgID: 0x522a4980002aa6cd, Stat: "AF:4", SubmitTime: "0001010000", DoneTime: "0001010000",
				DestTerminalID: "13592261791", SMSCSequence: 0, Form: Report71,
			},
		}},
		{"V10 3.0 report with a 60-byte body", v10, &Deliver{
			MsgID: 0xc2cf84f10ce0003f, DestID: "100869881008698810086", MsgFmt: 15,
			SrcTerminalID: "18703815655187038156551870381565", RegisteredDelivery: 1,
			MsgContent: codec.Octets(v10[77 : 77+60]),
			LinkID:     "0000000000000123456",
			Report: &Report{
				MsgID: 0xc2cf8400a37359d8, Stat: "DELIVRD", SubmitTime: "2212051956", DoneTime: "2212051956",
				DestTerminalID: "10086988", SMSCSequence: 0xff, Form: Report60,
			},
		}},
		{"V11 3.0 MO with TP_udhi 0x40", v11, &Deliver{
			MsgID: 0x38a40100533e03d3, DestID: "10085", ServiceID: "MCN2210103", TPUDHI: 0x40, MsgFmt: 8,
			SrcTerminalID: "8613817308833",
			MsgContent:    codec.Octets(v11[77 : 77+0x84]),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkVector(t, wrapDeliver(c.body, 1), V30, 1, c.want)
		})
	}
	t.Run("V11 view reads the UDH and forwards TP_udhi unchanged", func(t *testing.T) {
		frame := wrapDeliver(v11, 1)
		var view codec.View
		if err := ParseView(frame, V30, &view); err != nil {
			t.Fatal(err)
		}
		if !view.UDHI || view.PkTotal != 1 || view.PkNumber != 1 || view.ConcatRef != 0 {
			t.Fatalf("UDHI %v Pk %d/%d ref %d", view.UDHI, view.PkTotal, view.PkNumber, view.ConcatRef)
		}
		if !bytes.Equal(view.Content[:6], codectest.MustHex("050003000101")) || frame[HeaderLen+40] != 0x40 {
			t.Fatalf("content %x, TP_udhi %#x", view.Content[:6], frame[HeaderLen+40])
		}
	})
	t.Run("V10 report re-encodes in its 60-byte form inside 3.0", func(t *testing.T) {
		_, p, err := Decode(wrapDeliver(v10, 1), V30)
		if err != nil {
			t.Fatal(err)
		}
		rep := *p.(*Deliver).Report
		if got := rep.Append(nil, V30); !bytes.Equal(got, v10[77:77+60]) {
			t.Fatalf("Report.Append = %x", got)
		}
		rep.Form = ReportDefault // an unconfigured 3.0 account sends 71
		if got := rep.Append(nil, V30); len(got) != 71 {
			t.Fatalf("default 3.0 report is %d bytes", len(got))
		}
	})
}

func TestReportBodyVector(t *testing.T) {
	body := codectest.ReadHex(t, "v08b-report-body-60.hex")
	want := Report{
		MsgID: 0xb4c5530000010000, Stat: "DELIVRD", SubmitTime: "1511120955", DoneTime: "1511120957",
		DestTerminalID: "13412340000", SMSCSequence: 0x12345678, Form: Report60,
	}
	got, err := DecodeReport(body)
	if err != nil || got != want {
		t.Fatalf("DecodeReport = %+v, %v", got, err)
	}
	for _, v := range []Version{V20, V21, V30} {
		if enc := want.Append(nil, v); !bytes.Equal(enc, body) {
			t.Errorf("Append(%v) = %x", v, enc)
		}
	}
	t.Run("default form follows the version", func(t *testing.T) {
		r := want
		r.Form = ReportDefault
		if n := len(r.Append(nil, V21)); n != 60 {
			t.Errorf("2.x default report %d bytes", n)
		}
		if n := len(r.Append(nil, V30)); n != 71 {
			t.Errorf("3.0 default report %d bytes", n)
		}
	})
	t.Run("other lengths are refused", func(t *testing.T) {
		for _, n := range []int{0, 59, 61, 70, 72} {
			_, err := DecodeReport(make([]byte, n))
			if fe := fieldError(t, err); fe.Field != "Msg_Length" || fe.Err != codec.ErrBadValue || fe.Value != int64(n) {
				t.Errorf("len %d: %v", n, err)
			}
		}
	})
}

// V1–V3: the authenticators reproduce, in both status widths.
func TestAuthenticators(t *testing.T) {
	src := AuthenticatorSource("900001", "888888", 1021080510)
	if hex.EncodeToString(src[:]) != "90d00c1d517abd0b4f65f6bcf8535d16" {
		t.Fatalf("AuthenticatorSource = %x", src)
	}
	if a := AuthenticatorISMG(0, V21, src, "888888"); hex.EncodeToString(a[:]) != "6c0b846e25bab6daa4ed1c466e0f4bd8" {
		t.Errorf("AuthenticatorISMG 2.x = %x", a)
	}
	if a := AuthenticatorISMG(0, V20, src, "888888"); hex.EncodeToString(a[:]) != "6c0b846e25bab6daa4ed1c466e0f4bd8" {
		t.Errorf("AuthenticatorISMG 2.0 = %x", a)
	}
	if a := AuthenticatorISMG(0, V30, src, "888888"); hex.EncodeToString(a[:]) != "7942977274098cf210ab0c16c367bc8d" {
		t.Errorf("AuthenticatorISMG 3.0 = %x", a)
	}

	t.Run("NewConnect builds V1", func(t *testing.T) {
		got := Append(nil, V21, 0x17, NewConnect("900001", "888888", V21, 1021080510))
		if want := codectest.ReadHex(t, "v01-connect.hex"); !bytes.Equal(got, want) {
			t.Fatalf("got %x", got)
		}
	})
	t.Run("NewConnectResp builds V2 and V3", func(t *testing.T) {
		c := NewConnect("900001", "888888", V21, 1021080510)
		if got := Append(nil, V21, 0x17, NewConnectResp(c, ConnectOK, "888888", V21)); !bytes.Equal(got, codectest.ReadHex(t, "v02-connect-resp-2x.hex")) {
			t.Errorf("2.x: %x", got)
		}
		if got := Append(nil, V30, 0x17, NewConnectResp(c, ConnectOK, "888888", V30)); !bytes.Equal(got, codectest.ReadHex(t, "v03-connect-resp-30.hex")) {
			t.Errorf("3.0: %x", got)
		}
	})
	t.Run("a refusal carries an all-zero authenticator", func(t *testing.T) {
		c := NewConnect("900001", "888888", V30, 1021080510)
		r := NewConnectResp(c, ConnectAuthFailed, "888888", V30)
		if !bytes.Equal(r.AuthenticatorISMG, make([]byte, 16)) || r.Status != ConnectAuthFailed {
			t.Fatalf("%+v", r)
		}
	})

	cases := []struct {
		name   string
		c      *Connect
		secret string
		ok     bool
	}{
		{"V1 verifies", &Connect{SourceAddr: "900001", AuthenticatorSource: src[:], Timestamp: 1021080510}, "888888", true},
		{"wrong secret fails", &Connect{SourceAddr: "900001", AuthenticatorSource: src[:], Timestamp: 1021080510}, "888889", false},
		{"wrong timestamp fails", &Connect{SourceAddr: "900001", AuthenticatorSource: src[:], Timestamp: 1021080511}, "888888", false},
		{"short id hashed raw (SMSGate) verifies", connectWith("9001", AuthenticatorSource("9001", "pw", 101010101)), "pw", true},
		{"short id hashed NUL-padded (gocmpp) verifies", connectWith("9001", AuthenticatorSource("9001\x00\x00", "pw", 101010101)), "pw", true},
		{"truncated authenticator fails", &Connect{SourceAddr: "900001", AuthenticatorSource: src[:15], Timestamp: 1021080510}, "888888", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := VerifyAuthenticatorSource(c.c, c.secret); got != c.ok {
				t.Fatalf("VerifyAuthenticatorSource = %v, want %v", got, c.ok)
			}
		})
	}
}

func connectWith(id string, a [16]byte) *Connect {
	return &Connect{SourceAddr: id, AuthenticatorSource: a[:], Version: V30, Timestamp: 101010101}
}

// §11 example: b2b9da8000010000 → 11-05 14:29:42, gateway 1, seq 0.
func TestMsgID(t *testing.T) {
	p := DecodeMsgID(0xb2b9da8000010000)
	want := MsgIDParts{Month: 11, Day: 5, Hour: 14, Minute: 29, Second: 42, Gateway: 1, Seq: 0}
	if p != want {
		t.Fatalf("DecodeMsgID = %+v", p)
	}
	if p.MsgID() != 0xb2b9da8000010000 {
		t.Fatalf("MsgID() = %x", p.MsgID())
	}
	if s := p.String(); s != "1105142942000000100000" {
		t.Fatalf("String = %q", s)
	}
	full := MsgIDParts{Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Gateway: 1<<22 - 1, Seq: 0xffff}
	if DecodeMsgID(full.MsgID()) != full {
		t.Fatalf("round trip of %+v", full)
	}
	if MsgIDAdd(0xb2b9da8000010000, 2) != 0xb2b9da8000010002 {
		t.Fatal("MsgIDAdd")
	}
}
