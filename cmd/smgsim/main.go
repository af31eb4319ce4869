// Command smgsim runs a simulated carrier SMG (package sim/smg) for demos
// and load tests:
//
//	smgsim -proto cmpp3 -listen 127.0.0.1:17890 -account 901234:smg-secret
//	smgsim -proto sgip -listen 127.0.0.1:18801 -account smg:pw \
//	       -receiver 127.0.0.1:8801 -receiver-login smg -receiver-secret pw -mo-rate 10
//	smgsim -control 127.0.0.1:17891    # plus the control API: MO and reports at run time, the MTs received
//
// The control API (sim/smg control.go), on a loopback address only:
//
//	curl -s 127.0.0.1:17891/mo -d '{"user":"13800138000","to":"10655123","text":"HELP"}'
//	curl -s 127.0.0.1:17891/mo -d '{"user":"13800138000","reply":true,"text":"Y"}'
//	curl -s 127.0.0.1:17891/report -d '{"msgid":"...","stat":"UNDELIV"}'
//	curl -s '127.0.0.1:17891/messages?user=13800138000&last=5'
//
// It logs with log/slog to stderr and stops gracefully (Terminate / Exit /
// Unbind to every peer) on SIGINT or SIGTERM. Exit status (package
// internal/cli): 0 stopped (or -h), 1 failed, 2 a mistake in the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/sim/smg"
)

// shutdownTimeout bounds the graceful stop.
const shutdownTimeout = 5 * time.Second

const usage = `usage: smgsim [flags]

Runs a simulated carrier SMG: it accepts the gateway's logins, answers
Submits with message ids, sends status reports and MO, and (SGIP) dials the
gateway's inbound listener for them. For example:

  smgsim -proto cmpp3 -listen 127.0.0.1:17890 -account 901234:smg-secret`

func main() {
	os.Exit(cli.Exit("smgsim", run(os.Args[1:], os.Stdout), os.Stderr))
}

// options are the flags that are not Config fields.
type options struct {
	proto     string
	linkIDTag uint
	level     string
	statsLog  time.Duration
	control   string
}

// controlSubmitLog is how many Submits smgsim keeps for GET /messages when
// the control API is on.
const controlSubmitLog = 1000

