package proxy

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
)

// bind is one upstream connection to the SMG, owned by one event loop.
//
//	spConn.submit ─▶ bind.forward ─(gw sequence)─▶ SMG
//	spConn ◀─(SP's sequence)── bind.response ◀──── SMG
//
// Requests in flight are kept in a ring indexed by the counter part of the
// sequence spsmg gave them, so a response finds its SP connection and the
// SP's own sequence in O(1) without a map.
type bind struct {
	up    *upstream
	l     *loop
	c     gnet.Conn
	out   output
	state bindState
	id    int // for logs

	framer   codec.Framer
	counter  uint32 // low 24 bits of the sequence counter; the high 8 are seqBase
	seqBase  uint32
	ring     []pending
	mask     uint32
	inflight int
	window   int

	openedAt  int64
	lastRecv  int64
	lastSend  int64
	atPending int  // active tests sent and not answered
	attempt   int  // reconnect attempt, for backoff
	loggedIn  bool // the SMG accepted the login
	leaving   bool // spsmg sent its logout: no new requests
	closeWhy  CloseReason
	keyBuf    []byte

	// held are Submit_Resps of Submits that asked for a report: success
	// is shown to the SP only once the report's route is durable (see
	// holdUntilDurable).
	held []heldReply
}

// heldReply is a response waiting for its route to reach the store.
type heldReply struct {
	sp    *spConn
	frame []byte // spsmg's copy, the SP's sequence already in place
}

type bindState uint8

const (
	bindDialing bindState = iota
	bindLoggingIn
	bindReady
	bindClosing
	bindClosed
)

type pendingKind uint8

const (
	pendSubmit   pendingKind = iota + 1 // an SP's Submit
	pendOther                           // another SP request passed through (CMPP Query/Cancel, SGIP Trace)
	pendInternal                        // a request spsmg sent itself (originated MT, active test)
)

// pending is one request awaiting the SMG's response.
type pending struct {
	kind       pendingKind
	cmdKind    codec.Kind // the request's kind and command, to answer it ourselves
	cmd        uint32
	needReport bool
	dests      uint8
	sp         *spConn
	spSeq      wireSeq
	gwSeq      wireSeq
	sentAt     int64
	done       func(result uint32, msgID []byte, err error) // pendInternal
}

func newBind(up *upstream, id int, window int) *bind {
	size := 1
	for size < window {
		size <<= 1
	}
	// The counter part of every sequence this bind sends is unique across
	// the binds of the process (the bind's slot in the high 8 bits) and,
	// from a random start, across restarts within the same second: SGIP
	// reports name the Submit by its whole sequence, so two binds must
	// never send the same one (test/crash TestSGIPReportsWithSeveralBinds).
	return &bind{up: up, id: id, window: window, ring: make([]pending, size), mask: uint32(size - 1),
		seqBase: uint32(id%255+1) << 24, counter: rand.Uint32() & counterMask}
}

// counterMask: the bind's own part of the sequence counter; the ring
// (at most 64 Ki entries) indexes its low bits.
const counterMask = 1<<24 - 1

// nextSeq advances the counter and returns the full counter value.
func (b *bind) nextSeq() uint32 {
	b.counter = (b.counter + 1) & counterMask
	return b.seqBase | b.counter
}

// ready reports whether the bind can take one more request.
func (b *bind) ready() bool { return b.state == bindReady && !b.leaving && b.inflight < b.window }

// opened runs in OnOpen: send the login.
func (b *bind) opened(l *loop, c gnet.Conn) {
	g := b.up.g
	b.l, b.c = l, c
	b.out = output{conn: c, loop: l, onSlow: func() { b.close(CloseSlowConsumer) }}
	b.framer = g.d.framer(g.cfgLoad().Gateway.MaxFrameSize)
	b.state = bindLoggingIn
	b.openedAt, b.lastRecv, b.lastSend = l.now, l.now, l.now
	l.binds = append(l.binds, b)
	cfg := g.cfgLoad().Upstream
	seq := g.d.makeSeq(g.node, l.sgipTime, b.nextSeq())
	mode := cfg.SMGPLoginMode // SMGP LoginMode; SGIP binds type 1 (SP→SMG)
	if g.d.proto() == config.SGIP {
		mode = 1
	}
	b.out.buf = g.d.appendLogin(b.out.buf, seq, cfg.Login, cfg.Secret, mode, l.wall)
	l.stats.packet(sideSMG, dirOut, codec.KindLogin)
	b.out.mark()
}

