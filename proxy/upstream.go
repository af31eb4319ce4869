package proxy

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

// upstream is one SMG that spsmg forwards MT to: its Dialect, its
// configuration, and its bind pool — binds_per_loop binds on every event
// loop, each in a slot of its own (health.go) — with the pool's health
// counters. It dials the binds off the loops, enrolls each on its loop, and
// replaces a lost one after a backoff.
//
//	Gateway.upstreams[i] ─ slots ─ bind (loop 0) … bind (loop n−1)
//	loop.ups[i]: the binds of upstream i on that loop (loopBinds)
//
// The gateway has one per entry of config upstreams: (one for upstream:);
// everything that belongs to one SMG lives here.
//
// Goroutines: ensure, dial, connect, lost and stopReconnecting run off the
// event loops (ensure and dial on goroutines of their own; lost is called
// on the bind's loop and only starts a goroutine); config, Ready, slotList
// and the counters are safe from any goroutine; pick and handOver run on
// the loop they are given (handover.go).
type upstream struct {
	g    *Gateway
	idx  int    // in Gateway.upstreams, and in every loop's ups
	name string // config upstreams[].name ("upstream" for upstream:): logs, metric labels

	// d is the upstream's Dialect; seqOff and seqLen its sequence layout,
	// read on every forwarded frame (copied out of d at newUpstream, so
	// that rewriting a sequence is a copy at an offset, no interface call).
	d              codec.Dialect
	seqOff, seqLen int
	// routeAtForward: a Submit that asks for a report gets its report
	// route before it is sent, and is sent once the route is durable (see
	// bind.forward). Only SGIP needs it: its report names the sequence
	// spsmg gave the Submit, which nothing but the route maps back to the
	// SP's, and that sequence is known before the Submit leaves. CMPP and
	// SMGP reports name the SMG's message id, known only from the
	// Submit_Resp; one whose route was lost in a crash is routed by its SP
	// number instead.
	routeAtForward bool

	cfg atomic.Pointer[config.Upstream] // swapped on reload (Gateway.applyConfig)

	mu      sync.Mutex
	stopped bool
	wanted  map[*loop]int // binds wanted per loop: dialling, logging in or ready
	slots   []*bindSlot   // every bind's place, in creation order (health.go)

	ready     atomic.Int32 // binds logged in and healthy, all loops
	unhealthy [unhealthyReasonCount]atomic.Uint64
	// failures: Submits (an SP's, or one part of a translated or split
	// one) the SMG left unanswered: timed out, or the bind was lost.
	failures atomic.Uint64

	// dialer, when set, replaces the TCP dial to the SMG (tests).
	dialer func(ctx context.Context, addr string) (net.Conn, error)
}

func newUpstream(g *Gateway, idx int, d codec.Dialect) *upstream {
	return &upstream{g: g, idx: idx, d: d, seqOff: d.Seq().Offset, seqLen: d.Seq().Len,
		routeAtForward: d.SubmitIDIsSeq(), wanted: make(map[*loop]int)}
}

// resultOf is this upstream's protocol's result code for o (the result
// tables of the configuration in force). Any goroutine.
func (u *upstream) resultOf(o reason.Reason) uint32 {
	for _, f := range u.g.faces {
		if u.d.Protocol().Family() == f.d.Protocol().Family() {
			return f.resultOf(o)
		}
	}
	return u.g.cfgLoad().Results.Table(u.d.Protocol().Family())[o]
}

// config is the upstream's part of the configuration in force. Any
// goroutine.
func (u *upstream) config() *config.Upstream { return u.cfg.Load() }

// putSeq writes into dst the sequence of a request spsmg sends to this
// SMG with counter: SGIP puts spsmg's node id and the loop's MMDDhhmmss
// time before it. dst must already be on the heap (a ring slot): a stack
// array handed to the Dialect through its interface would escape, an
// allocation per forwarded Submit (TestForwardingAllocations).
func (u *upstream) putSeq(dst *wireSeq, mmddhhmmss, counter uint32) {
	u.d.PutSeq(dst[:u.seqLen], u.g.node, mmddhhmmss, counter)
}

// ensure starts binds on l until it has binds_per_loop of them. Any
// goroutine.
func (u *upstream) ensure(l *loop) {
	cfg := u.config()
	u.mu.Lock()
	defer u.mu.Unlock()
	for !u.stopped && u.wanted[l] < cfg.BindsPerLoop {
		u.wanted[l]++
		// Bind ids are the gateway's, not the upstream's: /readyz, the
		// metrics and the admin API name a bind by its id alone.
		slot := &bindSlot{id: int(u.g.bindIDs.Add(1)), loop: l.idx}
		u.slots = append(u.slots, slot)
		b := newBind(u, slot, cfg.Window)
		go u.dial(l, b, 0)
	}
}

