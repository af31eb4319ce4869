package api

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// The worked example of the package doc: the contract SP websites check
// their implementation against.
const (
	exampleSecret    = "demo-app-secret"
	exampleTimestamp = "1767225600" // 2026-01-01T00:00:00Z
	exampleNonce     = "n0nce-2026-0001"
	exampleBody      = `{"user":"13800138000"}`
	exampleSignature = "c035a326a94a0e26bfa85d26c1f6da961a082f95f7f0367bc35b295c75395c7f"
)

func TestSignatureWorkedExample(t *testing.T) {
	t.Run("Signature gives the documented value", func(t *testing.T) {
		if got := Signature(exampleSecret, "POST", "/v1/ondemand", exampleTimestamp, exampleNonce, []byte(exampleBody)); got != exampleSignature {
			t.Fatalf("Signature = %s, want %s", got, exampleSignature)
		}
	})
	t.Run("Sign sets the documented headers on a fasthttp request", func(t *testing.T) {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI("http://127.0.0.1:8080/v1/ondemand")
		req.Header.SetMethod("POST")
		req.SetBodyString(exampleBody)
		Sign(req, "demo-app", exampleSecret, time.Unix(1767225600, 0), exampleNonce)
		for h, want := range map[string]string{HeaderAppKey: "demo-app", HeaderTimestamp: exampleTimestamp,
			HeaderNonce: exampleNonce, HeaderSignature: exampleSignature} {
			if got := string(req.Header.Peek(h)); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
	})
	t.Run("the server side verifies it, upper-case hex too", func(t *testing.T) {
		for _, sig := range []string{exampleSignature, strings.ToUpper(exampleSignature)} {
			c, e := parseCredentials([]byte("demo-app"), []byte(exampleTimestamp), []byte(exampleNonce), []byte(sig))
			if e != nil {
				t.Fatal(e)
			}
			if !c.verify([]byte(exampleSecret), "POST", "/v1/ondemand", []byte(exampleBody)) {
				t.Fatalf("%s does not verify", sig)
			}
		}
	})
	t.Run("any change to a signed part breaks it", func(t *testing.T) {
		c, _ := parseCredentials([]byte("demo-app"), []byte(exampleTimestamp), []byte(exampleNonce), []byte(exampleSignature))
		for _, tc := range []struct{ secret, method, target, body string }{
			{"demo-app-secreT", "POST", "/v1/ondemand", exampleBody},
			{exampleSecret, "PUT", "/v1/ondemand", exampleBody},
			{exampleSecret, "POST", "/v1/ondemand?x=1", exampleBody},
			{exampleSecret, "POST", "/v1/ondemand", `{"user":"13800138001"}`},
			{exampleSecret, "POST", "/v1/ondemand", exampleBody + "\n"},
		} {
			if c.verify([]byte(tc.secret), tc.method, tc.target, []byte(tc.body)) {
				t.Errorf("verified with %+v", tc)
			}
		}
	})
}

func TestParseCredentials(t *testing.T) {
	sig := exampleSignature
	for _, tc := range []struct {
		name                string
		key, ts, nonce, sig string
		ok                  bool
	}{
		{"well-formed", "k", "1767225600", "abcdEFGH_-09", sig, true},
		{"64-character nonce", "k", "1", strings.Repeat("n", 64), sig, true},
		{"missing key", "", "1767225600", "abcdefgh", sig, false},
		{"missing signature", "k", "1767225600", "abcdefgh", "", false},
		{"key too long", strings.Repeat("k", 129), "1767225600", "abcdefgh", sig, false},
		{"negative timestamp", "k", "-1767225600", "abcdefgh", sig, false},
		{"timestamp in milliseconds (13 digits)", "k", "1767225600000", "abcdefgh", sig, false},
		{"fractional timestamp", "k", "1767225600.5", "abcdefgh", sig, false},
		{"7-character nonce", "k", "1767225600", "abcdefg", sig, false},
		{"65-character nonce", "k", "1767225600", strings.Repeat("n", 65), sig, false},
		{"nonce with a dot", "k", "1767225600", "abcd.efgh", sig, false},
		{"short signature", "k", "1767225600", "abcdefgh", sig[:63], false},
		{"non-hex signature", "k", "1767225600", "abcdefgh", "g" + sig[1:], false},
		{"base64 signature", "k", "1767225600", "abcdefgh", "wDWjJqlKDia/qF0mwfbalhoIL5X38DZ7w1spXHU5XH8=", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e := parseCredentials([]byte(tc.key), []byte(tc.ts), []byte(tc.nonce), []byte(tc.sig))
			if (e == nil) != tc.ok {
				t.Fatalf("error %v, want ok=%v", e, tc.ok)
			}
			if e != nil && e.Code != "missing_credentials" {
				t.Fatalf("code %s", e.Code)
			}
		})
	}
}

