package cmpp

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

var versions = []Version{V20, V21, V30}

// sampleSubmit is a long-SMS segment to three recipients with a LinkID: the
// shape the proxy authorizes.
func sampleSubmit() *Submit {
	content := udh.Append(nil, udh.Concat{Ref: 0x2a, Total: 3, Seq: 2})
	content = append(content, ucs2("第二段：今天的天气很好")...)
	return &Submit{
		PkTotal: 3, PkNumber: 2, RegisteredDelivery: 1, MsgLevel: 9,
		ServiceID:      "MCN2210103",
		FeeUserType:    3,
		FeeTerminalID:  "13800138000",
		TPUDHI:         1,
		MsgFmt:         8,
		MsgSrc:         "900001",
		FeeType:        "02",
		FeeCode:        "100",
		ValIDTime:      "261231235959032+",
		AtTime:         "",
		SrcID:          "1065800012345",
		DestTerminalID: []string{"13800138000", "8613900139000", "+8613700137000"},
		MsgContent:     content,
		LinkID:         "LNK12345",
	}
}

// samples returns one PDU of every command, valued for v's family (3.0-only
// fields are zero in 2.x, because they do not travel there).
func samples(v Version) []PDU {
	wide := v.Family() == Family30
	sub := sampleSubmit()
	mo := &Deliver{
		MsgID: 0xb4c5530000010000, DestID: "1065800012345", ServiceID: "MCN2210103",
		MsgFmt: 15, SrcTerminalID: "13800138000", MsgContent: codec.Octets("\xc4\xe3\xba\xc3"), LinkID: "12345678",
	}
	rep := &Deliver{MsgID: 0xb4c5530000010001, DestID: "1065800012345", SrcTerminalID: "13800138000"}
	rep.SetReport(Report{MsgID: 0xb2b9da8000010000, Stat: "DELIVRD", SubmitTime: "2605211230", DoneTime: "2605211231",
		DestTerminalID: "13800138000", SMSCSequence: 7}, v)
	rep60 := &Deliver{MsgID: 0xb4c5530000010002, DestID: "10658000", SrcTerminalID: "13800138000"}
	rep60.SetReport(Report{MsgID: 1, Stat: "UNDELIV", DestTerminalID: "13800138000", Form: Report60}, v)
	if wide {
		sub.FeeTerminalType, sub.DestTerminalType = 1, 1
		sub.LinkID = "0123456789abcdefghij"
		mo.SrcTerminalType = 1
		mo.LinkID = "0000000000000123456"
	}
	resultMax := uint32(0xff)
	if wide {
		resultMax = 0x01020304
	}
	return []PDU{
		&Connect{SourceAddr: "900001", AuthenticatorSource: codectest.MustHex("90d00c1d517abd0b4f65f6bcf8535d16"), Version: v, Timestamp: 1021080510},
		&ConnectResp{Status: ConnectVersionTooHigh, AuthenticatorISMG: make(codec.Octets, 16), Version: V30, Layout: v.Family()},
		&Terminate{},
		&TerminateResp{},
		sub,
		&SubmitResp{MsgID: 0xb2b9da8000010000, Result: 150},
		mo,
		rep,
		rep60,
		&DeliverResp{MsgID: 0xb4c5530000010000, Result: ResultFlowControl},
		&Query{Time: "20260521", QueryType: 1, QueryCode: "MCN2210103", Reserve: "r"},
		&QueryResp{Time: "20260521", QueryType: 1, QueryCode: "MCN2210103",
			MTTLMsg: 1, MTTLUsr: 2, MTScs: 3, MTWT: 4, MTFL: 5, MOScs: 6, MOWT: 7, MOFL: 0xffffffff},
		&Cancel{MsgID: 0xb2b9da8000010000},
		&CancelResp{SuccessID: resultMax},
		&ActiveTest{},
		&ActiveTestResp{Reserved: 0},
	}
}

func name(p PDU, v Version) string { return v.String() + " " + p.Command().String() }

