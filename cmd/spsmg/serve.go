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
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
)

const serveUsage = `usage: spsmg serve --config FILE

Runs the gateway. Signals: SIGHUP reloads the configuration (accounts,
credentials, limits, result codes, authorization rules) without dropping
connections; SIGTERM or SIGINT stops gracefully (logouts, drain, flush).`

func serveCmd(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil || *path == "" {
		return usageError{serveUsage}
	}
	cfg, warnings, err := config.Load(*path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, os.Stderr)
	for _, w := range warnings {
		log.Warn(w)
	}
	return serve(cfg, log, func() (*config.Config, error) {
		c, w, err := config.Load(*path)
		for _, x := range w {
			log.Warn(x)
		}
		return c, err
	}, nil)
}

// readiness is /readyz: the store answers and takes writes, and a bind to
// the SMG is logged in. The reason names what is missing.
func readiness(engine *authcache.Engine, readyBinds func() int) func() (bool, string) {
	return func() (bool, string) {
		if sp := engine.Space(); sp.Low {
			return false, fmt.Sprintf("store below its free-space reserve: %s free under %s, store.min_free_space %s (ready again at %s)",
				config.FormatBytes(sp.Free), sp.Path, config.FormatBytes(sp.Reserve), config.FormatBytes(sp.Resume))
		}
		switch {
		case !engine.Available():
			return false, "authorization store unavailable"
		case readyBinds() == 0:
			return false, "no SMG bind logged in"
		}
		return true, ""
	}
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
	reserve := cfg.Store.MinFreeSpace.Bytes()
	st, err := authcache.OpenBadger(cfg.Store.Path, authcache.BadgerOptions{SyncWrites: cfg.Store.SyncWrites, Logger: log, MinFree: reserve})
	if ns := (*authcache.NoSpaceError)(nil); errors.As(err, &ns) {
		// Badger writes through memory-mapped files: opened on a full disk
		// it would die of SIGBUS, and its supervisor would restart it into
		// the same death. Say so and exit instead.
		return fmt.Errorf("store.path %s: %s free on its filesystem, below store.min_free_space %s; not opening the store "+
			"(writing to a full disk would kill the process): free space there or lower the reserve",
			cfg.Store.Path, config.FormatBytes(ns.Free), config.FormatBytes(ns.Reserve))
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", cfg.Store.Path, err)
	}
	engine, err := authcache.Open(proxy.AuthPolicy(cfg), st, authcache.WithLogger(log),
		authcache.WithSpaceGuard(authcache.SpaceGuard{Reserve: reserve, Free: authcache.DirFree(cfg.Store.Path), Path: cfg.Store.Path}))
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
	httpSrv.Ready = readiness(engine, gw.ReadyBinds)
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
	log.Info("spsmg serving", "listeners", fmt.Sprint(cfg.Listeners), "upstream", cfg.Upstream.Addr, "http", ln.Addr().String(), "store", cfg.Store.Path)
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
