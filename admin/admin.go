package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
)

// Gateway is what the console shows and the admin API acts on:
// *proxy.Gateway (see its methods for what each action does).
type Gateway interface {
	Snapshot() proxy.Snapshot
	Suspend(ctx context.Context, id, by, reason string) (changed bool, err error)
	Resume(ctx context.Context, id string) (changed bool, err error)
	CloseConnection(id uint64) (proxy.ClosedConn, error)
	DrainBind(ctx context.Context, id int) (changed bool, err error)
	RestoreBind(ctx context.Context, id int) (changed bool, err error)
}

// Reloader re-reads and applies the configuration exactly as SIGHUP does
// (cmd/spsmg serve). err: refused, the running configuration stays;
// partial: applied, with changes that need a restart.
type Reloader func() (partial, err error)

// Limits of the admin API.
const (
	// MaxBodySize: a body is at most {"reason": "..."}.
	MaxBodySize = 4 << 10
	// MaxReasonLen bounds the operator's note (bytes).
	MaxReasonLen = 200
	// ActionTimeout bounds one action (a store write, a loop's turn).
	ActionTimeout = 10 * time.Second
)

// Admin serves the console (/console/) and the admin API (/admin/v1/).
// Handle and Console are safe for concurrent use; SetConfig may be called
// from any goroutine (SIGHUP, the reload action).
type Admin struct {
	gw      Gateway
	log     *slog.Logger
	verify  *api.Verifier
	set     atomic.Pointer[settings]
	reload  atomic.Pointer[Reloader]
	m       *adminMetrics
	sampler sampler
	// deniedLog bounds the log lines of refused requests: anyone allowed
	// to connect could otherwise fill the log.
	deniedLog *rate.Limiter

	// Replaced by tests.
	now       func() time.Time
	freeSpace func(path string) (free, total uint64, err error)
}

// settings is the part of the configuration Admin reads, swapped whole.
type settings struct {
	configured bool
	key        string
	secret     []byte
	allow      []netip.Prefix
	window     time.Duration
	backend    string
	storePath  string
}

// New returns the console and admin API over gw, configured from cfg,
// registering spsmg_admin_actions_total on reg (nil: not registered). log
// nil means slog.Default(). Set the reload action with SetReloader.
func New(cfg *config.Config, gw Gateway, log *slog.Logger, reg prometheus.Registerer) *Admin {
	if log == nil {
		log = slog.Default()
	}
	a := &Admin{gw: gw, log: log, verify: api.NewVerifier(), m: newMetrics(reg),
		deniedLog: rate.NewLimiter(10, 20), now: time.Now, freeSpace: freeSpace}
	a.sampler.minGap = MinSampleGap
	a.SetConfig(cfg)
	return a
}

// SetReloader sets what POST /admin/v1/reload runs. Any goroutine.
func (a *Admin) SetReloader(r Reloader) { a.reload.Store(&r) }

// SetConfig applies a (re)loaded configuration: the admin credential, its
// allow list, the signature window, the store's path. Any goroutine.
func (a *Admin) SetConfig(cfg *config.Config) {
	s := &settings{window: cfg.HTTP.SignatureWindow, backend: cfg.Store.Backend, storePath: cfg.Store.Path}
	if s.backend == "" {
		s.backend = config.StoreBadger
	}
	if ad := cfg.HTTP.Admin; ad != nil && ad.Key != "" && ad.Secret != "" {
		s.configured, s.key, s.secret = true, ad.Key, []byte(ad.Secret)
		rules, err := config.ParseIPRules(ad.AllowIPs)
		if err != nil { // config.Validate has checked the list
			a.log.Error("admin: http.admin.allow_ips", "err", err)
		}
		s.allow = rules
	}
	a.set.Store(s)
	a.verify.Retain(func(key string) bool { return s.configured && key == s.key })
}

// Handler returns Handle as a fasthttp handler (metrics.Server.Admin).
func (a *Admin) Handler() fasthttp.RequestHandler { return a.Handle }

// action is what a request asked for: the closed set of the metric's
// action label.
type action uint8

const (
	actSuspend action = iota
	actResume
	actCloseConnection
	actDrainBind
	actRestoreBind
	actReload
	actOther // no such route
	numActions
)

var actionNames = [numActions]string{"suspend", "resume", "close_connection", "drain_bind", "restore_bind", "reload", "other"}

func (x action) String() string { return actionNames[x] }

// result is how a request ended: the metric's result label.
type result uint8

