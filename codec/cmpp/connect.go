package cmpp

import (
	"crypto/subtle"

	"github.com/spsmg/spsmg/codec"
)

// Connect is CMPP_CONNECT (0x00000001), SP → ISMG, the same 27-byte body in
// every version (docs/protocols/cmpp.md §5).
type Connect struct {
	SourceAddr          string       `json:"Source_Addr"`         // SP_Id, 6 digits
	AuthenticatorSource codec.Octets `json:"AuthenticatorSource"` // 16 bytes, see AuthenticatorSource
	Version             Version      `json:"Version"`             // version the SP speaks
	Timestamp           uint32       `json:"Timestamp,string"`    // MMDDHHMMSS as a decimal integer
}

// NewConnect builds the Connect an SP sends: Source_Addr, the authenticator
// for secret and ts (codec.Timestamp(time.Now()) in practice) and v.
func NewConnect(sourceAddr, secret string, v Version, ts uint32) *Connect {
	a := AuthenticatorSource(sourceAddr, secret, ts)
	return &Connect{SourceAddr: sourceAddr, AuthenticatorSource: a[:], Version: v, Timestamp: ts}
}

// Command returns CmdConnect.
func (*Connect) Command() CommandID { return CmdConnect }

// AppendBody appends the 27-byte body; v is ignored (same in all versions).
func (p *Connect) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendText(dst, p.SourceAddr, 6)
	dst = codec.AppendFixed(dst, p.AuthenticatorSource, 16)
	dst = codec.AppendUint8(dst, uint8(p.Version))
	return codec.AppendUint32(dst, p.Timestamp)
}

func (p *Connect) decodeBody(r *codec.Reader, _ Version, _ Header) {
	p.SourceAddr = r.Text("Source_Addr", 6)
	p.AuthenticatorSource = octets(r.Bytes("AuthenticatorSource", 16))
	p.Version = Version(r.Uint8("Version"))
	p.Timestamp = r.Uint32("Timestamp")
}

// ConnectResp is CMPP_CONNECT_RESP (0x80000001), ISMG → SP (§5). The 2.x
// body is 18 bytes (packet 30), the 3.0 body 21 (packet 33); they differ in
// the width of Status.
type ConnectResp struct {
	Status            ConnectStatus `json:"Status,string"`
	AuthenticatorISMG codec.Octets  `json:"AuthenticatorISMG"` // 16 bytes; all zero when authentication failed
	Version           Version       `json:"Version"`           // highest version the ISMG supports

	// Layout is the wire variant. Decode sets it from Total_Length (30 → 2.x,
	// 33 → 3.0, §4), because a client cannot know which one the server picked
	// from the account's configuration; AppendBody uses it when set and the
	// family of the version it is given otherwise.
	Layout Family `json:"-"`
}

// NewConnectResp builds the answer to c for a server that speaks v on this
// connection (its layout and the Version byte sent back). For status OK the
// AuthenticatorISMG is computed from c's AuthenticatorSource and secret;
// otherwise it is all zeros (§5).
func NewConnectResp(c *Connect, status ConnectStatus, secret string, v Version) *ConnectResp {
	p := &ConnectResp{Status: status, AuthenticatorISMG: make(codec.Octets, 16), Version: v, Layout: v.Family()}
	if status == ConnectOK {
		var src [16]byte
		copy(src[:], c.AuthenticatorSource)
		a := AuthenticatorISMG(uint32(status), v, src, secret)
		copy(p.AuthenticatorISMG, a[:])
	}
	return p
}

// Command returns CmdConnectResp.
func (*ConnectResp) Command() CommandID { return CmdConnectResp }

func (p *ConnectResp) layout(v Version) Family {
	if p.Layout != 0 {
		return p.Layout
	}
	return v.Family()
}

// AppendBody appends the body in p.Layout, or in v's family when unset.
func (p *ConnectResp) AppendBody(dst []byte, v Version) []byte {
	dst = appendResult(dst, p.layout(v), uint32(p.Status))
	dst = codec.AppendFixed(dst, p.AuthenticatorISMG, 16)
	return codec.AppendUint8(dst, uint8(p.Version))
}

func (p *ConnectResp) decodeBody(r *codec.Reader, v Version, h Header) {
	switch h.TotalLength {
	case HeaderLen + 18:
		p.Layout = Family2x
	case HeaderLen + 21:
		p.Layout = Family30
	default: // neither: follow the session; Decode then flags the length
		p.Layout = v.Family()
	}
	p.Status = ConnectStatus(readResult(r, p.Layout, "Status"))
	p.AuthenticatorISMG = octets(r.Bytes("AuthenticatorISMG", 16))
	p.Version = Version(r.Uint8("Version"))
}

// AuthenticatorSource computes the SP's login authenticator (§5):
//
//	MD5( Source_Addr | 9 × 0x00 | secret | Timestamp as 10 ASCII digits )
//
// sourceAddr is hashed as given; gocmpp hashes the NUL-padded 6-byte field
// instead, which differs for ids shorter than 6 (§15): a client that must
// match such a server passes the padded form.
func AuthenticatorSource(sourceAddr, secret string, ts uint32) [16]byte {
	return codec.LoginDigest([]byte(sourceAddr), 9, []byte(secret), ts)
}

// VerifyAuthenticatorSource reports whether c carries the authenticator for
// secret. It accepts both forms the sources use (§15): Source_Addr hashed
// as the raw id and as the NUL-padded 6-byte field. The comparison is
// constant-time.
func VerifyAuthenticatorSource(c *Connect, secret string) bool {
	if len(c.AuthenticatorSource) != 16 {
		return false
	}
	raw := AuthenticatorSource(c.SourceAddr, secret, c.Timestamp)
	ok := subtle.ConstantTimeCompare(raw[:], c.AuthenticatorSource)
	var field [6]byte
	padded := codec.LoginDigest(codec.AppendText(field[:0], c.SourceAddr, 6), 9, []byte(secret), c.Timestamp)
	return ok|subtle.ConstantTimeCompare(padded[:], c.AuthenticatorSource) == 1
}

// AuthenticatorISMG computes the server's answer authenticator (§5):
//
//	MD5( Status | AuthenticatorSource | secret )
//
// with Status hashed in its wire width for v: 1 byte in 2.x, 4 bytes
// big-endian in 3.0 (gocmpp; SMSGate always hashes 4 bytes, so a client
// should log a mismatch, not fail on it, §15).
func AuthenticatorISMG(status uint32, v Version, authSource [16]byte, secret string) [16]byte {
	var st [4]byte
	return codec.ResponseDigest(appendResult(st[:0], v.Family(), status), authSource[:], []byte(secret))
}
