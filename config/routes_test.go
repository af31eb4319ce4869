package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// threeCarriers: China Mobile by CMPP 3.0, Unicom by SGIP, Telecom by SMGP.
const threeCarriers = `
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstreams:
  - name: cmcc
    protocol: cmpp3
    addr: "10.1.0.1:7890"
    login: "901234"
    secret: a
    carrier: cmcc
    window: 64
  - name: unicom
    protocol: sgip
    addr: "10.2.0.1:8801"
    login: smg
    secret: b
    carrier: unicom
    inbound: {addr: "0.0.0.0:8802", login: smg, secret: c}
  - name: telecom
    protocol: smgp
    addr: "10.3.0.1:8890"
    login: "12345678"
    secret: d
    carrier: telecom
    routes: ["192", "1440-1449"]
routing: {default: cmcc}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
`

func TestSeveralUpstreams(t *testing.T) {
	cfg, err := Parse([]byte(threeCarriers))
	if err != nil {
		t.Fatal(err)
	}
	ups := cfg.Upstreams()
	if len(ups) != 3 || ups[0].Name != "cmcc" || ups[1].Protocol != codec.SGIP || ups[2].Login != "12345678" {
		t.Fatalf("Upstreams() = %+v", ups)
	}
	// Defaults apply to each, by its own protocol.
	if ups[0].Window != 64 || ups[1].Window != DefaultUpstreamWindow || ups[1].ResponseTimeout != 30*time.Second ||
		ups[2].ResponseTimeout != 60*time.Second || ups[2].SMGPLoginMode != 2 || ups[0].MaxTimeouts != 3 {
		t.Fatalf("defaults: %+v", ups)
	}
	if cfg.DefaultUpstream() != 0 || cfg.Accounts[0].Protocol != codec.CMPP30 {
		t.Fatalf("default upstream %d, account protocol %v", cfg.DefaultUpstream(), cfg.Accounts[0].Protocol)
	}
	tb, err := cfg.RouteTable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		number string
		want   int
	}{
		{"13800138000", 0}, {"8613012345678", 1}, {"+8618912345678", 2}, {"19212345678", 2}, {"14451234567890", 2},
		{"01088888888", 0}, // the default route
	} {
		if got := tb.LookupString(c.number); got != c.want {
			t.Errorf("%s → upstream %d, want %d", c.number, got, c.want)
		}
	}
	// The caller's copy.
	ups[0].Name = "x"
	if cfg.Upstreams()[0].Name != "cmcc" {
		t.Fatal("Upstreams returned the config's own slice")
	}
}

func TestOneUpstreamIsTheDefaultRoute(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	ups := cfg.Upstreams()
	if len(ups) != 1 || ups[0].Name != SingleUpstreamName || ups[0].Upstream != cfg.Upstream || cfg.DefaultUpstream() != 0 {
		t.Fatalf("Upstreams() = %+v, default %d", ups, cfg.DefaultUpstream())
	}
	tb, err := cfg.RouteTable()
	if err != nil || tb.LookupString("13800138000") != 0 || tb.LookupString("") != 0 || tb.Len() != 0 {
		t.Fatalf("route table of one upstream: %v", err)
	}
	if cfg.Upstream.Window != DefaultUpstreamWindow || cfg.Upstream.StallProbeAfter != 5*time.Second {
		t.Fatalf("upstream: defaults: %+v", cfg.Upstream)
	}
}

func TestCountryCode(t *testing.T) {
	for _, c := range []struct {
		yaml   string
		number string
		want   int
	}{
		{"", "8613012345678", 1},                                // default 86
		{"routing: {country_code: \"\"}\n", "8613012345678", 0}, // off: 86… is no segment
		{"routing: {country_code: \"86\"}\n", "008613012345678", 1},
	} {
		y := strings.Replace(threeCarriers, "routing: {default: cmcc}\n", "", 1) + "routing: {default: cmcc}\n"
		if c.yaml != "" {
			y = strings.Replace(y, "routing: {default: cmcc}\n", strings.Replace(c.yaml, "routing: {", "routing: {default: cmcc, ", 1), 1)
		}
		cfg, err := Parse([]byte(y))
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		tb, _ := cfg.RouteTable()
		if got := tb.LookupString(c.number); got != c.want {
			t.Errorf("%q: %s → %d, want %d", c.yaml, c.number, got, c.want)
		}
	}
}

