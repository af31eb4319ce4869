package cmpp_test

// Interop with github.com/bigwhite/gocmpp (e611134), an independent CMPP
// 2.x/3.0 implementation: packets gocmpp packs decode with our codec to the
// same field values, and frames our codec appends unpack with gocmpp to the
// same values (and, where both encode the same thing, to the same bytes).
//
// gocmpp's caveat: its CmppReceiptPkt is always the 60-byte report (21-byte
// Dest_terminal_Id), even in 3.0 (docs/protocols/cmpp.md §9.3). The report
// cases use cmpp.Report60 for that reason; a 71-byte report, our 3.0 default,
// is misread by gocmpp.

import (
	"bytes"
	"reflect"
	"testing"

	gocmpp "github.com/bigwhite/gocmpp"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
)

const secret = "888888"

func ucs2(s string) string {
	var b []byte
	for _, r := range s { // BMP only in these tests
		b = append(b, byte(r>>8), byte(r))
	}
	return string(b)
}

type interopCase struct {
	name string
	v    cmpp.Version
	// theirs is packed by gocmpp; fresh returns an empty packet of the same
	// type for unpacking our frame; ours is the same message as our PDU.
	theirs gocmpp.Packer
	fresh  func() gocmpp.Packer
	ours   cmpp.PDU
	// offWire copies the fields gocmpp keeps that are not on the wire
	// (secrets, inputs of its MD5) from a to b before comparing.
	offWire func(a, b gocmpp.Packer)
}

