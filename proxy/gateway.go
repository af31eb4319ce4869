package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/cluster"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/route"
)

// ErrServerClosed is returned by ListenAndServe after Shutdown, like
// net/http's: one comparison tells a clean stop from a failure.
var ErrServerClosed = errors.New("proxy: gateway closed")

// Gateway is spsmg's proxy: SP listeners, upstream binds, and the SGIP
// inbound listener, all on one gnet engine.
//
//	SP ⇄ Gateway(spConn ⇄ bind) ⇄ SMG
//
// Create it with New, run it with ListenAndServe, stop it with Shutdown.
// Exported methods are safe from any goroutine.
type Gateway struct {
	gnet.BuiltinEventEngine

	cfg      atomic.Pointer[config.Config]
	accounts atomic.Pointer[accountTable]
	// faces are the SP protocols served, one per SP listener (face.go):
	// each SP connection and account has its face. Set in New, never
	// changed.
	faces []*spFace
	// upstreams are the SMGs spsmg forwards to, each with its Dialect,
	// configuration and bind pool (upstream.go), in the order of
	// config.Upstreams; defaultUp is the default route's index. Set in
	// New, never changed.
	upstreams []*upstream
	defaultUp int
	// routes is the prefix table of several upstreams (routing.go),
	// swapped on reload; nil with one upstream. loc is the carriers'
	// clock (node.time_zone).
	routes  atomic.Pointer[route.Table]
	loc     *time.Location
	bindIDs atomic.Int32 // numbers the binds of every upstream (bindSlot.id)
	auth    *authcache.Engine
	// cl: several nodes on one cluster (cluster.go); nil for one node.
	cl        *clusterNode
	nodeShare atomic.Int32 // nodes alive at the last heartbeat (limits while the cluster is unreachable)
	// deliver is the delivery of MO and reports to SPs, with the outbox
	// (deliver.go).
	deliver *deliverer
	log     *slog.Logger
	start   time.Time
	lockout *lockout
	ctx     context.Context // ends at Shutdown
	cancel  context.CancelFunc

	numLoops int
	node     uint32 // SGIP node id of spsmg's own sequences (a restart applies a change)
	// listeners is the accepting: listening sockets, admission at
	// accept, connection counts (acceptor.go).
	listeners listeners

	mu  sync.Mutex // guards eng and the publishing of loops
	eng gnet.Engine
	// loops are the event loops, in the order they were first seen. The
	// list is fixed at boot (boot finds every loop before the acceptors
	// start) and read without a lock or a copy (loopList): a loop seen for
	// the first time publishes a new slice, which happens once per loop.
	loops   atomic.Pointer[[]*loop]
	booted  chan struct{}
	stopped chan struct{}

	// suspMu guards suspended and serialises Suspend/Resume (admin.go).
	suspMu    sync.Mutex
	suspended suspensions

	deferSlots   chan struct{} // semaphore of the decisions waiting for the cluster (deferred.go)
	deferTimeout time.Duration

	originRR    atomic.Uint32
	sweepEvery  atomic.Int64 // ns between the loops' sweeps (health.go)
	bootStarted atomic.Bool
	draining    atomic.Bool
	shutdown    atomic.Bool
	connSeq     atomic.Uint64 // numbers SP-facing connections (spConn.id)
	closes      [closeReasonCount]atomic.Uint64
	counters    gatewayCounters
	logLimit    logLimiter
	ingress     ingressHooks // servers beside the gateway: their reports (ingress.go)
}

// gatewayCounters are events outside the per-loop hot path.
type gatewayCounters struct {
	unknownResponses atomic.Uint64
	deferBusy        atomic.Uint64
	loginFailures    [codec.LoginStatusCount]atomic.Uint64
}

// Options are the Gateway's collaborators.
type Options struct {
	// Auth decides every MT and records MO LinkIDs; it owns the store.
	Auth *authcache.Engine
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// LogClock is the clock of the log limiter (ratelog.go); nil means
	// time.Now. For tests: advancing it refills the budget of lines at
	// once.
	LogClock func() time.Time
	// DeferTimeout bounds a decision that waits for the cluster (a LinkID
	// MT, a confirmation reply; deferred.go). Default 20 s.
	DeferTimeout time.Duration
	// Cluster makes the gateway one of several nodes sharing a cluster
	// (cluster.go): MO and reports go through the accounts' queues in it,
	// and account limits hold across the nodes. nil: one node, the
	// outbox in the store.
	Cluster cluster.Backend
}