const (
	resOK         result = iota // done
	resUnchanged                // it was so already
	resNotFound                 // no such account, connection, bind or route
	resDenied                   // not authenticated or not allowed
	resBadRequest               // a body or method the API refuses
	resFailed                   // the store, the reload or the gateway failed
	numResults
)

var resultNames = [numResults]string{"ok", "unchanged", "not_found", "denied", "bad_request", "failed"}

func (r result) String() string { return resultNames[r] }

// route is a parsed request path.
type route struct {
	act    action
	target string // account id, connection id, bind id; "" for reload
	method bool   // the method is POST
}

// parseRoute reads /admin/v1/... from the path as sent (segments are
// unescaped one by one, so an account id may hold any byte, '/' included).
func parseRoute(method, rawPath []byte) route {
	r := route{act: actOther, method: string(method) == fasthttp.MethodPost}
	p, ok := strings.CutPrefix(string(rawPath), "/admin/v1/")
	if !ok {
		return r
	}
	if p == "reload" {
		r.act = actReload
		return r
	}
	seg := strings.Split(p, "/")
	if len(seg) != 3 {
		return r
	}
	target, err := url.PathUnescape(seg[1])
	if err != nil || target == "" {
		return r
	}
	switch seg[0] + "/" + seg[2] {
	case "accounts/suspend":
		r.act = actSuspend
	case "accounts/resume":
		r.act = actResume
	case "connections/close":
		r.act = actCloseConnection
	case "binds/drain":
		r.act = actDrainBind
	case "binds/restore":
		r.act = actRestoreBind
	default:
		return r
	}
	r.target = target
	return r
}

// Answer is the body of a successful action.
type Answer struct {
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	Result string `json:"result"` // ok or unchanged
	// Warning: the reload was applied in part (changes that need a restart).
	Warning string `json:"warning,omitempty"`
}

// Handle serves one request under /admin/; it logs and counts it.
func (a *Admin) Handle(ctx *fasthttp.RequestCtx) {
	s := a.set.Load()
	rt := parseRoute(ctx.Method(), ctx.URI().PathOriginal())
	ip, _ := netip.AddrFromSlice(ctx.RemoteIP())
	ip = ip.Unmap()
	key, note, res, err := a.serve(ctx, s, rt, ip)
	a.m.actions[rt.act][res].Inc()
	attrs := []any{"action", rt.act.String(), "target", rt.target, "key", key, "remote", ip.String(), "result", res.String()}
	if note != "" {
		attrs = append(attrs, "reason", note)
	}
	switch {
	case res == resDenied || res == resBadRequest:
		if a.deniedLog.Allow() {
			a.log.Warn("admin request refused", append(attrs, "err", err)...)
		}
	case res == resFailed:
		a.log.Error("admin action failed", append(attrs, "err", err)...)
	default:
		a.log.Info("admin action", attrs...)
	}
}

// serve authenticates and runs one request, writing the answer. It returns
// the admin key ("" before authentication), the operator's note, the
// result and, when it did not succeed, why.
func (a *Admin) serve(ctx *fasthttp.RequestCtx, s *settings, rt route, ip netip.Addr) (key, note string, res result, err error) {
	refuse := func(r result, e *api.Error) (string, string, result, error) {
		api.WriteError(ctx, e)
		return key, note, r, e
	}
	if !allowed(s.allow, ip) {
		return refuse(resDenied, api.Refusal("forbidden_ip", fmt.Sprintf("client address %s is not in http.admin.allow_ips (loopback when empty)", ip)))
	}
	if !s.configured {
		return refuse(resDenied, api.Refusal("not_configured", "the admin API is off: set http.admin {key, secret} and reload"))
	}
	if len(ctx.PostBody()) > MaxBodySize {
		return refuse(resBadRequest, api.Refusal("body_too_large", fmt.Sprintf("request body over %d bytes", MaxBodySize)))
	}
	key, e := a.verify.Verify(ctx, a.now(), s.window, func(k string) ([]byte, *api.Error) {
		if k != s.key {
			return nil, api.Refusal("unknown_app_key", "unknown admin key")
		}
		return s.secret, nil
	})
	if e != nil {
		return refuse(resDenied, e)
	}
	if rt.act == actOther {
		return refuse(resNotFound, api.Refusal("not_found", fmt.Sprintf("%s %s: no such admin endpoint", ctx.Method(), ctx.Path())))
	}
	if !rt.method {
		ctx.Response.Header.Set("Allow", "POST")
		return refuse(resBadRequest, api.Refusal("method_not_allowed", "use POST"))
	}
	note, e = readNote(ctx.PostBody())
	if e != nil {
		return refuse(resBadRequest, e)
	}
	actx, cancel := context.WithTimeout(context.Background(), ActionTimeout)
	defer cancel()
	ans := Answer{Action: rt.act.String(), Target: rt.target, Result: "ok"}
	changed, err := a.act(actx, rt, key, note, &ans)
	if err == nil {
		if !changed {
			ans.Result = resUnchanged.String()
			res = resUnchanged
		}
		api.WriteJSON(ctx, http.StatusOK, ans)
		return key, note, res, nil
	}
	var answer *api.Error
	switch {
	case errors.Is(err, proxy.ErrUnknownAccount), errors.Is(err, proxy.ErrUnknownConnection), errors.Is(err, proxy.ErrUnknownBind), errors.Is(err, errBadID):
		res, answer = resNotFound, api.Refusal("not_found", err.Error())
	case errors.Is(err, errReloadRefused):
		res, answer = resFailed, &api.Error{Status: http.StatusUnprocessableEntity, Code: "reload_refused", Message: err.Error()}
	case rt.act == actSuspend || rt.act == actResume:
		res, answer = resFailed, api.Refusal("store_unavailable", err.Error()+"; nothing changed")
	default:
		res, answer = resFailed, api.Refusal("internal", err.Error())
	}
	api.WriteError(ctx, answer)
	return key, note, res, err
}

