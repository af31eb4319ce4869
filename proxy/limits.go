package proxy

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/time/rate"

	"github.com/spsmg/spsmg/codec"
)

// Account limits across nodes (several nodes on one cluster, cluster.go).
//
// max_connections. A login that passes every local check (this node's own
// count included) asks the cluster for a place: one script counts the
// account's connections on every live node (each node's count is a lease
// renewed by its heartbeat, lapsing nodeTTL after a node dies) and adds
// this one only if the total stays within max_connections. The login is
// answered when the script has (off the event loop). Bound: never more
// than max_connections on the live nodes; the places of a node killed with
// kill -9 stay taken for up to nodeTTL (5 s) and refuse logins meanwhile.
// While the cluster is unreachable each node admits up to max_connections
// by itself.
//
// tps. The account has one token bucket in the cluster (rate tps, burst a
// tenth of a second's worth, on the cluster's clock). Each node takes
// tokens from it in chunks into a local pool, refilled off the event loop
// when it runs low, and its connections take their tokens from the pool in
// chunks as before (spConn.takeToken). Every token that lets an MT through
// came from the bucket, so over any interval T the account's MT on all
// nodes stay within tps×T + burst. Tokens sitting in the pools of nodes
// that do not use them (at most about a quarter of the burst per node,
// plus a chunk per connection) are not available to the others: that is
// the error of the method, always on the side of fewer MT. While the
// cluster is unreachable each node allows tps / (nodes alive at the last
// heartbeat).

// loginAcrossNodes asks the cluster for a place for this connection, then
// answers the login on the loop. The local count (a.conns) is already
// taken. Runs on s's loop.
func (s *spConn) loginAcrossNodes(frame []byte, req codec.LoginView, a *account, ac *accountConfig) {
	g := s.g
	f := clone(frame)
	s.state = spLoginWait
	go func() {
		ctx, cancel := context.WithTimeout(g.ctx, clusterCallLimit)
		ok, err := g.cl.b.AcquireConn(ctx, a.id, ac.MaxConnections, nodeTTL)
		cancel()
		st := codec.LoginOK
		switch {
		case err != nil:
			// The cluster did not answer: this node's own count holds.
			g.logRL(slog.LevelWarn, "cluster: connection count not checked across nodes; admitted by this node's count", "account", a.id, "err", err)
		case !ok:
			st = codec.LoginTooManyConnections
		default:
			a.ctok.fill(g.cl, a)
		}
		task := func(context.Context) error {
			l := s.l
			l.tick()
			r, derr := s.f.d.DecodeLogin(f)
			if s.closed.Load() || s.state != spLoginWait || derr != nil {
				a.conns.Add(-1) // the connection closed while the cluster answered
				if st == codec.LoginOK && err == nil {
					g.cl.releaseConn(a)
				}
				return nil
			}
			if st != codec.LoginOK {
				a.conns.Add(-1)
			}
			s.state = spLogin
			s.loginAnswer(f, &r, a, ac, st)
			l.flush()
			return nil
		}
		if s.l.el.Execute(context.Background(), gnet.RunnableFunc(task)) != nil {
			a.conns.Add(-1)
			if st == codec.LoginOK && err == nil {
				g.cl.releaseConn(a)
			}
		}
	}()
}

// releaseConn gives an account's place back in the cluster, off the loop.
func (c *clusterNode) releaseConn(a *account) {
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, clusterCallLimit)
		defer cancel()
		// A failure is corrected by the next heartbeat, which writes this
		// node's count.
		_ = c.b.ReleaseConn(ctx, a.id, nodeTTL)
	}()
}

// clusterTokens is a node's pool of an account's TPS tokens, taken from the
// account's bucket in the cluster.
type clusterTokens struct {
	pool      atomic.Int64
	refilling atomic.Bool
	// localUntil (unix ns): the bucket could not be reached lately (a
	// failover of its master, say); until then the account's tokens come
	// from this node's share (the local limiter), as when the whole
	// cluster is unreachable.
	localUntil atomic.Int64
}

// refillTimeout bounds one refill; a refill that fails or takes longer
// falls back to the node's share for localFallback.
const (
	refillTimeout = 300 * time.Millisecond
	localFallback = 2 * time.Second
)

// take gives s a chunk of tokens from the pool (spConn.takeToken). Runs on
// s's loop.
func (t *clusterTokens) take(s *spConn, a *account, ac *accountConfig, now time.Time) bool {
	chunk := int64(ac.tokenChunk)
	for {
		n := t.pool.Load()
		if n <= 0 {
			t.refill(s.g.cl, a)
			if now.UnixNano() < t.localUntil.Load() {
				return a.limiter.AllowN(now, 1)
			}
			return false
		}
		got := min(n, chunk)
		if t.pool.CompareAndSwap(n, n-got) {
			s.tokens = int(got) - 1
			if n-got < int64(refillSize(ac)) {
				t.refill(s.g.cl, a)
			}
			return true
		}
	}
}

// refillSize is the pool a node keeps: a quarter of the burst, and at
// least two connection chunks.
func refillSize(ac *accountConfig) int { return max(2*ac.tokenChunk, burst(ac.TPS)/4) }

// refill tops the pool up from the cluster, off the loop; one refill at a
// time. When the bucket is empty (the account is at its rate), the next
// refill waits until a pool's worth has accrued, at most 50 ms. Any
// goroutine.
func (t *clusterTokens) refill(c *clusterNode, a *account) {
	if c == nil || !t.refilling.CompareAndSwap(false, true) {
		return
	}
	go t.refillNow(c, a)
}

// fill fills an empty pool before it is needed (a login answered only once
// the pool has tokens, so that the SP's first Submits find some). Blocks
// on the network.
func (t *clusterTokens) fill(c *clusterNode, a *account) {
	if t.pool.Load() > 0 || !t.refilling.CompareAndSwap(false, true) {
		return
	}
	t.refillNow(c, a)
}

// refillNow takes tokens from the bucket into the pool; the caller set
// refilling.
func (t *clusterTokens) refillNow(c *clusterNode, a *account) {
	defer t.refilling.Store(false)
	ac := a.cfg.Load()
	want := refillSize(ac) + ac.tokenChunk - int(t.pool.Load())
	if want <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, refillTimeout)
	got, err := c.b.TakeTokens(ctx, a.id, float64(ac.TPS), burst(ac.TPS), want)
	cancel()
	if err != nil {
		t.localUntil.Store(time.Now().Add(localFallback).UnixNano())
		c.g.logRL(slog.LevelWarn, "cluster: TPS tokens not taken; this node's share applies meanwhile", "account", a.id, "err", err)
		return
	}
	t.pool.Add(int64(got))
	if got == 0 {
		wait := time.Duration(float64(refillSize(ac)) / float64(max(ac.TPS, 1)) * float64(time.Second))
		time.Sleep(min(wait, 50*time.Millisecond))
	}
}

// localLimit is an account's rate on one of n nodes while the cluster is
// unreachable.
func localLimit(tps, n int) rate.Limit { return rate.Limit(float64(tps) / float64(max(n, 1))) }
