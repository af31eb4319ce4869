package cmpp

import "github.com/spsmg/spsmg/codec"

// ActiveTest is CMPP_ACTIVE_TEST (0x00000008), the keep-alive either side
// sends when idle (every 3 min, docs/protocols/cmpp.md §2); no body.
type ActiveTest struct{}

// Command returns CmdActiveTest.
func (*ActiveTest) Command() CommandID { return CmdActiveTest }

// AppendBody appends nothing.
func (*ActiveTest) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*ActiveTest) decodeBody(*codec.Reader, Version, Header) {}

// ActiveTestResp is CMPP_ACTIVE_TEST_RESP (0x80000008): one Reserved byte
// since 2.0 (13-byte packet). Some peers send none (12 bytes); Decode accepts
// both, telling them by Total_Length, and AppendBody always sends the byte
// (§6, §15). So a 12-byte response is the one frame that does not re-encode
// to the same bytes.
type ActiveTestResp struct {
	Reserved uint8 `json:"Reserved,string"`
}

// Command returns CmdActiveTestResp.
func (*ActiveTestResp) Command() CommandID { return CmdActiveTestResp }

// AppendBody appends the Reserved byte.
func (p *ActiveTestResp) AppendBody(dst []byte, _ Version) []byte {
	return codec.AppendUint8(dst, p.Reserved)
}

func (p *ActiveTestResp) decodeBody(r *codec.Reader, _ Version, h Header) {
	if h.TotalLength == HeaderLen {
		return // the body-less form
	}
	p.Reserved = r.Uint8("Reserved")
}

// AppendActiveTest appends a whole 12-byte CMPP_ACTIVE_TEST frame. Does not
// allocate when dst has room.
func AppendActiveTest(dst []byte, seq uint32) []byte {
	return AppendHeader(dst, Header{TotalLength: HeaderLen, CommandID: CmdActiveTest, SequenceID: seq})
}

// AppendActiveTestResp appends a whole 13-byte CMPP_ACTIVE_TEST_RESP frame
// (Reserved 0). Does not allocate when dst has room.
func AppendActiveTestResp(dst []byte, seq uint32) []byte {
	dst = AppendHeader(dst, Header{TotalLength: HeaderLen + 1, CommandID: CmdActiveTestResp, SequenceID: seq})
	return append(dst, 0)
}
