package smpp

import "github.com/spsmg/spsmg/codec"

// Maximum sizes of the submit_sm and deliver_sm fields (SMPP 3.4 §4.4.1,
// §4.6.1). C-string maxima count the NUL terminator, as the spec's tables
// do.
const (
	ServiceTypeLen     = 6   // service_type
	AddrLen            = 21  // source_addr, destination_addr (data_sm: DataSMAddrLen)
	MaxShortMessageLen = 254 // short_message; longer user data goes in message_payload
)

// ESMClass is the esm_class field (SMPP 3.4 §5.2.12).
//
//	bits 1–0  messaging mode (submit_sm): 0 default, 1 datagram, 2 forward, 3 store and forward
//	bits 5–2  message type: 0 normal; deliver_sm: 0x04 SMSC delivery receipt,
//	          0x08 SME delivery ack, 0x10 user ack, 0x18 conversation abort,
//	          0x20 intermediate delivery notification
//	bits 7–6  GSM features: 0x40 UDHI, 0x80 reply path
type ESMClass uint8

// esm_class bits.
const (
	ESMModeMask         ESMClass = 0x03
	ESMTypeMask         ESMClass = 0x3C
	ESMTypeReceipt      ESMClass = 0x04 // deliver_sm: SMSC delivery receipt
	ESMTypeSMEAck       ESMClass = 0x08 // deliver_sm: SME delivery ack; submit_sm: ESME delivery ack
	ESMTypeUserAck      ESMClass = 0x10 // manual / user ack
	ESMTypeAbort        ESMClass = 0x18 // deliver_sm: conversation abort
	ESMTypeIntermediate ESMClass = 0x20 // deliver_sm: intermediate delivery notification
	ESMUDHI             ESMClass = 0x40 // short_message / message_payload starts with a UDH
	ESMReplyPath        ESMClass = 0x80
)

// UDHI reports whether the user data starts with a UDH (bit 6). SMPP 3.4
// forbids combining it with the sar_* TLVs; ParseView prefers the TLVs when
// both are present.
func (e ESMClass) UDHI() bool { return e&ESMUDHI != 0 }

// MessageType returns bits 5–2 (ESMTypeReceipt, …; 0 for a normal message).
func (e ESMClass) MessageType() ESMClass { return e & ESMTypeMask }

// IsReport reports whether a deliver_sm or data_sm with this esm_class
// refers to an earlier MT instead of carrying an MO: an SMSC delivery
// receipt, an SME delivery or user ack, or an intermediate notification.
// A conversation abort is not one.
func (e ESMClass) IsReport() bool {
	switch e.MessageType() {
	case ESMTypeReceipt, ESMTypeSMEAck, ESMTypeUserAck, ESMTypeIntermediate:
		return true
	}
	return false
}

// RegisteredDelivery is the registered_delivery field (SMPP 3.4 §5.2.17).
//
//	bits 1–0  SMSC delivery receipt: 0 none, 1 on success or failure, 2 on failure only
//	bits 3–2  SME acks: 1 delivery ack, 2 user ack, 3 both
//	bit 4     intermediate notification
type RegisteredDelivery uint8

// registered_delivery bits.
const (
	ReceiptMask         RegisteredDelivery = 0x03
	ReceiptAlways       RegisteredDelivery = 0x01
	ReceiptOnFailure    RegisteredDelivery = 0x02
	SMEAckMask          RegisteredDelivery = 0x0C
	IntermediateReceipt RegisteredDelivery = 0x10
)

// NeedReport reports whether an SMSC receipt or intermediate notification
// may come back for this message: receipt bits non-zero (failure-only
// included: a receipt may still come, so its route must be kept) or the
// intermediate bit set. SME acks come from the handset, not the SMSC, and do
// not count.
func (r RegisteredDelivery) NeedReport() bool {
	return r&ReceiptMask != 0 || r&IntermediateReceipt != 0
}

