// Command spsim is the simulated SP: it logs in to a gateway (or an SMG) with
// CMPP, SMGP, SGIP or SMPP, sends Submits as fast as the window allows or at a set
// rate, and prints the report table. For SGIP it can also listen for the
// gateway's binds (-receiver) and print the MO and reports that arrive.
//
//	spsim -proto cmpp3 -addr 127.0.0.1:7890 -login 900001 -secret 888888 -conns 4 -window 16 -n 1000000
//	spsim -proto sgip -addr 127.0.0.1:8801 -login sp -secret pw -report -receiver 127.0.0.1:8803 \
//	      -receiver-login sp -receiver-secret pw -n 1000 -linger 5s
//	spsim -proto sgip -receiver 127.0.0.1:8803 -receiver-login sp -receiver-secret pw -n 0   # receive only
//	spsim -n 0                                        # CMPP/SMGP: log in, print MO and reports until SIGINT
//	spsim -replies 1 -service DZTZ -text "Subscribed"   # answer the next MO (a Noti_SP) with its LinkID
//
// It exits 1 when the login fails (or any other error) and 2 on bad flags
// (named on stderr, with the usage); -h prints the usage on stdout and
// exits 0 (package internal/cli). SIGINT ends the run early and still
// prints the report.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/sim/sp"
)

// options are the command line.
type options struct {
	proto, addr, login, secret string
	d                          codec.Dialect // the protocol -proto names
	linkIDTag                  uint          // SMPP: the vendor TLV of the LinkID
	conns, window              int
	rate                       float64
	n                          int64
	nSet                       bool
	duration, warmup, linger   time.Duration
	spNumber, service          string
	user                       string
	users                      int
	mixUser                    string
	mixShare                   int
	linkID, text               string
	report                     bool
	receiver                   string
	receiverLogin              string
	receiverSecret             string
	replies                    int
	wait                       time.Duration
	verbose                    bool
}

const usage = `usage: spsim [flags]

Logs in to a gateway (or an SMG) as an SP, sends Submits as fast as the
window allows or at -rate, and prints the report table. With -receiver
(SGIP) it also takes the gateway's binds and prints the MO and reports that
arrive. For example:

  spsim -proto cmpp3 -addr 127.0.0.1:7890 -login 900001 -secret 888888 -conns 4 -window 16 -n 1000000`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.Exit("spsim", err, os.Stderr))
}

func parseFlags(args []string, stdout io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("spsim", flag.ContinueOnError)
	fs.StringVar(&o.proto, "proto", "cmpp3", "protocol: sgip, cmpp2, cmpp2.1, cmpp3, smgp, smgp1.3, smpp")
	fs.UintVar(&o.linkIDTag, "linkid-tag", 0, "SMPP: the TLV tag LinkIDs travel in, e.g. 0x1401 (the gateway's upstream.smpp.linkid_tag; 0: none)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:7890", "gateway address")
	fs.StringVar(&o.login, "login", "900001", "CMPP Source_Addr / SMGP ClientID / SGIP login name / SMPP system_id")
	fs.StringVar(&o.secret, "secret", "888888", "shared secret / SGIP or SMPP password")
	fs.IntVar(&o.conns, "conns", 1, "connections")
	fs.IntVar(&o.window, "window", sp.DefaultWindow, "Submits unanswered per connection")
	fs.Float64Var(&o.rate, "rate", 0, "Submits per second over all connections (0: as fast as the window allows)")
	fs.Int64Var(&o.n, "n", 100000, "Submits to send; 0 with no -duration: send nothing, print the MO and reports that arrive until interrupted (CMPP/SMGP: on the login connection; SGIP: on -receiver)")
	fs.DurationVar(&o.duration, "duration", 0, "send for this long (then -n applies only if given)")
	fs.DurationVar(&o.warmup, "warmup", 0, "send this long first, left out of the report")
	fs.StringVar(&o.spNumber, "spnumber", "10655123", "source number (SP access number)")
	fs.StringVar(&o.service, "service", "HELP", "service code")
	fs.StringVar(&o.user, "user", "13800138000", "recipient")
	fs.IntVar(&o.users, "users", 1, "spread the Submits over this many numbers counting up from -user")
	fs.StringVar(&o.mixUser, "mix-user", "", "a second recipient (e.g. an unsubscribed user) for -mix-share percent of the Submits")
	fs.IntVar(&o.mixShare, "mix-share", 50, "percent of the Submits that go to -mix-user")
	fs.StringVar(&o.linkID, "linkid", "", "LinkID to send")
	fs.StringVar(&o.text, "text", "hello", "message text (non-ASCII is sent as UCS2)")
	fs.BoolVar(&o.report, "report", false, "ask for status reports")
	fs.StringVar(&o.receiver, "receiver", "", "SGIP: listen here for the gateway's binds (type 2) and print what arrives")
	fs.StringVar(&o.receiverLogin, "receiver-login", "", "SGIP receiver: login name the gateway must bind with")
	fs.StringVar(&o.receiverSecret, "receiver-secret", "", "SGIP receiver: password")
	fs.DurationVar(&o.linger, "linger", 2*time.Second, "with -receiver: keep receiving this long after the run")
	fs.IntVar(&o.replies, "replies", 0, "instead of a load: wait for this many MO (a Noti_SP is one), answer each with one MT to its sender from its access number, with its LinkID, -service and -text; print both, then exit")
	fs.DurationVar(&o.wait, "wait", time.Minute, "with -replies: give up after this long")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	if err := cli.Parse(fs, args, usage, stdout); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { o.nSet = o.nSet || f.Name == "n" })
	if err := cli.NoArgs(fs, usage); err != nil {
		return o, err
	}
	d, err := dialect.Parse(o.proto)
	if err != nil {
		return o, cli.Misuse(fs, usage, "-proto %q: want one of %v", o.proto, dialect.Protocols())
	}
	if o.linkIDTag > 0xffff {
		return o, cli.Misuse(fs, usage, "-linkid-tag %#x: a TLV tag is 2 bytes", o.linkIDTag)
	}
	if d, err = dialect.With(d.Protocol(), dialect.Options{SMPPLinkIDTag: uint16(o.linkIDTag)}); err != nil {
		return o, cli.Misuse(fs, usage, "-linkid-tag: %v", err)
	}
	o.d = d
	if o.mixShare < 0 || o.mixShare > 100 || o.users < 1 {
		return o, cli.Misuse(fs, usage, "-mix-share wants 0–100 and -users at least 1")
	}
	if _, err := spreadUsers(o.user, o.users); err != nil {
		return o, cli.Misuse(fs, usage, "%v", err)
	}
	if o.replies < 0 || o.wait <= 0 {
		return o, cli.Misuse(fs, usage, "-replies wants 0 or more and -wait a positive duration")
	}
	if o.d.SplitConnections() && o.receiver == "" && (o.replies > 0 || o.receiveOnly()) {
		return o, cli.Misuse(fs, usage, "%s MO and reports arrive on connections the gateway makes: give -receiver", strings.ToUpper(o.d.Protocol().Family().String()))
	}
	return o, nil
}