func TestIPAllowed(t *testing.T) {
	p := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name            string
		account, server []netip.Prefix
		ip              string
		ok              bool
	}{
		{"both empty: loopback", nil, nil, "127.0.0.1", true},
		{"both empty: IPv6 loopback", nil, nil, "::1", true},
		{"both empty: anything else refused", nil, nil, "10.1.2.3", false},
		{"server list applies", nil, p("10.0.0.0/8"), "10.1.2.3", true},
		{"server list excludes loopback", nil, p("10.0.0.0/8"), "127.0.0.1", false},
		{"account list wins over the server's", p("192.0.2.0/24"), p("10.0.0.0/8"), "10.1.2.3", false},
		{"account list admits", p("192.0.2.0/24"), p("10.0.0.0/8"), "192.0.2.9", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ipAllowed(tc.account, tc.server, a(tc.ip)); got != tc.ok {
				t.Fatalf("ipAllowed = %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestNonceCache(t *testing.T) {
	const w = 300
	t.Run("a nonce is refused while its timestamp is in the window", func(t *testing.T) {
		c := newNonceCache(10, 100)
		if r, _ := c.add("k", "n1", 1000, 1000, w); r != nonceFresh {
			t.Fatalf("first: %v", r)
		}
		if r, _ := c.add("k", "n1", 1010, 1200, w); r != nonceReplayed {
			t.Fatalf("replay: %v", r)
		}
		if r, _ := c.add("other", "n1", 1000, 1000, w); r != nonceFresh {
			t.Fatalf("same nonce, other key: %v", r)
		}
		if r, _ := c.add("k", "n1", 1301, 1301, w); r != nonceFresh {
			t.Fatalf("after ts+window: %v", r)
		}
	})
	t.Run("expiry follows timestamps, not arrival order", func(t *testing.T) {
		c := newNonceCache(10, 100)
		c.add("k", "late", 1200, 1000, w) // from a client clock ahead
		c.add("k", "early", 800, 1000, w) // from a client clock behind
		c.add("k", "x", 1101, 1101, w)    // early (800+300 < 1101) expires
		if n := c.len(); n != 2 {
			t.Fatalf("%d entries, want 2", n)
		}
		if r, _ := c.add("k", "late", 1200, 1400, w); r != nonceReplayed {
			t.Fatalf("late nonce at 1400: %v, want still remembered", r)
		}
	})
	t.Run("the per-key cap refuses and says when room frees", func(t *testing.T) {
		c := newNonceCache(2, 100)
		c.add("k", "a", 1000, 1000, w)
		c.add("k", "b", 1005, 1005, w)
		r, retry := c.add("k", "c", 1010, 1010, w)
		if r != nonceFull || retry != 1000+w-1010+1 {
			t.Fatalf("third nonce: %v retry %d", r, retry)
		}
		if r, _ := c.add("k2", "c", 1010, 1010, w); r != nonceFresh {
			t.Fatalf("another key is not affected: %v", r)
		}
		if r, _ := c.add("k", "c", 1301, 1301, w); r != nonceFresh {
			t.Fatalf("after the oldest expired: %v", r)
		}
	})
	t.Run("the global cap sweeps every key before refusing", func(t *testing.T) {
		c := newNonceCache(10, 3)
		c.add("k1", "a", 1000, 1000, w)
		c.add("k2", "b", 1100, 1100, w)
		c.add("k3", "c", 1200, 1200, w)
		if r, retry := c.add("k4", "d", 1250, 1250, w); r != nonceFull || retry != 1000+w-1250+1 {
			t.Fatalf("over the global cap: %v retry %d", r, retry)
		}
		if r, _ := c.add("k4", "d", 1301, 1301, w); r != nonceFresh {
			t.Fatalf("after k1's nonce expired: %v", r)
		}
		if n := c.len(); n != 3 {
			t.Fatalf("%d entries", n)
		}
	})
	t.Run("memory stays bounded under a flood", func(t *testing.T) {
		c := newNonceCache(1000, 5000)
		full := 0
		for i := range 100_000 {
			key := "k" + string(rune('a'+i%10))
			if r, _ := c.add(key, NewNonce(), 1000, 1000, w); r == nonceFull {
				full++
			}
		}
		if n := c.len(); n != 5000 || full != 95_000 {
			t.Fatalf("%d entries, %d refused", n, full)
		}
	})
	t.Run("retain drops keys no longer configured", func(t *testing.T) {
		c := newNonceCache(10, 100)
		c.add("keep", "a", 1000, 1000, w)
		c.add("drop", "b", 1000, 1000, w)
		c.retain(func(k string) bool { return k == "keep" })
		if n := c.len(); n != 1 {
			t.Fatalf("%d entries", n)
		}
	})
}

func TestNormalizeUser(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000": "13800138000", "8613800138000": "13800138000", "+8613800138000": "13800138000",
		"19912345678": "19912345678",
		"12800138000": "", "1380013800": "", "138001380001": "", "+13800138000": "", "86 13800138000": "",
		"008613800138000": "", "+86+8613800138000": "", "1380013800a": "", "": "", "+86": "",
	} {
		got, ok := normalizeUser(in)
		if got != want || ok != (want != "") {
			t.Errorf("normalizeUser(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
