package proxy

import (
	"context"
	"errors"
	"log/slog"
	"math/bits"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// connRole tells the two kinds of SP-facing connection apart.
type connRole uint8

const (
	// roleServer: an SP connected to spsmg and logs in (CMPP Connect, SMGP
	// Login, SGIP Bind type 1). It sends MT; in CMPP and SMGP it also takes
	// MO and reports.
	roleServer connRole = iota
	// roleReceiver: spsmg connected to an SGIP SP's own listener and bound
	// with type 2, to deliver MO and reports (docs/protocols/sgip12.md §2).
	roleReceiver
)

type spState uint8

const (
	spLogin spState = iota // awaiting the login (server) or its response (receiver)
	spReady
	spClosing
	spLoginWait // the login passed here; the cluster counts the connection (limits.go)
)

// spConn is one SP-facing connection, owned by one event loop.
//
//	SP ─Submit─▶ spConn.submit ─authorize─▶ bind.forward ─▶ SMG
//	SP ◀─resp── spConn.reply ◀── bind.response
//	SP ◀─Deliver── spConn.sendDelivery ◀── deliveryQueue
type spConn struct {
	id uint64 // this process's number for the connection (admin API, console)
	g  *Gateway
	// f is the connection's protocol: its listener's, or for a receiver
	// spsmg dialled its account's (face.go).
	f      *spFace
	l      *loop
	c      gnet.Conn
	out    output
	framer codec.Framer
	role   connRole
	acct   *account
	remote netip.Addr
	state  spState
	// prelogin: this connection's place under gateway.max_prelogin_per_ip
	// until it logs in or closes (accepted connections only).
	prelogin preloginSlot

	openedAt, lastRecv, lastSend int64
	atPending                    int    // active tests sent and unanswered
	counter                      uint32 // sequences of requests spsmg sends here

	inflight atomic.Int32 // Submits awaiting the SMG (touched by bind loops)
	closed   atomic.Bool
	closeWhy CloseReason

	// submits is set once logged in on a connection that carries MT (SGIP
	// type 1, CMPP, SMGP send/transmit, SMPP transmitter/transceiver).
	// Deliveries: receives is set once logged in on a connection that takes
	// MO and reports; awaiting holds what was sent and not yet answered.
	submits        bool
	receives       bool
	awaiting       map[uint32]*delivery
	delivering     atomic.Int32 // len(awaiting), read by other loops
	drainScheduled atomic.Bool  // a drainTask is queued on s's loop
	drainTask      gnet.RunnableFunc

	seq              wireSeq // the sequence of the request spsmg is sending here (putSeq)
	tokens           int     // TPS tokens taken from the account's limiter, not yet spent
	decisions        decisionCounts
	upstreamFailures atomic.Uint64
	// folded: the account has taken in decisions (removeConn); set under
	// the account's mu, on s's loop.
	folded bool

	// Counted on s's own loop and not yet in inflight and decisions: a
	// Submit forwarded and answered by a bind of s's loop (the usual case:
	// upstream.pick takes the loop's own binds) moves inflight twice and
	// settles once, and an atomic add per message is a locked instruction
	// (the proxy benchmark's profile had them at 10 % of the gateway's
	// CPU). loop.flush publishes them before its writes (publishPending).
	pend spPending
}

// spPending is what s's loop counted for s since its last flush.
type spPending struct {
	inflight int32
	settled  [reason.Count]uint32
	mask     uint32 // a bit per reason in settled counted
	queued   bool   // in loop.pendConns
}

func newSPConn(g *Gateway, l *loop, c gnet.Conn, role connRole, acct *account, f *spFace) *spConn {
	s := &spConn{id: g.connSeq.Add(1), g: g, f: f, l: l, c: c, role: role, acct: acct, decisions: newDecisionCounts(),
		awaiting: make(map[uint32]*delivery)}
	s.framer = f.d.Framer(g.cfgLoad().Gateway.MaxFrameSize)
	s.drainTask = func(context.Context) error {
		s.drainScheduled.Store(false)
		s.l.tick()
		s.drain()
		s.l.flush()
		return nil
	}
	if c != nil {
		s.attach(l, c)
	}
	return s
}

func (s *spConn) attach(l *loop, c gnet.Conn) {
	s.l, s.c = l, c
	s.out = output{conn: c, loop: l, onSlow: func() { s.close(CloseSlowConsumer) }}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		s.remote, _ = netip.AddrFromSlice(a.IP)
		s.remote = s.remote.Unmap()
	}
	s.openedAt, s.lastRecv, s.lastSend = l.now, l.now, l.now
	l.sessions[s] = struct{}{}
}