func TestRoundTrip(t *testing.T) {
	for _, v := range versions {
		for i, p := range samples(v) {
			t.Run(name(p, v)+" #"+strconv.Itoa(i), func(t *testing.T) {
				frame := Append(nil, v, 0xfedcba98, p)
				h, got, err := Decode(frame, v)
				if err != nil {
					t.Fatalf("Decode(%x): %v", frame, err)
				}
				if h != (Header{TotalLength: uint32(len(frame)), CommandID: p.Command(), SequenceID: 0xfedcba98}) {
					t.Errorf("header %+v", h)
				}
				if !reflect.DeepEqual(got, p) {
					t.Errorf("Decode:\n got %#v\nwant %#v", got, p)
				}
				if again := Append(nil, v, 0xfedcba98, got); !bytes.Equal(again, frame) {
					t.Errorf("re-encode differs:\n%x\n%x", again, frame)
				}
				checkView(t, frame, v, got)
			})
		}
	}
}

func TestFrameSizes(t *testing.T) {
	sub := sampleSubmit()
	L, N := len(sub.MsgContent), len(sub.DestTerminalID)
	cases := []struct {
		name string
		v    Version
		p    PDU
		want int
	}{
		{"connect is 39 bytes", V30, &Connect{}, 39},
		{"2.x connect resp is 30 bytes", V21, &ConnectResp{}, 30},
		{"3.0 connect resp is 33 bytes", V30, &ConnectResp{}, 33},
		{"2.x submit is 138+21N+L", V20, sub, 138 + 21*N + L},
		{"3.0 submit is 163+32N+L", V30, sub, 163 + 32*N + L},
		{"2.x submit resp is 21", V21, &SubmitResp{}, 21},
		{"3.0 submit resp is 24", V30, &SubmitResp{}, 24},
		{"2.x deliver is 85+L", V21, &Deliver{MsgContent: make(codec.Octets, 10)}, 85 + 10},
		{"3.0 deliver is 109+L", V30, &Deliver{MsgContent: make(codec.Octets, 10)}, 109 + 10},
		{"2.x cancel resp is 13", V21, &CancelResp{}, 13},
		{"3.0 cancel resp is 16", V30, &CancelResp{}, 16},
		{"query is 39", V30, &Query{}, 12 + 27},
		{"query resp is 63", V30, &QueryResp{}, 12 + 51},
		{"active test resp is 13", V30, &ActiveTestResp{}, 13},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := len(Append(nil, c.v, 1, c.p)); n != c.want {
				t.Fatalf("%d bytes, want %d", n, c.want)
			}
		})
	}
	if MaxSubmitLen2x != 2493 || MaxSubmitLen30 != 3618 {
		t.Fatalf("max submit %d %d", MaxSubmitLen2x, MaxSubmitLen30)
	}
	big := sampleSubmit()
	big.MsgContent = make(codec.Octets, 255)
	big.DestTerminalID = make([]string, MaxDestUsr)
	for i := range big.DestTerminalID {
		big.DestTerminalID[i] = "1380013" + strconv.Itoa(8000+i)
	}
	for _, c := range []struct {
		v    Version
		want int
	}{{V21, MaxSubmitLen2x}, {V30, MaxSubmitLen30}} {
		frame := Append(nil, c.v, 1, big)
		if len(frame) != c.want {
			t.Errorf("%v: largest submit %d bytes, want %d", c.v, len(frame), c.want)
		}
		if _, p, err := Decode(frame, c.v); err != nil || len(p.(*Submit).DestTerminalID) != MaxDestUsr {
			t.Errorf("%v: 100 recipients: %v", c.v, err)
		}
		if n, err := NewFramer(0).Split(frame); n != len(frame) || err != nil {
			t.Errorf("%v: default framer refuses the largest submit: %d %v", c.v, n, err)
		}
	}
}

