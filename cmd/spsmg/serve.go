package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spsmg/spsmg/admin"
	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/authcache/redisstore"
	"github.com/spsmg/spsmg/cluster"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/jsoningress"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reconcile"
	"github.com/spsmg/spsmg/subsync"
)

const serveUsage = `usage: spsmg serve --config FILE

Runs the gateway. Signals: SIGHUP reloads the configuration (accounts,
credentials, limits, result codes, authorization rules) without dropping
connections; SIGTERM or SIGINT stops gracefully (logouts, drain, flush).
A file with problems is refused with every problem listed, one per line
(spsmg check lists them without starting).`

// configFlag parses a command's flags, of which --config is required.
func configFlag(fs *flag.FlagSet, args []string, head string, stdout io.Writer) (string, error) {
	path := fs.String("config", "", "configuration file (YAML)")
	if err := cli.Parse(fs, args, head, stdout); err != nil {
		return "", err
	}
	if *path == "" {
		return "", cli.Misuse(fs, head, "--config is required")
	}
	return *path, cli.NoArgs(fs, head)
}

func serveCmd(args []string, stdout io.Writer) error {
	path, err := configFlag(flag.NewFlagSet("spsmg serve", flag.ContinueOnError), args, serveUsage, stdout)
	if err != nil {
		return err
	}
	cfg, warnings, err := config.Load(path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, os.Stderr)
	for _, w := range warnings {
		log.Warn(w)
	}
	return serve(context.Background(), cfg, log, func() (*config.Config, error) {
		c, w, err := config.Load(path)
		for _, x := range w {
			log.Warn(x)
		}
		return c, err
	}, nil)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if strings.EqualFold(c.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// listening is where a started gateway accepts: its SP listeners (in
// config order, the JSON socket listener apart) and the HTTP server.
type listening struct {
	sp   []string
	json string
	http string
}

// serve runs the gateway until SIGTERM/SIGINT, ctx's end or a failure, and
// logs "spsmg stopped" with the reason and the uptime once the store is
// closed. reload re-reads the configuration on SIGHUP. started, when set,
// is called once everything listens (the demo uses it to print where).
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, reload func() (*config.Config, error), started func(listening)) (err error) {
	begun := time.Now()
	st, err := openStore(cfg.Store, log)
	if err != nil {
		return err
	}
	opts := []authcache.Option{authcache.WithLogger(log)}
	if cfg.Store.Backend != config.StoreRedis {
		// Badger's files live under store.path: keep its reserve free there.
		opts = append(opts, authcache.WithSpaceGuard(authcache.SpaceGuard{
			Reserve: cfg.Store.MinFreeSpace.Bytes(), Free: authcache.DirFree(cfg.Store.Path), Path: cfg.Store.Path}))
	}
	engine, err := authcache.Open(proxy.AuthPolicy(cfg), st, opts...)
	if err != nil {
		st.Close()
		return fmt.Errorf("authorization engine: %w", err)
	}
	gwOpts := proxy.Options{Auth: engine, Logger: log}
	if cb, ok := st.(cluster.Backend); ok {
		// Several nodes share the cluster (README: Running several nodes).
		gwOpts.Cluster, gwOpts.DeferTimeout = cb, cfg.Store.Redis.Timeout
		log.Info("cluster: this node", "node_id", cb.NodeID())
	}
	reason := "failed at start"
	defer func() {
		if cerr := engine.Close(); cerr != nil {
			log.Error("closing the store", "err", cerr)
		}
		uptime := time.Since(begun).Round(time.Millisecond).String()
		if err != nil {
			log.Error("spsmg stopped", "reason", reason, "err", err, "uptime", uptime)
			return
		}
		log.Info("spsmg stopped", "reason", reason, "uptime", uptime)
	}()
	gw, err := proxy.New(cfg, gwOpts)
	if err != nil {
		return err
	}

	reg := metrics.NewRegistry()
	reg.MustRegister(gw.Collector())
	httpSrv := metrics.NewServer(reg)
	httpSrv.Ready = gw.Readyz
	setMonitorAllow := func(c *config.Config) {
		rules, err := config.ParseIPRules(c.HTTP.MetricsAllowIPs)
		if err != nil { // config.Load has checked the list
			log.Error("http.metrics_allow_ips", "err", err)
		}
		httpSrv.SetAllowIPs(rules)
	}
	setMonitorAllow(cfg)
	spms := api.New(cfg, engine, gw, log, reg)
	httpSrv.API = spms.Handler()
	carriers, err := subsync.New(cfg, engine, log, reg)
	if err != nil {
		return err
	}
	httpSrv.Sync = carriers.Handler()
	loc, err := config.ParseTimeZone(cfg.Node.TimeZone)
	if err != nil {
		return fmt.Errorf("node.time_zone: %w", err)
	}
	ro := reconcile.Options{Location: loc, Interval: cfg.Reconciliation.FlushInterval, Retention: cfg.Reconciliation.Retention, Logger: log}
	if gwOpts.Cluster != nil {
		ro.Node = gwOpts.Cluster.NodeID() // each node its own day records, summed when read
	}
	recon, err := reconcile.New(reconcile.EngineStore(engine), ro,
		reconcile.Func(proxy.ReconcileColumns(), gw.ReconcileCounts), reconcile.EngineSource(engine))
	if err != nil {
		return err
	}
	recon.Start()
	// The last counts reach the store before the engine closes it.
	defer func() {
		if err := recon.Close(); err != nil {
			log.Error("reconciliation: last flush failed", "err", err)
		}
	}()
	spms.SetReconciler(recon)
	// The JSON socket listener of merchant systems, beside the gateway
	// (docs/json-ingress.md): it takes the reports of json accounts from
	// now on, and pushes those left unanswered before a restart.
	var js *jsoningress.Server
	if cfg.JSONListener() != "" {
		node := ""
		if gwOpts.Cluster != nil {
			node = gwOpts.Cluster.NodeID()
		}
		js, err = jsoningress.New(cfg, jsoningress.Options{Gateway: gw, Store: jsoningress.EngineStore(engine),
			Logger: log, Metrics: reg, Node: node})
		if err != nil {
			return err
		}
	}
	console := admin.New(cfg, gw, log, reg)
	httpSrv.Console = console.ConsoleHandler()
	httpSrv.Admin = console.Handler()
	// applyReload is the one reload: SIGHUP and the admin API's reload
	// action both run it, one at a time.
	var reloadMu sync.Mutex
	applyReload := func(trigger string) (partial, err error) {
		reloadMu.Lock()
		defer reloadMu.Unlock()
		next, err := reload()
		if err != nil {
			log.Error("reload refused: the running configuration stays", "trigger", trigger, "err", err)
			return nil, err
		}
		// Counts of an account the reload removes are flushed first.
		if err := recon.Flush(); err != nil {
			log.Error("reconciliation: flush before reload failed", "err", err)
		}
		if partial = gw.Reload(next); partial != nil {
			log.Warn("reload applied in part", "trigger", trigger, "err", partial)
		}
		spms.SetConfig(next)
		if js != nil {
			js.SetConfig(next)
		}
		setMonitorAllow(next)
		console.SetConfig(next)
		if err := carriers.SetConfig(next); err != nil {
			log.Error("subscription sync: reloaded configuration refused; the previous one stays", "err", err)
		}
		if next.Node.TimeZone != cfg.Node.TimeZone || next.Reconciliation != cfg.Reconciliation {
			log.Warn("node.time_zone or reconciliation changed: restart to apply")
		}
		return partial, nil
	}
	console.SetReloader(func() (error, error) { return applyReload("admin_api") })
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: %w", err)
	}

	errc := make(chan error, 3)
	go func() { errc <- gw.ListenAndServe() }()
	go func() { errc <- httpSrv.Serve(ln, cfg.HTTP.TLSCert, cfg.HTTP.TLSKey) }()
	select {
	case <-gw.Ready():
	case err := <-errc:
		_ = ln.Close()
		if js != nil {
			_ = js.Shutdown(context.Background())
		}
		return err
	}
	var at listening
	if js != nil {
		jl, err := js.Listen(cfg.JSONListener())
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), cfg.Gateway.ShutdownTimeout)
			_ = js.Shutdown(sctx)
			_ = gw.Shutdown(sctx)
			_ = httpSrv.Shutdown(sctx)
			cancel()
			return fmt.Errorf("json listener %s: %w", cfg.JSONListener(), err)
		}
		at.json = jl.Addr().String()
		go func() { errc <- js.Serve(jl) }()
	}
	// accepting: the addresses as bound, the gateway's SP listeners then
	// SGIP's inbound one, then the JSON listener (a configured port 0
	// shows the port picked).
	binary := 0
	for _, l := range cfg.Listeners {
		if l.Protocol != codec.JSON {
			binary++
		}
	}
	accepting := make([]string, 0, len(cfg.Listeners)+1)
	for i, a := range gw.Addrs() {
		if i < binary {
			at.sp = append(at.sp, a.String())
		}
		accepting = append(accepting, a.String())
	}
	if at.json != "" {
		accepting = append(accepting, at.json)
	}
	at.http = ln.Addr().String()
	log.Info("spsmg serving", "listeners", fmt.Sprint(cfg.Listeners), "accepting", strings.Join(accepting, ","),
		"upstream", cfg.DefaultUpstreamConfig().Addr, "http", at.http, "store", storeName(cfg.Store))
	if started != nil {
		started(at)
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.Gateway.ShutdownTimeout)
		defer cancel()
		if js != nil {
			// First: its requests finish through the gateway, and reports
			// stop reaching it before the gateway stops.
			_ = js.Shutdown(sctx)
		}
		err := gw.Shutdown(sctx)
		_ = httpSrv.Shutdown(sctx)
		if err != nil {
			log.Warn("shutdown deadline passed before everything drained", "err", err)
		}
	}
	for {
		select {
		case err := <-errc:
			if !errors.Is(err, proxy.ErrServerClosed) && !errors.Is(err, metrics.ErrServerClosed) && !errors.Is(err, jsoningress.ErrServerClosed) {
				reason = "the gateway, the HTTP server or the JSON listener stopped by itself"
				return err
			}
		case <-ctx.Done():
			reason = "stopped by its caller"
			log.Info("stopping", "reason", reason)
			stop()
			return nil
		case s := <-sigs:
			if s == syscall.SIGHUP {
				_, _ = applyReload("sighup") // logged there
				continue
			}
			reason = "signal " + s.String()
			log.Info("stopping", "signal", s.String())
			stop()
			return nil
		}
	}
}

