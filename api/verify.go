package api

import (
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Verifier authenticates requests signed with this package's scheme for
// another set of endpoints (the admin API): the same four headers, string
// to sign, timestamp window and replay cache (see the package doc), with
// its own keys and its own cache. Safe for concurrent use.
type Verifier struct {
	nonces *nonceCache
}

// NewVerifier returns a Verifier with an empty replay cache, bounded like
// the API's (MaxNoncesPerKey, MaxNonces).
func NewVerifier() *Verifier {
	return &Verifier{nonces: newNonceCache(MaxNoncesPerKey, MaxNonces)}
}

// Verify authenticates ctx's request at time now, in the API's order:
// headers present and well-formed (missing_credentials); lookup, which
// returns the secret of the key in X-App-Key or refuses the request with
// its own *Error (an unknown key, a client not allowed); |now − X-Timestamp|
// ≤ window (stale_timestamp); the signature (bad_signature); the nonce not
// used by the key within the window (replayed_nonce; too_many_requests when
// the cache is full). It returns the key.
func (v *Verifier) Verify(ctx *fasthttp.RequestCtx, now time.Time, window time.Duration,
	lookup func(key string) (secret []byte, refuse *Error)) (key string, e *Error) {
	w := int64(window / time.Second)
	if w <= 0 {
		w = int64(DefaultSignatureWindow / time.Second)
	}
	return verifyRequest(ctx, ctx.PostBody(), v.nonces, now.Unix(), w, lookup)
}

// Retain forgets the nonces of keys that keep refuses (a key removed by a
// reload). Any goroutine.
func (v *Verifier) Retain(keep func(key string) bool) { v.nonces.retain(keep) }

// Refusal builds a refusal with one of the package's codes (the table in
// the package doc), for a lookup: its status follows the code.
func Refusal(name string, message string) *Error {
	for c := code(0); c < numCodes; c++ {
		if codeNames[c] == name {
			return fail(c, "%s", message)
		}
	}
	return fail(codeInternal, "%s", message)
}

// WriteError answers e as the API does: {"code","message"} with its status
// (and Retry-After for too_many_requests).
func WriteError(ctx *fasthttp.RequestCtx, e *Error) {
	if e.retryAfter > 0 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(ctx, e.Status, e)
}

// WriteJSON answers v as JSON with status, uncached, as the API does.
func WriteJSON(ctx *fasthttp.RequestCtx, status int, v any) { writeJSON(ctx, status, v) }