// opened: a receiver connection spsmg dialled is up; bind as type 2.
func (s *spConn) opened(l *loop, c gnet.Conn) {
	s.attach(l, c)
	rc := s.acct.cfg.Load().Receiver
	s.counter++
	seq := &s.seq
	s.f.putSeq(seq, s.g.node, l.sgipTime, s.counter)
	s.out.buf = s.f.d.AppendLogin(s.out.buf, seq[:s.f.seqLen], &codec.Login{Name: rc.Login, Secret: rc.Secret, Mode: codec.LoginDeliver, Time: l.wall})
	l.stats.packet(sideSP, dirOut, codec.KindLogin)
	s.out.mark()
}

// traffic is OnTraffic (see loop.readFrames).
func (s *spConn) traffic(c gnet.Conn) gnet.Action { return s.l.readFrames(c, s.framer, s) }

func (s *spConn) closing() bool { return s.state == spClosing }
func (s *spConn) received()     { s.lastRecv = s.l.now }

func (s *spConn) badFrame(err error) {
	s.g.logRL(slog.LevelWarn, "bad frame from SP", "peer", s.peer(), "err", err)
	s.close(CloseProtocolError)
}

func (s *spConn) handle(frame []byte) {
	l, g := s.l, s.g
	v := &l.view
	if err := s.f.d.ParseView(frame, v); err != nil {
		s.malformed(v, err)
		return
	}
	l.stats.packet(sideSP, dirIn, v.Kind)
	if s.state == spLoginWait {
		// A request before the login was answered: not how an SP talks.
		g.logRL(slog.LevelWarn, "SP sent a command before its login was answered", "peer", s.peer(), "command", v.Kind.String())
		s.close(CloseProtocolError)
		return
	}
	if s.state == spLogin {
		switch {
		case s.role == roleServer && v.Kind == codec.KindLogin:
			s.login(frame)
		case s.role == roleReceiver && v.Kind == codec.KindLoginResp:
			s.receiverLoggedIn(v)
		default:
			g.logRL(slog.LevelWarn, "SP sent a command before logging in", "peer", s.peer(), "command", v.Kind.String())
			s.beforeLogin(v)
		}
		return
	}
	switch v.Kind {
	case codec.KindSubmit:
		if !s.submits {
			// A login that carries no MT (SMGP receive, SMPP receiver,
			// spsmg's SGIP type-2 connection): the protocol's "not on this
			// connection" result; not an MT, so not counted as one.
			s.respond(v, s.f.d.NotServedResult())
			return
		}
		s.submit(frame, v)
	case codec.KindActiveTest:
		s.respond(v, 0)
	case codec.KindActiveTestResp:
		s.atPending = 0
	case codec.KindLogout:
		s.respond(v, 0)
		s.close(CloseLogout)
	case codec.KindLogoutResp:
		s.close(CloseLogout)
	case codec.KindDeliverResp, codec.KindReportResp, codec.KindUserRptResp:
		s.deliveryAnswered(v)
	case codec.KindOther:
		s.passThrough(frame, v)
	case codec.KindLogin:
		g.logRL(slog.LevelWarn, "SP logged in twice on one connection", "peer", s.peer())
		s.close(CloseProtocolError)
	case codec.KindOtherResp, codec.KindSubmitResp, codec.KindLoginResp:
		// nothing of ours to match
	default:
		// A Deliver/Report from an SP, or a command the SMG side uses: a
		// valid command that is not supported here gets an error result
		// (docs/protocols/sgip12.md §2), never a silent drop.
		s.respond(v, s.f.resultOf(reason.Malformed))
	}
}

