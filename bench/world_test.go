package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/bench/internal/rig"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// The in-process world of the end-to-end benchmarks, on loopback:
//
//	sp.Run (gnet load generator) ──▶ proxy.Gateway ──▶ smg.Server
//	        └─────────────── direct ─────────────────▶ smg.Server
//
// All three share the process and its cores: on a 2-core machine the
// gateway gets about one core, the simulators the other (sp.Run's default
// of GOMAXPROCS/2 loops). Figures from here are therefore a lower bound for
// the gateway; cmd/compare runs the three as separate processes.
const (
	// defaultSubscribers is how many users are subscribed to (sp1, NEWS);
	// the allowed Submits are spread over all of them, so that every one is
	// a real lookup in tables as large as a province's active base, not a
	// hit on a cached line. SPSMG_BENCH_SUBSCRIBERS overrides it.
	defaultSubscribers = 100_000

	// refusedUsers is how many unsubscribed users the refused half of the
	// mix is spread over.
	refusedUsers = 10_000

	// upstreamWindow is per bind (one bind per event loop): larger than
	// the most any run keeps in flight (16 conns × 1024), so that the
	// gateway never answers flow control itself.
	upstreamWindow = 32768
)

// protocols are the variants of every end-to-end benchmark: one per
// protocol family and CMPP version (the proxy forwards without
// translation, so the SP, the gateway and the SMG speak the same).
var protocols = []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP30, codec.SMGP30}

// userNumbers returns n numbers prefix+8 digits; SGIP writes them with 86
// (docs/protocols/sgip12.md §1; authcache strips it).
func userNumbers(p codec.Protocol, prefix string, n int) []string {
	out := make([]string, n)
	cc := ""
	if p == codec.SGIP {
		cc = "86"
	}
	for i := range out {
		out[i] = fmt.Sprintf("%s%s%08d", cc, prefix, i)
	}
	return out
}

