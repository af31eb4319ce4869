package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/syncbuf"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
)

// Test parties. sp-c may call only from 192.0.2.0/24; sp-n has no API
// credentials.
const (
	portal   = "10655999"
	keyA     = "key-a"
	secretA  = "secret-a-0123456789"
	keyB     = "key-b"
	secretB  = "secret-b-0123456789"
	keyC     = "key-c"
	secretC  = "secret-c-0123456789"
	spANum   = "1065501"
	corpA    = "901001"
	userA    = "13800138000"
	userB    = "13900139000"
	codeText = "Your confirmation code is %s"
	notiText = "Reply Y to subscribe to %s, N to cancel"
)

// testMsgID has no decimal digits in hex, so a digit code can never hide
// in it.
var testMsgID = []byte{0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd}

var (
	loopback = net.IPv4(127, 0, 0, 1)
	outsider = net.IPv4(192, 0, 2, 7) // TEST-NET-1
)

func testConfig() *config.Config {
	return &config.Config{
		HTTP: config.HTTP{SignatureWindow: 5 * time.Minute},
		Authorization: config.Authorization{
			PortalNumber: portal, NoticeServiceCode: "DZTZ",
			WebCodeLength: 6, WebCodeTTL: 30 * time.Minute, WebCodeUses: 5,
			MOLinkIDTTL: 24 * time.Hour, MOLinkIDUses: 5, PendingTTL: 24 * time.Hour, RouteTTL: 72 * time.Hour,
			WebCodeText: codeText, NotiUserText: notiText,
		},
		Accounts: []config.Account{
			{ID: "sp-a", CorpID: corpA, AccessNumbers: []string{spANum, "1065509"},
				API: &config.APIKey{AppKey: keyA, AppSecret: secretA}},
			{ID: "sp-b", CorpID: "901002", AccessNumbers: []string{"1065502"},
				API: &config.APIKey{AppKey: keyB, AppSecret: secretB}},
			{ID: "sp-c", CorpID: "901003", AccessNumbers: []string{"1065503"},
				API: &config.APIKey{AppKey: keyC, AppSecret: secretC, AllowIPs: []string{"192.0.2.0/24"}}},
			{ID: "sp-n", CorpID: "901004", AccessNumbers: []string{"1065504"}},
		},
	}
}

// clock is the injectable clock; tests move it instead of sleeping. It
// starts at the wall clock so the memory store's TTLs agree.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().Truncate(time.Second).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeGW records what the API originates and answers as told.
type fakeGW struct {
	mu     sync.Mutex
	sent   []proxy.Origination
	result uint32
	err    error
	block  bool // wait for the context's deadline
	// suspended: accounts the gateway has suspended (Suspended).
	suspended map[string]bool
}

func (f *fakeGW) Suspended(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.suspended[id]
}

func (f *fakeGW) Originate(ctx context.Context, o proxy.Origination) (proxy.OriginResult, error) {
	f.mu.Lock()
	f.sent = append(f.sent, o)
	result, err, block := f.result, f.err, f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return proxy.OriginResult{}, ctx.Err()
	}
	if err != nil {
		return proxy.OriginResult{}, err
	}
	return proxy.OriginResult{Result: result, MsgID: testMsgID}, nil
}

func (f *fakeGW) set(result uint32, err error, block bool) {
	f.mu.Lock()
	f.result, f.err, f.block = result, err, block
	f.mu.Unlock()
}

func (f *fakeGW) all() []proxy.Origination {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]proxy.Origination(nil), f.sent...)
}

// env is one API behind a real metrics.Server on an in-memory listener,
// with a real engine on a memory store and a fake gateway.
type env struct {
	t      *testing.T
	cfg    *config.Config
	api    *API
	engine *authcache.Engine
	gw     *fakeGW
	reg    *prometheus.Registry
	clock  *clock
	logs   *syncbuf.Buffer
	ln     *fasthttputil.InmemoryListener

	mu      sync.Mutex
	clients map[string]*fasthttp.Client
}

