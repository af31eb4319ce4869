package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

func TestDemoConfigLoads(t *testing.T) {
	cfg, err := Parse(Demo)
	if err != nil {
		t.Fatalf("demo config: %v", err)
	}
	if cfg.Upstream.Protocol != codec.CMPP30 || len(cfg.Accounts) != 2 || cfg.Accounts[0].ID != "demo-sp" {
		t.Fatalf("unexpected demo config: %+v", cfg)
	}
	if j := cfg.Accounts[1]; j.Protocol != codec.JSON || j.JSON == nil || j.JSON.AppID != "demoshop" || cfg.JSONListener() != "127.0.0.1:7900" {
		t.Fatalf("demo json account and listener: %+v %+v", j, cfg.Listeners)
	}
	if cmpp := cfg.Results[codec.FamilyCMPP]; cmpp[reason.NotSubscribed] != 106 || cmpp[reason.FlowControl] != 8 {
		t.Fatalf("default results not merged: %v", cmpp)
	}
	if u := cfg.Upstream; u.StallProbeAfter != 5*time.Second || u.ProbeTimeout != 5*time.Second || u.MaxTimeouts != 3 {
		t.Fatalf("bind health defaults: %+v", u)
	}
	if a := cfg.HTTP.Admin; a == nil || a.Key != "demo-admin" || len(a.Secret) < MinAdminSecretLen {
		t.Fatalf("demo admin credential: %+v", a)
	}
	if r := cfg.Results; r[codec.FamilyCMPP][reason.AccountSuspended] != 125 || r[codec.FamilySGIP][reason.AccountSuspended] != 125 || r[codec.FamilySMGP][reason.AccountSuspended] != 134 {
		t.Fatalf("account_suspended defaults: %v", r)
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

// smppMinimal is minimal for SMPP; tests append the account's secret.
const smppMinimal = `
listeners: [{protocol: smpp, addr: "127.0.0.1:2775"}]
upstream: {protocol: smpp, addr: "127.0.0.1:12775", login: "901234", secret: s}
accounts:
  - id: a
    login: "900001"
    access_numbers: ["106551"]
`

func TestSMPPConfig(t *testing.T) {
	cfg, err := Parse([]byte(strings.Replace(smppMinimal, "secret: s}", "secret: s, smpp: {linkid_tag: 0x1401}}", 1) +
		"    secret: eight-ch\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Upstream.Dialect()
	if d == nil || d.Protocol() != codec.SMPP34 || d.LinkIDWidth() != 20 || cfg.Upstream.ResponseTimeout != time.Minute {
		t.Fatalf("dialect %v, LinkID width %d, response timeout %v", d, d.LinkIDWidth(), cfg.Upstream.ResponseTimeout)
	}
	// Refusals take SMPP's table; results.smpp overrides it.
	if r := cfg.Results[codec.FamilySMPP]; r[reason.NotSubscribed] != 0x046A || r[reason.FlowControl] != 0x58 {
		t.Fatalf("results: %v", r)
	}
	cfg, err = Parse([]byte(smppMinimal + "    secret: x\nresults: {smpp: {not_subscribed: 0x0401}}\n"))
	if err != nil || cfg.Results[codec.FamilySMPP][reason.NotSubscribed] != 0x0401 || cfg.Upstream.Dialect().LinkIDWidth() != 0 {
		t.Fatalf("results.smpp: %v, %v", cfg.Results[codec.FamilySMPP], err)
	}
}

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
		{"unknown key", minimal + "bogus: 1\n", "line 9: bogus: unknown key (known: node, listeners, upstream"},
		{"unknown key names its path and the nearest key", minimal + "    tsp: 5\n", "line 9: accounts[0].tsp: unknown key (did you mean tps?)"},
		{"unknown results family", minimal + "results: {smpp5: {not_subscribed: 1}}\n", "results.smpp5: unknown key (did you mean smpp?)"},
		{"an SMPP password holds 8", smppMinimal + "    secret: nine-char\n", "accounts[0].secret: 9 bytes; SMPP password holds 8"},
		{"an SMPP upstream password holds 8", strings.Replace(smppMinimal, "secret: s}", "secret: upstream-pw}", 1), "upstream.secret: 11 bytes; SMPP password holds 8"},
		{"an SMPP system_id holds 15", strings.Replace(smppMinimal, `login: "900001"`, `login: "system-id-16-chr"`, 1), `accounts[0].login: "system-id-16-chr" is 16 bytes; SMPP system_id holds 15`},
		{"smpp settings on another protocol", strings.Replace(minimal, "secret: s}", "secret: s, smpp: {linkid_tag: 0x1401}}", 1), "upstream.smpp: only an SMPP upstream has it; upstream.protocol is cmpp3"},
		{"an SMPP LinkID tag outside the vendor range", strings.Replace(smppMinimal, "secret: s}", "secret: s, smpp: {linkid_tag: 0x0424}}", 1), "upstream.smpp.linkid_tag: 0x0424 is outside the vendor range 0x1400–0x3FFF"},
		{"an SMPP LinkID tag of three bytes", strings.Replace(smppMinimal, "secret: s}", "secret: s, smpp: {linkid_tag: 0x14000}}", 1), "upstream.smpp.linkid_tag"},
		{"misspelt result reason", minimal + "results: {cmpp: {not_subscribd: 120}}\n", "line 9: results.cmpp.not_subscribd: unknown refusal reason (did you mean not_subscribed?)"},
		{"allow reason is not a refusal", minimal + "results: {sgip: {exempt: 1}}\n", "results.sgip.exempt: unknown refusal reason (want one of not_subscribed, "},
		{"not a number", minimal + "    tps: fast\n", `line 9: accounts[0].tps: "fast" is not a number`},
		{"quoted number", minimal + "    tps: \"500\"\n", `accounts[0].tps: "500" is a string, not a number (drop the quotes)`},
		{"fraction", minimal + "    window: 1.5\n", `accounts[0].window: 1.5 is not a whole number`},
		{"number too wide", strings.Replace(minimal, "secret: s}", "secret: s, smgp_login_mode: 300}", 1), "upstream.smgp_login_mode: 300 is outside 0–255"},
		{"negative unsigned", minimal + "node: {sgip_node_id: -1}\n", "node.sgip_node_id: -1 is outside 0–4294967295"},
		{"number for a duration", strings.Replace(minimal, "secret: s}", "secret: s, response_timeout: 10}", 1), "line 3: upstream.response_timeout: 10 is not a duration (write 10s)"},
		{"bad duration", minimal + "gateway: {login_timeout: soon}\n", `gateway.login_timeout: "soon" is not a duration (e.g. 10s, 500ms, 5m, 1h30m)`},
		{"not a boolean", minimal + "store: {sync_writes: maybe}\n", `store.sync_writes: "maybe" is not true or false`},
		{"list for a mapping", minimal + "http: [a]\n", "http: want a mapping of keys, not a list"},
		{"mapping for a string", minimal + "log: {level: {a: 1}}\n", "log.level: want a string, not a mapping"},
		{"mapping for a list", strings.Replace(minimal, `access_numbers: ["106551"]`, "access_numbers: {a: 1}", 1), "accounts[0].access_numbers: want a list, not a mapping"},
		{"key given twice", minimal + "    tps: 5\n    tps: 6\n", "line 10: accounts[0].tps: given twice (first on line 9)"},
		{"YAML syntax", minimal + "  - id: [\n", "YAML syntax: "},
		{"second document", minimal + "---\nlog: {level: info}\n", "line 9: a second YAML document"},
		{"listener address without port", strings.Replace(minimal, `"127.0.0.1:7890"`, `"7890"`, 1), `listeners[0].addr: "7890" is not host:port`},
		{"listener port out of range", strings.Replace(minimal, `"127.0.0.1:7890"`, `"127.0.0.1:78900"`, 1), `listeners[0].addr: "127.0.0.1:78900": port 78900 is outside 0–65535`},
		{"listener port by name", strings.Replace(minimal, `"127.0.0.1:7890"`, `"127.0.0.1:cmpp"`, 1), `listeners[0].addr: "127.0.0.1:cmpp": port "cmpp" is not a number`},
		{"listener port missing", strings.Replace(minimal, `"127.0.0.1:7890"`, `"127.0.0.1:"`, 1), `listeners[0].addr: "127.0.0.1:": port "" is not a number`},
		{"listener host not an address", strings.Replace(minimal, `"127.0.0.1:7890"`, `"127.0.0.300:7890"`, 1), `listeners[0].addr: "127.0.0.300:7890": "127.0.0.300" is not an IP address or host name`},
		{"http address", minimal + "http: {addr: \"localhost:80:80\"}\n", `http.addr: "localhost:80:80" is not host:port`},
		{"unknown log level", minimal + "log: {level: verbose}\n", `log.level: "verbose" is not a level (want debug, info, warn or error)`},
		{"unknown log format", minimal + "log: {format: xml}\n", `log.format: "xml" is not a format (want text or json)`},
		{"duplicate app key", minimal + "    api: {app_key: k, app_secret: s1}\n  - {id: b, login: \"900002\", secret: x, access_numbers: [\"106552\"], api: {app_key: k, app_secret: s2}}\n",
			`line 10: accounts[1].api.app_key: "k" already used by accounts[0]`},
		{"unknown protocol", strings.Replace(minimal, "protocol: cmpp3, addr: \"127.0.0.1:7890\"", "protocol: cmpp4, addr: \"127.0.0.1:7890\"", 1), `line 2: listeners[0].protocol: unknown protocol "cmpp4"`},
		{"two SP protocols, an account that does not say", strings.Replace(minimal, `listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]`, `listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}, {protocol: smpp, addr: "127.0.0.1:7891"}]`, 1),
			"line 5: accounts[0].protocol: required: the SP listeners speak cmpp3, smpp"},
		{"account of a protocol no listener speaks", strings.Replace(minimal, "    login: \"900001\"", "    protocol: cmpp2\n    login: \"900001\"", 1),
			"accounts[0].protocol: cmpp2 has no SP listener (listeners speak cmpp3)"},
		{"smpp section on a CMPP listener", strings.Replace(minimal, `addr: "127.0.0.1:7890"}`, `addr: "127.0.0.1:7890", smpp: {linkid_tag: 0x1401}}`, 1),
			"listeners[0].smpp: only an SMPP listener has it; listeners[0].protocol is cmpp3"},
		{"an SMPP listener's LinkID tag outside the vendor range", strings.Replace(minimal, `{protocol: cmpp3, addr: "127.0.0.1:7890"}`, `{protocol: smpp, addr: "127.0.0.1:7890", smpp: {linkid_tag: 0x0424}}`, 1),
			"listeners[0].smpp.linkid_tag: 0x0424 is outside the vendor range 0x1400–0x3FFF"},
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
		{"unknown admin key", minimal + "http: {admin: {key: ops, secret: 0123456789abcdef, token: x}}\n", "http.admin.token: unknown key"},
		{"zero suspension code", minimal + "results: {smgp: {account_suspended: 0}}\n", "results.smgp.account_suspended: 0 means success"},
		{"prelogin cap below 1", minimal + "gateway: {max_prelogin_per_ip: -1}\n", "gateway.max_prelogin_per_ip: -1: at least 1"},
		{"SGIP needs inbound", strings.ReplaceAll(minimal, "cmpp3", "sgip"), "upstream.inbound: SGIP needs a listener"},
		{"SGIP account needs receiver", strings.ReplaceAll(minimal, "cmpp3", "sgip"), "accounts[0].receiver: an SGIP SP needs receiver.addr"},
		{"access number not digits", strings.Replace(minimal, `"106551"`, `"10655x"`, 1), `accounts[0].access_numbers[0]: "10655x" is not a number`},
		{"long SMS TTL", minimal + "authorization: {long_sms_ttl: 10ms}\n", "authorization.long_sms_ttl: 10ms is under a second"},
		{"pending repeat window", minimal + "authorization: {pending_repeat_window: 500ms}\n", "authorization.pending_repeat_window: 500ms is under a second"},
		{"long SMS capacity", minimal + "authorization: {long_sms_capacity: -1}\n", "authorization.long_sms_capacity: -1 outside 1–16777216"},
		{"unknown store backend", minimal + "store: {backend: etcd}\n", `store.backend: "etcd": want badger or redis`},
		{"redis needs addresses", minimal + "store: {backend: redis}\n", "store.redis.addrs: at least one cluster node"},
		{"redis address", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1\"]}}\n", `store.redis.addrs[0]: "10.0.0.1" is not host:port`},
		{"redis key prefix", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], key_prefix: \"a{b}\"}}\n", `store.redis.key_prefix: "a{b}": '{' and '}' are reserved`},
		{"redis wait replicas", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], wait_replicas: -1}}\n", "store.redis.wait_replicas: -1 outside 0–16"},
		{"redis wait timeout", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], wait_timeout: 6s, timeout: 5s}}\n", "store.redis.wait_timeout: 6s is not shorter than store.redis.timeout 5s"},
		{"redis tls files", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], tls: {ca: /nonexistent/ca.pem}}}\n", "store.redis.tls: ca: open /nonexistent/ca.pem"},
		{"redis tls cert without key", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], tls: {cert: c.pem}}}\n", "store.redis.tls: cert and key go together"},
		{"redis node id", minimal + "store: {backend: redis, redis: {addrs: [\"10.0.0.1:6379\"], node_id: \"gw a\"}}\n", `store.redis.node_id: "gw a": up to 200 printable ASCII characters without spaces`},
		{"route cache below its minimum", minimal + "authorization: {route_cache_bytes: 1000}\n", "authorization.route_cache_bytes: 1000 is below the minimum 1048576 (1 MiB)"},
		{"negative probe time", strings.Replace(minimal, "secret: s}", "secret: s, stall_probe_after: -5s}", 1), "upstream.stall_probe_after: -5s is negative"},
		{"max_timeouts below 1", strings.Replace(minimal, "secret: s}", "secret: s, max_timeouts: -1}", 1), "upstream.max_timeouts: -1 outside 1–65536"},
		{"translate corp_id too long for CMPP", strings.Replace(minimal, "secret: s}", "secret: s, translate: {corp_id: \"1234567\"}}", 1),
			`upstream.translate.corp_id: "1234567" is 7 bytes; CMPP holds 6`},
		{"translate corp_id toward SMGP", strings.ReplaceAll(strings.Replace(minimal, "secret: s}", "secret: s, translate: {corp_id: \"12345\"}}", 1), "cmpp3", "smgp"),
			"upstream.translate.corp_id: SMGP Submits have no corporation field"},
		{"translate fee type", strings.Replace(minimal, "secret: s}", "secret: s, translate: {fee_type: daily}}", 1),
			`upstream.translate.fee_type: "daily" is not a fee type (want free, per_message, monthly, capped, by_sp)`},
		{"translate fee code too large", strings.Replace(minimal, "secret: s}", "secret: s, translate: {fee_type: per_message, fee_code: 1000000}}", 1),
			"upstream.translate.fee_code: 1000000 outside 0–999999 fen"},
		{"translate fee code of a free MT", strings.Replace(minimal, "secret: s}", "secret: s, translate: {fee_code: 10}}", 1),
			"upstream.translate.fee_code: 10 with a free fee_type: set fee_type"},
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

