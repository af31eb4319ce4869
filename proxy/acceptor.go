package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/panjf2000/gnet/v2"
)

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
	g  *Gateway
	ln net.Listener
	up *upstream // SGIP: the inbound listener of this upstream's SMG; nil: an SP listener
}

// accepted is the context an accepted connection is registered with; OnOpen
// replaces it with the connection's session, which takes over src's
// pre-login count (preloginCounts).
type accepted struct {
	up  *upstream  // SGIP inbound: the upstream whose SMG connected; nil: an SP
	src netip.Addr // sourceKey of the peer, counted in Gateway.prelogin
}

// listen opens a listening socket: an SP listener (up nil) or the SGIP
// inbound listener of upstream up.
func (g *Gateway) listen(addr string, up *upstream) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	g.acceptors = append(g.acceptors, &acceptor{g: g, ln: ln, up: up})
	return nil
}

// run accepts until the listener is closed. Its own goroutine.
func (a *acceptor) run(eng gnet.Engine) {
	g := a.g
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
		ad := g.admission.Load()
		if !ad.allows(addr, a.up != nil) {
			// Nobody may log in from there: refuse before the connection
			// costs a slot, a loop's attention or a login timeout.
			nc.Close()
			g.closes[CloseIPNotAllowed].Add(1)
			g.logRLKey("connection refused "+CloseIPNotAllowed.String(), slog.LevelWarn,
				"connection refused: address outside every allow_ips", "peer", addr.String(), "inbound", a.up != nil)
			continue
		}
		src := sourceKey(addr)
		if !g.prelogin.acquire(src, ad.maxPrelogin) {
			nc.Close()
			g.closes[CloseTooManyFromIP].Add(1)
			g.logRLKey("connection refused "+CloseTooManyFromIP.String(), slog.LevelWarn,
				"connection refused: gateway.max_prelogin_per_ip reached", "peer", src.String(), "max", ad.maxPrelogin)
			continue
		}
		if g.connCount.Add(1) > g.maxConns {
			// Close at once: every connection over the cap would hold a
			// file descriptor the binds and the store need.
			g.connCount.Add(-1)
			g.prelogin.release(src)
			nc.Close()
			g.closes[CloseOverCapacity].Add(1)
			g.logRL(slog.LevelWarn, "connection refused: gateway.max_connections reached", "max", g.maxConns)
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			// gnet's socket options are not applied on the Register path.
			_ = tc.SetNoDelay(true)
			_ = tc.SetKeepAlivePeriod(time.Minute)
			_ = tc.SetKeepAlive(true)
		}
		ctx := gnet.NewNetConnContext(gnet.NewContext(context.Background(), accepted{up: a.up, src: src}), nc)
		ch, err := eng.Register(ctx)
		if err == nil {
			err = (<-ch).Err
		}
		if err != nil {
			// gnet closed nc; nothing opened on a loop.
			g.connCount.Add(-1)
			g.prelogin.release(src)
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
// Valid once ListenAndServe has started listening (after Ready).
func (g *Gateway) Addrs() []net.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]net.Addr, len(g.acceptors))
	for i, a := range g.acceptors {
		out[i] = a.ln.Addr()
	}
	return out
}

func (g *Gateway) closeListeners() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, a := range g.acceptors {
		_ = a.ln.Close()
	}
}
