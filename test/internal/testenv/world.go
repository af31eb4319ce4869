package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/authcache/redisstore"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// Options shape a test world. Zero values give a working CMPP 3.0 world.
type Options struct {
	Proto codec.Protocol // default cmpp3

	// Overrides of the configuration, as raw YAML values by key (they
	// replace the world's defaults, see Config): Upstream, Gateway, HTTP,
	// Authorization and the sp1 Account.
	Upstream, Gateway, HTTP, Authorization, Account map[string]string
	// ExtraAccounts are more items for the accounts list, raw YAML.
	ExtraAccounts string
	// JSON, when set, adds a JSON socket listener (protocol json) and
	// the json: section with these keys (raw YAML by key); StartJSON
	// starts it (json.go).
	JSON map[string]string
	// DataDir is the Badger directory; "" keeps the store in memory (in
	// process) or uses a directory in t.TempDir (child process).
	DataDir string
	// Store overrides keys of the store section (raw YAML by key, e.g.
	// min_free_space) beside the path DataDir gives; with backend redis
	// (a Redis Cluster: backend and redis keys) DataDir is unused.
	Store map[string]string
	// LogLevel of a child process (default info).
	LogLevel string
	// ChildNoFile limits a child process's open files (RLIMIT_NOFILE).
	ChildNoFile int

	// SMG adjusts the simulated SMG's configuration.
	SMG func(*smg.Config)
	// Logs records the in-process gateway's logs; nil discards them.
	Logs *LogRecorder
	// LogClock is the in-process gateway's log-limiter clock (see
	// proxy.Options.LogClock); nil: the wall clock.
	LogClock func() time.Time
}

// World is a simulated SMG, the SGIP SP receiver when the protocol is
// SGIP, and the configuration of a gateway between them, started in this
// process (Start) or as a child process (StartChild).
type World struct {
	T     testing.TB
	Opts  Options
	Proto codec.Protocol
	// D is Proto's Dialect.
	D codec.Dialect

	// SMG is the simulated SMG. It serves from NewWorld on, except for
	// SGIP, where it delivers to the gateway's inbound listener: it is
	// built when the gateway first starts (its listener is open before).
	SMG       *smg.Server
	SMGConfig smg.Config
	SMGAddr   string       // where the SMG listens (the gateway's upstream.addr)
	smgLn     net.Listener // held from NewWorld until the SMG serves on it
	Receiver  *sp.Receiver // SGIP only: the SP's own listener

	// The gateway's addresses as bound. Its configuration asks for port 0
	// at first, so nothing can take a port between a probe and the bind;
	// they are known once it has started (Start, StartChild), and a
	// restart comes back on the same ones.
	SPAddr, InboundAddr, HTTPAddr string
	JSONAddr                      string // the JSON listener's (StartJSON)
	YAML                          string
	Cfg                           *config.Config

	// In process (Start).
	GW     *proxy.Gateway
	Engine *authcache.Engine
	Reg    *prometheus.Registry
	served chan error

	// Child process (StartChild).
	Child *Child
}

