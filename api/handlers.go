package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reconcile"
)

// Field limits, each from the wire field the value ends up in.
const (
	// MaxServiceCodeLen: CMPP Service_Id, SGIP ServiceType and SMGP
	// ServiceID are 10 octets (docs/protocols/cmpp.md §7, docs/protocols/sgip12.md §4, docs/protocols/smgp30.md §5).
	MaxServiceCodeLen = 10
	// MaxSPNumberLen: CMPP Src_Id, SGIP SPNumber, SMGP SrcTermID are 21.
	MaxSPNumberLen = 21
	// MaxTextRunes bounds the original request text delivered to the SP
	// in the Noti_SP MO: one short message in UCS-2 (70 characters).
	MaxTextRunes = 70
)

// ---- POST /v1/ondemand ----

type ondemandRequest struct {
	User string `json:"user"`
}

type ondemandResponse struct {
	User             string `json:"user"`
	SentFrom         string `json:"sent_from"`
	MessageID        string `json:"message_id"`
	ExpiresInSeconds int64  `json:"expires_in_seconds"`
}

// ondemand issues a web on-demand code and sends it to the user from the
// portal number (docs/authorization.md §2 step 4). The code goes only to
// the user's phone: it is neither answered nor logged.
func (a *API) ondemand(r *request) (int, any, error) {
	var in ondemandRequest
	if e := decodeBody(r, &in); e != nil {
		return 0, nil, e
	}
	user, ok := normalizeUser(in.User)
	if !ok {
		return 0, nil, invalidNumber("user")
	}
	if r.snap.portal == "" {
		return 0, nil, fail(codeNotConfigured, "web on-demand is not configured (authorization.portal_number)")
	}
	webCode, err := a.engine.IssueWebCode(r.acc.id, user)
	if err = a.kept(webCode, err, "web code"); err != nil {
		return 0, nil, err
	}
	// Failing from here on leaves the code to expire unused after
	// web_code_ttl: it was never shown to anyone.
	res, e := a.originate(proxy.Origination{SPNumber: r.snap.portal, User: user,
		Text: fill(r.snap.webCodeText, webCode), CorpID: r.acc.corpID})
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, ondemandResponse{User: user, SentFrom: r.snap.portal,
		MessageID: hex.EncodeToString(res.MsgID), ExpiresInSeconds: int64(r.snap.webCodeTTL / time.Second)}, nil
}

// ---- POST /v1/subscriptions ----

type subscribeRequest struct {
	User        string `json:"user"`
	ServiceCode string `json:"service_code"`
	SPNumber    string `json:"sp_number,omitempty"`
	Text        string `json:"text,omitempty"`
}

type subscribeResponse struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	SentFrom  string `json:"sent_from"`
	MessageID string `json:"message_id,omitempty"`
}

// subscribe stores a pending web subscription and sends the user the
// Noti_User from portal number + ID (docs/authorization.md §3a, §3
// steps 1–4). The user's Y/N reply then reaches the engine through the proxy.
func (a *API) subscribe(r *request) (int, any, error) {
	var in subscribeRequest
	if e := decodeBody(r, &in); e != nil {
		return 0, nil, e
	}
	user, ok := normalizeUser(in.User)
	if !ok {
		return 0, nil, invalidNumber("user")
	}
	if e := checkServiceCode(in.ServiceCode); e != nil {
		return 0, nil, e
	}
	// The gateway refuses every MT of a service outside the account's
	// list (service_not_allowed): such a subscription could never be used,
	// so the user is not asked to confirm it.
	if r.acc.services != nil && !r.acc.services[in.ServiceCode] {
		return 0, nil, fail(codeServiceNotAllowed, "service_code %q is not one of this account's service_codes", in.ServiceCode)
	}
	spNumber := in.SPNumber
	if spNumber == "" {
		if len(r.acc.accessNumbers) == 0 { // config.Validate requires one
			return 0, nil, fail(codeNotConfigured, "this account has no access number")
		}
		spNumber = r.acc.accessNumbers[0]
	} else if e := checkSPNumber(spNumber, r.acc.accessNumbers); e != nil {
		return 0, nil, e
	}
	text := in.Text
	if text == "" {
		text = "DZ" + in.ServiceCode
	} else if !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxTextRunes {
		return 0, nil, fail(codeInvalidArgument, "text: at most %d characters of valid UTF-8", MaxTextRunes)
	}
	id, err := a.engine.RequestSubscription(authcache.SubscriptionRequest{SP: r.acc.id, SPNumber: spNumber,
		ServiceCode: in.ServiceCode, User: user, Text: text})
	if errors.Is(err, authcache.ErrRequestPending) {
		// The same request is pending from within pending_repeat_window:
		// the user has its Noti_User; a second would only confuse.
		return http.StatusOK, subscribeResponse{ID: id, Status: "pending", SentFrom: a.engine.ConfirmationNumber(id)}, nil
	}
	if err = a.kept(id, err, "pending subscription"); err != nil {
		return 0, nil, err
	}
	// Failing from here on leaves the pending request to expire after
	// pending_ttl (the user may have got the Noti_User after all), and a
	// retry sends a new one.
	from := a.engine.ConfirmationNumber(id)
	res, e := a.originate(proxy.Origination{SPNumber: from, User: user, ServiceCode: in.ServiceCode,
		Text: fill(r.snap.notiUserText, in.ServiceCode), CorpID: r.acc.corpID})
	if e != nil {
		a.engine.RequestUnsent(id)
		return 0, nil, e
	}
	return http.StatusCreated, subscribeResponse{ID: id, Status: "pending", SentFrom: from,
		MessageID: hex.EncodeToString(res.MsgID)}, nil
}

