// Command compare runs the same MT workload three ways, side by side, each
// process separate so that its CPU and memory can be read from /proc:
//
//	direct   spsim ───────────────────▶ smgsim
//	haproxy  spsim ──▶ HAProxy (TCP) ──▶ smgsim
//	spsmg    spsim ──▶ spsmg serve ────▶ smgsim   (authorizing every Submit)
//
// It builds cmd/spsmg, cmd/smgsim and cmd/spsim, installs Debian's haproxy
// when missing (root), generates both proxies' configurations on loopback,
// seeds spsmg's Badger store with the subscriptions of every user spsim
// sends to, and then, per connection/window shape: a warm-up and a
// measured run on each path at full speed, then one run on each path at
// half of spsmg's measured peak (the latency spsmg and HAProxy add at a
// load they can carry). It prints a table (throughput, p50/p99 latency,
// CPU seconds per million messages of each process, the middle box's peak
// RSS) with the ratios spsmg/direct and spsmg/HAProxy, and appends the
// rows to a CSV.
//
//	go run ./bench/cmd/compare                                  # 16 conns × window 1024, 5 s runs
//	go run ./bench/cmd/compare -conns 1,16 -window 16,1024 -duration 10s
//	go run ./bench/cmd/compare -duration 1s -warmup 200ms -half=false   # CI-sized
//	go run ./bench/cmd/compare -proto smpp -smg-proto cmpp3             # translated: spsmg only
//
// With -smg-proto other than -proto the SP and the SMG speak different
// protocols: only spsmg, which translates, can stand between them, so
// only the spsmg path runs.
//
// Every run is bounded (-duration, plus spsim's drain); every child is
// stopped at the end, on error and on SIGINT/SIGTERM.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spsmg/spsmg/bench/internal/rig"
)

type options struct {
	proto          string
	smgProto       string // the SMG's protocol; "" or proto: the same
	conns, windows []int
	duration       time.Duration
	warmup         time.Duration
	users          int
	refusedShare   int
	half           bool
	paths          []string
	loops          int
	csvPath        string
	binDir         string
	install        bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	conns := fs.String("conns", "16", "SP connections, comma-separated list of shapes")
	windows := fs.String("window", "1024", "window per connection, comma-separated list")
	paths := fs.String("paths", "direct,haproxy,spsmg", "paths to run")
	fs.StringVar(&o.proto, "proto", "cmpp3", "protocol: sgip, cmpp2, cmpp3, smgp, smpp")
	fs.StringVar(&o.smgProto, "smg-proto", "", "the SMG's protocol when it differs from -proto (spsmg translates; only the spsmg path runs)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured sending time per run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured run before each path's first measured run")
	fs.IntVar(&o.users, "users", 100, "subscribed users the Submits are spread over (spsim accepts at most 100)")
	fs.IntVar(&o.refusedShare, "refused", 0, "percent of Submits to an unsubscribed user (spsmg refuses them)")
	fs.BoolVar(&o.half, "half", true, "also run every path at half of spsmg's peak (added latency)")
	fs.IntVar(&o.loops, "loops", 0, "spsmg event loops and HAProxy threads (0: one per CPU)")
	fs.StringVar(&o.csvPath, "csv", "bench/results/compare.csv", "append the rows to this CSV (empty: none)")
	fs.StringVar(&o.binDir, "bin", "", "build the binaries here (default: a temporary directory)")
	fs.BoolVar(&o.install, "install-haproxy", true, "apt-get install -y haproxy when it is missing (root)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.conns, err = ints(*conns); err != nil {
		return o, fmt.Errorf("-conns: %w", err)
	}
	if o.windows, err = ints(*windows); err != nil {
		return o, fmt.Errorf("-window: %w", err)
	}
	o.paths = strings.Split(*paths, ",")
	if o.smgProto == "" {
		o.smgProto = o.proto
	}
	if o.smgProto != o.proto {
		o.paths = []string{"spsmg"} // nothing else speaks both protocols
	}
	for _, p := range o.paths {
		if p != "direct" && p != "haproxy" && p != "spsmg" {
			return o, fmt.Errorf("-paths: unknown path %q", p)
		}
	}
	if o.users < 1 || o.users > 100 {
		return o, errors.New("-users: 1–100 (cmd/spsim's limit)")
	}
	return o, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// world is the processes and addresses of one comparison.
type world struct {
	o       options
	bins    rig.Bins
	procs   rig.Group
	smg     *rig.Proc
	smgAddr string
	mids    map[string]*rig.Proc // path → middle box
	addrs   map[string]string    // path → where spsim connects
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	root, err := rig.ModuleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "spsmg-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.binDir == "" {
		o.binDir = filepath.Join(tmp, "bin")
	}
	fmt.Fprintf(stdout, "# building cmd/spsmg, cmd/smgsim, cmd/spsim into %s\n", o.binDir)
	w := &world{o: o, mids: map[string]*rig.Proc{}, addrs: map[string]string{}}
	if w.bins, err = rig.Build(ctx, root, o.binDir); err != nil {
		return err
	}
	defer w.procs.Close(5 * time.Second)
	if err := w.start(ctx, tmp, stdout); err != nil {
		return err
	}

	var rows []row
	for _, c := range o.conns {
		for _, win := range o.windows {
			rs, err := w.shape(ctx, c, win, stdout)
			rows = append(rows, rs...)
			if err != nil {
				return err
			}
		}
	}
	if o.csvPath != "" {
		path := o.csvPath
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if err := appendCSV(path, rows); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nrows appended to %s\n", o.csvPath)
	}
	for _, r := range rows {
		if r.phase == "peak" && r.okPct < 100 && o.refusedShare == 0 {
			return fmt.Errorf("%s: only %.3f%% of the Submits got result 0 (flow control or errors): see spsim's output above", r.path, r.okPct)
		}
	}
	return nil
}

