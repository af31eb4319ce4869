// Package cluster runs several spsmg nodes on one real Redis Cluster (3
// masters and 3 replicas of Debian's redis-server on loopback, started by
// each test), each node with its own simulated SMG, and checks what the
// nodes promise together: a subscription made on one authorizes on the
// other within a bound, a LinkID's last use lets exactly one MT through
// whichever nodes it is raced on, an MO arriving at one node reaches the
// SP through the node that holds its connection and is acknowledged there
// only after the SP answered, a node killed with kill -9 loses nothing it
// had taken, a master killed under load loses nothing acknowledged, and
// the whole cluster down leaves the nodes deciding from memory.
package cluster

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/authcache/redisstore"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/rediscluster"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

type (
	smgMO          = smg.MO
	proxyReadiness = proxy.Readiness
)

// queuePending counts the entries of an account's queue taken by a node
// and not yet acknowledged.
func queuePending(t *testing.T, c *rediscluster.Cluster, prefix, account string) int64 {
	t.Helper()
	key := redisstore.QueueKey(prefix, account)
	ctx := context.Background()
	m, err := c.MasterOf(ctx, redisstore.Slot(key))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Client(m).XPending(ctx, key, "spsmg").Result()
	if err != nil {
		t.Fatalf("XPENDING %s: %v", key, err)
	}
	return p.Count
}

// queueSlot is the cluster slot of an account's queue.
func queueSlot(prefix, account string) int {
	return redisstore.Slot(redisstore.QueueKey(prefix, account))
}

// engineMT is a subscription MT for sp1 as the engine sees it.
func engineMT(user string) *authcache.MT {
	return &authcache.MT{SP: "sp1", SPNumber: []byte(testenv.Access), ServiceCode: []byte("NEWS"), Dests: [][]byte{[]byte(user)}}
}

const proto = codec.CMPP30

// CMPP results of the refusals checked here (README, Protocols and result
// codes).
const (
	resultUsedUp      = 112
	resultUnavailable = 111
)

// node is one spsmg node of the test: a world (its own simulated SMG) on
// the shared cluster.
type node struct {
	*testenv.World
	id string
}

// storeYAML is the store section of a node on cluster c.
func storeYAML(c *rediscluster.Cluster, prefix, id string) map[string]string {
	return map[string]string{"backend": "redis",
		"redis": fmt.Sprintf("{addrs: [%q], key_prefix: %q, node_id: %q, timeout: 15s}", c.Addrs()[0], prefix, id)}
}

// startNodes starts n nodes in this process on cluster c.
func startNodes(t *testing.T, c *rediscluster.Cluster, prefix string, n int, mod func(*testenv.Options)) []*node {
	t.Helper()
	var out []*node
	for i := range n {
		id := string(rune('A' + i))
		o := testenv.Options{Proto: proto, Store: storeYAML(c, prefix, id),
			Authorization: map[string]string{"mo_linkid_uses": "1"}}
		if mod != nil {
			mod(&o)
		}
		w := testenv.NewWorld(t, o)
		w.Start()
		out = append(out, &node{World: w, id: id})
	}
	return out
}