// New checks cfg and prepares a gateway; nothing listens until
// ListenAndServe.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	if opts.Auth == nil {
		return nil, errors.New("proxy: Options.Auth is required")
	}
	ups := cfg.Upstreams()
	specs, err := faceSpecs(cfg)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	g := &Gateway{
		auth:    opts.Auth,
		log:     log,
		start:   time.Now(),
		booted:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
	for i, sp := range specs {
		g.faces = append(g.faces, newFace(i, sp.d))
	}
	g.logLimit.now = opts.LogClock
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.deferSlots = make(chan struct{}, maxDeferred)
	g.deferTimeout = opts.DeferTimeout
	if g.deferTimeout <= 0 {
		g.deferTimeout = deferTimeoutDefault
	}
	g.lockout = newLockout()
	g.node = cfg.Node.SGIPNodeID
	g.listeners.g = g
	g.listeners.max = int64(cfg.Gateway.MaxConnections)
	if g.listeners.max <= 0 {
		g.listeners.max = defaultMaxConnections()
	}
	for i := range ups {
		ud := ups[i].Dialect() // with the deployment's choices (an SMPP LinkID TLV)
		if ud == nil {
			return nil, fmt.Errorf("proxy: upstream %q: unknown protocol %q", ups[i].Name, ups[i].Protocol)
		}
		u := newUpstream(g, i, ud)
		u.name = ups[i].Name
		g.upstreams = append(g.upstreams, u)
	}
	g.defaultUp = cfg.DefaultUpstream()
	if err := g.translation(cfg); err != nil {
		return nil, err
	}
	g.deliver = newDeliverer(g, opts.Auth)
	if opts.Cluster != nil {
		g.cl = newClusterNode(g, opts.Cluster)
	}
	g.numLoops = cfg.Gateway.EventLoops
	if g.numLoops <= 0 {
		g.numLoops = runtime.NumCPU()
	}
	if err := g.loadSuspensions(); err != nil {
		return nil, fmt.Errorf("proxy: reading suspended accounts from the store: %w", err)
	}
	g.applyConfig(cfg)
	// The outbox is loaded before anything can connect: a bind logs in
	// while the engine discovers its loops, and an SMG may deliver at once.
	// Several nodes keep deliveries in the cluster's queues: what an
	// outbox in the store holds (written by one node before) moves there.
	if g.cl != nil {
		g.cl.migrateOutbox()
	} else {
		g.deliver.outbox.load()
	}
	return g, nil
}

// applyConfig installs cfg: accounts, result codes, authorization policy.
// An account a reload adds (or adds back after removing it) gets the
// deliveries the store holds for it before any connection can see it.
func (g *Gateway) applyConfig(cfg *config.Config) (removed []*account) {
	prev := g.accounts.Load()
	var added []*account
	t, removed := buildAccounts(cfg, prev, func(a *account) *deliveryQueue {
		added = append(added, a)
		return newDeliveryQueue(g, a)
	})
	if prev != nil && g.cl == nil { // a reload; New loads every account's at once
		for _, a := range added {
			g.deliver.outbox.loadAccount(a)
		}
	}
	for _, f := range g.faces {
		rt := buildResults(cfg, f.d)
		f.results.Store(&rt)
	}
	g.cfg.Store(cfg)
	for i, u := range g.upstreams {
		switch { // a reload that changes the list is refused (Reload)
		case len(cfg.UpstreamList) == 0 && i == 0:
			u.cfg.Store(&cfg.Upstream)
		case i < len(cfg.UpstreamList):
			u.cfg.Store(&cfg.UpstreamList[i].Upstream)
		}
	}
	if len(g.upstreams) > 1 {
		if t, err := cfg.RouteTable(); err == nil { // a configuration Parse accepted compiles
			g.routes.Store(t)
		}
	}
	g.suspMu.Lock()
	g.setSuspendedFlags(t) // before the table is visible: a new account starts suspended if it was
	g.accounts.Store(t)
	g.suspMu.Unlock()
	g.listeners.admission.Store(newAdmission(cfg))
	g.lockout.configure(cfg.Gateway)
	if g.cl != nil {
		g.setNodeShares(int(g.nodeShare.Load()))
	}
	if prev != nil {
		for _, a := range added {
			if a.queue.Len() > 0 && a.cfg.Load().Receiver != nil {
				a.queue.kick()
			}
		}
	}
	return removed
}

func (g *Gateway) cfgLoad() *config.Config { return g.cfg.Load() }

