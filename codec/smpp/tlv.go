package smpp

import (
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/spsmg/spsmg/codec"
)

// Tag is the tag of an optional parameter (TLV), SMPP 3.4 §5.3.2.
type Tag uint16

// The optional parameter tags of SMPP 3.4 §5.3.2. 0x1400–0x3FFF is
// reserved for SMSC vendors; every other unlisted tag is reserved.
const (
	TagDestAddrSubunit          Tag = 0x0005
	TagDestNetworkType          Tag = 0x0006
	TagDestBearerType           Tag = 0x0007
	TagDestTelematicsID         Tag = 0x0008
	TagSourceAddrSubunit        Tag = 0x000D
	TagSourceNetworkType        Tag = 0x000E
	TagSourceBearerType         Tag = 0x000F
	TagSourceTelematicsID       Tag = 0x0010
	TagQosTimeToLive            Tag = 0x0017
	TagPayloadType              Tag = 0x0019
	TagAdditionalStatusInfoText Tag = 0x001D // C-string ≤ 256
	TagReceiptedMessageID       Tag = 0x001E // C-string ≤ 65: the submit_sm_resp message_id a receipt is about
	TagMsMsgWaitFacilities      Tag = 0x0030
	TagPrivacyIndicator         Tag = 0x0201
	TagSourceSubaddress         Tag = 0x0202
	TagDestSubaddress           Tag = 0x0203
	TagUserMessageReference     Tag = 0x0204 // 2 B: the ESME's own reference
	TagUserResponseCode         Tag = 0x0205
	TagSourcePort               Tag = 0x020A // 2 B
	TagDestinationPort          Tag = 0x020B // 2 B
	TagSARMsgRefNum             Tag = 0x020C // 2 B: concatenation reference
	TagLanguageIndicator        Tag = 0x020D
	TagSARTotalSegments         Tag = 0x020E // 1 B
	TagSARSegmentSeqnum         Tag = 0x020F // 1 B, from 1
	TagSCInterfaceVersion       Tag = 0x0210 // 1 B, in bind_*_resp
	TagCallbackNumPresInd       Tag = 0x0302
	TagCallbackNumATag          Tag = 0x0303
	TagNumberOfMessages         Tag = 0x0304
	TagCallbackNum              Tag = 0x0381
	TagDPFResult                Tag = 0x0420
	TagSetDPF                   Tag = 0x0421
	TagMsAvailabilityStatus     Tag = 0x0422
	TagNetworkErrorCode         Tag = 0x0423 // 3 B: network type + 2-byte code
	TagMessagePayload           Tag = 0x0424 // var: user data instead of short_message
	TagDeliveryFailureReason    Tag = 0x0425 // 1 B, in data_sm_resp
	TagMoreMessagesToSend       Tag = 0x0426
	TagMessageState             Tag = 0x0427 // 1 B: MessageState
	TagUSSDServiceOp            Tag = 0x0501
	TagDisplayTime              Tag = 0x1201
	TagSMSSignal                Tag = 0x1203
	TagMsValidity               Tag = 0x1204
	TagAlertOnMessageDelivery   Tag = 0x130C
	TagITSReplyType             Tag = 0x1380
	TagITSSessionInfo           Tag = 0x1383

	TagVendorMin Tag = 0x1400 // SMSC vendor-specific tags start here
	TagVendorMax Tag = 0x3FFF
)

