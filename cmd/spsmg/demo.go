package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/sim/smg"
)

const demoUsage = `usage: spsmg demo [--listen ADDR] [--json ADDR] [--http ADDR] [--smg ADDR] [--control ADDR]
                  [--data DIR] [--config FILE] [--mo-rate N]
       spsmg demo --reset [--data DIR]

Runs the gateway with the demo configuration (config/demo.yaml, embedded)
in front of a simulated SMG, with an embedded Badger store under DIR
(default ./data), and prints a walk-through of every flow to paste from
another terminal. Port 0 picks a free port; the walk-through names the
ports in use.

  --listen ADDR   the SP listener (default 127.0.0.1:7890)
  --json ADDR     the JSON socket listener of merchant systems (default 127.0.0.1:7900)
  --http ADDR     /metrics and the SPMS API (default 127.0.0.1:8080)
  --smg ADDR      the simulated SMG (default 127.0.0.1:17890)
  --control ADDR  the simulated SMG's control API, loopback only (default 127.0.0.1:17891)
  --mo-rate N     MO per second the simulated SMG sends to the demo SP
  --reset         remove DIR and exit; refused while a demo uses it`

// Demo defaults that are not in config/demo.yaml.
const (
	demoControlAddr = "127.0.0.1:17891"
	// demoSubmitLog: the MTs the simulated SMG keeps for GET /messages.
	demoSubmitLog = 1000
	// demoUser is the phone the walk-through plays.
	demoUser = "13800138000"
)

// demoOptions are the command line of `spsmg demo`.
type demoOptions struct {
	data, config, listen, json, http, smg, control string
	moRate                                         float64
	reset                                          bool
}

func parseDemo(args []string, stdout io.Writer) (demoOptions, error) {
	var o demoOptions
	fs := flag.NewFlagSet("spsmg demo", flag.ContinueOnError)
	fs.StringVar(&o.data, "data", "data", "data directory of the embedded store")
	fs.StringVar(&o.config, "config", "", "configuration file instead of the embedded demo")
	fs.StringVar(&o.listen, "listen", "", "the SP listener's address")
	fs.StringVar(&o.json, "json", "", "the JSON socket listener's address")
	fs.StringVar(&o.http, "http", "", "http.addr")
	fs.StringVar(&o.smg, "smg", "", "the simulated SMG's address (upstream.addr)")
	fs.StringVar(&o.control, "control", demoControlAddr, "the simulated SMG's control API")
	fs.Float64Var(&o.moRate, "mo-rate", 0, "MO messages per second the simulated SMG sends to the demo SP")
	fs.BoolVar(&o.reset, "reset", false, "remove the data directory and exit")
	if err := cli.Parse(fs, args, demoUsage, stdout); err != nil {
		return o, err
	}
	if err := cli.NoArgs(fs, demoUsage); err != nil {
		return o, err
	}
	return o, nil
}

func demoCmd(args []string, stdout io.Writer) error {
	return runDemo(context.Background(), args, stdout, os.Stderr)
}

