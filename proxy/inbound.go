package proxy

import (
	"log/slog"
	"net"
	"net/netip"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

// inbound is an SGIP connection the SMG opened to spsmg (Bind type 2) to
// deliver MO, reports and user reports (docs/protocols/sgip12.md §2).
//
//	SMG ─Bind(2), Deliver/Report/UserRpt─▶ inbound ─▶ fromSMG ─▶ SP
type inbound struct {
	g          *Gateway
	up         *upstream // whose SMG this is
	l          *loop
	c          gnet.Conn
	out        output
	framer     codec.Framer
	remote     netip.Addr
	prelogin   preloginSlot // until the SMG's bind is accepted (admission.go)
	ready      bool
	closingNow bool
	openedAt   int64
	lastRecv   int64
	why        CloseReason
}

func newInbound(up *upstream, l *loop, c gnet.Conn) *inbound {
	g := up.g
	s := &inbound{g: g, up: up, l: l, c: c, framer: up.d.Framer(g.cfgLoad().Gateway.MaxFrameSize), openedAt: l.now, lastRecv: l.now}
	s.out = output{conn: c, loop: l, onSlow: func() { s.close(CloseSlowConsumer) }}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		s.remote, _ = netip.AddrFromSlice(a.IP)
		s.remote = s.remote.Unmap()
	}
	l.inbounds[s] = struct{}{}
	return s
}

// traffic is OnTraffic (see loop.readFrames).
func (s *inbound) traffic(c gnet.Conn) gnet.Action { return s.l.readFrames(c, s.framer, s) }

func (s *inbound) closing() bool { return s.closingNow }
func (s *inbound) received()     { s.lastRecv = s.l.now }

func (s *inbound) badFrame(err error) {
	s.g.logRL(slog.LevelWarn, "bad frame from the SMG (inbound)", "peer", s.remote.String(), "err", err)
	s.close(CloseProtocolError)
}

func (s *inbound) handle(frame []byte) {
	l, g := s.l, s.g
	v := &l.view
	if err := s.up.d.ParseView(frame, v); err != nil {
		g.logRL(slog.LevelWarn, "undecodable frame from the SMG (inbound)", "err", err)
		if v.Kind == codec.KindUnknown || v.Sequence == nil || !s.ready {
			// SGIP: close on an unknown command; and before the bind,
			// as a well-formed command other than Bind is.
			s.close(CloseProtocolError)
			return
		}
		if !v.Kind.IsResponse() {
			s.respond(v, s.up.resultOf(reason.Malformed))
		}
		return
	}
	l.stats.packet(sideSMG, dirIn, v.Kind)
	if !s.ready {
		if v.Kind != codec.KindLogin {
			s.close(CloseProtocolError)
			return
		}
		s.login(frame)
		return
	}
	switch v.Kind {
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
		g.deliver.fromSMG(s.up, l, &s.out, frame, v)
	case codec.KindLogout:
		s.respond(v, 0)
		s.close(CloseLogout)
	case codec.KindLogoutResp:
		s.close(CloseLogout)
	default:
		if !v.Kind.IsResponse() {
			s.respond(v, s.up.resultOf(reason.Malformed))
		}
	}
}

func (s *inbound) respond(v *codec.View, result uint32) {
	s.out.buf = s.up.d.AppendResp(s.out.buf, v, result)
	s.l.stats.packet(sideSMG, dirOut, v.Kind.Response())
	s.out.mark()
}

// login checks the SMG's Bind: type 2, the configured name and password,
// and the inbound IP white-list.
func (s *inbound) login(frame []byte) {
	g, u := s.g, s.up
	in := u.config().Inbound
	req, err := u.d.DecodeLogin(frame)
	if err != nil {
		s.close(CloseProtocolError)
		return
	}
	st := codec.LoginOK
	switch {
	case g.lockout.locked(req.Name, s.remote, s.l.wall):
		st = codec.LoginLockedOut
	case !allowed(in.AllowIPs, s.remote):
		st = codec.LoginBadIP
	case req.Mode != codec.LoginDeliver:
		st = codec.LoginBadMode
	case req.Name != in.Login || !u.d.VerifyLogin(&req, in.Secret):
		st = codec.LoginBadCredentials
	}
	s.out.buf = u.d.AppendLoginResp(s.out.buf, frame[u.seqOff:u.seqOff+u.seqLen], &req, st, in.Secret)
	s.l.stats.packet(sideSMG, dirOut, codec.KindLoginResp)
	s.out.mark()
	if st != codec.LoginOK {
		g.counters.loginFailures[st].Add(1)
		if st == codec.LoginBadIP {
			g.lockout.failIP(s.remote, s.l.wall)
		} else {
			g.lockout.fail(req.Name, s.remote, s.l.wall)
		}
		g.logRL(slog.LevelWarn, "SMG inbound bind refused", "peer", s.remote.String(), "status", st.String())
		s.close(CloseLoginFailed)
		return
	}
	s.ready = true
	s.prelogin.release(g)
}

func allowed(rules []string, addr netip.Addr) bool {
	if len(rules) == 0 {
		return true
	}
	for _, r := range rules {
		if p, err := config.ParseIPRule(r); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// sweep: login and idle timeouts (SGIP has no keep-alive).
func (s *inbound) sweep() {
	cfg := s.g.cfgLoad().Gateway
	switch {
	case !s.ready && s.l.now-s.openedAt > int64(cfg.LoginTimeout):
		s.close(CloseLoginTimeout)
	case s.l.now-s.lastRecv > int64(cfg.IdleTimeout):
		s.close(CloseIdle)
	}
}

func (s *inbound) close(why CloseReason) {
	if s.closingNow {
		return
	}
	s.closingNow, s.why = true, why
	s.out.closeWrite()
	_ = s.c.Close()
}

func (s *inbound) onClose(err error) {
	s.out.closed.Store(true)
	s.prelogin.release(s.g)
	delete(s.l.inbounds, s)
	if !s.closingNow {
		s.why = ClosePeer
	}
	s.g.closes[s.why].Add(1)
	if s.why != CloseLogout {
		s.g.logRL(slog.LevelInfo, "SMG inbound connection closed", "peer", s.remote.String(), "reason", s.why.String(), "err", err)
	}
}
