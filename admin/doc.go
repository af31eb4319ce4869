// Package admin is the operator's console and admin API, served by
// metrics.Server beside /metrics:
//
//	browser ──GET /console/, /console/api/state (every second)──▶ Admin.Console ──▶ proxy.Gateway.Snapshot
//	browser ──POST /admin/v1/… signed with http.admin's key──▶ Admin.Handle ──▶ Gateway.Suspend, CloseConnection, DrainBind, reload
//
// # Console
//
// /console/ is one HTML page with its script and style sheet, embedded in
// the binary (no framework, nothing fetched from elsewhere). It polls
// /console/api/state once a second and shows the SP connections (account,
// address, connected since, window use, Submits per second), the upstream
// binds (state, in flight, round-trip p99, healthy, drained), decisions per
// second by reason, the outbox backlog per account, and the store (state,
// free space). The console's paths answer only http.metrics_allow_ips
// (loopback when empty), like /metrics.
//
// Rates are computed here, not in the page: each state request takes a new
// gateway snapshot when the last one is at least MinSampleGap old, and
// rates are the difference between the last two snapshots over the time
// between them. Many pages polling share the snapshots; with none polling
// nothing is sampled. A connection's Submits per second counts the Submits
// it sent (decided or in flight); a bind's round-trip p99 is its event
// loop's, over the same interval (binds_per_loop is 1 by default, so the
// loop's histogram is the bind's, and the hot path keeps one histogram per
// loop).
//
// # Admin API
//
// Every request is signed exactly as /v1/ requests are (package api): the
// headers X-App-Key (http.admin.key), X-Timestamp, X-Nonce and X-Signature,
// HMAC-SHA256 under http.admin.secret of METHOD, request target, timestamp,
// nonce and body joined by "\n", within http.signature_window, each nonce
// once. The client address must be in http.admin.allow_ips (loopback when
// empty). Bodies are empty or {"reason": "..."}: a note for the log, kept
// with a suspension.
//
//	POST /admin/v1/accounts/{id}/suspend     its Submits get account_suspended (permanent), before window or TPS; connections and logins stay, MO and reports flow; persisted
//	POST /admin/v1/accounts/{id}/resume      its Submits are decided as before
//	POST /admin/v1/connections/{id}/close    closes one logged-in SP connection (close reason admin)
//	POST /admin/v1/binds/{id}/drain          no new Submits on that bind; those in flight answered; kept across re-dials and reloads, not restarts
//	POST /admin/v1/binds/{id}/restore        back in rotation
//	POST /admin/v1/reload                    what SIGHUP does, through the same code
//
// Answers: 200 {"action","target","result":"ok"|"unchanged"[,"warning"]};
// errors are {"code","message"} as in the API: 400 bad_json, unknown_field;
// 401 missing_credentials, unknown_app_key, bad_signature, stale_timestamp,
// replayed_nonce; 403 forbidden_ip; 404 not_found; 405
// method_not_allowed; 413 body_too_large; 422 reload_refused; 429
// too_many_requests; 503 not_configured (no http.admin), store_unavailable
// (a suspension the store did not take is not in force).
//
// Every request is logged (who: the key and the client address; what: the
// action and its target; the result) and counted in
// spsmg_admin_actions_total{action, result}.
//
// # The page signs
//
// The operator types the admin key and secret into the page; they are kept
// in the tab's sessionStorage only (gone when the tab closes) and the page
// signs each action with WebCrypto (crypto.subtle HMAC-SHA256), the same
// string to sign as above. The secret never travels, a captured request
// cannot be replayed, and another site cannot make the browser act (it
// cannot sign), so no cookie or session is needed. WebCrypto needs a
// secure context: https (http.tls_cert), or http on loopback (an SSH
// tunnel to 127.0.0.1). The page's Content-Security-Policy allows only its
// own script and style.
package admin