// traffic is OnTraffic (see loop.readFrames).
func (b *bind) traffic(c gnet.Conn) gnet.Action {
	act := b.l.readFrames(c, b.framer, b)
	b.releaseWhenDurable()
	return act
}

func (b *bind) closing() bool { return b.state == bindClosing }
func (b *bind) received()     { b.lastRecv = b.l.now }

func (b *bind) badFrame(err error) {
	b.up.g.log.Warn("upstream sent a bad frame", "bind", b.id, "err", err)
	b.close(CloseProtocolError)
}

func (b *bind) handle(frame []byte) {
	l, g := b.l, b.up.g
	v := &l.view
	if err := g.d.parseView(frame, v); err != nil {
		g.logRL(slog.LevelWarn, "upstream frame does not decode", "bind", b.id, "err", err)
		if v.Kind == codec.KindUnknown || v.Kind.IsResponse() {
			return // nothing to answer; the SMG's own problem
		}
		b.out.buf = g.d.appendResp(b.out.buf, v, g.resultOf(outMalformed))
		b.out.mark()
		return
	}
	l.stats.packet(sideSMG, dirIn, v.Kind)
	switch v.Kind {
	case codec.KindLoginResp:
		b.loginResp(v)
	case codec.KindSubmitResp, codec.KindOtherResp:
		b.response(frame, v)
	case codec.KindActiveTest:
		b.out.buf = g.d.appendResp(b.out.buf, v, 0)
		l.stats.packet(sideSMG, dirOut, codec.KindActiveTestResp)
		b.out.mark()
	case codec.KindActiveTestResp:
		b.atPending = 0
		b.response(frame, v)
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
		if b.state != bindReady {
			return
		}
		g.fromSMG(l, &b.out, frame, v)
	case codec.KindLogout:
		b.out.buf = g.d.appendResp(b.out.buf, v, 0)
		b.out.mark()
		b.close(CloseLogout)
	case codec.KindLogoutResp:
		b.response(frame, v)
		b.close(CloseLogout)
	default:
		g.counters.unknownResponses.Add(1)
	}
}

func (b *bind) loginResp(v *codec.View) {
	g := b.up.g
	if b.state != bindLoggingIn {
		return
	}
	if !g.d.loginResultOK(v) {
		g.log.Error("upstream refused the login", "bind", b.id, "result", v.Result, "login", g.cfgLoad().Upstream.Login)
		b.close(CloseLoginFailed)
		return
	}
	b.state = bindReady
	b.loggedIn = true
	b.l.readyBinds.Add(1)
	b.attempt = 0
	b.up.loggedIn(b)
	g.log.Info("upstream bind logged in", "bind", b.id, "loop", b.l.idx)
}

// forward sends an SP's request to the SMG with a sequence of this bind,
// remembering the SP's own. frame is borrowed: it is copied into the
// output buffer. Runs on b's loop; sp may live on another loop.
func (b *bind) forward(frame []byte, cmdKind codec.Kind, cmd uint32, spSeq []byte, kind pendingKind, sp *spConn, needReport bool, dests int) {
	l := b.l
	p := b.claim()
	p.kind, p.sp, p.needReport, p.sentAt = kind, sp, needReport, l.now
	p.cmdKind, p.cmd = cmdKind, cmd
	if dests > 255 {
		dests = 255
	}
	p.dests = uint8(dests)
	copy(p.spSeq[:], spSeq)
	n := b.up.g.d.seqLen()
	start := len(b.out.buf)
	b.out.buf = append(b.out.buf, frame...)
	copy(b.out.buf[start+seqOffset:start+seqOffset+n], p.gwSeq[:n])
	b.out.mark()
	if sp != nil {
		sp.inflight.Add(1)
	}
	l.stats.packet(sideSMG, dirOut, cmdKind)
}

// send writes a request of kind k that spsmg builds itself; done runs on
// b's loop with the response (or an error when the bind closes or the
// request times out). A Submit's round trip is observed like an SP's.
func (b *bind) send(k codec.Kind, build func(dst []byte, seq wireSeq) []byte, done func(result uint32, msgID []byte, err error)) {
	p := b.claim()
	p.kind, p.cmdKind, p.done, p.sentAt = pendInternal, k, done, b.l.now
	b.out.buf = build(b.out.buf, p.gwSeq)
	b.out.mark()
}

