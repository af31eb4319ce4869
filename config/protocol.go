package config

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/reason"
)

// The configuration names three closed sets that the codec owns: a
// protocol (listeners[].protocol, upstream.protocol, accounts[].protocol:
// sgip, cmpp2, cmpp2.1, cmpp3, smgp, smgp1.3, smpp; json for the JSON socket
// listener and its accounts), a protocol family (the keys
// of results:) and a refusal reason (the keys of results.<family>:). The
// decoder reads them into codec.Protocol, codec.Family and reason.Reason
// here, so that the rest of spsmg never sees their names; what a protocol
// does differently is its codec.Dialect's business (package codec/dialect).

var (
	protocolType = reflect.TypeFor[codec.Protocol]()
	familyType   = reflect.TypeFor[codec.Family]()
	reasonType   = reflect.TypeFor[reason.Reason]()
)

// named reads a scalar into one of the closed sets above; ok is false when
// t is not one of them.
func (d *decoder) named(n *yaml.Node, v reflect.Value, path string) (ok bool) {
	t := v.Type()
	if t != protocolType && t != familyType && t != reasonType {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "want a single value, not %s", kindWords(n))
		return true
	}
	name := n.Value
	switch t {
	case protocolType:
		if name == codec.JSON.String() {
			// The JSON socket listener and its accounts (json.go): no
			// Dialect; upstream.protocol refuses it at validation.
			v.Set(reflect.ValueOf(codec.JSON))
			return true
		}
		dl, err := dialect.Parse(name)
		if err != nil {
			d.typeError(n, path, "%s", err.Error())
			return true
		}
		v.Set(reflect.ValueOf(dl.Protocol()))
	case familyType:
		var names []string
		for _, f := range dialect.Families() {
			if f.String() == name {
				v.Set(reflect.ValueOf(f))
				return true
			}
			names = append(names, f.String())
		}
		// A map key: reported as the unknown keys of a struct are.
		if s := suggest(name, names); s != "" {
			d.typeError(n, path, "unknown key (did you mean %s?)", s)
		} else {
			d.typeError(n, path, "unknown key (known: %s)", strings.Join(names, ", "))
		}
	case reasonType:
		if r, ok := reason.Parse(name); ok && r.Refusal() {
			v.Set(reflect.ValueOf(r))
			return true
		}
		// A misspelt reason would otherwise be ignored and its default
		// kept.
		var names []string
		for _, r := range reason.Refusals() {
			names = append(names, r.String())
		}
		if s := suggest(name, names); s != "" {
			d.typeError(n, path, "unknown refusal reason (did you mean %s?)", s)
		} else {
			d.typeError(n, path, "unknown refusal reason (want one of %s)", strings.Join(names, ", "))
		}
	}
	return true
}

// dialectOf returns p's Dialect, nil when p is missing or not served (its
// problem is reported where p is read).
func dialectOf(p codec.Protocol) codec.Dialect { return dialect.For(p) }

// Dialect is the upstream protocol's codec.Dialect as the configuration
// sets it up (an SMPP LinkID tag); nil when the protocol is not served.
// Every SP speaks it too.
func (u *Upstream) Dialect() codec.Dialect {
	var o dialect.Options
	if u.SMPP != nil {
		o.SMPPLinkIDTag = u.SMPP.LinkIDTag
	}
	d, err := dialect.With(u.Protocol, o)
	if err != nil {
		return nil
	}
	return d
}

// SMPPDialect is SMPP's Dialect with m's LinkID TLV.
func SMPPDialect(m *SMPP) codec.Dialect {
	u := Upstream{Protocol: codec.SMPP34, SMPP: m}
	return u.Dialect()
}

// LoginMode is the codec.LoginMode of smgp_login_mode: 0 send (MT only),
// 1 receive (MO and reports only), 2 transmit (both).
func (u Upstream) LoginMode() codec.LoginMode {
	switch u.SMGPLoginMode {
	case 0:
		return codec.LoginSubmit
	case 1:
		return codec.LoginDeliver
	}
	return codec.LoginBoth
}

// upper names a protocol's family for messages: "SGIP".
func upper(p codec.Protocol) string { return strings.ToUpper(p.Family().String()) }