func dial(t *testing.T, n *node, mod func(*sp.ClientConfig)) *sp.Client {
	t.Helper()
	cc := n.ClientConfig()
	if mod != nil {
		mod(&cc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	cl, err := sp.Dial(ctx, cc)
	if err != nil {
		t.Fatalf("SP login on node %s: %v", n.id, err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func mt(user, svc, link string) sp.MT {
	return sp.MT{SPNumber: testenv.Access, Users: []string{user}, ServiceCode: svc, LinkID: link, Text: "hi"}
}

func submit(t *testing.T, cl *sp.Client, m sp.MT) uint32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	r, err := cl.Submit(ctx, m)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r.Result
}

// nextDelivery waits for the next MO or report on cl.
func nextDelivery(t *testing.T, cl *sp.Client, within time.Duration) sp.Delivery {
	t.Helper()
	select {
	case d := <-cl.Deliveries():
		return d
	case <-time.After(within):
		t.Fatalf("no delivery within %v (protocol errors: %v, err %v)", within, cl.ProtocolErrors(), cl.Err())
	}
	return sp.Delivery{}
}

func TestSubscriptionOnAAuthorizesOnB(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ns := startNodes(t, c, "sub/", 2, nil)
	a, b := ns[0], ns[1]
	onB := dial(t, b, nil)
	const bound = 2 * time.Second // the figure is the benchmark's (README, Running several nodes)
	var slowest time.Duration
	for i := range 5 {
		user := fmt.Sprintf("1380000%04d", i)
		if r := submit(t, onB, mt(user, "NEWS", "")); r == 0 {
			t.Fatalf("%s: MT allowed on B before any subscription", user)
		}
		start := time.Now()
		if err := a.Engine.Subscribe("sp1", user, "NEWS", 0); err != nil {
			t.Fatal(err)
		}
		for submit(t, onB, mt(user, "NEWS", "")) != 0 {
			if time.Since(start) > bound {
				t.Fatalf("subscription %d made on A not authorizing on B after %v", i, bound)
			}
			time.Sleep(time.Millisecond)
		}
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("subscription on A → MT allowed on B (an SP's Submit round trip included): slowest of 5 %v", slowest)
}

func TestLastLinkIDUseRacedOnTwoNodes(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ns := startNodes(t, c, "race/", 2, nil)
	a, b := ns[0], ns[1]
	onA, onB := dial(t, a, nil), dial(t, b, nil)
	rounds := 20
	if testenv.Heavy() {
		rounds = 200
	}
	for i := range rounds {
		user := fmt.Sprintf("1390000%04d", i)
		if err := a.SMG.InjectMO(mtMO(user, "hello")); err != nil {
			t.Fatal(err)
		}
		d := nextDelivery(t, onA, testenv.Wait)
		if d.LinkID == "" || d.User != user {
			t.Fatalf("round %d: MO %+v", i, d)
		}
		var wg sync.WaitGroup
		var results [2]uint32
		for j, cl := range []*sp.Client{onA, onB} {
			wg.Go(func() { results[j] = submit(t, cl, mt(user, "NEWS", d.LinkID)) })
		}
		wg.Wait()
		passed := 0
		for _, r := range results {
			switch r {
			case 0:
				passed++
			case resultUsedUp:
			default:
				t.Fatalf("round %d: results %v (want one 0 and one %d)", i, results, resultUsedUp)
			}
		}
		if passed != 1 {
			t.Fatalf("round %d: %d of 2 MTs spending the LinkID's only use passed (A %d, B %d)", i, passed, results[0], results[1])
		}
	}
	m := b.MustMetrics()
	if n := m.Sum("spsmg_mt_deferred_decision_seconds_count"); n == 0 {
		t.Errorf("no deferred decision counted on B")
	}
}

// mtMO is an MO from user to sp1's access number, through the simulated SMG.
func mtMO(user, text string) smgMO { return smgMO{User: user, SPNumber: testenv.Access, Text: text} }

func TestMOAtAIsDeliveredByB(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ns := startNodes(t, c, "deliver/", 2, func(o *testenv.Options) {
		o.Upstream = map[string]string{"response_timeout": "600ms"} // the SP's answer is awaited this long
	})
	a, b := ns[0], ns[1]
	// The SP is connected to B only, and does not answer the first time.
	var answered atomic.Int32
	var seen atomic.Int32
	onB := dial(t, b, func(cc *sp.ClientConfig) {
		cc.Ack = func(sp.Delivery) (uint32, bool) {
			if seen.Add(1) == 1 {
				return 0, false
			}
			answered.Add(1)
			return 0, true
		}
	})
	if err := a.SMG.InjectMO(mtMO("13700000001", "hello B")); err != nil {
		t.Fatal(err)
	}
	d := nextDelivery(t, onB, testenv.Wait)
	if d.Text != "hello B" || d.LinkID == "" {
		t.Fatalf("B delivered %+v", d)
	}
	// The SMG has its acknowledgement (the MO is durable in the cluster),
	// while the entry stays pending for B until the SP answers.
	testenv.Eventually(t, testenv.Wait, "SMG A sees the MO acknowledged", func() bool { return a.SMG.Stats().MOAcked == 1 })
	pending := queuePending(t, c, "deliver/", "sp1")
	if pending != 1 {
		t.Fatalf("entries pending in sp1's queue before the SP answered: %d, want 1", pending)
	}
	// Unanswered, B sends it again after response_timeout; answered, the
	// entry leaves the queue.
	d2 := nextDelivery(t, onB, testenv.Wait)
	if d2.Text != "hello B" {
		t.Fatalf("resent %+v", d2)
	}
	testenv.Eventually(t, testenv.Wait, "the queue entry acknowledged after the SP's answer", func() bool {
		return answered.Load() == 1 && queuePending(t, c, "deliver/", "sp1") == 0
	})
	// The LinkID B delivered was issued on A: the SP's reply through B passes.
	if r := submit(t, onB, mt("13700000001", "NEWS", d.LinkID)); r != 0 {
		t.Fatalf("MT with the MO's LinkID on B: result %d", r)
	}
}

func TestKilledNodesDeliveriesAreClaimed(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	bin := testenv.BuildSpsmg(t)
	ns := startNodes(t, c, "kill/", 1, nil)
	a := ns[0]
	// Node B is a child process: it is killed with SIGKILL.
	wb := testenv.NewWorld(t, testenv.Options{Proto: proto, Store: storeYAML(c, "kill/", "B")})
	wb.StartChild(bin)
	// The SP on B takes MOs and never answers them: B holds them.
	onB := dial(t, &node{World: wb, id: "B"}, func(cc *sp.ClientConfig) { cc.NoDeliverAck = true })
	const n = 20
	for i := range n {
		if err := wb.SMG.InjectMO(mtMO("13600000001", "held "+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		nextDelivery(t, onB, testenv.Wait)
	}
	testenv.Eventually(t, testenv.Wait, "SMG B sees every MO acknowledged", func() bool { return wb.SMG.Stats().MOAcked == n })
	killedAt := time.Now()
	wb.Child.Kill()
	onB.Close()
	// The SP connects to A instead: A claims B's entries once B's
	// heartbeat has lapsed, and delivers every one.
	onA := dial(t, a, nil)
	got := map[string]bool{}
	for len(got) < n {
		d := nextDelivery(t, onA, 30*time.Second)
		got[d.Text] = true
	}
	t.Logf("%d MOs held by node B, killed with SIGKILL, delivered by node A %v after the kill", n, time.Since(killedAt).Round(time.Millisecond))
	testenv.Eventually(t, testenv.Wait, "the queue empty", func() bool { return queuePending(t, c, "kill/", "sp1") == 0 })
}

func TestMasterKilledDuringLoad(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ns := startNodes(t, c, "failover/", 2, nil)
	a, b := ns[0], ns[1]
	const user = "13500000001"
	if err := a.Engine.Subscribe("sp1", user, "NEWS", 0); err != nil {
		t.Fatal(err)
	}
	onA := dial(t, a, nil)
	onB := dial(t, b, nil)
	testenv.Eventually(t, testenv.Wait, "the subscription on B", func() bool { return submit(t, onB, mt(user, "NEWS", "")) == 0 })

	// Load: subscription MTs on both nodes (decided from memory), MOs
	// injected at both SMGs for the SP (connected to both nodes), API
	// subscriptions on A.
	var (
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		mtRefused atomic.Int64
		mtPassed  atomic.Int64
		subsMu    sync.Mutex
		subsOK    []string
		refusedMu sync.Mutex
		refusedBy = map[uint32]int{}
	)
	for _, cl := range []*sp.Client{onA, onB} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := submit(t, cl, mt(user, "NEWS", "")); r == 0 {
					mtPassed.Add(1)
				} else {
					mtRefused.Add(1)
					refusedMu.Lock()
					refusedBy[r]++
					refusedMu.Unlock()
				}
			}
		})
	}
	injected := 0
	inject := func() {
		for _, w := range []*node{a, b} {
			if err := w.SMG.InjectMO(mtMO("13500000002", "mo "+strconv.Itoa(injected))); err == nil {
				injected++
			}
		}
	}
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			u := fmt.Sprintf("1350010%04d", i)
			if err := a.Engine.Subscribe("sp1", u, "NEWS", 0); err == nil {
				subsMu.Lock()
				subsOK = append(subsOK, u)
				subsMu.Unlock()
			}
		}
	})
	received := map[string]bool{}
	var recvMu sync.Mutex
	for _, cl := range []*sp.Client{onA, onB} {
		go func() {
			for d := range cl.Deliveries() {
				recvMu.Lock()
				received[d.Text] = true
				recvMu.Unlock()
			}
		}()
	}
	for range 50 {
		inject()
		time.Sleep(2 * time.Millisecond)
	}
	// The master of sp1's queue, with every subscription write.
	slot := queueSlot("failover/", "sp1")
	killed := c.KillMaster(slot)
	killedAt := time.Now()
	for time.Since(killedAt) < 500*time.Millisecond {
		inject()
		time.Sleep(2 * time.Millisecond)
	}
	c.Failover(slot, killed, 30*time.Second)
	failedOverAt := time.Since(killedAt)
	for range 50 {
		inject()
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	// Every MO the SMGs saw acknowledged reached the SP.
	acked := int(a.SMG.Stats().MOAcked + b.SMG.Stats().MOAcked)
	testenv.Eventually(t, 30*time.Second, "every MO injected acknowledged and delivered", func() bool {
		recvMu.Lock()
		defer recvMu.Unlock()
		return int(a.SMG.Stats().MOAcked+b.SMG.Stats().MOAcked) == injected && len(received) == injected
	})
	t.Logf("master %s killed; failover after %v; %d MOs injected (%d acknowledged at the end of the load), all delivered; MTs from memory: %d passed, %d refused",
		killed, failedOverAt.Round(time.Millisecond), injected, acked, mtPassed.Load(), mtRefused.Load())
	if mtRefused.Load() != 0 {
		t.Errorf("%d subscription MTs refused during the failover (decided from memory, they must pass); by result: %v", mtRefused.Load(), refusedBy)
	}
	// Writes resumed, and every subscription A acknowledged is on B.
	subsMu.Lock()
	subs := append([]string(nil), subsOK...)
	subsMu.Unlock()
	if err := a.Engine.Flush(); err != nil {
		t.Fatalf("A's writes after the failover: %v", err)
	}
	testenv.Eventually(t, testenv.Wait, "every subscription made on A during the failover authorizes on B", func() bool {
		for _, u := range subs {
			if !b.Engine.Authorize(engineMT(u)).Allow {
				return false
			}
		}
		return true
	})
	t.Logf("%d API subscriptions on A during the load, all on B", len(subs))
}

func TestWholeClusterDown(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ns := startNodes(t, c, "down/", 2, nil)
	a, b := ns[0], ns[1]
	const user = "13400000001"
	if err := a.Engine.Subscribe("sp1", user, "NEWS", 0); err != nil {
		t.Fatal(err)
	}
	onA, onB := dial(t, a, nil), dial(t, b, nil)
	testenv.Eventually(t, testenv.Wait, "the subscription on B", func() bool { return submit(t, onB, mt(user, "NEWS", "")) == 0 })
	if err := a.SMG.InjectMO(mtMO(user, "before")); err != nil {
		t.Fatal(err)
	}
	link := nextDelivery(t, onA, testenv.Wait).LinkID

	// Every Redis node stops answering.
	for _, addr := range c.Addrs() {
		c.Freeze(addr)
	}
	frozenAt := time.Now()
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			for _, addr := range c.Addrs() {
				c.Thaw(addr)
			}
		}
	}
	defer thaw()
	for _, n := range ns {
		testenv.Eventually(t, testenv.Wait, "node "+n.id+" finds the cluster unreachable", func() bool {
			return n.GW.Readiness().Cluster != nil && !n.GW.Readiness().Cluster.Reachable
		})
	}
	t.Logf("cluster found unreachable %v after the freeze", time.Since(frozenAt).Round(time.Millisecond))
	// MT decided from memory go on; LinkID MTs, which need the cluster,
	// are refused with the retryable store_unavailable.
	for _, cl := range []*sp.Client{onA, onB} {
		if r := submit(t, cl, mt(user, "NEWS", "")); r != 0 {
			t.Errorf("subscription MT with the cluster down: result %d, want 0", r)
		}
		if r := submit(t, cl, mt(user, "NEWS", link)); r != resultUnavailable {
			t.Errorf("LinkID MT with the cluster down: result %d, want %d", r, resultUnavailable)
		}
	}
	// MO fail-open: delivered on the node's own connection, the SMG
	// acknowledged once the SP answered.
	ackedBefore := a.SMG.Stats().MOAcked
	if err := a.SMG.InjectMO(mtMO(user, "during")); err != nil {
		t.Fatal(err)
	}
	if d := nextDelivery(t, onA, testenv.Wait); d.Text != "during" {
		t.Fatalf("delivered %+v during the outage", d)
	}
	testenv.Eventually(t, testenv.Wait, "the MO acknowledged after the SP's answer", func() bool { return a.SMG.Stats().MOAcked == ackedBefore+1 })
	if code, r, err := readyz(a); err != nil || code != 200 || r.StoreAvailable {
		t.Errorf("/readyz during the outage: %d %+v %v (want ready, store not available)", code, r, err)
	}

	// The cluster returns: everything recovers.
	thaw()
	for _, n := range ns {
		testenv.Eventually(t, 30*time.Second, "node "+n.id+" finds the cluster again", func() bool {
			return n.GW.Readiness().Cluster.Reachable
		})
	}
	testenv.Eventually(t, 30*time.Second, "a LinkID MT passes again", func() bool {
		if err := a.SMG.InjectMO(mtMO(user, "after")); err != nil {
			return false
		}
		d := nextDelivery(t, onA, testenv.Wait)
		return submit(t, onB, mt(user, "NEWS", d.LinkID)) == 0
	})
	// A subscription made now reaches the other node.
	if err := b.Engine.Subscribe("sp1", "13400000002", "NEWS", 0); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.Wait, "a subscription on B after the outage authorizes on A", func() bool {
		return submit(t, onA, mt("13400000002", "NEWS", "")) == 0
	})
}

