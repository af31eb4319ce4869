package smgp

import "github.com/spsmg/spsmg/codec"

// Version is the protocol version an account speaks, in the Login
// ClientVersion encoding: high nibble major, low nibble minor
// (docs/protocols/smgp30.md §3). It selects the Submit layout and nothing
// else (§13): the proxy takes it from the account's configuration, never from
// guessing.
type Version uint8

const (
	// V30 is SMGP 3.0 (ClientVersion 0x30), the layout of
	// docs/protocols/smgp30.md.
	V30 Version = 0x30

	// V13 is the 0x13 layout some gateways still use (SMSGate supports it):
	// identical to 3.0 except that Submit has no FixedFee field (6 bytes
	// shorter, docs/protocols/smgp30.md §13, vector V7). TLVs may still follow.
	V13 Version = 0x13
)

// hasFixedFee reports whether the Submit layout of v carries FixedFee. Every
// version other than V13 uses the 3.0 layout.
func (v Version) hasFixedFee() bool { return v != V13 }

// String renders the version as "major.minor" from its nibbles ("3.0", "1.3").
func (v Version) String() string {
	hi, lo := byte(v>>4), byte(v&0x0f)
	if hi > 9 || lo > 9 {
		return codec.Hex32(uint32(v))
	}
	return string([]byte{'0' + hi, '.', '0' + lo})
}