var (
	errBadID         = errors.New("not a number")
	errReloadRefused = errors.New("reload refused: the running configuration stays")
)

// act runs one authenticated action.
func (a *Admin) act(ctx context.Context, rt route, key, note string, ans *Answer) (changed bool, err error) {
	switch rt.act {
	case actSuspend:
		return a.gw.Suspend(ctx, rt.target, key, note)
	case actResume:
		return a.gw.Resume(ctx, rt.target)
	case actCloseConnection:
		id, err := strconv.ParseUint(rt.target, 10, 64)
		if err != nil {
			return false, fmt.Errorf("connection %q: %w", rt.target, errBadID)
		}
		_, err = a.gw.CloseConnection(id)
		return err == nil, err
	case actDrainBind, actRestoreBind:
		id, err := strconv.Atoi(rt.target)
		if err != nil {
			return false, fmt.Errorf("bind %q: %w", rt.target, errBadID)
		}
		if rt.act == actDrainBind {
			return a.gw.DrainBind(ctx, id)
		}
		return a.gw.RestoreBind(ctx, id)
	case actReload:
		r := a.reload.Load()
		if r == nil || *r == nil {
			return false, fmt.Errorf("%w: no reload is wired", errReloadRefused)
		}
		partial, err := (*r)()
		if err != nil {
			return false, fmt.Errorf("%w: %v", errReloadRefused, err)
		}
		if partial != nil {
			ans.Warning = partial.Error()
		}
		return true, nil
	}
	return false, errors.New("no such action")
}

// readNote reads the optional body {"reason": "..."}.
func readNote(body []byte) (string, *api.Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	var in struct {
		Reason string `json:"reason"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return "", api.Refusal("unknown_field", err.Error()+`: the body is {"reason": "..."} or empty`)
		}
		return "", api.Refusal("bad_json", `the body is {"reason": "..."} or empty`)
	}
	if dec.More() {
		return "", api.Refusal("bad_json", "trailing data after the JSON object")
	}
	if len(in.Reason) > MaxReasonLen {
		return "", api.Refusal("invalid_argument", fmt.Sprintf("reason: longer than %d bytes", MaxReasonLen))
	}
	return in.Reason, nil
}

// allowed applies an allow list; empty means loopback only.
func allowed(rules []netip.Prefix, ip netip.Addr) bool {
	if len(rules) == 0 {
		return ip.IsLoopback()
	}
	for _, r := range rules {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

// adminMetrics: every (action, result) series exists from the start.
type adminMetrics struct {
	actions [numActions][numResults]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *adminMetrics {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Subsystem: "admin", Name: "actions_total",
		Help: "Admin API requests by action (suspend, resume, close_connection, drain_bind, restore_bind, reload, other) and result (ok, unchanged, not_found, denied, bad_request, failed).",
	}, []string{"action", "result"})
	if reg != nil {
		if err := reg.Register(vec); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err)
			}
			vec = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	m := &adminMetrics{}
	for x := range numActions {
		for r := range numResults {
			m.actions[x][r] = vec.WithLabelValues(actionNames[x], resultNames[r])
		}
	}
	return m
}
