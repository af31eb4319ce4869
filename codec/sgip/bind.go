package sgip

import (
	"crypto/subtle"
	"strconv"

	"github.com/spsmg/spsmg/codec"
)

// LoginType is the Bind's Login Type (docs/protocols/sgip12.md §4 Bind, §2):
// which way the connection carries commands.
type LoginType uint8

// Login types (§4 Bind); other values are reserved.
const (
	LoginSPToSMG  LoginType = 1  // SP dials the SMG: Submit (MT), Trace, Unbind
	LoginSMGToSP  LoginType = 2  // SMG dials the SP: Deliver (MO), Report, UserRpt, Unbind
	LoginSMGToSMG LoginType = 3  // between SMGs
	LoginSMGToGNS LoginType = 4  //
	LoginGNSToSMG LoginType = 5  //
	LoginGNSToGNS LoginType = 6  //
	LoginTest     LoginType = 11 // test connection (Trace)
)

// String names the login type, e.g. "SP->SMG"; reserved values print as
// "reserved 7".
func (t LoginType) String() string {
	switch t {
	case LoginSPToSMG:
		return "SP->SMG"
	case LoginSMGToSP:
		return "SMG->SP"
	case LoginSMGToSMG:
		return "SMG<->SMG"
	case LoginSMGToGNS:
		return "SMG->GNS"
	case LoginGNSToSMG:
		return "GNS->SMG"
	case LoginGNSToGNS:
		return "GNS<->GNS"
	case LoginTest:
		return "test"
	}
	return "reserved " + strconv.Itoa(int(t))
}

// Field widths of Bind (§4).
const (
	LoginNameLen     = 16
	LoginPasswordLen = 16
)

// Bind (0x1) opens a connection: 41-byte body, 61-byte packet (§4). The
// password travels in plain text.
type Bind struct {
	LoginType     LoginType    `json:"Login Type,string"`
	LoginName     string       `json:"Login Name"`     // 16, assigned by the server side
	LoginPassword string       `json:"Login Password"` // 16, plain text
	Reserve       codec.Octets `json:"Reserve"`        // 8
}

// Command returns CmdBind.
func (*Bind) Command() CommandID { return CmdBind }

// AppendBody appends the 41-byte body. Name and password longer than 16
// bytes are cut.
func (b *Bind) AppendBody(dst []byte) []byte {
	dst = append(dst, uint8(b.LoginType))
	dst = codec.AppendText(dst, b.LoginName, LoginNameLen)
	dst = codec.AppendText(dst, b.LoginPassword, LoginPasswordLen)
	return codec.AppendFixed(dst, b.Reserve, reserveLen)
}

func (b *Bind) decodeBody(r *codec.Reader) {
	b.LoginType = LoginType(r.Uint8("Login Type"))
	b.LoginName = r.Text("Login Name", LoginNameLen)
	b.LoginPassword = r.Text("Login Password", LoginPasswordLen)
	b.Reserve = readReserve(r, "Reserve")
}

// Verify reports whether the Bind carries the account's name and
// password, comparing in constant time. SGIP has no digest: the server
// compares the plain-text fields (§2). The configured values are cut to
// their 16-byte field width first, because that is all a client can send;
// the decoded fields are already cut at their NUL padding.
//
// A false result is answered with Bind_Resp IllegalLogin and a close.
func (b *Bind) Verify(name, password string) bool {
	n := subtle.ConstantTimeCompare([]byte(b.LoginName), []byte(cut(name, LoginNameLen)))
	p := subtle.ConstantTimeCompare([]byte(b.LoginPassword), []byte(cut(password, LoginPasswordLen)))
	return n&p == 1
}

// cut shortens s to n bytes and at its first NUL, as AppendText then
// Text would.
func cut(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}