// beforeLogin ends a connection whose first frame is not its login, well
// formed or not: a request other than a login gets its response with the
// malformed result when the protocol has one, and the connection is closed
// at once (protocol_error) instead of holding a slot until login_timeout.
func (s *spConn) beforeLogin(v *codec.View) {
	if s.role == roleServer && v.Kind != codec.KindUnknown && v.Kind != codec.KindLogin &&
		!v.Kind.IsResponse() && v.Sequence != nil {
		s.respond(v, s.f.resultOf(reason.Malformed))
	}
	s.close(CloseProtocolError)
}

// malformed answers a frame the codec cannot read: a Submit gets its
// response with the malformed result — or, when only its recipient count is
// outside 1–100, the no_recipients or too_many_recipients result; other
// requests get the malformed result when their header could be read; an
// unknown command closes the connection, as the specs ask (SGIP: close on
// an unknown command id), and so does anything before the login
// (beforeLogin).
func (s *spConn) malformed(v *codec.View, err error) {
	s.g.logRL(slog.LevelWarn, "undecodable frame from SP", "peer", s.peer(), "err", err)
	if s.state == spLogin {
		s.beforeLogin(v)
		return
	}
	if v.Kind == codec.KindUnknown && s.nack(v) {
		return // SMPP: generic_nack, and the session goes on
	}
	if v.Kind == codec.KindUnknown || v.Sequence == nil {
		s.close(CloseProtocolError)
		return
	}
	if v.Kind.IsResponse() {
		return
	}
	if v.Kind == codec.KindSubmit {
		o := reason.Malformed
		switch {
		case errors.Is(err, codec.ErrNoRecipients):
			o = reason.NoRecipients
		case errors.Is(err, codec.ErrTooManyRecipients):
			o = reason.TooManyRecipients
		}
		s.refuse(v, o)
		return
	}
	s.respond(v, s.f.resultOf(reason.Malformed))
}

// nack answers a frame of a command the protocol does not define where
// the protocol answers one (codec.Dialect.AppendNack: SMPP's generic_nack),
// and reports whether it did.
func (s *spConn) nack(v *codec.View) bool {
	n := len(s.out.buf)
	s.out.buf = s.f.d.AppendNack(s.out.buf, v)
	if len(s.out.buf) == n {
		return false
	}
	s.l.stats.packet(sideSP, dirOut, codec.KindOtherResp)
	s.out.mark()
	s.lastSend = s.l.now
	return true
}

// respond appends the response to request v.
func (s *spConn) respond(v *codec.View, result uint32) {
	s.out.buf = s.f.d.AppendResp(s.out.buf, v, result)
	s.l.stats.packet(sideSP, dirOut, v.Kind.Response())
	s.out.mark()
	s.lastSend = s.l.now
}

