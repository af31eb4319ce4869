// Command nodes measures spsmg on a Redis Cluster with one node and with
// two, on the same workload, and prints the ratio:
//
//	one node    spsim (C conns) ─────────────▶ spsmg A ──▶ smgsim
//	two nodes   spsim (C/2 conns) ──▶ spsmg A ──▶ smgsim
//	            spsim (C/2 conns) ──▶ spsmg B ──▶
//	            both on one 3+3 Redis Cluster of Debian's redis-server
//
// The workload is the tools' usual one (bench/internal/rig): subscription
// MTs to users subscribed beforehand, authorized from each node's memory,
// forwarded and answered by the simulated SMG. The same total number of SP
// connections is split over the nodes. Every process runs on this machine:
// on a machine with few cores the nodes compete with each other, with the
// load generators and with the SMG simulator for the same cores, so the
// ratio says what a second node costs or gains here, not on separate
// hosts; the CPU per million MT of the nodes says what each MT costs.
//
//	go run ./bench/cmd/nodes                          # 16 conns × window 64, 5 s runs
//	go run ./bench/cmd/nodes -conns 32 -window 256 -duration 10s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/authcache/redisstore"
	"github.com/spsmg/spsmg/bench/internal/rig"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/rediscluster"
)

type options struct {
	proto            string
	conns, window    int
	duration, warmup time.Duration
	users, loops     int
	runs             int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nodes:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("nodes", flag.ContinueOnError)
	fs.StringVar(&o.proto, "proto", "cmpp3", "protocol")
	fs.IntVar(&o.conns, "conns", 16, "SP connections in all (split over the nodes)")
	fs.IntVar(&o.window, "window", 64, "Submits in flight per connection")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "one measured run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "a run before each measured one")
	fs.IntVar(&o.users, "users", 10000, "subscribed users the MTs go to")
	fs.IntVar(&o.loops, "loops", 0, "event loops per node (0: one per CPU)")
	fs.IntVar(&o.runs, "runs", 1, "measured runs of each configuration, alternating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.conns < 2 || o.conns%2 != 0 {
		return errors.New("-conns must be even, at least 2")
	}
	root, err := rig.ModuleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "spsmg-nodes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintln(out, "# building spsmg, smgsim, spsim")
	bins, err := rig.Build(ctx, root, filepath.Join(tmp, "bin"))
	if err != nil {
		return err
	}
	prog, err := rediscluster.NewProgram(filepath.Join(tmp))
	if err != nil {
		return err
	}
	defer prog.Close()
	var c *rediscluster.Cluster
	if err := prog.Run(func() { c = rediscluster.Start(prog, rediscluster.Options{StartTimeout: time.Minute}) }); err != nil {
		return err
	}
	const prefix = "bench/"
	fmt.Fprintf(out, "# seeding %d subscriptions into the cluster\n", o.users)
	if err := seed(c, prefix, o.proto, o.users); err != nil {
		return err
	}
	procs := &rig.Group{}
	defer procs.Close(5 * time.Second)
	login, secret := rig.SPAccount(o.proto)
	smgAddr, err := rig.FreeAddr()
	if err != nil {
		return err
	}
	smg, err := procs.Start("smgsim", bins.SMGSim, "-proto", o.proto, "-listen", smgAddr,
		"-account", rig.SMGLogin+":"+rig.SMGSecret, "-account", login+":"+secret, "-log-level", "warn", "-stats-every", "0")
	if err != nil {
		return err
	}
	if err := rig.WaitTCP(smg, smgAddr, 10*time.Second); err != nil {
		return err
	}
	var nodes []*node
	for _, id := range []string{"A", "B"} {
		n, err := startNode(procs, bins, tmp, c, prefix, id, o, smgAddr)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	fmt.Fprintf(out, "# %s, %d conns × window %d, %v per run; %s; load average %.2f\n", o.proto, o.conns, o.window, o.duration, rig.Machine(), rig.LoadAvg())
	var one, two []result
	for i := 0; i < o.runs; i++ {
		r1, err := measure(ctx, bins, o, nodes[:1], c)
		if err != nil {
			return err
		}
		one = append(one, r1)
		r2, err := measure(ctx, bins, o, nodes, c)
		if err != nil {
			return err
		}
		two = append(two, r2)
		fmt.Fprintf(out, "run %d: one node %.0f MT/s, two nodes %.0f MT/s, ratio %.2f\n", i+1, r1.mtps, r2.mtps, r2.mtps/r1.mtps)
	}
	printTable(out, o, one, two)
	return nil
}

// seed subscribes the users the load sends to, through an engine on the
// cluster (the nodes load them at start).
func seed(c *rediscluster.Cluster, prefix, proto string, users int) error {
	log := slog.New(slog.DiscardHandler)
	st, err := redisstore.Open(redisstore.Options{Addrs: c.Addrs()[:1], KeyPrefix: prefix, WaitReplicas: 1,
		PublishPrefixes: authcache.Published(), NodeID: "seed", Logger: log})
	if err != nil {
		return err
	}
	e, err := authcache.Open(authcache.Config{PortalNumber: "10655000"}, st, authcache.WithLogger(log))
	if err != nil {
		st.Close()
		return err
	}
	var list []string
	var base uint64
	first := rig.FirstUser(proto)
	fmt.Sscan(first, &base)
	for i := range users {
		list = append(list, fmt.Sprintf("%0*d", len(first), base+uint64(i)))
	}
	if err := rig.Subscribe(e, list); err != nil {
		e.Close()
		return err
	}
	return e.Close()
}

type node struct {
	id     string
	p      *rig.Proc
	listen string
}

func startNode(procs *rig.Group, bins rig.Bins, tmp string, c *rediscluster.Cluster, prefix, id string, o options, smgAddr string) (*node, error) {
	g := rig.Gateway{Proto: o.proto, SMG: smgAddr, Loops: o.loops,
		Store: fmt.Sprintf("{backend: redis, redis: {addrs: [%s], key_prefix: %q, node_id: %q}}", strings.Join(c.Addrs(), ", "), prefix, id)}
	for _, a := range []*string{&g.Listen, &g.HTTP, &g.Inbound, &g.Receiver} {
		var err error
		if *a, err = rig.FreeAddr(); err != nil {
			return nil, err
		}
	}
	if _, err := config.Parse([]byte(g.YAML())); err != nil {
		return nil, fmt.Errorf("node %s configuration: %w", id, err)
	}
	path := filepath.Join(tmp, "node"+id+".yaml")
	if err := os.WriteFile(path, []byte(g.YAML()), 0o600); err != nil {
		return nil, err
	}
	p, err := procs.Start("spsmg-"+id, bins.SPSMG, "serve", "--config", path)
	if err != nil {
		return nil, err
	}
	if err := rig.WaitTCP(p, g.Listen, 30*time.Second); err != nil {
		return nil, err
	}
	if err := rig.WaitGatewayReady(p, g.HTTP, 30*time.Second); err != nil {
		return nil, err
	}
	return &node{id: id, p: p, listen: g.Listen}, nil
}

type result struct {
	nodes     int
	mtps      float64
	answered  uint64
	ok        float64
	nodeCPU   float64 // CPU seconds of the spsmg nodes per million MT
	redisCPU  float64 // of every redis-server
	p50, p99  time.Duration
	wall      time.Duration
	loadAfter float64
}

// measure runs the load split over nodes (a warm-up first).
func measure(ctx context.Context, bins rig.Bins, o options, nodes []*node, c *rediscluster.Cluster) (result, error) {
	per := o.conns / len(nodes)
	runAll := func(d time.Duration) ([]rig.LoadResult, time.Duration, error) {
		res := make([]rig.LoadResult, len(nodes))
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		t0 := time.Now()
		for i, n := range nodes {
			wg.Go(func() {
				l := rig.BenchLoad(o.proto, n.listen, per, o.window, o.users, d)
				res[i], errs[i] = rig.RunLoad(ctx, bins.SPSim, l)
			})
		}
		wg.Wait()
		return res, time.Since(t0), errors.Join(errs...)
	}
	if o.warmup > 0 {
		if _, _, err := runAll(o.warmup); err != nil {
			return result{}, err
		}
	}
	cpu := func() (nodesCPU, redisCPU time.Duration) {
		for _, n := range nodes {
			d, _ := n.p.CPU()
			nodesCPU += d
		}
		for _, pid := range c.Pids() {
			d, _ := rig.CPUOf(pid)
			redisCPU += d
		}
		return
	}
	n0, r0 := cpu()
	res, wall, err := runAll(o.duration)
	if err != nil {
		return result{}, err
	}
	n1, r1 := cpu()
	r := result{nodes: len(nodes), wall: wall, loadAfter: rig.LoadAvg()}
	var ok uint64
	for _, x := range res {
		r.answered += x.Answered
		ok += x.Results[0]
		r.mtps += x.MsgsPerSec
		r.p50, r.p99 = max(r.p50, x.P50), max(r.p99, x.P99)
	}
	if r.answered == 0 {
		return r, errors.New("nothing answered")
	}
	r.ok = 100 * float64(ok) / float64(r.answered)
	m := float64(r.answered) / 1e6
	r.nodeCPU, r.redisCPU = (n1-n0).Seconds()/m, (r1-r0).Seconds()/m
	return r, nil
}

func printTable(out io.Writer, o options, one, two []result) {
	fmt.Fprintf(out, "\n%-10s %12s %8s %10s %10s %18s %18s\n", "nodes", "MT/s", "ok %", "p50", "p99", "nodes CPU s / 1M", "redis CPU s / 1M")
	for _, rs := range [][]result{one, two} {
		for _, r := range rs {
			fmt.Fprintf(out, "%-10d %12.0f %8.2f %10v %10v %18.2f %18.2f\n", r.nodes, r.mtps, r.ok,
				r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.nodeCPU, r.redisCPU)
		}
	}
	var s1, s2 float64
	for i := range one {
		s1 += one[i].mtps
		s2 += two[i].mtps
	}
	fmt.Fprintf(out, "\ntwo nodes / one node: %.2f (%d run(s) each, %d conns × window %d split over the nodes)\n", s2/s1, len(one), o.conns, o.window)
}
