package proxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/cluster"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// Several nodes (docs/cluster.md). With Options.Cluster the gateway is one
// of several spsmg nodes sharing a Redis Cluster. MO and status reports
// then travel through a durable queue per account in the cluster instead
// of the node's own outbox, so that whichever node the SMG hands them to,
// the node that holds the SP's connection delivers them:
//
//	SMG ─▶ node A: fromSMG ─▶ producer ─ Enqueue (XADD, WAIT) ─▶ queue of the account ─▶ the SMG acknowledged
//	                                     │ claimed by A (A has a connection of the account and nothing older waits)
//	                                     ▼
//	          A's connection to the SP ◀─ local queue        node B (has a connection): reader ─ XREADGROUP ─▶ B's local queue ─▶ SP
//	SP answers ─▶ Ack (XACK, XDEL)                                                          SP answers ─▶ Ack
//
// An entry a node has taken stays pending for that node (its consumer in
// the queue's group) until the SP answered it; a node killed with kill -9
// leaves its entries pending, and once its heartbeat has lapsed a node
// with a connection of the account claims them (ClaimDead) and delivers
// them. A node that loses its last connection of an account puts what it
// took back (Release) for the others.
//
// The node also keeps the accounts' limits with the others: logins count
// against max_connections across the live nodes (AcquireConn, one script
// at login, off the event loop), and TPS tokens come from one bucket per
// account in the cluster, taken in chunks (clusterTokens). A heartbeat
// every second keeps the node alive, renews its connection counts and
// watches the cluster: unreachable for clusterDownAfter, the engine is
// told (LinkID MTs refused at once, MO fail-open) and limits fall back to
// this node's share.

const (
	heartbeatEvery   = time.Second
	nodeTTL          = 5 * time.Second // a node is dead this long after its last heartbeat
	clusterDownAfter = 3 * time.Second // heartbeats failing this long: the cluster is down
	claimEvery       = 2 * time.Second // how often readers look for a dead node's entries
	claimMinIdle     = time.Second     // of two nodes claiming at once, one gets each entry
	readBlock        = time.Second
	readCount        = 64
	enqueueBatch     = 1024
	clusterCallLimit = 10 * time.Second // one cluster call from the node's goroutines
)

// clusterNode is the gateway's side of the cluster. Its goroutines are the
// heartbeat, the producer (appends to queues), the acker and one reader per
// partition with accounts to read; none runs on an event loop.
type clusterNode struct {
	g *Gateway
	b cluster.Backend

	live     atomic.Pointer[[]string]
	down     atomic.Bool
	lastOK   atomic.Int64 // unix ns of the last heartbeat that succeeded
	failures atomic.Uint64

	// producer
	mu      sync.Mutex
	pending []queued
	wake    chan struct{}

	// acker
	ackMu   sync.Mutex
	acks    map[string][]string
	ackWake chan struct{}

	// readers, by partition
	rmu     sync.Mutex
	readers map[int]*reader

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	enqueued, claimed, released, enqueueErrors, fallbacks atomic.Uint64
}

type queued struct {
	a  *account
	d  *delivery
	ak *ack
}