func TestDecodeTolerates(t *testing.T) {
	t.Run("a 12-byte active test resp is accepted and answered with 13", func(t *testing.T) {
		frame := codectest.MustHex("0000000c 80000008 00000017")
		_, p, err := Decode(frame, V30)
		if err != nil || !reflect.DeepEqual(p, &ActiveTestResp{}) {
			t.Fatalf("%#v, %v", p, err)
		}
		if got := Append(nil, V30, 0x17, p); !bytes.Equal(got, codectest.ReadHex(t, "v08c-active-test-resp.hex")) {
			t.Fatalf("re-encoded %x", got)
		}
		var view codec.View
		if err := ParseView(frame, V30, &view); err != nil || view.Kind != codec.KindActiveTestResp {
			t.Fatalf("view %v %v", view.Kind, err)
		}
	})
	t.Run("a 2.x connect resp decodes on a 3.0 session", func(t *testing.T) {
		frame := codectest.ReadHex(t, "v02-connect-resp-2x.hex")
		_, p, err := Decode(frame, V30)
		if err != nil || p.(*ConnectResp).Layout != Family2x {
			t.Fatalf("%#v, %v", p, err)
		}
		if got := Append(nil, V30, 0x17, p); !bytes.Equal(got, frame) {
			t.Fatalf("re-encoded %x", got)
		}
	})
	t.Run("a report body of an odd length stays raw", func(t *testing.T) {
		d := &Deliver{RegisteredDelivery: 1, MsgContent: make(codec.Octets, 30)}
		_, p, err := Decode(Append(nil, V30, 1, d), V30)
		if err != nil || !reflect.DeepEqual(p, d) {
			t.Fatalf("%#v, %v", p, err)
		}
	})
	t.Run("TP_udhi 0x40 is kept as is", func(t *testing.T) {
		s := sampleSubmit()
		s.TPUDHI = 0x40
		_, p, err := Decode(Append(nil, V21, 1, s), V21)
		if err != nil || p.(*Submit).TPUDHI != 0x40 {
			t.Fatalf("%v", err)
		}
	})
}

func TestDecodeRejects(t *testing.T) {
	sub := Append(nil, V30, 1, sampleSubmit())
	destOff := HeaderLen + 128 // DestUsr_tl in 3.0 (§7.1)
	withDests := func(n byte) []byte {
		b := bytes.Clone(sub)
		b[destOff] = n
		return b
	}
	cases := []struct {
		name   string
		frame  []byte
		v      Version
		field  string
		offset int
		err    error
	}{
		{"empty frame", nil, V30, "Total_Length", 0, codec.ErrShortFrame},
		{"header cut in Sequence_Id", sub[:10], V30, "Sequence_Id", 8, codec.ErrShortFrame},
		{"no recipients", withDests(0), V30, "DestUsr_tl", destOff, codec.ErrNoRecipients},
		{"101 recipients", withDests(101), V30, "DestUsr_tl", destOff, codec.ErrTooManyRecipients},
		{"trailing bytes", append(bytes.Clone(sub), 0), V30, "(end of body)", len(sub), codec.ErrTrailingBytes},
		{"Total_Length disagrees with the frame", codectest.MustHex("00000020 00000002 00000001"), V30, "Total_Length", 0, codec.ErrBadValue},
		{"CMPP_FWD has no struct", codectest.MustHex("0000000c 00000009 00000001"), V30, "Command_Id", 4, codec.ErrUnknownCommand},
		{"GNS route resp has no struct", codectest.MustHex("0000000c 80000017 00000001"), V21, "Command_Id", 4, codec.ErrUnknownCommand},
		{"0x00000003 is undefined", codectest.MustHex("0000000c 00000003 00000001"), V21, "Command_Id", 4, codec.ErrUnknownCommand},
		{"a 3.0 submit is not a 2.x submit", sub, V21, "", -1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, p, err := Decode(c.frame, c.v)
			if err == nil {
				t.Fatalf("Decode succeeded: %#v", p)
			}
			if p != nil {
				t.Errorf("PDU %#v returned with an error", p)
			}
			fe := fieldError(t, err)
			if c.field != "" && (fe.Field != c.field || fe.Offset != c.offset || !errors.Is(err, c.err)) {
				t.Fatalf("error %v (field %q offset %d), want %s at %d: %v", err, fe.Field, fe.Offset, c.field, c.offset, c.err)
			}
		})
	}
	t.Run("unknown command errors name the command", func(t *testing.T) {
		_, _, err := Decode(codectest.MustHex("0000000c 00000009 00000001"), V30)
		if !strings.Contains(err.Error(), "CMPP_FWD") {
			t.Errorf("%v", err)
		}
		_, _, err = Decode(codectest.MustHex("0000000c 00000003 00000001"), V21)
		if want := "cmpp2 0x00000003: Command_Id at offset 4: codec: unknown command"; err.Error() != want {
			t.Errorf("%q, want %q", err, want)
		}
	})
}

