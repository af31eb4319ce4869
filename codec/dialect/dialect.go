// Package dialect is the one list of the protocols spsmg speaks: a
// codec.Dialect per protocol version it serves, and a codec.Wire per
// protocol it can decode (every Dialect, and those spsmg decodes without
// serving, none at present). Package codec defines the interfaces but
// cannot import the protocol packages that implement them; this package
// can.
//
// Everything that needs "which protocol" goes through here: the
// configuration parses names with Parse, the gateway and the simulators
// take their Dialect from For, the decode tool looks Wires up by name.
//
// To add a protocol: a codec.Protocol constant (codec/protocol.go), a
// codec/<name> package with its Dialect (or only its Wire, to decode it),
// and one line in dialects (or wires) below.
package dialect

import (
	"fmt"
	"slices"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// dialects are the protocols spsmg serves, in the order names are listed
// to people.
var dialects = [...]codec.Dialect{
	sgip.Dialect{},
	cmpp.NewDialect(cmpp.V20),
	cmpp.NewDialect(cmpp.V21),
	cmpp.NewDialect(cmpp.V30),
	smgp.NewDialect(smgp.V30),
	smgp.NewDialect(smgp.V13),
	smpp.NewDialect(smpp.Options{}),
}

// wires are the protocols that can only be decoded.
var wires = [...]codec.Wire{}

// Options are the deployment's choices a protocol leaves open, which some
// Dialects depend on (the configuration's upstream.smpp). The zero value
// is every Dialect as For returns it.
type Options struct {
	// SMPPLinkIDTag is the vendor TLV an SMPP LinkID travels in
	// (smpp.Options.LinkIDTag); 0: SMPP carries none.
	SMPPLinkIDTag uint16
}

// With returns the Dialect of p configured with o (For(p) for the zero
// Options), or an error when spsmg does not serve p or o sets what p does
// not use (a LinkID tag for another protocol than SMPP).
func With(p codec.Protocol, o Options) (codec.Dialect, error) {
	d := For(p)
	if d == nil {
		return nil, fmt.Errorf("unknown protocol %q (want one of %v)", p, Protocols())
	}
	if o.SMPPLinkIDTag == 0 {
		return d, nil
	}
	if _, ok := d.(smpp.Dialect); !ok {
		return nil, fmt.Errorf("a LinkID TLV tag is an SMPP setting; %s has its own LinkID field", p)
	}
	return smpp.NewDialect(smpp.Options{LinkIDTag: smpp.Tag(o.SMPPLinkIDTag)}), nil
}

// All returns every Dialect, in the order names are listed to people.
func All() []codec.Dialect { return dialects[:] }

// For returns the Dialect of p, nil when spsmg does not serve p.
func For(p codec.Protocol) codec.Dialect {
	for _, d := range dialects {
		if d.Protocol() == p {
			return d
		}
	}
	return nil
}

// Parse returns the Dialect named name (a codec.Protocol's String), or an
// error naming the choices.
func Parse(name string) (codec.Dialect, error) {
	if p, ok := codec.ParseProtocol(name); ok {
		if d := For(p); d != nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown protocol %q (want one of %v)", name, Protocols())
}

// Protocols lists the protocols spsmg serves, for messages.
func Protocols() []codec.Protocol {
	ps := make([]codec.Protocol, len(dialects))
	for i, d := range dialects {
		ps[i] = d.Protocol()
	}
	return ps
}

// Wires returns a Wire for every protocol spsmg can decode: each Dialect,
// then the protocols it does not serve.
func Wires() []codec.Wire {
	ws := make([]codec.Wire, 0, len(dialects)+len(wires))
	for _, d := range dialects {
		ws = append(ws, d)
	}
	return append(ws, wires[:]...)
}

// ParseWire returns the Wire named name, or an error naming the choices.
func ParseWire(name string) (codec.Wire, error) {
	ws := Wires()
	names := make([]codec.Protocol, len(ws))
	for i, w := range ws {
		if w.Protocol().String() == name {
			return w, nil
		}
		names[i] = w.Protocol()
	}
	return nil, fmt.Errorf("unknown protocol %q (want one of %v)", name, names)
}

// Families lists the families spsmg serves, each once, in the order of
// All: the keys of the configuration's results table.
func Families() []codec.Family {
	var fs []codec.Family
	for _, d := range dialects {
		if f := d.Protocol().Family(); !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	return fs
}

// FamilyResults returns the default result table of family f, which its
// versions share, and the largest code every one of its versions can carry
// (CMPP: 255, the 1-byte Result of 2.x). ok is false for a family spsmg
// does not serve.
func FamilyResults(f codec.Family) (t codec.ResultTable, max uint32, ok bool) {
	for _, d := range dialects {
		if d.Protocol().Family() != f {
			continue
		}
		if !ok {
			t, max, ok = d.DefaultResults(), d.MaxResult(), true
		}
		max = min(max, d.MaxResult())
	}
	return t, max, ok
}