func TestSeveralUpstreamsRejects(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(threeCarriers, old) {
			t.Fatalf("%q not in the file", old)
		}
		return strings.Replace(threeCarriers, old, new, 1)
	}
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"both upstream: and upstreams:", threeCarriers + `upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}` + "\n",
			[]string{"line 3: upstreams: upstream: and upstreams: are both set"}},
		{"both, upstream: empty", threeCarriers + "upstream:\n", []string{"upstreams: upstream: and upstreams: are both set"}},
		{"duplicate name", replace("name: unicom", "name: cmcc"),
			[]string{`line 11: upstreams[1].name: "cmcc" already used by upstreams[0]`}},
		{"missing name", replace("  - name: unicom\n    protocol: sgip", "  - protocol: sgip"),
			[]string{"upstreams[1].name: required"}},
		{"bad name", replace("name: telecom", "name: \"tele com\""),
			[]string{`upstreams[2].name: "tele com": up to 32 letters`}},
		{"prefix not digits", replace(`routes: ["192", "1440-1449"]`, `routes: ["192", "+86192", "14a"]`),
			[]string{`line 24: upstreams[2].routes[1]: "+86192" is not a number prefix`, `upstreams[2].routes[2]: "14a" is not a number prefix`}},
		{"backwards range", replace(`"1440-1449"`, `"1449-1440"`),
			[]string{`upstreams[2].routes[1]: "1449-1440" is not a number prefix`}},
		{"prefix claimed by two upstreams", replace(`routes: ["192", "1440-1449"]`, `routes: ["192", "139", "1340-1342"]`),
			[]string{`upstreams[2].routes[1]: prefix 139 already routed to upstreams[0] "cmcc"`,
				`upstreams[2].routes[2]: prefixes 1340, 1341, 1342 already routed to upstreams[0] "cmcc"`}},
		{"carrier claimed twice", replace("carrier: telecom", "carrier: cmcc"),
			[]string{`line 23: upstreams[2].carrier: cmcc segments: 1340, 1341, 1342, 1343, 1344, 1345 … (`, `already routed to upstreams[0] "cmcc"`}},
		{"unknown carrier", replace("carrier: unicom", "carrier: mobile"),
			[]string{`upstreams[1].carrier: "mobile": want one of cmcc, unicom, telecom`}},
		{"default names no upstream", replace("default: cmcc", "default: mobile"),
			[]string{`routing.default: "mobile" names no upstream (upstreams: cmcc, unicom, telecom)`}},
		{"default missing", replace("routing: {default: cmcc}\n", ""),
			[]string{"routing.default: required with several upstreams"}},
		{"an upstream that takes nothing", replace("    carrier: unicom\n", ""),
			[]string{`upstreams[1]: "unicom" takes no numbers`}},
		{"each upstream checked at its path", replace(`login: smg
    secret: b`, `login: smg
    secret: b
    window: 0
    response_timeout: 10`),
			[]string{"upstreams[1].response_timeout: 10 is not a duration (write 10s)"}},
		{"SGIP upstream without inbound", replace(`    inbound: {addr: "0.0.0.0:8802", login: smg, secret: c}`+"\n", ""),
			[]string{"upstreams[1].inbound: SGIP needs a listener"}},
		{"unknown key in an upstream", replace("carrier: telecom", "carier: telecom"),
			[]string{"upstreams[2].carier: unknown key (did you mean carrier?)"}},
		{"country code", threeCarriers + "routing: {country_code: \"+86\"}\n", []string{"given twice"}},
		{"country code not digits", replace("routing: {default: cmcc}", `routing: {default: cmcc, country_code: "+86"}`),
			[]string{`routing.country_code: "+86": a country calling code is 1–3 digits`}},
		{"routing.default with upstream:", minimal + "routing: {default: cmcc}\n",
			[]string{`routing.default: "cmcc": with upstream: there is one upstream`}},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v, want *Error", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q not in\n%v", c.name, w, err)
			}
		}
	}
}

// TestSeveralUpstreamsEveryProblemInOnePass: one file, every kind of
// mistake, each reported with its line and path.
func TestSeveralUpstreamsEveryProblemInOnePass(t *testing.T) {
	const file = `listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
upstreams:
  - {name: a, protocol: cmpp3, addr: "10.0.0.1:7890", login: "1", secret: s, routes: ["139", "13x"]}
  - {name: a, protocol: cmpp3, addr: "10.0.0.2:7890", login: "2", secret: s, routes: ["139"]}
routing: {default: b}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
`
	path := filepath.Join(t.TempDir(), "spsmg.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path)
	want := []string{
		path + `:3: upstreams: upstream: and upstreams: are both set: keep upstream: for one upstream, or move it into upstreams: with a name`,
		path + `:4: upstreams[0].routes[1]: "13x" is not a number prefix (digits, or a range of one length like 1340-1348)`,
		path + `:5: upstreams[1].name: "a" already used by upstreams[0]`,
		path + `:5: upstreams[1].routes[0]: prefix 139 already routed to upstreams[0] "a" (a prefix has one upstream)`,
		path + `:6: routing.default: "b" names no upstream (upstreams: a, a)`,
	}
	if err == nil {
		t.Fatal("accepted")
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDemoSeveralCarriersExample: the commented upstreams: example of
// demo.yaml, uncommented in place of upstream:, is a file Parse accepts,
// routing as it says.
func TestDemoSeveralCarriersExample(t *testing.T) {
	demo := string(Demo)
	start := strings.Index(demo, "# upstreams:\n")
	end := strings.Index(demo, "\ngateway:")
	if start < 0 || end < start {
		t.Fatal("demo.yaml has no commented upstreams: example before gateway:")
	}
	var example []string
	for _, l := range strings.Split(demo[start:end], "\n") {
		example = append(example, strings.TrimPrefix(strings.TrimPrefix(l, "# "), "#"))
	}
	up := strings.Index(demo, "\nupstream:\n")
	if up < 0 || up > start {
		t.Fatal("no upstream: section before the example")
	}
	file := demo[:up+1] + strings.Join(example, "\n") + demo[end:]
	cfg, err := Parse([]byte(file))
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(example, "\n"))
	}
	tb, err := cfg.RouteTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Upstreams()) != 3 || tb.LookupString("8613012345678") != 1 || tb.LookupString("19212345678") != 2 || tb.LookupString("01088888888") != 0 {
		t.Fatalf("example routes: %+v", cfg.Upstreams())
	}
}
