package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/syncbuf"
	"github.com/spsmg/spsmg/proxy"
)

const (
	adminKey    = "ops"
	adminSecret = "ops-secret-0123456789"
)

// fakeGW records the actions asked of it and answers as told.
type fakeGW struct {
	mu        sync.Mutex
	calls     []string
	suspended map[string]bool
	err       error // answered by Suspend/Resume when set
	snap      proxy.Snapshot
}

func (f *fakeGW) Snapshot() proxy.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeGW) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeGW) Suspend(_ context.Context, id, by, reason string) (bool, error) {
	f.record(fmt.Sprintf("suspend %s by %s: %s", id, by, reason))
	if f.err != nil {
		return false, f.err
	}
	if id != "sp1" && id != "sp/2" {
		return false, proxy.ErrUnknownAccount
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.suspended[id]
	f.suspended[id] = true
	return !was, nil
}

func (f *fakeGW) Resume(_ context.Context, id string) (bool, error) {
	f.record("resume " + id)
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.suspended[id]
	delete(f.suspended, id)
	return was, nil
}

func (f *fakeGW) CloseConnection(id uint64) (proxy.ClosedConn, error) {
	f.record(fmt.Sprintf("close %d", id))
	if id != 7 {
		return proxy.ClosedConn{}, proxy.ErrUnknownConnection
	}
	return proxy.ClosedConn{Account: "sp1", Remote: "127.0.0.1"}, nil
}

func (f *fakeGW) DrainBind(_ context.Context, id int) (bool, error) {
	f.record(fmt.Sprintf("drain %d", id))
	if id != 1 {
		return false, proxy.ErrUnknownBind
	}
	return true, nil
}

func (f *fakeGW) RestoreBind(_ context.Context, id int) (bool, error) {
	f.record(fmt.Sprintf("restore %d", id))
	return true, nil
}

func (f *fakeGW) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return ""
	}
	return f.calls[len(f.calls)-1]
}

type env struct {
	t   *testing.T
	a   *Admin
	gw  *fakeGW
	reg *prometheus.Registry
	log *syncbuf.Buffer
	now time.Time
}

func testConfig(admin *config.Admin) *config.Config {
	return &config.Config{HTTP: config.HTTP{SignatureWindow: 5 * time.Minute, Admin: admin},
		Store: config.Store{Backend: config.StoreBadger, Path: "."}}
}

func newEnv(t *testing.T, admin *config.Admin) *env {
	e := &env{t: t, gw: &fakeGW{suspended: map[string]bool{}}, reg: prometheus.NewRegistry(), log: &syncbuf.Buffer{},
		now: time.Unix(1767225600, 0)}
	e.a = New(testConfig(admin), e.gw, slog.New(slog.NewTextHandler(e.log, nil)), e.reg)
	e.a.now = func() time.Time { return e.now }
	return e
}

func defaultAdmin() *config.Admin { return &config.Admin{Key: adminKey, Secret: adminSecret} }

type req struct {
	method, target, body string
	key, secret          string // default the admin's
	nonce                string // default fresh
	skew                 time.Duration
	from                 string // default 127.0.0.1
	noAuth               bool
}

type reply struct {
	status int
	body   []byte
	err    api.Error
	ans    Answer
	header *fasthttp.ResponseHeader
}

