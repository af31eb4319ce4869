// Command cluster starts a Redis Cluster of Debian's redis-server on
// loopback (3 masters and 3 replicas by default, in a temporary directory),
// prints its addresses and keeps it up until interrupted; with -demo it also
// starts the simulated SMG and two spsmg nodes sharing the cluster, and
// prints a walk-through (make cluster-demo).
//
//	go run ./internal/rediscluster/cmd/cluster            # the cluster alone
//	go run ./internal/rediscluster/cmd/cluster -demo      # + SMG + nodes A and B
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/internal/rediscluster"
	"github.com/spsmg/spsmg/sim/smg"
)

const usage = `usage: cluster [-masters N] [-replicas N] [-node-timeout D] [-dir DIR]
       cluster -demo [-spsmg BIN] [...]

Starts a Redis Cluster of redis-server processes on loopback ports (each
node in its own directory under DIR, a temporary one by default), prints
the addresses, and stops everything on Ctrl-C. With -demo it also starts
the simulated SMG (127.0.0.1:17890, control API 127.0.0.1:17891) and two
spsmg nodes on the cluster, A (SP 127.0.0.1:7890, HTTP 127.0.0.1:8080) and
B (SP 127.0.0.1:7891, HTTP 127.0.0.1:8081), and prints a walk-through.`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		os.Exit(cli.Exit("cluster", err, os.Stderr))
	}
}

type options struct {
	masters, replicas int
	nodeTimeout       time.Duration
	dir, spsmg        string
	demo              bool
}

func run(args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.IntVar(&o.masters, "masters", 3, "masters")
	fs.IntVar(&o.replicas, "replicas", 1, "replicas per master")
	fs.DurationVar(&o.nodeTimeout, "node-timeout", 2*time.Second, "cluster-node-timeout: how long before a replica replaces a dead master")
	fs.StringVar(&o.dir, "dir", "", "directory for the nodes (default: a temporary one, removed at exit)")
	fs.BoolVar(&o.demo, "demo", false, "also start the simulated SMG and two spsmg nodes")
	fs.StringVar(&o.spsmg, "spsmg", "", "with -demo: the spsmg binary (default: go build ./cmd/spsmg)")
	if err := cli.Parse(fs, args, usage, stdout); err != nil {
		return err
	}
	if err := cli.NoArgs(fs, usage); err != nil {
		return err
	}
	if !rediscluster.Installed() {
		return errors.New("redis-server is not installed (apt-get install redis-server)")
	}
	h, err := rediscluster.NewProgram(o.dir)
	if err != nil {
		return err
	}
	defer h.Close()
	fmt.Fprintf(stdout, "starting %d masters and %d replicas under %s ...\n", o.masters, o.masters*o.replicas, h.Dir())
	var c *rediscluster.Cluster
	if err := h.Run(func() {
		c = rediscluster.Start(h, rediscluster.Options{Masters: o.masters, ReplicasPerMaster: o.replicas,
			NodeTimeout: o.nodeTimeout, StartTimeout: time.Minute})
	}); err != nil {
		return err
	}
	addrs := c.Addrs()
	fmt.Fprintf(stdout, "Redis Cluster up: masters %s, replicas %s\n", strings.Join(addrs[:o.masters], " "), strings.Join(addrs[o.masters:], " "))
	if o.demo {
		if err := demo(h, c, o, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "Ctrl-C stops everything.")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	fmt.Fprintln(stdout, "stopping")
	return nil
}

// demo nodes.
var demoNodes = []struct{ id, sp, http string }{
	{"A", "127.0.0.1:7890", "127.0.0.1:8080"},
	{"B", "127.0.0.1:7891", "127.0.0.1:8081"},
}

const (
	smgAddr     = "127.0.0.1:17890"
	controlAddr = "127.0.0.1:17891"
	demoUser    = "13800138000"
)

// demo starts the simulated SMG and the two spsmg nodes.
func demo(h *rediscluster.Program, c *rediscluster.Cluster, o options, stdout io.Writer) error {
	bin := o.spsmg
	if bin == "" {
		bin = filepath.Join(h.Dir(), "spsmg")
		fmt.Fprintln(stdout, "building spsmg ...")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/spsmg").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/spsmg (run from the repository): %v\n%s", err, out)
		}
	}
	cfg, err := config.Parse(config.Demo)
	if err != nil {
		return err
	}
	sim, err := smg.Start(smg.Config{Protocol: cfg.Upstream.Protocol, Addr: smgAddr,
		Accounts: map[string]string{cfg.Upstream.Login: cfg.Upstream.Secret}, ReportDelay: 100 * time.Millisecond,
		SubmitLog: 1000})
	if err != nil {
		return fmt.Errorf("simulated SMG at %s: %w", smgAddr, err)
	}
	h.Cleanup(func() { sim.Close() })
	ctl, err := sim.ListenControl(controlAddr)
	if err != nil {
		return fmt.Errorf("simulated SMG's control API at %s: %w", controlAddr, err)
	}
	h.Cleanup(func() { ctl.Close() })
	for _, n := range demoNodes {
		yaml, err := nodeConfig(c, n.id, n.sp, n.http)
		if err != nil {
			return err
		}
		path := filepath.Join(h.Dir(), "node"+n.id+".yaml")
		if err := os.WriteFile(path, yaml, 0o600); err != nil {
			return err
		}
		logPath := filepath.Join(h.Dir(), "node"+n.id+".log")
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		cmd := exec.Command(bin, "serve", "--config", path)
		cmd.Stdout, cmd.Stderr = f, f
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			f.Close()
			return err
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); f.Close(); close(done) }()
		h.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
		if err := waitReady(n.http, done); err != nil {
			return fmt.Errorf("node %s: %w (log: %s)", n.id, err, logPath)
		}
		fmt.Fprintf(stdout, "spsmg node %s: pid %d, SP %s, HTTP %s, log %s\n", n.id, cmd.Process.Pid, n.sp, n.http, logPath)
	}
	fmt.Fprint(stdout, walkthrough(h.Dir()))
	return nil
}