// receiveOnly: -n 0 without -duration sends nothing and prints what
// arrives.
func (o options) receiveOnly() bool { return o.n <= 0 && o.duration <= 0 }

// loadConfig turns the flags into a sp.LoadConfig.
func (o options) loadConfig(log *slog.Logger) (sp.LoadConfig, error) {
	users, err := spreadUsers(o.user, o.users) // checked by parseFlags
	if err != nil {
		return sp.LoadConfig{}, err
	}
	mt := sp.MT{SPNumber: o.spNumber, Users: users, ServiceCode: o.service, LinkID: o.linkID, Text: o.text}
	mix := []sp.MTTemplate{{Name: "user", MT: mt, Spread: true, Weight: 100 - o.mixShare}}
	if o.mixUser != "" && o.mixShare > 0 {
		other := mt
		other.Users = []string{o.mixUser}
		mix = append(mix, sp.MTTemplate{Name: "mix-user", MT: other, Weight: o.mixShare})
		if o.mixShare == 100 {
			mix = mix[1:]
		}
	}
	total := o.n
	if o.duration > 0 && !o.nSet {
		total = 0
	}
	return sp.LoadConfig{
		Dialect: o.d, Addr: o.addr, Login: o.login, Secret: o.secret,
		Conns: o.conns, Window: o.window, Rate: o.rate, Total: total, Duration: o.duration, Warmup: o.warmup,
		Mix: mix, NeedReport: o.report, Logger: log, GnetLogger: gnetLogger{log},
	}, nil
}

// spreadUsers returns n numbers counting up from first, as wide as first.
func spreadUsers(first string, n int) ([]string, error) {
	if n == 1 {
		return []string{first}, nil
	}
	base, err := strconv.ParseUint(first, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("-users needs a numeric -user: %w", err)
	}
	out := make([]string, n)
	for i := range out {
		s := strconv.FormatUint(base+uint64(i), 10)
		for len(s) < len(first) {
			s = "0" + s
		}
		out[i] = s
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	out := &printer{w: stdout, proto: o.d.Protocol()}

	var rcv *sp.Receiver
	printed := make(chan struct{})
	if o.receiver != "" {
		rcv, err = sp.ListenReceiverConfig(o.receiver, sp.ReceiverConfig{Login: o.receiverLogin,
			Secret: o.receiverSecret, Logger: log})
		if err != nil {
			return err
		}
		log.Info("receiver listening", "addr", rcv.Addr().String())
	}
	// With -replies, the MO go to the replier instead of the printer.
	if rcv != nil && o.replies == 0 {
		go func() {
			defer close(printed)
			for d := range rcv.Deliveries() {
				out.delivery(d)
			}
		}()
	} else {
		close(printed)
	}

	var runErr error
	switch {
	case o.replies > 0:
		runErr = o.reply(ctx, rcv, log, out)
	case o.receiveOnly():
		runErr = o.receive(ctx, log, out)
	default:
		cfg, err := o.loadConfig(log)
		if err != nil {
			return err
		}
		log.Info("load", "protocol", o.proto, "addr", o.addr, "conns", o.conns, "window", o.window,
			"rate", o.rate, "total", cfg.Total, "duration", o.duration)
		rep, err := sp.Run(ctx, cfg)
		if err != nil {
			runErr = err
		} else {
			out.print(rep.String())
		}
		if rcv != nil && err == nil {
			select { // reports still on their way over the receiver
			case <-time.After(o.linger):
			case <-ctx.Done():
			}
		}
	}
	if rcv != nil {
		rcv.Close()
		<-printed
		out.printf("receiver: %d binds\n", rcv.Binds())
	}
	return runErr
}

// dial logs one SP connection in.
func (o options) dial(ctx context.Context, log *slog.Logger) (*sp.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, sp.DefaultDialTimeout)
	defer cancel()
	return sp.Dial(dctx, sp.ClientConfig{Dialect: o.d, Addr: o.addr,
		Login: o.login, Secret: o.secret, Logger: log})
}

