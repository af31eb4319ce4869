package smpp_test

import (
	"encoding/hex"
	"fmt"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/codec/text"
)

// Decode an ESME's submit_sm (gosmpp's SubmitSM test vector), answer it,
// and look at the same frame the way the proxy's hot path does.
func Example() {
	frame, _ := hex.DecodeString("0000005d00000004000000000000000d616263001c1d416c69636572004f50426f62000d633d0000530008" +
		"0030006e006700681eaf0020006e00670068006900ea006e00670020006e0067006800691ec5006e00670020006e00671ea3")

	h, p, err := smpp.Decode(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.(*smpp.Submit)
	msg, _ := text.DecodeSMPP(s.DataCoding, s.Message())
	fmt.Println(h.CommandID, h.SequenceNumber, s.ServiceType, s.SourceAddr, s.DestinationAddr, msg)

	resp := smpp.AppendSubmitResp(nil, h.SequenceNumber, smpp.StatusOK, []byte("msg-42"))
	fmt.Printf("%x\n", resp)

	var v codec.View
	if err := smpp.ParseView(frame, &v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Kind, string(v.SPNumber), string(v.ServiceCode), string(v.Dest(0)), v.NeedReport)
	// Output:
	// submit_sm 13 abc Alicer Bob nghắ nghiêng nghiễng ngả
	// 0000001780000004000000000000000d6d73672d343200
	// submit Alicer abc Bob true
}

// Read a delivery receipt: the TLVs name the message, the text says the rest.
func ExampleDeliver_Receipt() {
	d := &smpp.Deliver{
		SourceAddr: "8613800138000", DestinationAddr: "10655123", ESMClass: smpp.ESMTypeReceipt,
		ShortMessage: []byte("id:A1B2C3 sub:001 dlvrd:001 submit date:2607011200 done date:2607011201 stat:DELIVRD err:000 text:hi"),
		TLVs:         smpp.TLVs{smpp.TLVCString(smpp.TagReceiptedMessageID, "A1B2C3"), smpp.TLVUint8(smpp.TagMessageState, 2)},
	}
	rc, err := d.Receipt()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rc.ID, rc.Stat, rc.State, rc.DoneDate, rc.State.Final())
	// Output:
	// A1B2C3 DELIVRD DELIVERED 2607011201 true
}
