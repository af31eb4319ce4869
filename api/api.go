package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
)

// Limits and defaults of the API.
const (
	// MaxBodySize caps a request body. The largest request, a subscription,
	// is under 300 bytes; 64 KB leaves room and keeps the HMAC and the JSON
	// decoder cheap. (metrics.Server refuses bodies over 1 MB before they
	// reach the API.)
	MaxBodySize = 64 << 10
	// OriginateTimeout bounds the wait for the SMG's Submit_Resp to an MT
	// the API originates. The SMG's own resend timer is 30–60 s
	// (upstream.response_timeout); an SP website's request should not hang
	// that long.
	OriginateTimeout = 10 * time.Second
	// DefaultSignatureWindow applies when http.signature_window is zero
	// (config.Load sets the same default).
	DefaultSignatureWindow = 5 * time.Minute
)

// Reconciler answers an SP's counts of one day: *reconcile.Recorder.
type Reconciler interface {
	// Columns are the counts of a day, in CSV order.
	Columns() []string
	// Day returns sp's counts of date (YYYY-MM-DD); reconcile.ErrBadDate
	// when date is malformed.
	Day(date, sp string) (map[string]uint64, error)
}

// Originator sends an MT on spsmg's own behalf and waits for the SMG's
// answer: *proxy.Gateway, or a fake in tests.
type Originator interface {
	Originate(context.Context, proxy.Origination) (proxy.OriginResult, error)
}

// API is the SPMS HTTP API under /v1/: web on-demand and web subscription
// for SP websites (docs/authorization.md §2, §3), authenticated per
// SP account by app key + secret signing and an IP white-list (docs/product.md §5.2, §5.3).
//
//	SP website ──HTTPS──► metrics.Server /v1/ ──► API.Handle
//	                         authenticate (headers, app key, IP, timestamp, signature, nonce)
//	                         ├─ engine.IssueWebCode / RequestSubscription / Unsubscribe / Subscriptions
//	                         └─ gw.Originate(MT from the portal number) ──► SMG ──► user's phone
//
// Handle is safe for concurrent use by the server's goroutines; SetConfig
// may be called from any goroutine (SIGHUP).
type API struct {
	engine *authcache.Engine
	gw     Originator
	log    *slog.Logger
	snap   atomic.Pointer[snapshot]
	nonces *nonceCache
	m      *apiMetrics
	recon  atomic.Pointer[reconcilerBox]

	// Replaced by tests.
	now              func() time.Time
	originateTimeout time.Duration
}

// snapshot is the part of the configuration the API reads, compiled once
// per New / SetConfig and swapped atomically.
type snapshot struct {
	accounts     map[string]*account // by app key
	serverAllow  []netip.Prefix
	window       int64 // seconds
	portal       string
	webCodeText  string
	notiUserText string
	webCodeTTL   time.Duration
}

// account is an SP account that has API credentials.
type account struct {
	id            string
	corpID        string
	accessNumbers []string
	services      map[string]bool // the account's service_codes; nil: any
	secret        []byte
	allow         []netip.Prefix
}

// New returns the API for cfg's accounts, registering its metrics on reg
// (nil: not registered). log nil means slog.Default().
func New(cfg *config.Config, engine *authcache.Engine, gw Originator, log *slog.Logger, reg prometheus.Registerer) *API {
	if log == nil {
		log = slog.Default()
	}
	a := &API{
		engine: engine, gw: gw, log: log,
		nonces:           newNonceCache(MaxNoncesPerKey, MaxNonces),
		now:              time.Now,
		originateTimeout: OriginateTimeout,
	}
	a.m = newMetrics(reg, a.nonces)
	a.SetConfig(cfg)
	return a
}

// SetConfig swaps in a reloaded configuration (SIGHUP): accounts, app
// keys and secrets, white-lists, the signature window and the texts apply
// to the next request. A rotated secret is refused from then on. An app
// key configured on two accounts is ambiguous and refused for both
// (logged). Any goroutine.
func (a *API) SetConfig(cfg *config.Config) {
	s := &snapshot{
		accounts:     make(map[string]*account),
		window:       int64(cfg.HTTP.SignatureWindow / time.Second),
		portal:       cfg.Authorization.PortalNumber,
		webCodeText:  cfg.Authorization.WebCodeText,
		notiUserText: cfg.Authorization.NotiUserText,
		webCodeTTL:   cfg.Authorization.WebCodeTTL,
	}
	if s.window <= 0 {
		s.window = int64(DefaultSignatureWindow / time.Second)
	}
	if s.webCodeTTL <= 0 {
		s.webCodeTTL = authcache.DefaultWebCodeTTL
	}
	s.serverAllow = a.prefixes("http.allow_ips", cfg.HTTP.AllowIPs)
	dup := map[string]bool{}
	for _, ac := range cfg.Accounts {
		if ac.API == nil || ac.API.AppKey == "" || ac.API.AppSecret == "" {
			continue
		}
		if _, ok := s.accounts[ac.API.AppKey]; ok {
			dup[ac.API.AppKey] = true
			continue
		}
		acc := &account{
			id: ac.ID, corpID: ac.CorpID,
			accessNumbers: append([]string(nil), ac.AccessNumbers...),
			secret:        []byte(ac.API.AppSecret),
			allow:         a.prefixes("accounts["+ac.ID+"].api.allow_ips", ac.API.AllowIPs),
		}
		if len(ac.ServiceCodes) > 0 {
			acc.services = make(map[string]bool, len(ac.ServiceCodes))
			for _, svc := range ac.ServiceCodes {
				acc.services[svc] = true
			}
		}
		s.accounts[ac.API.AppKey] = acc
	}
	for key := range dup {
		delete(s.accounts, key)
		a.log.Error("api: app key configured on several accounts; refused for all of them", "app_key", key)
	}
	a.snap.Store(s)
	a.nonces.retain(func(key string) bool { _, ok := s.accounts[key]; return ok })
}

