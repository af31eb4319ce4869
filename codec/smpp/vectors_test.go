package smpp

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/internal/codectest"
)

// The golden vectors under testdata/, one test each; every file names its
// source.

func TestVectorV1BindTransmitterFromSpec(t *testing.T) {
	want := &Bind{ID: CmdBindTransmitter, SystemID: "SMPP3TEST", Password: "secret08", SystemType: "SUBMIT1",
		InterfaceVersion: 0, AddrTON: 1, AddrNPI: 1}
	validate(t, "v01-bind-transmitter.hex", Header{CommandID: CmdBindTransmitter, SequenceNumber: 1}, want)
	if len(want.Password)+1 != PasswordLen {
		t.Fatal("the spec's password is not at its maximum")
	}
}

func TestVectorV2BindTransceiver(t *testing.T) {
	want := &Bind{ID: CmdBindTransceiver, SystemID: "system_id_fake", Password: "password", SystemType: "only",
		InterfaceVersion: 44, AddrTON: 23, AddrNPI: 101, AddressRange: "emptY"}
	validate(t, "v02-bind-transceiver.hex", Header{CommandID: CmdBindTransceiver, SequenceNumber: 13}, want)
	validate(t, "v02a-bind-transceiver-resp-empty.hex",
		Header{CommandID: CmdBindTransceiverResp, SequenceNumber: 13}, &BindResp{ID: CmdBindTransceiverResp})
	validate(t, "v02b-bind-transmitter-resp.hex",
		Header{CommandID: CmdBindTransmitterResp, SequenceNumber: 13},
		&BindResp{ID: CmdBindTransmitterResp, SystemID: "system_id_fake"})
}

func TestVectorV3SubmitSM(t *testing.T) {
	want := &Submit{ServiceType: "abc", SourceAddrTON: 28, SourceAddrNPI: 29, SourceAddr: "Alicer",
		DestAddrTON: 79, DestAddrNPI: 80, DestinationAddr: "Bob", ESMClass: 0x0D, ProtocolID: 99,
		PriorityFlag: 61, RegisteredDelivery: 83, DataCoding: 8, ShortMessage: ucs2Hello}
	validate(t, "v03-submit-sm.hex", Header{CommandID: CmdSubmitSM, SequenceNumber: 13}, want)
	if s, err := text.DecodeSMPP(want.DataCoding, want.Message()); err != nil || s != "nghắ nghiêng nghiễng ngả" {
		t.Errorf("text %q, %v", s, err)
	}
	if want.ESMClass.UDHI() || !want.RegisteredDelivery.NeedReport() {
		t.Error("esm_class 0x0D has no UDHI; registered_delivery 83 (0x53) asks for a receipt")
	}
	validate(t, "v03a-submit-sm-resp-empty.hex", Header{CommandID: CmdSubmitSMResp, SequenceNumber: 13}, &SubmitResp{})
	validate(t, "v03b-submit-sm-resp.hex", Header{CommandID: CmdSubmitSMResp, SequenceNumber: 13},
		&SubmitResp{MessageID: "football"})
}

func TestVectorV4DeliverSMWithUDH(t *testing.T) {
	want := &Deliver{ServiceType: "abc", SourceAddrTON: 28, SourceAddrNPI: 29, SourceAddr: "Alicer",
		DestAddrTON: 30, DestAddrNPI: 31, DestinationAddr: "Bobo", ESMClass: 0x4D, ProtocolID: 99,
		PriorityFlag: 61, RegisteredDelivery: 83, DataCoding: 8,
		ShortMessage: append(codectest.MustHex("050003fe0201"), ucs2Hello...)}
	validate(t, "v04-deliver-sm-udh.hex", Header{CommandID: CmdDeliverSM, SequenceNumber: 13}, want)
	if !want.ESMClass.UDHI() || want.IsReport() {
		t.Error("esm_class 0x4D: UDHI, not a receipt")
	}
	validate(t, "v04a-deliver-sm-resp.hex", Header{CommandID: CmdDeliverSMResp, SequenceNumber: 13},
		&DeliverResp{MessageID: "testMID"})
}

func TestVectorV5DataSM(t *testing.T) {
	want := &DataSM{ServiceType: "abc", SourceAddrTON: 28, SourceAddrNPI: 29, SourceAddr: "Alicer",
		DestAddrTON: 30, DestAddrNPI: 31, DestinationAddr: "Bobo", ESMClass: 0x4D, RegisteredDelivery: 83,
		DataCoding: 91, TLVs: TLVs{{Tag: TagDestBearerType, Value: codec.Octets{0x5f}}}}
	validate(t, "v05-data-sm-tlv.hex", Header{CommandID: CmdDataSM, SequenceNumber: 13}, want)
	validate(t, "v05a-data-sm-resp.hex", Header{CommandID: CmdDataSMResp, SequenceNumber: 13},
		&DataSMResp{MessageID: "testMID"})
}

