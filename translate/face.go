package translate

import (
	"fmt"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// Face is one protocol as translation sees it: the readers and builders of
// the protocol-neutral values (codec.Submit, codec.Deliver, codec.Report),
// its message ids, its result codes by class, and what it can carry. The
// codec.Dialects of SGIP, CMPP and SMGP are Faces, and smpp.Neutral is
// SMPP's. Every method is pure; one value serves every goroutine.
type Face interface {
	Protocol() codec.Protocol
	ParseView(frame []byte, v *codec.View) error
	Seq() codec.SeqLayout

	// SubmitIDIsSeq: an MT's identity is its Submit's sequence (SGIP).
	SubmitIDIsSeq() bool
	// UserNumber writes a handset number given in national form as the
	// protocol does (SGIP: 86 in front); builders write numbers as given.
	UserNumber(n string) string
	Capabilities() codec.Capabilities

	DecodeSubmit(frame []byte, out *codec.Submit) error
	DecodeDelivery(frame []byte, out *codec.Delivery) error

	AppendSubmit(dst []byte, seq []byte, s *codec.Submit) []byte
	AppendSubmitResp(dst []byte, seq []byte, msgID []byte, result uint32) []byte
	AppendDeliver(dst []byte, seq []byte, d *codec.Deliver) []byte
	AppendReport(dst []byte, seq []byte, r *codec.Report) []byte

	AppendMsgIDAt(dst []byte, msgID []byte, i int) []byte
	MsgIDs(gateway string) codec.MsgIDMaker

	ResultClass(code uint32) codec.ResultClass
	ClassResult(c codec.ResultClass) uint32
}

var (
	_ Face = smpp.Neutral{}
	_ Face = cmpp.Dialect{}
	_ Face = sgip.Dialect{}
	_ Face = smgp.Dialect{}
)

// For returns the Face of protocol p: its codec.Dialect, or for SMPP the
// deployment's smpp.Neutral (SMPP is not a Dialect yet; its LinkID tag and
// addressing are choices of the deployment).
func For(p codec.Protocol, smppFace smpp.Neutral) (Face, error) {
	if p == codec.SMPP34 {
		return smppFace, nil
	}
	d := dialect.For(p)
	if d == nil {
		return nil, fmt.Errorf("translate: protocol %q is not served", p)
	}
	f, ok := d.(Face)
	if !ok {
		return nil, fmt.Errorf("translate: protocol %s has no translation readers", p)
	}
	return f, nil
}

// SubmitResp is what an upstream's Submit_Resp says, read by its Face.
type SubmitResp struct {
	Seq    []byte // the sequence, as the request was sent with it
	Result uint32 // the protocol's result code (Face.ResultClass reads it)
	// MsgID is the upstream's id of the message: CMPP 8 bytes, SMGP 10, SMPP
	// the message_id text; nil for SGIP (the Submit's sequence is its id).
	MsgID []byte
}

// ReadSubmitResp reads a Submit_Resp of f's protocol without allocating:
// the slices are frame's. A frame of another kind is codec.ErrWrongCommand.
func ReadSubmitResp(f Face, frame []byte) (SubmitResp, error) {
	var v codec.View
	if err := f.ParseView(frame, &v); err != nil {
		return SubmitResp{}, err
	}
	if v.Kind != codec.KindSubmitResp {
		return SubmitResp{}, codec.ErrWrongCommand
	}
	return SubmitResp{Seq: v.Sequence, Result: v.Result, MsgID: v.MsgID}, nil
}