// TestNamesAreReadIntoCodecTypes: the file's names become codec.Protocol,
// codec.Family and reason.Reason values, and a results entry overrides its
// family's default in the table the gateway uses.
func TestNamesAreReadIntoCodecTypes(t *testing.T) {
	file := strings.ReplaceAll(minimal, "cmpp3", "cmpp2.1") + "results: {cmpp: {not_subscribed: 120}, smgp: {flow_control: 75}}\n"
	cfg, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Upstream.Protocol != codec.CMPP21 || cfg.Listeners[0].Protocol != codec.CMPP21 || cfg.Accounts[0].Protocol != codec.CMPP21 {
		t.Errorf("protocols %v %v %v, want cmpp2.1", cfg.Upstream.Protocol, cfg.Listeners[0].Protocol, cfg.Accounts[0].Protocol)
	}
	cmpp := cfg.Results.Table(codec.FamilyCMPP)
	if cmpp.Result(reason.NotSubscribed) != 120 || cmpp.Result(reason.LinkIDUnknown) != 107 {
		t.Errorf("cmpp table: not_subscribed %d (want the file's 120), linkid_unknown %d (want the default 107)",
			cmpp.Result(reason.NotSubscribed), cmpp.Result(reason.LinkIDUnknown))
	}
	if got := cfg.Results.Table(codec.FamilySMGP).Result(reason.FlowControl); got != 75 {
		t.Errorf("smgp flow_control %d, want 75", got)
	}
	if got := cfg.Results.Table(codec.FamilySGIP).Result(reason.NotSubscribed); got != 106 {
		t.Errorf("sgip not_subscribed %d, want the default 106", got)
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

// TestLoadReportsEveryProblemInOnePass: five different mistakes — an
// unknown key, a value of the wrong type, a misspelt result reason, an
// unknown log level and a semantic one (a duplicate API key) — come out
// together, one per line, in file order, each with file, line and path.
func TestLoadReportsEveryProblemInOnePass(t *testing.T) {
	const file = `listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
results:
  cmpp: {not_subscribd: 120}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"], api: {app_key: k, app_secret: s}}
  - id: b
    login: "900002"
    secret: x
    access_numbers: ["106552"]
    tps: fast
    tsp: 5
    api: {app_key: k, app_secret: t}
log: {level: verbose}
`
	path := filepath.Join(t.TempDir(), "spsmg.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *config.Error", err, err)
	}
	want := []string{
		path + `:4: results.cmpp.not_subscribd: unknown refusal reason (did you mean not_subscribed?)`,
		path + `:11: accounts[1].tps: "fast" is not a number`,
		path + `:12: accounts[1].tsp: unknown key (did you mean tps?)`,
		path + `:13: accounts[1].api.app_key: "k" already used by accounts[0]`,
		path + `:14: log.level: "verbose" is not a level (want debug, info, warn or error)`,
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMissingKeyPointsAtItsParent: a required key the file leaves out is
// reported on the line of the section that should hold it.
func TestMissingKeyPointsAtItsParent(t *testing.T) {
	_, err := Parse([]byte(strings.ReplaceAll(minimal, "cmpp3", "sgip")))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	lines := map[string]int{}
	for _, p := range e.Problems {
		lines[p.Path] = p.Line
	}
	if lines["upstream.inbound"] != 3 || lines["accounts[0].receiver"] != 5 {
		t.Fatalf("lines %v, want upstream.inbound on 3 (upstream) and accounts[0].receiver on 5 (accounts[0])", lines)
	}
	_, err = Parse([]byte("log: {level: info}\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "listeners: at least one SP listener is required") {
		t.Fatalf("a key missing at the top level comes first, without a line: %v", err)
	}
}

// TestTypeErrorIsReportedOnce: a value that could not be read is not
// reported again by the checks that see the zero value it left (an
// unknown upstream protocol would otherwise repeat for every listener and
// account that defaults to it).
func TestTypeErrorIsReportedOnce(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(minimal, "upstream: {protocol: cmpp3", "upstream: {protocol: cmpp9", 1)))
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].Path != "upstream.protocol" {
		t.Fatalf("err = %v, want one problem at upstream.protocol", err)
	}
	_, err = Parse([]byte(minimal + "upstream: 5\n"))
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	for _, p := range e.Problems {
		if strings.HasPrefix(p.Path, "upstream.") {
			t.Errorf("reported under a section that could not be read: %v", p)
		}
	}
}

// TestAnchorsAndMergeKeys: YAML's own ways of sharing values still work.
func TestAnchorsAndMergeKeys(t *testing.T) {
	cfg, err := Parse([]byte(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts:
  - &base {id: a, login: "900001", secret: x, access_numbers: &nums ["106551"], tps: 77, allow_ips: [10.0.0.0/8]}
  - <<: *base
    id: b
    login: "900002"
  - {id: c, login: "900003", secret: y, access_numbers: *nums}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, c := cfg.Accounts[1], cfg.Accounts[2]
	if b.ID != "b" || b.Login != "900002" || b.TPS != 77 || b.Secret != "x" || len(b.AllowIPs) != 1 || c.AccessNumbers[0] != "106551" {
		t.Fatalf("b %+v, c %+v", b, c)
	}
}

// TestAliasExpansionIsBounded: a small file whose aliases expand to
// millions of values is refused quickly instead of eating memory.
func TestAliasExpansionIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal + "    allow_ips: &ips [")
	for i := 0; i < 300; i++ {
		b.WriteString("10.0.0.1, ")
	}
	b.WriteString("10.0.0.1]\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "  - {id: a%d, login: \"%d\", secret: x, access_numbers: [\"1\"], allow_ips: *ips}\n", i, 100000+i)
	}
	_, err := Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("err = %.300v", err)
	}
	_, err = Parse([]byte(minimal + "    api: &self {<<: *self}\n"))
	if err == nil || !strings.Contains(err.Error(), "accounts[0].api: alias *self is inside its own anchor") {
		t.Fatalf("an anchor merged into itself: %v", err)
	}
}

