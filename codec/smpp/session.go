package smpp

import "github.com/spsmg/spsmg/codec"

// The header-only PDUs: 16 bytes, no body (SMPP 3.4 §4.2, §4.3, §4.11).
// A body on one of them fails Decode with codec.ErrTrailingBytes.

// Unbind (0x00000006) ends the session; either side may send it.
type Unbind struct{}

// Command returns CmdUnbind.
func (*Unbind) Command() CommandID { return CmdUnbind }

// AppendBody appends nothing.
func (*Unbind) AppendBody(dst []byte) []byte { return dst }

func (*Unbind) decodeBody(*codec.Reader) {}

// UnbindResp (0x80000006) answers Unbind; the connection is then closed.
type UnbindResp struct{}

// Command returns CmdUnbindResp.
func (*UnbindResp) Command() CommandID { return CmdUnbindResp }

// AppendBody appends nothing.
func (*UnbindResp) AppendBody(dst []byte) []byte { return dst }

func (*UnbindResp) decodeBody(*codec.Reader) {}

// EnquireLink (0x00000015) is the keep-alive, sent by either side.
type EnquireLink struct{}

// Command returns CmdEnquireLink.
func (*EnquireLink) Command() CommandID { return CmdEnquireLink }

// AppendBody appends nothing.
func (*EnquireLink) AppendBody(dst []byte) []byte { return dst }

func (*EnquireLink) decodeBody(*codec.Reader) {}

// EnquireLinkResp (0x80000015) answers EnquireLink.
type EnquireLinkResp struct{}

// Command returns CmdEnquireLinkResp.
func (*EnquireLinkResp) Command() CommandID { return CmdEnquireLinkResp }

// AppendBody appends nothing.
func (*EnquireLinkResp) AppendBody(dst []byte) []byte { return dst }

func (*EnquireLinkResp) decodeBody(*codec.Reader) {}

// GenericNack (0x80000000) answers a request that cannot be answered with
// its own response: an unknown command_id (ESME_RINVCMDID), a
// command_length that is not right (ESME_RINVCMDLEN), a body that cannot
// be read. Its sequence_number is the offending request's when that could
// be read, else 0.
type GenericNack struct{}

// Command returns CmdGenericNack.
func (*GenericNack) Command() CommandID { return CmdGenericNack }

// AppendBody appends nothing.
func (*GenericNack) AppendBody(dst []byte) []byte { return dst }

func (*GenericNack) decodeBody(*codec.Reader) {}

// AppendUnbind appends a whole unbind frame (16 bytes) to dst.
func AppendUnbind(dst []byte, seq uint32) []byte { return appendEmpty(dst, CmdUnbind, StatusOK, seq) }

// AppendUnbindResp appends a whole unbind_resp frame (16 bytes) to dst.
func AppendUnbindResp(dst []byte, seq uint32) []byte {
	return appendEmpty(dst, CmdUnbindResp, StatusOK, seq)
}

// AppendEnquireLink appends a whole enquire_link frame (16 bytes) to dst.
func AppendEnquireLink(dst []byte, seq uint32) []byte {
	return appendEmpty(dst, CmdEnquireLink, StatusOK, seq)
}

// AppendEnquireLinkResp appends a whole enquire_link_resp frame (16 bytes).
func AppendEnquireLinkResp(dst []byte, seq uint32) []byte {
	return appendEmpty(dst, CmdEnquireLinkResp, StatusOK, seq)
}

// AppendGenericNack appends a whole generic_nack frame (16 bytes) with
// status (ESME_RINVCMDID for an unknown command, ESME_RINVCMDLEN for a bad
// length, …) and the sequence of the request it answers. Does not
// allocate when dst has room.
func AppendGenericNack(dst []byte, seq uint32, status Status) []byte {
	return appendEmpty(dst, CmdGenericNack, status, seq)
}

func appendEmpty(dst []byte, id CommandID, status Status, seq uint32) []byte {
	return finish(appendHeader(dst, id, status, seq), len(dst))
}
