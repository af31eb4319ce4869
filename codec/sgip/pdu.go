package sgip

import (
	"bytes"

	"github.com/spsmg/spsmg/codec"
)

// PDU is one typed SGIP command body. Every PDU of this package implements
// it; Decode returns one, Append writes one.
type PDU interface {
	// Command is the header's Command ID for this PDU.
	Command() CommandID
	// AppendBody appends the body (everything after the 20-byte header).
	AppendBody(dst []byte) []byte
	// decodeBody reads the body from r, field by field; failures stick in r.
	decodeBody(r *codec.Reader)
}

// newPDU returns an empty PDU for c, or nil when c is not a defined id.
// A switch, not a map: no allocation to pick the type, and the compiler
// checks the cases.
func newPDU(c CommandID) PDU {
	switch c {
	case CmdBind:
		return &Bind{}
	case CmdUnbind:
		return &Unbind{}
	case CmdUnbindResp:
		return &UnbindResp{}
	case CmdSubmit:
		return &Submit{}
	case CmdDeliver:
		return &Deliver{}
	case CmdReport:
		return &Report{}
	case CmdUserRpt:
		return &UserRpt{}
	case CmdTrace:
		return &Trace{}
	case CmdTraceResp:
		return &TraceResp{}
	case CmdBindResp, CmdSubmitResp, CmdDeliverResp, CmdReportResp, CmdUserRptResp:
		return &Resp{ID: c}
	case CmdCheckUser, CmdCheckUserResp:
		return &Raw{ID: c}
	}
	if isGNS(c &^ RespBit) {
		if c.IsResponse() { // the GNS *_Resp share the generic body (§4)
			return &Resp{ID: c}
		}
		return &Raw{ID: c}
	}
	return nil
}

// Decode decodes one whole frame (as cut by the Framer) into its header and
// a typed PDU. The PDU owns its data: text fields are strings and byte
// fields are copies, so frame may be reused afterwards.
//
// Errors are *codec.FieldError naming the field where decoding stopped:
// codec.ErrShortFrame when the frame ends inside a field (a truncated frame
// whose Message Length is larger than the bytes given), codec.ErrBadValue
// for a UserCount outside 1–100 or a Message Length smaller than the frame,
// codec.ErrTrailingBytes for bytes after the body of a command other than
// Submit/Deliver, codec.ErrUnknownCommand for an id the spec does not define.
//
// The GNS route operations (0x6–0xF requests) and CheckUser/CheckUser_Resp
// decode to a *Raw holding the body untouched; the GNS responses decode to
// a *Resp (their body is the generic 9-byte response, §4).
func Decode(frame []byte) (Header, PDU, error) {
	h, err := checkHeader(frame)
	if err != nil {
		return h, nil, err
	}
	p := newPDU(h.Command)
	if p == nil {
		return h, nil, unknownCommand(h.Command)
	}
	r := codec.NewReader(frame, h.Command.String(), HeaderLen)
	p.decodeBody(&r)
	if err := endBody(&r, h); err != nil {
		return h, nil, err
	}
	return h, p, nil
}

// checkHeader reads the header and checks Message Length against the
// frame: at least HeaderLen, not less than the bytes given. A length above
// len(frame) is a truncated frame; the body reader then fails at the field
// where the bytes run out.
func checkHeader(frame []byte) (Header, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return h, err
	}
	if h.Length < HeaderLen {
		return h, &codec.FieldError{PDU: h.Command.String(), Field: "Message Length", Index: -1, Offset: offLength, Value: int64(h.Length), Err: codec.ErrFrameTooSmall}
	}
	if uint64(h.Length) < uint64(len(frame)) {
		return h, &codec.FieldError{PDU: h.Command.String(), Field: "Message Length", Index: -1, Offset: offLength, Value: int64(h.Length), Err: codec.ErrBadValue}
	}
	return h, nil
}

// unknownCommand names the id in the PDU label ("sgip 0x00000099"):
// FieldError prints Value only for bad values and lengths.
func unknownCommand(c CommandID) error {
	return &codec.FieldError{PDU: "sgip " + c.String(), Field: "Command ID", Index: -1, Offset: offCommand, Value: int64(c), Err: codec.ErrUnknownCommand}
}