func (e *env) do(r req) reply {
	e.t.Helper()
	var q fasthttp.Request
	if r.method == "" {
		r.method = "POST"
	}
	q.Header.SetMethod(r.method)
	q.SetRequestURI(r.target)
	if r.body != "" {
		q.SetBodyString(r.body)
		q.Header.SetContentType("application/json")
	}
	if !r.noAuth {
		if r.key == "" {
			r.key = adminKey
		}
		if r.secret == "" {
			r.secret = adminSecret
		}
		// Signed over the target as sent (api.Sign would sign fasthttp's
		// normalised form, which decodes %2F).
		ts := fmt.Sprint(e.now.Add(r.skew).Unix())
		if r.nonce == "" {
			r.nonce = api.NewNonce()
		}
		q.Header.Set(api.HeaderAppKey, r.key)
		q.Header.Set(api.HeaderTimestamp, ts)
		q.Header.Set(api.HeaderNonce, r.nonce)
		q.Header.Set(api.HeaderSignature, api.Signature(r.secret, r.method, r.target, ts, r.nonce, []byte(r.body)))
	}
	if r.from == "" {
		r.from = "127.0.0.1"
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&q, &net.TCPAddr{IP: net.ParseIP(r.from), Port: 40000}, nil)
	e.a.Handle(&ctx)
	out := reply{status: ctx.Response.StatusCode(), body: append([]byte(nil), ctx.Response.Body()...), header: &ctx.Response.Header}
	if out.status == http.StatusOK {
		if err := json.Unmarshal(out.body, &out.ans); err != nil {
			e.t.Fatalf("answer %s: %v", out.body, err)
		}
	} else if err := json.Unmarshal(out.body, &out.err); err != nil {
		e.t.Fatalf("error body %s: %v", out.body, err)
	}
	return out
}

func (e *env) count(action, result string) float64 {
	return testutil.ToFloat64(e.a.m.actions[actionByName(e.t, action)][resultByName(e.t, result)])
}

func actionByName(t *testing.T, s string) action {
	for x := range numActions {
		if actionNames[x] == s {
			return x
		}
	}
	t.Fatalf("no action %q", s)
	return 0
}

func resultByName(t *testing.T, s string) result {
	for r := range numResults {
		if resultNames[r] == s {
			return r
		}
	}
	t.Fatalf("no result %q", s)
	return 0
}

// TestActions: each action reaches the gateway with its target, answers
// ok or unchanged, and is logged (who, from where, what, result) and
// counted.
func TestActions(t *testing.T) {
	e := newEnv(t, defaultAdmin())
	var reloads int
	e.a.SetReloader(func() (error, error) { reloads++; return nil, nil })
	cases := []struct {
		target, body string
		call         string
		action       string
		result       string
	}{
		{"/admin/v1/accounts/sp1/suspend", `{"reason":"unpaid invoice"}`, "suspend sp1 by ops: unpaid invoice", "suspend", "ok"},
		{"/admin/v1/accounts/sp1/suspend", "", "suspend sp1 by ops: ", "suspend", "unchanged"},
		{"/admin/v1/accounts/sp%2F2/suspend", "", "suspend sp/2 by ops: ", "suspend", "ok"},
		{"/admin/v1/accounts/sp1/resume", "", "resume sp1", "resume", "ok"},
		{"/admin/v1/accounts/sp1/resume", "", "resume sp1", "resume", "unchanged"},
		{"/admin/v1/connections/7/close", "", "close 7", "close_connection", "ok"},
		{"/admin/v1/binds/1/drain", "", "drain 1", "drain_bind", "ok"},
		{"/admin/v1/binds/1/restore", "", "restore 1", "restore_bind", "ok"},
	}
	for _, c := range cases {
		r := e.do(req{target: c.target, body: c.body})
		if r.status != http.StatusOK || r.ans.Action != c.action || r.ans.Result != c.result {
			t.Fatalf("%s: %d %s, want 200 %s %s", c.target, r.status, r.body, c.action, c.result)
		}
		if got := e.gw.last(); got != c.call {
			t.Fatalf("%s: the gateway got %q, want %q", c.target, got, c.call)
		}
		if cc := r.header.Peek("Cache-Control"); string(cc) != "no-store" {
			t.Fatalf("Cache-Control %q", cc)
		}
	}
	if r := e.do(req{target: "/admin/v1/reload"}); r.status != http.StatusOK || r.ans.Result != "ok" || reloads != 1 {
		t.Fatalf("reload: %d %s (reloads %d)", r.status, r.body, reloads)
	}
	if n := e.count("suspend", "ok"); n != 2 {
		t.Fatalf("suspend ok counted %v, want 2", n)
	}
	if n := e.count("suspend", "unchanged"); n != 1 {
		t.Fatalf("suspend unchanged counted %v, want 1", n)
	}
	if n := e.count("reload", "ok"); n != 1 {
		t.Fatalf("reload ok counted %v", n)
	}
	logs := e.log.String()
	for _, want := range []string{
		`msg="admin action" action=suspend target=sp1 key=ops remote=127.0.0.1 result=ok reason="unpaid invoice"`,
		`msg="admin action" action=close_connection target=7 key=ops remote=127.0.0.1 result=ok`,
		`msg="admin action" action=reload target="" key=ops remote=127.0.0.1 result=ok`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, adminSecret) {
		t.Fatal("the admin secret is in the log")
	}
	// The series exist from the start.
	if n := testutil.CollectAndCount(e.reg, "spsmg_admin_actions_total"); n != int(numActions)*int(numResults) {
		t.Fatalf("%d series, want %d", n, int(numActions)*int(numResults))
	}
}