var tagNames = map[Tag]string{
	TagDestAddrSubunit: "dest_addr_subunit", TagDestNetworkType: "dest_network_type",
	TagDestBearerType: "dest_bearer_type", TagDestTelematicsID: "dest_telematics_id",
	TagSourceAddrSubunit: "source_addr_subunit", TagSourceNetworkType: "source_network_type",
	TagSourceBearerType: "source_bearer_type", TagSourceTelematicsID: "source_telematics_id",
	TagQosTimeToLive: "qos_time_to_live", TagPayloadType: "payload_type",
	TagAdditionalStatusInfoText: "additional_status_info_text", TagReceiptedMessageID: "receipted_message_id",
	TagMsMsgWaitFacilities: "ms_msg_wait_facilities", TagPrivacyIndicator: "privacy_indicator",
	TagSourceSubaddress: "source_subaddress", TagDestSubaddress: "dest_subaddress",
	TagUserMessageReference: "user_message_reference", TagUserResponseCode: "user_response_code",
	TagSourcePort: "source_port", TagDestinationPort: "destination_port",
	TagSARMsgRefNum: "sar_msg_ref_num", TagLanguageIndicator: "language_indicator",
	TagSARTotalSegments: "sar_total_segments", TagSARSegmentSeqnum: "sar_segment_seqnum",
	TagSCInterfaceVersion: "sc_interface_version", TagCallbackNumPresInd: "callback_num_pres_ind",
	TagCallbackNumATag: "callback_num_atag", TagNumberOfMessages: "number_of_messages",
	TagCallbackNum: "callback_num", TagDPFResult: "dpf_result", TagSetDPF: "set_dpf",
	TagMsAvailabilityStatus: "ms_availability_status", TagNetworkErrorCode: "network_error_code",
	TagMessagePayload: "message_payload", TagDeliveryFailureReason: "delivery_failure_reason",
	TagMoreMessagesToSend: "more_messages_to_send", TagMessageState: "message_state",
	TagUSSDServiceOp: "ussd_service_op", TagDisplayTime: "display_time", TagSMSSignal: "sms_signal",
	TagMsValidity: "ms_validity", TagAlertOnMessageDelivery: "alert_on_message_delivery",
	TagITSReplyType: "its_reply_type", TagITSSessionInfo: "its_session_info",
}

// String returns the spec's name of t (receipted_message_id), or its hex
// (0x1401) for a vendor or reserved tag.
func (t Tag) String() string {
	if n, ok := tagNames[t]; ok {
		return n
	}
	return t.Hex()
}

// Hex renders t as "0x001e".
func (t Tag) Hex() string {
	var b [6]byte
	s := strconv.AppendUint(b[:0], uint64(t), 16)
	out := []byte("0x0000")
	copy(out[6-len(s):], s)
	return string(out)
}

// TLVHeaderLen is the Tag and Length in front of every TLV value.
const TLVHeaderLen = 4

// Value sizes of the TLVs whose accessors check them (SMPP 3.4 §5.3.2).
const (
	MessageIDLen        = 65 // message_id, receipted_message_id: C-string, NUL included
	NetworkErrorCodeLen = 3
)

// TLV is one optional parameter. Value is the raw value; a C-string TLV
// (receipted_message_id) keeps its NUL terminator, so that the PDU
// re-encodes byte for byte.
type TLV struct {
	Tag   Tag
	Value codec.Octets
}

// MarshalJSON renders {"tag":"0x001e","name":"receipted_message_id",
// "value":"<hex>"} plus "text" when the value is printable.
func (t TLV) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64+2*len(t.Value))
	b = append(b, `{"tag":"`...)
	b = append(b, t.Tag.Hex()...)
	b = append(b, `","name":`...)
	name, _ := json.Marshal(t.Tag.String())
	b = append(b, name...)
	b = append(b, `,"value":`...)
	v, _ := t.Value.MarshalJSON()
	b = append(b, v...)
	if txt := trimNUL(t.Value); len(txt) > 1 && printable(txt) {
		q, _ := json.Marshal(string(txt))
		b = append(b, `,"text":`...)
		b = append(b, q...)
	}
	return append(b, '}'), nil
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return len(b) > 0
}

// trimNUL cuts a C-string value at its terminator (and anything after it).
func trimNUL(b []byte) []byte { return codec.TrimNUL(b) }

