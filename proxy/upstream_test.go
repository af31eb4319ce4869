package proxy

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDialRetriesInALoop: while the SMG refuses connections, a bind's dial
// goroutine retries with backoff in a loop, its stack as deep after many
// attempts as after one (a retry by recursion added a frame per attempt for
// as long as the SMG stayed away), and it stops at shutdown, giving its
// place back so that nothing is left wanting a bind.
func TestDialRetriesInALoop(t *testing.T) {
	g := newUnitGateway(t)
	cfg := g.cfgLoad()
	cfg.Upstream.ReconnectMin, cfg.Upstream.ReconnectMax = time.Millisecond, 2*time.Millisecond
	u := g.upstreams[0]
	var attempts atomic.Int64
	u.dialer = func(ctx context.Context, addr string) (net.Conn, error) {
		attempts.Add(1)
		return nil, errors.New("connection refused (test)")
	}
	l := newLoop(g, nil, 0)
	u.mu.Lock()
	u.wanted[l] = 1
	u.mu.Unlock()
	b := newBind(u, &bindSlot{id: 1}, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		u.dial(l, b, 0)
	}()

	const many = 50
	if !pollFor(func() bool { return attempts.Load() >= many }) {
		t.Fatalf("%d dial attempts in 10 s, want %d (backoff 1–2 ms)", attempts.Load(), many)
	}
	if depth := dialFramesOfOneGoroutine(); depth != 1 {
		t.Fatalf("after %d attempts a goroutine holds %d frames of upstream.dial; want 1 (a loop, not recursion)", attempts.Load(), depth)
	}
	g.cancel() // shutdown
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the dial goroutine did not stop at shutdown")
	}
	if n := int64(b.attempt); n != attempts.Load() {
		t.Fatalf("the bind counts %d failed attempts, the dialer saw %d: the backoff does not grow with them", n, attempts.Load())
	}
	u.mu.Lock()
	wanted := u.wanted[l]
	u.mu.Unlock()
	if wanted != 0 {
		t.Fatalf("after the dial gave up the loop still wants %d binds", wanted)
	}
}

// dialFramesOfOneGoroutine is the most frames of upstream.dial that any one
// goroutine holds (0 when none dials).
func dialFramesOfOneGoroutine() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	most := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		most = max(most, strings.Count(g, "proxy.(*upstream).dial("))
	}
	return most
}
