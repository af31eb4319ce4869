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
	"github.com/spsmg/spsmg/reconcile"
	"github.com/spsmg/spsmg/subsync"
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
	st, err := authcache.OpenBadger(cfg.Store.Path, authcache.BadgerOptions{SyncWrites: cfg.Store.SyncWrites, Logger: log})
	if err != nil {
		return fmt.Errorf("store %s: %w", cfg.Store.Path, err)
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
	httpSrv.Ready = func() (bool, string) {
		switch {
		case !engine.Available():
			return false, "authorization store unavailable"
		case gw.ReadyBinds() == 0:
			return false, "no SMG bind logged in"
		}
		return true, ""
	}
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
	recon, err := reconcile.New(reconcile.EngineStore(engine), reconcile.Options{Location: loc,
		Interval: cfg.Reconciliation.FlushInterval, Retention: cfg.Reconciliation.Retention, Logger: log},
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
				// Counts of an account the reload removes are flushed first.
				if err := recon.Flush(); err != nil {
					log.Error("reconciliation: flush before reload failed", "err", err)
				}
				if err := gw.Reload(next); err != nil {
					log.Warn("reload applied in part", "err", err)
				}
				spms.SetConfig(next)
				if err := carriers.SetConfig(next); err != nil {
					log.Error("subscription sync: reloaded configuration refused; the previous one stays", "err", err)
				}
				if next.Node.TimeZone != cfg.Node.TimeZone || next.Reconciliation != cfg.Reconciliation {
					log.Warn("node.time_zone or reconciliation changed: restart to apply")
				}
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
