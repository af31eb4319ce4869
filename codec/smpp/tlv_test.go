package smpp

import (
	"encoding/json"
	"testing"

	"github.com/spsmg/spsmg/codec"
)

func TestTLVAccessors(t *testing.T) {
	ts := TLVs{
		TLVUint16(TagSARMsgRefNum, 0xBEEF), TLVUint8(TagSARTotalSegments, 3), TLVUint8(TagSARSegmentSeqnum, 2),
		{Tag: TagMessagePayload, Value: codec.Octets("payload")},
		TLVCString(TagReceiptedMessageID, "abc"), TLVUint8(TagMessageState, 5),
		TLVUint16(TagUserMessageReference, 9), TLVUint16(TagSourcePort, 80), TLVUint16(TagDestinationPort, 443),
		{Tag: TagNetworkErrorCode, Value: codec.Octets{3, 0x01, 0x02}}, TLVUint8(TagSCInterfaceVersion, 0x34),
		TLVUint8(TagDeliveryFailureReason, 2), TLVCString(TagAdditionalStatusInfoText, "busy"),
		TLVUint8(TagMessageState, 2), // a repeated tag: the first one counts
	}
	u16 := func(v uint16, ok bool) any { return [2]any{v, ok} }
	u8 := func(v uint8, ok bool) any { return [2]any{v, ok} }
	str := func(v string, ok bool) any { return [2]any{v, ok} }
	payload, okP := ts.MessagePayload()
	state, okS := ts.MessageState()
	ne, okN := ts.NetworkErrorCode()
	checks := []struct {
		name      string
		got, want any
	}{
		{"sar_msg_ref_num", u16(ts.SARMsgRefNum()), u16(0xBEEF, true)},
		{"sar_total_segments", u8(ts.SARTotalSegments()), u8(3, true)},
		{"sar_segment_seqnum", u8(ts.SARSegmentSeqnum()), u8(2, true)},
		{"message_payload", str(string(payload), okP), str("payload", true)},
		{"receipted_message_id", str(ts.ReceiptedMessageID()), str("abc", true)},
		{"message_state", [2]any{state, okS}, [2]any{StateUndeliverable, true}},
		{"user_message_reference", u16(ts.UserMessageReference()), u16(9, true)},
		{"source_port", u16(ts.SourcePort()), u16(80, true)},
		{"destination_port", u16(ts.DestinationPort()), u16(443, true)},
		{"network_error_code", [2]any{ne, okN}, [2]any{NetworkError{Type: 3, Code: 0x0102}, true}},
		{"sc_interface_version", u8(ts.SCInterfaceVersion()), u8(0x34, true)},
		{"delivery_failure_reason", u8(ts.DeliveryFailureReason()), u8(2, true)},
		{"additional_status_info_text", str(ts.AdditionalStatusInfoText()), str("busy", true)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	t.Run("absent or the wrong size reads as not there", func(t *testing.T) {
		bad := TLVs{{Tag: TagSARMsgRefNum, Value: codec.Octets{1}}, {Tag: TagMessageState, Value: codec.Octets{1, 2}},
			{Tag: TagNetworkErrorCode, Value: codec.Octets{3, 0}},
			{Tag: TagReceiptedMessageID, Value: make(codec.Octets, MessageIDLen+1)}}
		if _, ok := bad.SARMsgRefNum(); ok {
			t.Error("1-byte sar_msg_ref_num")
		}
		if _, ok := bad.MessageState(); ok {
			t.Error("2-byte message_state")
		}
		if _, ok := bad.NetworkErrorCode(); ok {
			t.Error("2-byte network_error_code")
		}
		if _, ok := bad.ReceiptedMessageID(); ok {
			t.Error("66-byte receipted_message_id")
		}
		if _, ok := bad.SourcePort(); ok {
			t.Error("absent source_port")
		}
	})
	t.Run("receipted_message_id without its NUL is read as it is", func(t *testing.T) {
		if id, ok := (TLVs{{Tag: TagReceiptedMessageID, Value: codec.Octets("bare")}}).ReceiptedMessageID(); !ok || id != "bare" {
			t.Fatal(id, ok)
		}
	})
	t.Run("Set replaces the first or appends", func(t *testing.T) {
		var ts TLVs
		ts = ts.Set(TagSourcePort, []byte{0, 1})
		ts = ts.Set(0x1401, []byte("v"))
		ts = ts.Set(TagSourcePort, []byte{0, 2})
		if len(ts) != 2 || ts[0].Tag != TagSourcePort || ts[0].Value[1] != 2 {
			t.Fatalf("%+v", ts)
		}
	})
}

func TestTLVNamesAndJSON(t *testing.T) {
	for tag, want := range map[Tag]string{TagReceiptedMessageID: "receipted_message_id", TagMessagePayload: "message_payload",
		TagSARMsgRefNum: "sar_msg_ref_num", 0x1401: "0x1401", 0x0001: "0x0001"} {
		if tag.String() != want {
			t.Errorf("%d: %q, want %q", tag, tag.String(), want)
		}
	}
	b, _ := json.Marshal(TLVs{TLVCString(TagReceiptedMessageID, "abc"), TLVUint8(TagMessageState, 2)})
	if want := `[{"tag":"0x001e","name":"receipted_message_id","value":"61626300","text":"abc"},` +
		`{"tag":"0x0427","name":"message_state","value":"02"}]`; string(b) != want {
		t.Fatalf("%s\nwant %s", b, want)
	}
}

func TestAppendTLVCutsAt64K(t *testing.T) {
	b := AppendTLV(nil, TagMessagePayload, make([]byte, 70000))
	if len(b) != TLVHeaderLen+0xffff || b[2] != 0xff || b[3] != 0xff {
		t.Fatalf("%d bytes, length %x", len(b), b[2:4])
	}
}
