package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Signature returns the X-Signature of a request: the lower-case hex
// HMAC-SHA256 under appSecret of
//
//	method + "\n" + requestTarget + "\n" + timestamp + "\n" + nonce + "\n" + body
//
// requestTarget is the path and query exactly as sent on the request line
// ("/v1/subscriptions?user=13800138000"), timestamp the X-Timestamp header
// value (Unix seconds, decimal). This is the contract SP websites
// implement; the package doc has a worked example.
func Signature(appSecret, method, requestTarget, timestamp, nonce string, body []byte) string {
	var sum [sha256.Size]byte
	mac(&sum, []byte(appSecret), method, requestTarget, timestamp, nonce, body)
	return hex.EncodeToString(sum[:])
}

// Sign sets the four authentication headers on req, signing its method,
// request target, body and the given time and nonce. Set the method, URI
// and body first; do not change them afterwards. nonce "" draws a fresh
// one (NewNonce). For tests and tools.
func Sign(req *fasthttp.Request, appKey, appSecret string, now time.Time, nonce string) {
	if nonce == "" {
		nonce = NewNonce()
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	target := string(req.URI().RequestURI())
	req.Header.Set(HeaderAppKey, appKey)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Signature(appSecret, string(req.Header.Method()), target, ts, nonce, req.Body()))
}

// NewNonce returns 32 random hex characters (128 bits) from crypto/rand.
func NewNonce() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}
