package config

import "testing"

// FuzzParse: no configuration file, however broken, panics the loader;
// what it accepts validates.
func FuzzParse(f *testing.F) {
	f.Add(Demo)
	f.Add([]byte(minimal))
	f.Add([]byte("listeners: [{protocol: sgip, addr: ':1'}]\nupstream: {protocol: sgip}"))
	f.Add([]byte("accounts: [{id: a, window: -1}]"))
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
