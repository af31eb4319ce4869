package smgp

import (
	"testing"

	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/internal/codectest"
)

// The vectors of docs/protocols/smgp30.md §14, one test each.

func zeros(n int) []byte { return make([]byte, n) }

func linkTLV() []TLV {
	return []TLV{{Tag: TagLinkID, Value: []byte("LINK0000000000000001")}}
}

func TestVectorV1Login(t *testing.T) {
	want := &Login{
		ClientID:            "12345678",
		AuthenticatorClient: Authenticator(codectest.MustHex("95898c46dedbcf393dcd4c2a861481e9")),
		LoginMode:           LoginModeTransmit,
		TimeStamp:           0x11F0E540,
		ClientVersion:       V30,
	}
	validate(t, "v1_login.hex", V30, Header{42, CmdLogin, 1}, want)
	if want.TimeStamp != 301000000 {
		t.Fatalf("TimeStamp %d is not the spec's 0301000000", want.TimeStamp)
	}
}

func TestVectorV2SubmitLinkID(t *testing.T) {
	want := &Submit{
		MsgType: MsgTypeMT, NeedReport: 1, Priority: 1,
		ServiceID: "HELP", FeeType: "01", FeeCode: "000010", FixedFee: "000000",
		MsgFormat: text.UCS2,
		SrcTermID: "1065512345", DestTermID: []string{"13800138000"},
		MsgContent: codectest.MustHex("4f60597d"), Reserve: zeros(8),
		TLVs: linkTLV(),
	}
	validate(t, "v2_submit_linkid.hex", V30, Header{175, CmdSubmit, 2}, want)
	if s, err := text.Decode(want.MsgFormat, want.MsgContent); err != nil || s != "你好" {
		t.Errorf("content %q, %v", s, err)
	}
	if want.LinkID() != "LINK0000000000000001" || want.TPUDHI() != 0 || want.TLVTruncated() {
		t.Errorf("accessors: LinkID %q TPUDHI %d", want.LinkID(), want.TPUDHI())
	}
}

func TestVectorV3SubmitResp(t *testing.T) {
	want := &SubmitResp{MsgID: mustID("01006101161700012345"), Status: StatusOK}
	validate(t, "v3_submit_resp.hex", V30, Header{26, CmdSubmitResp, 2}, want)
}

func TestVectorV4DeliverMO(t *testing.T) {
	want := &Deliver{
		MsgID: mustID("01006101161700012346"), IsReport: 0, MsgFormat: text.GBK,
		RecvTime: "20030116170000", SrcTermID: "13800138000", DestTermID: "1065512345",
		MsgContent: []byte("DZ"), Reserve: zeros(8), TLVs: linkTLV(),
	}
	validate(t, "v4_deliver_mo_linkid.hex", V30, Header{115, CmdDeliver, 3}, want)
	if want.LinkID() != "LINK0000000000000001" {
		t.Errorf("LinkID %q", want.LinkID())
	}
}

// v5Content is the report text of V5, in go_smgp's spelling.
var v5Content = codectest.MustHex(`69643a 01006101161700012345 207375623a 303031 20646c7672643a 303031
	205375626d697420646174653a 30333031313631373030 20646f6e6520646174653a 30333031313631373031
	20737461743a 44454c49565244 206572723a 303030 20546578743a 0000000000000000000000000000000000000000`)

func v5Report() *Report {
	return &Report{
		ID: mustID("01006101161700012345"), Sub: "001", Dlvrd: "001",
		SubmitDate: "0301161700", DoneDate: "0301161701", Stat: StatDelivered, Err: "000",
	}
}

func TestVectorV5DeliverReport(t *testing.T) {
	want := &Deliver{
		MsgID: mustID("01006101161700012347"), IsReport: 1, MsgFormat: text.ASCII,
		RecvTime: "20030116170100", SrcTermID: "13800138000", DestTermID: "1065512345",
		MsgContent: v5Content, Reserve: zeros(8),
		Report: v5Report(),
	}
	validate(t, "v5_deliver_report.hex", V30, Header{211, CmdDeliver, 4}, want)
	if len(v5Content) != ReportLen {
		t.Fatalf("V5 report text is %d bytes", len(v5Content))
	}
	// The report's Id is V3's Submit_Resp MsgID: the correlation key.
	if want.Report.ID != mustID("01006101161700012345") {
		t.Fatal("report id")
	}
}

func TestVectorV6DeliverRespActiveTest(t *testing.T) {
	validate(t, "v6_deliver_resp.hex", V30, Header{26, CmdDeliverResp, 4},
		&DeliverResp{MsgID: mustID("01006101161700012347"), Status: StatusOK})
	validate(t, "v6_active_test.hex", V30, Header{12, CmdActiveTest, 5}, &ActiveTest{})
}

