// Package rediscluster starts a real Redis Cluster for tests: N masters and
// N×R replicas of Debian's redis-server on free loopback ports, each in its
// own directory under t.TempDir(), and offers the faults the store must
// survive (kill -9 of a master, waiting for its replica's promotion,
// restarting the killed node).
//
// The cluster is built by hand through the client (CLUSTER ADDSLOTSRANGE,
// SET-CONFIG-EPOCH, MEET, REPLICATE) instead of `redis-cli --cluster
// create`, which sleeps a whole second between its polls: started this way
// a 3+3 cluster is ready in about a second.
//
// Where redis-server is not installed, Start skips the test with the reason;
// under CI (CI set in the environment), where .ci/run installs it, it fails
// instead, so that a missing install step cannot pass as a skip.
package rediscluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Installed reports whether redis-server is on the PATH.
func Installed() bool {
	_, err := exec.LookPath("redis-server")
	return err == nil
}

// Slots is the number of hash slots of a Redis Cluster.
const Slots = 16384

// Options shape the cluster. The zero value is 3 masters with one replica
// each, no password, a 1 s node timeout.
type Options struct {
	Masters           int           // default 3
	ReplicasPerMaster int           // default 1; negative: none
	Password          string        // requirepass and masterauth on every node
	NodeTimeout       time.Duration // cluster-node-timeout; default 1 s: failover in 1–3 s
	StartTimeout      time.Duration // default 20 s (the whole start, polls included)
	// TLS serves clients, the cluster bus and replication over TLS only,
	// with a certificate for 127.0.0.1 from a CA made for the cluster
	// (CAFile, TLSConfig).
	TLS bool
}

// Node is one redis-server process.
type Node struct {
	Addr    string // 127.0.0.1:port
	Port    int
	BusPort int
	dir     string
	conf    string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exits
}

// TB is the part of testing.TB the harness uses: a test passes its
// *testing.T; a command (cmd/cluster) passes its own, which stops the
// program on Fatal.
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

var _ TB = testing.TB(nil)

// Cluster is a running test cluster. Methods are safe for concurrent use
// except Stop, which ends it.
type Cluster struct {
	t    TB
	opt  Options
	dir  string
	tls  *tls.Config // clients' configuration when opt.TLS
	mu   sync.Mutex
	node []*Node
}

// Start starts and joins the cluster, waits (polling against
// opt.StartTimeout) until every node reports cluster_state:ok with all slots
// assigned and every replica in sync, and stops it in t.Cleanup.
func Start(t TB, opt Options) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		// Under CI, .ci/run installs it: a skip would hide a broken install.
		msg := "redis-server is not installed (apt-get install redis-server): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if opt.Masters <= 0 {
		opt.Masters = 3
	}
	if opt.ReplicasPerMaster < 0 {
		opt.ReplicasPerMaster = 0
	} else if opt.ReplicasPerMaster == 0 {
		opt.ReplicasPerMaster = 1
	}
	if opt.NodeTimeout <= 0 {
		opt.NodeTimeout = time.Second
	}
	if opt.StartTimeout <= 0 {
		opt.StartTimeout = 20 * time.Second
	}
	c := &Cluster{t: t, opt: opt, dir: t.TempDir()}
	if opt.TLS {
		cfg, err := makeCerts(c.dir)
		if err != nil {
			t.Fatalf("rediscluster: certificates: %v", err)
		}
		c.tls = cfg
	}
	t.Cleanup(c.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), opt.StartTimeout)
	defer cancel()
	if err := c.start(ctx); err != nil {
		t.Fatalf("rediscluster: %v", err)
	}
	return c
}