func newClusterNode(g *Gateway, b cluster.Backend) *clusterNode {
	c := &clusterNode{g: g, b: b, wake: make(chan struct{}, 1), ackWake: make(chan struct{}, 1),
		acks: map[string][]string{}, readers: map[int]*reader{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.lastOK.Store(time.Now().UnixNano())
	live := []string{b.NodeID()}
	c.live.Store(&live)
	return c
}

// start runs the node's goroutines (at boot).
func (c *clusterNode) start() {
	c.wg.Add(3)
	go c.heartbeatLoop()
	go c.produce()
	go c.ackLoop()
	for _, a := range c.g.accounts.Load().byID {
		if a.cfg.Load().Receiver != nil { // SGIP: any node may dial the SP's receiver
			c.watch(a)
		}
	}
}

// stop ends the goroutines and puts back what the node took and did not
// deliver, so that the other nodes deliver it at once (at Shutdown, after
// the event loops stopped).
func (c *clusterNode) stop() {
	c.cancel()
	c.wg.Wait()
	for _, a := range c.g.accounts.Load().byID {
		c.releaseAll(a)
	}
	c.flushAcks(context.Background())
}

// reachable reports whether the cluster answered lately.
func (c *clusterNode) reachable() bool { return !c.down.Load() }

// liveNodes returns the nodes alive at the last heartbeat.
func (c *clusterNode) liveNodes() []string { return *c.live.Load() }

func (c *clusterNode) heartbeatLoop() {
	defer c.wg.Done()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	prev := map[string]int{}
	for {
		conns := map[string]int{}
		for id, a := range c.g.accounts.Load().byID {
			if n := int(a.conns.Load()); n > 0 || prev[id] > 0 {
				conns[id] = n
			}
		}
		ctx, cancel := context.WithTimeout(c.ctx, heartbeatEvery)
		live, err := c.b.Heartbeat(ctx, nodeTTL, conns)
		cancel()
		if c.ctx.Err() != nil {
			return
		}
		if err == nil {
			prev = conns
			c.lastOK.Store(time.Now().UnixNano())
			old := c.liveNodes()
			sort.Strings(live)
			c.live.Store(&live)
			if !slices.Equal(old, live) {
				c.g.log.Info("cluster: live nodes", "nodes", len(live), "ids", live)
				c.g.setNodeShares(len(live))
			}
			if c.down.Swap(false) {
				c.g.log.Info("cluster: reachable again")
				c.g.auth.MarkSharedDown(false)
				for _, a := range c.g.accounts.Load().byID {
					if a.conns.Load() > 0 {
						a.ctok.refill(c, a)
					}
				}
			}
		} else {
			c.failures.Add(1)
			if time.Since(time.Unix(0, c.lastOK.Load())) >= clusterDownAfter && !c.down.Swap(true) {
				c.g.log.Error("cluster: unreachable; LinkID MTs refused, other MTs decided from memory, MO delivered on this node only, limits this node's share", "err", err)
				c.g.auth.MarkSharedDown(true)
			}
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setNodeShares sets the accounts' local limiters, used while the cluster
// is unreachable, to an equal share of their TPS among n live nodes.
func (g *Gateway) setNodeShares(n int) {
	if n < 1 {
		n = 1
	}
	g.nodeShare.Store(int32(n))
	now := time.Now()
	for _, a := range g.accounts.Load().byID {
		tps := a.cfg.Load().TPS
		a.limiter.SetLimitAt(now, localLimit(tps, n))
		a.limiter.SetBurstAt(now, max(burst(tps)/n, 1))
	}
}

// ---- producer ----

// add queues a delivery for the producer. Any goroutine.
func (c *clusterNode) add(a *account, d *delivery, ak *ack) {
	c.mu.Lock()
	c.pending = append(c.pending, queued{a: a, d: d, ak: ak})
	first := len(c.pending) == 1
	c.mu.Unlock()
	if first {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// produce appends queued deliveries to their accounts' queues in batches
// and acknowledges each to the SMG once it is durable.
func (c *clusterNode) produce() {
	defer c.wg.Done()
	var items []cluster.Item
	for {
		select {
		case <-c.ctx.Done():
			c.failPending()
			return
		case <-c.wake:
		}
		for {
			c.mu.Lock()
			batch := c.pending
			if len(batch) > enqueueBatch {
				batch = batch[:enqueueBatch]
			}
			c.pending = c.pending[len(batch):]
			if len(c.pending) == 0 {
				c.pending = nil
			}
			c.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			items = items[:0]
			limit := c.g.cfgLoad().Gateway.OutboxLimit
			barrier := false
			for _, q := range batch {
				items = append(items, cluster.Item{Account: q.a.id, Payload: deliveryPayload(q.d),
					Claim: q.a.hasReceiver(), Limit: limit})
				barrier = barrier || q.d.mo
			}
			if barrier {
				c.writesDurable(clusterCallLimit)
			}
			var err error
			if c.down.Load() {
				err = errClusterDown
			} else {
				ctx, cancel := context.WithTimeout(c.ctx, clusterCallLimit)
				err = c.b.Enqueue(ctx, items)
				cancel()
			}
			for i, q := range batch {
				it := &items[i]
				if it.Err == nil {
					it.Err = err
				}
				c.settle(q, it)
			}
		}
	}
}

// writesDurable waits until the engine's writes queued so far are in the
// cluster (or within passes): an MO's LinkID record must be there before
// the MO can reach the SP through any node, or the SP's answer through
// another node would find no LinkID.
func (c *clusterNode) writesDurable(within time.Duration) {
	done := make(chan error, 1)
	if err := c.g.auth.Persist(func(err error) { done <- err }); err != nil {
		return
	}
	select {
	case <-done:
	case <-time.After(within):
	case <-c.ctx.Done():
	}
}

// settle acts on one delivery's Enqueue result.
func (c *clusterNode) settle(q queued, it *cluster.Item) {
	g := c.g
	switch {
	case it.Err != nil:
		c.enqueueErrors.Add(1)
		if q.a.hasReceiver() {
			// MO fail-open: deliver on this node's own connection, and
			// acknowledge the SMG only when the SP has answered.
			c.fallbacks.Add(1)
			q.d.holdAck = q.ak
			c.push(q.a, q.d)
			return
		}
		g.logRL(slog.LevelWarn, "cluster: delivery not queued; the SMG will send it again", "account", q.a.id, "err", it.Err)
		q.ak.refuse(nil, reason.UpstreamUnavailable)
	case it.Full:
		g.deliver.counters.outboxFull.Add(1)
		q.ak.refuse(nil, reason.UpstreamUnavailable)
	default:
		c.enqueued.Add(1)
		q.ak.send(nil, 0)
		if it.Claimed {
			q.d.sid = it.ID
			c.push(q.a, q.d)
		}
	}
}

// failPending answers what the producer still holds at stop.
func (c *clusterNode) failPending() {
	c.mu.Lock()
	rest := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, q := range rest {
		q.ak.refuse(nil, reason.UpstreamUnavailable)
	}
}

var errClusterDown = clusterError("cluster unreachable")

type clusterError string

func (e clusterError) Error() string { return string(e) }

// deliveryPayload is how a delivery travels in a queue: its kind and frame.
func deliveryPayload(d *delivery) []byte {
	v := make([]byte, 0, 1+len(d.frame))
	v = append(v, byte(d.kind))
	return append(v, d.frame...)
}

// push puts a delivery this node took in the account's local queue and
// gets a connection to send it. Any goroutine.
func (c *clusterNode) push(a *account, d *delivery) {
	a.queue.mu.Lock()
	d.key = c.g.deliver.outbox.next()
	a.queue.pushLocked(d)
	a.queue.mu.Unlock()
	a.queue.kick()
}

// ---- acker ----

// ack acknowledges a delivered entry (batched). Any goroutine.
func (c *clusterNode) ack(account, id string) {
	c.ackMu.Lock()
	c.acks[account] = append(c.acks[account], id)
	first := len(c.acks) == 1 && len(c.acks[account]) == 1
	c.ackMu.Unlock()
	if first {
		select {
		case c.ackWake <- struct{}{}:
		default:
		}
	}
}

func (c *clusterNode) ackLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.ackWake:
		}
		c.flushAcks(c.ctx)
	}
}

func (c *clusterNode) flushAcks(ctx context.Context) {
	c.ackMu.Lock()
	acks := c.acks
	c.acks = map[string][]string{}
	c.ackMu.Unlock()
	for account, ids := range acks {
		cctx, cancel := context.WithTimeout(ctx, clusterCallLimit)
		err := c.b.Ack(cctx, account, ids...)
		cancel()
		if err != nil {
			// Not lost: the entries stay pending for this node, and are
			// delivered again if it dies (at least once).
			c.g.logRL(slog.LevelWarn, "cluster: deliveries not acknowledged in the queue", "account", account, "err", err)
		}
	}
}

// ---- readers ----

// reader takes the entries of one partition's queues for the accounts of
// this node that have a connection to deliver them on.
type reader struct {
	c        *clusterNode
	p        int
	mu       sync.Mutex
	accounts map[string]*account
	ownRead  map[string]bool // ReadOwn done for the account
	kick     chan struct{}
}

// watch starts reading account a's queue (a got a connection that takes
// deliveries, or it is an SGIP account). Any goroutine.
func (c *clusterNode) watch(a *account) {
	if c.ctx.Err() != nil {
		return
	}
	p := c.b.Partition(a.id)
	c.rmu.Lock()
	r := c.readers[p]
	if r == nil {
		r = &reader{c: c, p: p, accounts: map[string]*account{}, ownRead: map[string]bool{}, kick: make(chan struct{}, 1)}
		c.readers[p] = r
		c.wg.Add(1)
		go r.run()
	}
	c.rmu.Unlock()
	r.mu.Lock()
	r.accounts[a.id] = a
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// roomOf is how many more entries the node takes for a now: its local
// queue holds at most twice the delivery windows of its connections.
func (c *clusterNode) roomOf(a *account) int {
	a.mu.Lock()
	n := len(a.receivers)
	a.mu.Unlock()
	limit := 2 * c.g.cfgLoad().Gateway.DeliverWindow * max(n, 1)
	return limit - a.queue.Len()
}

func (r *reader) run() {
	c := r.c
	defer c.wg.Done()
	lastClaim := time.Now()
	for c.ctx.Err() == nil {
		var names []string
		var gone []*account
		var fresh []*account
		r.mu.Lock()
		for id, a := range r.accounts {
			if c.g.accounts.Load().byID[id] != a || !a.hasReceiver() && a.cfg.Load().Receiver == nil {
				gone = append(gone, a)
				delete(r.accounts, id)
				delete(r.ownRead, id)
				continue
			}
			if !r.ownRead[id] {
				r.ownRead[id] = true
				fresh = append(fresh, a)
			}
			if c.roomOf(a) > 0 {
				names = append(names, id)
			}
		}
		r.mu.Unlock()
		for _, a := range fresh {
			r.readOwn(a)
		}
		for _, a := range gone {
			c.releaseAll(a)
		}
		if time.Since(lastClaim) >= claimEvery && c.reachable() {
			lastClaim = time.Now()
			r.claim()
		}
		if len(names) == 0 || !c.reachable() {
			select {
			case <-c.ctx.Done():
				return
			case <-r.kick:
			case <-time.After(readBlock):
			}
			continue
		}
		sort.Strings(names)
		ctx, cancel := context.WithTimeout(c.ctx, readBlock+clusterCallLimit)
		entries, err := c.b.Read(ctx, names, readCount, readBlock)
		cancel()
		if err != nil {
			if c.ctx.Err() == nil {
				c.g.logRL(slog.LevelWarn, "cluster: reading delivery queues failed", "err", err)
				select {
				case <-c.ctx.Done():
				case <-time.After(readBlock):
				}
			}
			continue
		}
		r.take(entries)
	}
}

// readOwn takes back the entries pending for this node's ID (taken before
// a restart with the same ID).
func (r *reader) readOwn(a *account) {
	ctx, cancel := context.WithTimeout(r.c.ctx, clusterCallLimit)
	defer cancel()
	entries, err := r.c.b.ReadOwn(ctx, a.id, 10000)
	if err != nil {
		r.c.g.logRL(slog.LevelWarn, "cluster: reading this node's pending deliveries failed", "account", a.id, "err", err)
		return
	}
	r.takeFor(a, entries)
}

// claim takes over the entries of dead nodes.
func (r *reader) claim() {
	c := r.c
	live := c.liveNodes()
	r.mu.Lock()
	accounts := make([]*account, 0, len(r.accounts))
	for _, a := range r.accounts {
		accounts = append(accounts, a)
	}
	r.mu.Unlock()
	for _, a := range accounts {
		ctx, cancel := context.WithTimeout(c.ctx, clusterCallLimit)
		entries, err := c.b.ClaimDead(ctx, a.id, live, claimMinIdle, 1000)
		cancel()
		if err != nil {
			c.g.logRL(slog.LevelWarn, "cluster: claiming a dead node's deliveries failed", "account", a.id, "err", err)
			continue
		}
		if len(entries) > 0 {
			c.claimed.Add(uint64(len(entries)))
			c.g.log.Info("cluster: took over the deliveries of a node no longer alive", "account", a.id, "deliveries", len(entries))
			r.takeFor(a, entries)
		}
	}
}

func (r *reader) take(entries []cluster.Entry) {
	byAccount := map[string][]cluster.Entry{}
	for _, e := range entries {
		byAccount[e.Account] = append(byAccount[e.Account], e)
	}
	t := r.c.g.accounts.Load()
	for id, es := range byAccount {
		a := t.byID[id]
		if a == nil { // removed by a reload meanwhile: another node may still know it
			ctx, cancel := context.WithTimeout(r.c.ctx, clusterCallLimit)
			_ = r.c.b.Release(ctx, id, es)
			cancel()
			continue
		}
		r.takeFor(a, es)
	}
}

// takeFor puts entries of a in its local queue. An entry that is not a
// delivery this code writes (its kind, a frame carrying its own length) is
// never sent to the SP: it is logged and removed.
func (r *reader) takeFor(a *account, entries []cluster.Entry) {
	for _, e := range entries {
		if err := checkPayload(e.Payload); err != nil {
			r.c.g.logRL(slog.LevelError, "cluster: unreadable entry in a delivery queue; removed", "account", a.id, "id", e.ID, "err", err)
			r.c.ack(a.id, e.ID)
			continue
		}
		d := &delivery{kind: codec.Kind(e.Payload[0]), frame: e.Payload[1:], sid: e.ID}
		r.c.push(a, d)
	}
}

// checkPayload checks a queue entry as deliveryPayload writes it.
func checkPayload(p []byte) error {
	if len(p) < 1 {
		return errors.New("empty")
	}
	switch codec.Kind(p[0]) {
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
	default:
		return fmt.Errorf("delivery kind %d", p[0])
	}
	if f := p[1:]; len(f) < 12 || int(binary.BigEndian.Uint32(f)) != len(f) {
		return fmt.Errorf("a frame of %d bytes that does not carry its own length", len(p)-1)
	}
	return nil
}

// releaseAll puts back the entries of a this node holds in its local queue
// (it has no connection left to deliver them on, or it stops), and answers
// the SMG busy for those it delivers without the cluster (fail-open).
func (c *clusterNode) releaseAll(a *account) {
	q := a.queue
	q.mu.Lock()
	var keep []*delivery
	var back []cluster.Entry
	var busy []*ack
	for d := q.popLocked(); d != nil; d = q.popLocked() {
		switch {
		case d.sid != "":
			back = append(back, cluster.Entry{Account: a.id, ID: d.sid, Payload: deliveryPayload(d)})
		case d.holdAck != nil:
			busy = append(busy, d.holdAck)
		default:
			keep = append(keep, d)
		}
	}
	for _, d := range keep {
		q.pushLocked(d)
	}
	q.mu.Unlock()
	for _, ak := range busy {
		ak.refuse(nil, reason.UpstreamUnavailable)
	}
	if len(back) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterCallLimit)
	defer cancel()
	if err := c.b.Release(ctx, a.id, back); err != nil {
		// They stay pending for this node: claimed by another once it is
		// gone, or read again by it (ReadOwn) if it comes back.
		c.g.log.Warn("cluster: deliveries not put back in the queue", "account", a.id, "deliveries", len(back), "err", err)
		return
	}
	c.released.Add(uint64(len(back)))
}

// hasReceiver reports whether a has a logged-in connection that takes
// deliveries on this node. Any goroutine.
func (a *account) hasReceiver() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.receivers {
		if !r.closed.Load() {
			return true
		}
	}
	return false
}

// migrateOutbox moves the deliveries an outbox in the store holds (a node
// that ran alone on this store before) into the accounts' queues, and
// deletes them from the outbox. In New, before anything connects. Several
// nodes starting at once may each move a record: it is then delivered
// twice (at least once).
func (c *clusterNode) migrateOutbox() {
	g := c.g
	var items []cluster.Item
	var keys [][]byte
	err := g.auth.Store().Scan([]byte(outboxPrefix), func(key, value []byte) error {
		id, _, ok := parseOutboxKey(key)
		if !ok || len(value) < 1 {
			return nil
		}
		items = append(items, cluster.Item{Account: string(id), Payload: clone(value)})
		keys = append(keys, clone(key))
		return nil
	})
	if err != nil {
		g.log.Error("cluster: reading the outbox to move it failed", "err", err)
		return
	}
	if len(items) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.b.Enqueue(ctx, items); err != nil {
		g.log.Error("cluster: moving the outbox to the queues failed; it stays", "err", err)
		return
	}
	moved := 0
	for i := range items {
		if items[i].Err != nil {
			continue
		}
		_ = g.auth.Enqueue(authcache.Mutation{Key: keys[i], Delete: true})
		moved++
	}
	if err := g.auth.Flush(); err != nil {
		g.log.Warn("cluster: outbox records moved but not deleted; they will be moved again", "err", err)
	}
	g.log.Info("cluster: the outbox moved to the accounts' queues", "deliveries", moved, "of", len(items))
}