func newEnv(t *testing.T, mutate func(*config.Config)) *env {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(cfg)
	}
	e := &env{t: t, cfg: cfg, gw: &fakeGW{}, reg: prometheus.NewRegistry(), clock: newClock(),
		logs: &syncbuf.Buffer{}, clients: map[string]*fasthttp.Client{}}
	// Info level: what production logs. Nothing secret may appear there.
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	engine, err := authcache.Open(proxy.AuthPolicy(cfg), authcache.NewMemStore(e.clock.Now),
		authcache.WithClock(e.clock.Now), authcache.WithLogger(log))
	if err != nil {
		t.Fatalf("authcache.Open: %v", err)
	}
	t.Cleanup(func() { engine.Close() })
	e.engine = engine
	e.api = New(cfg, engine, e.gw, log, e.reg)
	e.api.now = e.clock.Now

	srv := metrics.NewServer(metrics.NewRegistry())
	srv.API = e.api.Handler()
	e.ln = fasthttputil.NewInmemoryListener()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(e.ln, "", "") }()
	t.Cleanup(func() {
		e.mu.Lock()
		for _, c := range e.clients {
			c.CloseIdleConnections()
		}
		e.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, metrics.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return e
}

// client returns a client whose connections come from ip.
func (e *env) client(ip net.IP) *fasthttp.Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.clients[ip.String()]
	if c == nil {
		addr := &net.TCPAddr{IP: ip, Port: 40000}
		c = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return e.ln.DialWithLocalAddr(addr) }}
		e.clients[ip.String()] = c
	}
	return c
}

// call is one request; zero fields take the defaults noted.
type call struct {
	method string
	uri    string // request target, e.g. /v1/ondemand
	body   string
	ctype  string        // default application/json when body is set
	key    string        // default keyA
	secret string        // default the key's secret
	nonce  string        // default fresh
	ts     time.Time     // default the clock's now
	skew   time.Duration // added to ts
	from   net.IP        // default loopback
	noAuth bool          // send no authentication headers
}

var secrets = map[string]string{keyA: secretA, keyB: secretB, keyC: secretC}

// reply is a decoded answer.
type reply struct {
	status int
	header *fasthttp.ResponseHeader
	body   []byte
	sig    string // the X-Signature sent
}

func (r reply) errBody(t *testing.T) Error {
	t.Helper()
	var e Error
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return e
}

func (e *env) do(c call) reply {
	e.t.Helper()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://spsmg.test" + c.uri)
	req.Header.SetMethod(c.method)
	if c.body != "" {
		req.SetBodyString(c.body)
		if c.ctype == "" {
			c.ctype = "application/json"
		}
	}
	if c.ctype != "" {
		req.Header.SetContentType(c.ctype)
	}
	if c.key == "" {
		c.key = keyA
	}
	if c.secret == "" {
		c.secret = secrets[c.key]
	}
	if c.ts.IsZero() {
		c.ts = e.clock.Now()
	}
	c.ts = c.ts.Add(c.skew)
	if c.from == nil {
		c.from = loopback
	}
	if !c.noAuth {
		Sign(req, c.key, c.secret, c.ts, c.nonce)
	}
	if err := e.client(c.from).DoTimeout(req, resp, 10*time.Second); err != nil {
		e.t.Errorf("%s %s: %v", c.method, c.uri, err) // not Fatal: do may run on another goroutine
		return reply{header: &fasthttp.ResponseHeader{}}
	}
	h := &fasthttp.ResponseHeader{}
	resp.Header.CopyTo(h)
	return reply{status: resp.StatusCode(), header: h, body: append([]byte(nil), resp.Body()...),
		sig: string(req.Header.Peek(HeaderSignature))}
}

// decode decodes a success body strictly.
func decode[T any](t *testing.T, r reply, want int) T {
	t.Helper()
	var v T
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return v
}

// counter reads one requests_total child.
func (e *env) counter(ep endpoint, c code) float64 {
	var m dto.Metric
	if err := e.api.m.requests[ep][c].Write(&m); err != nil {
		e.t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// mt builds an authcache MT from sp-a's access number to one user.
func mt(sp, service, linkID, user string) *authcache.MT {
	return &authcache.MT{SP: sp, SPNumber: []byte(spANum), ServiceCode: []byte(service),
		LinkID: []byte(linkID), Dests: [][]byte{[]byte(user)}}
}