// prefixes parses an allow list; config.Validate has checked it, so a bad
// entry only comes from a Config built in code: it is skipped and logged.
func (a *API) prefixes(path string, rules []string) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range rules {
		p, err := config.ParseIPRule(r)
		if err != nil {
			a.log.Error("api: ignoring allow-list entry", "path", path, "entry", r, "err", err)
			continue
		}
		out = append(out, p)
	}
	return out
}

type reconcilerBox struct{ r Reconciler }

// SetReconciler enables GET /v1/reconciliation; until it is called that
// endpoint answers 503 not_configured. Any goroutine.
func (a *API) SetReconciler(r Reconciler) { a.recon.Store(&reconcilerBox{r}) }

// Handler returns Handle as a fasthttp handler, for metrics.Server.API.
func (a *API) Handler() fasthttp.RequestHandler { return a.Handle }

// Handle serves one request under /v1/ and counts it.
func (a *API) Handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	rt := route(ctx.Method(), ctx.Path())
	c, sp := a.serve(ctx, &rt)
	a.m.requests[rt.ep][c].Inc()
	a.m.duration[rt.ep].Observe(time.Since(start).Seconds())
	if a.log.Enabled(context.Background(), slog.LevelDebug) {
		a.log.Debug("api: request", "endpoint", rt.ep.String(), "sp", sp, "code", c.String(),
			"status", ctx.Response.StatusCode(), "remote", ctx.RemoteIP().String())
	}
}

// request is one authenticated request, handed to an endpoint.
type request struct {
	ctx  *fasthttp.RequestCtx
	snap *snapshot
	acc  *account
	rt   *routed
	body []byte
}

// serve authenticates, dispatches and writes the answer; it returns the
// answer's code and the SP account ("" before authentication).
func (a *API) serve(ctx *fasthttp.RequestCtx, rt *routed) (code, string) {
	s := a.snap.Load()
	body := ctx.PostBody()
	if len(body) > MaxBodySize {
		return a.answerError(ctx, fail(codeBodyTooLarge, "request body over %d bytes", MaxBodySize)), ""
	}
	acc, e := a.authenticate(ctx, s, body)
	if e != nil {
		return a.answerError(ctx, e), ""
	}
	if rt.code != codeOK {
		if rt.allow != "" {
			ctx.Response.Header.Set("Allow", rt.allow)
		}
		return a.answerError(ctx, fail(rt.code, "%s %s: %s", ctx.Method(), ctx.Path(), rt.why)), acc.id
	}
	if (rt.ep == epOndemand || rt.ep == epSubscriptionsCreate) && a.suspended(acc.id) {
		// A suspended SP may not have spsmg send MT on its behalf either
		// (README: Operator console); it may still list and cancel.
		return a.answerError(ctx, fail(codeAccountSuspended, "account %s is suspended by the operator: no MT is sent on its behalf", acc.id)), acc.id
	}
	r := &request{ctx: ctx, snap: s, acc: acc, rt: rt, body: body}
	var (
		status int
		out    any
		err    error
	)
	switch rt.ep {
	case epOndemand:
		status, out, err = a.ondemand(r)
	case epSubscriptionsCreate:
		status, out, err = a.subscribe(r)
	case epSubscriptionsList:
		status, out, err = a.list(r)
	case epSubscriptionsDelete:
		status, out, err = a.unsubscribe(r)
	case epReconciliation:
		var csv []byte
		if csv, err = a.reconciliation(r); err == nil {
			ctx.SetStatusCode(fasthttp.StatusOK)
			ctx.SetContentType("text/csv; charset=utf-8")
			ctx.Response.Header.Set("Cache-Control", "no-store")
			ctx.SetBody(csv)
			return codeOK, acc.id
		}
	}
	if err != nil {
		var ae *Error
		if !errors.As(err, &ae) {
			a.log.Error("api: request failed", "endpoint", rt.ep.String(), "sp", acc.id, "err", err)
			ae = fail(codeInternal, "internal error")
		}
		return a.answerError(ctx, ae), acc.id
	}
	writeJSON(ctx, status, out)
	return codeOK, acc.id
}

