package sgip

import "github.com/spsmg/spsmg/codec"

// Unbind (0x2) ends a connection: no body, 20-byte packet (§4). The server
// answers Unbind_Resp and both sides close. SGIP has no keep-alive: an idle
// connection is closed after 60 s and re-Bound when needed (§2).
type Unbind struct{}

// Command returns CmdUnbind.
func (*Unbind) Command() CommandID { return CmdUnbind }

// AppendBody appends nothing.
func (*Unbind) AppendBody(dst []byte) []byte { return dst }

func (*Unbind) decodeBody(*codec.Reader) {}

// UnbindResp (0x80000002) answers Unbind: no body, 20-byte packet.
type UnbindResp struct{}

// Command returns CmdUnbindResp.
func (*UnbindResp) Command() CommandID { return CmdUnbindResp }

// AppendBody appends nothing.
func (*UnbindResp) AppendBody(dst []byte) []byte { return dst }

func (*UnbindResp) decodeBody(*codec.Reader) {}
