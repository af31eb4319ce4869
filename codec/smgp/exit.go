package smgp

import "github.com/spsmg/spsmg/codec"

// Exit (0x00000006) ends a session; either side may send it, and the client
// must Login again afterwards. No body, 12 bytes
// (docs/protocols/smgp30.md §10).
type Exit struct{}

// Command returns CmdExit.
func (*Exit) Command() CommandID { return CmdExit }

// AppendBody appends nothing.
func (*Exit) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*Exit) decodeBody(*codec.Reader, Version) {}

// ExitResp (0x80000006) answers Exit: no body, 12 bytes.
type ExitResp struct{}

// Command returns CmdExitResp.
func (*ExitResp) Command() CommandID { return CmdExitResp }

// AppendBody appends nothing.
func (*ExitResp) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*ExitResp) decodeBody(*codec.Reader, Version) {}

// AppendExit appends a whole Exit frame (12 bytes) to dst.
func AppendExit(dst []byte, seq uint32) []byte {
	return finish(appendHeader(dst, CmdExit, seq), len(dst))
}

// AppendExitResp appends a whole Exit_Resp frame (12 bytes) to dst.
func AppendExitResp(dst []byte, seq uint32) []byte {
	return finish(appendHeader(dst, CmdExitResp, seq), len(dst))
}