// upstreamOf is the upstream of the default route: where MT go whose
// recipients are not routed elsewhere (the only one with upstream:), and
// spsmg's own MT. Any goroutine.
func (g *Gateway) upstreamOf(a *account) *upstream { return g.upstreams[g.defaultUp] }

// Reload applies a new configuration without dropping connections: account
// credentials, limits, service codes, result codes and authorization rules
// change at once; connections of removed accounts are closed. Changes to
// listeners or the upstream need a restart and are reported as an error
// after the rest has been applied.
func (g *Gateway) Reload(cfg *config.Config) error {
	old := g.cfgLoad()
	removed := g.applyConfig(cfg)
	var errs []error
	if err := g.auth.SetPolicy(AuthPolicy(cfg)); err != nil {
		errs = append(errs, err)
	}
	for _, a := range removed {
		a.mu.Lock()
		conns := append([]*spConn(nil), a.all...)
		a.mu.Unlock()
		for _, s := range conns {
			s.closeAsync(CloseAccountRemoved)
		}
	}
	if fmt.Sprint(old.Listeners) != fmt.Sprint(cfg.Listeners) {
		errs = append(errs, errors.New("listeners changed: restart to apply"))
	}
	for i, ac := range cfg.Accounts {
		if ac.Protocol != codec.ProtocolUnknown && !external(ac.Protocol) && !g.hasFace(ac.Protocol) {
			errs = append(errs, fmt.Errorf("accounts[%d] %q: no SP listener or account spoke %s at start: restart to apply", i, ac.ID, ac.Protocol))
		}
	}
	if old.Authorization.LongSMSCapacity != cfg.Authorization.LongSMSCapacity {
		errs = append(errs, errors.New("authorization.long_sms_capacity changed: restart to apply"))
	}
	oldUps, newUps := old.Upstreams(), cfg.Upstreams()
	if len(oldUps) != len(newUps) || old.DefaultUpstream() != cfg.DefaultUpstream() {
		errs = append(errs, errors.New("upstreams or routing.default changed: restart to apply"))
	} else {
		for i := range oldUps {
			o, n := oldUps[i], newUps[i]
			if o.Name != n.Name || o.Addr != n.Addr || o.Protocol != n.Protocol || o.Login != n.Login {
				errs = append(errs, fmt.Errorf("upstream %q: name, address, protocol or login changed: restart to apply", n.Name))
			}
			if fmt.Sprint(o.SMPP) != fmt.Sprint(n.SMPP) {
				errs = append(errs, fmt.Errorf("upstream %q: smpp changed: restart to apply", n.Name))
			}
			if o.Translate.Corp() != n.Translate.Corp() || o.Translate.Fee() != n.Translate.Fee() {
				errs = append(errs, fmt.Errorf("upstream %q: translate changed: restart to apply", n.Name))
			}
		}
	}
	g.log.Info("configuration reloaded", "accounts", len(cfg.Accounts), "removed", len(removed))
	return errors.Join(errs...)
}

// AuthPolicy turns the config's authorization section into authcache's
// (used here on reload and by whoever opens the engine: cmd/spsmg, tests).
func AuthPolicy(cfg *config.Config) authcache.Config {
	a := cfg.Authorization
	p := authcache.Config{
		PortalNumber:        a.PortalNumber,
		PendingTTL:          a.PendingTTL,
		PendingRepeatWindow: a.PendingRepeatWindow,
		NoticeServiceCode:   a.NoticeServiceCode,
		MOLinkIDTTL:         a.MOLinkIDTTL,
		MOLinkIDUses:        a.MOLinkIDUses,
		WebCodeDigits:       a.WebCodeLength,
		WebCodePrefix:       a.WebLinkIDPrefix,
		WebCodeTTL:          a.WebCodeTTL,
		WebCodeUses:         a.WebCodeUses,
		RouteTTL:            a.RouteTTL,
		RouteCacheTTL:       a.RouteCacheTTL,
		LongSMSTTL:          a.LongSMSTTL,
		LongSMSCapacity:     a.LongSMSCapacity,
		RouteCacheBytes:     a.RouteCacheBytes,
	}
	for _, s := range a.ExemptServices {
		p.ExemptServices = append(p.ExemptServices, authcache.ExemptService{ServiceCode: s})
	}
	for _, ac := range cfg.Accounts {
		if ac.Exempt {
			p.ExemptSPs = append(p.ExemptSPs, ac.ID)
		}
		for _, s := range ac.ExemptServices {
			p.ExemptServices = append(p.ExemptServices, authcache.ExemptService{SP: ac.ID, ServiceCode: s})
		}
	}
	if a.UnsubscribeKeyword != "" {
		p.Keywords.Unsubscribe = []string{a.UnsubscribeKeyword}
	}
	if a.CancelAllKeyword != "" {
		p.Keywords.UnsubscribeAll = []string{a.CancelAllKeyword}
	}
	return p
}