// TestDefaultResultsNameEveryRefusal: a loaded file has a code for every
// refusal in every family spsmg serves, the Dialect's default.
func TestDefaultResultsNameEveryRefusal(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultResults()
	for _, f := range []codec.Family{codec.FamilySGIP, codec.FamilyCMPP, codec.FamilySMGP} {
		if len(def[f]) != len(reason.Refusals()) || len(cfg.Results[f]) != len(reason.Refusals()) {
			t.Errorf("%s: %d defaults, %d loaded, want %d", f, len(def[f]), len(cfg.Results[f]), len(reason.Refusals()))
		}
		for _, r := range reason.Refusals() {
			if def[f][r] == 0 || cfg.Results[f][r] != def[f][r] {
				t.Errorf("%s %s: default %d, loaded %d", f, r, def[f][r], cfg.Results[f][r])
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"tsp", "tps"}, {"not_subscribd", "not_subscribed"}, {"windwo", "window"}, {"acount", ""}, {"xyz", ""},
	} {
		if got := suggest(c.in, []string{"tps", "window", "not_subscribed", "id"}); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.in, got, c.want)
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

// TestSMPPExampleLoads: config/smpp.yaml, the README's SMPP deployment,
// loads as written, with its LinkID TLV and SMPP's refusal table.
func TestSMPPExampleLoads(t *testing.T) {
	b, err := os.ReadFile("smpp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(b)
	if err != nil {
		t.Fatalf("config/smpp.yaml: %v", err)
	}
	if cfg.Listeners[0].Protocol != codec.SMPP34 || cfg.Upstream.Protocol != codec.SMPP34 || cfg.Upstream.SMPP == nil || cfg.Upstream.SMPP.LinkIDTag != 0x1401 {
		t.Fatalf("config/smpp.yaml: %+v, %+v", cfg.Listeners, cfg.Upstream)
	}
	if d := cfg.Upstream.Dialect(); d == nil || d.LinkIDWidth() != 20 {
		t.Fatalf("the upstream's Dialect carries no LinkID: %v", d)
	}
	if r := cfg.Results[codec.FamilySMPP]; r[reason.NotSubscribed] != 0x046A {
		t.Fatalf("SMPP refusals: %v", r)
	}
}

// TestTranslatedPairLoads: an SP protocol other than the upstream's is a
// translated pair, no longer refused; accounts default to the SP
// listeners' protocol, and an SMPP listener may name its LinkID TLV.
func TestTranslatedPairLoads(t *testing.T) {
	src := strings.Replace(strings.Replace(minimal, "upstream: {protocol: cmpp3", "upstream: {protocol: smgp", 1),
		`listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]`, `listeners: [{protocol: smpp, addr: "127.0.0.1:7890", smpp: {linkid_tag: 0x1401}}]`, 1)
	src = strings.Replace(src, `secret: x`, `secret: xsecret`, 1)
	cfg, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Accounts[0].Protocol; got != codec.SMPP34 {
		t.Errorf("account protocol %s, want the listener's smpp", got)
	}
	if m := cfg.Listeners[0].SMPP; m == nil || m.LinkIDTag != 0x1401 {
		t.Errorf("listeners[0].smpp = %+v", m)
	}
}

// TestSeveralSPProtocolsLoad: one gateway serves SPs of several protocols,
// one listener each; every account names its protocol.
func TestSeveralSPProtocolsLoad(t *testing.T) {
	src := `
listeners:
  - {protocol: cmpp3, addr: "127.0.0.1:7890"}
  - {protocol: smpp, addr: "127.0.0.1:2775", smpp: {linkid_tag: 0x1401}}
  - {protocol: smgp, addr: "127.0.0.1:8890"}
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts:
  - {id: a, protocol: cmpp3, login: "900001", secret: x, access_numbers: ["106551"]}
  - {id: b, protocol: smpp, login: smppsp, secret: xsecret, access_numbers: ["106552"]}
  - {id: c, protocol: smgp, login: "900003", secret: x, access_numbers: ["106553"]}
`
	cfg, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []codec.Protocol{codec.CMPP30, codec.SMPP34, codec.SMGP30}
	for i, ac := range cfg.Accounts {
		if ac.Protocol != want[i] {
			t.Errorf("accounts[%d].protocol = %s, want %s", i, ac.Protocol, want[i])
		}
	}
}

// TestUpstreamTranslateLoads: an upstream's translate: section is read
// into the corporation code and the fee its translated MTs get.
func TestUpstreamTranslateLoads(t *testing.T) {
	cfg, err := Parse([]byte(strings.Replace(minimal, "secret: s}", "secret: s, translate: {corp_id: \"901234\", fee_type: per_message, fee_code: 10}}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	tr := cfg.Upstreams()[0].Translate
	if tr.Corp() != "901234" || tr.Fee() != (codec.Fee{Type: codec.FeePerMessage, Code: 10}) {
		t.Errorf("translate %+v: corp %q fee %+v", tr, tr.Corp(), tr.Fee())
	}
	var none *UpstreamTranslate
	if none.Corp() != "" || none.Fee() != (codec.Fee{}) {
		t.Errorf("no translate: section: corp %q fee %+v, want none and free", none.Corp(), none.Fee())
	}
}