// nodeConfig is the demo configuration for one node: the cluster as its
// store, its own listener and HTTP address.
func nodeConfig(c *rediscluster.Cluster, id, sp, http string) ([]byte, error) {
	y := config.Demo
	store := fmt.Sprintf("store:\n  backend: redis\n  redis:\n    addrs: [%s]\n    key_prefix: \"demo/\"\n    node_id: %q\n    timeout: 10s\n",
		strings.Join(c.Addrs(), ", "), id)
	for _, r := range []struct{ old, new string }{
		{"    addr: 127.0.0.1:7890 ", "    addr: " + sp + " "},
		{"  addr: 127.0.0.1:8080 ", "  addr: " + http + " "},
		{"store:\n  backend: badger", store + "  # was: backend: badger"},
		{"  path: data ", "  # path: data "},
	} {
		if !bytes.Contains(y, []byte(r.old)) {
			return nil, fmt.Errorf("config/demo.yaml has no %q to replace", r.old)
		}
		y = bytes.Replace(y, []byte(r.old), []byte(r.new), 1)
	}
	if _, err := config.Parse(y); err != nil {
		return nil, fmt.Errorf("node %s configuration: %w", id, err)
	}
	return y, nil
}

func waitReady(addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := http.Client{Timeout: time.Second}
	for {
		select {
		case <-exited:
			return errors.New("exited during start")
		case <-ctx.Done():
			return errors.New("not ready within a minute")
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := cl.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}

func walkthrough(dir string) string {
	spsim := "go run ./cmd/spsim"
	api := "go run ./cmd/spsmg api"
	ctl := "http://" + controlAddr
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("")
	line("Walk-through: from a second terminal in the repository. Node A is 7890/8080, node B 7891/8081; the")
	line("simulated SMG hands each MO to a bind of either node.")
	line("")
	line("# 1. An MO, and the SP connected to node B only: B delivers it, whichever node it arrived at;")
	line("#    the SP's answer with the MO's LinkID passes through B (the use is spent in the cluster).")
	line(`curl -s %s/mo -d '{"user":"%s","to":"10655123","text":"HELP"}'`, ctl, demoUser)
	line("%s -addr 127.0.0.1:7891 -replies 1 -service HELP -text 'Thanks for asking'", spsim)
	line("")
	line("# 2. A web subscription asked through node A's API; the user's Y counts once whichever node gets it;")
	line("#    the Noti_SP reaches the SP on node B, whose DZTZ notice records the subscription; then a")
	line("#    plain NEWS MT passes through node A.")
	line(`%s -url http://127.0.0.1:8080 POST /v1/subscriptions '{"user":"%s","service_code":"NEWS"}'`, api, demoUser)
	line(`curl -s %s/mo -d '{"user":"%s","reply":true,"text":"Y"}'`, ctl, demoUser)
	line("%s -addr 127.0.0.1:7891 -replies 1 -service DZTZ -text 'You are subscribed to NEWS'", spsim)
	line("%s -addr 127.0.0.1:7890 -n 1 -service NEWS -text 'Today in NEWS'", spsim)
	line("")
	line("# 3. What each node sees of the other: the live nodes, the follow lag, the queues.")
	line("curl -s http://127.0.0.1:8081/readyz")
	line("curl -s http://127.0.0.1:8080/metrics | grep '^spsmg_cluster_'")
	line("")
	line("# 4. Kill node B (kill -9: the pid is printed above); five seconds later node A sees it gone,")
	line("#    and MO for the SP go to node A:")
	line("#    kill -9 <pid of node B>; curl -s http://127.0.0.1:8080/readyz")
	line("")
	line("Logs and configurations: %s", dir)
	return b.String()
}
