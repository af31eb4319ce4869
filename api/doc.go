// Package api is the SPMS HTTP API: the JSON interface SP websites call
// for web on-demand and web subscription (docs/authorization.md §2,
// §3), served under /v1/ by metrics.Server. It turns each call into
// authcache records and an MT that spsmg originates from the portal
// number through proxy.Gateway.Originate.
//
// Design goals, in order: nothing an SP website does can authorize an MT
// by itself (the web code goes only to the user's phone; a subscription
// needs the user's Y); every request is attributable to one SP account and
// cannot be replayed; an SP sees and changes only its own records.
//
// # Endpoints
//
//	POST   /v1/ondemand                         {"user"}                                   → 200 {"user","sent_from","message_id","expires_in_seconds"}
//	POST   /v1/subscriptions                    {"user","service_code"[,"sp_number","text"]} → 201 {"id","status":"pending","sent_from","message_id"}
//	                                                                                          200 {"id","status":"pending","sent_from"}: a repeat, nothing sent
//	GET    /v1/subscriptions?user=U                                                         → 200 [{"user","service_code","state","source","since","updated"}]
//	DELETE /v1/subscriptions/{user}/{service}                                               → 200 {"cancelled":n}
//	GET    /v1/reconciliation?date=YYYY-MM-DD                                               → 200 text/csv: the caller's counts of that day
//
// Bodies are JSON with Content-Type application/json, at most MaxBodySize
// (64 KB); unknown fields are refused. A user is an 11-digit mobile number
// (1[3-9]…), optionally prefixed by 86 or +86 (in a query or path, write
// + as %2B: a bare + in a query reads as a space); answers carry the 11 digits.
// sp_number defaults to the account's first access number and must start
// with one of them; text (the original request delivered to the SP in the
// Noti_SP MO) defaults to "DZ"+service_code. message_id is the SMG's MsgID
// in hex. Times are RFC 3339, UTC.
//
// A POST /v1/subscriptions for the same user and service as a request of
// the same account that is still pending and was made less than
// authorization.pending_repeat_window (2 min) ago is a repeat (a double
// click, an impatient user): it answers 200 with that request's id and
// sent_from, no message_id, and the user gets no second Noti_User. The
// first request's sp_number and text stay. A request whose Noti_User
// failed (502/503/504) does not count: the next one sends its own.
//
// GET /v1/reconciliation answers CSV (RFC 4180, CRLF line ends), not
// JSON: a header line "date,sp,<columns>" and one line for the caller's
// own account, with that day's counts in node.time_zone (package
// reconcile; the README lists the columns). A day without counts is a line
// of zeros. It answers 503 not_configured until SetReconciler is called.
//
// # Authentication (docs/product.md §5.3)
//
// Every request carries four headers:
//
//	X-App-Key:   the account's api.app_key
//	X-Timestamp: Unix seconds, decimal (at most 12 digits)
//	X-Nonce:     8–64 characters of [A-Za-z0-9_-], never reused by the key within the window
//	X-Signature: lower-case hex HMAC-SHA256(api.app_secret, string-to-sign) (64 digits; upper case is accepted)
//
// The string to sign is five parts joined by "\n" (LF, no trailing LF):
//
//	METHOD            upper case, e.g. POST
//	request-target    path and query exactly as on the request line, e.g. /v1/subscriptions?user=13800138000
//	X-Timestamp       exactly as sent
//	X-Nonce           exactly as sent
//	body              the raw body bytes ("" for GET and DELETE)
//
// The server checks, in this order, answering the first failure: body size
// (body_too_large); the four headers present and well-formed
// (missing_credentials); the app key configured (unknown_app_key); the
// client address (the TCP peer; X-Forwarded-For is not trusted) in the
// account's api.allow_ips, or if that is empty in http.allow_ips, or if
// both are empty loopback only (forbidden_ip); |server time − X-Timestamp|
// ≤ http.signature_window, default 5 min (stale_timestamp); the signature,
// compared in constant time (bad_signature); the nonce not seen for this
// app key while its timestamp is inside the window (replayed_nonce). Only
// then is the route checked (not_found, method_not_allowed). Secrets,
// signatures and web codes are never logged; user numbers only at debug.
//
// Worked example (checked by TestSignatureWorkedExample and
// ExampleSignature): app key demo-app, secret demo-app-secret,
//
//	POST /v1/ondemand
//	X-Timestamp: 1767225600        (2026-01-01T00:00:00Z)
//	X-Nonce: n0nce-2026-0001
//	body: {"user":"13800138000"}
//
// string to sign (four LFs):
//
//	POST\n/v1/ondemand\n1767225600\nn0nce-2026-0001\n{"user":"13800138000"}
//
// X-Signature: c035a326a94a0e26bfa85d26c1f6da961a082f95f7f0367bc35b295c75395c7f
//
// The same with openssl:
//
//	printf 'POST\n/v1/ondemand\n1767225600\nn0nce-2026-0001\n{"user":"13800138000"}' |
//	  openssl dgst -sha256 -hmac demo-app-secret -hex
//
// Replay cache: nonces of requests whose signature verified are kept
// (as keyed 64-bit hashes) while their timestamp is inside the window; at
// most MaxNoncesPerKey per app key and MaxNonces in all (~13 MB). At a
// cap the request is refused with too_many_requests and Retry-After rather
// than forgetting a live nonce.
//
// # Errors
//
// Every non-2xx answer is {"code": "...", "message": "..."} (type Error);
// code is stable, message is for people. upstream_refused adds "result",
// the SMG's result code.
//
//	status code                    when
//	400    bad_json                body is not one JSON object (syntax, wrong type, trailing data, empty)
//	400    unknown_field           a body field or a query parameter the endpoint does not define
//	400    invalid_number          user is not an 11-digit mobile number (with optional 86 / +86)
//	400    invalid_argument        service_code, sp_number or text out of range / not the account's; a reconciliation date that is not YYYY-MM-DD
//	401    missing_credentials     an authentication header is absent or malformed
//	401    unknown_app_key         no account has this app key
//	401    bad_signature           the signature does not match the request
//	401    stale_timestamp         X-Timestamp outside ±http.signature_window
//	401    replayed_nonce          X-Nonce already used by this key within the window
//	403    forbidden_ip            the client address is not white-listed for the key
//	403    service_not_allowed     POST /v1/subscriptions for a service_code outside the account's service_codes
//	403    account_suspended       POST /v1/ondemand or /v1/subscriptions by an account the operator suspended
//	404    not_found               no such endpoint, or (DELETE) nothing active to cancel
//	405    method_not_allowed      the path exists, the method does not (Allow header set)
//	409    already_subscribed      POST /v1/subscriptions for an active (or paused) subscription
//	413    body_too_large          body over 64 KB
//	415    unsupported_media_type  POST without Content-Type: application/json
//	429    too_many_requests       the key's replay cache is full (Retry-After set)
//	500    internal                an unexpected engine error (logged)
//	502    upstream_refused        the SMG answered the MT with a non-zero result ("result")
//	503    store_unavailable       the authorization store is unavailable (fail-closed, docs/authorization.md §6); retry
//	503    upstream_unavailable    no SMG bind logged in, or it was lost before answering; retry
//	503    not_configured          authorization.portal_number is not set; reconciliation not enabled
//	503    id_space_exhausted      no free web code / pending ID (widen the configured digits)
//	504    upstream_timeout        the SMG did not answer within OriginateTimeout (10 s)
//
// When the originated MT fails (502/503/504) after the engine recorded the
// web code or the pending subscription, the record is left to expire on its
// own (web_code_ttl, pending_ttl): nobody knows the code, and the user
// most likely never got the Noti_User to reply to. The SP website may
// simply retry; the retry sends a new code or Noti_User.
//
// # Metrics
//
// spsmg_api_requests_total{endpoint, code} (endpoint: ondemand,
// subscriptions_create, subscriptions_list, subscriptions_delete,
// reconciliation, other;
// code: "ok" or a code above), spsmg_api_request_duration_seconds{endpoint}
// and spsmg_api_nonce_cache_entries. Every (endpoint, code) series exists
// from the start at zero.
//
// To add an endpoint: a name in endpointNames (it becomes a metric label),
// a case in route and in serve, a handler returning (status, body, error)
// with *Error for answers, its errors in the table above and a test in
// api_test.go. To add an error code: codeNames, codeStatus and this table.
package api
