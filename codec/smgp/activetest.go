package smgp

import "github.com/spsmg/spsmg/codec"

// ActiveTest (0x00000004) is the keep-alive: no body, 12 bytes. Sent every
// 3 minutes of idle, 60 s timeout, 3 retries
// (docs/protocols/smgp30.md §1, §10).
type ActiveTest struct{}

// Command returns CmdActiveTest.
func (*ActiveTest) Command() CommandID { return CmdActiveTest }

// AppendBody appends nothing.
func (*ActiveTest) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*ActiveTest) decodeBody(*codec.Reader, Version) {}

// ActiveTestResp (0x80000004) answers ActiveTest: no body, 12 bytes.
type ActiveTestResp struct{}

// Command returns CmdActiveTestResp.
func (*ActiveTestResp) Command() CommandID { return CmdActiveTestResp }

// AppendBody appends nothing.
func (*ActiveTestResp) AppendBody(dst []byte, _ Version) []byte { return dst }

func (*ActiveTestResp) decodeBody(*codec.Reader, Version) {}

// AppendActiveTest appends a whole Active_Test frame (12 bytes) to dst.
func AppendActiveTest(dst []byte, seq uint32) []byte {
	return finish(appendHeader(dst, CmdActiveTest, seq), len(dst))
}

// AppendActiveTestResp appends a whole Active_Test_Resp frame (12 bytes).
func AppendActiveTestResp(dst []byte, seq uint32) []byte {
	return finish(appendHeader(dst, CmdActiveTestResp, seq), len(dst))
}
