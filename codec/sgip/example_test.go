package sgip_test

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/text"
)

// Decode a Submit (docs/protocols/sgip12.md §9 V4) into its typed PDU.
func ExampleDecode() {
	frame, _ := hex.DecodeString("000000a800000003b750981942c4f1d900000001" +
		"313036353531323334350000000000000000000000" + "000000000000000000000000000000000000000000" +
		"01" + "383631333830303133383030300000000000000000" + "3132333435" + "48454c50000000000000" +
		"02" + "313000000000" + "300000000000" + "000000" +
		"00000000000000000000000000000000" + "00000000000000000000000000000000" +
		"0100000800" + "00000004" + "4f60597d" + "3132333435363738")
	h, p, err := sgip.Decode(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.(*sgip.Submit)
	msg, _ := text.Decode(s.MessageCoding, s.MessageContent)
	fmt.Println(h.Command, h.Sequence)
	fmt.Println(s.SPNumber, s.UserNumber, s.ServiceType, msg, "LinkID", s.LinkID())
	// Output:
	// SGIP_SUBMIT 3075512345-1120203225-1
	// 1065512345 [8613800138000] HELP 你好 LinkID 12345678
}

// Build a Bind and an MT Submit, one frame each, into one buffer.
func ExampleAppend() {
	node, _ := sgip.NodeID("0755", 12345)
	clock := func() time.Time { return time.Date(2026, 11, 20, 20, 32, 25, 0, time.Local) }
	seqs := sgip.NewSequenceGenerator(node, clock)

	content, _ := text.Encode(text.UCS2, "你好")
	buf := sgip.Append(nil, seqs.Next(), &sgip.Bind{
		LoginType: sgip.LoginSPToSMG, LoginName: "sp12345", LoginPassword: "pwd12345",
	})
	buf = sgip.Append(buf, seqs.Next(), &sgip.Submit{
		SPNumber: "1065512345", UserNumber: []string{"8613800138000"}, CorpID: "12345",
		ServiceType: "HELP", FeeType: sgip.FeeTypeMessage, FeeValue: "10", GivenValue: "0",
		ReportFlag: sgip.ReportFlagAlways, MessageCoding: text.UCS2, MessageContent: content,
		Reserve: codec.Octets("12345678"),
	})
	fmt.Println(len(buf), hex.EncodeToString(buf[61:81]))
	// Output:
	// 229 000000a800000003b750981942c4f1d900000001
}

// The proxy's hot path: look at a Submit without copying, rewrite its
// sequence, answer with a generic response.
func ExampleParseView() {
	frame, _ := hex.DecodeString("000000a800000003b750981942c4f1d900000001" +
		"313036353531323334350000000000000000000000" + "000000000000000000000000000000000000000000" +
		"01" + "383631333830303133383030300000000000000000" + "3132333435" + "48454c50000000000000" +
		"02" + "313000000000" + "300000000000" + "000000" +
		"00000000000000000000000000000000" + "00000000000000000000000000000000" +
		"0100000800" + "00000004" + "4f60597d" + "3132333435363738")
	var v codec.View
	if err := sgip.ParseView(frame, &v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v from %s to %s service %s LinkID %s report %v\n",
		v.Kind, v.SPNumber, v.Dest(0), v.ServiceCode, v.LinkID(), v.NeedReport)

	spSeq := sgip.SequenceOf(frame)
	sgip.SetSequence(frame, sgip.Sequence{Node: 3075512345, Time: 1120203300, Counter: 42}) // towards the SMG
	resp := sgip.AppendResp(nil, sgip.CmdSubmit, spSeq, uint8(sgip.OK))                     // back to the SP
	fmt.Println(sgip.SequenceOf(frame), hex.EncodeToString(resp))
	// Output:
	// submit from 1065512345 to 8613800138000 service HELP LinkID 12345678 report true
	// 3075512345-1120203300-42 0000001d80000003b750981942c4f1d900000001000000000000000000
}