// start runs smgsim, spsmg and HAProxy, each listening on loopback.
func (w *world) start(ctx context.Context, tmp string, log io.Writer) error {
	o := w.o
	var err error
	login, secret := rig.SPAccount(o.proto)
	if w.smgAddr, err = rig.FreeAddr(); err != nil {
		return err
	}
	w.smg, err = w.procs.Start("smgsim", w.bins.SMGSim, "-proto", o.smgProto, "-listen", w.smgAddr,
		"-account", rig.SMGLogin+":"+rig.SMGSecret, "-account", login+":"+secret,
		"-log-level", "warn", "-stats-every", "0")
	if err != nil {
		return err
	}
	if err := rig.WaitTCP(w.smg, w.smgAddr, 10*time.Second); err != nil {
		return err
	}
	for _, p := range o.paths {
		switch p {
		case "direct":
			w.addrs[p] = w.smgAddr
		case "spsmg":
			if err := w.startSPSMG(tmp, log); err != nil {
				return err
			}
		case "haproxy":
			if err := w.startHAProxy(tmp, log); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *world) startSPSMG(tmp string, log io.Writer) error {
	g := rig.Gateway{Proto: w.o.proto, SMGProto: w.o.smgProto, SMG: w.smgAddr, DataDir: filepath.Join(tmp, "data"), Loops: w.o.loops}
	for _, a := range []*string{&g.Listen, &g.HTTP, &g.Inbound, &g.Receiver} {
		var err error
		if *a, err = rig.FreeAddr(); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "# seeding %d subscriptions into %s\n", w.o.users, g.DataDir)
	if err := g.Seed(rig.FirstUser(w.o.proto), w.o.users); err != nil {
		return fmt.Errorf("seeding the store: %w", err)
	}
	cfgPath := filepath.Join(tmp, "spsmg.yaml")
	if err := os.WriteFile(cfgPath, []byte(g.YAML()), 0o600); err != nil {
		return err
	}
	p, err := w.procs.Start("spsmg", w.bins.SPSMG, "serve", "--config", cfgPath)
	if err != nil {
		return err
	}
	if err := rig.WaitTCP(p, g.Listen, 20*time.Second); err != nil {
		return err
	}
	if err := rig.WaitGatewayReady(p, g.HTTP, 20*time.Second); err != nil {
		return err
	}
	w.mids["spsmg"], w.addrs["spsmg"] = p, g.Listen
	return nil
}

func (w *world) startHAProxy(tmp string, log io.Writer) error {
	bin, err := rig.EnsureHAProxy(w.o.install, log)
	if err != nil {
		return err
	}
	listen, err := rig.FreeAddr()
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(tmp, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(rig.HAProxyConfig(listen, w.smgAddr, w.o.loops)), 0o600); err != nil {
		return err
	}
	// -db: foreground, no master-worker: one process to measure.
	p, err := w.procs.Start("haproxy", bin, "-db", "-f", cfgPath)
	if err != nil {
		return err
	}
	if err := rig.WaitTCP(p, listen, 10*time.Second); err != nil {
		return err
	}
	w.mids["haproxy"], w.addrs["haproxy"] = p, listen
	return nil
}

// row is one measured run.
type row struct {
	proto          string
	conns, window  int
	path, phase    string // phase: peak or half
	rate           float64
	res            rig.LoadResult
	okPct          float64
	midCPU, smgCPU float64 // CPU seconds per million answered Submits
	spCPU          float64
	midPeakRSS     int64
	busiest        []float64 // middle box's busiest threads, CPU / wall
	midWait        float64   // its threads' run-queue wait / wall
	load1          float64
}

func (w *world) load(path string, conns, window int, rate float64, d time.Duration) rig.Load {
	l := rig.BenchLoad(w.o.proto, w.addrs[path], conns, window, w.o.users, d)
	l.Rate = rate
	if w.o.refusedShare > 0 {
		l.MixUser, l.MixShare = rig.RefusedUser(w.o.proto), w.o.refusedShare
	}
	return l
}

// measure runs one load on path and reads what each process spent on it.
func (w *world) measure(ctx context.Context, path string, conns, window int, rate float64) (row, error) {
	proto := w.o.proto
	if w.o.smgProto != w.o.proto {
		proto += "→" + w.o.smgProto
	}
	r := row{proto: proto, conns: conns, window: window, path: path, phase: "peak", rate: rate, load1: rig.LoadAvg()}
	if rate > 0 {
		r.phase = "half"
	}
	mid := w.mids[path]
	var mid0, smg0 time.Duration
	var threads0 map[int]rig.Sched
	var err error
	if mid != nil {
		_ = mid.ResetPeak()
		if mid0, err = mid.CPU(); err != nil {
			return r, err
		}
		threads0, _ = rig.ThreadSched(mid.Pid())
	}
	if smg0, err = w.smg.CPU(); err != nil {
		return r, err
	}
	t0 := time.Now()
	res, err := rig.RunLoad(ctx, w.bins.SPSim, w.load(path, conns, window, rate, w.o.duration))
	if err != nil {
		return r, err
	}
	wall := time.Since(t0)
	r.res = res
	if mid != nil {
		threads1, _ := rig.ThreadSched(mid.Pid())
		r.busiest, r.midWait = rig.SchedDelta(threads0, threads1, wall, 3)
	}
	perM := func(d time.Duration) float64 { return d.Seconds() / (float64(res.Answered) / 1e6) }
	if mid != nil {
		mid1, err := mid.CPU()
		if err != nil {
			return r, err
		}
		m, err := mid.Mem()
		if err != nil {
			return r, err
		}
		r.midCPU, r.midPeakRSS = perM(mid1-mid0), m.Peak
	}
	smg1, err := w.smg.CPU()
	if err != nil {
		return r, err
	}
	r.smgCPU, r.spCPU = perM(smg1-smg0), perM(res.CPU)
	r.okPct = 100 * res.OK()
	return r, nil
}

// shape runs every path at full speed, then at half of spsmg's peak.
func (w *world) shape(ctx context.Context, conns, window int, out io.Writer) ([]row, error) {
	o := w.o
	proto := o.proto
	if o.smgProto != o.proto {
		proto += " SP → " + o.smgProto + " SMG"
	}
	fmt.Fprintf(out, "\n# %s, %d conns × window %d, %v per run; load average %.2f\n", proto, conns, window, o.duration, rig.LoadAvg())
	var rows []row
	for _, p := range o.paths {
		if o.warmup > 0 {
			if _, err := rig.RunLoad(ctx, w.bins.SPSim, w.load(p, conns, window, 0, o.warmup)); err != nil {
				return rows, fmt.Errorf("%s warm-up: %w", p, err)
			}
		}
		r, err := w.measure(ctx, p, conns, window, 0)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", p, err)
		}
		fmt.Fprintf(out, "#   %-8s %9.0f msgs/s\n", p, r.res.MsgsPerSec)
		rows = append(rows, r)
	}
	if o.half {
		peak := find(rows, "spsmg", "peak")
		if peak == nil {
			peak = &rows[len(rows)-1]
		}
		rate := peak.res.MsgsPerSec / 2
		for _, p := range o.paths {
			r, err := w.measure(ctx, p, conns, window, rate)
			if err != nil {
				return rows, fmt.Errorf("%s at %.0f/s: %w", p, rate, err)
			}
			rows = append(rows, r)
		}
	}
	printTable(out, rows)
	return rows, nil
}

func find(rows []row, path, phase string) *row {
	for i := range rows {
		if rows[i].path == path && rows[i].phase == phase {
			return &rows[i]
		}
	}
	return nil
}

func printTable(out io.Writer, rows []row) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tload\tmsgs/s\tp50\tp99\tp99.9\tresult 0\tmiddle CPU s/M\tsmgsim CPU s/M\tspsim CPU s/M\tmiddle peak RSS\tmiddle busiest threads\tmiddle runq wait\t")
	for _, r := range rows {
		load := "peak"
		if r.phase == "half" {
			load = fmt.Sprintf("%.0f/s", r.rate)
		}
		mid, rss, busy, wait := "-", "-", "-", "-"
		if r.path != "direct" {
			mid, rss = fmt.Sprintf("%.2f", r.midCPU), fmt.Sprintf("%.1f MB", float64(r.midPeakRSS)/1e6)
			var b []string
			for _, f := range r.busiest {
				b = append(b, fmt.Sprintf("%.0f%%", 100*f))
			}
			busy = strings.Join(b, " ")
			wait = fmt.Sprintf("%.0f%%", 100*r.midWait)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%v\t%v\t%v\t%.2f%%\t%s\t%.2f\t%.2f\t%s\t%s\t%s\t\n", r.path, load, r.res.MsgsPerSec,
			r.res.P50, r.res.P99, r.res.P999, r.okPct, mid, r.smgCPU, r.spCPU, rss, busy, wait)
	}
	tw.Flush()
	ratio := func(a, b *row, f func(*row) float64) string {
		if a == nil || b == nil || f(b) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", f(a)/f(b))
	}
	thr := func(r *row) float64 { return r.res.MsgsPerSec }
	p99 := func(r *row) float64 { return float64(r.res.P99) }
	cpu := func(r *row) float64 { return r.midCPU }
	s, d, h := find(rows, "spsmg", "peak"), find(rows, "direct", "peak"), find(rows, "haproxy", "peak")
	fmt.Fprintf(out, "peak ratios   spsmg/direct: throughput %s, p99 %s   spsmg/haproxy: throughput %s, p99 %s, middle CPU per message %s\n",
		ratio(s, d, thr), ratio(s, d, p99), ratio(s, h, thr), ratio(s, h, p99), ratio(s, h, cpu))
	if sh, dh := find(rows, "spsmg", "half"), find(rows, "direct", "half"); sh != nil && dh != nil {
		added := func(r *row) string {
			if r == nil {
				return "-"
			}
			return (r.res.P99 - dh.res.P99).String()
		}
		fmt.Fprintf(out, "half load     p99 added over direct: spsmg %s, haproxy %s (target ≤ 1ms for spsmg)\n",
			added(sh), added(find(rows, "haproxy", "half")))
	}
	printTargets(out, rows)
}