// claim takes the next ring slot, giving it a fresh sequence. A slot still
// busy from a full turn of the counter ago holds a request the SMG never
// answered: it is failed now.
func (b *bind) claim() *pending {
	g := b.up.g
	ctr := b.nextSeq()
	p := &b.ring[ctr&b.mask]
	if p.kind != 0 {
		b.fail(p, errResponseTimeout)
	}
	p.gwSeq = g.d.makeSeq(g.node, b.l.sgipTime, ctr)
	b.inflight++
	b.l.stats.inflight.Add(1)
	b.lastSend = b.l.now
	return p
}

var (
	errResponseTimeout = errors.New("proxy: upstream response timeout")
	errBindLost        = errors.New("proxy: upstream bind lost")
)

// response matches a response to its request and sends it back.
func (b *bind) response(frame []byte, v *codec.View) {
	l, g := b.l, b.up.g
	n := g.d.seqLen()
	p := &b.ring[counterOf(v.Sequence)&b.mask]
	if p.kind == 0 || !bytes.Equal(p.gwSeq[:n], v.Sequence) {
		g.counters.unknownResponses.Add(1)
		return
	}
	b.inflight--
	l.stats.inflight.Add(-1)
	switch p.kind {
	case pendInternal:
		if p.cmdKind == codec.KindSubmit {
			l.stats.submitRTT.observeNS(l.now - p.sentAt)
		}
		if p.done != nil {
			p.done(v.Result, v.MsgID, nil)
		}
	case pendSubmit, pendOther:
		sp := p.sp
		if p.kind == pendSubmit {
			l.stats.submitRTT.observeNS(l.now - p.sentAt)
		}
		switch {
		case sp == nil:
		case p.kind == pendSubmit && v.Result == 0 && p.needReport:
			sp.inflight.Add(-1)
			b.recordRoutes(v, p, sp)
			if g.holdForRoutes {
				b.hold(sp, frame, p.spSeq[:n])
				break
			}
			sp.reply(l, frame, p.spSeq[:n], v.Kind, v.Result)
		default:
			sp.inflight.Add(-1)
			sp.reply(l, frame, p.spSeq[:n], v.Kind, v.Result)
		}
	}
	*p = pending{}
}

// hold keeps a success response to a Submit that asked for a report until
// the report's route is written (SGIP only, see Gateway.holdForRoutes):
// relayed at once, a kill -9 in the next millisecond would leave the SP
// holding a success whose report can no longer be routed (test/crash found
// 12 in 13,727). The delay is the store writer's batch (about a
// millisecond); Submits without a report are not held.
func (b *bind) hold(sp *spConn, frame, spSeq []byte) {
	f := clone(frame)
	copy(f[seqOffset:], spSeq)
	b.held = append(b.held, heldReply{sp: sp, frame: f})
	b.l.stats.packet(sideSP, dirOut, codec.KindSubmitResp)
}

// releaseWhenDurable sends the held responses once everything queued to
// the store before them, their routes included, is committed: one barrier
// per callback, one write per SP connection.
func (b *bind) releaseWhenDurable() {
	if len(b.held) == 0 {
		return
	}
	held := b.held
	b.held = nil
	g := b.up.g
	release := func(err error) {
		if err != nil {
			g.logRL(slog.LevelError, "report routes not written; responses relayed anyway", "err", err)
		}
		bySP := make(map[*spConn][]byte, 1)
		for _, h := range held {
			bySP[h.sp] = append(bySP[h.sp], h.frame...)
		}
		for sp, buf := range bySP {
			if !sp.closed.Load() {
				_ = sp.c.AsyncWrite(buf, nil)
			}
		}
	}
	if err := g.auth.Persist(release); err != nil {
		release(err) // the queue is full or closed: do not withhold the answers
	}
}

