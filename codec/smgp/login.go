package smgp

import (
	"crypto/subtle"
	"encoding/hex"

	"github.com/spsmg/spsmg/codec"
)

// Field sizes of Login (docs/protocols/smgp30.md §3) and Login_Resp (§4).
const (
	ClientIDLen      = 8  // ClientID: the SP's account
	AuthenticatorLen = 16 // AuthenticatorClient, AuthenticatorServer: MD5
	loginZeros       = 7  // NUL bytes between ClientID and the secret in the MD5 input
)

// LoginMode values (docs/protocols/smgp30.md §3): what the connection carries.
const (
	LoginModeSend     uint8 = 0 // MT only: the SMGW never sends Deliver on it
	LoginModeReceive  uint8 = 1 // MO and reports only
	LoginModeTransmit uint8 = 2 // both
)

// Authenticator is a 16-byte MD5 authenticator; it prints as 32 hex digits
// in JSON and logs.
type Authenticator [AuthenticatorLen]byte

// String renders a as 32 lower-case hex digits.
func (a Authenticator) String() string { return hex.EncodeToString(a[:]) }

// MarshalText renders a as hex (used by encoding/json).
func (a Authenticator) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, a[:]), nil }

// UnmarshalText reads 32 hex digits.
func (a *Authenticator) UnmarshalText(b []byte) error {
	return unhexFixed(a[:], b, "smgp: authenticator")
}

// Login (0x00000001) opens a session: body 30 B, packet 42 B
// (docs/protocols/smgp30.md §3).
type Login struct {
	ClientID            string        `json:"ClientID"`             // 8: account (the SP code)
	AuthenticatorClient Authenticator `json:"AuthenticatorClient"`  // 16: AuthenticatorClient(ClientID, secret, TimeStamp)
	LoginMode           uint8         `json:"LoginMode,string"`     // 1: LoginModeSend/Receive/Transmit
	TimeStamp           uint32        `json:"TimeStamp,string"`     // 4: MMDDHHMMSS as a decimal integer
	ClientVersion       Version       `json:"ClientVersion,string"` // 1: 0x30 for 3.0
}

// Command returns CmdLogin.
func (*Login) Command() CommandID { return CmdLogin }

// AppendBody appends the 30-byte body.
func (p *Login) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendText(dst, p.ClientID, ClientIDLen)
	dst = append(dst, p.AuthenticatorClient[:]...)
	dst = codec.AppendUint8(dst, p.LoginMode)
	dst = codec.AppendUint32(dst, p.TimeStamp)
	return codec.AppendUint8(dst, uint8(p.ClientVersion))
}

func (p *Login) decodeBody(r *codec.Reader, _ Version) {
	p.ClientID = r.Text("ClientID", ClientIDLen)
	copy(p.AuthenticatorClient[:], r.Bytes("AuthenticatorClient", AuthenticatorLen))
	p.LoginMode = r.Uint8("LoginMode")
	p.TimeStamp = r.Uint32("TimeStamp")
	p.ClientVersion = Version(r.Uint8("ClientVersion"))
}

// LoginResp (0x80000001) answers a Login: body 21 B, packet 33 B
// (docs/protocols/smgp30.md §4).
type LoginResp struct {
	Status              Status        `json:"Status,string"`        // 4: StatusOK, StatusAuthError, ...
	AuthenticatorServer Authenticator `json:"AuthenticatorServer"`  // 16: zeros when authentication failed
	ServerVersion       Version       `json:"ServerVersion,string"` // 1: highest version supported
}

// Command returns CmdLoginResp.
func (*LoginResp) Command() CommandID { return CmdLoginResp }

// AppendBody appends the 21-byte body.
func (p *LoginResp) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendUint32(dst, uint32(p.Status))
	dst = append(dst, p.AuthenticatorServer[:]...)
	return codec.AppendUint8(dst, uint8(p.ServerVersion))
}

func (p *LoginResp) decodeBody(r *codec.Reader, _ Version) {
	p.Status = Status(r.Uint32("Status"))
	copy(p.AuthenticatorServer[:], r.Bytes("AuthenticatorServer", AuthenticatorLen))
	p.ServerVersion = Version(r.Uint8("ServerVersion"))
}

// AuthenticatorClient computes the Login authenticator
// (docs/protocols/smgp30.md §3):
//
//	MD5( clientID | 7 × 0x00 | secret | TimeStamp as 10 ASCII digits )
//
// clientID is hashed as given: the four implementations compared in
// docs/protocols/smgp30.md §3 hash the configured id, not the 8-byte padded
// field.
func AuthenticatorClient(clientID, secret string, ts uint32) [16]byte {
	var id, sec [64]byte
	return codec.LoginDigest(append(id[:0], clientID...), loginZeros, append(sec[:0], secret...), ts)
}

// VerifyAuthenticatorClient checks l.AuthenticatorClient against secret. It
// accepts the digest of the raw ClientID and of the ClientID NUL-padded to
// its 8-byte field (the sources disagree, docs/protocols/README.md §5); for an
// 8-character ClientID both are the same. Comparisons are constant-time.
func VerifyAuthenticatorClient(l *Login, secret string) bool {
	raw := AuthenticatorClient(l.ClientID, secret, l.TimeStamp)
	ok := subtle.ConstantTimeCompare(raw[:], l.AuthenticatorClient[:]) == 1
	if len(l.ClientID) < ClientIDLen {
		var field [ClientIDLen]byte
		copy(field[:], l.ClientID)
		padded := AuthenticatorClient(string(field[:]), secret, l.TimeStamp)
		ok = subtle.ConstantTimeCompare(padded[:], l.AuthenticatorClient[:]) == 1 || ok
	}
	return ok
}

// AuthenticatorServer computes the Login_Resp authenticator
// (docs/protocols/smgp30.md §4):
//
//	MD5( status as 4 bytes big-endian | AuthenticatorClient | secret )
//
// The 4-byte status is SMSGate's form and the one to send; boxtsecond/gosmgp
// hashes 1 byte, which VerifyAuthenticatorServer also accepts. A server
// sends zeros instead when authentication failed.
func AuthenticatorServer(status uint32, authClient [16]byte, secret string) [16]byte {
	var st [4]byte
	var sec [64]byte
	codec.AppendUint32(st[:0], status)
	return codec.ResponseDigest(st[:], authClient[:], append(sec[:0], secret...))
}

// authenticatorServer1 is the 1-byte-status variant (boxtsecond/gosmgp).
func authenticatorServer1(status uint32, authClient [16]byte, secret string) [16]byte {
	var sec [64]byte
	return codec.ResponseDigest([]byte{byte(status)}, authClient[:], append(sec[:0], secret...))
}

// VerifyAuthenticatorServer reports whether r.AuthenticatorServer is the
// answer to authClient under secret, with the status hashed as 4 bytes or as
// 1 byte. docs/protocols/smgp30.md §4 advises clients not to reject a login
// on mismatch: the caller logs a false result rather than closing.
func VerifyAuthenticatorServer(r *LoginResp, authClient [16]byte, secret string) bool {
	four := AuthenticatorServer(uint32(r.Status), authClient, secret)
	one := authenticatorServer1(uint32(r.Status), authClient, secret)
	return subtle.ConstantTimeCompare(four[:], r.AuthenticatorServer[:])|
		subtle.ConstantTimeCompare(one[:], r.AuthenticatorServer[:]) == 1
}