// ListenAndServe starts the engine and blocks until Shutdown, then returns
// ErrServerClosed; any other error means it could not start or failed.
func (g *Gateway) ListenAndServe() error {
	cfg := g.cfgLoad()
	for _, l := range cfg.Listeners {
		if external(l.Protocol) {
			continue // an ingress's listener (ingress.go)
		}
		if err := g.listeners.listen(l.Addr, nil, g.faceOf(l.Protocol)); err != nil {
			g.listeners.closeAll()
			return fmt.Errorf("listener %s %s: %w", l.Protocol, l.Addr, err)
		}
	}
	for _, u := range g.upstreams {
		if in := u.config().Inbound; in != nil {
			if err := g.listeners.listen(in.Addr, u, nil); err != nil {
				g.listeners.closeAll()
				return fmt.Errorf("upstream %q inbound %s: %w", u.name, in.Addr, err)
			}
		}
	}
	// gnet needs an address of its own; spsmg's acceptors hand it every
	// real connection (acceptor.go), so it listens on loopback only.
	err := gnet.Run(g, "tcp://127.0.0.1:0",
		gnet.WithNumEventLoop(g.numLoops),
		// LeastConnections: its choice reads atomics only, so connections
		// can be registered from the acceptors' goroutines
		// (RoundRobin's counter is not goroutine-safe,
		// docs/performance-notes.md §2).
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithTicker(true),
		gnet.WithLogger(gnetLogger{g.log}),
	)
	g.listeners.closeAll()
	select {
	case <-g.booted:
	default:
		close(g.booted) // never booted: unblock waiters
	}
	close(g.stopped)
	if g.shutdown.Load() {
		return ErrServerClosed
	}
	if err == nil {
		// gnet stopped its engine by itself: say so, so that the process
		// exits and its supervisor restarts it, rather than lingering.
		err = errors.New("proxy: the event engine stopped unexpectedly")
	}
	g.log.Error("gateway stopped", "err", err)
	return err
}

// Ready is closed once the engine listens and every event loop is known.
func (g *Gateway) Ready() <-chan struct{} { return g.booted }

// OnBoot keeps the engine. It runs before gnet creates its loops, so the
// loops are discovered from the first OnTick instead.
func (g *Gateway) OnBoot(eng gnet.Engine) gnet.Action {
	g.mu.Lock()
	g.eng = eng
	g.mu.Unlock()
	return gnet.None
}

// OnTick fires first right after the engine has started its loops (on
// gnet's ticker goroutine): it starts the boot, and then every sweepEvery
// (1 s by default) it has every loop run its sweep, on the loop.
func (g *Gateway) OnTick() (time.Duration, gnet.Action) {
	every := g.sweepInterval()
	g.sweepEvery.Store(int64(every))
	if g.bootStarted.CompareAndSwap(false, true) {
		g.mu.Lock()
		eng := g.eng
		g.mu.Unlock()
		go g.boot(eng)
		return every, gnet.None
	}
	for _, l := range g.loopList() {
		_ = l.el.Execute(g.ctx, l.sweepTask)
	}
	return every, gnet.None
}

func (g *Gateway) boot(eng gnet.Engine) {
	if err := discoverLoops(g, eng); err != nil {
		g.log.Error("event loop discovery failed", "err", err)
	}
	g.deliver.outbox.kickLoaded()
	go g.keepIDMarks()
	if g.cl != nil {
		g.cl.start()
	}
	g.listeners.start(eng)
	close(g.booted)
}

// loopList is the event loops, in the order they were first seen (their
// idx). Callers must not modify it. Any goroutine; no lock, no copy.
func (g *Gateway) loopList() []*loop {
	if p := g.loops.Load(); p != nil {
		return *p
	}
	return nil
}

