package smgp_test

import (
	"encoding/hex"
	"fmt"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smgp"
)

// Decode an SP's Submit (docs/protocols/smgp30.md §14 V2), answer it, and
// look at the same frame the way the proxy's hot path does.
func Example() {
	frame, _ := hex.DecodeString("000000af000000020000000206010148454c5000000000000030313030303031303030303030300800000000000000000000" +
		"0000000000000000000000000000000000000000000000003130363535313233343500000000000000000000000000000000" +
		"0000000000000000000000000000000001313338303031333830303000000000000000000000044f60597d00000000000000" +
		"00000300144c494e4b30303030303030303030303030303031")

	h, p, err := smgp.Decode(frame, smgp.V30)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.(*smgp.Submit)
	fmt.Println(h.RequestID, h.SequenceID, s.ServiceID, s.SrcTermID, s.DestTermID, s.LinkID())

	resp := smgp.Append(nil, smgp.V30, h.SequenceID, &smgp.SubmitResp{
		MsgID:  smgp.MsgIDAdd(smgp.MsgID{0x01, 0x00, 0x61, 0x01, 0x16, 0x17, 0x00, 0x01, 0x23, 0x44}, 1),
		Status: smgp.StatusOK,
	})
	fmt.Printf("%x\n", resp)

	var v codec.View
	if err := smgp.ParseView(frame, smgp.V30, &v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Kind, string(v.SPNumber), string(v.ServiceCode), string(v.Dest(0)), string(v.LinkID()))
	// Output:
	// SMGP_SUBMIT 2 HELP 1065512345 [13800138000] LINK0000000000000001
	// 0000001a80000002000000020100610116170001234500000000
	// submit 1065512345 HELP 13800138000 LINK0000000000000001
}

// Parse a status report written with the gateway's "s" separators and emit
// the canonical 122-byte form.
func ExampleParseReport() {
	content := []byte("id:\x05\x70\x13\x05\x30\x15\x50\x56\x75\x01sSub:001sDlvrd:000sSubmit_Date:1805301550" +
		"sDone_Date:1805301550sStat:DELIVRDsErr:000sText:fillfillfillfillfill")
	r, err := smgp.ParseReport(content)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ID, r.Stat, r.Err, r.SubmitDate)
	fmt.Printf("%d %q\n", len(r.Append(nil)), r.Append(nil)[13:])
	// Output:
	// 05701305301550567501 DELIVRD 000 1805301550
	// 122 " sub:001 dlvrd:000 submit date:1805301550 done date:1805301550 stat:DELIVRD err:000 text:fillfillfillfillfill"
}
