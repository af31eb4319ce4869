package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/proxy"
)

// Error is the JSON body of every answer that is not 2xx:
//
//	{"code": "replayed_nonce", "message": "nonce already used within the signature window"}
//
// Code is stable (the table in the package doc); Message is for people
// and may change. Result is set for upstream_refused only: the SMG's
// Submit_Resp result code. A client can decode any non-2xx body into it.
type Error struct {
	Status  int     `json:"-"`
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Result  *uint32 `json:"result,omitempty"`
	// retryAfter, in seconds, is sent as Retry-After (too_many_requests).
	retryAfter int
}

func (e *Error) Error() string { return fmt.Sprintf("api: %d %s: %s", e.Status, e.Code, e.Message) }

// code is the stable error code of an answer, "ok" for success. It indexes
// the metric children (label code) and the status table. Keep codeNames,
// codeStatus and the table in doc.go in step.
type code uint8

const (
	codeOK code = iota
	codeBadJSON
	codeUnknownField
	codeInvalidNumber
	codeInvalidArgument
	codeMissingCredentials
	codeUnknownAppKey
	codeBadSignature
	codeStaleTimestamp
	codeReplayedNonce
	codeForbiddenIP
	codeServiceNotAllowed
	codeAccountSuspended
	codeNotFound
	codeMethodNotAllowed
	codeAlreadySubscribed
	codeBodyTooLarge
	codeUnsupportedMediaType
	codeTooManyRequests
	codeInternal
	codeUpstreamRefused
	codeStoreUnavailable
	codeUpstreamUnavailable
	codeNotConfigured
	codeIDSpaceExhausted
	codeUpstreamTimeout
	numCodes
)

var codeNames = [numCodes]string{
	codeOK:                   "ok",
	codeBadJSON:              "bad_json",
	codeUnknownField:         "unknown_field",
	codeInvalidNumber:        "invalid_number",
	codeInvalidArgument:      "invalid_argument",
	codeMissingCredentials:   "missing_credentials",
	codeUnknownAppKey:        "unknown_app_key",
	codeBadSignature:         "bad_signature",
	codeStaleTimestamp:       "stale_timestamp",
	codeReplayedNonce:        "replayed_nonce",
	codeForbiddenIP:          "forbidden_ip",
	codeServiceNotAllowed:    "service_not_allowed",
	codeAccountSuspended:     "account_suspended",
	codeNotFound:             "not_found",
	codeMethodNotAllowed:     "method_not_allowed",
	codeAlreadySubscribed:    "already_subscribed",
	codeBodyTooLarge:         "body_too_large",
	codeUnsupportedMediaType: "unsupported_media_type",
	codeTooManyRequests:      "too_many_requests",
	codeInternal:             "internal",
	codeUpstreamRefused:      "upstream_refused",
	codeStoreUnavailable:     "store_unavailable",
	codeUpstreamUnavailable:  "upstream_unavailable",
	codeNotConfigured:        "not_configured",
	codeIDSpaceExhausted:     "id_space_exhausted",
	codeUpstreamTimeout:      "upstream_timeout",
}

var codeStatus = [numCodes]int{
	codeOK:                   http.StatusOK,
	codeBadJSON:              http.StatusBadRequest,
	codeUnknownField:         http.StatusBadRequest,
	codeInvalidNumber:        http.StatusBadRequest,
	codeInvalidArgument:      http.StatusBadRequest,
	codeMissingCredentials:   http.StatusUnauthorized,
	codeUnknownAppKey:        http.StatusUnauthorized,
	codeBadSignature:         http.StatusUnauthorized,
	codeStaleTimestamp:       http.StatusUnauthorized,
	codeReplayedNonce:        http.StatusUnauthorized,
	codeForbiddenIP:          http.StatusForbidden,
	codeServiceNotAllowed:    http.StatusForbidden,
	codeAccountSuspended:     http.StatusForbidden,
	codeNotFound:             http.StatusNotFound,
	codeMethodNotAllowed:     http.StatusMethodNotAllowed,
	codeAlreadySubscribed:    http.StatusConflict,
	codeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	codeTooManyRequests:      http.StatusTooManyRequests,
	codeInternal:             http.StatusInternalServerError,
	codeUpstreamRefused:      http.StatusBadGateway,
	codeStoreUnavailable:     http.StatusServiceUnavailable,
	codeUpstreamUnavailable:  http.StatusServiceUnavailable,
	codeNotConfigured:        http.StatusServiceUnavailable,
	codeIDSpaceExhausted:     http.StatusServiceUnavailable,
	codeUpstreamTimeout:      http.StatusGatewayTimeout,
}

func (c code) String() string { return codeNames[c] }

// fail builds the Error answered for c.
func fail(c code, format string, args ...any) *Error {
	return &Error{Status: codeStatus[c], Code: codeNames[c], Message: fmt.Sprintf(format, args...)}
}

// codeOf returns the code of an Error built by fail.
func codeOf(e *Error) code {
	for c, n := range codeNames {
		if n == e.Code {
			return code(c)
		}
	}
	return codeInternal
}

// engineError maps an authcache sentinel to the answer. Errors that match
// no sentinel are internal: the caller logs them (the client gets a
// generic message).
func engineError(err error) (*Error, bool) {
	switch {
	case errors.Is(err, authcache.ErrUnavailable), errors.Is(err, authcache.ErrStoreClosed),
		errors.Is(err, authcache.ErrQueueFull):
		return fail(codeStoreUnavailable, "authorization store unavailable; retry later"), true
	case errors.Is(err, authcache.ErrAlreadySubscribed):
		return fail(codeAlreadySubscribed, "the user is already subscribed to this service"), true
	case errors.Is(err, authcache.ErrInvalid):
		return fail(codeInvalidArgument, "%v", err), true
	case errors.Is(err, authcache.ErrConfig):
		return fail(codeNotConfigured, "web subscription is not configured (authorization.portal_number)"), true
	case errors.Is(err, authcache.ErrIDSpaceExhausted):
		return fail(codeIDSpaceExhausted, "no free confirmation id; retry later"), true
	}
	return nil, false
}

// originateError maps a failed Originate. proxy's response-timeout and
// bind-lost errors are unexported, so anything that is neither a deadline
// nor ErrUpstreamUnavailable is reported as upstream_unavailable too: the
// MT may not have reached the SMG, and the client may retry.
func originateError(err error) *Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fail(codeUpstreamTimeout, "the SMG did not answer in time")
	case errors.Is(err, proxy.ErrUpstreamUnavailable):
		return fail(codeUpstreamUnavailable, "no SMG connection is logged in; retry later")
	}
	return fail(codeUpstreamUnavailable, "the SMG connection failed before answering; retry later")
}

// refused is the answer to an SMG Submit_Resp with a non-zero result.
func refused(result uint32) *Error {
	e := fail(codeUpstreamRefused, "the SMG refused the message with result %d", result)
	e.Result = &result
	return e
}
