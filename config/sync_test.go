package config

import (
	"strings"
	"testing"
	"time"
)

const syncPlatform = `
sync:
  platforms:
    - {id: cmcc, app_id: PRO200805270005, key: ABCD1234, allow_ips: [10.1.2.3], accounts: [a]}
`

func TestSyncDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal + syncPlatform))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Sync.Platforms[0]
	if p.Mode != "cbc" || p.Padding != "pkcs5" || p.IV != "" {
		t.Errorf("platform defaults: %+v", p)
	}
	if cfg.Sync.MaxAge != DefaultSyncMaxAge || cfg.Sync.MaxAhead != DefaultSyncMaxAhead {
		t.Errorf("sync defaults: %+v", cfg.Sync)
	}
	if cfg.Node.TimeZone != "+08:00" || cfg.Reconciliation.FlushInterval != 10*time.Second || cfg.Reconciliation.Retention != 400*24*time.Hour {
		t.Errorf("node %+v, reconciliation %+v", cfg.Node, cfg.Reconciliation)
	}
	if !cfg.hasSecrets() {
		t.Error("a sync key is a secret")
	}
}

func TestSyncRejects(t *testing.T) {
	plat := func(fields string) string {
		return minimal + "sync:\n  platforms:\n    - {id: cmcc, app_id: APP1, key: ABCD1234" + fields + "}\n"
	}
	cases := []struct{ name, yaml, want string }{
		{"short key", strings.Replace(plat(""), "ABCD1234", "ABCD123", 1), "sync.platforms[0].key: a DES key is 8 bytes, got 7"},
		{"mode", plat(", mode: cfb"), `sync.platforms[0].mode: "cfb": want cbc or ecb`},
		{"padding", plat(", padding: iso10126"), `sync.platforms[0].padding: "iso10126": want pkcs5 or zero`},
		{"ecb with iv", plat(", mode: ecb, iv: 12345678"), "sync.platforms[0].iv: ecb takes no IV"},
		{"short iv", plat(", iv: 1234"), "sync.platforms[0].iv: a DES IV is 8 bytes, got 4"},
		{"bad ip", plat(", allow_ips: [10.0.0.300]"), `sync.platforms[0].allow_ips[0]: "10.0.0.300" is not an IP or CIDR`},
		{"unknown account", plat(", accounts: [nobody]"), `sync.platforms[0].accounts[0]: "nobody" is not an account id`},
		{"missing app id", strings.Replace(plat(""), "app_id: APP1, ", "", 1), "sync.platforms[0].app_id: 1–64 characters required"},
		{"duplicate app id", plat("") + "    - {id: other, app_id: APP1, key: ABCD1234}\n", `sync.platforms[1].app_id: "APP1" already used by sync.platforms[0]`},
		{"duplicate id", plat("") + "    - {id: cmcc, app_id: APP2, key: ABCD1234}\n", `sync.platforms[1].id: "cmcc" already used by sync.platforms[0]`},
		{"max age", minimal + "sync: {max_age: 1000h}\n", "sync.max_age: 1000h0m0s outside 1m–720h"},
		{"time zone", minimal + "node: {time_zone: Mars/Olympus}\n", `node.time_zone: "Mars/Olympus": want a UTC offset`},
		{"offset", minimal + "node: {time_zone: \"+15:00\"}\n", `node.time_zone: "+15:00" is not a UTC offset`},
		{"flush interval", minimal + "reconciliation: {flush_interval: 7s}\n", "reconciliation.flush_interval: 7s: 1s–1h, dividing a day evenly"},
		{"retention", minimal + "reconciliation: {retention: 1h}\n", "reconciliation.retention: 1h0m0s is under a day"},
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

func TestParseTimeZone(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]int{"+08:00": 8 * 3600, "-05:30": -(5*3600 + 1800), "UTC": 0, "Asia/Shanghai": 8 * 3600} {
		loc, err := ParseTimeZone(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if _, off := at.In(loc).Zone(); off != want {
			t.Errorf("%s: offset %d, want %d", in, off, want)
		}
	}
	for _, in := range []string{"", "+8", "08:00", "+08:60", "nowhere"} {
		if _, err := ParseTimeZone(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