// submit is the hot path: limits, authorization, then forward.
func (s *spConn) submit(frame []byte, v *codec.View) {
	l, g, a := s.l, s.g, s.acct
	ac := a.cfg.Load()
	switch {
	case g.draining.Load():
		s.refuse(v, reason.UpstreamUnavailable)
		return
	case a.suspended.Load():
		// Before the window and the TPS tokens: a suspended SP spends
		// nothing, and learns why at once (permanent, README: Operator
		// console).
		s.refuse(v, reason.AccountSuspended)
		return
	case s.inflightNow() >= ac.Window:
		s.refuse(v, reason.WindowFull)
		return
	case !s.takeToken(a, ac, l.wall):
		s.refuse(v, reason.FlowControl)
		return
	case !ac.allowsService(v.ServiceCode):
		s.refuse(v, reason.ServiceNotAllowed)
		return
	case !ac.allowsSPNumber(v.SPNumber):
		s.refuse(v, reason.SPNumberNotAllowed)
		return
	}
	// The bind, or the loop to hand the Submit to (handover.go), is
	// chosen before authorizing, so that a Submit refused for want of an
	// upstream does not use up a LinkID.
	u := g.upstreamOf(a)
	var b *bind
	var to *loop
	if t := g.routes.Load(); t != nil { // several upstreams (routing.go)
		u = g.routeOf(l, t, v)
		if u == nil && !g.splitReady(l) {
			s.refuse(v, reason.UpstreamUnavailable)
			return
		}
	}
	if u != nil {
		b = u.pick(l)
	}
	if u != nil && b == nil {
		if l.ups[u.idx].ready.Load() > 0 { // its binds are merely full
			s.refuse(v, reason.UpstreamUnavailable)
			return
		}
		if to = u.handOverTarget(l); to == nil {
			s.refuse(v, reason.UpstreamUnavailable)
			return
		}
	}
	allow := reason.Exempt
	if ac.Exempt && !g.auth.Writable() {
		// Authorize refuses everyone else: below the free-space reserve an
		// MT's report route could not be written either.
		s.refuse(v, reason.StoreUnavailable)
		return
	}
	if !ac.Exempt {
		mt := &l.mt
		mt.SP = a.id
		mt.SPNumber = v.SPNumber
		mt.ServiceCode = v.ServiceCode
		mt.LinkID = v.LinkID()
		mt.Dests = l.dests[:0]
		for i := 0; i < v.DestCount; i++ {
			mt.Dests = append(mt.Dests, v.Dest(i))
		}
		mt.Segment = authcache.Segment{}
		if ref, total, seq, ok := v.Segment(); ok {
			mt.Segment = authcache.Segment{Ref: ref, Total: total, Seq: seq}
		}
		var t0 int64
		l.authSample++
		sample := l.authSample&63 == 0 // time 1 decision in 64: the clock costs more than the decision
		if sample {
			t0 = nanotime()
		}
		d := g.auth.Authorize(mt)
		if sample {
			l.stats.authLatency.observeNS(nanotime() - t0)
		}
		if d.Deferred() { // the decision needs the cluster (deferred.go)
			s.deferSubmit(frame, v)
			return
		}
		if !d.Allow {
			s.refuse(v, d.Reason)
			return
		}
		allow = d.Reason
	}
	// An allowed Submit is counted when it is answered (settle): under
	// allow if the SMG answers, under upstream_timeout if it does not.
	if u == nil {
		s.submitSplit(l, frame, v, &l.split, allow)
		return
	}
	if s.f.pairs[u.idx] != nil {
		s.submitTranslated(l, frame, v, u, to, allow)
		return
	}
	if b == nil {
		var spSeq wireSeq
		copy(spSeq[:], v.Sequence)
		if !u.handOver(to, s, clone(frame), v.Kind, v.Command, spSeq, v.NeedReport, v.DestCount, allow) {
			s.refuse(v, reason.UpstreamUnavailable)
		}
		return
	}
	b.forward(frame, v.Kind, v.Command, v.Sequence, pendSubmit, s, v.NeedReport, v.DestCount, allow)
}

// takeToken spends one of the account's TPS tokens. A connection takes
// them from the account's limiter a chunk at a time (an eighth of the
// burst, at most 64), so the limiter's mutex, shared by the account's
// connections on every loop, is taken once per chunk rather than per
// Submit; a connection holds back at most one chunk.
func (s *spConn) takeToken(a *account, ac *accountConfig, now time.Time) bool {
	if s.tokens > 0 {
		s.tokens--
		return true
	}
	if c := s.g.cl; c != nil && c.reachable() { // several nodes: the account's bucket (limits.go)
		return a.ctok.take(s, a, ac, now)
	}
	if ac.tokenChunk > 1 && a.limiter.AllowN(now, ac.tokenChunk) {
		s.tokens = ac.tokenChunk - 1
		return true
	}
	return a.limiter.AllowN(now, 1)
}