func (c *Cluster) start(ctx context.Context) error {
	n := c.opt.Masters * (1 + c.opt.ReplicasPerMaster)
	for i := range n {
		nd := &Node{dir: filepath.Join(c.dir, fmt.Sprintf("node%d", i))}
		if err := os.MkdirAll(nd.dir, 0o700); err != nil {
			return err
		}
		if err := c.launchFresh(ctx, nd); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		c.node = append(c.node, nd)
	}
	masters, replicas := c.node[:c.opt.Masters], c.node[c.opt.Masters:]
	ids := make([]string, len(c.node))
	for i, nd := range c.node {
		id, err := c.client(nd).Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			return fmt.Errorf("%s: CLUSTER MYID: %w", nd.Addr, err)
		}
		ids[i] = id
	}
	// Equal contiguous slot ranges, as redis-cli assigns them; a distinct
	// config epoch per master spares the cluster its epoch-collision dance.
	for i, nd := range masters {
		lo, hi := i*Slots/len(masters), (i+1)*Slots/len(masters)-1
		cl := c.client(nd)
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fmt.Errorf("%s: ADDSLOTSRANGE %d %d: %w", nd.Addr, lo, hi, err)
		}
		if err := cl.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("%s: SET-CONFIG-EPOCH: %w", nd.Addr, err)
		}
	}
	first := c.node[0]
	for _, nd := range c.node[1:] {
		if err := c.client(nd).Do(ctx, "CLUSTER", "MEET", "127.0.0.1", first.Port, first.BusPort).Err(); err != nil {
			return fmt.Errorf("%s: MEET: %w", nd.Addr, err)
		}
	}
	// A replica can only follow a master it already knows.
	if err := c.poll(ctx, "every node knows every other", func() error {
		for _, nd := range c.node {
			out, err := c.client(nd).Do(ctx, "CLUSTER", "NODES").Text()
			if err != nil {
				return err
			}
			if got := strings.Count(strings.TrimSpace(out), "\n") + 1; got < len(c.node) {
				return fmt.Errorf("%s knows %d of %d nodes", nd.Addr, got, len(c.node))
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for i, nd := range replicas {
		master := i % len(masters)
		if err := c.client(nd).Do(ctx, "CLUSTER", "REPLICATE", ids[master]).Err(); err != nil {
			return fmt.Errorf("%s: REPLICATE %s: %w", nd.Addr, masters[master].Addr, err)
		}
	}
	return c.poll(ctx, "cluster ready", func() error {
		if err := c.healthy(ctx, c.node); err != nil {
			return err
		}
		// Every node must also know which nodes are replicas: a node that
		// has not yet learnt it by gossip shows their masters without
		// replicas (CLUSTER SHARDS), which a client may act on.
		for _, nd := range c.node {
			out, err := c.client(nd).Do(ctx, "CLUSTER", "NODES").Text()
			if err != nil {
				return err
			}
			if got := strings.Count(out, "slave"); got < len(replicas) {
				return fmt.Errorf("%s knows %d of %d replicas", nd.Addr, got, len(replicas))
			}
		}
		return nil
	})
}

// healthy reports whether every node of nodes sees the cluster ok with all
// slots served, and every replica among them has its master link up.
func (c *Cluster) healthy(ctx context.Context, nodes []*Node) error {
	for _, nd := range nodes {
		cl := c.client(nd)
		info, err := cl.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") {
			return fmt.Errorf("%s: cluster not ok", nd.Addr)
		}
		repl, err := cl.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("%s: replica not in sync", nd.Addr)
		}
	}
	return nil
}

// launchFresh picks free ports and starts nd, retrying with other ports if
// another process took them between the probe and redis-server's bind.
func (c *Cluster) launchFresh(ctx context.Context, nd *Node) error {
	var err error
	for range 5 {
		var port, bus int
		if port, err = freePort(); err != nil {
			return err
		}
		if bus, err = freePort(); err != nil {
			return err
		}
		nd.Port, nd.BusPort, nd.Addr = port, bus, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		nd.conf = filepath.Join(nd.dir, "redis.conf")
		if err = os.WriteFile(nd.conf, []byte(c.config(nd)), 0o600); err != nil {
			return err
		}
		if err = c.launch(ctx, nd); err == nil {
			return nil
		}
	}
	return err
}

func (c *Cluster) config(nd *Node) string {
	var b strings.Builder
	port := [][2]string{{"port", strconv.Itoa(nd.Port)}}
	if c.opt.TLS {
		port = [][2]string{
			{"port", "0"}, {"tls-port", strconv.Itoa(nd.Port)},
			{"tls-cluster", "yes"}, {"tls-replication", "yes"},
			{"tls-cert-file", filepath.Join(c.dir, "node.pem")},
			{"tls-key-file", filepath.Join(c.dir, "node.key")},
			{"tls-ca-cert-file", filepath.Join(c.dir, "ca.pem")},
			{"tls-auth-clients", "optional"},
		}
	}
	for _, kv := range append(port, [][2]string{
		{"bind", "127.0.0.1"},
		{"cluster-port", strconv.Itoa(nd.BusPort)},
		{"cluster-enabled", "yes"},
		{"cluster-config-file", "nodes.conf"},
		{"cluster-node-timeout", strconv.FormatInt(c.opt.NodeTimeout.Milliseconds(), 10)},
		{"dir", nd.dir},
		{"logfile", filepath.Join(nd.dir, "redis.log")},
		{"daemonize", "no"},
		{"save", `""`},
		{"appendonly", "no"},
		// Replicas sync at once (the default waits 5 s for more replicas
		// to share one diskless transfer).
		{"repl-diskless-sync-delay", "0"},
		{"protected-mode", "no"},
	}...) {
		fmt.Fprintf(&b, "%s %s\n", kv[0], kv[1])
	}
	if c.opt.Password != "" {
		fmt.Fprintf(&b, "requirepass %q\nmasterauth %q\n", c.opt.Password, c.opt.Password)
	}
	return b.String()
}

// launch starts redis-server on nd's config and waits until it answers.
func (c *Cluster) launch(ctx context.Context, nd *Node) error {
	cmd := exec.Command("redis-server", nd.conf)
	cmd.Dir = nd.dir
	// The server dies with the test binary, even on a panic or kill.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	nd.mu.Lock()
	nd.cmd, nd.done = cmd, done
	nd.mu.Unlock()
	err := c.poll(ctx, nd.Addr+" answers PING", func() error {
		select {
		case <-done:
			return errExited
		default:
		}
		return c.client(nd).Ping(ctx).Err()
	})
	if err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%w; log: %s", err, tail(filepath.Join(nd.dir, "redis.log"), 5))
	}
	return nil
}