func TestVectorV7SubmitV13(t *testing.T) {
	tlv := func(tag uint16, v ...byte) TLV { return TLV{Tag: tag, Value: v} }
	want := &Submit{
		MsgType: MsgTypeMT, NeedReport: 1, Priority: 2,
		ServiceID: "", FeeType: "00", FeeCode: "000000", MsgFormat: text.ASCII,
		SrcTermID: "10086", DestTermID: []string{"13800138000"},
		MsgContent: []byte("dfa8eb6a-ad9f-4654-94fa-f114718ed05a"), Reserve: zeros(8),
		TLVs: []TLV{
			tlv(TagTPPid, 0), tlv(TagTPUdhi, 0), tlv(TagChargeUserType, 0), tlv(TagChargeTermType, 0),
			tlv(0x0014, 1), // unknown tag, kept in place
			tlv(TagDestTermType, 0), tlv(TagPkTotal, 1), tlv(TagPkNumber, 1),
			tlv(TagSubmitMsgType, 0), tlv(TagSPDealResult, 0),
			tlv(TagMServiceID, 'A', 'B', 'C', 0), // SMSGate: text + NUL
		},
	}
	validate(t, "v7_submit_v13_tlvs.hex", V13, Header{235, CmdSubmit, 0x1b46734c}, want)
	if want.PkTotal() != 1 || want.PkNumber() != 1 || want.TPUDHI() != 0 || want.LinkID() != "" {
		t.Errorf("accessors: PkTotal %d PkNumber %d TPUDHI %d", want.PkTotal(), want.PkNumber(), want.TPUDHI())
	}
	if v, ok := want.TLV(TagMServiceID); !ok || (TLV{Value: v}).Text() != "ABC" || len(v) != 4 {
		t.Errorf("MServiceID %q", v)
	}
	if _, ok := want.TLV(TagLinkID); ok {
		t.Error("LinkID TLV found in V7")
	}

	t.Run("the 3.0 layout misreads it", func(t *testing.T) {
		// Read with the wrong version, FixedFee swallows 6 bytes; the decode
		// must not crash, and whatever it yields is not V7.
		_, p, err := Decode(codectest.ReadHex(t, "v7_submit_v13_tlvs.hex"), V30)
		if err == nil && p.(*Submit).SrcTermID == "10086" {
			t.Fatal("V7 decoded identically with the 3.0 layout")
		}
	})
}

func TestVectorV8TruncatedTLV(t *testing.T) {
	want := &Submit{
		MsgType: MsgTypeMT, NeedReport: 1, Priority: 2,
		ServiceID: "default", FeeType: "01", FeeCode: "000000", FixedFee: "",
		MsgFormat: text.UCS2,
		SrcTermID: "10659205231", DestTermID: []string{"18046279086"},
		MsgContent: codectest.MustHex(`05000334010130104e2d539f94f6884c30115c0a8d3576845ba26237002c00206211884c5fae4fe194f6884c
			573057404e3aff1aff0c4e2d539f94f6884c7aed8bda4e3a60a8670d52a1ff0c795d60a8751f6d3b61095febff01`),
		Reserve:    zeros(8),
		TLVTrailer: []byte{0x00, 0x01},
	}
	// Tolerated as §12 recommends: the fixed body decodes, the two stray
	// bytes are kept and flagged, and the frame re-encodes byte for byte.
	validate(t, "v8_submit_truncated_tlv.hex", V30, Header{239, CmdSubmit, 0x123d6c12}, want)
	if !want.TLVTruncated() || want.TPUDHI() != 0 || want.PkTotal() != 0 {
		t.Error("V8 accessors")
	}
}

func TestVectorV9ReportTexts(t *testing.T) {
	cases := []struct {
		file string
		want Report
	}{
		{"v9a_report_go_smgp.hex", Report{
			ID: mustID("10100505301557926339"), Sub: "001", Dlvrd: "001",
			SubmitDate: "1805301557", DoneDate: "1805301557", Stat: "DELIVRD", Err: "000",
			Text: "fillfillfillfillfill",
		}},
		{"v9b_report_gateway.hex", Report{
			ID: mustID("05701305301550567501"), Sub: "001", Dlvrd: "000",
			SubmitDate: "1805301550", DoneDate: "1805301550", Stat: "DELIVRD", Err: "000",
			Text: "fillfillfillfillfill",
		}},
		{"v9c_report_smsgate.hex", Report{
			ID: mustID("6495c36ac4ea6b00000b"), Sub: "001", Dlvrd: "001",
			SubmitDate: "1807052207", DoneDate: "1807052207", Stat: "DELIVRD", Err: "000",
			Text: string(codectest.MustHex("d6d0b9fa306138616535")), // GBK "中国0a8ae5"
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			content := codectest.ReadHex(t, c.file)
			got, err := ParseReport(content)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			canon := got.Append(nil)
			if len(canon) != ReportLen {
				t.Fatalf("canonical form is %d bytes", len(canon))
			}
			if again, err := ParseReport(canon); err != nil || again != got {
				t.Fatalf("canonical form reparses as %+v, %v", again, err)
			}
			id, stat := scanReport(content)
			if MsgIDFrom(id) != c.want.ID || string(stat) != c.want.Stat {
				t.Fatalf("scanReport: %x %q", id, stat)
			}
		})
	}
	t.Run("GBK text reads as 中国0a8ae5", func(t *testing.T) {
		rep, _ := ParseReport(codectest.ReadHex(t, "v9c_report_smsgate.hex"))
		if s, err := text.Decode(text.GBK, []byte(rep.Text)); err != nil || s != "中国0a8ae5" {
			t.Fatalf("%q, %v", s, err)
		}
	})
}