func interopCases() []interopCase {
	auth := cmpp.AuthenticatorSource("900001", secret, 1021080510)
	ismg2 := cmpp.AuthenticatorISMG(0, cmpp.V21, auth, secret)
	ismg3 := cmpp.AuthenticatorISMG(0, cmpp.V30, auth, secret)
	content := ucs2("测试gocmpp submit")
	report := &gocmpp.CmppReceiptPkt{MsgId: 0xb2b9da8000010000, Stat: "DELIVRD", SubmitTime: "1511120955",
		DoneTime: "1511120957", DestTerminalId: "13412340000", SmscSequence: 0x12345678}
	reportBody, err := report.Pack()
	if err != nil {
		panic(err)
	}
	ourReport := &cmpp.Report{MsgID: 0xb2b9da8000010000, Stat: "DELIVRD", SubmitTime: "1511120955",
		DoneTime: "1511120957", DestTerminalID: "13412340000", SMSCSequence: 0x12345678, Form: cmpp.Report60}
	dests := []string{"13500002696", "8613900139000", "+8613700137000"}

	return []interopCase{
		{
			name:   "connect",
			v:      cmpp.V21,
			theirs: &gocmpp.CmppConnReqPkt{SrcAddr: "900001", Secret: secret, Version: gocmpp.V21, Timestamp: 1021080510},
			fresh:  func() gocmpp.Packer { return new(gocmpp.CmppConnReqPkt) },
			ours:   &cmpp.Connect{SourceAddr: "900001", AuthenticatorSource: auth[:], Version: cmpp.V21, Timestamp: 1021080510},
			offWire: func(a, b gocmpp.Packer) {
				b.(*gocmpp.CmppConnReqPkt).Secret = a.(*gocmpp.CmppConnReqPkt).Secret
			},
		},
		{
			name:   "connect resp 2.x",
			v:      cmpp.V21,
			theirs: &gocmpp.Cmpp2ConnRspPkt{Status: 0, AuthSrc: string(auth[:]), Secret: secret, Version: gocmpp.V21},
			fresh:  func() gocmpp.Packer { return new(gocmpp.Cmpp2ConnRspPkt) },
			ours:   &cmpp.ConnectResp{Status: cmpp.ConnectOK, AuthenticatorISMG: ismg2[:], Version: cmpp.V21, Layout: cmpp.Family2x},
			offWire: func(a, b gocmpp.Packer) {
				b.(*gocmpp.Cmpp2ConnRspPkt).Secret = a.(*gocmpp.Cmpp2ConnRspPkt).Secret
				b.(*gocmpp.Cmpp2ConnRspPkt).AuthSrc = a.(*gocmpp.Cmpp2ConnRspPkt).AuthSrc
			},
		},
		{
			name:   "connect resp 3.0",
			v:      cmpp.V30,
			theirs: &gocmpp.Cmpp3ConnRspPkt{Status: 0, AuthSrc: string(auth[:]), Secret: secret, Version: gocmpp.V30},
			fresh:  func() gocmpp.Packer { return new(gocmpp.Cmpp3ConnRspPkt) },
			ours:   &cmpp.ConnectResp{Status: cmpp.ConnectOK, AuthenticatorISMG: ismg3[:], Version: cmpp.V30, Layout: cmpp.Family30},
			offWire: func(a, b gocmpp.Packer) {
				b.(*gocmpp.Cmpp3ConnRspPkt).Secret = a.(*gocmpp.Cmpp3ConnRspPkt).Secret
				b.(*gocmpp.Cmpp3ConnRspPkt).AuthSrc = a.(*gocmpp.Cmpp3ConnRspPkt).AuthSrc
			},
		},
		{
			name: "submit 2.x",
			v:    cmpp.V20,
			theirs: &gocmpp.Cmpp2SubmitReqPkt{PkTotal: 2, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1,
				ServiceId: "test", FeeUserType: 2, FeeTerminalId: "13500002696", TpPid: 0, TpUdhi: 1, MsgFmt: 8,
				MsgSrc: "900001", FeeType: "02", FeeCode: "10", ValidTime: "151105131555101+", SrcId: "900001",
				DestUsrTl: 3, DestTerminalId: dests, MsgLength: uint8(len(content)), MsgContent: content, Reserve: "LNK1"},
			fresh: func() gocmpp.Packer { return new(gocmpp.Cmpp2SubmitReqPkt) },
			ours: &cmpp.Submit{PkTotal: 2, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1,
				ServiceID: "test", FeeUserType: 2, FeeTerminalID: "13500002696", TPUDHI: 1, MsgFmt: 8,
				MsgSrc: "900001", FeeType: "02", FeeCode: "10", ValIDTime: "151105131555101+", SrcID: "900001",
				DestTerminalID: dests, MsgContent: codec.Octets(content), LinkID: "LNK1"},
		},
		{
			name: "submit 3.0",
			v:    cmpp.V30,
			theirs: &gocmpp.Cmpp3SubmitReqPkt{PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1,
				ServiceId: "test", FeeUserType: 3, FeeTerminalId: "13500002696", FeeTerminalType: 1, TpPid: 0, TpUdhi: 0,
				MsgFmt: 8, MsgSrc: "900001", FeeType: "02", FeeCode: "10", ValidTime: "151105131555101+",
				AtTime: "151106131555101+", SrcId: "900001", DestUsrTl: 3, DestTerminalId: dests, DestTerminalType: 1,
				MsgLength: uint8(len(content)), MsgContent: content, LinkId: "0123456789abcdefghij"},
			fresh: func() gocmpp.Packer { return new(gocmpp.Cmpp3SubmitReqPkt) },
			ours: &cmpp.Submit{PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1,
				ServiceID: "test", FeeUserType: 3, FeeTerminalID: "13500002696", FeeTerminalType: 1, MsgFmt: 8,
				MsgSrc: "900001", FeeType: "02", FeeCode: "10", ValIDTime: "151105131555101+",
				AtTime: "151106131555101+", SrcID: "900001", DestTerminalID: dests, DestTerminalType: 1,
				MsgContent: codec.Octets(content), LinkID: "0123456789abcdefghij"},
		},
		{
			name:   "submit resp 2.x",
			v:      cmpp.V21,
			theirs: &gocmpp.Cmpp2SubmitRspPkt{MsgId: 0xb2b9da8000010000, Result: 150},
			fresh:  func() gocmpp.Packer { return new(gocmpp.Cmpp2SubmitRspPkt) },
			ours:   &cmpp.SubmitResp{MsgID: 0xb2b9da8000010000, Result: 150},
		},
		{
			name:   "submit resp 3.0",
			v:      cmpp.V30,
			theirs: &gocmpp.Cmpp3SubmitRspPkt{MsgId: 0xb2b9da8000010000, Result: uint32(cmpp.ResultFlowControl)},
			fresh:  func() gocmpp.Packer { return new(gocmpp.Cmpp3SubmitRspPkt) },
			ours:   &cmpp.SubmitResp{MsgID: 0xb2b9da8000010000, Result: cmpp.ResultFlowControl},
		},
		{
			name: "deliver MO 2.x",
			v:    cmpp.V21,
			theirs: &gocmpp.Cmpp2DeliverReqPkt{MsgId: 0xb525628000010000, DestId: "900001", ServiceId: "svc", TpPid: 1,
				TpUdhi: 0, MsgFmt: 15, SrcTerminalId: "13412340000", RegisterDelivery: 0, MsgLength: 4,
				MsgContent: "\xc4\xe3\xba\xc3", Reserve: "12345678"},
			fresh: func() gocmpp.Packer { return new(gocmpp.Cmpp2DeliverReqPkt) },
			ours: &cmpp.Deliver{MsgID: 0xb525628000010000, DestID: "900001", ServiceID: "svc", TPPID: 1, MsgFmt: 15,
				SrcTerminalID: "13412340000", MsgContent: codec.Octets("\xc4\xe3\xba\xc3"), LinkID: "12345678"},
		},
		{
			name: "deliver MO 3.0",
			v:    cmpp.V30,
			theirs: &gocmpp.Cmpp3DeliverReqPkt{MsgId: 0xb4c5530000010000, DestId: "900001", MsgFmt: 0,
				SrcTerminalId: "13412340000", SrcTerminalType: 1, MsgLength: 18, MsgContent: "This is a test MO.",
				LinkId: "0000000000000123456"},
			fresh: func() gocmpp.Packer { return new(gocmpp.Cmpp3DeliverReqPkt) },
			ours: &cmpp.Deliver{MsgID: 0xb4c5530000010000, DestID: "900001", SrcTerminalID: "13412340000",
				SrcTerminalType: 1, MsgContent: codec.Octets("This is a test MO."), LinkID: "0000000000000123456"},
		},
		{
			name: "deliver report 2.x",
			v:    cmpp.V21,
			theirs: &gocmpp.Cmpp2DeliverReqPkt{MsgId: 0xb525628000010001, DestId: "900001", SrcTerminalId: "13412340000",
				RegisterDelivery: 1, MsgLength: uint8(len(reportBody)), MsgContent: string(reportBody)},
			fresh: func() gocmpp.Packer { return new(gocmpp.Cmpp2DeliverReqPkt) },
			ours: &cmpp.Deliver{MsgID: 0xb525628000010001, DestID: "900001", SrcTerminalID: "13412340000",
				RegisteredDelivery: 1, MsgContent: codec.Octets(reportBody), Report: ourReport},
		},
		{
			name: "deliver report 3.0 (gocmpp's 60-byte body)",
			v:    cmpp.V30,
			theirs: &gocmpp.Cmpp3DeliverReqPkt{MsgId: 0xb4c5530000010001, DestId: "900001", SrcTerminalId: "13412340000",
				RegisterDelivery: 1, MsgLength: uint8(len(reportBody)), MsgContent: string(reportBody)},
			fresh: func() gocmpp.Packer { return new(gocmpp.Cmpp3DeliverReqPkt) },
			ours: &cmpp.Deliver{MsgID: 0xb4c5530000010001, DestID: "900001", SrcTerminalID: "13412340000",
				RegisteredDelivery: 1, MsgContent: codec.Octets(reportBody), Report: ourReport},
		},
		{
			name:   "deliver resp 2.x",
			v:      cmpp.V21,
			theirs: &gocmpp.Cmpp2DeliverRspPkt{MsgId: 0xb525628000010000, Result: 0},
			fresh:  func() gocmpp.Packer { return new(gocmpp.Cmpp2DeliverRspPkt) },
			ours:   &cmpp.DeliverResp{MsgID: 0xb525628000010000},
		},
		{
			name:   "deliver resp 3.0",
			v:      cmpp.V30,
			theirs: &gocmpp.Cmpp3DeliverRspPkt{MsgId: 0xb4c5530000010000, Result: 9},
			fresh:  func() gocmpp.Packer { return new(gocmpp.Cmpp3DeliverRspPkt) },
			ours:   &cmpp.DeliverResp{MsgID: 0xb4c5530000010000, Result: 9},
		},
		{
			name: "active test", v: cmpp.V30, theirs: &gocmpp.CmppActiveTestReqPkt{},
			fresh: func() gocmpp.Packer { return new(gocmpp.CmppActiveTestReqPkt) }, ours: &cmpp.ActiveTest{},
		},
		{
			name: "active test resp", v: cmpp.V21, theirs: &gocmpp.CmppActiveTestRspPkt{},
			fresh: func() gocmpp.Packer { return new(gocmpp.CmppActiveTestRspPkt) }, ours: &cmpp.ActiveTestResp{},
		},
		{
			name: "terminate", v: cmpp.V21, theirs: &gocmpp.CmppTerminateReqPkt{},
			fresh: func() gocmpp.Packer { return new(gocmpp.CmppTerminateReqPkt) }, ours: &cmpp.Terminate{},
		},
		{
			name: "terminate resp", v: cmpp.V30, theirs: &gocmpp.CmppTerminateRspPkt{},
			fresh: func() gocmpp.Packer { return new(gocmpp.CmppTerminateRspPkt) }, ours: &cmpp.TerminateResp{},
		},
	}
}

