package proxy_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// The test world, on loopback:
//
//	sp.Client ──▶ Gateway (proxy) ──▶ smg.Server
//	sp.Receiver ◀── Gateway ◀──────── smg.Server (SGIP: over type-2 connections)
const (
	smgLogin   = "901234"
	smgSecret  = "smg-sec1" // fits SMPP's 8-character password
	portal     = "10655000"
	access     = "10655123"
	user       = "13800138000"
	otherUser  = "13900139000"
	testWait   = 10 * time.Second
	inboundLog = "smgin"
	inboundPW  = "smgin-pw"
)

// account is the SP the tests log in as, per protocol family.
func account(p codec.Protocol) (login, secret string) {
	switch p.Family().String() {
	case "sgip":
		return "sp1", "sp1-password"
	case "smgp":
		return "10001", "smgp-secret"
	}
	return "900001", "888888"
}

// number is how the protocol writes a user number (SGIP carries 86).
func number(p codec.Protocol, n string) string {
	if p == codec.SGIP {
		return "86" + n
	}
	return n
}

type harness struct {
	t        testing.TB
	proto    codec.Protocol
	cfg      *config.Config
	smg      *smg.Server
	gw       *proxy.Gateway
	engine   *authcache.Engine
	store    authcache.Store
	receiver *sp.Receiver // SGIP: the SP's own listener
	spAddr   string       // the gateway's SP listener, as bound (port 0 in the config)
	inbound  string       // SGIP: its inbound listener, as bound
	smgAddr  string       // the simulated SMG's listener
	served   chan error
	dataDir  string
	log      *slog.Logger // the gateway's; nil: testLogger()
	wrap     func(authcache.Store) authcache.Store
	engOpts  []authcache.Option
}

type harnessOpt struct {
	dataDir    string // Badger store directory; "" = memory store
	extraYAML  string // appended to the accounts list
	smgConfig  func(*smg.Config)
	gatewayCfg func(*config.Config)
	log        *slog.Logger // the gateway's logger; nil: testLogger()
	wrapStore  func(authcache.Store) authcache.Store
	engineOpts []authcache.Option
}