// Submit is submit_sm (0x00000004): an MT from the ESME (SMPP 3.4 §4.4.1).
// Deliver has the same layout.
//
//	service_type            C-string ≤ 6    service hint; the proxy's service code
//	source_addr_ton/npi     1 + 1
//	source_addr             C-string ≤ 21   the SP's access number
//	dest_addr_ton/npi       1 + 1
//	destination_addr        C-string ≤ 21   the handset
//	esm_class               1               ESMClass
//	protocol_id             1               GSM TP-PID
//	priority_flag           1               0–3
//	schedule_delivery_time  C-string 1/17   empty or YYMMDDhhmmsstnnp
//	validity_period         C-string 1/17   same
//	registered_delivery     1               RegisteredDelivery
//	replace_if_present_flag 1
//	data_coding             1               text.DecodeSMPP reads it
//	sm_default_msg_id       1
//	sm_length, short_message 1 + ≤ 254      UDH included when esm_class has UDHI
//	TLVs                                    in wire order
type Submit struct {
	ServiceType          string             `json:"service_type"`
	SourceAddrTON        uint8              `json:"source_addr_ton,string"`
	SourceAddrNPI        uint8              `json:"source_addr_npi,string"`
	SourceAddr           string             `json:"source_addr"`
	DestAddrTON          uint8              `json:"dest_addr_ton,string"`
	DestAddrNPI          uint8              `json:"dest_addr_npi,string"`
	DestinationAddr      string             `json:"destination_addr"`
	ESMClass             ESMClass           `json:"esm_class,string"`
	ProtocolID           uint8              `json:"protocol_id,string"`
	PriorityFlag         uint8              `json:"priority_flag,string"`
	ScheduleDeliveryTime string             `json:"schedule_delivery_time"`
	ValidityPeriod       string             `json:"validity_period"`
	RegisteredDelivery   RegisteredDelivery `json:"registered_delivery,string"`
	ReplaceIfPresentFlag uint8              `json:"replace_if_present_flag,string"`
	DataCoding           uint8              `json:"data_coding,string"`
	SMDefaultMsgID       uint8              `json:"sm_default_msg_id,string"`
	ShortMessage         codec.Octets       `json:"short_message"`
	TLVs                 TLVs               `json:"tlvs,omitempty"`
}

// Command returns CmdSubmitSM.
func (*Submit) Command() CommandID { return CmdSubmitSM }

// AppendBody appends the body. C-strings are cut at their maximum (and at
// a NUL), short_message at 254 octets and sm_length taken from it, so the
// frame is always one Decode reads back; keeping to the limits is the
// caller's business. A time field that is neither empty nor 16 characters
// is written as given and makes a PDU the peer rejects.
func (p *Submit) AppendBody(dst []byte) []byte {
	dst = p.appendHead(dst)
	sm := p.ShortMessage[:min(len(p.ShortMessage), MaxShortMessageLen)]
	dst = append(dst, byte(len(sm)))
	dst = append(dst, sm...)
	return appendTLVs(dst, p.TLVs)
}

// appendHead appends the fields before sm_length.
func (p *Submit) appendHead(dst []byte) []byte {
	dst = codec.AppendCString(dst, p.ServiceType, ServiceTypeLen)
	dst = append(dst, p.SourceAddrTON, p.SourceAddrNPI)
	dst = codec.AppendCString(dst, p.SourceAddr, AddrLen)
	dst = append(dst, p.DestAddrTON, p.DestAddrNPI)
	dst = codec.AppendCString(dst, p.DestinationAddr, AddrLen)
	dst = append(dst, byte(p.ESMClass), p.ProtocolID, p.PriorityFlag)
	dst = codec.AppendCString(dst, p.ScheduleDeliveryTime, TimeLen)
	dst = codec.AppendCString(dst, p.ValidityPeriod, TimeLen)
	return append(dst, byte(p.RegisteredDelivery), p.ReplaceIfPresentFlag, p.DataCoding, p.SMDefaultMsgID)
}

func (p *Submit) decodeBody(r *codec.Reader) {
	p.ServiceType = cstring(r, "service_type", ServiceTypeLen)
	p.SourceAddrTON = r.Uint8("source_addr_ton")
	p.SourceAddrNPI = r.Uint8("source_addr_npi")
	p.SourceAddr = cstring(r, "source_addr", AddrLen)
	p.DestAddrTON = r.Uint8("dest_addr_ton")
	p.DestAddrNPI = r.Uint8("dest_addr_npi")
	p.DestinationAddr = cstring(r, "destination_addr", AddrLen)
	p.ESMClass = ESMClass(r.Uint8("esm_class"))
	p.ProtocolID = r.Uint8("protocol_id")
	p.PriorityFlag = r.Uint8("priority_flag")
	p.ScheduleDeliveryTime = timeField(r, "schedule_delivery_time")
	p.ValidityPeriod = timeField(r, "validity_period")
	p.RegisteredDelivery = RegisteredDelivery(r.Uint8("registered_delivery"))
	p.ReplaceIfPresentFlag = r.Uint8("replace_if_present_flag")
	p.DataCoding = r.Uint8("data_coding")
	p.SMDefaultMsgID = r.Uint8("sm_default_msg_id")
	p.ShortMessage = shortMessage(r)
	if r.Failed() {
		return
	}
	p.TLVs = readTLVs(r)
}