// TLVs are the optional parameters of a PDU, in wire order: a slice, never
// a map, so that unknown and vendor tags are kept and the PDU re-encodes
// byte for byte. The accessors read the first TLV with their tag and
// report ok = false when it is absent or its value has the wrong size.
type TLVs []TLV

// Get returns the value of the first TLV with tag.
func (ts TLVs) Get(tag Tag) ([]byte, bool) {
	for _, t := range ts {
		if t.Tag == tag {
			return t.Value, true
		}
	}
	return nil, false
}

// Set replaces the value of the first TLV with tag, or appends one, and
// returns the list: p.TLVs = p.TLVs.Set(tag, v).
func (ts TLVs) Set(tag Tag, value []byte) TLVs {
	for i := range ts {
		if ts[i].Tag == tag {
			ts[i].Value = value
			return ts
		}
	}
	return append(ts, TLV{Tag: tag, Value: value})
}

func (ts TLVs) uint8Of(tag Tag) (uint8, bool) {
	if v, ok := ts.Get(tag); ok && len(v) == 1 {
		return v[0], true
	}
	return 0, false
}

func (ts TLVs) uint16Of(tag Tag) (uint16, bool) {
	if v, ok := ts.Get(tag); ok && len(v) == 2 {
		return binary.BigEndian.Uint16(v), true
	}
	return 0, false
}

// cstringOf reads a C-string TLV of at most max bytes, NUL included. A
// value without its NUL (some SMSCs send receipted_message_id bare) is read
// as it is.
func (ts TLVs) cstringOf(tag Tag, max int) (string, bool) {
	v, ok := ts.Get(tag)
	if !ok || len(v) > max {
		return "", false
	}
	return string(trimNUL(v)), true
}

// SARMsgRefNum is sar_msg_ref_num (0x020C, 2 B): the reference shared by
// the segments of one long message sent without a UDH.
func (ts TLVs) SARMsgRefNum() (uint16, bool) { return ts.uint16Of(TagSARMsgRefNum) }

// SARTotalSegments is sar_total_segments (0x020E, 1 B).
func (ts TLVs) SARTotalSegments() (uint8, bool) { return ts.uint8Of(TagSARTotalSegments) }

// SARSegmentSeqnum is sar_segment_seqnum (0x020F, 1 B), from 1.
func (ts TLVs) SARSegmentSeqnum() (uint8, bool) { return ts.uint8Of(TagSARSegmentSeqnum) }

// MessagePayload is message_payload (0x0424): user data that replaces
// short_message (sm_length is then 0), up to 64 KB.
func (ts TLVs) MessagePayload() ([]byte, bool) { return ts.Get(TagMessagePayload) }

// ReceiptedMessageID is receipted_message_id (0x001E, C-string ≤ 65): in a
// receipt, the message_id that the submit_sm_resp gave.
func (ts TLVs) ReceiptedMessageID() (string, bool) {
	return ts.cstringOf(TagReceiptedMessageID, MessageIDLen)
}

// MessageState is message_state (0x0427, 1 B): the final state a receipt
// reports.
func (ts TLVs) MessageState() (MessageState, bool) {
	v, ok := ts.uint8Of(TagMessageState)
	return MessageState(v), ok
}

// UserMessageReference is user_message_reference (0x0204, 2 B).
func (ts TLVs) UserMessageReference() (uint16, bool) { return ts.uint16Of(TagUserMessageReference) }

// SourcePort is source_port (0x020A, 2 B).
func (ts TLVs) SourcePort() (uint16, bool) { return ts.uint16Of(TagSourcePort) }

// DestinationPort is destination_port (0x020B, 2 B).
func (ts TLVs) DestinationPort() (uint16, bool) { return ts.uint16Of(TagDestinationPort) }

// SCInterfaceVersion is sc_interface_version (0x0210, 1 B) of a bind_*_resp.
func (ts TLVs) SCInterfaceVersion() (uint8, bool) { return ts.uint8Of(TagSCInterfaceVersion) }