// runDemo runs `spsmg demo` until a signal or ctx's end: the walk-through
// goes to stdout, the logs to stderr.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseDemo(args, stdout)
	if err != nil {
		return err
	}
	if o.reset {
		return resetStore(o.data, stdout)
	}
	var cfg *config.Config
	if o.config != "" {
		cfg, _, err = config.Load(o.config)
	} else {
		cfg, err = config.Parse(config.Demo)
	}
	if err != nil {
		return err
	}
	cfg.Store.Path = o.data
	if o.listen != "" {
		if len(cfg.Listeners) == 0 {
			return errors.New("demo: --listen: the configuration has no listener")
		}
		cfg.Listeners[0].Addr = o.listen
	}
	if o.json != "" {
		i := slices.IndexFunc(cfg.Listeners, func(l config.Listener) bool { return l.Protocol == codec.JSON })
		if i < 0 {
			return errors.New("demo: --json: the configuration has no json listener")
		}
		cfg.Listeners[i].Addr = o.json
	}
	if o.http != "" {
		cfg.HTTP.Addr = o.http
	}
	if o.smg != "" {
		cfg.Upstream.Addr = o.smg
	}
	log := newLogger(cfg.Log, stderr)

	sc := smg.Config{
		Protocol:    cfg.Upstream.Protocol,
		Addr:        cfg.Upstream.Addr,
		Accounts:    map[string]string{cfg.Upstream.Login: cfg.Upstream.Secret},
		ReportDelay: 100 * time.Millisecond,
		MORate:      o.moRate,
		SubmitLog:   demoSubmitLog,
		Logger:      log.With("component", "simulated-smg"),
	}
	if len(cfg.Accounts) > 0 && len(cfg.Accounts[0].AccessNumbers) > 0 {
		sc.MOTemplate = smg.MO{User: demoUser, SPNumber: cfg.Accounts[0].AccessNumbers[0], Text: "HELP"}
	}
	if in := cfg.Upstream.Inbound; in != nil {
		sc.ReceiverAddr, sc.ReceiverLogin, sc.ReceiverPassword = in.Addr, in.Login, in.Secret
	}
	sim, err := smg.Start(sc)
	if err != nil {
		return fmt.Errorf("simulated SMG at %s (--smg): %w", sc.Addr, err)
	}
	defer sim.Close()
	cfg.Upstream.Addr = sim.Addr() // the port it took, for --smg with port 0
	ctl, err := sim.ListenControl(o.control)
	if err != nil {
		return fmt.Errorf("simulated SMG's control API (--control): %w", err)
	}
	defer ctl.Close()

	reset := "spsmg demo --reset --data " + shellQuote(o.data)
	if o.data == "data" {
		reset = "make reset"
	}
	admin := "off (no http.admin)"
	if a := cfg.HTTP.Admin; a != nil {
		admin = "key " + a.Key
		if o.config == "" { // the embedded demo's secret is no secret; a file's is
			admin += ", secret " + a.Secret
		}
	}
	return serve(ctx, cfg, log, func() (*config.Config, error) { return cfg, nil }, func(at listening) {
		fmt.Fprintf(stdout, "\nspsmg demo is up:\n  SP listeners       %s %v\n", cfg.Listeners[0].Protocol, at.sp)
		if at.json != "" {
			fmt.Fprintf(stdout, "  JSON listener      %s (merchant systems: docs/json-ingress.md)\n", at.json)
		}
		fmt.Fprintf(stdout, "  SMG (simulated)    %s %s, control API http://%s\n  metrics, SPMS API  http://%s\n  console            http://%s/console/ (admin %s)\n  store              %s (stop the demo, then %s to start afresh)\n\n",
			cfg.Upstream.Protocol, sim.Addr(), ctl.Addr(), at.http, at.http, admin, cfg.Store.Path, reset)
		fmt.Fprint(stdout, walkthrough(cfg, demoAt{sp: at.sp[0], http: at.http, control: ctl.Addr()}))
	})
}

// demoAt is where the running demo listens.
type demoAt struct{ sp, http, control string }

// walkthroughHeading starts the walk-through; everything after it is a
// shell script (TestDemoWalkthrough runs it as printed).
const walkthroughHeading = "Walk-through: from a second terminal in this directory, paste as is."