// shortMessage reads sm_length and short_message; an sm_length above 254
// fails with codec.ErrBadValue (SMPP 3.4 §5.2.21).
func shortMessage(r *codec.Reader) codec.Octets {
	n := int(r.Uint8("sm_length"))
	if !r.Failed() && n > MaxShortMessageLen {
		failAt(r, &codec.FieldError{Field: "sm_length", Index: -1, Offset: r.Offset() - 1, Value: int64(n),
			Err: codec.ErrBadValue})
		return nil
	}
	b := r.Bytes("short_message", n)
	if b == nil && !r.Failed() {
		b = codec.Octets{}
	}
	return b
}

// Message returns the user data: short_message, or the message_payload TLV
// when short_message is empty and the TLV is present (SMPP 3.4 §5.3.2.32:
// the two are not used together). A UDH, when esm_class says so, is
// included.
func (p *Submit) Message() []byte { return messageOf(p.ShortMessage, p.TLVs) }

func messageOf(sm []byte, ts TLVs) []byte {
	if len(sm) == 0 {
		if v, ok := ts.MessagePayload(); ok {
			return v
		}
	}
	return sm
}

// SubmitResp is submit_sm_resp (0x80000004, SMPP 3.4 §4.4.2): the SMSC's
// message_id (C-string ≤ 65), the key a receipt will quote. The spec lets
// an SMSC leave the body out when command_status is not 0; NoBody records
// that, so that such a frame re-encodes byte for byte. TLVs are not in
// SMPP 3.4's table but are kept when a peer sends them (SMPP 5.0 defines
// some).
type SubmitResp struct {
	MessageID string `json:"message_id"`
	TLVs      TLVs   `json:"tlvs,omitempty"`
	NoBody    bool   `json:"no_body,omitempty"`
}

// Command returns CmdSubmitSMResp.
func (*SubmitResp) Command() CommandID { return CmdSubmitSMResp }

// AppendBody appends message_id and the TLVs, or nothing when NoBody is
// set and both are empty.
func (p *SubmitResp) AppendBody(dst []byte) []byte {
	return appendIDResp(dst, p.MessageID, MessageIDLen, p.TLVs, p.NoBody)
}

func (p *SubmitResp) decodeBody(r *codec.Reader) {
	p.MessageID, p.TLVs, p.NoBody = decodeIDResp(r, "message_id", MessageIDLen)
}

// appendIDResp writes the body that submit_sm_resp, deliver_sm_resp,
// data_sm_resp and bind_*_resp share: one C-string and TLVs.
func appendIDResp(dst []byte, id string, max int, ts TLVs, noBody bool) []byte {
	if noBody && id == "" && len(ts) == 0 {
		return dst
	}
	dst = codec.AppendCString(dst, id, max)
	return appendTLVs(dst, ts)
}

func decodeIDResp(r *codec.Reader, field string, max int) (string, TLVs, bool) {
	if r.Len() == 0 && !r.Failed() {
		return "", nil, true
	}
	id := cstring(r, field, max)
	if r.Failed() {
		return "", nil, false
	}
	return id, readTLVs(r), false
}

// AppendSubmitResp appends a whole submit_sm_resp frame to dst: the
// proxy's answer to a Submit, accepted or refused. msgID is written as the
// message_id C-string (cut at 64 bytes and at a NUL; nil or empty for a
// refusal). The body is always sent, one NUL when msgID is empty: SMPP 3.4
// allows leaving it out on a refusal, but clients that expect it (most
// do) accept it either way. Does not allocate when dst has room.
func AppendSubmitResp(dst []byte, seq uint32, status Status, msgID []byte) []byte {
	return appendRespFrame(dst, CmdSubmitSMResp, seq, status, msgID)
}

// appendRespFrame writes a header and a one-C-string body.
func appendRespFrame(dst []byte, id CommandID, seq uint32, status Status, s []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, id, status, seq)
	if i := indexNUL(s); i >= 0 {
		s = s[:i]
	}
	s = s[:min(len(s), MessageIDLen-1)]
	dst = append(dst, s...)
	dst = append(dst, 0)
	return finish(dst, start)
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
