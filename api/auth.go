package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
)

// Authentication headers (docs/product.md §5.3: app key + secret signing).
const (
	HeaderAppKey    = "X-App-Key"
	HeaderTimestamp = "X-Timestamp"
	HeaderNonce     = "X-Nonce"
	HeaderSignature = "X-Signature"
)

// Limits of the authentication headers.
const (
	// MinNonceLen and MaxNonceLen bound X-Nonce: 8 characters of
	// [A-Za-z0-9_-] are 48 bits, enough for a per-key, per-window nonce;
	// 64 fits a hex SHA-256 or a UUID with room to spare.
	MinNonceLen = 8
	MaxNonceLen = 64
	// maxAppKeyLen bounds X-App-Key before it is looked up.
	maxAppKeyLen = 128
	// maxTimestampLen: Unix seconds fit in 10 digits until 2286; 12
	// leaves room without allowing overflow.
	maxTimestampLen = 12
)

// credentials are the parsed authentication headers of one request.
type credentials struct {
	appKey    string
	timestamp int64
	tsRaw     string // X-Timestamp as sent: it is what was signed
	nonce     string
	signature [sha256.Size]byte
}

// parseCredentials checks the four headers' syntax. It does not look the
// key up or verify anything. Every failure is missing_credentials, the
// message naming the header.
func parseCredentials(appKey, ts, nonce, sig []byte) (credentials, *Error) {
	var c credentials
	switch {
	case len(appKey) == 0 || len(ts) == 0 || len(nonce) == 0 || len(sig) == 0:
		return c, fail(codeMissingCredentials, "%s, %s, %s and %s are required", HeaderAppKey, HeaderTimestamp, HeaderNonce, HeaderSignature)
	case len(appKey) > maxAppKeyLen:
		return c, fail(codeMissingCredentials, "%s: longer than %d characters", HeaderAppKey, maxAppKeyLen)
	case len(ts) > maxTimestampLen || !allDigits(ts):
		return c, fail(codeMissingCredentials, "%s: not Unix seconds", HeaderTimestamp)
	case len(nonce) < MinNonceLen || len(nonce) > MaxNonceLen || !nonceChars(nonce):
		return c, fail(codeMissingCredentials, "%s: %d–%d characters of [A-Za-z0-9_-]", HeaderNonce, MinNonceLen, MaxNonceLen)
	case len(sig) != 2*sha256.Size:
		return c, fail(codeMissingCredentials, "%s: %d hex digits", HeaderSignature, 2*sha256.Size)
	}
	if _, err := hex.Decode(c.signature[:], sig); err != nil {
		return c, fail(codeMissingCredentials, "%s: %d hex digits", HeaderSignature, 2*sha256.Size)
	}
	n, err := strconv.ParseInt(string(ts), 10, 64)
	if err != nil {
		return c, fail(codeMissingCredentials, "%s: not Unix seconds", HeaderTimestamp)
	}
	c.appKey, c.timestamp, c.tsRaw, c.nonce = string(appKey), n, string(ts), string(nonce)
	return c, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func nonceChars(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// mac computes HMAC-SHA256(secret, the string to sign) into out. The
// string to sign is, joined by "\n":
//
//	METHOD
//	request-target (path and query exactly as on the request line)
//	X-Timestamp (exactly as sent)
//	X-Nonce
//	body (raw bytes; empty for GET and DELETE)
func mac(out *[sha256.Size]byte, secret []byte, method, target, ts, nonce string, body []byte) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(method))
	m.Write([]byte{'\n'})
	m.Write([]byte(target))
	m.Write([]byte{'\n'})
	m.Write([]byte(ts))
	m.Write([]byte{'\n'})
	m.Write([]byte(nonce))
	m.Write([]byte{'\n'})
	m.Write(body)
	m.Sum(out[:0])
}

// verify reports whether c's signature is right for the request, in
// constant time (hmac.Equal).
func (c *credentials) verify(secret []byte, method, target string, body []byte) bool {
	var want [sha256.Size]byte
	mac(&want, secret, method, target, c.tsRaw, c.nonce, body)
	return hmac.Equal(want[:], c.signature[:])
}

// ipAllowed applies the white-list (docs/product.md §5.2): the account's
// api.allow_ips, else the server's http.allow_ips, else loopback only.
func ipAllowed(account, server []netip.Prefix, ip netip.Addr) bool {
	rules := account
	if len(rules) == 0 {
		rules = server
	}
	if len(rules) == 0 {
		return ip.IsLoopback()
	}
	for _, p := range rules {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
