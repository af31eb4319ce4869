package cmpp

import (
	"github.com/spsmg/spsmg/codec"
)

// PDU is a typed CMPP message body. Every struct of this package implements
// it; the set is closed (decodeBody is unexported).
type PDU interface {
	// Command is the Command_Id the PDU is sent with.
	Command() CommandID
	// AppendBody appends the body in the layout of v's family.
	AppendBody(dst []byte, v Version) []byte
	// decodeBody reads the body, one Reader call per row of the spec's
	// table. h is the already decoded header: two variants are told by
	// Total_Length (Connect_Resp, Active_Test_Resp), not by v.
	decodeBody(r *codec.Reader, v Version, h Header)
}

// newPDU returns an empty PDU for id, or nil when the package has no struct
// for it (CMPP_FWD, GNS route commands, undefined ids).
func newPDU(id CommandID) PDU {
	switch id {
	case CmdConnect:
		return new(Connect)
	case CmdConnectResp:
		return new(ConnectResp)
	case CmdTerminate:
		return new(Terminate)
	case CmdTerminateResp:
		return new(TerminateResp)
	case CmdSubmit:
		return new(Submit)
	case CmdSubmitResp:
		return new(SubmitResp)
	case CmdDeliver:
		return new(Deliver)
	case CmdDeliverResp:
		return new(DeliverResp)
	case CmdQuery:
		return new(Query)
	case CmdQueryResp:
		return new(QueryResp)
	case CmdCancel:
		return new(Cancel)
	case CmdCancelResp:
		return new(CancelResp)
	case CmdActiveTest:
		return new(ActiveTest)
	case CmdActiveTestResp:
		return new(ActiveTestResp)
	}
	return nil
}

// Decode reads one whole frame (as the Framer returns it) into a typed PDU,
// using the layout of v's family.
//
// Errors are *codec.FieldError values naming the PDU, the field and its
// offset, and unwrap to a codec sentinel: ErrShortFrame when the bytes end
// inside a field (the error names that field), ErrBadValue for a
// DestUsr_tl outside 1–100 or a Total_Length that disagrees with the
// frame, ErrTrailingBytes for bytes after the body, ErrUnknownCommand for a
// command without a struct (CMPP_FWD, the GNS route commands, undefined ids;
// the message names the command).
//
// The PDU owns its memory: nothing in it aliases frame.
func Decode(frame []byte, v Version) (Header, PDU, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return h, nil, err
	}
	f := v.Family()
	p := newPDU(h.CommandID)
	if p == nil {
		return h, nil, &codec.FieldError{PDU: pduName(h.CommandID, f), Field: "Command_Id", Index: -1,
			Offset: 4, Value: int64(h.CommandID), Err: codec.ErrUnknownCommand}
	}
	r := codec.NewReader(frame, pduName(h.CommandID, f), HeaderLen)
	p.decodeBody(&r, v, h)
	if err := r.Err(); err != nil {
		return h, nil, err
	}
	if n := r.Len(); n > 0 {
		r.Fail("(end of body)", -1, int64(n), codec.ErrTrailingBytes)
		return h, nil, r.Err()
	}
	if int64(h.TotalLength) != int64(len(frame)) {
		return h, nil, &codec.FieldError{PDU: pduName(h.CommandID, f), Field: "Total_Length", Index: -1,
			Offset: 0, Value: int64(h.TotalLength), Err: codec.ErrBadValue}
	}
	return h, p, nil
}

// Append appends one whole frame, header with the right Total_Length and
// the body of p in the layout of v's family, to dst and returns the
// extended buffer. It does not allocate when dst has room (p is usually a
// pointer the caller reuses). Call it from the goroutine that owns dst.
func Append(dst []byte, v Version, seq uint32, p PDU) []byte {
	start := len(dst)
	dst = AppendHeader(dst, Header{CommandID: p.Command(), SequenceID: seq})
	dst = p.AppendBody(dst, v)
	codec.PutLength(dst[start:])
	return dst
}

// readResult reads a status/result field in the width of f (1 or 4 bytes).
func readResult(r *codec.Reader, f Family, field string) uint32 {
	if f == Family30 {
		return r.Uint32(field)
	}
	return uint32(r.Uint8(field))
}

// octets copies b into a new slice, nil when empty, so that a decoded PDU
// does not alias the frame.
func octets(b []byte) codec.Octets {
	if len(b) == 0 {
		return nil
	}
	return append(codec.Octets(nil), b...)
}

// failBack records err for the field that was just read (n bytes back), so
// that the offset in the error points at the field itself.
func failBack(r *codec.Reader, field string, n int, value int64, err error) {
	if r.Failed() {
		return
	}
	r.Fail(field, -1, value, err)
	if fe, ok := r.Err().(*codec.FieldError); ok {
		fe.Offset -= n
	}
}
