package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemoConfigLoads(t *testing.T) {
	cfg, err := Parse(Demo)
	if err != nil {
		t.Fatalf("demo config: %v", err)
	}
	if cfg.Upstream.Protocol != CMPP30 || len(cfg.Accounts) != 1 || cfg.Accounts[0].ID != "demo-sp" {
		t.Fatalf("unexpected demo config: %+v", cfg)
	}
	if cfg.Results.CMPP["not_subscribed"] != 106 || cfg.Results.CMPP[ReasonFlowControl] != 8 {
		t.Fatalf("default results not merged: %v", cfg.Results.CMPP)
	}
	if cfg.Authorization.MOLinkIDUses != 5 || cfg.Upstream.ResponseTimeout != 60*time.Second {
		t.Fatalf("defaults: %+v %+v", cfg.Authorization, cfg.Upstream)
	}
}

const minimal = `
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts:
  - id: a
    login: "900001"
    secret: x
    access_numbers: ["106551"]
`

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown key", minimal + "bogus: 1\n", "field bogus not found"},
		{"unknown protocol", strings.Replace(minimal, "protocol: cmpp3, addr: \"127.0.0.1:7890\"", "protocol: cmpp4, addr: \"127.0.0.1:7890\"", 1), `unknown protocol "cmpp4"`},
		{"protocol differs from upstream", strings.Replace(minimal, "upstream: {protocol: cmpp3", "upstream: {protocol: cmpp2", 1), "listeners[0].protocol: cmpp3 differs from upstream.protocol cmpp2"},
		{"bad CIDR names the field", minimal + "    allow_ips: [10.0.0.300]\n", `accounts[0].allow_ips[0]: "10.0.0.300" is not an IP or CIDR`},
		{"zero result code", minimal + "results: {cmpp: {not_subscribed: 0}}\n", "results.cmpp.not_subscribed: 0 means success"},
		{"result too wide", minimal + "results: {sgip: {not_subscribed: 300}}\n", "does not fit the 1-byte result field"},
		{"duplicate login", minimal + "  - {id: b, login: \"900001\", secret: x, access_numbers: [\"106552\"]}\n", `accounts[1].login: "900001" already used by accounts[0]`},
		{"CMPP login too long", strings.Replace(minimal, `login: "900001"`, `login: "9000011"`, 1), "CMPP Source_Addr is 6 characters"},
		{"SGIP needs inbound", strings.ReplaceAll(minimal, "cmpp3", "sgip"), "upstream.inbound: SGIP needs a listener"},
		{"SGIP account needs receiver", strings.ReplaceAll(minimal, "cmpp3", "sgip"), "accounts[0].receiver: an SGIP SP needs receiver.addr"},
		{"access number not digits", strings.Replace(minimal, `"106551"`, `"10655x"`, 1), `accounts[0].access_numbers[0]: "10655x" is not a number`},
		{"empty", "", "empty configuration"},
		{"size without a number", minimal + "store: {min_free_space: lots}\n", `store.min_free_space: "lots" is not a size`},
		{"size with an unknown unit", minimal + "store: {min_free_space: 512M}\n", `store.min_free_space: "512M" is not a size`},
		{"size too large", minimal + "store: {min_free_space: 20000000TiB}\n", `store.min_free_space: "20000000TiB" is too large`},
		{"reserve below the floor", minimal + "store: {min_free_space: 1MiB}\n", `store.min_free_space: "1MiB" is below 32.0 MiB`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestProtocol(t *testing.T) {
	cases := []struct {
		p       Protocol
		family  string
		version uint8
		linkID  int
	}{
		{SGIP, "sgip", 0, 8}, {CMPP20, "cmpp", 0x20, 8}, {CMPP21, "cmpp", 0x21, 8},
		{CMPP30, "cmpp", 0x30, 20}, {SMGP30, "smgp", 0x30, 20}, {SMGP13, "smgp", 0x13, 20},
	}
	for _, c := range cases {
		if c.p.Family() != c.family || c.p.Version() != c.version || c.p.LinkIDWidth() != c.linkID {
			t.Errorf("%s: family %q version %#x linkid %d", c.p, c.p.Family(), c.p.Version(), c.p.LinkIDWidth())
		}
	}
}

func TestLoadWarnsAboutReadableSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spsmg.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	_, warns, err := Load(path)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "chmod 600") {
		t.Fatalf("world-readable: warnings %v, err %v", warns, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, warns, err = Load(path); err != nil || len(warns) != 0 {
		t.Fatalf("0600: warnings %v, err %v", warns, err)
	}
}

func TestParseIPRule(t *testing.T) {
	for s, want := range map[string]string{"127.0.0.1": "127.0.0.1/32", "10.1.2.3/8": "10.0.0.0/8", "::1": "::1/128"} {
		p, err := ParseIPRule(s)
		if err != nil || p.String() != want {
			t.Errorf("ParseIPRule(%q) = %v, %v; want %s", s, p, err, want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for text, want := range map[string]uint64{
		"536870912": 512 << 20, "512MiB": 512 << 20, "512 mib": 512 << 20, "2GB": 2e9, "2 GiB": 2 << 30,
		"64kB": 64000, "1TiB": 1 << 40, "100B": 100, " 40 MB ": 40e6,
	} {
		if got := ByteSize(text).Bytes(); got != want {
			t.Errorf("ByteSize(%q) = %d, want %d", text, got, want)
		}
	}
	for _, bad := range []string{"", "MiB", "1.5GiB", "-1", "12 parsecs", "0x10"} {
		if _, err := ByteSize(bad).parse(); err == nil {
			t.Errorf("ByteSize(%q) parsed", bad)
		}
	}
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Store.MinFreeSpace.Bytes(); got != 512<<20 {
		t.Errorf("default store.min_free_space = %d bytes, want 512 MiB", got)
	}
	cfg, err = Parse([]byte(minimal + "store: {min_free_space: 104857600}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Store.MinFreeSpace.Bytes(); got != 100<<20 {
		t.Errorf("store.min_free_space as a YAML integer = %d", got)
	}
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 512 << 20: "512.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