func TestVectorV6HeaderOnly(t *testing.T) {
	for _, c := range []struct {
		file string
		id   CommandID
		p    PDU
	}{
		{"v06a-enquire-link.hex", CmdEnquireLink, &EnquireLink{}},
		{"v06b-enquire-link-resp.hex", CmdEnquireLinkResp, &EnquireLinkResp{}},
		{"v06c-unbind.hex", CmdUnbind, &Unbind{}},
		{"v06d-unbind-resp.hex", CmdUnbindResp, &UnbindResp{}},
		{"v06e-generic-nack.hex", CmdGenericNack, &GenericNack{}},
	} {
		t.Run(c.id.String(), func(t *testing.T) {
			validate(t, c.file, Header{CommandLength: HeaderLen, CommandID: c.id, SequenceNumber: 13}, c.p)
		})
	}
}

func TestVectorV7Receipt(t *testing.T) {
	want := &Deliver{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "8613800138000", DestinationAddr: "10655123",
		ESMClass: ESMTypeReceipt, ShortMessage: codec.Octets(receiptText),
		TLVs: TLVs{
			{Tag: TagReceiptedMessageID, Value: codec.Octets("1234567890\x00")},
			{Tag: TagMessageState, Value: codec.Octets{2}},
			{Tag: TagNetworkErrorCode, Value: codec.Octets{3, 0, 0}},
		}}
	validate(t, "v07-deliver-sm-receipt.hex", Header{CommandID: CmdDeliverSM, SequenceNumber: 7}, want)
	rc, err := want.Receipt()
	if err != nil {
		t.Fatal(err)
	}
	if (rc != Receipt{ID: "1234567890", Sub: "001", Dlvrd: "001", SubmitDate: "2607011200", DoneDate: "2607011201",
		Stat: "DELIVRD", Err: "000", Text: "Hello from spsmg", State: StateDelivered}) {
		t.Fatalf("%+v", rc)
	}
	if ne, ok := want.TLVs.NetworkErrorCode(); !ok || ne != (NetworkError{Type: 3, Code: 0}) {
		t.Fatalf("network_error_code %+v %v", ne, ok)
	}
}

func TestVectorV8SARPayload(t *testing.T) {
	payload := codectest.MustHex("4f60597dff0c4e16754c")
	want := &Submit{ServiceType: "HELP", SourceAddrTON: 5, SourceAddr: "10655123", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "8613800138000", PriorityFlag: 1, ValidityPeriod: "000001000000000R",
		RegisteredDelivery: ReceiptAlways, DataCoding: 8, ShortMessage: codec.Octets{},
		TLVs: TLVs{
			{Tag: TagSARMsgRefNum, Value: codec.Octets{0x12, 0x34}},
			{Tag: TagSARTotalSegments, Value: codec.Octets{2}},
			{Tag: TagSARSegmentSeqnum, Value: codec.Octets{1}},
			{Tag: TagMessagePayload, Value: payload},
			{Tag: 0x1401, Value: codec.Octets("LINK0001")},
		}}
	validate(t, "v08-submit-sm-sar-payload.hex", Header{CommandID: CmdSubmitSM, SequenceNumber: 8}, want)
	ref, ok1 := want.TLVs.SARMsgRefNum()
	total, ok2 := want.TLVs.SARTotalSegments()
	seq, ok3 := want.TLVs.SARSegmentSeqnum()
	if !ok1 || !ok2 || !ok3 || ref != 0x1234 || total != 2 || seq != 1 {
		t.Fatalf("sar: %x/%d/%d", ref, total, seq)
	}
	if s, err := text.DecodeSMPP(want.DataCoding, want.Message()); err != nil || s != "你好，世界" {
		t.Fatalf("message_payload text %q, %v", s, err)
	}
}

func TestVectorV9GSM7(t *testing.T) {
	want := &Submit{SourceAddr: "10655123", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "8613800138000",
		RegisteredDelivery: 0x11, DataCoding: 0, ShortMessage: codectest.MustHex("50726963653a20351b6520002073686f70")}
	validate(t, "v09-submit-sm-gsm7.hex", Header{CommandID: CmdSubmitSM, SequenceNumber: 9}, want)
	s, err := text.DecodeSMPP(want.DataCoding, want.ShortMessage)
	if err != nil || s != "Price: 5€ @ shop" {
		t.Fatalf("GSM 7-bit text %q, %v", s, err)
	}
	if back, _ := text.EncodeSMPP(0, s); string(back) != string(want.ShortMessage) {
		t.Fatalf("re-encoded %x", back)
	}
}