// authenticate runs the checks of docs/product.md §5.3 in order: headers present and
// well-formed, app key known, client IP white-listed, timestamp inside the
// window, signature right, nonce unused.
func (a *API) authenticate(ctx *fasthttp.RequestCtx, s *snapshot, body []byte) (*account, *Error) {
	var acc *account
	_, e := verifyRequest(ctx, body, a.nonces, a.now().Unix(), s.window, func(key string) ([]byte, *Error) {
		acc = s.accounts[key]
		if acc == nil {
			return nil, fail(codeUnknownAppKey, "unknown app key")
		}
		ip, _ := netip.AddrFromSlice(ctx.RemoteIP())
		if !ipAllowed(acc.allow, s.serverAllow, ip.Unmap()) {
			return nil, fail(codeForbiddenIP, "client address %s is not white-listed for this app key", ip.Unmap())
		}
		return acc.secret, nil
	})
	if e != nil {
		return nil, e
	}
	return acc, nil
}

// verifyRequest runs the checks of a signed request in order: headers
// present and well-formed, then lookup (the key known, the client allowed:
// it returns the key's secret or the refusal), timestamp inside ±window
// seconds of now, signature right, nonce unused. It returns the key.
func verifyRequest(ctx *fasthttp.RequestCtx, body []byte, nonces *nonceCache, now, window int64,
	lookup func(key string) ([]byte, *Error)) (string, *Error) {
	h := &ctx.Request.Header
	c, e := parseCredentials(h.Peek(HeaderAppKey), h.Peek(HeaderTimestamp), h.Peek(HeaderNonce), h.Peek(HeaderSignature))
	if e != nil {
		return "", e
	}
	secret, e := lookup(c.appKey)
	if e != nil {
		return "", e
	}
	if d := now - c.timestamp; d > window || d < -window {
		return "", fail(codeStaleTimestamp, "%s is %d s away from the server clock (window ±%d s)", HeaderTimestamp, d, window)
	}
	if !c.verify(secret, string(ctx.Method()), string(h.RequestURI()), body) {
		return "", fail(codeBadSignature, "signature does not match the request")
	}
	switch r, retry := nonces.add(c.appKey, c.nonce, c.timestamp, now, window); r {
	case nonceReplayed:
		return "", fail(codeReplayedNonce, "nonce already used within the signature window")
	case nonceFull:
		e := fail(codeTooManyRequests, "too many requests within the signature window; retry later")
		e.retryAfter = int(max(retry, 1))
		return "", e
	}
	return c.appKey, nil
}

// suspended reports whether the gateway has suspended account id (the
// admin API); an Originator that cannot say suspends nobody.
func (a *API) suspended(id string) bool {
	s, ok := a.gw.(interface{ Suspended(string) bool })
	return ok && s.Suspended(id)
}

// answerError writes e and returns its code.
func (a *API) answerError(ctx *fasthttp.RequestCtx, e *Error) code {
	if e.retryAfter > 0 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(ctx, e.Status, e)
	return codeOf(e)
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain structs, slices and strings are answered
		status, b = fasthttp.StatusInternalServerError, []byte(`{"code":"internal","message":"internal error"}`)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(append(b, '\n'))
}

// routed is the route a request matched.
type routed struct {
	ep    endpoint
	code  code   // codeOK, codeNotFound or codeMethodNotAllowed
	allow string // the Allow header of a 405
	why   string
	// DELETE /v1/subscriptions/{user}/{service}
	user, service string
}

const (
	pathOndemand       = "/v1/ondemand"
	pathSubscriptions  = "/v1/subscriptions"
	pathReconciliation = "/v1/reconciliation"
)

// route matches method and the decoded path against the endpoints.
func route(method, path []byte) routed {
	m, p := string(method), string(path)
	switch {
	case p == pathReconciliation:
		if m == fasthttp.MethodGet {
			return routed{ep: epReconciliation}
		}
		return routed{ep: epOther, code: codeMethodNotAllowed, allow: "GET", why: "use GET"}
	case p == pathOndemand:
		if m == fasthttp.MethodPost {
			return routed{ep: epOndemand}
		}
		return routed{ep: epOther, code: codeMethodNotAllowed, allow: "POST", why: "use POST"}
	case p == pathSubscriptions:
		switch m {
		case fasthttp.MethodPost:
			return routed{ep: epSubscriptionsCreate}
		case fasthttp.MethodGet:
			return routed{ep: epSubscriptionsList}
		}
		return routed{ep: epOther, code: codeMethodNotAllowed, allow: "GET, POST", why: "use GET or POST"}
	case strings.HasPrefix(p, pathSubscriptions+"/"):
		user, service, ok := strings.Cut(p[len(pathSubscriptions)+1:], "/")
		if !ok || user == "" || service == "" || strings.Contains(service, "/") {
			return routed{ep: epOther, code: codeNotFound, why: "expected /v1/subscriptions/{user}/{service}"}
		}
		if m != fasthttp.MethodDelete {
			return routed{ep: epOther, code: codeMethodNotAllowed, allow: "DELETE", why: "use DELETE"}
		}
		return routed{ep: epSubscriptionsDelete, user: user, service: service}
	}
	return routed{ep: epOther, code: codeNotFound, why: "no such endpoint"}
}