// TestRefusals: what the admin API refuses, with which code, and that
// nothing reaches the gateway then.
func TestRefusals(t *testing.T) {
	const suspend = "/admin/v1/accounts/sp1/suspend"
	cases := []struct {
		name   string
		admin  *config.Admin
		setup  func(*env)
		req    req
		status int
		code   string
		result string
	}{
		{name: "outside address, loopback only", req: req{target: suspend, from: "192.0.2.7"}, status: 403, code: "forbidden_ip", result: "denied"},
		{name: "outside the allow list", admin: &config.Admin{Key: adminKey, Secret: adminSecret, AllowIPs: []string{"10.0.0.0/8"}},
			req: req{target: suspend}, status: 403, code: "forbidden_ip", result: "denied"},
		{name: "admin API off", admin: nil, req: req{target: suspend}, status: 503, code: "not_configured", result: "denied"},
		{name: "no headers", req: req{target: suspend, noAuth: true}, status: 401, code: "missing_credentials", result: "denied"},
		{name: "unknown key", req: req{target: suspend, key: "root", secret: adminSecret}, status: 401, code: "unknown_app_key", result: "denied"},
		{name: "wrong secret", req: req{target: suspend, secret: "not-the-secret-at-all"}, status: 401, code: "bad_signature", result: "denied"},
		{name: "stale timestamp", req: req{target: suspend, skew: -6 * time.Minute}, status: 401, code: "stale_timestamp", result: "denied"},
		{name: "replayed nonce", setup: func(e *env) {
			if r := e.do(req{target: suspend, nonce: "nonce-0001"}); r.status != 200 {
				e.t.Fatalf("first use: %d %s", r.status, r.body)
			}
		}, req: req{target: suspend, nonce: "nonce-0001"}, status: 401, code: "replayed_nonce", result: "denied"},
		{name: "signature of another path", req: req{target: "/admin/v1/accounts/sp1/resume"}, status: 0},
		{name: "GET", req: req{method: "GET", target: suspend}, status: 405, code: "method_not_allowed", result: "bad_request"},
		{name: "unknown endpoint", req: req{target: "/admin/v1/accounts/sp1/delete"}, status: 404, code: "not_found", result: "not_found"},
		{name: "unknown account", req: req{target: "/admin/v1/accounts/nobody/suspend"}, status: 404, code: "not_found", result: "not_found"},
		{name: "connection id not a number", req: req{target: "/admin/v1/connections/x/close"}, status: 404, code: "not_found", result: "not_found"},
		{name: "unknown connection", req: req{target: "/admin/v1/connections/8/close"}, status: 404, code: "not_found", result: "not_found"},
		{name: "unknown bind", req: req{target: "/admin/v1/binds/9/drain"}, status: 404, code: "not_found", result: "not_found"},
		{name: "unknown body field", req: req{target: suspend, body: `{"why":"x"}`}, status: 400, code: "unknown_field", result: "bad_request"},
		{name: "not JSON", req: req{target: suspend, body: `reason`}, status: 400, code: "bad_json", result: "bad_request"},
		{name: "reason too long", req: req{target: suspend, body: `{"reason":"` + strings.Repeat("x", MaxReasonLen+1) + `"}`}, status: 400, code: "invalid_argument", result: "bad_request"},
		{name: "body too large", req: req{target: suspend, body: `{"reason":"` + strings.Repeat("x", MaxBodySize) + `"}`}, status: 413, code: "body_too_large", result: "bad_request"},
		{name: "store failure", setup: func(e *env) { e.gw.err = errors.New("store: write failed") },
			req: req{target: suspend}, status: 503, code: "store_unavailable", result: "failed"},
		{name: "reload refused", setup: func(e *env) {
			e.a.SetReloader(func() (error, error) { return nil, errors.New(`accounts[0].tps: 0: at least 1`) })
		}, req: req{target: "/admin/v1/reload"}, status: 422, code: "reload_refused", result: "failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			admin := c.admin
			if admin == nil && c.code != "not_configured" {
				admin = defaultAdmin()
			}
			e := newEnv(t, admin)
			if c.setup != nil {
				c.setup(e)
			}
			before := len(e.gw.calls)
			r := c.req
			if c.name == "signature of another path" {
				// Signed for resume, sent to suspend: the target is signed.
				var q fasthttp.Request
				q.Header.SetMethod("POST")
				q.SetRequestURI("/admin/v1/accounts/sp1/resume")
				api.Sign(&q, adminKey, adminSecret, e.now, "")
				q.SetRequestURI(suspend)
				var ctx fasthttp.RequestCtx
				ctx.Init(&q, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
				e.a.Handle(&ctx)
				if ctx.Response.StatusCode() != 401 || !strings.Contains(string(ctx.Response.Body()), "bad_signature") {
					t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
				if len(e.gw.calls) != before {
					t.Fatalf("the gateway was called: %v", e.gw.calls)
				}
				return
			}
			got := e.do(r)
			if got.status != c.status || got.err.Code != c.code {
				t.Fatalf("%d %s, want %d %s", got.status, got.body, c.status, c.code)
			}
			act := parseRoute([]byte(r.method), []byte(strings.SplitN(r.target, "?", 2)[0])).act
			if r.method == "" {
				act = parseRoute([]byte("POST"), []byte(r.target)).act
			}
			if n := e.count(act.String(), c.result); n != 1 {
				t.Fatalf("%s/%s counted %v, want 1", act, c.result, n)
			}
			if c.result == "denied" || c.result == "bad_request" {
				if len(e.gw.calls) != before {
					t.Fatalf("the gateway was called: %v", e.gw.calls)
				}
				if !strings.Contains(e.log.String(), `msg="admin request refused" action=`+act.String()) {
					t.Fatalf("not logged:\n%s", e.log.String())
				}
			}
		})
	}
}

// TestReloadWarning: a reload applied in part answers 200 with the
// warning; a new admin secret applies to the next request.
func TestReloadWarning(t *testing.T) {
	e := newEnv(t, defaultAdmin())
	e.a.SetReloader(func() (error, error) {
		e.a.SetConfig(testConfig(&config.Admin{Key: adminKey, Secret: "rotated-secret-0123456789"}))
		return errors.New("listeners changed: restart to apply"), nil
	})
	r := e.do(req{target: "/admin/v1/reload"})
	if r.status != 200 || r.ans.Warning != "listeners changed: restart to apply" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := e.do(req{target: "/admin/v1/binds/1/drain"}); r.status != 401 || r.err.Code != "bad_signature" {
		t.Fatalf("the old secret after the rotation: %d %s", r.status, r.body)
	}
	if r := e.do(req{target: "/admin/v1/binds/1/drain", secret: "rotated-secret-0123456789"}); r.status != 200 {
		t.Fatalf("the new secret: %d %s", r.status, r.body)
	}
}
