package cmpp_test

import (
	"encoding/binary"
	"fmt"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
)

// An SP logs in, sends an MT, and reads the answer: typed encode and decode
// through the public API.
func Example() {
	const v = cmpp.V30

	login := cmpp.Append(nil, v, 1, cmpp.NewConnect("900001", "888888", v, 1021080510))
	_, p, _ := cmpp.Decode(login, v)
	c := p.(*cmpp.Connect)
	fmt.Println(len(login), c.SourceAddr, c.Version, cmpp.VerifyAuthenticatorSource(c, "888888"))

	mt := &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1,
		ServiceID: "MCN2210103", MsgFmt: 15, MsgSrc: "900001", FeeType: "02", FeeCode: "10",
		SrcID:          "1065800012345",
		DestTerminalID: []string{"13800138000", "13900139000"},
		MsgContent:     codec.Octets("hello"),
		LinkID:         "0000000000000123456",
	}
	frame := cmpp.Append(nil, v, 2, mt)
	h, p, err := cmpp.Decode(frame, v)
	if err != nil {
		panic(err)
	}
	s := p.(*cmpp.Submit)
	fmt.Println(h.CommandID, h.TotalLength, s.ServiceID, s.DestTerminalID, s.LinkID)

	resp := cmpp.AppendSubmitResp(nil, v, h.SequenceID, 0xb2b9da8000010000, cmpp.ResultOK)
	_, p, _ = cmpp.Decode(resp, v)
	r := p.(*cmpp.SubmitResp)
	fmt.Println(r.Result, cmpp.DecodeMsgID(r.MsgID), cmpp.DecodeMsgID(cmpp.MsgIDAdd(r.MsgID, 1)).Seq)
	// Output:
	// 39 900001 cmpp3.0 true
	// CMPP_SUBMIT 232 MCN2210103 [13800138000 13900139000] 0000000000000123456
	// OK 1105142942000000100000 1
}

// The proxy's hot path: view a frame without copying, rewrite its
// sequence, and answer a Deliver without building a struct.
func ExampleParseView() {
	const v = cmpp.V21
	deliver := cmpp.Append(nil, v, 7, &cmpp.Deliver{
		MsgID: 0xb525628000010000, DestID: "1065800012345", SrcTerminalID: "13800138000",
		MsgContent: codec.Octets("TD"), LinkID: "LNK1",
	})

	var view codec.View // one per event loop, reused for every frame
	if err := cmpp.ParseView(deliver, v, &view); err != nil {
		panic(err)
	}
	fmt.Printf("%v %s -> %s %q link %q\n", view.Kind, view.UserNumber, view.SPNumber, view.Content, view.LinkID())

	cmpp.SetSequence(deliver, 1000) // the sequence the SP side of the proxy uses
	ack := cmpp.AppendDeliverResp(nil, v, cmpp.SequenceOf(deliver), binary.BigEndian.Uint64(view.MsgID), cmpp.ResultOK)
	fmt.Printf("%x\n", ack)
	// Output:
	// deliver 13800138000 -> 1065800012345 "TD" link "LNK1"
	// 0000001580000005000003e8b52562800001000000
}
