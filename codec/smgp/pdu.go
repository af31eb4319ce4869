package smgp

import (
	"bytes"

	"github.com/spsmg/spsmg/codec"
)

// PDU is one typed SMGP body. Every type in this package that implements it
// has its fields in the order of the spec's table; counts and lengths
// (DestTermIDCount, MsgLength, TLV Length) are not fields: they come from
// the slices they describe.
type PDU interface {
	// Command returns the RequestID the PDU is sent with.
	Command() CommandID
	// AppendBody appends the body (everything after the header) to dst in
	// the layout of version v (only Submit depends on it).
	AppendBody(dst []byte, v Version) []byte
	// decodeBody reads the body with one Reader call per table row.
	decodeBody(r *codec.Reader, v Version)
}

// newPDU returns an empty typed PDU for id; nil when id is not defined.
// Defined commands without a typed layout (Forward, route and payment
// commands) get a Raw that keeps their body.
func newPDU(id CommandID) PDU {
	switch id {
	case CmdLogin:
		return new(Login)
	case CmdLoginResp:
		return new(LoginResp)
	case CmdSubmit:
		return new(Submit)
	case CmdSubmitResp:
		return new(SubmitResp)
	case CmdDeliver:
		return new(Deliver)
	case CmdDeliverResp:
		return new(DeliverResp)
	case CmdActiveTest:
		return new(ActiveTest)
	case CmdActiveTestResp:
		return new(ActiveTestResp)
	case CmdExit:
		return new(Exit)
	case CmdExitResp:
		return new(ExitResp)
	case CmdQuery:
		return new(Query)
	case CmdQueryResp:
		return new(QueryResp)
	}
	if id.Defined() {
		return &Raw{RequestID: id}
	}
	return nil
}

// Decode reads one whole frame (as split by NewFramer) into its header and
// a typed PDU, using the layout of version v (only Submit differs between
// V30 and V13).
//
// The PDU owns its memory: byte fields (MsgContent, Reserve, TLV values) are
// slices of a private copy of the frame, never of frame itself, so the
// caller may reuse its read buffer.
//
// Errors are *codec.FieldError naming the command and field:
// codec.ErrShortFrame when a field runs past the frame,
// codec.ErrTrailingBytes when a fixed-layout body (Login, the responses,
// Active_Test, Exit, Query) is followed by extra bytes, codec.ErrBadValue for
// an impossible DestTermIDCount, codec.ErrUnknownCommand for a RequestID that
// docs/protocols/smgp30.md §10 does not define. Submit and Deliver never fail
// on their TLV area: a truncated one is kept in TLVTrailer (§12, V8).
func Decode(frame []byte, v Version) (Header, PDU, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return Header{}, nil, err
	}
	if err := checkLength(frame, h); err != nil {
		return h, nil, err
	}
	p := newPDU(h.RequestID)
	if p == nil {
		return h, nil, &codec.FieldError{PDU: "smgp", Field: "RequestID", Index: -1,
			Offset: offRequestID, Value: int64(h.RequestID), Err: codec.ErrUnknownCommand}
	}
	switch p.(type) {
	case *Submit, *Deliver, *QueryResp, *Raw:
		frame = bytes.Clone(frame) // these keep slices of the body
	}
	r := codec.NewReader(frame, pduLabel(h.RequestID, v), HeaderLen)
	p.decodeBody(&r, v)
	if !r.Failed() && r.Len() != 0 {
		r.Fail("PacketLength", -1, int64(len(frame)), codec.ErrTrailingBytes)
	}
	if err := r.Err(); err != nil {
		return h, nil, err
	}
	return h, p, nil
}

// Append appends one whole frame to dst: the header with the right
// PacketLength and sequence seq, then p's body in the layout of version v.
// Round trip with Decode is byte-exact. It allocates only when dst has to
// grow; a caller that reuses both dst and the PDU value allocates nothing.
func Append(dst []byte, v Version, seq uint32, p PDU) []byte {
	start := len(dst)
	dst = appendHeader(dst, p.Command(), seq)
	dst = p.AppendBody(dst, v)
	return finish(dst, start)
}

// Raw is a defined command without a typed layout here: Forward (SMGW↔SMGW)
// and the route and payment commands of docs/protocols/smgp30.md §10. Decode
// keeps the body as it came, so the frame re-encodes byte for byte; the proxy
// passes such frames through (KindOther).
type Raw struct {
	RequestID CommandID    `json:"RequestID,string"`
	Body      codec.Octets `json:"Body"`
}

// Command returns the RequestID the body came with.
func (p *Raw) Command() CommandID { return p.RequestID }

// AppendBody appends the body unchanged.
func (p *Raw) AppendBody(dst []byte, _ Version) []byte { return append(dst, p.Body...) }

func (p *Raw) decodeBody(r *codec.Reader, _ Version) {
	p.Body = r.Rest()
	if p.Body == nil {
		p.Body = codec.Octets{}
	}
}
