package proxy

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/config"
)

// upstream keeps binds_per_loop binds to the SMG on every event loop:
// dials them off the loops, enrolls each on its loop, and reconnects a lost
// one with exponential backoff and jitter.
type upstream struct {
	g *Gateway

	mu      sync.Mutex
	stopped bool
	nextID  int
	wanted  map[*loop]int // binds wanted per loop: dialling, logging in or ready
	slots   []*bindSlot   // every bind's place, in creation order (health.go)

	ready     atomic.Int32 // binds logged in and healthy, all loops
	unhealthy [unhealthyReasonCount]atomic.Uint64

	// dialer, when set, replaces the TCP dial to the SMG (tests).
	dialer func(ctx context.Context, addr string) (net.Conn, error)
}

func newUpstream(g *Gateway) *upstream {
	return &upstream{g: g, wanted: make(map[*loop]int)}
}

// ensure starts binds on l until it has binds_per_loop of them. Any
// goroutine.
func (u *upstream) ensure(l *loop) {
	per := u.g.cfgLoad().Upstream.BindsPerLoop
	u.mu.Lock()
	defer u.mu.Unlock()
	for !u.stopped && u.wanted[l] < per {
		u.wanted[l]++
		u.nextID++
		slot := &bindSlot{id: u.nextID, loop: l.idx}
		u.slots = append(u.slots, slot)
		b := newBind(u, slot, u.g.cfgLoad().Upstream.Window)
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
		cfg := u.g.cfgLoad().Upstream
		err := u.connect(l, b, &cfg)
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
	cfg := u.g.cfgLoad().Upstream
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

// Ready is the number of logged-in, healthy binds.
func (u *upstream) Ready() int { return int(u.ready.Load()) }