func TestInteropGocmpp(t *testing.T) {
	const seq = 0x17
	for _, c := range interopCases() {
		t.Run(c.name, func(t *testing.T) {
			theirFrame, err := c.theirs.Pack(seq)
			if err != nil {
				t.Fatalf("gocmpp Pack: %v", err)
			}
			t.Run("gocmpp packs, we decode", func(t *testing.T) {
				h, got, err := cmpp.Decode(theirFrame, c.v)
				if err != nil {
					t.Fatalf("Decode(%x): %v", theirFrame, err)
				}
				if h.SequenceID != seq || h.CommandID != c.ours.Command() {
					t.Errorf("header %+v", h)
				}
				if !reflect.DeepEqual(got, c.ours) {
					t.Errorf("\n got %#v\nwant %#v", got, c.ours)
				}
				var view codec.View
				if err := cmpp.ParseView(theirFrame, c.v, &view); err != nil || cmpp.SequenceOf(theirFrame) != seq {
					t.Errorf("ParseView: %v", err)
				}
			})
			t.Run("we append, gocmpp unpacks", func(t *testing.T) {
				ourFrame := cmpp.Append(nil, c.v, seq, c.ours)
				got := c.fresh()
				if err := got.Unpack(ourFrame[8:]); err != nil { // gocmpp unpacks from Sequence_Id on
					t.Fatalf("gocmpp Unpack: %v", err)
				}
				if c.offWire != nil {
					c.offWire(c.theirs, got)
				}
				if !reflect.DeepEqual(got, c.theirs) {
					t.Errorf("\n got %#v\nwant %#v", got, c.theirs)
				}
				if !bytes.Equal(ourFrame, theirFrame) {
					t.Errorf("bytes differ:\nours   %x\ngocmpp %x", ourFrame, theirFrame)
				}
			})
		})
	}
}

