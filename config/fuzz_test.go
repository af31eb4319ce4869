package config

import "testing"

// FuzzParse: no configuration file, however broken, panics the loader;
// what it accepts validates.
func FuzzParse(f *testing.F) {
	f.Add(Demo)
	f.Add([]byte(minimal))
	f.Add([]byte("listeners: [{protocol: sgip, addr: ':1'}]\nupstream: {protocol: sgip}"))
	f.Add([]byte("accounts: [{id: a, window: -1}]"))
	// One of each kind of mistake the decoder names.
	f.Add([]byte(minimal + "    tps: fast\n    tsp: 5\n    window: 1.5\nresults: {cmpp: {not_subscribd: 120}, smpp: {}}\nlog: {level: verbose, format: [x]}\n"))
	f.Add([]byte(minimal + "upstream: {response_timeout: 10, smgp_login_mode: 300}\nstore: {sync_writes: maybe}\nhttp: [a]\n"))
	// Anchors, merge keys, an anchor inside itself, a second document.
	f.Add([]byte(minimal + "  - &b {id: b, login: \"2\", secret: x, access_numbers: &n [\"1\"]}\n  - {<<: *b, id: c, login: \"3\", access_numbers: *n}\n"))
	f.Add([]byte(minimal + "    api: &self {<<: *self}\n---\nlog: {}\n"))
	f.Add([]byte("listeners: [{protocol: cmpp3, addr: \"127.0.0.1:78900\"}, {protocol: cmpp3, addr: \"1.2.3.4.5:1\"}]\n"))
	// Several upstreams: carriers, routes, a range, routing.
	f.Add([]byte(threeCarriers))
	f.Add([]byte(minimal + "upstreams: [{name: a, carrier: cmcc, routes: [\"139\", \"1-\"]}, {name: a}]\nrouting: {default: b, country_code: \"\"}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse(b)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
	})
}