func readyz(n *node) (int, proxyReadiness, error) {
	r := n.GW.Readiness()
	code := 200
	if !r.Ready {
		code = 503
	}
	return code, r, nil
}

func TestReportArrivingAtBForMTSentThroughA(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ns := startNodes(t, c, "report/", 2, nil)
	a, b := ns[0], ns[1]
	const user = "13300000001"
	if err := a.Engine.Subscribe("sp1", user, "NEWS", 0); err != nil {
		t.Fatal(err)
	}
	onA := dial(t, a, nil) // the SP is connected to A only
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	m := mt(user, "NEWS", "")
	m.NeedReport = true
	r, err := onA.Submit(ctx, m)
	if err != nil || r.Result != 0 || len(r.MsgID) == 0 {
		t.Fatalf("MT through A: %+v, %v", r, err)
	}
	// The SMG behind B reports it (as an SMG may on any connection): B
	// finds the route A wrote in the cluster, and A delivers the report.
	testenv.Eventually(t, testenv.Wait, "the report injected at B reaches the SP on A", func() bool {
		if _, err := b.SMG.InjectReport(smg.Report{MsgID: r.MsgID, Stat: "EXPIRED", User: user, SPNumber: testenv.Access}); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(2 * time.Second)
		for {
			select {
			case d := <-onA.Deliveries():
				if d.IsReport && d.Stat == "EXPIRED" && string(d.ReportMsgID) == string(r.MsgID) {
					return true
				}
			case <-deadline:
				return false
			}
		}
	})
}

