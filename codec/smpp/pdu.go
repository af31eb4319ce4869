package smpp

import (
	"bytes"

	"github.com/spsmg/spsmg/codec"
)

// PDU is one typed SMPP body. Every type in this package that implements it
// has its fields in the order of the spec's table; lengths (sm_length, TLV
// Length) are not fields: they come from the slices they describe, and
// C-strings are Go strings without their NUL.
type PDU interface {
	// Command returns the command_id the PDU is sent with.
	Command() CommandID
	// AppendBody appends the body (everything after the header) to dst.
	AppendBody(dst []byte) []byte
	// decodeBody reads the body with one Reader call per table row.
	decodeBody(r *codec.Reader)
}

// newPDU returns an empty typed PDU for id; nil when id is not defined.
// Defined commands without a typed layout get a Raw that keeps their body.
func newPDU(id CommandID) PDU {
	switch id {
	case CmdBindReceiver, CmdBindTransmitter, CmdBindTransceiver:
		return &Bind{ID: id}
	case CmdBindReceiverResp, CmdBindTransmitterResp, CmdBindTransceiverResp:
		return &BindResp{ID: id}
	case CmdUnbind:
		return new(Unbind)
	case CmdUnbindResp:
		return new(UnbindResp)
	case CmdEnquireLink:
		return new(EnquireLink)
	case CmdEnquireLinkResp:
		return new(EnquireLinkResp)
	case CmdGenericNack:
		return new(GenericNack)
	case CmdSubmitSM:
		return new(Submit)
	case CmdSubmitSMResp:
		return new(SubmitResp)
	case CmdDeliverSM:
		return new(Deliver)
	case CmdDeliverSMResp:
		return new(DeliverResp)
	case CmdDataSM:
		return new(DataSM)
	case CmdDataSMResp:
		return new(DataSMResp)
	}
	if id.Defined() {
		return &Raw{ID: id}
	}
	return nil
}

// Decode reads one whole frame (as split by NewFramer) into its header and a
// typed PDU.
//
// The PDU owns its memory: byte fields (short_message, TLV values, a Raw
// body) are slices of a private copy of the frame, never of frame itself, so
// the caller may reuse its read buffer.
//
// Errors are *codec.FieldError naming the command, the field and its offset:
// codec.ErrShortFrame when a field runs past the frame (a C-string without
// its NUL, a TLV whose Length runs past the end), codec.ErrBadValue for a
// C-string longer than its maximum, a time field that is neither empty nor
// 16 characters, or an sm_length above 254, codec.ErrTrailingBytes when a
// header-only PDU (unbind, enquire_link, generic_nack) has a body, and
// codec.ErrUnknownCommand for a command_id SMPP 3.4 does not define.
func Decode(frame []byte) (Header, PDU, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return Header{}, nil, err
	}
	if err := checkLength(frame, h); err != nil {
		return h, nil, err
	}
	p := newPDU(h.CommandID)
	if p == nil {
		return h, nil, &codec.FieldError{PDU: "smpp", Field: "command_id", Index: -1,
			Offset: offCommandID, Value: int64(h.CommandID), Err: codec.ErrUnknownCommand}
	}
	if len(frame) > HeaderLen {
		frame = bytes.Clone(frame) // byte fields are sub-slices of the body
	}
	r := codec.NewReader(frame, h.CommandID.label(), HeaderLen)
	p.decodeBody(&r)
	if !r.Failed() && r.Len() != 0 {
		r.Fail("command_length", -1, int64(len(frame)), codec.ErrTrailingBytes)
	}
	if err := r.Err(); err != nil {
		return h, nil, err
	}
	return h, p, nil
}

// Append appends one whole frame to dst: the header with the right
// command_length, status and sequence seq, then p's body. Requests carry
// StatusOK. Round trip with Decode is byte-exact. It allocates only when
// dst has to grow.
func Append(dst []byte, seq uint32, status Status, p PDU) []byte {
	start := len(dst)
	dst = appendHeader(dst, p.Command(), status, seq)
	dst = p.AppendBody(dst)
	return finish(dst, start)
}

// Raw is a defined command without a typed layout here (query_sm,
// replace_sm, cancel_sm, submit_multi, outbind, alert_notification and
// their responses). Decode keeps the body as it came, so the frame
// re-encodes byte for byte.
type Raw struct {
	ID   CommandID    `json:"-"`
	Body codec.Octets `json:"body"`
}

// Command returns the command_id the body came with.
func (p *Raw) Command() CommandID { return p.ID }

// AppendBody appends the body unchanged.
func (p *Raw) AppendBody(dst []byte) []byte { return append(dst, p.Body...) }

func (p *Raw) decodeBody(r *codec.Reader) {
	p.Body = r.Rest()
	if p.Body == nil {
		p.Body = codec.Octets{}
	}
}

// cstring reads a C-Octet String field of at most max bytes, NUL included,
// as a Go string.
func cstring(r *codec.Reader, field string, max int) string {
	return string(r.CString(field, max))
}

// TimeLen is the size of schedule_delivery_time and validity_period: a
// C-string that is either empty (the one NUL byte) or exactly 16
// characters and its NUL, YYMMDDhhmmsstnnp (SMPP 3.4 §7.1.1).
const TimeLen = 17

// timeField reads a time C-string and rejects any length but 0 or 16
// characters with codec.ErrBadValue (value: the length, NUL included).
func timeField(r *codec.Reader, field string) string { return string(timeBytes(r, field)) }

// timeBytes is timeField without the copy, for ParseView.
func timeBytes(r *codec.Reader, field string) []byte {
	off := r.Offset()
	b := r.CString(field, TimeLen)
	if !r.Failed() && len(b) != 0 && len(b) != TimeLen-1 {
		failAt(r, &codec.FieldError{Field: field, Index: -1, Offset: off, Value: int64(len(b) + 1),
			Err: codec.ErrBadValue})
	}
	return b
}

// MessageOf returns the message of a PDU that carries one (submit_sm,
// deliver_sm, data_sm): its data_coding, whether esm_class says it starts
// with a UDH, and the user data (short_message, or message_payload). ok is
// false for every other PDU. With text.DecodeSMPP and text.NameSMPP it is
// what the decode tool shows as the message; a receipt's parsed text is in
// the PDU's JSON already.
func MessageOf(p PDU) (dataCoding uint8, udhi bool, content []byte, ok bool) {
	switch p := p.(type) {
	case *Submit:
		return p.DataCoding, p.ESMClass.UDHI(), p.Message(), true
	case *Deliver:
		return p.DataCoding, p.ESMClass.UDHI(), p.Message(), true
	case *DataSM:
		return p.DataCoding, p.ESMClass.UDHI(), p.Message(), true
	}
	return 0, false, nil, false
}
