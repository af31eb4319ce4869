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
	"syscall"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/authcache/redisstore"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
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
	return serve(cfg, log, func() (*config.Config, error) {
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

// serve runs the gateway until a signal or ctx-like stop. reload re-reads
// the configuration on SIGHUP. started, when set, is called once
// everything listens (the demo uses it to print where).
func serve(cfg *config.Config, log *slog.Logger, reload func() (*config.Config, error), started func(httpAddr string)) error {
	st, err := openStore(cfg.Store, log)
	if err != nil {
		return err
	}
	engine, err := authcache.Open(proxy.AuthPolicy(cfg), st, authcache.WithLogger(log))
	if err != nil {
		st.Close()
		return fmt.Errorf("authorization engine: %w", err)
	}
	defer func() {
		if err := engine.Close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()
	gw, err := proxy.New(cfg, proxy.Options{Auth: engine, Logger: log})
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
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: %w", err)
	}

	errc := make(chan error, 2)
	go func() { errc <- gw.ListenAndServe() }()
	go func() { errc <- httpSrv.Serve(ln, cfg.HTTP.TLSCert, cfg.HTTP.TLSKey) }()
	select {
	case <-gw.Ready():
	case err := <-errc:
		return err
	}
	// accepting: the addresses as bound, SP listeners then SGIP's inbound
	// one (a configured port 0 shows the port picked).
	accepting := make([]string, 0, len(cfg.Listeners)+1)
	for _, a := range gw.Addrs() {
		accepting = append(accepting, a.String())
	}
	log.Info("spsmg serving", "listeners", fmt.Sprint(cfg.Listeners), "accepting", strings.Join(accepting, ","),
		"upstream", cfg.Upstream.Addr, "http", ln.Addr().String(), "store", storeName(cfg.Store))
	if started != nil {
		started(ln.Addr().String())
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	for {
		select {
		case err := <-errc:
			if !errors.Is(err, proxy.ErrServerClosed) && !errors.Is(err, metrics.ErrServerClosed) {
				return err
			}
		case s := <-sigs:
			if s == syscall.SIGHUP {
				next, err := reload()
				if err != nil {
					log.Error("reload refused: the running configuration stays", "err", err)
					continue
				}
				if err := gw.Reload(next); err != nil {
					log.Warn("reload applied in part", "err", err)
				}
				spms.SetConfig(next)
				setMonitorAllow(next)
				continue
			}
			log.Info("stopping", "signal", s.String())
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Gateway.ShutdownTimeout)
			err := gw.Shutdown(ctx)
			_ = httpSrv.Shutdown(ctx)
			cancel()
			if err != nil {
				log.Warn("shutdown deadline passed before everything drained", "err", err)
			}
			return nil
		}
	}
}

// openStore opens the configured backend. The redis backend runs this node
// on a Redis Cluster; nothing follows the change stream yet, so nothing is
// published on it.
func openStore(c config.Store, log *slog.Logger) (authcache.Store, error) {
	if c.Backend != config.StoreRedis {
		st, err := authcache.OpenBadger(c.Path, authcache.BadgerOptions{SyncWrites: c.SyncWrites, Logger: log})
		var damage *authcache.DamageError
		switch {
		case errors.As(err, &damage):
			return nil, err // names the file and what to do
		case err != nil:
			return nil, fmt.Errorf("store.path %s: %w", c.Path, err)
		}
		return st, nil
	}
	r := c.Redis
	o := redisstore.Options{
		Addrs: r.Addrs, Username: r.Username, Password: r.Password, KeyPrefix: r.KeyPrefix,
		WaitTimeout: r.WaitTimeout, Timeout: r.Timeout, Logger: log,
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