var errExited = errors.New("redis-server exited")

func (c *Cluster) poll(ctx context.Context, what string, f func() error) error {
	var err error
	for {
		if err = f(); err == nil || errors.Is(err, errExited) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// client returns a short-lived single-node client; callers close nothing
// (the cache closes them in Stop).
func (c *Cluster) client(nd *Node) *redis.Client {
	return clients.get(nd.Addr, c.opt.Password, c.tls)
}

// Addrs returns the address of every node, masters first as started.
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.node))
	for i, nd := range c.node {
		out[i] = nd.Addr
	}
	return out
}

// Password returns the nodes' password ("" when none).
func (c *Cluster) Password() string { return c.opt.Password }

// Client returns a client of the node at addr (tests may send it anything;
// it is closed when the cluster stops).
func (c *Cluster) Client(addr string) *redis.Client { return clients.get(addr, c.opt.Password, c.tls) }

// TLSConfig is a client configuration that trusts the cluster's CA (nil
// without Options.TLS).
func (c *Cluster) TLSConfig() *tls.Config {
	if c.tls == nil {
		return nil
	}
	return c.tls.Clone()
}

// CAFile is the PEM file of the cluster's CA ("" without Options.TLS).
func (c *Cluster) CAFile() string {
	if c.tls == nil {
		return ""
	}
	return filepath.Join(c.dir, "ca.pem")
}

func (c *Cluster) live() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Node
	for _, nd := range c.node {
		if nd.running() {
			out = append(out, nd)
		}
	}
	return out
}

func (nd *Node) running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.done == nil {
		return false
	}
	select {
	case <-nd.done:
		return false
	default:
		return true
	}
}

// MasterOf returns the address of the node a live node reports as the
// master of slot.
func (c *Cluster) MasterOf(ctx context.Context, slot int) (string, error) {
	var lastErr error
	for _, nd := range c.live() {
		slots, err := c.client(nd).ClusterSlots(ctx).Result()
		if err != nil {
			lastErr = err
			continue
		}
		for _, s := range slots {
			if s.Start <= slot && slot <= s.End && len(s.Nodes) > 0 {
				return s.Nodes[0].Addr, nil
			}
		}
		lastErr = fmt.Errorf("%s: slot %d unassigned", nd.Addr, slot)
	}
	if lastErr == nil {
		lastErr = errors.New("no live node")
	}
	return "", lastErr
}

// KillMaster kills the master of slot with SIGKILL (kill -9: no shutdown,
// no final replication) and returns its address once the process is gone.
func (c *Cluster) KillMaster(slot int) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr, err := c.MasterOf(ctx, slot)
	if err != nil {
		c.t.Fatalf("rediscluster: master of slot %d: %v", slot, err)
	}
	c.Kill(addr)
	return addr
}

// Kill sends SIGKILL to the node at addr and waits until it has exited.
func (c *Cluster) Kill(addr string) {
	c.t.Helper()
	nd := c.byAddr(addr)
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.done
	nd.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	clients.drop(addr)
}

func (c *Cluster) byAddr(addr string) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, nd := range c.node {
		if nd.Addr == addr {
			return nd
		}
	}
	c.t.Fatalf("rediscluster: no node %s", addr)
	return nil
}

// ReplicasOf returns the addresses of the replicas the master at addr
// reports connected.
func (c *Cluster) ReplicasOf(ctx context.Context, addr string) ([]string, error) {
	info, err := c.Client(addr).Info(ctx, "replication").Result()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(info, "\n") {
		// slave0:ip=127.0.0.1,port=40001,state=online,offset=...,lag=0
		if !strings.HasPrefix(line, "slave") || !strings.Contains(line, ":ip=") {
			continue
		}
		var ip, port string
		for _, kv := range strings.Split(line[strings.IndexByte(line, ':')+1:], ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			switch k {
			case "ip":
				ip = v
			case "port":
				port = v
			}
		}
		out = append(out, net.JoinHostPort(ip, port))
	}
	return out, nil
}