// The truncation walk: every strict prefix of every valid frame
// fails with ErrShortFrame, naming the field where it stopped; ParseView
// fails or stops cleanly.
func TestTruncationWalk(t *testing.T) {
	for _, v := range versions {
		for i, p := range samples(v) {
			frame := Append(nil, v, 7, p)
			t.Run(name(p, v)+" #"+strconv.Itoa(i), func(t *testing.T) {
				last := 0
				for n := range len(frame) {
					_, got, err := Decode(frame[:n], v)
					if err == nil {
						t.Fatalf("prefix %d of %d decoded: %#v", n, len(frame), got)
					}
					fe := fieldError(t, err)
					if !errors.Is(err, codec.ErrShortFrame) || fe.Field == "" || fe.Offset > n || fe.Offset < last {
						t.Fatalf("prefix %d: %v (offset %d, previous %d)", n, err, fe.Offset, last)
					}
					last = fe.Offset
					var view codec.View
					if err := ParseView(frame[:n], v, &view); err != nil {
						fieldError(t, err)
					} else if n < HeaderLen || p.Command() == CmdSubmit || p.Command() == CmdDeliver {
						t.Fatalf("ParseView accepted prefix %d", n)
					}
				}
			})
		}
	}
	t.Run("fields named along a 3.0 submit", func(t *testing.T) {
		frame := Append(nil, V30, 7, sampleSubmit())
		L := len(sampleSubmit().MsgContent)
		for _, c := range []struct {
			n     int
			field string
		}{
			{0, "Total_Length"}, {5, "Command_Id"}, {11, "Sequence_Id"},
			{12, "Msg_Id"}, {20, "Pk_total"}, {12 + 12, "Service_Id"}, {12 + 23, "Fee_terminal_Id"},
			{12 + 55, "Fee_terminal_type"}, {12 + 107, "Src_Id"}, {12 + 128, "DestUsr_tl"},
			{12 + 129 + 40, "Dest_terminal_Id[1]"}, {12 + 129 + 96, "Dest_terminal_type"},
			{12 + 130 + 96, "Msg_Length"}, {12 + 131 + 96 + 3, "Msg_Content"}, {12 + 131 + 96 + L, "LinkID"},
		} {
			_, _, err := Decode(frame[:c.n], V30)
			fe := fieldError(t, err)
			got := fe.Field
			if fe.Index >= 0 {
				got += "[" + strconv.Itoa(fe.Index) + "]"
			}
			if got != c.field {
				t.Errorf("prefix %d stops at %s, want %s", c.n, got, c.field)
			}
		}
	})
	t.Run("fields named along a 2.x deliver", func(t *testing.T) {
		frame := Append(nil, V21, 7, &Deliver{MsgContent: codec.Octets("hi")})
		for _, c := range []struct {
			n     int
			field string
		}{{12, "Msg_Id"}, {12 + 8, "Dest_Id"}, {12 + 42, "Src_terminal_Id"}, {12 + 63, "Registered_Delivery"}, {12 + 66, "Msg_Content"}, {12 + 67, "Reserved"}} {
			_, _, err := Decode(frame[:c.n], V21)
			if fe := fieldError(t, err); fe.Field != c.field {
				t.Errorf("prefix %d stops at %s, want %s", c.n, fe.Field, c.field)
			}
		}
	})
}