// loopFor returns the state of event loop el, creating it on first sight.
// Called from OnOpen on el's goroutine.
func (g *Gateway) loopFor(el gnet.EventLoop) *loop {
	for _, l := range g.loopList() {
		if l.el == el {
			return l
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.loopList()
	for _, l := range old {
		if l.el == el {
			return l
		}
	}
	l := newLoop(g, el, len(old))
	loops := append(append(make([]*loop, 0, len(old)+1), old...), l)
	g.loops.Store(&loops)
	for _, u := range g.upstreams {
		go u.ensure(l) // every loop gets its binds as soon as it is seen
	}
	return l
}

// OnOpen gives every new connection its session, by the context it was
// registered with: accepted SP or SGIP inbound connections (acceptor.go),
// binds, SGIP receivers, probes.
func (g *Gateway) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	l := g.loopFor(c.EventLoop())
	l.tick()
	switch x := c.Context().(type) {
	case *probe:
		x.found(l)
		return nil, gnet.None
	case *bind:
		x.opened(l, c)
		l.flush()
		return nil, gnet.None
	case *spConn: // spsmg dialled an SGIP SP's receiver
		x.opened(l, c)
		l.flush()
		return nil, gnet.None
	}
	a, ok := c.Context().(accepted)
	if !ok { // gnet's own loopback listener: nobody should connect to it
		return nil, gnet.Close
	}
	if g.draining.Load() {
		g.listeners.dropped(a.src) // counted by the acceptor
		return nil, gnet.Close
	}
	if a.up != nil {
		s := newInbound(a.up, l, c)
		s.prelogin = preloginSlot{src: a.src, held: true}
		c.SetContext(s)
		return nil, gnet.None
	}
	s := newSPConn(g, l, c, roleServer, nil, a.f)
	s.prelogin = preloginSlot{src: a.src, held: true}
	c.SetContext(s)
	return nil, gnet.None
}

// OnTraffic dispatches to the connection's session.
func (g *Gateway) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *spConn:
		return x.traffic(c)
	case *bind:
		return x.traffic(c)
	case *inbound:
		return x.traffic(c)
	}
	_, _ = c.Discard(c.InboundBuffered())
	return gnet.None
}

// OnClose lets the session clean up; the context is cleared after this.
func (g *Gateway) OnClose(c gnet.Conn, err error) gnet.Action {
	switch x := c.Context().(type) {
	case *spConn:
		x.onClose(err)
		if x.role == roleServer { // receivers spsmg dialled were never counted
			g.listeners.closed()
		}
	case *bind:
		x.onClose(err)
	case *inbound:
		x.onClose(err)
		g.listeners.closed()
	}
	return gnet.None
}

// Shutdown stops the gateway gracefully (docs/product.md §6): refuse new
// connections and Submits, wait for the Submits in flight to be answered,
// send every peer its logout, wait for output to drain, stop the engine and
// flush the outbox. It returns ctx.Err() if ctx ends first (the engine is
// stopped anyway).
func (g *Gateway) Shutdown(ctx context.Context) error {
	if g.shutdown.Swap(true) {
		<-g.stopped
		return nil
	}
	<-g.booted
	g.draining.Store(true)
	g.listeners.closeAll() // stop accepting
	for _, u := range g.upstreams {
		u.stopReconnecting()
	}
	deadlineErr := g.waitQuiet(ctx, func(l *loop) bool { return l.inflight() == 0 })
	for _, l := range g.loopList() {
		l := l
		_ = l.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
			l.tick()
			l.sayGoodbye()
			l.flush()
			return nil
		}))
	}
	if err := g.waitQuiet(ctx, func(l *loop) bool { return l.outputDrained() }); deadlineErr == nil {
		deadlineErr = err
	}
	g.cancel()
	g.mu.Lock()
	eng := g.eng
	g.mu.Unlock()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := eng.Validate(); err == nil {
		_ = eng.Stop(stopCtx)
	}
	<-g.stopped
	if g.cl != nil {
		g.cl.stop() // what this node took and did not deliver goes back to the queues
	}
	return deadlineErr
}

// waitQuiet polls every loop (on the loop) until cond holds for all or ctx
// ends; the polling interval backs off like net/http's Shutdown.
func (g *Gateway) waitQuiet(ctx context.Context, cond func(*loop) bool) error {
	wait := time.Millisecond
	for {
		all := true
		for _, l := range g.loopList() {
			res := make(chan bool, 1)
			l := l
			if err := l.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
				res <- cond(l)
				return nil
			})); err != nil {
				continue
			}
			select {
			case ok := <-res:
				all = all && ok
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if wait < 100*time.Millisecond {
			wait *= 2
		}
	}
}

// gnetLogger routes gnet's own logging into slog at debug/warn levels.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }

// ReadyBinds is the number of upstream binds logged in and healthy; /readyz
// wants one.
func (g *Gateway) ReadyBinds() int {
	n := 0
	for _, u := range g.upstreams {
		n += u.Ready()
	}
	return n
}
