package smpp

import (
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/codectest"
)

// ucs2Hello is "nghắ nghiêng nghiễng ngả" in UCS2, the text of gosmpp's
// vectors (V3, V4).
var ucs2Hello = codectest.MustHex("006e006700681eaf0020006e00670068006900ea006e00670020006e0067006800691ec5006e00670020006e00671ea3")

// receiptText is the receipt text of V7.
const receiptText = "id:1234567890 sub:001 dlvrd:001 submit date:2607011200 done date:2607011201 stat:DELIVRD err:000 text:Hello from spsmg"

// samples returns one fully populated PDU of every command (Raw for the
// defined commands without a typed layout), as Decode returns them: every
// byte field non-nil where Decode makes it so, so that encode → decode
// gives back the same value.
func samples() []PDU {
	long := append(udh.Append(nil, udh.Concat{Ref: 0x34, Total: 2, Seq: 1}), ucs2Hello...)
	ps := []PDU{
		&Bind{ID: CmdBindTransmitter, SystemID: "900001", Password: "secret08", SystemType: "VMA",
			InterfaceVersion: InterfaceVersion34, AddrTON: 1, AddrNPI: 1, AddressRange: "^10655"},
		&Bind{ID: CmdBindReceiver, SystemID: "sp-receiver", Password: "pw", InterfaceVersion: InterfaceVersion34},
		&Bind{ID: CmdBindTransceiver, SystemID: "123456789012345", Password: "12345678", SystemType: "123456789012",
			InterfaceVersion: InterfaceVersion34, AddrTON: 2, AddrNPI: 8, AddressRange: "1065512345678901234567890123456789012345"},
		&BindResp{ID: CmdBindTransmitterResp, SystemID: "SMSC", TLVs: TLVs{TLVUint8(TagSCInterfaceVersion, 0x34)}},
		&BindResp{ID: CmdBindReceiverResp, NoBody: true},
		&BindResp{ID: CmdBindTransceiverResp, SystemID: "spsmg"},
		&Unbind{}, &UnbindResp{}, &EnquireLink{}, &EnquireLinkResp{}, &GenericNack{},
		&Submit{
			ServiceType: "HELP", SourceAddrTON: 5, SourceAddrNPI: 0, SourceAddr: "10655123",
			DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "8613800138000",
			ESMClass: ESMUDHI | 0x03, ProtocolID: 0, PriorityFlag: 2,
			ScheduleDeliveryTime: "260701120000000+", ValidityPeriod: "000001000000000R",
			RegisteredDelivery: ReceiptAlways, ReplaceIfPresentFlag: 0, DataCoding: 8, SMDefaultMsgID: 0,
			ShortMessage: long,
			TLVs: TLVs{TLVUint16(TagUserMessageReference, 77), {Tag: 0x1401, Value: codec.Octets("LINK0001")},
				TLVUint16(TagSourcePort, 0x0B84), TLVUint16(TagDestinationPort, 0x23F0)},
		},
		&Submit{
			SourceAddr: "10655123", DestinationAddr: "8613800138000", DataCoding: 8, ShortMessage: codec.Octets{},
			TLVs: TLVs{TLVUint16(TagSARMsgRefNum, 0x1234), TLVUint8(TagSARTotalSegments, 2),
				TLVUint8(TagSARSegmentSeqnum, 2), {Tag: TagMessagePayload, Value: ucs2Hello}},
		},
		&SubmitResp{MessageID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		&SubmitResp{NoBody: true},
		&Deliver{
			SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "8613800138000", DestinationAddr: "10655123",
			DataCoding: 0, ShortMessage: codec.Octets("TD HELP"),
		},
		&Deliver{
			SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "8613800138000", DestinationAddr: "10655123",
			ESMClass: ESMTypeReceipt, ShortMessage: codec.Octets(receiptText),
			TLVs: TLVs{TLVCString(TagReceiptedMessageID, "1234567890"), TLVUint8(TagMessageState, uint8(StateDelivered)),
				{Tag: TagNetworkErrorCode, Value: codec.Octets{3, 0, 0}}},
		},
		&DeliverResp{},
		&DataSM{
			ServiceType: "WAP", SourceAddrTON: 5, SourceAddr: "10655123", DestAddrTON: 1, DestAddrNPI: 1,
			DestinationAddr: "8613800138000", RegisteredDelivery: ReceiptOnFailure, DataCoding: 4,
			TLVs: TLVs{{Tag: TagMessagePayload, Value: codec.Octets("binary payload")}, TLVUint16(TagDestinationPort, 2948)},
		},
		&DataSM{
			SourceAddr: "8613800138000", DestinationAddr: "10655123", ESMClass: ESMTypeReceipt,
			TLVs: TLVs{TLVCString(TagReceiptedMessageID, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
				TLVUint8(TagMessageState, uint8(StateUndeliverable))},
		},
		&DataSMResp{MessageID: "m-1", TLVs: TLVs{TLVUint8(TagDeliveryFailureReason, 1)}},
	}
	for _, id := range []CommandID{CmdQuerySM, CmdQuerySMResp, CmdReplaceSM, CmdReplaceSMResp, CmdCancelSM,
		CmdCancelSMResp, CmdOutbind, CmdSubmitMulti, CmdSubmitMultiResp, CmdAlertNotification} {
		ps = append(ps, &Raw{ID: id, Body: codec.Octets("opaque body of " + id.String() + "\x00")})
	}
	return ps
}