// passThrough forwards a request the proxy does not interpret (CMPP
// Query/Cancel, SGIP Trace) to the SMG and its response back.
func (s *spConn) passThrough(frame []byte, v *codec.View) {
	if s.role != roleServer {
		s.respond(v, s.f.resultOf(reason.Malformed))
		return
	}
	u := s.g.upstreamOf(s.acct)
	if s.f.pair(u) != nil {
		// A request of the SP's protocol the upstream's does not have
		// (translate carries MT, MO and reports only).
		s.respond(v, s.f.d.NotServedResult())
		return
	}
	b := u.pick(s.l)
	if b == nil {
		s.respond(v, s.f.resultOf(reason.UpstreamUnavailable))
		return
	}
	b.forward(frame, v.Kind, v.Command, v.Sequence, pendOther, s, false, 0, 0)
}

func (s *spConn) count(o reason.Reason) { s.decisions[o].Add(1) }

// settle counts a forwarded Submit once it is answered: under its
// authorization reason when the SMG answered (whatever its result), under
// o = upstream_timeout when spsmg answered for it. So every Submit is
// counted exactly once in spsmg_mt_decisions_total, and one in flight not
// yet. Runs on the bind's loop l. When that is not s's loop, or s has
// closed, the count goes through the account's lock: s's counters may be
// being folded into the account's at that moment (removeConn).
func (s *spConn) settle(l *loop, o reason.Reason) {
	if l == s.l && !s.folded {
		s.pend.settled[o]++
		s.pend.mask |= 1 << o
		s.queuePending()
		return
	}
	s.acct.settleFor(s, o)
}

// addInflight changes the count of s's Submits awaiting the SMG by d;
// runs on loop l (a bind's). On s's own loop the change waits in s.pend
// for the flush.
func (s *spConn) addInflight(l *loop, d int32) {
	if l != s.l {
		s.inflight.Add(d)
		return
	}
	s.pend.inflight += d
	s.queuePending()
}

// inflightNow is s's Submits awaiting the SMG, what its loop has not
// published yet included; s's loop only.
func (s *spConn) inflightNow() int { return int(s.inflight.Load() + s.pend.inflight) }

func (s *spConn) queuePending() {
	if !s.pend.queued {
		s.pend.queued = true
		s.l.pendConns = append(s.l.pendConns, s)
	}
}

// publishPending adds what s's loop counted since the last publish to
// the atomics other goroutines read. s's loop only: loop.flush, and
// onClose before the account folds s's decisions in.
func (s *spConn) publishPending() {
	if d := s.pend.inflight; d != 0 {
		s.pend.inflight = 0
		s.inflight.Add(d)
	}
	for m := s.pend.mask; m != 0; m &= m - 1 {
		o := bits.TrailingZeros32(m)
		s.decisions[o].Add(uint64(s.pend.settled[o]))
		s.pend.settled[o] = 0
	}
	s.pend.mask = 0
}

// refuse answers a Submit at once with the protocol's result for o; it
// never reaches the SMG (docs/product.md §3).
func (s *spConn) refuse(v *codec.View, o reason.Reason) {
	s.count(o)
	s.respond(v, s.f.resultOf(o))
}

