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
	if u := cfg.Upstream; u.StallProbeAfter != 5*time.Second || u.ProbeTimeout != 5*time.Second || u.MaxTimeouts != 3 {
		t.Fatalf("bind health defaults: %+v", u)
	}
	if a := cfg.HTTP.Admin; a == nil || a.Key != "demo-admin" || len(a.Secret) < MinAdminSecretLen {
		t.Fatalf("demo admin credential: %+v", a)
	}
	if cfg.Results.CMPP[ReasonAccountSuspended] != 125 || cfg.Results.SGIP[ReasonAccountSuspended] != 125 || cfg.Results.SMGP[ReasonAccountSuspended] != 133 {
		t.Fatalf("account_suspended defaults: %v %v %v", cfg.Results.CMPP, cfg.Results.SGIP, cfg.Results.SMGP)
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

const sgipLong = `
listeners: [{protocol: sgip, addr: "127.0.0.1:8801"}]
upstream: {protocol: sgip, addr: "127.0.0.1:18801", login: smg, secret: s, inbound: {addr: "127.0.0.1:8802", login: "inbound-login-17b", secret: s}}
accounts:
  - {id: a, login: sp1, secret: x, access_numbers: ["106551"], receiver: {addr: "127.0.0.1:9", login: "receiver-login-18b"}}
`

func TestAdmissionDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Gateway
	if g.MaxPreloginPerIP != DefaultMaxPreloginPerIP || g.LoginFailures != 5 || g.LoginFailuresPerIP != 20 || len(cfg.HTTP.MetricsAllowIPs) != 0 {
		t.Fatalf("defaults: max_prelogin_per_ip %d, login_failures %d, login_failures_per_ip %d, metrics_allow_ips %v",
			g.MaxPreloginPerIP, g.LoginFailures, g.LoginFailuresPerIP, cfg.HTTP.MetricsAllowIPs)
	}
	cfg, err = Parse([]byte(minimal + "gateway: {login_failures: 3}\n"))
	if err != nil || cfg.Gateway.LoginFailuresPerIP != 12 {
		t.Fatalf("login_failures 3: login_failures_per_ip %d (%v), want 4 × 3", cfg.Gateway.LoginFailuresPerIP, err)
	}
}

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
		{"CMPP login too long", strings.Replace(minimal, `login: "900001"`, `login: "9000011"`, 1), `accounts[0].login: "9000011" is 7 bytes; CMPP Source_Addr holds 6`},
		{"CMPP upstream login too long", strings.Replace(minimal, `login: "901234"`, `login: "9012345"`, 1), `upstream.login: "9012345" is 7 bytes; CMPP Source_Addr holds 6`},
		{"SMGP upstream login too long", strings.ReplaceAll(strings.Replace(minimal, `login: "901234"`, `login: "123456789"`, 1), "cmpp3", "smgp"), `upstream.login: "123456789" is 9 bytes; SMGP ClientID holds 8`},
		{"SGIP upstream login too long", strings.ReplaceAll(strings.Replace(minimal, `login: "901234"`, `login: "smg-login-17bytes"`, 1), "cmpp3", "sgip"), `upstream.login: "smg-login-17bytes" is 17 bytes; SGIP Login Name holds 16`},
		{"SGIP inbound login too long", sgipLong, `upstream.inbound.login: "inbound-login-17b" is 17 bytes; SGIP Login Name holds 16`},
		{"SGIP receiver login too long", sgipLong, `accounts[0].receiver.login: "receiver-login-18b" is 18 bytes; SGIP Login Name holds 16`},
		{"bad metrics allow list", minimal + "http: {metrics_allow_ips: [10.0.0.0/33]}\n", `http.metrics_allow_ips[0]: "10.0.0.0/33" is not an IP or CIDR`},
		{"admin without key", minimal + "http: {admin: {secret: 0123456789abcdef}}\n", `http.admin.key: required`},
		{"admin key with a space", minimal + "http: {admin: {key: \"ops one\", secret: 0123456789abcdef}}\n", `http.admin.key: "ops one": at most 128 characters, no spaces`},
		{"admin secret too short", minimal + "http: {admin: {key: ops, secret: short}}\n", `http.admin.secret: 5 bytes: at least 16`},
		{"bad admin allow list", minimal + "http: {admin: {key: ops, secret: 0123456789abcdef, allow_ips: [nope]}}\n", `http.admin.allow_ips[0]: "nope" is not an IP or CIDR`},
		{"unknown admin key", minimal + "http: {admin: {key: ops, secret: 0123456789abcdef, token: x}}\n", "field token not found"},
		{"zero suspension code", minimal + "results: {smgp: {account_suspended: 0}}\n", "results.smgp.account_suspended: 0 means success"},
		{"prelogin cap below 1", minimal + "gateway: {max_prelogin_per_ip: -1}\n", "gateway.max_prelogin_per_ip: -1: at least 1"},
		{"SGIP needs inbound", strings.ReplaceAll(minimal, "cmpp3", "sgip"), "upstream.inbound: SGIP needs a listener"},
		{"SGIP account needs receiver", strings.ReplaceAll(minimal, "cmpp3", "sgip"), "accounts[0].receiver: an SGIP SP needs receiver.addr"},
		{"access number not digits", strings.Replace(minimal, `"106551"`, `"10655x"`, 1), `accounts[0].access_numbers[0]: "10655x" is not a number`},
		{"long SMS TTL", minimal + "authorization: {long_sms_ttl: 10ms}\n", "authorization.long_sms_ttl: 10ms is under a second"},
		{"long SMS capacity", minimal + "authorization: {long_sms_capacity: -1}\n", "authorization.long_sms_capacity: -1 outside 1–16777216"},
		{"unknown store backend", minimal + "store: {backend: etcd}\n", `store.backend: "etcd": want badger or redis`},
		{"redis needs addresses", minimal + "store: {backend: redis}\n", "store.redis.addrs: at least one cluster node"},
		{"redis address", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1\"]}}\n", `store.redis.addrs[0]: "10.0.0.1" is not host:port`},
		{"redis key prefix", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], key_prefix: \"a{b}\"}}\n", `store.redis.key_prefix: "a{b}": '{' and '}' are reserved`},
		{"redis wait replicas", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], wait_replicas: -1}}\n", "store.redis.wait_replicas: -1 outside 0–16"},
		{"redis wait timeout", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], wait_timeout: 6s, timeout: 5s}}\n", "store.redis.wait_timeout: 6s is not shorter than store.redis.timeout 5s"},
		{"redis tls files", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], tls: {ca: /nonexistent/ca.pem}}}\n", "store.redis.tls: ca: open /nonexistent/ca.pem"},
		{"redis tls cert without key", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], tls: {cert: c.pem}}}\n", "store.redis.tls: cert and key go together"},
		{"route cache below its minimum", minimal + "authorization: {route_cache_bytes: 1000}\n", "authorization.route_cache_bytes: 1000 is below the minimum 1048576 (1 MiB)"},
		{"negative probe time", strings.Replace(minimal, "secret: s}", "secret: s, stall_probe_after: -5s}", 1), "upstream.stall_probe_after: -5s is negative"},
		{"max_timeouts below 1", strings.Replace(minimal, "secret: s}", "secret: s, max_timeouts: -1}", 1), "upstream.max_timeouts: -1 outside 1–65536"},
		{"empty", "", "empty configuration"},
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

func TestStoreRedisDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], key_prefix: \"spsmg/\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Store.Redis
	if r.WaitReplicas == nil || *r.WaitReplicas != 1 || r.WaitTimeout != time.Second || r.Timeout != 20*time.Second {
		t.Errorf("defaults: %+v", r)
	}
	cfg, err = Parse([]byte(minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], wait_replicas: 0}}\n"))
	if err != nil || *cfg.Store.Redis.WaitReplicas != 0 {
		t.Errorf("wait_replicas: 0 must stay 0: %v", err)
	}
	if cfg, err := Parse([]byte(minimal)); err != nil || cfg.Store.Backend != StoreBadger {
		t.Errorf("default backend %q, %v", cfg.Store.Backend, err)
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