// gocmpp's client hashes the NUL-padded Source_Addr; our server accepts it
// (docs/protocols/cmpp.md §15), and a gocmpp 3.0 server's answer carries the
// AuthenticatorISMG we compute.
func TestInteropGocmppLogin(t *testing.T) {
	req := &gocmpp.CmppConnReqPkt{SrcAddr: "9001", Secret: "pw", Version: gocmpp.V30, Timestamp: 1231235959}
	frame, err := req.Pack(1)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := cmpp.Decode(frame, cmpp.V30)
	if err != nil {
		t.Fatal(err)
	}
	c := p.(*cmpp.Connect)
	if c.SourceAddr != "9001" || c.Version != cmpp.V30 || !cmpp.VerifyAuthenticatorSource(c, "pw") {
		t.Fatalf("connect %+v does not verify", c)
	}
	if cmpp.VerifyAuthenticatorSource(c, "px") {
		t.Fatal("wrong secret verifies")
	}
	resp := &gocmpp.Cmpp3ConnRspPkt{Status: 0, AuthSrc: string(c.AuthenticatorSource), Secret: "pw", Version: gocmpp.V30}
	rf, err := resp.Pack(1)
	if err != nil {
		t.Fatal(err)
	}
	ours := cmpp.NewConnectResp(c, cmpp.ConnectOK, "pw", cmpp.V30)
	if got := cmpp.Append(nil, cmpp.V30, 1, ours); !bytes.Equal(got, rf) {
		t.Fatalf("connect resp:\nours   %x\ngocmpp %x", got, rf)
	}
}