// reply sends a response from the SMG back with the SP's own sequence.
// Runs on the bind's loop l, which may not be s's loop: then the frame is
// copied and written with AsyncWrite.
func (s *spConn) reply(l *loop, frame []byte, spSeq []byte, kind codec.Kind, result uint32) {
	if s.closed.Load() {
		return
	}
	l.stats.packet(sideSP, dirOut, kind)
	if l == s.l {
		start := len(s.out.buf)
		s.out.buf = append(s.out.buf, frame...)
		copy(s.out.buf[start+s.f.seqOff:], spSeq)
		s.out.mark()
		s.lastSend = l.now
		return
	}
	buf := make([]byte, len(frame))
	copy(buf, frame)
	copy(buf[s.f.seqOff:], spSeq)
	_ = s.c.AsyncWrite(buf, nil)
}

// refuseLater answers a request the SMG will not answer with the retryable
// result of o: upstream_timeout when it was forwarded (bind lost, timeout,
// bind unhealthy), upstream_unavailable when a hand-over found no bind.
// Runs on loop l (a bind's).
func (s *spConn) refuseLater(l *loop, p *pending, o reason.Reason) {
	if p.kind == pendSubmit {
		s.settle(l, o)
	}
	if o == reason.UpstreamTimeout && !s.closed.Load() {
		s.upstreamFailures.Add(1)
	}
	s.answerLater(l, p.cmdKind, p.cmd, p.spSeq[:s.f.seqLen], o)
}

// refuseNow answers a Submit spsmg took but could not forward after all
// (its report route could not be stored) with the result of o, and counts
// it under o: a Submit is counted when it is answered. Runs on loop l (a
// bind's).
func (s *spConn) refuseNow(l *loop, cmdKind codec.Kind, cmd uint32, spSeq []byte, o reason.Reason) {
	s.settle(l, o)
	s.answerLater(l, cmdKind, cmd, spSeq, o)
}

// answerLater writes the response with the result of o to a request taken
// earlier, from loop l, which may not be s's.
func (s *spConn) answerLater(l *loop, cmdKind codec.Kind, cmd uint32, spSeq []byte, o reason.Reason) {
	if s.closed.Load() {
		return
	}
	v := codec.View{Kind: cmdKind, Command: cmd, Sequence: spSeq}
	result := s.f.resultOf(o)
	if l == s.l {
		s.respond(&v, result)
		return
	}
	_ = s.c.AsyncWrite(s.f.d.AppendResp(nil, &v, result), nil)
}

// login checks an SP's login: lock-out, account, IP white-list,
// authenticator, version, connection limit (docs/product.md §5.1).
func (s *spConn) login(frame []byte) {
	g, l := s.g, s.l
	req, err := s.f.d.DecodeLogin(frame)
	if err != nil {
		g.logRL(slog.LevelWarn, "undecodable login", "peer", s.peer(), "err", err)
		s.close(CloseProtocolError)
		return
	}
	a := g.accounts.Load().byLogin[req.Name]
	st := codec.LoginOK
	var ac *accountConfig
	if a != nil {
		ac = a.cfg.Load()
	}
	switch {
	case g.lockout.locked(req.Name, s.remote, l.wall):
		st = codec.LoginLockedOut
	case a == nil:
		st = codec.LoginUnknownAccount
	case !ac.allowsIP(s.remote):
		st = codec.LoginBadIP
	case !s.f.d.VerifyLogin(&req, ac.Secret):
		st = codec.LoginBadCredentials
	case !loginFresh(req.Timestamp, l.wall, g.cfgLoad().Gateway.LoginMaxSkew):
		st = codec.LoginStale
	case g.faceOf(ac.Protocol) != s.f || !s.f.d.AcceptsVersion(req.Version):
		// The SP must speak the protocol and version its account is
		// configured for, on that protocol's listener: an account's
		// frames are read, forwarded and translated as its protocol's.
		// A login on another protocol's listener (the name is one
		// namespace across listeners) is refused like a wrong version.
		st = codec.LoginBadVersion
	case !s.f.d.AcceptsLoginMode(req.Mode):
		st = codec.LoginBadMode
	case int(a.conns.Add(1)) > ac.MaxConnections:
		a.conns.Add(-1)
		st = codec.LoginTooManyConnections
	}
	if st == codec.LoginOK && g.cl != nil && g.cl.reachable() {
		// Several nodes: max_connections holds across them (limits.go).
		s.loginAcrossNodes(frame, req, a, ac)
		return
	}
	s.loginAnswer(frame, &req, a, ac, st)
}