func testLogger() *slog.Logger {
	if os.Getenv("SPSMG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newHarness starts the world without picking ports in advance: every
// listener binds 127.0.0.1:0 and the harness reads the address back, so that
// no other process can take a port between a probe and the real bind. The
// SMG's listener is opened first and held while the gateway starts (its
// binds wait in the backlog); the SMG is built once the gateway's SGIP
// inbound address, where it delivers, is known.
func newHarness(t testing.TB, p codec.Protocol, o harnessOpt) *harness {
	t.Helper()
	h := &harness{t: t, proto: p, dataDir: o.dataDir, log: o.log, wrap: o.wrapStore, engOpts: o.engineOpts}
	if p == codec.SGIP {
		r, err := sp.ListenReceiver("127.0.0.1:0", "gw", "gw-password")
		if err != nil {
			t.Fatal(err)
		}
		h.receiver = r
		t.Cleanup(func() { r.Close() })
	}
	smgLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.smgAddr = smgLn.Addr().String()
	// Registered before the gateway's stop, so it runs after it: the
	// gateway shuts down in front of a live SMG.
	t.Cleanup(func() {
		_ = smgLn.Close()
		if h.smg != nil {
			h.smg.Close()
		}
	})

	h.cfg = h.config(o)
	if o.gatewayCfg != nil {
		o.gatewayCfg(h.cfg)
	}
	h.launch()

	sc := smg.Config{
		Dialect:       h.cfg.Upstream.Dialect(),
		Accounts:      map[string]string{smgLogin: smgSecret},
		SubmitLog:     256,
		ResendTimeout: time.Second,
		MaxResends:    -1,
		Logger:        testLogger(),
	}
	if p == codec.SGIP {
		sc.ReceiverAddr, sc.ReceiverLogin, sc.ReceiverPassword = h.inbound, inboundLog, inboundPW
	}
	if o.smgConfig != nil {
		o.smgConfig(&sc)
	}
	s, err := smg.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	h.smg = s
	go func() { _ = s.Serve(smgLn) }()
	h.waitBinds()
	return h
}

// config writes the gateway's configuration as an operator would.
func (h *harness) config(o harnessOpt) *config.Config {
	p := h.proto
	login, secret := account(p)
	var b strings.Builder
	fmt.Fprintf(&b, "listeners: [{protocol: %s, addr: \"127.0.0.1:0\"}]\n", p)
	fmt.Fprintf(&b, "upstream:\n  protocol: %s\n  addr: %q\n  login: %q\n  secret: %q\n  window: 64\n  response_timeout: 3s\n  reconnect_min: 20ms\n  reconnect_max: 200ms\n", p, h.smgAddr, smgLogin, smgSecret)
	if p == codec.SGIP {
		fmt.Fprintf(&b, "  inbound: {addr: \"127.0.0.1:0\", login: %s, secret: %s}\n", inboundLog, inboundPW)
	}
	if p == codec.SMPP34 {
		fmt.Fprintf(&b, "  smpp: {linkid_tag: %#x}\n", smppLinkIDTag)
	}
	b.WriteString("gateway: {event_loops: 2, login_failures: 100}\n")
	fmt.Fprintf(&b, "authorization: {portal_number: %q, exempt_services: [FREE]}\n", portal)
	b.WriteString("accounts:\n")
	fmt.Fprintf(&b, "  - id: sp1\n    login: %q\n    secret: %q\n    corp_id: \"12345\"\n    access_numbers: [%q]\n    allow_ips: [127.0.0.1]\n    window: 32\n    tps: 100000\n", login, secret, access)
	if p == codec.SGIP {
		fmt.Fprintf(&b, "    receiver: {addr: %q, login: gw, secret: gw-password}\n", h.receiver.Addr().String())
	}
	b.WriteString(o.extraYAML)
	cfg, err := config.Parse([]byte(b.String()))
	if err != nil {
		h.t.Fatalf("config: %v\n%s", err, b.String())
	}
	return cfg
}

// start opens the store and engine and runs the gateway until cleanup,
// and waits until an upstream bind is logged in.
func (h *harness) start() {
	h.launch()
	h.waitBinds()
}

// launch opens the store and engine and runs the gateway until cleanup. The
// first launch binds port 0 and records the addresses; a restart comes back
// on the same ones, as a restarted process would, so that the SP, its
// receiver and the SMG find it where they left it.
func (h *harness) launch() {
	t := h.t
	t.Helper()
	if h.spAddr != "" {
		cfg := *h.cfg
		cfg.Listeners = append([]config.Listener(nil), cfg.Listeners...)
		cfg.Listeners[0].Addr = h.spAddr
		if in := cfg.Upstream.Inbound; in != nil {
			pinned := *in
			pinned.Addr = h.inbound
			cfg.Upstream.Inbound = &pinned
		}
		h.cfg = &cfg
	}
	var err error
	if h.dataDir != "" {
		h.store, err = authcache.OpenBadger(h.dataDir, authcache.BadgerOptions{Logger: testLogger()})
	} else {
		h.store = authcache.NewMemStore(nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if h.wrap != nil {
		h.store = h.wrap(h.store)
	}
	h.engine, err = authcache.Open(proxy.AuthPolicy(h.cfg), h.store, append([]authcache.Option{authcache.WithLogger(testLogger())}, h.engOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	log := h.log
	if log == nil {
		log = testLogger()
	}
	h.gw, err = proxy.New(h.cfg, proxy.Options{Auth: h.engine, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.served = make(chan error, 1)
	go func() { h.served <- h.gw.ListenAndServe() }()
	select {
	case <-h.gw.Ready():
	case err := <-h.served:
		t.Fatalf("gateway did not start: %v", err)
	}
	t.Cleanup(h.stop)
	addrs := h.gw.Addrs() // SP listener first, then SGIP's inbound one
	h.spAddr = addrs[0].String()
	if h.cfg.Upstream.Inbound != nil {
		h.inbound = addrs[1].String()
	}
}

// waitBinds waits until an upstream bind is logged in.
func (h *harness) waitBinds() {
	h.t.Helper()
	h.eventually("an upstream bind logs in", func() bool { return h.gw.ReadyBinds() > 0 })
}

// stop shuts the gateway down gracefully and closes the engine.
func (h *harness) stop() {
	if h.gw == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	_ = h.gw.Shutdown(ctx)
	if err := <-h.served; err != proxy.ErrServerClosed {
		h.t.Errorf("ListenAndServe returned %v, want ErrServerClosed", err)
	}
	_ = h.engine.Close()
	h.gw = nil
}

// eventually polls cond until it holds or the deadline passes (no sleeps
// as timing: the poll interval only bounds CPU use).
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dial logs an SP in with the test account (or others).
func (h *harness) dial(login, secret string) (*sp.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	return sp.Dial(ctx, sp.ClientConfig{Dialect: h.cfg.Upstream.Dialect(), Addr: h.spAddr, Login: login, Secret: secret, Logger: testLogger()})
}

func (h *harness) client() *sp.Client {
	h.t.Helper()
	login, secret := account(h.proto)
	c, err := h.dial(login, secret)
	if err != nil {
		h.t.Fatalf("SP login: %v", err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

func (h *harness) submit(c *sp.Client, m sp.MT) sp.SubmitResult {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if m.SPNumber == "" {
		m.SPNumber = access
	}
	if m.Text == "" && m.Content == nil {
		m.Text = "hello"
	}
	r, err := c.Submit(ctx, m)
	if err != nil {
		h.t.Fatalf("Submit: %v", err)
	}
	return r
}

// deliveries is where the SP receives MO and reports: the connection
// itself, or for SGIP its receiver.
func (h *harness) deliveries(c *sp.Client) <-chan sp.Delivery {
	if h.receiver != nil {
		return h.receiver.Deliveries()
	}
	return c.Deliveries()
}

func (h *harness) nextDelivery(ch <-chan sp.Delivery) sp.Delivery {
	h.t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(testWait):
		h.t.Fatal("no delivery reached the SP")
	}
	return sp.Delivery{}
}

// refusal is the configured result code of a refusal reason.
func (h *harness) refusal(why reason.Reason) uint32 {
	return h.cfg.Results.Table(h.proto.Family()).Result(why)
}

var variants = []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP30, codec.SMGP30, codec.SMPP34}

// smppLinkIDTag is the vendor TLV the SMPP world carries LinkIDs in
// (upstream.smpp.linkid_tag): the gateway, the simulated SMSC and the SP
// all use it, so that the LinkID flows are tested for SMPP as for the
// others.
const smppLinkIDTag = 0x1401