// walkthrough is the printed tour of every flow, for cfg's first API
// account, as shell commands that work when pasted: the simulated SMG's
// control API plays the user's phone, spsim the SP, spsmg api the SP's
// website.
func walkthrough(cfg *config.Config, at demoAt) string {
	var acct *config.Account
	for i := range cfg.Accounts {
		if cfg.Accounts[i].API != nil && len(cfg.Accounts[i].AccessNumbers) > 0 {
			acct = &cfg.Accounts[i]
			break
		}
	}
	var b strings.Builder
	if d := dialect.For(cfg.Upstream.Protocol); acct == nil || d == nil || d.SplitConnections() {
		// SGIP SPs receive on a listener of their own (-receiver), which
		// the demo account does not configure.
		b.WriteString("(No walk-through: it needs a CMPP or SMGP account with api keys and an access number.)\n")
		return b.String()
	}
	services := usableServices(cfg, acct)
	moService, subService := services[0], services[len(services)-1]
	access := acct.AccessNumbers[0]

	spsim := "go run ./cmd/spsim -addr " + at.sp
	if p := acct.Protocol; p != codec.ProtocolUnknown && p != codec.CMPP30 { // spsim's default
		spsim += " -proto " + p.String()
	}
	if acct.Login != "900001" || acct.Secret != "888888" { // spsim's defaults
		spsim += " -login " + acct.Login + " -secret " + shellQuote(acct.Secret)
	}
	mtFrom := ""
	if access != "10655123" { // spsim's default -spnumber
		mtFrom = " -spnumber " + access
	}
	apiCall := "go run ./cmd/spsmg api -url http://" + at.http
	if key, secret, _ := demoAPIDefaults(); acct.API.AppKey != key || acct.API.AppSecret != secret {
		apiCall += " -key " + shellQuote(acct.API.AppKey) + " -secret " + shellQuote(acct.API.AppSecret)
	}
	ctl := "http://" + at.control
	last := shellQuote(ctl + "/messages?user=" + demoUser + "&last=1")
	lastText := shellQuote(ctl + "/messages?user=" + demoUser + "&last=1&field=text")

	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", walkthroughHeading)
	line("")
	line("# 1. MO on-demand: user %s texts %s to %s; the SP answers with the MO's LinkID.", demoUser, moService, access)
	line(`curl -s %s/mo -d '{"user":"%s","to":"%s","text":"%s"}'`, ctl, demoUser, access, moService)
	line("%s -replies 1 -service %s -text 'Thanks for asking'", spsim, moService)
	line("#    spsim prints the MO with the LinkID spsmg gave it, then its MT: result=0.")
	line("")
	line("# 2. Web on-demand: the SP's website asks for a code; the phone shows it; the SP's MT carries it.")
	line(`%s POST /v1/ondemand '{"user":"%s"}'`, apiCall, demoUser)
	line("curl -s %s", last)
	line("CODE=$(curl -s %s | tr -dc 0-9)", lastText)
	line(`%s -n 1 -service %s%s -linkid "$CODE"`, spsim, subService, mtFrom)
	line("#    The MT with the code as its LinkID passes: result 0.")
	line("")
	line("# 3. Web subscription: Y, then Noti_SP, then the DZTZ notice, then a subscription MT.")
	line(`%s POST /v1/subscriptions '{"user":"%s","service_code":"%s"}'`, apiCall, demoUser, subService)
	line("curl -s %s", last)
	line("#    That is the Noti_User, from %s + the request id. The user answers Y:", cfg.Authorization.PortalNumber)
	line(`curl -s %s/mo -d '{"user":"%s","reply":true,"text":"Y"}'`, ctl, demoUser)
	line("%s -replies 1 -service %s -text 'You are subscribed to %s'", spsim, cfg.Authorization.NoticeServiceCode, subService)
	line("#    The Noti_SP reaches the SP with a LinkID; its %s notice with that LinkID records the subscription.", cfg.Authorization.NoticeServiceCode)
	line("%s -n 1 -service %s%s -text 'Today in %s'", spsim, subService, mtFrom, subService)
	line("%s GET %s", apiCall, shellQuote("/v1/subscriptions?user="+demoUser))
	line("#    A plain %s MT, without a LinkID, now passes (result 0), and the subscription is active.", subService)
	line("")
	line("# How spsmg decided each MT it let through:")
	line(`curl -s http://%s/metrics | grep '^spsmg_mt_decisions_total.*"allow"'`, at.http)
	return b.String()
}

// usableServices are the account's service codes an SP can subscribe to
// or answer an MO with: not the notice code, not a free one. Empty lists
// mean any code: HELP and NEWS then.
func usableServices(cfg *config.Config, acct *config.Account) []string {
	var out []string
	for _, s := range acct.ServiceCodes {
		if s != cfg.Authorization.NoticeServiceCode && !slices.Contains(cfg.Authorization.ExemptServices, s) &&
			!slices.Contains(acct.ExemptServices, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{"HELP", "NEWS"}
	}
	return out
}

// shellQuote quotes s for sh when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:@=", c)) {
			safe = false
			break
		}
	}
	if safe && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// resetStore removes the demo's store directory. A running demo holds
// Badger's lock on it (flock on the directory), so a directory that
// cannot be locked is in use and stays. Anything that does not look like
// a store is left alone too.
func resetStore(dir string, stdout io.Writer) error {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "%s does not exist: nothing to reset\n", dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("reset: %s: %w", dir, err)
	}
	if len(names) > 0 && !slices.Contains(names, "MANIFEST") {
		return fmt.Errorf("reset: %s does not look like a spsmg store (no MANIFEST); remove it yourself", dir)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("reset: %s is in use (a demo or spsmg serve has it open): stop it first", dir)
	}
	abs, _ := filepath.Abs(dir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	fmt.Fprintf(stdout, "removed %s\n", abs)
	return nil
}