// loginAnswer answers a login with st and, when it is ok, starts the
// session.
func (s *spConn) loginAnswer(frame []byte, req *codec.LoginView, a *account, ac *accountConfig, st codec.LoginStatus) {
	g, l := s.g, s.l
	secret := ""
	if ac != nil {
		secret = ac.Secret
	}
	s.out.buf = s.f.d.AppendLoginResp(s.out.buf, frame[s.f.seqOff:s.f.seqOff+s.f.seqLen], req, st, secret)
	l.stats.packet(sideSP, dirOut, codec.KindLoginResp)
	s.out.mark()
	if st != codec.LoginOK {
		g.counters.loginFailures[st].Add(1)
		switch st {
		case codec.LoginBadCredentials, codec.LoginStale:
			// A wrong secret from an allowed address counts against this
			// account from this address, and against the address.
			g.lockout.fail(req.Name, s.remote, l.wall)
		case codec.LoginUnknownAccount, codec.LoginBadIP:
			// Only against the address: anyone outside the white-list must
			// not be able to lock an SP out by guessing at its login name.
			g.lockout.failIP(s.remote, l.wall)
		}
		// Credentials are never logged; the login name is the account id.
		g.logRLKey("SP login refused "+st.String(), slog.LevelWarn, "SP login refused", "peer", s.peer(), "login", req.Name, "status", st.String())
		s.close(CloseLoginFailed)
		return
	}
	g.lockout.succeed(req.Name, s.remote)
	s.prelogin.release(g)
	s.acct = a
	s.state = spReady
	s.submits = req.Mode.CarriesSubmits()
	s.receives = req.Mode.CarriesDeliveries()
	a.addConn(s)
	g.log.Info("SP logged in", "peer", s.peer(), "account", a.id, "conn", s.id, "version", req.Version, "receives", s.receives, "suspended", a.suspended.Load())
	if s.receives {
		s.drain()
	}
}

// loginFresh reports whether a CMPP/SMGP authenticator's MMDDhhmmss
// timestamp lies within skew of now (local time, the year that fits best),
// so that a captured login cannot be replayed later. skew 0 turns the check
// off (the default: SP clocks drift), and SGIP, which has no timestamp, is
// never checked.
func loginFresh(ts uint32, now time.Time, skew time.Duration) bool {
	if skew <= 0 || ts == 0 {
		return true
	}
	mo, d := int(ts/100000000), int(ts/1000000%100)
	h, mi, sec := int(ts/10000%100), int(ts/100%100), int(ts%100)
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return false
	}
	for _, y := range [3]int{now.Year() - 1, now.Year(), now.Year() + 1} {
		t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, now.Location())
		if diff := t.Sub(now); diff <= skew && diff >= -skew {
			return true
		}
	}
	return false
}

// receiverLoggedIn: the SGIP SP accepted spsmg's type-2 bind.
func (s *spConn) receiverLoggedIn(v *codec.View) {
	if v.Result != 0 {
		s.g.log.Warn("SGIP SP refused spsmg's type-2 bind", "account", s.acct.id, "result", v.Result)
		s.close(CloseLoginFailed)
		return
	}
	s.state = spReady
	s.receives = true
	s.acct.addConn(s)
	s.drain()
}