// recordRoutes remembers which SP a report for this Submit belongs to
// (SPEC §3.4, issue 4 §5): CMPP/SMGP by message id, one per recipient;
// SGIP by the sequence spsmg gave the Submit, keeping the SP's own sequence
// as the origin to restore in the report.
func (b *bind) recordRoutes(v *codec.View, p *pending, sp *spConn) {
	g := b.up.g
	n := g.d.seqLen()
	if len(v.MsgID) == 0 {
		origin, _ := authcache.MakeOrigin(p.spSeq[:n])
		g.auth.PutRoute(p.gwSeq[:n], authcache.Route{SP: sp.acct.id, Origin: origin})
		return
	}
	dests := int(p.dests)
	if dests < 1 {
		dests = 1
	}
	for i := 0; i < dests; i++ {
		b.keyBuf = g.d.msgIDAt(b.keyBuf[:0], v.MsgID, i)
		g.auth.PutRoute(b.keyBuf, authcache.Route{SP: sp.acct.id})
	}
}

// fail answers a request that will get no response from the SMG: an SP's
// Submit gets the retryable upstream_timeout result (SPEC §4: never
// silence, never success).
func (b *bind) fail(p *pending, err error) {
	b.inflight--
	b.l.stats.inflight.Add(-1)
	switch p.kind {
	case pendInternal:
		if p.done != nil {
			p.done(0, nil, err)
		}
	case pendSubmit, pendOther:
		if sp := p.sp; sp != nil {
			sp.inflight.Add(-1)
			sp.refuseLater(b.l, p)
		}
	}
	*p = pending{}
}

// sweep: response timeouts, active test, login timeout. Once a second.
func (b *bind) sweep() {
	l, g := b.l, b.up.g
	cfg := g.cfgLoad()
	timeout := int64(cfg.Upstream.ResponseTimeout)
	if b.state == bindLoggingIn && l.now-b.openedAt > int64(cfg.Upstream.ConnectTimeout+cfg.Upstream.ResponseTimeout) {
		g.log.Warn("upstream login timed out", "bind", b.id)
		b.close(CloseLoginTimeout)
		return
	}
	if b.state != bindReady {
		return
	}
	if b.inflight > 0 {
		for i := range b.ring {
			if p := &b.ring[i]; p.kind != 0 && l.now-p.sentAt > timeout {
				b.fail(p, errResponseTimeout)
			}
		}
	}
	if !g.d.hasActiveTest() {
		return
	}
	idle := l.now - max(b.lastRecv, b.lastSend)
	if b.atPending >= 3 {
		g.log.Warn("upstream did not answer 3 active tests", "bind", b.id)
		b.close(CloseActiveTestFailed)
		return
	}
	interval := int64(cfg.Upstream.ActiveTestInterval)
	if idle > interval || (b.atPending > 0 && l.now-b.lastSend > int64(time.Minute)) {
		b.atPending++
		b.send(codec.KindActiveTest, func(dst []byte, seq wireSeq) []byte { return g.d.appendActiveTest(dst, seq) },
			nil)
		l.stats.packet(sideSMG, dirOut, codec.KindActiveTest)
	}
}

// close ends the bind: every request in flight is failed now, and the
// upstream manager reconnects. Runs on b's loop.
func (b *bind) close(why CloseReason) {
	if b.state == bindClosing || b.state == bindClosed {
		return
	}
	b.state = bindClosing
	b.closeWhy = why
	b.out.closeWrite()
	b.failAll()
	_ = b.c.Close()
}

func (b *bind) failAll() {
	if b.inflight == 0 {
		return
	}
	for i := range b.ring {
		if b.ring[i].kind != 0 {
			b.fail(&b.ring[i], errBindLost)
		}
	}
}

// onClose runs in OnClose.
func (b *bind) onClose(err error) {
	if b.state != bindClosing {
		b.closeWhy = CloseUpstreamLost
	}
	if b.loggedIn {
		b.l.readyBinds.Add(-1)
	}
	b.state = bindClosed
	b.out.closed.Store(true)
	b.failAll()
	b.l.removeBind(b)
	b.l.flush()
	b.up.lost(b, err)
}

// goodbye sends the protocol's logout (shutdown).
func (b *bind) goodbye() {
	if b.state != bindReady {
		return
	}
	g := b.up.g
	b.send(codec.KindLogout, func(dst []byte, seq wireSeq) []byte { return g.d.appendLogout(dst, seq) }, nil)
	b.l.stats.packet(sideSMG, dirOut, codec.KindLogout)
	b.leaving = true
}