func TestAccountLimitsAcrossNodes(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	const tps = 200
	ns := startNodes(t, c, "limits/", 2, func(o *testenv.Options) {
		o.Account = map[string]string{"max_connections": "2", "tps": strconv.Itoa(tps)}
	})
	a, b := ns[0], ns[1]
	const user = "13200000001"
	if err := a.Engine.Subscribe("sp1", user, "NEWS", 0); err != nil {
		t.Fatal(err)
	}
	begin := time.Now() // before any login takes tokens from the bucket

	t.Run("max_connections counts the connections of every node", func(t *testing.T) {
		onA := dial(t, a, nil)
		dial(t, b, nil)
		ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
		defer cancel()
		for _, n := range ns {
			if cl, err := sp.Dial(ctx, n.ClientConfig()); err == nil {
				cl.Close()
				t.Fatalf("a third connection of sp1 logged in on node %s with max_connections 2", n.id)
			}
		}
		onA.Close()
		testenv.Eventually(t, testenv.Wait, "a place freed on A is taken on B", func() bool {
			cl, err := sp.Dial(ctx, b.ClientConfig())
			if err != nil {
				return false
			}
			t.Cleanup(func() { cl.Close() })
			return true
		})
	})

	t.Run("tps holds for the account as a whole", func(t *testing.T) {
		start := time.Now()
		clients := []*sp.Client{dial(t, a, nil), dial(t, b, nil)}
		var passed, refused atomic.Int64
		var wg sync.WaitGroup
		const blast = 1500 * time.Millisecond
		for _, cl := range clients {
			wg.Go(func() {
				for time.Since(start) < blast {
					if submit(t, cl, mt(user, "NEWS", "")) == 0 {
						passed.Add(1)
					} else {
						refused.Add(1)
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		// Every token came from the account's bucket: at most a burst
		// (tps/10) plus tps a second since the first login took tokens
		// (in the subtest before: the pools may hold tokens from then).
		limit := int64(tps/10) + int64(tps*time.Since(begin).Seconds()) + 1
		t.Logf("two nodes, %v: %d MT passed (bound %d, rate %.0f/s for tps %d), %d refused", elapsed.Round(time.Millisecond),
			passed.Load(), limit, float64(passed.Load())/elapsed.Seconds(), tps, refused.Load())
		if passed.Load() > limit {
			t.Errorf("%d MT passed in %v on two nodes: above the account's tps %d (bound %d)", passed.Load(), elapsed, tps, limit)
		}
		if passed.Load() < limit/2 {
			t.Errorf("%d MT passed in %v: less than half of what tps %d allows", passed.Load(), elapsed, tps)
		}
		if refused.Load() == 0 {
			t.Errorf("nothing refused: the load did not reach the limit")
		}
	})
}