// ---- GET /v1/subscriptions?user= ----

type subscriptionView struct {
	User        string `json:"user"`
	ServiceCode string `json:"service_code"`
	State       string `json:"state"`
	Source      string `json:"source"`
	Since       string `json:"since"`
	Updated     string `json:"updated"`
}

// list returns the caller's own subscriptions of one user, active and
// cancelled-but-retained, sorted by service code.
func (a *API) list(r *request) (int, any, error) {
	args := r.ctx.QueryArgs()
	var bad []byte
	args.VisitAll(func(k, _ []byte) {
		if string(k) != "user" && bad == nil {
			bad = append(bad, k...)
		}
	})
	if bad != nil {
		return 0, nil, fail(codeUnknownField, "unknown query parameter %q", bad)
	}
	if n := len(args.PeekMulti("user")); n != 1 {
		return 0, nil, fail(codeInvalidNumber, "user: exactly one ?user= is required")
	}
	user, ok := normalizeUser(string(args.Peek("user")))
	if !ok {
		return 0, nil, invalidNumber("user")
	}
	subs := a.engine.Subscriptions(r.acc.id, user)
	out := make([]subscriptionView, 0, len(subs))
	for _, s := range subs {
		out = append(out, subscriptionView{User: s.User, ServiceCode: s.ServiceCode, State: s.State.String(),
			Source: s.Source.String(), Since: s.Since.UTC().Format(time.RFC3339), Updated: s.Updated.UTC().Format(time.RFC3339)})
	}
	return http.StatusOK, out, nil
}

// ---- DELETE /v1/subscriptions/{user}/{service} ----

type unsubscribeResponse struct {
	Cancelled int `json:"cancelled"`
}

// unsubscribe ends the caller's active subscription of the user to the
// service (docs/authorization.md §3e); later plain MTs are refused not_subscribed.
func (a *API) unsubscribe(r *request) (int, any, error) {
	user, ok := normalizeUser(r.rt.user)
	if !ok {
		return 0, nil, invalidNumber("path {user}")
	}
	if e := checkServiceCode(r.rt.service); e != nil {
		return 0, nil, e
	}
	n, err := a.engine.Unsubscribe(r.acc.id, user, r.rt.service)
	if err != nil {
		if n == 0 || !errors.Is(err, authcache.ErrQueueFull) {
			return 0, nil, engineErr(err)
		}
		a.log.Warn("api: cancellation kept in memory only: store write queue full", "sp", r.acc.id)
	}
	if n == 0 {
		return 0, nil, fail(codeNotFound, "no active subscription of this user to %q", r.rt.service)
	}
	return http.StatusOK, unsubscribeResponse{Cancelled: n}, nil
}

// ---- shared ----

// kept checks the result of an engine call that returns an id. A full
// write queue after the record was made in memory is not a failure (the
// record is live; it is lost only if the process stops before it is
// written again): logged, and the request goes on.
func (a *API) kept(id string, err error, what string) error {
	if err == nil {
		return nil
	}
	if id != "" && errors.Is(err, authcache.ErrQueueFull) {
		a.log.Warn("api: "+what+" kept in memory only: store write queue full", "err", err)
		return nil
	}
	return engineErr(err)
}