// NewWorld starts the simulated SMG (and receiver) and writes the
// gateway's configuration; nothing else runs yet. For SGIP the SMG's
// listener is open but the SMG itself starts with the gateway (World.SMG).
func NewWorld(t testing.TB, o Options) *World {
	t.Helper()
	if o.Proto == codec.ProtocolUnknown {
		o.Proto = codec.CMPP30
	}
	w := &World{T: t, Opts: o, Proto: o.Proto, D: Dialect(o.Proto)}
	// Where deliveries come on connections of their own (SGIP), the SP
	// listens for them (the Receiver) and the gateway for the SMG's.
	if w.D.SplitConnections() {
		r, err := sp.ListenReceiverConfig("127.0.0.1:0", sp.ReceiverConfig{Login: ReceiverLogin, Secret: ReceiverPW, DeliveryBuffer: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		w.Receiver = r
		t.Cleanup(func() { r.Close() })
	}
	w.SMGConfig = smg.Config{
		Dialect:       w.D,
		Accounts:      map[string]string{SMGLogin: SMGSecret},
		ResendTimeout: time.Second,
		MaxResends:    -1,
		Logger:        Quiet(),
	}
	if w.D.SplitConnections() {
		// ReceiverAddr: the gateway's inbound listener, once it is bound.
		w.SMGConfig.ReceiverLogin, w.SMGConfig.ReceiverPassword = InboundLogin, InboundSecret
	}
	if o.SMG != nil {
		o.SMG(&w.SMGConfig)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.smgLn, w.SMGAddr = ln, ln.Addr().String()
	t.Cleanup(func() { _ = ln.Close() }) // when the SMG never took it
	if !w.D.SplitConnections() {
		w.serveSMG()
	}
	w.YAML = w.render()
	cfg, err := config.Parse([]byte(w.YAML))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, w.YAML)
	}
	w.Cfg = cfg
	return w
}

// serveSMG starts the simulated SMG on the listener NewWorld opened.
func (w *World) serveSMG() {
	w.T.Helper()
	s, err := smg.New(w.SMGConfig)
	if err != nil {
		w.T.Fatalf("simulated SMG: %v", err)
	}
	ln := w.smgLn
	w.smgLn = nil
	go func() { _ = s.Serve(ln) }()
	w.SMG = s
	w.T.Cleanup(func() { s.Close() })
}

// learned records the gateway's addresses as bound, after a start: the
// first start picks them (port 0), later ones reuse them. The SGIP SMG
// starts now that it knows where to deliver.
func (w *World) learned(spAddr, inbound, httpAddr string) {
	w.T.Helper()
	first := w.SPAddr == ""
	w.SPAddr, w.InboundAddr = spAddr, inbound
	if httpAddr != "" {
		w.HTTPAddr = httpAddr
	}
	if first {
		w.YAML = w.render() // now naming the addresses: a restart keeps them
	}
	if w.SMG == nil && w.smgLn != nil {
		if w.SMGConfig.ReceiverAddr == "" {
			w.SMGConfig.ReceiverAddr = w.InboundAddr
		}
		w.serveSMG()
	}
}

// StartSMG starts the simulated SMG again on addr, its previous address (a
// restart on the same port). The previous one must be closed.
func (w *World) StartSMG(addr string) {
	w.T.Helper()
	c := w.SMGConfig
	c.Addr = addr
	var s *smg.Server
	var err error
	// The port may linger a moment after the previous server closed.
	ok := Poll(Wait, func() bool {
		s, err = smg.Start(c)
		return err == nil
	})
	if !ok {
		w.T.Fatalf("simulated SMG: %v", err)
	}
	w.SMG = s
	w.T.Cleanup(func() { s.Close() })
}

func yamlMap(def, over map[string]string) string {
	m := map[string]string{}
	for k, v := range def {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// render writes the gateway's YAML: the world's defaults, then the
// overrides of Options.
func (w *World) render() string {
	p := w.Proto
	a := SP1
	q := strconv.Quote
	up := map[string]string{
		"protocol": p.String(), "addr": q(w.SMGAddr), "login": q(SMGLogin), "secret": q(SMGSecret),
		"window": "64", "response_timeout": "3s", "reconnect_min": "20ms", "reconnect_max": "300ms",
		"connect_timeout": "2s",
	}
	if p.Family() == codec.FamilySMPP {
		up["smpp"] = fmt.Sprintf("{linkid_tag: %#x}", SMPPLinkIDTag)
	}
	if w.D.SplitConnections() {
		up["inbound"] = fmt.Sprintf("{addr: %q, login: %s, secret: %s}", orPortZero(w.InboundAddr), InboundLogin, InboundSecret)
	}
	gw := map[string]string{"event_loops": "2", "login_failures": "1000000", "login_timeout": "5s"}
	http := map[string]string{"addr": q(orPortZero(w.HTTPAddr))}
	auth := map[string]string{"portal_number": q(Portal), "exempt_services": "[FREE]"}
	acct := map[string]string{
		"id": a.ID, "login": q(a.Login), "secret": q(a.Secret), "corp_id": q("12345"),
		"access_numbers": "[" + q(Access) + "]", "allow_ips": "[127.0.0.1]", "window": "32", "tps": "100000",
		"max_connections": "64", "api": fmt.Sprintf("{app_key: %s, app_secret: %s}", APIKey, APISecret),
	}
	if w.D.SplitConnections() {
		acct["receiver"] = fmt.Sprintf("{addr: %q, login: %s, secret: %s}", w.Receiver.Addr().String(), ReceiverLogin, ReceiverPW)
	}
	var b strings.Builder
	if w.Opts.JSON != nil {
		fmt.Fprintf(&b, "listeners: [{protocol: %s, addr: %q}, {protocol: json, addr: %q}]\n", p, orPortZero(w.SPAddr), orPortZero(w.JSONAddr))
		fmt.Fprintf(&b, "json: %s\n", yamlMap(nil, w.Opts.JSON))
	} else {
		fmt.Fprintf(&b, "listeners: [{protocol: %s, addr: %q}]\n", p, orPortZero(w.SPAddr))
	}
	fmt.Fprintf(&b, "upstream: %s\n", yamlMap(up, w.Opts.Upstream))
	fmt.Fprintf(&b, "gateway: %s\n", yamlMap(gw, w.Opts.Gateway))
	fmt.Fprintf(&b, "http: %s\n", yamlMap(http, w.Opts.HTTP))
	fmt.Fprintf(&b, "authorization: %s\n", yamlMap(auth, w.Opts.Authorization))
	if w.Opts.LogLevel != "" {
		fmt.Fprintf(&b, "log: {level: %s}\n", w.Opts.LogLevel)
	}
	if w.Opts.DataDir != "" || w.Opts.Store != nil {
		st := map[string]string{}
		if w.Opts.DataDir != "" {
			st["path"] = q(w.Opts.DataDir)
		}
		fmt.Fprintf(&b, "store: %s\n", yamlMap(st, w.Opts.Store))
	}
	b.WriteString("accounts:\n")
	fmt.Fprintf(&b, "  - %s\n", yamlMap(acct, w.Opts.Account))
	b.WriteString(w.Opts.ExtraAccounts)
	return b.String()
}

// orPortZero is addr, or a loopback address with port 0 (the system picks
// one) while addr is not known yet.
func orPortZero(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// Quiet is a logger that discards everything (SPSMG_TEST_LOG=1 prints).
func Quiet() *slog.Logger {
	if os.Getenv("SPSMG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// Start runs the gateway in this process until the test ends, and waits
// until its upstream binds (one per event loop) are logged in.
func (w *World) Start() {
	t := w.T
	t.Helper()
	var st authcache.Store
	var err error
	log := Quiet()
	if w.Opts.Logs != nil {
		log = w.Opts.Logs.Logger()
	}
	opts := proxy.Options{Logger: log}
	switch {
	case w.Cfg.Store.Backend == config.StoreRedis:
		r := w.Cfg.Store.Redis
		rs, err := redisstore.Open(redisstore.Options{Addrs: r.Addrs, Password: r.Password, KeyPrefix: r.KeyPrefix,
			WaitReplicas: 1, Timeout: r.Timeout, NodeID: r.NodeID, PublishPrefixes: authcache.Published(), Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		st, opts.Cluster, opts.DeferTimeout = rs, rs, r.Timeout
	case w.Opts.DataDir != "":
		st, err = authcache.OpenBadger(w.Opts.DataDir, authcache.BadgerOptions{Logger: Quiet()})
		if err != nil {
			t.Fatal(err)
		}
	default:
		st = authcache.NewMemStore(nil)
	}
	w.Engine, err = authcache.Open(proxy.AuthPolicy(w.Cfg), st, authcache.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if w.SPAddr != "" {
		w.Cfg = w.pinned(w.Cfg) // a restart: the addresses of the first start
	}
	opts.Auth, opts.LogClock = w.Engine, w.Opts.LogClock
	w.GW, err = proxy.New(w.Cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	w.Reg = prometheus.NewRegistry()
	w.Reg.MustRegister(w.GW.Collector())
	w.served = make(chan error, 1)
	go func() { w.served <- w.GW.ListenAndServe() }()
	select {
	case <-w.GW.Ready():
	case err := <-w.served:
		t.Fatalf("gateway did not start: %v", err)
	case <-time.After(Wait):
		t.Fatal("gateway not ready")
	}
	t.Cleanup(w.Stop)
	addrs := w.GW.Addrs() // SP listener first, then SGIP's inbound one
	inbound := ""
	if w.Cfg.Upstream.Inbound != nil {
		inbound = addrs[1].String()
	}
	w.learned(addrs[0].String(), inbound, "")
	w.WaitBinds()
}

// pinned is cfg with the gateway's addresses as the first start bound them.
func (w *World) pinned(cfg *config.Config) *config.Config {
	c := *cfg
	c.Listeners = append([]config.Listener(nil), c.Listeners...)
	c.Listeners[0].Addr = w.SPAddr
	if in := c.Upstream.Inbound; in != nil {
		p := *in
		p.Addr = w.InboundAddr
		c.Upstream.Inbound = &p
	}
	if w.HTTPAddr != "" {
		c.HTTP.Addr = w.HTTPAddr
	}
	return &c
}

// WaitBinds waits until every event loop has its upstream bind.
func (w *World) WaitBinds() {
	w.T.Helper()
	want := w.Cfg.Gateway.EventLoops * w.Cfg.Upstream.BindsPerLoop
	if w.GW != nil {
		Eventually(w.T, Wait, fmt.Sprintf("%d upstream binds log in", want), func() bool { return w.GW.ReadyBinds() >= want })
		return
	}
	Eventually(w.T, Wait, fmt.Sprintf("%d upstream binds log in", want), func() bool {
		m, err := w.Metrics()
		return err == nil && m.Sum("spsmg_upstream_binds", "state", "logged_in") >= float64(want)
	})
}

// Stop shuts the in-process gateway down gracefully.
func (w *World) Stop() {
	if w.GW == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	_ = w.GW.Shutdown(ctx)
	if err := <-w.served; !errors.Is(err, proxy.ErrServerClosed) {
		w.T.Errorf("ListenAndServe returned %v, want ErrServerClosed", err)
	}
	_ = w.Engine.Close()
	w.GW = nil
}

// ServeHTTP serves the in-process gateway's /metrics, /healthz and /readyz
// on HTTPAddr (port 0 the first time; HTTPAddr then says where), as spsmg
// serve does, until the test ends.
func (w *World) ServeHTTP() {
	t := w.T
	t.Helper()
	reg := metrics.NewRegistry()
	reg.MustRegister(w.GW.Collector())
	srv := metrics.NewServer(reg)
	srv.Ready = w.GW.Readyz
	ln, err := net.Listen("tcp", orPortZero(w.HTTPAddr))
	if err != nil {
		t.Fatalf("http: %v", err)
	}
	w.HTTPAddr = ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
}

// Readyz asks the gateway's /readyz: the status code and the report.
func (w *World) Readyz() (int, proxy.Readiness, error) {
	var r proxy.Readiness
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + w.HTTPAddr + "/readyz")
	if err != nil {
		return 0, r, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, r, err
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return resp.StatusCode, r, fmt.Errorf("/readyz body %q: %w", body, err)
	}
	return resp.StatusCode, r, nil
}

// Metrics reads the gateway's metrics: the collector in process, or the
// child's /metrics.
func (w *World) Metrics() (Metrics, error) {
	if w.GW != nil {
		return Gather(w.Reg)
	}
	if w.Child != nil {
		return Scrape("http://" + w.HTTPAddr + "/metrics")
	}
	return nil, errors.New("no gateway running")
}

// MustMetrics is Metrics, failing the test on error.
func (w *World) MustMetrics() Metrics {
	w.T.Helper()
	m, err := w.Metrics()
	if err != nil {
		w.T.Fatalf("metrics: %v", err)
	}
	return m
}

// WriteConfig writes the YAML to a file in dir with mode perm.
func (w *World) WriteConfig(dir string, perm os.FileMode) string {
	w.T.Helper()
	path := filepath.Join(dir, "spsmg.yaml")
	if err := os.WriteFile(path, []byte(w.YAML), perm); err != nil {
		w.T.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // umask
		w.T.Fatal(err)
	}
	return path
}

// ClientConfig is an sp.ClientConfig for sp1 on this world's gateway.
func (w *World) ClientConfig() sp.ClientConfig {
	a := SP1
	return sp.ClientConfig{Dialect: w.D, Addr: w.SPAddr, Login: a.Login, Secret: a.Secret,
		DialTimeout: 10 * time.Second, ResponseTimeout: Wait, DeliveryBuffer: 4096}
}

// Dial logs sp1 in.
func (w *World) Dial(ctx context.Context) (*sp.Client, error) {
	return sp.Dial(ctx, w.ClientConfig())
}

// WellBehaved checks that a well-behaved SP can still log in and get an MT
// answered with success within d, and returns how long it took.
func (w *World) WellBehaved(d time.Duration) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cc := w.ClientConfig()
	cc.ResponseTimeout = d
	c, err := sp.Dial(ctx, cc)
	if err != nil {
		return time.Since(start), fmt.Errorf("login: %w", err)
	}
	defer c.Close()
	r, err := c.Submit(ctx, sp.MT{SPNumber: Access, Users: []string{Number(w.Proto, User)}, ServiceCode: "FREE", Text: "probe"})
	if err != nil {
		return time.Since(start), fmt.Errorf("submit: %w", err)
	}
	if r.Result != 0 {
		return time.Since(start), fmt.Errorf("submit answered %d", r.Result)
	}
	return time.Since(start), nil
}