// printTargets checks the performance targets that this shape's rows can
// decide: throughput at least HAProxy's, at least 1,000,000 MT/s at 16
// connections × window 1024, and at most 1 ms of p99 latency added at half
// of peak. (The fourth target, no allocation per forwarded message, is
// checked by the benchmarks' allocation counts.)
func printTargets(out io.Writer, rows []row) {
	s := find(rows, "spsmg", "peak")
	if s == nil {
		return
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	var t []string
	if h := find(rows, "haproxy", "peak"); h != nil {
		r := s.res.MsgsPerSec / h.res.MsgsPerSec
		t = append(t, fmt.Sprintf("throughput ≥ HAProxy's: %s (%.2f×)", verdict(r >= 1), r))
	}
	if s.conns == 16 && s.window == 1024 {
		t = append(t, fmt.Sprintf("≥ 1,000,000 MT/s: %s (%.2f M)", verdict(s.res.MsgsPerSec >= 1e6), s.res.MsgsPerSec/1e6))
	}
	if sh, dh := find(rows, "spsmg", "half"), find(rows, "direct", "half"); sh != nil && dh != nil {
		added := sh.res.P99 - dh.res.P99
		t = append(t, fmt.Sprintf("p99 added ≤ 1ms at half load: %s (%v)", verdict(added <= time.Millisecond), added))
	}
	fmt.Fprintf(out, "targets       %s\n", strings.Join(t, "; "))
}

var csvHeader = []string{"date", "load1", "proto", "conns", "window", "path", "phase", "rate",
	"msgs_per_s", "p50_us", "p99_us", "p999_us", "ok_pct", "mid_cpu_s_per_M", "smgsim_cpu_s_per_M",
	"spsim_cpu_s_per_M", "mid_peak_rss_bytes", "mid_busiest_thread_share", "mid_runq_wait_share"}

// busiest is the middle box's busiest thread's CPU / wall, or empty.
func busiest(r row) string {
	if len(r.busiest) == 0 {
		return ""
	}
	return fmt.Sprintf("%.3f", r.busiest[0])
}

func appendCSV(path string, rows []row) error {
	_, statErr := os.Stat(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	if statErr != nil {
		_ = cw.Write(csvHeader)
	}
	date := time.Now().UTC().Format(time.RFC3339)
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) }
	for _, r := range rows {
		_ = cw.Write([]string{date, fmt.Sprintf("%.2f", r.load1), r.proto, strconv.Itoa(r.conns), strconv.Itoa(r.window),
			r.path, r.phase, fmt.Sprintf("%.0f", r.rate), fmt.Sprintf("%.0f", r.res.MsgsPerSec),
			us(r.res.P50), us(r.res.P99), us(r.res.P999), fmt.Sprintf("%.3f", r.okPct),
			fmt.Sprintf("%.3f", r.midCPU), fmt.Sprintf("%.3f", r.smgCPU), fmt.Sprintf("%.3f", r.spCPU),
			strconv.FormatInt(r.midPeakRSS, 10), busiest(r), fmt.Sprintf("%.3f", r.midWait)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