// Freeze stops the node at addr with SIGSTOP: it keeps its sockets but
// answers nothing, like a stalled host, until Thaw. It returns once the
// kernel reports the process stopped (a signal is delivered
// asynchronously: a busy process could otherwise still answer a command
// sent right after kill returned).
func (c *Cluster) Freeze(addr string) {
	c.t.Helper()
	pid := c.signal(addr, syscall.SIGSTOP)
	stat := fmt.Sprintf("/proc/%d/stat", pid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(stat)
		if err != nil {
			c.t.Fatalf("rediscluster: freeze %s: %v", addr, err)
		}
		// pid (comm) state ...: the state letter follows the last ')'.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'T' {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("rediscluster: %s not stopped 5 s after SIGSTOP", addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// Thaw resumes a frozen node (SIGCONT).
func (c *Cluster) Thaw(addr string) { c.signal(addr, syscall.SIGCONT) }

func (c *Cluster) signal(addr string, sig syscall.Signal) (pid int) {
	c.t.Helper()
	nd := c.byAddr(addr)
	nd.mu.Lock()
	cmd := nd.cmd
	nd.mu.Unlock()
	if cmd == nil {
		c.t.Fatalf("rediscluster: %s was never started", addr)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("rediscluster: signal %v to %s: %v", sig, addr, err)
	}
	return cmd.Process.Pid
}

// Failover waits until slot is served by a live master other than
// deadMaster (a replica promoted by the cluster's own election) and every
// live node reports the cluster ok; it returns the new master's address.
func (c *Cluster) Failover(slot int, deadMaster string, timeout time.Duration) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var master string
	err := c.poll(ctx, "replica promoted", func() error {
		m, err := c.MasterOf(ctx, slot)
		if err != nil {
			return err
		}
		if m == deadMaster {
			return fmt.Errorf("slot %d still on %s", slot, m)
		}
		master = m
		return c.healthy(ctx, c.live())
	})
	if err != nil {
		c.t.Fatalf("rediscluster: failover of slot %d: %v", slot, err)
	}
	return master
}

// Restart starts a killed node again on its ports and its nodes.conf, and
// waits until it has rejoined (as a replica, after a failover) and the
// cluster is ok on every live node.
func (c *Cluster) Restart(addr string) {
	c.t.Helper()
	nd := c.byAddr(addr)
	ctx, cancel := context.WithTimeout(context.Background(), c.opt.StartTimeout)
	defer cancel()
	if nd.running() {
		c.t.Fatalf("rediscluster: %s is running", addr)
	}
	if err := c.launch(ctx, nd); err != nil {
		c.t.Fatalf("rediscluster: restart %s: %v", addr, err)
	}
	if err := c.poll(ctx, addr+" rejoined", func() error { return c.healthy(ctx, c.live()) }); err != nil {
		c.t.Fatalf("rediscluster: %v", err)
	}
}

// Stop kills every node. It is idempotent and runs in t.Cleanup.
func (c *Cluster) Stop() {
	c.mu.Lock()
	nodes := slices.Clone(c.node)
	c.mu.Unlock()
	for _, nd := range nodes {
		nd.mu.Lock()
		cmd, done := nd.cmd, nd.done
		nd.mu.Unlock()
		if cmd != nil {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
		clients.drop(nd.Addr)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, " | ")
}

// clientCache keeps one client per node address for the harness's own
// commands (pings and polls would otherwise dial on every call).
type clientCache struct {
	mu sync.Mutex
	m  map[string]*redis.Client
}

var clients = clientCache{m: make(map[string]*redis.Client)}

func (cc *clientCache) get(addr, password string, tlsConfig *tls.Config) *redis.Client {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cl, ok := cc.m[addr]; ok {
		return cl
	}
	cl := redis.NewClient(&redis.Options{
		Addr: addr, Password: password, TLSConfig: tlsConfig,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: time.Second,
		MaxRetries: -1, PoolSize: 4, Protocol: 2, DisableIdentity: true,
		ContextTimeoutEnabled: true,
	})
	cc.m[addr] = cl
	return cl
}

func (cc *clientCache) drop(addr string) {
	cc.mu.Lock()
	cl := cc.m[addr]
	delete(cc.m, addr)
	cc.mu.Unlock()
	if cl != nil {
		_ = cl.Close()
	}
}