// DeliveryFailureReason is delivery_failure_reason (0x0425, 1 B) of a
// data_sm_resp: 0 destination unavailable, 1 invalid destination, 2
// permanent network error, 3 temporary network error.
func (ts TLVs) DeliveryFailureReason() (uint8, bool) {
	return ts.uint8Of(TagDeliveryFailureReason)
}

// AdditionalStatusInfoText is additional_status_info_text (0x001D,
// C-string ≤ 256).
func (ts TLVs) AdditionalStatusInfoText() (string, bool) {
	return ts.cstringOf(TagAdditionalStatusInfoText, 256)
}

// NetworkError is the value of network_error_code (0x0423).
type NetworkError struct {
	Type uint8  `json:"network_type,string"` // 1 ANSI-136, 2 IS-95, 3 GSM, 4+ reserved
	Code uint16 `json:"error_code,string"`
}

// NetworkErrorCode is network_error_code (0x0423, 3 B).
func (ts TLVs) NetworkErrorCode() (NetworkError, bool) {
	v, ok := ts.Get(TagNetworkErrorCode)
	if !ok || len(v) != NetworkErrorCodeLen {
		return NetworkError{}, false
	}
	return NetworkError{Type: v[0], Code: binary.BigEndian.Uint16(v[1:])}, true
}

// TLVUint8 builds a 1-byte TLV (sar_total_segments, message_state, …).
func TLVUint8(tag Tag, v uint8) TLV { return TLV{Tag: tag, Value: codec.Octets{v}} }

// TLVUint16 builds a 2-byte TLV (sar_msg_ref_num, source_port, …).
func TLVUint16(tag Tag, v uint16) TLV {
	return TLV{Tag: tag, Value: binary.BigEndian.AppendUint16(nil, v)}
}

// TLVCString builds a C-string TLV: s and its NUL terminator.
func TLVCString(tag Tag, s string) TLV {
	return TLV{Tag: tag, Value: append([]byte(s), 0)}
}

// AppendTLV appends one TLV (Tag, Length = len(value), Value) to dst. A
// value longer than 65535 bytes is cut there, so the Length is always
// right. Does not allocate when dst has room.
func AppendTLV(dst []byte, tag Tag, value []byte) []byte {
	if len(value) > 0xffff {
		value = value[:0xffff]
	}
	dst = codec.AppendUint16(dst, uint16(tag))
	dst = codec.AppendUint16(dst, uint16(len(value)))
	return append(dst, value...)
}

// appendTLVs appends ts in order.
func appendTLVs(dst []byte, ts TLVs) []byte {
	for _, t := range ts {
		dst = AppendTLV(dst, t.Tag, t.Value)
	}
	return dst
}

// nextTLV splits the first TLV off b (no copy, capacity cut). n is the
// number of whole bytes the TLV takes; ok is false when b cannot hold its
// header or its value.
func nextTLV(b []byte) (tag Tag, value []byte, n int, ok bool) {
	if len(b) < TLVHeaderLen {
		return 0, nil, 0, false
	}
	tag = Tag(binary.BigEndian.Uint16(b))
	end := TLVHeaderLen + int(binary.BigEndian.Uint16(b[2:]))
	if end > len(b) {
		return tag, nil, 0, false
	}
	return tag, b[TLVHeaderLen:end:end], end, true
}

// readTLVs reads every TLV up to the end of the frame, in order. A TLV that
// does not fit fails the decode (SMPP 3.4 answers such a PDU with
// ESME_RINVOPTPARSTREAM), naming the part that runs past the frame: "tag"
// or "length" of TLV[i], or the tag's name for its value. nil when there
// are none; one allocation otherwise.
func readTLVs(r *codec.Reader) TLVs {
	start := r.Offset()
	area := r.Rest()
	n := 0
	for rest := area; len(rest) > 0; n++ {
		_, _, k, ok := nextTLV(rest)
		if !ok {
			failTLV(r, start+len(area)-len(rest), n, rest)
			return nil
		}
		rest = rest[k:]
	}
	if n == 0 {
		return nil
	}
	ts := make(TLVs, 0, n)
	for len(area) > 0 {
		tag, value, k, _ := nextTLV(area)
		ts = append(ts, TLV{Tag: tag, Value: value})
		area = area[k:]
	}
	return ts
}

