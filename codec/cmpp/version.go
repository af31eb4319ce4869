package cmpp

import (
	"errors"
	"strconv"
)

// Version is the protocol version byte of CMPP_CONNECT and CMPP_CONNECT_RESP:
// high nibble major, low nibble minor (docs/protocols/cmpp.md §4).
type Version uint8

// The versions in the protocol file (§4).
const (
	V20 Version = 0x20 // CMPP 2.0
	V21 Version = 0x21 // CMPP 2.1, same layout as 2.0
	V30 Version = 0x30 // CMPP 3.0
)

// Family is a wire layout: the 2.x family (0x20, 0x21) or the 3.0 family
// (0x30). The zero Family means "not set" where a struct field has one
// (ConnectResp.Layout): the layout then follows the Version the PDU is
// appended with.
type Family uint8

const (
	Family2x Family = 2 // 21-byte terminal ids, Reserve 8, 1-byte results
	Family30 Family = 3 // 32-byte terminal ids + type bytes, LinkID 20, 4-byte results
)

// Family tells the layout family of v: major version 3 and above use the 3.0
// layout, everything below (including an unset 0) the 2.x layout.
func (v Version) Family() Family {
	if v >= 0x30 {
		return Family30
	}
	return Family2x
}

// Is30 reports whether v uses the 3.0 layout.
func (v Version) Is30() bool { return v.Family() == Family30 }

// String renders v as "cmpp<major>.<minor>", e.g. "cmpp2.0", "cmpp3.0".
func (v Version) String() string {
	const digits = "0123456789abcdef"
	return string([]byte{'c', 'm', 'p', 'p', digits[v>>4], '.', digits[v&0xf]})
}

// MarshalText renders v as String does, so that JSON shows "cmpp2.1".
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses "cmpp2.1" (or a bare number such as "33" or "0x21").
func (v *Version) UnmarshalText(b []byte) error {
	s := string(b)
	if len(s) == 7 && s[:4] == "cmpp" && s[5] == '.' {
		hi, err1 := strconv.ParseUint(s[4:5], 16, 8)
		lo, err2 := strconv.ParseUint(s[6:7], 16, 8)
		if err1 == nil && err2 == nil {
			*v = Version(hi<<4 | lo)
			return nil
		}
	}
	n, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return errors.New("cmpp: bad version " + strconv.Quote(s))
	}
	*v = Version(n)
	return nil
}

// String names the family after its first version: "cmpp2" or "cmpp3"
// (used as the protocol prefix in error messages).
func (f Family) String() string {
	if f == Family30 {
		return "cmpp3"
	}
	return "cmpp2"
}

// TerminalIDLen is the width of Dest_terminal_Id, Fee_terminal_Id and
// Src_terminal_Id: 21 bytes in 2.x, 32 in 3.0 (§7.3).
func (f Family) TerminalIDLen() int {
	if f == Family30 {
		return 32
	}
	return 21
}

// LinkIDLen is the width of the Submit/Deliver trailer: Reserve 8 in 2.x
// (where deployments carry an ≤ 8-char LinkID), LinkID 20 in 3.0 (§10).
func (f Family) LinkIDLen() int {
	if f == Family30 {
		return 20
	}
	return 8
}

// ResultLen is the width of Connect_Resp Status, Submit_Resp and
// Deliver_Resp Result and Cancel_Resp Success_Id: 1 byte in 2.x, 4 in 3.0.
func (f Family) ResultLen() int {
	if f == Family30 {
		return 4
	}
	return 1
}

// appendResult appends a status/result field in the width of f. In 2.x only
// the low byte is sent: every defined code, the vendor range 100–199
// included, fits.
func appendResult(dst []byte, f Family, v uint32) []byte {
	if f == Family30 {
		return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, byte(v))
}
