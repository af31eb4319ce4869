package smpp

import (
	"encoding/json"

	"github.com/spsmg/spsmg/codec"
)

// Deliver is deliver_sm (0x00000005): the SMSC hands the ESME an MO, or a
// receipt for an earlier MT (SMPP 3.4 §4.6.1). Its layout is Submit's, field
// for field; what the fields mean differs:
//
//	source_addr       MO: the handset; receipt: the MT's destination
//	destination_addr  MO: the SP number dialled; receipt: the MT's source
//	esm_class         ESMClass.IsReport: 0x04 SMSC delivery receipt (and the acks)
//	short_message     MO text, or the receipt text (Receipt)
//	schedule_delivery_time, validity_period, replace_if_present_flag,
//	sm_default_msg_id are unused and sent empty / 0
//
// A receipt names the MT in the receipted_message_id TLV and, in the usual
// text form, after "id:"; message_state (TLV) and "stat:" give the state.
type Deliver Submit

// Command returns CmdDeliverSM.
func (*Deliver) Command() CommandID { return CmdDeliverSM }

// AppendBody appends the body, as Submit.AppendBody.
func (p *Deliver) AppendBody(dst []byte) []byte { return (*Submit)(p).AppendBody(dst) }

func (p *Deliver) decodeBody(r *codec.Reader) { (*Submit)(p).decodeBody(r) }

// Message returns the user data: short_message, or message_payload when
// short_message is empty.
func (p *Deliver) Message() []byte { return messageOf(p.ShortMessage, p.TLVs) }

// IsReport reports whether the Deliver is a receipt or ack rather than an MO
// (ESMClass.IsReport).
func (p *Deliver) IsReport() bool { return p.ESMClass.IsReport() }

// Receipt parses the receipt text of the user data (ParseReceipt) and fills
// what the text lacks from the TLVs: ID from receipted_message_id, Stat
// from message_state. Several SMSCs send the TLVs only, some the text
// only; where both are present the TLVs win: they are protocol fields,
// the text is an SMSC convention (SMPP 3.4 Appendix B). It fails when the PDU is not a report, or when
// neither form names the message.
func (p *Deliver) Receipt() (Receipt, error) {
	if !p.IsReport() {
		return Receipt{}, &codec.FieldError{PDU: "smpp deliver_sm", Field: "esm_class", Index: -1,
			Value: int64(p.ESMClass), Err: codec.ErrBadValue}
	}
	return receiptOf(p.Message(), p.TLVs)
}

func receiptOf(text []byte, ts TLVs) (Receipt, error) {
	rc, err := ParseReceipt(text)
	id, hasID := ts.ReceiptedMessageID()
	state, hasState := ts.MessageState()
	if err != nil && !hasID {
		return Receipt{}, err
	}
	if hasID {
		rc.ID = id
	}
	if hasState {
		rc.State = state
		if s := state.Stat(); s != "" {
			rc.Stat = s
		}
	}
	return rc, nil
}

// DeliverResp is deliver_sm_resp (0x80000005, SMPP 3.4 §4.6.2): a
// message_id that is unused and sent as the one NUL byte, so the frame is
// 17 bytes. Layout and NoBody as SubmitResp.
type DeliverResp SubmitResp

// Command returns CmdDeliverSMResp.
func (*DeliverResp) Command() CommandID { return CmdDeliverSMResp }

// AppendBody appends message_id and the TLVs, as SubmitResp.AppendBody.
func (p *DeliverResp) AppendBody(dst []byte) []byte { return (*SubmitResp)(p).AppendBody(dst) }

func (p *DeliverResp) decodeBody(r *codec.Reader) { (*SubmitResp)(p).decodeBody(r) }

// AppendDeliverResp appends a whole deliver_sm_resp frame (17 bytes: the
// empty message_id) to dst. Does not allocate when dst has room.
func AppendDeliverResp(dst []byte, seq uint32, status Status) []byte {
	return appendRespFrame(dst, CmdDeliverSMResp, seq, status, nil)
}

// MarshalJSON renders the fields as Submit does and, for a receipt whose
// text or TLVs name the message, the parsed Receipt as "receipt" (not a
// wire field), for the decode tool.
func (p *Deliver) MarshalJSON() ([]byte, error) {
	return withReceipt((*plainSM)(p), p.IsReport(), p.Receipt)
}

// plainSM is Submit without methods, so that marshalling it does not recurse.
type plainSM Submit

func withReceipt(v any, isReport bool, receipt func() (Receipt, error)) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || !isReport {
		return b, err
	}
	rc, rerr := receipt()
	if rerr != nil {
		return b, nil
	}
	r, err := json.Marshal(rc)
	if err != nil {
		return nil, err
	}
	b = append(b[:len(b)-1], `,"receipt":`...)
	b = append(b, r...)
	return append(b, '}'), nil
}