// failTLV records the error for TLV[i], which starts at off and does not
// fit in rest.
func failTLV(r *codec.Reader, off, i int, rest []byte) {
	var err *codec.FieldError
	switch {
	case len(rest) < 2:
		err = &codec.FieldError{Field: "TLV tag", Index: i, Offset: off, Value: int64(len(rest))}
	case len(rest) < TLVHeaderLen:
		err = &codec.FieldError{Field: "TLV length", Index: i, Offset: off + 2, Value: int64(len(rest) - 2)}
	default:
		tag := Tag(binary.BigEndian.Uint16(rest))
		err = &codec.FieldError{Field: tag.String(), Index: -1, Offset: off + TLVHeaderLen,
			Value: int64(binary.BigEndian.Uint16(rest[2:]))}
	}
	err.Err = codec.ErrShortFrame
	failAt(r, err)
}

// failAt records err (PDU filled from r) unless r has failed already: for
// failures found after the reader moved past the field.
func failAt(r *codec.Reader, err *codec.FieldError) {
	if r.Failed() {
		return
	}
	r.Fail(err.Field, err.Index, err.Value, err.Err)
	if fe, ok := r.Err().(*codec.FieldError); ok {
		fe.Offset = err.Offset
	}
}

// tlvFields is what ParseView reads from a TLV area, without allocating.
type tlvFields struct {
	payload, receipted, linkID []byte
	sarRef                     uint16
	sarTotal, sarSeq, state    uint8
	hasPayload, hasSAR         bool
	hasState                   bool
}

// scanTLVs walks a TLV area for ParseView, filling f (zero on entry). It
// is false when a TLV does not fit (ParseView then reads the area again
// with readTLVs to name the failure). f is filled through a pointer: a
// tlvFields returned by value was copied twice per submit_sm, which
// showed in profiles.
func scanTLVs(area []byte, linkIDTag Tag, f *tlvFields) bool {
	var hasRef, hasTotal, hasSeq, hasReceipted, hasLink bool
	for len(area) > 0 {
		tag, v, n, fits := nextTLV(area)
		if !fits {
			return false
		}
		area = area[n:]
		switch {
		case tag == linkIDTag && linkIDTag != 0:
			if !hasLink {
				f.linkID, hasLink = v, true
			}
			continue
		case tag == TagMessagePayload && !f.hasPayload:
			f.payload, f.hasPayload = v, true
		case tag == TagReceiptedMessageID && !hasReceipted:
			f.receipted, hasReceipted = trimNUL(v), true
		case tag == TagMessageState && !f.hasState && len(v) == 1:
			f.state, f.hasState = v[0], true
		case tag == TagSARMsgRefNum && !hasRef && len(v) == 2:
			f.sarRef, hasRef = binary.BigEndian.Uint16(v), true
		case tag == TagSARTotalSegments && !hasTotal && len(v) == 1:
			f.sarTotal, hasTotal = v[0], true
		case tag == TagSARSegmentSeqnum && !hasSeq && len(v) == 1:
			f.sarSeq, hasSeq = v[0], true
		}
	}
	f.hasSAR = hasRef && hasTotal && hasSeq
	return true
}

// tlvsFit reports whether every TLV of area fits in it, reading nothing
// else: the TLVs of a response, which ParseView does not use.
func tlvsFit(area []byte) bool {
	for len(area) > 0 {
		if len(area) < TLVHeaderLen {
			return false
		}
		end := TLVHeaderLen + int(binary.BigEndian.Uint16(area[2:]))
		if end > len(area) {
			return false
		}
		area = area[end:]
	}
	return true
}