// openStore opens the configured backend. The redis backend makes this
// node one of those sharing a Redis Cluster: it publishes its changes of
// what the engines follow (authcache.Published).
func openStore(c config.Store, log *slog.Logger) (authcache.Store, error) {
	if c.Backend != config.StoreRedis {
		st, err := authcache.OpenBadger(c.Path, authcache.BadgerOptions{SyncWrites: c.SyncWrites, Logger: log, MinFree: c.MinFreeSpace.Bytes()})
		var damage *authcache.DamageError
		var ns *authcache.NoSpaceError
		switch {
		case errors.As(err, &damage):
			return nil, err // names the file and what to do
		case errors.As(err, &ns):
			// Badger writes through memory-mapped files: opened on a full
			// disk it would die of SIGBUS, and its supervisor would restart
			// it into the same death. Say so and exit instead.
			return nil, fmt.Errorf("store.path %s: %s free on its filesystem, below store.min_free_space %s; not opening the store "+
				"(writing to a full disk would kill the process): free space there or lower the reserve",
				c.Path, config.FormatBytes(ns.Free), config.FormatBytes(ns.Reserve))
		case err != nil:
			return nil, fmt.Errorf("store.path %s: %w", c.Path, err)
		}
		return st, nil
	}
	r := c.Redis
	o := redisstore.Options{
		Addrs: r.Addrs, Username: r.Username, Password: r.Password, KeyPrefix: r.KeyPrefix,
		WaitTimeout: r.WaitTimeout, Timeout: r.Timeout, Logger: log,
		NodeID: r.NodeID, PublishPrefixes: authcache.Published(),
	}
	if r.WaitReplicas != nil {
		o.WaitReplicas = *r.WaitReplicas
	}
	if r.TLS != nil {
		tc, err := r.TLS.Config()
		if err != nil {
			return nil, fmt.Errorf("store.redis.tls: %w", err)
		}
		o.TLS = tc
	}
	st, err := redisstore.Open(o)
	if err != nil {
		return nil, fmt.Errorf("store redis %v: %w", r.Addrs, err)
	}
	return st, nil
}

func storeName(c config.Store) string {
	if c.Backend == config.StoreRedis {
		return fmt.Sprintf("redis %v prefix %q", c.Redis.Addrs, c.Redis.KeyPrefix)
	}
	return c.Path
}