func TestCommandNames(t *testing.T) {
	cases := []struct {
		id   CommandID
		name string
		kind codec.Kind
	}{
		{CmdConnect, "CMPP_CONNECT", codec.KindLogin},
		{CmdConnectResp, "CMPP_CONNECT_RESP", codec.KindLoginResp},
		{CmdTerminate, "CMPP_TERMINATE", codec.KindLogout},
		{CmdTerminateResp, "CMPP_TERMINATE_RESP", codec.KindLogoutResp},
		{CmdSubmit, "CMPP_SUBMIT", codec.KindSubmit},
		{CmdSubmitResp, "CMPP_SUBMIT_RESP", codec.KindSubmitResp},
		{CmdDeliver, "CMPP_DELIVER", codec.KindDeliver},
		{CmdDeliverResp, "CMPP_DELIVER_RESP", codec.KindDeliverResp},
		{CmdQuery, "CMPP_QUERY", codec.KindOther},
		{CmdQueryResp, "CMPP_QUERY_RESP", codec.KindOtherResp},
		{CmdCancel, "CMPP_CANCEL", codec.KindOther},
		{CmdCancelResp, "CMPP_CANCEL_RESP", codec.KindOtherResp},
		{CmdActiveTest, "CMPP_ACTIVE_TEST", codec.KindActiveTest},
		{CmdActiveTestResp, "CMPP_ACTIVE_TEST_RESP", codec.KindActiveTestResp},
		{CmdFwd, "CMPP_FWD", codec.KindOther},
		{CmdFwdResp, "CMPP_FWD_RESP", codec.KindOtherResp},
		{CmdMTRoute, "CMPP_MT_ROUTE", codec.KindOther},
		{CmdMORoute, "CMPP_MO_ROUTE", codec.KindOther},
		{CmdGetMTRoute, "CMPP_GET_MT_ROUTE", codec.KindOther},
		{CmdMTRouteUpdate, "CMPP_MT_ROUTE_UPDATE", codec.KindOther},
		{CmdMORouteUpdate, "CMPP_MO_ROUTE_UPDATE", codec.KindOther},
		{CmdPushMTRouteUpdate, "CMPP_PUSH_MT_ROUTE_UPDATE", codec.KindOther},
		{CmdPushMORouteUpdate, "CMPP_PUSH_MO_ROUTE_UPDATE", codec.KindOther},
		{CmdGetMORoute, "CMPP_GET_MO_ROUTE", codec.KindOther},
		{CmdGetMORouteResp, "CMPP_GET_MO_ROUTE_RESP", codec.KindOtherResp},
		{0x00000003, "0x00000003", codec.KindUnknown},
		{0x80000003, "0x80000003", codec.KindUnknown},
		{0x00000018, "0x00000018", codec.KindUnknown},
		{0xdeadbeef, "0xdeadbeef", codec.KindUnknown},
	}
	for _, c := range cases {
		if c.id.String() != c.name || KindOf(c.id) != c.kind {
			t.Errorf("%#x: %q %v, want %q %v", uint32(c.id), c.id.String(), KindOf(c.id), c.name, c.kind)
		}
	}
	if CmdMTRouteResp != 0x80000010 || CmdPushMORouteUpdateResp != 0x80000016 {
		t.Error("response ids")
	}
}

func TestVersion(t *testing.T) {
	cases := []struct {
		v    Version
		s    string
		fam  Family
		term int
		link int
		res  int
	}{
		{V20, "cmpp2.0", Family2x, 21, 8, 1},
		{V21, "cmpp2.1", Family2x, 21, 8, 1},
		{V30, "cmpp3.0", Family30, 32, 20, 4},
		{0x31, "cmpp3.1", Family30, 32, 20, 4},
	}
	for _, c := range cases {
		f := c.v.Family()
		if c.v.String() != c.s || f != c.fam || f.TerminalIDLen() != c.term || f.LinkIDLen() != c.link || f.ResultLen() != c.res {
			t.Errorf("%#x: %s %v %d %d %d", uint8(c.v), c.v, f, f.TerminalIDLen(), f.LinkIDLen(), f.ResultLen())
		}
		var back Version
		if err := back.UnmarshalText([]byte(c.s)); err != nil || back != c.v {
			t.Errorf("UnmarshalText(%q) = %v, %v", c.s, back, err)
		}
	}
	var v Version
	if err := v.UnmarshalText([]byte("0x21")); err != nil || v != V21 {
		t.Errorf("0x21: %v %v", v, err)
	}
	if err := v.UnmarshalText([]byte("cmpp")); err == nil {
		t.Error("bad version accepted")
	}
	if !V30.Is30() || V21.Is30() {
		t.Error("Is30")
	}
}

func TestResultStrings(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{ResultOK.String(), "OK"},
		{ResultFlowControl.String(), "flow control error"},
		{ResultBadDestTerminalID.String(), "Dest_terminal_Id error"},
		{Result(42).String(), "reserved (42)"},
		{Result(150).String(), "vendor-defined (150)"},
		{Result(200).String(), "unknown (200)"},
		{ConnectAuthFailed.String(), "authentication error"},
		{ConnectStatus(9).String(), "other error (9)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
	if !Result(100).IsVendor() || !Result(199).IsVendor() || Result(99).IsVendor() || Result(200).IsVendor() {
		t.Error("IsVendor")
	}
	if ResultFlowControl != 8 {
		t.Error("flow control is 8 (§12.2)")
	}
}

// 2.x result fields are one byte: a vendor code survives, a 4-byte value is
// cut to its low byte.
func TestResultWidth(t *testing.T) {
	f := AppendSubmitResp(nil, V21, 1, 5, 150)
	if len(f) != 21 || f[20] != 150 {
		t.Fatalf("%x", f)
	}
	f = AppendSubmitResp(nil, V30, 1, 5, 150)
	if len(f) != 24 || !bytes.Equal(f[20:], []byte{0, 0, 0, 150}) {
		t.Fatalf("%x", f)
	}
}
