package cmpp

import "github.com/spsmg/spsmg/codec"

// Terminate is CMPP_TERMINATE (0x00000002): either side ends the session;
// no body (docs/protocols/cmpp.md §6).
type Terminate struct{}

// Command returns CmdTerminate.
func (*Terminate) Command() CommandID { return CmdTerminate }

// AppendBody appends nothing.
func (*Terminate) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*Terminate) decodeBody(*codec.Reader, Version, Header) {}

// TerminateResp is CMPP_TERMINATE_RESP (0x80000002); no body.
type TerminateResp struct{}

// Command returns CmdTerminateResp.
func (*TerminateResp) Command() CommandID { return CmdTerminateResp }

// AppendBody appends nothing.
func (*TerminateResp) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*TerminateResp) decodeBody(*codec.Reader, Version, Header) {}

// AppendTerminateResp appends a whole 12-byte CMPP_TERMINATE_RESP frame.
// Does not allocate when dst has room.
func AppendTerminateResp(dst []byte, seq uint32) []byte {
	return AppendHeader(dst, Header{TotalLength: HeaderLen, CommandID: CmdTerminateResp, SequenceID: seq})
}
