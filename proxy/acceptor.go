package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// listeners is the gateway's accepting: its listening sockets (one
// acceptor each), the accept-time rules of the configuration in force
// (admission.go), and the counts they enforce — connections open
// (gateway.max_connections) and connections not logged in yet per source
// (gateway.max_prelogin_per_ip).
//
// Goroutines: listen before the engine runs; start at boot; each acceptor
// on a goroutine of its own; addrs and closeAll from any goroutine (under
// mu). The event loops give counts back (OnOpen while draining, OnClose, a
// login) through atomics and preloginCounts, whose mutex is taken once per
// connection, never per message.
type listeners struct {
	g         *Gateway
	mu        sync.Mutex
	acceptors []*acceptor
	admission atomic.Pointer[admission] // swapped on reload (Gateway.applyConfig)
	max       int64                     // accepted connections at most (gateway.max_connections; a restart applies a change)
	open      atomic.Int64              // accepted connections open, logged in or not
	prelogin  preloginCounts            // accepted, not logged in yet, per source
}

// defaultMaxConnections leaves room under the process's file-descriptor
// limit for the upstream binds, SGIP receivers, Badger's files and the HTTP
// server: a quarter of the limit, at least 256.
func defaultMaxConnections() int64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 1000
	}
	reserve := max(rl.Cur/4, 256)
	if rl.Cur <= reserve {
		return int64(rl.Cur / 2)
	}
	return int64(rl.Cur - reserve)
}

// listen opens a listening socket: an SP listener of face f (up nil) or
// the SGIP inbound listener of upstream up. It accepts once start runs.
func (ls *listeners) listen(addr string, up *upstream, f *spFace) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ls.mu.Lock()
	ls.acceptors = append(ls.acceptors, &acceptor{ls: ls, ln: ln, up: up, f: f})
	ls.mu.Unlock()
	return nil
}

// start runs every acceptor, each on its own goroutine (at boot, once the
// event loops are known).
func (ls *listeners) start(eng gnet.Engine) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, a := range ls.acceptors {
		go a.run(eng)
	}
}

// dropped gives back the counts of an accepted connection that never
// became a session: over the cap, refused by gnet, or opened while
// draining. Any goroutine.
func (ls *listeners) dropped(src netip.Addr) {
	ls.open.Add(-1)
	ls.prelogin.release(src)
}

// closed gives back the open count of an accepted connection that closed
// (its pre-login share went back at login or close: preloginSlot). Its
// loop.
func (ls *listeners) closed() { ls.open.Add(-1) }

// addrs are the listening addresses, in the order listen was called.
func (ls *listeners) addrs() []net.Addr {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out := make([]net.Addr, len(ls.acceptors))
	for i, a := range ls.acceptors {
		out[i] = a.ln.Addr()
	}
	return out
}

// closeAll stops accepting: every listening socket is closed, and each
// acceptor's goroutine returns.
func (ls *listeners) closeAll() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, a := range ls.acceptors {
		_ = a.ln.Close()
	}
}

// acceptor is one of spsmg's listening sockets: the SP listener of a
// protocol, or SGIP's inbound listener for the SMG's type-2 binds.
//
//	net.Listener.Accept ─▶ (admission, caps, keep-alive) ─▶ gnet Engine.Register ─▶ OnOpen on a loop
//
// spsmg accepts itself and hands each connection to gnet rather than let
// gnet listen: gnet's acceptor stops the whole engine on any accept error
// other than EAGAIN/EINTR/ECONNRESET/ECONNABORTED, EMFILE included
// (test/hostile TestFileDescriptorExhaustion), while this loop backs off
// and goes on, like net/http's Serve. It closes at once, before gnet sees
// them, connections from addresses no account allows, connections over
// gateway.max_prelogin_per_ip from one source, and connections over
// gateway.max_connections (admission.go). It also lets a test listen on
// port 0.
type acceptor struct {
	ls *listeners
	ln net.Listener
	up *upstream // SGIP: the inbound listener of this upstream's SMG; nil: an SP listener
	f  *spFace   // an SP listener's protocol
}

// accepted is the context an accepted connection is registered with; OnOpen
// replaces it with the connection's session, which takes over src's
// pre-login count (preloginCounts).
type accepted struct {
	up  *upstream  // SGIP inbound: the upstream whose SMG connected; nil: an SP
	f   *spFace    // an SP's: its listener's protocol
	src netip.Addr // sourceKey of the peer, counted in listeners.prelogin
}

// run accepts until the listener is closed. Its own goroutine.
func (a *acceptor) run(eng gnet.Engine) {
	ls, g := a.ls, a.ls.g
	var wait time.Duration
	for {
		nc, err := a.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE, ENFILE, ECONNABORTED…: back off and go on; the
			// connection stays in the listen backlog meanwhile.
			wait = min(max(2*wait, 5*time.Millisecond), time.Second)
			g.logRL(slog.LevelWarn, "accept failed; retrying", "addr", a.ln.Addr().String(), "err", err, "retry_in", wait)
			time.Sleep(wait)
			continue
		}
		wait = 0
		if g.draining.Load() {
			nc.Close()
			continue
		}
		var addr netip.Addr
		if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
			addr = ta.AddrPort().Addr().Unmap()
		}
		ad := ls.admission.Load()
		upIdx := -1
		if a.up != nil {
			upIdx = a.up.idx
		}
		if !ad.allows(addr, upIdx) {
			// Nobody may log in from there: refuse before the connection
			// costs a slot, a loop's attention or a login timeout.
			nc.Close()
			g.closes[CloseIPNotAllowed].Add(1)
			g.logRLKey("connection refused "+CloseIPNotAllowed.String(), slog.LevelWarn,
				"connection refused: address outside every allow_ips", "peer", addr.String(), "inbound", a.up != nil)
			continue
		}
		src := sourceKey(addr)
		if !ls.prelogin.acquire(src, ad.maxPrelogin) {
			nc.Close()
			g.closes[CloseTooManyFromIP].Add(1)
			g.logRLKey("connection refused "+CloseTooManyFromIP.String(), slog.LevelWarn,
				"connection refused: gateway.max_prelogin_per_ip reached", "peer", src.String(), "max", ad.maxPrelogin)
			continue
		}
		if ls.open.Add(1) > ls.max {
			// Close at once: every connection over the cap would hold a
			// file descriptor the binds and the store need.
			ls.dropped(src)
			nc.Close()
			g.closes[CloseOverCapacity].Add(1)
			g.logRL(slog.LevelWarn, "connection refused: gateway.max_connections reached", "max", ls.max)
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			// gnet's socket options are not applied on the Register path.
			_ = tc.SetNoDelay(true)
			_ = tc.SetKeepAlivePeriod(time.Minute)
			_ = tc.SetKeepAlive(true)
		}
		ctx := gnet.NewNetConnContext(gnet.NewContext(context.Background(), accepted{up: a.up, f: a.f, src: src}), nc)
		ch, err := eng.Register(ctx)
		if err == nil {
			err = (<-ch).Err
		}
		if err != nil {
			// gnet closed nc; nothing opened on a loop.
			ls.dropped(src)
			nc.Close()
			if g.shutdown.Load() {
				return
			}
			g.logRL(slog.LevelWarn, "handing a connection to the event loops failed", "err", err)
		}
	}
}

// Addrs are the addresses spsmg accepts on, SP listeners first then SGIP's
// inbound one, in config order; useful when the config asked for port 0.
// Valid once ListenAndServe has started listening (after Ready). Any
// goroutine.
func (g *Gateway) Addrs() []net.Addr { return g.listeners.addrs() }