// receive prints the MO and reports that arrive until ctx ends: on a
// logged-in connection (CMPP, SMGP; SGIP's come over -receiver, which run
// prints).
func (o options) receive(ctx context.Context, log *slog.Logger, out *printer) error {
	if o.d.SplitConnections() {
		log.Info("receiving until interrupted")
		<-ctx.Done()
		return nil
	}
	c, err := o.dial(ctx, log)
	if err != nil {
		return err
	}
	defer c.Close()
	log.Info("logged in; printing MO and reports until interrupted", "addr", o.addr, "login", o.login)
	for {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-c.Deliveries():
			if !ok {
				return fmt.Errorf("connection lost: %w", c.Err())
			}
			out.delivery(d)
		}
	}
}

// reply waits for o.replies MO and answers each with one MT carrying its
// LinkID: what an SP does with an on-demand MO or a Noti_SP (whose answer
// is the subscription notice, -service DZTZ). Reports that arrive
// meanwhile are printed.
func (o options) reply(ctx context.Context, rcv *sp.Receiver, log *slog.Logger, out *printer) error {
	c, err := o.dial(ctx, log)
	if err != nil {
		return err
	}
	defer c.Close()
	in := c.Deliveries()
	if rcv != nil {
		in = rcv.Deliveries() // SGIP: MO come over the gateway's type-2 connection
	}
	deadline := time.NewTimer(o.wait)
	defer deadline.Stop()
	for answered := 0; answered < o.replies; {
		var d sp.Delivery
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted after %d of %d replies", answered, o.replies)
		case <-deadline.C:
			return fmt.Errorf("-wait %v passed with %d of %d MO answered", o.wait, answered, o.replies)
		case x, ok := <-in:
			if !ok {
				return fmt.Errorf("connection lost after %d of %d replies: %w", answered, o.replies, c.Err())
			}
			d = x
		}
		out.delivery(d)
		if d.IsReport || d.IsUserRpt {
			continue
		}
		mt := sp.MT{SPNumber: d.SPNumber, Users: []string{d.User}, ServiceCode: o.service, LinkID: d.LinkID,
			Text: o.text, NeedReport: o.report}
		res, err := c.Submit(ctx, mt)
		if err != nil {
			return fmt.Errorf("MT to %s: %w", d.User, err)
		}
		out.printf("mt user=%s sp=%s service=%s linkid=%q result=%d (%s) msgid=%x\n", d.User, d.SPNumber, o.service,
			d.LinkID, res.Result, sp.ResultText(o.d.Protocol(), res.Result), res.MsgID)
		answered++
	}
	return nil
}

// printer writes lines from several goroutines (load report, SGIP
// receiver) without interleaving them.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	proto codec.Protocol
}

func (p *printer) print(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, s)
}

func (p *printer) printf(format string, args ...any) { p.print(fmt.Sprintf(format, args...)) }

func (p *printer) delivery(d sp.Delivery) {
	var b strings.Builder
	printDelivery(&b, d)
	p.print(b.String())
}

func printDelivery(w io.Writer, d sp.Delivery) {
	switch {
	case d.IsReport:
		fmt.Fprintf(w, "report user=%s msgid=%x stat=%s err=%d\n", d.User, d.ReportMsgID, d.Stat, d.ErrorCode)
	case d.IsUserRpt:
		fmt.Fprintf(w, "userrpt sp=%s user=%s condition=%d\n", d.SPNumber, d.User, d.UserCondition)
	default:
		service := ""
		if d.ServiceCode != "" {
			service = " service=" + d.ServiceCode
		}
		fmt.Fprintf(w, "mo user=%s sp=%s%s linkid=%q text=%q\n", d.User, d.SPNumber, service, d.LinkID, d.Text)
	}
}

// gnetLogger sends gnet's own log lines to slog: its start-up chatter at
// debug, so that stdout holds only the report.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) {
	g.l.Error("gnet: " + fmt.Sprintf(f, a...))
	os.Exit(1)
}
