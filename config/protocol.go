package config

import (
	"fmt"

	"github.com/spsmg/spsmg/codec"
)

// Protocol names a protocol and its version as the config file spells it.
type Protocol string

// The protocols spsmg speaks on both faces (SPEC §2).
const (
	SGIP   Protocol = "sgip"    // SGIP 1.2
	CMPP20 Protocol = "cmpp2"   // CMPP 2.0 (Version 0x20)
	CMPP21 Protocol = "cmpp2.1" // CMPP 2.1 (Version 0x21): the 2.x layout
	CMPP30 Protocol = "cmpp3"   // CMPP 3.0 (Version 0x30)
	SMGP30 Protocol = "smgp"    // SMGP 3.0 (Version 0x30)
	SMGP13 Protocol = "smgp1.3" // SMGP Submit layout 0x13 (no FixedFee)
)

// Protocols lists the valid values, for error messages.
var Protocols = []Protocol{SGIP, CMPP20, CMPP21, CMPP30, SMGP30, SMGP13}

// Family is the protocol without its version: "sgip", "cmpp" or "smgp".
// Result-code tables are per family.
func (p Protocol) Family() string {
	switch p {
	case SGIP:
		return "sgip"
	case CMPP20, CMPP21, CMPP30:
		return "cmpp"
	case SMGP30, SMGP13:
		return "smgp"
	}
	return ""
}

// Version is the version byte on the wire (Connect Version, Login
// ClientVersion); 0 for SGIP, which has none.
func (p Protocol) Version() uint8 {
	switch p {
	case CMPP20:
		return 0x20
	case CMPP21:
		return 0x21
	case CMPP30, SMGP30:
		return 0x30
	case SMGP13:
		return 0x13
	}
	return 0
}

// Valid reports whether p is one of Protocols.
func (p Protocol) Valid() bool { return p.Family() != "" }

// LinkIDWidth is the size of the slot a LinkID travels in: the 8-byte
// Reserve of SGIP and CMPP 2.x, the 20-byte LinkID of CMPP 3.0 and SMGP.
func (p Protocol) LinkIDWidth() int {
	switch p {
	case SGIP, CMPP20, CMPP21:
		return 8
	}
	return 20
}

// LoginField names the field an account's login travels in and its width
// in bytes: CMPP Source_Addr 6, SMGP ClientID 8, SGIP Login Name 16. A
// longer login would be cut on the wire, and the peer would see another
// name; the config refuses it at load.
func (p Protocol) LoginField() (name string, width int) {
	switch p.Family() {
	case "cmpp":
		return "CMPP Source_Addr", 6
	case "smgp":
		return "SMGP ClientID", 8
	case "sgip":
		return "SGIP Login Name", 16
	}
	return "", 0
}

// UnmarshalText checks the value while the YAML is read.
func (p *Protocol) UnmarshalText(b []byte) error {
	v := Protocol(b)
	if !v.Valid() {
		return fmt.Errorf("unknown protocol %q (want one of %v)", b, Protocols)
	}
	*p = v
	return nil
}

// Codec returns p as a codec.Protocol (ProtocolUnknown when p is not valid).
func (p Protocol) Codec() codec.Protocol {
	q, _ := codec.ParseProtocol(string(p))
	return q
}

// LoginMode is the codec.LoginMode of smgp_login_mode: 0 send (MT only), 1
// receive (MO and reports only), 2 transmit (both).
func (u Upstream) LoginMode() codec.LoginMode {
	switch u.SMGPLoginMode {
	case 0:
		return codec.LoginSubmit
	case 1:
		return codec.LoginDeliver
	}
	return codec.LoginBoth
}
