package codec

// Family is a protocol without its version. Result-code tables are per
// family: the versions of one family answer with the same codes.
type Family uint8

// The families. Adding one: a constant here and a name in familyNames.
const (
	FamilyUnknown Family = iota
	FamilySGIP
	FamilyCMPP
	FamilySMGP
	FamilySMPP
	// FamilyJSON is the JSON socket protocol of merchant systems
	// (codec/jsonsock): no Dialect, no result table.
	FamilyJSON
	numFamilies
)

var familyNames = [numFamilies]string{"", "sgip", "cmpp", "smgp", "smpp", "json"}

// String returns the lower-case name the configuration's results: table
// uses ("sgip", "cmpp", "smgp", "smpp"); "" for FamilyUnknown.
func (f Family) String() string {
	if f < numFamilies {
		return familyNames[f]
	}
	return ""
}

// ParseFamily returns the family named name, and false for an unknown one.
func ParseFamily(name string) (Family, bool) {
	for f := FamilySGIP; f < numFamilies; f++ {
		if familyNames[f] == name {
			return f, true
		}
	}
	return FamilyUnknown, false
}

// Protocol is one protocol version: the identity every part of spsmg uses
// for "which protocol" (configuration, simulators, the decode tool). What
// the protocol does differently lives in its Dialect (package
// codec/dialect lists them), never in switches on Protocol values.
type Protocol uint8

// The protocols. Adding one: a constant here, its name and family in
// protocols, then its Dialect (see the package doc).
const (
	ProtocolUnknown Protocol = iota
	SGIP                     // SGIP 1.2
	CMPP20                   // CMPP 2.0 (Version 0x20)
	CMPP21                   // CMPP 2.1 (Version 0x21): the 2.x layout
	CMPP30                   // CMPP 3.0 (Version 0x30)
	SMGP30                   // SMGP 3.0 (Version 0x30)
	SMGP13                   // SMGP with the 0x13 Submit layout (no FixedFee)
	SMPP34                   // SMPP 3.4
	// JSON is the JSON socket protocol of merchant systems (codec/jsonsock):
	// an SP-facing listener and accounts served by package jsoningress, not
	// by the gateway's event loops; it has no Dialect.
	JSON
	numProtocols
)

var protocols = [numProtocols]struct {
	name   string
	family Family
}{
	ProtocolUnknown: {"", FamilyUnknown},
	SGIP:            {"sgip", FamilySGIP},
	CMPP20:          {"cmpp2", FamilyCMPP},
	CMPP21:          {"cmpp2.1", FamilyCMPP},
	CMPP30:          {"cmpp3", FamilyCMPP},
	SMGP30:          {"smgp", FamilySMGP},
	SMGP13:          {"smgp1.3", FamilySMGP},
	SMPP34:          {"smpp", FamilySMPP},
	JSON:            {"json", FamilyJSON},
}

// String returns the name the configuration and the command lines use
// ("sgip", "cmpp2", "cmpp2.1", "cmpp3", "smgp", "smgp1.3", "smpp", "json"); "" for
// ProtocolUnknown.
func (p Protocol) String() string {
	if p < numProtocols {
		return protocols[p].name
	}
	return ""
}

// Family returns p's family; FamilyUnknown for ProtocolUnknown.
func (p Protocol) Family() Family {
	if p < numProtocols {
		return protocols[p].family
	}
	return FamilyUnknown
}

// ParseProtocol returns the protocol named name (its String), and false for
// an unknown one. Whether spsmg serves it is another question: see
// codec/dialect.
func ParseProtocol(name string) (Protocol, bool) {
	for p := SGIP; p < numProtocols; p++ {
		if protocols[p].name == name {
			return p, true
		}
	}
	return ProtocolUnknown, false
}

// MarshalText writes the name, so that a Protocol prints as its name in
// JSON and YAML.
func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