func parse(args []string, stdout io.Writer) (smg.Config, options, error) {
	var o options
	cfg := smg.Config{Accounts: map[string]string{}}
	fs := flag.NewFlagSet("smgsim", flag.ContinueOnError)
	fs.StringVar(&o.proto, "proto", "cmpp3", "protocol: sgip | cmpp2 | cmpp2.1 | cmpp3 | smgp | smgp1.3 | smpp")
	fs.UintVar(&o.linkIDTag, "linkid-tag", 0, "SMPP: the TLV tag LinkIDs travel in, e.g. 0x1401 (0: none)")
	fs.StringVar(&cfg.Addr, "listen", "127.0.0.1:17890", "listen address")
	fs.Func("account", "login:secret the SMG accepts (repeatable; default 901234:smg-secret)", func(v string) error {
		login, secret, ok := strings.Cut(v, ":")
		if !ok || login == "" {
			return errors.New("want login:secret")
		}
		cfg.Accounts[login] = secret
		return nil
	})
	fs.StringVar(&cfg.ReceiverAddr, "receiver", "", "SGIP: the gateway's inbound listener the SMG dials for MO and reports")
	fs.StringVar(&cfg.ReceiverLogin, "receiver-login", "", "SGIP: login name of the type-2 bind")
	fs.StringVar(&cfg.ReceiverPassword, "receiver-secret", "", "SGIP: password of the type-2 bind")
	fs.DurationVar(&cfg.Delay, "delay", 0, "hold every Submit_Resp back this long")
	fs.DurationVar(&cfg.ReportDelay, "report-delay", 0, "send status reports this long after the Submit_Resp")
	fs.DurationVar(&cfg.ActiveTestInterval, "active-test-interval", 0, "CMPP/SMGP: send the SMG's own Active_Test on every connection this often (0: never)")
	fs.StringVar(&cfg.ReportStat, "report-stat", "DELIVRD", "Stat of every status report")
	fs.StringVar(&cfg.GatewayCode, "gateway-code", smg.DefaultGatewayCode, "6-digit ISMG/SMGW code in message ids")
	fs.DurationVar(&cfg.ResendTimeout, "resend-timeout", smg.DefaultResendTimeout, "resend an unacknowledged Deliver after this long")
	fs.Float64Var(&cfg.MORate, "mo-rate", 0, "MO messages generated per second")
	fs.StringVar(&cfg.MOTemplate.User, "mo-user", "13800138000", "sender of generated MO")
	fs.StringVar(&cfg.MOTemplate.SPNumber, "mo-spnumber", "10655123", "SP access number of generated MO")
	fs.StringVar(&cfg.MOTemplate.Text, "mo-text", "hello", "text of generated MO")
	fs.StringVar(&o.control, "control", "", "serve the control API (POST /mo, POST /report, GET /messages) on this loopback address, e.g. 127.0.0.1:17891")
	fs.StringVar(&o.level, "log-level", "info", "debug | info | warn | error")
	fs.DurationVar(&o.statsLog, "stats-every", 10*time.Second, "log the counters this often (0: never)")
	if err := cli.Parse(fs, args, usage, stdout); err != nil {
		return cfg, o, err
	}
	if err := cli.NoArgs(fs, usage); err != nil {
		return cfg, o, err
	}
	d, err := dialect.Parse(o.proto)
	if err != nil {
		return cfg, o, cli.Misuse(fs, usage, "-proto: %v", err)
	}
	if o.linkIDTag > 0xffff {
		return cfg, o, cli.Misuse(fs, usage, "-linkid-tag %#x: a TLV tag is 2 bytes", o.linkIDTag)
	}
	if d, err = dialect.With(d.Protocol(), dialect.Options{SMPPLinkIDTag: uint16(o.linkIDTag)}); err != nil {
		return cfg, o, cli.Misuse(fs, usage, "-linkid-tag: %v", err)
	}
	cfg.Protocol, cfg.Dialect = d.Protocol(), d
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.level)); err != nil {
		return cfg, o, cli.Misuse(fs, usage, "-log-level %q: want debug, info, warn or error", o.level)
	}
	if len(cfg.Accounts) == 0 {
		cfg.Accounts["901234"] = "smg-secret" // the demo configuration's upstream login
	}
	if o.control != "" {
		cfg.SubmitLog = controlSubmitLog
	}
	return cfg, o, nil
}

func run(args []string, stdout io.Writer) error {
	cfg, o, err := parse(args, stdout)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.level)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Logger = log
	s, err := smg.New(cfg)
	if err != nil {
		return err
	}
	if o.control != "" {
		ctl, err := s.ListenControl(o.control)
		if err != nil {
			return err
		}
		defer ctl.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- s.ListenAndServe() }()

	var tick <-chan time.Time
	if o.statsLog > 0 {
		t := time.NewTicker(o.statsLog)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case err := <-served:
			return err
		case <-tick:
			logStats(log, s.Stats())
		case <-ctx.Done():
			log.Info("smgsim: stopping")
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			err := s.Stop(sctx)
			cancel()
			if serr := <-served; !errors.Is(serr, smg.ErrServerClosed) {
				return serr
			}
			logStats(log, s.Stats())
			return err
		}
	}
}

func logStats(log *slog.Logger, st smg.Stats) {
	log.Info("smgsim: counters", "connections", st.Connections, "logins_ok", st.LoginsOK,
		"logins_refused", st.LoginsRefused, "submits", st.Submits, "reports_sent", st.ReportsSent,
		"reports_acked", st.ReportsAcked, "mo_sent", st.MOSent, "mo_acked", st.MOAcked,
		"resent", st.ReportsResent+st.MOResent, "pending", st.Pending)
}
