package api

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeBody feeds arbitrary bodies to the request decoder and the
// field checks. Whatever decodes must survive a round trip unchanged, and
// a normalised number must normalise to itself. Seeds: testdata/fuzz.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"user":"13800138000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var od ondemandRequest
		if e := decodeJSON(body, &od); e == nil {
			roundTrip(t, od)
			checkUser(t, od.User)
		} else if e.Status != 400 {
			t.Fatalf("decode error with status %d: %v", e.Status, e)
		}
		var sr subscribeRequest
		if e := decodeJSON(body, &sr); e == nil {
			roundTrip(t, sr)
			checkUser(t, sr.User)
			if checkServiceCode(sr.ServiceCode) == nil && (len(sr.ServiceCode) > MaxServiceCodeLen || strings.ContainsAny(sr.ServiceCode, " /")) {
				t.Fatalf("service code %q accepted", sr.ServiceCode)
			}
			_ = checkSPNumber(sr.SPNumber, []string{"1065501"})
		}
	})
}

func roundTrip[T comparable](t *testing.T, v T) {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var again T
	if e := decodeJSON(b, &again); e != nil {
		t.Fatalf("re-decoding %s: %v", b, e)
	}
	if again != v {
		t.Fatalf("round trip %+v → %s → %+v", v, b, again)
	}
}

func checkUser(t *testing.T, u string) {
	n, ok := normalizeUser(u)
	if !ok {
		return
	}
	if len(n) != 11 || !strings.HasSuffix(u, n) {
		t.Fatalf("normalizeUser(%q) = %q", u, n)
	}
	if again, ok := normalizeUser(n); !ok || again != n {
		t.Fatalf("normalizeUser not idempotent on %q", n)
	}
}

// FuzzParseCredentials feeds arbitrary header values to the
// authentication header parser. Whatever it accepts satisfies the
// documented syntax, and a signature made with Signature always verifies.
func FuzzParseCredentials(f *testing.F) {
	f.Add("demo-app", "1767225600", "n0nce-2026-0001", "c035a326a94a0e26bfa85d26c1f6da961a082f95f7f0367bc35b295c75395c7f")
	f.Fuzz(func(t *testing.T, key, ts, nonce, sig string) {
		c, e := parseCredentials([]byte(key), []byte(ts), []byte(nonce), []byte(sig))
		if e != nil {
			if e.Code != "missing_credentials" {
				t.Fatalf("code %s", e.Code)
			}
			return
		}
		switch {
		case c.appKey != key || len(key) == 0 || len(key) > maxAppKeyLen:
			t.Fatalf("app key %q accepted", key)
		case c.tsRaw != ts || c.timestamp < 0 || len(ts) > maxTimestampLen:
			t.Fatalf("timestamp %q accepted as %d", ts, c.timestamp)
		case len(nonce) < MinNonceLen || len(nonce) > MaxNonceLen || !nonceChars([]byte(nonce)):
			t.Fatalf("nonce %q accepted", nonce)
		case hex.EncodeToString(c.signature[:]) != strings.ToLower(sig):
			t.Fatalf("signature %q parsed as %x", sig, c.signature)
		}
		body := []byte(key + nonce)
		good := Signature("secret", "POST", "/v1/ondemand", ts, nonce, body)
		c2, e := parseCredentials([]byte(key), []byte(ts), []byte(nonce), []byte(good))
		if e != nil || !c2.verify([]byte("secret"), "POST", "/v1/ondemand", body) {
			t.Fatalf("own signature refused: %v", e)
		}
		if bytes.Equal(c.signature[:], c2.signature[:]) != c.verify([]byte("secret"), "POST", "/v1/ondemand", body) {
			t.Fatal("verify disagrees with the computed signature")
		}
	})
}