// sweep: login and idle timeouts, active tests, delivery timeouts.
func (s *spConn) sweep() {
	l, g := s.l, s.g
	cfg := g.cfgLoad()
	now := l.now
	if s.state == spLogin && now-s.openedAt > int64(cfg.Gateway.LoginTimeout) {
		s.close(CloseLoginTimeout)
		return
	}
	if s.state != spReady {
		return
	}
	s.expireDeliveries(int64(cfg.DefaultUpstreamConfig().ResponseTimeout))
	idle := now - s.lastRecv
	if !s.f.d.HasActiveTest() {
		// SGIP has no keep-alive: an idle connection is closed (60 s by
		// the spec; our receiver connections say goodbye first).
		if idle > int64(cfg.Gateway.IdleTimeout) && len(s.awaiting) == 0 && s.inflightNow() == 0 {
			if s.role == roleReceiver {
				s.goodbye()
				return
			}
			s.close(CloseIdle)
		}
		return
	}
	if idle > int64(cfg.Gateway.IdleTimeout) {
		s.close(CloseIdle)
		return
	}
	if s.atPending >= 3 {
		s.close(CloseActiveTestFailed)
		return
	}
	if idle > int64(cfg.Gateway.ActiveTestInterval) && now-s.lastSend > int64(cfg.Gateway.ActiveTestInterval)/3 {
		s.atPending++
		s.counter++
		seq := &s.seq
		s.f.putSeq(seq, g.node, l.sgipTime, s.counter)
		s.out.buf = s.f.d.AppendActiveTest(s.out.buf, seq[:s.f.seqLen])
		l.stats.packet(sideSP, dirOut, codec.KindActiveTest)
		s.out.mark()
		s.lastSend = now
	}
}

// goodbye sends the logout (shutdown, idle receivers).
func (s *spConn) goodbye() {
	if s.state != spReady {
		return
	}
	s.counter++
	seq := &s.seq
	s.f.putSeq(seq, s.g.node, s.l.sgipTime, s.counter)
	s.out.buf = s.f.d.AppendLogout(s.out.buf, seq[:s.f.seqLen])
	s.l.stats.packet(sideSP, dirOut, codec.KindLogout)
	s.out.mark()
	s.receives = false
}

// close ends the connection after this callback's output is written.
func (s *spConn) close(why CloseReason) {
	if s.state == spClosing {
		return
	}
	s.state = spClosing
	s.closeWhy = why
	s.out.closeWrite()
	_ = s.c.Close()
}

// closeAsync closes s from any goroutine.
func (s *spConn) closeAsync(why CloseReason) {
	_ = s.l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		s.l.tick()
		s.close(why)
		return nil
	}))
}

// onClose runs in OnClose: forget the connection, put unanswered
// deliveries back in the queue, log once.
func (s *spConn) onClose(err error) {
	s.closed.Store(true)
	s.out.closed.Store(true)
	delete(s.l.sessions, s)
	if s.state != spClosing && s.closeWhy == 0 {
		s.closeWhy = ClosePeer
	}
	s.state = spClosing
	s.prelogin.release(s.g)
	s.g.closes[s.closeWhy].Add(1)
	s.publishPending() // before removeConn folds the decisions
	if s.acct != nil {
		s.acct.removeConn(s)
		s.requeueAwaiting()
		if c := s.g.cl; c != nil && s.role == roleServer {
			c.releaseConn(s.acct)
		}
	}
	if s.role == roleReceiver && s.acct != nil {
		s.acct.queue.receiverGone(s)
	}
	if s.closeWhy != CloseLogout && s.closeWhy != CloseShutdown {
		acct := ""
		if s.acct != nil {
			acct = s.acct.id
		}
		s.g.logRLKey("SP connection closed "+s.closeWhy.String(), slog.LevelInfo, "SP connection closed", "peer", s.peer(), "account", acct, "reason", s.closeWhy.String(), "err", err)
	}
}

func (s *spConn) peer() string {
	if s.remote.IsValid() {
		return s.remote.String()
	}
	return "?"
}

// processStart is the origin of nanotime.
var processStart = time.Now()

// nanotime is a monotonic clock reading in nanoseconds.
func nanotime() int64 { return int64(time.Since(processStart)) }
