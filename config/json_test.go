package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
)

const jsonListener = `
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}, {protocol: json, addr: "127.0.0.1:7900"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
`

func jsonAccount(fields string) string {
	return jsonListener + `  - {id: shop, protocol: json, access_numbers: ["106552"], json: {app_id: shop1, app_secret: secret1, service_code: NEWS` + fields + "}}\n"
}

func TestJSONDefaults(t *testing.T) {
	cfg, err := Parse([]byte(jsonAccount("")))
	if err != nil {
		t.Fatal(err)
	}
	j := cfg.JSON
	if j.MaxConnections != 256 || j.ReadTimeout != 10*time.Second || j.MaxBody != 65536 || j.RetryInterval != time.Second || j.ReportResend != time.Minute {
		t.Errorf("json defaults: %+v", j)
	}
	a := cfg.Accounts[1]
	if a.Protocol != codec.JSON || a.JSON.CodeServiceCode != "NEWS" || a.JSON.SPNumber != "106552" || a.JSON.Coding != JSONCodingUCS2 {
		t.Errorf("json account defaults: %+v %+v", a, a.JSON)
	}
	if cfg.JSONListener() != "127.0.0.1:7900" || len(cfg.JSONAccounts()) != 1 {
		t.Errorf("listener %q, accounts %v", cfg.JSONListener(), cfg.JSONAccounts())
	}
	if cfg.Accounts[0].Protocol != codec.CMPP30 {
		t.Errorf("a binary account still defaults to the upstream's protocol: %v", cfg.Accounts[0].Protocol)
	}
}

func TestJSONRejects(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"leading zero", strings.Replace(jsonAccount(""), "app_id: shop1", "app_id: 0shop1", 1),
			"accounts[1].json.app_id: must not start with '0'"},
		{"long secret", strings.Replace(jsonAccount(""), "secret1", "a-secret-of-16-b", 1),
			"accounts[1].json.app_secret: 16 bytes; the field holds 15"},
		{"space", strings.Replace(jsonAccount(""), "secret1", `"sec ret"`, 1),
			"accounts[1].json.app_secret: printable ASCII without spaces only"},
		{"duplicate app id", jsonAccount("") + `  - {id: shop2, protocol: json, access_numbers: ["106553"], json: {app_id: shop1, app_secret: s2, service_code: NEWS}}` + "\n",
			`accounts[2].json.app_id: "shop1" already used by accounts[1]`},
		{"no json block", jsonListener + `  - {id: shop, protocol: json, access_numbers: ["106552"]}` + "\n",
			"accounts[1].json: required with protocol json"},
		{"json block on a cmpp account", strings.Replace(jsonListener, `access_numbers: ["106551"]}`, `access_numbers: ["106551"], json: {app_id: x}}`, 1),
			"accounts[0].json: only an account with protocol json has a json block (this one is cmpp3)"},
		{"login", strings.Replace(jsonAccount(""), "id: shop, protocol: json,", `id: shop, protocol: json, login: "900002",`, 1),
			"accounts[1].login: a json account has none"},
		{"no service code", strings.Replace(jsonAccount(""), ", service_code: NEWS", "", 1),
			"accounts[1].json.service_code: required"},
		{"sp number", jsonAccount(`, sp_number: "106559"`), `accounts[1].json.sp_number: "106559" does not start with one of the account's access_numbers`},
		{"coding", jsonAccount(", coding: utf8"), `accounts[1].json.coding: "utf8": want ucs2 or gbk`},
		{"report addr", jsonAccount(", report_addr: nowhere"), `accounts[1].json.report_addr: "nowhere" is not host:port`},
		{"no listener", strings.Replace(jsonAccount(""), `, {protocol: json, addr: "127.0.0.1:7900"}`, "", 1),
			"listeners: accounts with protocol json need a listener {protocol: json, addr: …}"},
		{"upstream json", strings.Replace(jsonAccount(""), "upstream: {protocol: cmpp3", "upstream: {protocol: json", 1),
			`upstream.protocol: missing or unknown protocol "json"`},
		{"max body", jsonAccount("") + "json: {max_body: 1000000}\n", "json.max_body: 1000000 outside 2–999999"},
		{"resend", jsonAccount("") + "json: {report_resend: 2h}\n", "json.report_resend: 2h0m0s outside 10ms–1h"},
		{"unknown key", jsonAccount(", report_adr: x"), "accounts[1].json.report_adr: unknown key (did you mean report_addr?)"},
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