func subscribers() int {
	if v, err := strconv.Atoi(os.Getenv("SPSMG_BENCH_SUBSCRIBERS")); err == nil && v > 0 {
		return v
	}
	return defaultSubscribers
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// world is one protocol's SMG simulator, authorization engine and gateway.
type world struct {
	proto         codec.Protocol
	smg           *smg.Server
	engine        *authcache.Engine
	gw            *proxy.Gateway
	served        chan error
	spAddr        string
	login, secret string
	allowed       []string // subscribed to (sp1, NEWS)
	refused       []string // subscribed to nothing
	notSubscribed uint32   // the refusal's result code in this protocol
}

// newWorld starts one protocol's world; Cleanup stops it.
func newWorld(tb testing.TB, p codec.Protocol, subs int) *world {
	tb.Helper()
	login, secret := rig.SPAccount(p.String())
	w := &world{proto: p, login: login, secret: secret}
	s, err := smg.Start(smg.Config{Protocol: p, Logger: quiet(),
		// The direct runs log in as the SP itself.
		Accounts: map[string]string{rig.SMGLogin: rig.SMGSecret, login: secret}})
	if err != nil {
		tb.Fatal(err)
	}
	w.smg = s
	tb.Cleanup(func() { s.Close() })

	// The configuration cmd/compare runs spsmg with; the store and HTTP
	// entries are not used here (the engine is in memory, no HTTP server).
	// SGIP's inbound listener and the SP's receiver stay unused too: MT-only
	// runs ask for no reports, and spsmg dials a receiver only to deliver
	// (port 0: nothing listens there). The gateway listens on port 0 and
	// says where (Addrs), so that no port is probed and bound again.
	g := rig.Gateway{Proto: p.String(), Listen: "127.0.0.1:0", SMG: s.Addr(), HTTP: "127.0.0.1:0", DataDir: tb.TempDir(),
		Window: upstreamWindow, Inbound: "127.0.0.1:0", Receiver: "127.0.0.1:0"}
	cfg, err := config.Parse([]byte(g.YAML()))
	if err != nil {
		tb.Fatal(err)
	}
	w.notSubscribed = cfg.Results.Table(p.Family()).Result(reason.NotSubscribed)
	w.engine, err = authcache.Open(proxy.AuthPolicy(cfg), authcache.NewMemStore(nil), authcache.WithLogger(quiet()))
	if err != nil {
		tb.Fatal(err)
	}
	w.allowed = userNumbers(p, "138", subs)
	w.refused = userNumbers(p, "139", refusedUsers)
	if err := rig.Subscribe(w.engine, w.allowed); err != nil {
		tb.Fatal(err)
	}
	w.gw, err = proxy.New(cfg, proxy.Options{Auth: w.engine, Logger: quiet()})
	if err != nil {
		tb.Fatal(err)
	}
	w.served = make(chan error, 1)
	go func() { w.served <- w.gw.ListenAndServe() }()
	select {
	case <-w.gw.Ready():
	case err := <-w.served:
		tb.Fatalf("gateway did not start: %v", err)
	}
	w.spAddr = w.gw.Addrs()[0].String()
	// Every loop's bind logged in: a Submit on a loop without one would be
	// handed across loops, which is not the path being measured.
	deadline := time.Now().Add(10 * time.Second)
	for w.gw.ReadyBinds() < runtime.NumCPU() {
		if time.Now().After(deadline) {
			tb.Fatalf("%d upstream binds logged in, want %d", w.gw.ReadyBinds(), runtime.NumCPU())
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Cleanup(w.stop)
	return w
}

func (w *world) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.gw.Shutdown(ctx)
	<-w.served
	_ = w.engine.Close()
}

// mix is what a load run sends.
type mix int

const (
	allAllowed  mix = iota // every Submit to a subscribed user
	halfRefused            // every other Submit to an unsubscribed user
)

func (m mix) String() string {
	if m == halfRefused {
		return "mix50"
	}
	return "allowed"
}

// load describes one run.
type load struct {
	direct bool // to the SMG simulator, bypassing the gateway
	conns  int
	window int
	mix    mix
	rate   float64 // 0: as fast as the windows allow
	total  int64
}

func (w *world) loadConfig(l load) sp.LoadConfig {
	addr, login, secret := w.spAddr, w.login, w.secret
	if l.direct {
		addr = w.smg.Addr()
	}
	tmpl := spreadTemplates("allowed", w.allowed, 1)
	if l.mix == halfRefused {
		// Equal shares: every allowed chunk weighs as many as there are
		// refused chunks, and the other way round.
		na, nr := len(tmpl), chunks(len(w.refused))
		for i := range tmpl {
			tmpl[i].Weight = nr
		}
		tmpl = append(tmpl, spreadTemplates("refused", w.refused, na)...)
	}
	return sp.LoadConfig{Protocol: w.proto, Addr: addr, Login: login, Secret: secret,
		Conns: l.conns, Window: l.window, Rate: l.rate, Total: l.total, Mix: tmpl,
		DrainTimeout: 10 * time.Second}
}

// spreadTemplates spreads Submits over users with one template per
// sp.MaxUsers of them, named prefix/i: sim/sp checks a Spread template's
// Users like recipients of one Submit (at most sp.MaxUsers), so a large
// user base takes many templates.
func spreadTemplates(prefix string, users []string, weight int) []sp.MTTemplate {
	out := make([]sp.MTTemplate, 0, chunks(len(users)))
	for i := 0; i < len(users); i += sp.MaxUsers {
		m := sp.MT{SPNumber: rig.AccessNo, ServiceCode: rig.Service, Text: "hello",
			Users: users[i:min(i+sp.MaxUsers, len(users))]}
		out = append(out, sp.MTTemplate{Name: fmt.Sprintf("%s/%d", prefix, i/sp.MaxUsers), MT: m, Spread: true, Weight: weight})
	}
	return out
}

func chunks(n int) int { return (n + sp.MaxUsers - 1) / sp.MaxUsers }

// byPrefix sums the templates named prefix/…: Submits sent and responses
// with result code result.
func byPrefix(rep *sp.Report, prefix string, result uint32) (sent, got uint64) {
	for _, t := range rep.Templates {
		if strings.HasPrefix(t.Name, prefix+"/") {
			sent += t.Sent
			got += t.Count(result)
		}
	}
	return sent, got
}

// run sends one load and checks every response: the allowed Submits all
// result 0 (a flow-control answer from the gateway would fail the run: it
// would measure refusals, not forwarding), the refused ones all
// not_subscribed, nothing unanswered or unmatched.
func (w *world) run(tb testing.TB, l load) sp.Report {
	tb.Helper()
	rep, err := sp.Run(context.Background(), w.loadConfig(l))
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.check(&rep, l); err != nil {
		tb.Fatalf("%v\n%s", err, rep.String())
	}
	return rep
}

func (w *world) check(rep *sp.Report, l load) error {
	if rep.Errors != 0 {
		return fmt.Errorf("%d errors", rep.Errors)
	}
	if rep.Answered() != rep.Sent {
		return fmt.Errorf("%d answered of %d sent", rep.Answered(), rep.Sent)
	}
	if sent, got := byPrefix(rep, "allowed", 0); got != sent {
		return fmt.Errorf("allowed: %d of %d Submits got result 0", got, sent)
	}
	if l.mix == halfRefused {
		want := w.notSubscribed
		if l.direct {
			want = 0 // the SMG simulator authorizes nothing
		}
		if sent, got := byPrefix(rep, "refused", want); got != sent || sent == 0 {
			return fmt.Errorf("refused: %d of %d Submits got result %d", got, sent, want)
		}
	}
	return nil
}