// endBody finishes a body read: the first field error, else a frame shorter
// than its Message Length (named at the Message Length field, offset 0),
// else bytes after the body where the command has no trailer.
func endBody(r *codec.Reader, h Header) error {
	if err := r.Err(); err != nil {
		return err
	}
	switch {
	case r.Len() > 0:
		return &codec.FieldError{PDU: h.Command.String(), Field: "Message Length", Index: -1, Offset: r.Offset(), Value: int64(r.Len()), Err: codec.ErrTrailingBytes}
	case uint64(r.Offset()) < uint64(h.Length): // every field fit, the frame is still short
		return &codec.FieldError{PDU: h.Command.String(), Field: "Message Length", Index: -1, Offset: offLength, Value: int64(h.Length), Err: codec.ErrShortFrame}
	}
	return nil
}

// Append appends a whole frame to dst: the header with seq and the correct
// Message Length, then p's body. It allocates only when dst must grow:
// with a dst of enough capacity and a reused PDU value it does not
// allocate (TestAppendAllocs).
func Append(dst []byte, seq Sequence, p PDU) []byte {
	start := len(dst)
	dst = codec.AppendUint32(dst, 0) // Message Length, fixed below
	dst = codec.AppendUint32(dst, uint32(p.Command()))
	dst = AppendSequence(dst, seq)
	dst = p.AppendBody(dst)
	codec.PutLength(dst[start:])
	return dst
}

// RespLen is the size of a generic response frame: header + Result 1 +
// Reserve 8 (docs/protocols/sgip12.md §4).
const RespLen = HeaderLen + 9

// AppendResp appends the response to a request: the generic 29-byte frame
// (Result, Reserve zeros) with cmd's response id and the request's
// sequence, which the response must carry unchanged (§3). cmd may be the
// request or the response id. For Unbind it appends the 20-byte
// Unbind_Resp (no body, result ignored). Trace_Resp has its own layout:
// build it with Append(dst, seq, &TraceResp{…}).
//
// Hot path: does not allocate when dst has room for 29 bytes.
func AppendResp(dst []byte, cmd CommandID, seq Sequence, result uint8) []byte {
	cmd = cmd.Resp()
	if cmd == CmdUnbindResp {
		dst = codec.AppendUint32(dst, HeaderLen)
		dst = codec.AppendUint32(dst, uint32(cmd))
		return AppendSequence(dst, seq)
	}
	dst = codec.AppendUint32(dst, RespLen)
	dst = codec.AppendUint32(dst, uint32(cmd))
	dst = AppendSequence(dst, seq)
	dst = append(dst, result)
	return codec.AppendZeros(dst, reserveLen)
}

// reserveLen is the 8-byte Reserve that ends most SGIP bodies.
const reserveLen = 8

// readReserve reads an 8-byte Reserve: nil when all zeros (the usual
// padding, re-encoded as zeros), else a copy of all 8 bytes.
func readReserve(r *codec.Reader, field string) codec.Octets {
	b := r.Bytes(field, reserveLen)
	if len(b) == 0 || allZero(b) {
		return nil
	}
	return bytes.Clone(b)
}

// octets copies b, nil when empty: a decoded PDU never aliases the frame,
// and empty fields compare equal after a round trip.
func octets(b []byte) codec.Octets {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Resp is the generic response (docs/protocols/sgip12.md §4, 9-byte body)
// shared by Bind_Resp, Submit_Resp, Deliver_Resp, Report_Resp, UserRpt_Resp
// and the GNS *_Resp. ID says which one; it is the header's Command ID.
type Resp struct {
	ID      CommandID    `json:"-"`
	Result  Result       `json:"Result,string"`
	Reserve codec.Octets `json:"Reserve"`
}

// Command returns r.ID.
func (r *Resp) Command() CommandID { return r.ID }

// AppendBody appends Result and Reserve.
func (r *Resp) AppendBody(dst []byte) []byte {
	dst = append(dst, uint8(r.Result))
	return codec.AppendFixed(dst, r.Reserve, reserveLen)
}

func (r *Resp) decodeBody(rd *codec.Reader) {
	r.Result = Result(rd.Uint8("Result"))
	r.Reserve = readReserve(rd, "Reserve")
}

// Raw is a defined command without a typed layout here: the GNS route
// operations (AddSP … DeleteSMG, 0x6–0xF) and CheckUser/CheckUser_Resp
// (0x10), which never travel on SP links (§4). The body is kept as it
// came and re-encoded byte for byte, so a tool can show it and a proxy
// could pass it on.
type Raw struct {
	ID   CommandID    `json:"-"`
	Body codec.Octets `json:"Body"`
}

// Command returns r.ID.
func (r *Raw) Command() CommandID { return r.ID }

// AppendBody appends the body unchanged.
func (r *Raw) AppendBody(dst []byte) []byte { return append(dst, r.Body...) }

func (r *Raw) decodeBody(rd *codec.Reader) { r.Body = octets(rd.Rest()) }