// engineErr maps an engine error to its answer; unmapped errors are
// returned wrapped, and serve logs them as internal.
func engineErr(err error) error {
	if e, ok := engineError(err); ok {
		return e
	}
	return fmt.Errorf("authorization engine: %w", err)
}

// originate sends o with a bounded wait and maps the outcome.
func (a *API) originate(o proxy.Origination) (proxy.OriginResult, *Error) {
	ctx, cancel := context.WithTimeout(context.Background(), a.originateTimeout)
	defer cancel()
	res, err := a.gw.Originate(ctx, o)
	if err != nil {
		return res, originateError(err)
	}
	if res.Result != 0 {
		return res, refused(res.Result)
	}
	return res, nil
}

// fill replaces every %s of a configured text with v. Not fmt: the text
// comes from the operator's file and may hold other % verbs.
func fill(text, v string) string { return strings.ReplaceAll(text, "%s", v) }

// decodeBody checks the content type and decodes r's body into v.
func decodeBody(r *request, v any) *Error {
	mt, _, err := mime.ParseMediaType(string(r.ctx.Request.Header.ContentType()))
	if err != nil || mt != "application/json" {
		return fail(codeUnsupportedMediaType, "Content-Type must be application/json")
	}
	return decodeJSON(r.body, v)
}

// decodeJSON decodes exactly one JSON object into v, refusing unknown
// fields and trailing data.
func decodeJSON(body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(codeBadJSON, "empty body: a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json has no type for it; the text is stable since Go 1.10.
		if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fail(codeUnknownField, "unknown field %s", msg)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail(codeBadJSON, "field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return fail(codeBadJSON, "%v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(codeBadJSON, "trailing data after the JSON object")
	}
	return nil
}

// normalizeUser accepts a mainland mobile number, 11 digits starting with
// 1[3-9], optionally prefixed by 86 or +86, and returns the 11 digits.
func normalizeUser(s string) (string, bool) {
	s = strings.TrimPrefix(s, "+86")
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || !allDigits([]byte(s)) {
		return "", false
	}
	return s, true
}

func invalidNumber(field string) *Error {
	return fail(codeInvalidNumber, "%s: an 11-digit mobile number, optionally with 86 or +86", field)
}

// checkServiceCode: 1–10 printable ASCII characters, no space or '/'
// (it is a path segment of DELETE).
func checkServiceCode(s string) *Error {
	if s == "" || len(s) > MaxServiceCodeLen {
		return fail(codeInvalidArgument, "service_code: 1–%d characters", MaxServiceCodeLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == '/' {
			return fail(codeInvalidArgument, "service_code: printable ASCII without spaces or '/'")
		}
	}
	return nil
}

// checkSPNumber: digits, at most 21, starting with one of the account's
// access numbers (the Noti_SP MO is addressed to it).
func checkSPNumber(n string, access []string) *Error {
	if len(n) > MaxSPNumberLen || !allDigits([]byte(n)) {
		return fail(codeInvalidArgument, "sp_number: up to %d digits", MaxSPNumberLen)
	}
	for _, p := range access {
		if strings.HasPrefix(n, p) {
			return nil
		}
	}
	return fail(codeInvalidArgument, "sp_number: must start with one of this account's access numbers")
}

// ---- GET /v1/reconciliation?date=YYYY-MM-DD ----

// reconciliation answers the caller's own counts of one day as CSV: a
// header line, then one line for its account (package reconcile).
func (a *API) reconciliation(r *request) ([]byte, error) {
	box := a.recon.Load()
	if box == nil {
		return nil, fail(codeNotConfigured, "reconciliation is not configured")
	}
	args := r.ctx.QueryArgs()
	var bad []byte
	args.VisitAll(func(k, _ []byte) {
		if string(k) != "date" && bad == nil {
			bad = append(bad, k...)
		}
	})
	if bad != nil {
		return nil, fail(codeUnknownField, "unknown query parameter %q", bad)
	}
	if n := len(args.PeekMulti("date")); n != 1 {
		return nil, fail(codeInvalidArgument, "date: exactly one ?date=YYYY-MM-DD is required")
	}
	date := string(args.Peek("date"))
	counts, err := box.r.Day(date, r.acc.id)
	if err != nil {
		if errors.Is(err, reconcile.ErrBadDate) {
			return nil, fail(codeInvalidArgument, "date: YYYY-MM-DD, a calendar day")
		}
		return nil, fmt.Errorf("reconciliation: %w", err)
	}
	return reconcile.AppendCSV(nil, date, box.r.Columns(), map[string]map[string]uint64{r.acc.id: counts}), nil
}
