package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/smg"
)

const demoUsage = `usage: spsmg demo [--data DIR] [--config FILE] [--mo-rate N]

Runs the gateway with the demo configuration (config/demo.yaml, embedded)
in front of a simulated SMG started at the configured upstream address, with
an embedded Badger store under DIR (default ./data). Try it from another
terminal with the simulated SP:

  go run ./cmd/spsim -proto cmpp3 -addr 127.0.0.1:7890 -login 900001 -secret 888888 -service FREE -n 100000 -window 64 -rate 50000`

func demoCmd(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "data", "data directory of the embedded store")
	path := fs.String("config", "", "configuration file instead of the embedded demo")
	moRate := fs.Float64("mo-rate", 0, "MO messages per second the simulated SMG sends to the demo SP")
	if err := fs.Parse(args); err != nil {
		return usageError{demoUsage}
	}
	var (
		cfg *config.Config
		err error
	)
	if *path != "" {
		cfg, _, err = config.Load(*path)
	} else {
		cfg, err = config.Parse(config.Demo)
	}
	if err != nil {
		return err
	}
	cfg.Store.Path = *data
	log := newLogger(cfg.Log, os.Stderr)

	sc := smg.Config{
		Protocol:    cfg.Upstream.Protocol,
		Addr:        cfg.Upstream.Addr,
		Accounts:    map[string]string{cfg.Upstream.Login: cfg.Upstream.Secret},
		ReportDelay: 100 * time.Millisecond,
		MORate:      *moRate,
		Logger:      log.With("component", "simulated-smg"),
	}
	if len(cfg.Accounts) > 0 && len(cfg.Accounts[0].AccessNumbers) > 0 {
		sc.MOTemplate = smg.MO{User: "13800138000", SPNumber: cfg.Accounts[0].AccessNumbers[0], Text: "HELP"}
	}
	if in := cfg.Upstream.Inbound; in != nil {
		sc.ReceiverAddr, sc.ReceiverLogin, sc.ReceiverPassword = in.Addr, in.Login, in.Secret
	}
	sim, err := smg.Start(sc)
	if err != nil {
		return fmt.Errorf("simulated SMG: %w", err)
	}
	defer sim.Close()
	return serve(cfg, log, func() (*config.Config, error) { return cfg, nil }, func(httpAddr string) {
		admin := "off (no http.admin)"
		if a := cfg.HTTP.Admin; a != nil {
			admin = "key " + a.Key
			if *path == "" { // the embedded demo's secret is no secret; a file's is
				admin += ", secret " + a.Secret
			}
		}
		fmt.Fprintf(os.Stderr, "\nspsmg demo is up:\n  SMG (simulated)  %s %s\n  SP listeners     %v\n  metrics          http://%s/metrics\n  console          http://%s/console/ (admin %s)\n  store            %s\n\n%s\n\n",
			cfg.Upstream.Protocol, sim.Addr(), cfg.Listeners, httpAddr, httpAddr, admin, cfg.Store.Path, demoUsage[len("usage: spsmg demo [--data DIR] [--config FILE] [--mo-rate N]\n\n"):])
	})
}