// dial connects b after delay and enrolls it on l, retrying with a growing
// backoff until the bind is enrolled or the upstream stops (shutdown). Runs
// on its own goroutine: dialing blocks, which a loop must never do. The
// retries are a loop: a recursive retry kept every failed attempt's frame
// on the goroutine's stack for as long as the SMG stayed unreachable.
func (u *upstream) dial(l *loop, b *bind, delay time.Duration) {
	var wait *time.Timer
	for {
		if delay > 0 {
			if wait == nil {
				wait = time.NewTimer(delay)
				defer wait.Stop()
			} else {
				wait.Reset(delay)
			}
			select {
			case <-wait.C:
			case <-u.g.ctx.Done():
				u.forget(l)
				return
			}
		}
		cfg := u.config()
		err := u.connect(l, b, cfg)
		if err == nil {
			return
		}
		b.attempt++
		delay = backoff(cfg.ReconnectMin, cfg.ReconnectMax, b.attempt)
		u.g.log.Warn("upstream dial failed", "addr", cfg.Addr, "bind", b.id, "err", err, "retry_in", delay.Round(time.Millisecond))
		if u.isStopped() || u.g.ctx.Err() != nil {
			u.forget(l)
			return
		}
	}
}

// connect makes one attempt: dial the SMG and enroll the connection on l,
// where OnOpen sends the login. Its caller's goroutine.
func (u *upstream) connect(l *loop, b *bind, cfg *config.Upstream) error {
	b.slot.setState(slotDialing)
	nc, err := u.dialContext(u.g.ctx, cfg)
	if err != nil {
		return err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // gnet's options are not applied on the Enroll path
	}
	ch, err := l.el.Enroll(gnet.NewContext(context.Background(), b), nc)
	if err != nil {
		return err
	}
	return (<-ch).Err
}

// dialContext opens a TCP connection to the SMG. Tests replace it
// (upstream.dialer) to count and fail attempts.
func (u *upstream) dialContext(ctx context.Context, cfg *config.Upstream) (net.Conn, error) {
	if u.dialer != nil {
		return u.dialer(ctx, cfg.Addr)
	}
	d := net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: time.Minute}
	return d.DialContext(ctx, "tcp", cfg.Addr)
}

// backoff is exponential from min to max with ±50% jitter, so that many
// gateways restarted together do not reconnect in step.
func backoff(min, max time.Duration, attempt int) time.Duration {
	d := min
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d)+1))
}

func (u *upstream) forget(l *loop) {
	u.mu.Lock()
	u.wanted[l]--
	u.mu.Unlock()
}

func (u *upstream) isStopped() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stopped
}

// lost: on b's loop, from OnClose. A new bind replaces it after a
// backoff: short when b had logged in, growing while logins keep failing
// or while the slot's binds keep being found unhealthy.
func (u *upstream) lost(b *bind, err error) {
	attempt := b.attempt + 1
	if b.loggedIn {
		attempt = 1 + b.slot.streak
	}
	cfg := u.config()
	if !u.g.shutdown.Load() {
		u.g.log.Warn("upstream bind closed", "bind", b.id, "reason", b.closeWhy.String(), "err", err)
	}
	if u.isStopped() {
		u.forget(b.l)
		return
	}
	nb := newBind(u, b.slot, cfg.Window)
	nb.attempt = attempt
	go u.dial(b.l, nb, backoff(cfg.ReconnectMin, cfg.ReconnectMax, attempt))
}

// stopReconnecting: at shutdown, lost binds are not replaced.
func (u *upstream) stopReconnecting() {
	u.mu.Lock()
	u.stopped = true
	u.mu.Unlock()
}

// slotList is a copy of the slots. Any goroutine.
func (u *upstream) slotList() []*bindSlot {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*bindSlot(nil), u.slots...)
}

// Ready is the number of logged-in, healthy binds, all loops. Any
// goroutine.
func (u *upstream) Ready() int { return int(u.ready.Load()) }

// pick returns a bind of this upstream on loop l that can take one more
// request, round robin among l's binds, or nil. Runs on l.
func (u *upstream) pick(l *loop) *bind { return l.ups[u.idx].pick() }

// loopBinds are one upstream's binds on one event loop. Only that loop
// touches binds, next and handNext; ready is read by other loops (the
// hand-over) and by Originate.
type loopBinds struct {
	binds []*bind
	next  int // round robin among the ready binds
	// handNext: where the next hand-over from this loop starts looking
	// among the other loops (handover.go).
	handNext int
	ready    atomic.Int32 // binds logged in, healthy and in rotation
	// rtt: this upstream's Submit round trips on this loop, kept when
	// there are several upstreams (the loop's submitRTT has them all).
	rtt histogram
}

// pick returns a ready bind with room in its window, round robin, or nil.
func (lb *loopBinds) pick() *bind {
	// Indices wrap by comparison, not %: two integer divisions per Submit
	// were a visible share of submit's time in the profile.
	n, i := len(lb.binds), lb.next
	for tries := 0; tries < n; tries++ {
		if i >= n {
			i = 0
		}
		b := lb.binds[i]
		i++
		if b.ready() {
			lb.next = i
			return b
		}
	}
	return nil
}

func (lb *loopBinds) remove(b *bind) {
	for i, x := range lb.binds {
		if x == b {
			lb.binds = append(lb.binds[:i], lb.binds[i+1:]...)
			return
		}
	}
}
