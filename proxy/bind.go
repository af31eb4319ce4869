package proxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
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
	lb    *loopBinds // up's binds on l
	c     gnet.Conn
	out   output
	state bindState
	id    int       // for logs
	slot  *bindSlot // where /readyz and the metrics see it (health.go)

	framer   codec.Framer
	counter  uint32 // low 24 bits of the sequence counter; the high 8 are seqBase
	seqBase  uint32
	ring     []pending
	mask     uint32
	inflight int
	window   int

	openedAt int64
	readyAt  int64
	lastRecv int64
	lastSend int64
	// lastAnswer: when the SMG last answered one of spsmg's requests, or
	// when requests began to wait on an idle bind. Frames the SMG sends of
	// its own accord (Active_Test, Deliver) do not move it: an SMG stuck
	// behind a backlog may keep sending them (health.go).
	lastAnswer  int64
	probing     bool  // an Active_Test of spsmg's is unanswered
	probeStall  bool  // it was sent because requests were waiting (a stall probe)
	probeSentAt int64 // when it was sent
	timeouts    int   // requests in a row that timed out; an answer other than to an Active_Test resets it
	counted     bool  // counted in lb.ready and upstream.ready (setReady)
	attempt     int   // reconnect attempt, for backoff
	loggedIn    bool  // the SMG accepted the login
	leaving     bool  // spsmg sent its logout: no new requests
	drained     bool  // out of rotation (bindSlot.drained, applied on the loop): no new requests
	closeWhy    CloseReason
	keyBuf      []byte

	// gating holds the SGIP Submits of the current callback that ask for
	// a report, with their report routes, until flush hands the routes to
	// the store (sendGated); spareGated are batches back from the store,
	// reused so that gating allocates nothing in the steady state.
	gating     *gatedBatch
	spareGated []*gatedBatch
}

// gatedBatch is one callback's Submits of a bind held back until their
// report routes are durable (bind.forward), and those routes: the routes
// go to the store writer in one call, and the Submits to the SMG when the
// writer has written them (gatedDurable).
type gatedBatch struct {
	b      *bind
	frames []byte
	subs   []gatedSubmit // where each frame in frames ends, and its sequence
	routes authcache.RouteBatch
	err    error             // the write's, set by written
	wrote  func(error)       // written, bound once
	task   gnet.RunnableFunc // runs gatedDurable on b's loop, made once
}

// gatedSubmit is one Submit in gatedBatch.frames.
type gatedSubmit struct {
	seq wireSeq
	end int // offset in frames just past the frame
}

// maxSpareGated bounds the batches a bind keeps for reuse: about one per
// callback within a store write (a millisecond or so).
const maxSpareGated = 8

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
	pendPart                            // one upstream Submit of a translated or split SP Submit (translated.go)
)

// pending is one request awaiting the SMG's response.
type pending struct {
	kind       pendingKind
	cmdKind    codec.Kind // the request's kind and command, to answer it ourselves
	cmd        uint32
	needReport bool
	dests      uint8
	allow      reason.Reason // pendSubmit: the authorization reason, counted when answered
	sp         *spConn
	spSeq      wireSeq
	gwSeq      wireSeq
	sentAt     int64
	// done: pendInternal's answer; pendPart's, a closure naming the SP
	// Submit and which of its Submits this is (no field of its own: the
	// ring of the untranslated path stays as small as it was).
	done func(result uint32, msgID []byte, err error)
}

func newBind(up *upstream, slot *bindSlot, window int) *bind {
	// The ring holds a full window and then some: spsmg's own Active_Test
	// must find a free slot when the SPs' Submits fill the window (a stall
	// probe is sent exactly then), rather than push out a Submit.
	size := 1
	for size <= window {
		size <<= 1
	}
	id := slot.id
	// The counter part of every sequence this bind sends is unique across
	// the binds of the process (the bind's slot in the high 8 bits) and,
	// from a random start, across restarts within the same second: SGIP
	// reports name the Submit by its whole sequence, so two binds must
	// never send the same one (test/crash TestSGIPReportsWithSeveralBinds).
	return &bind{up: up, id: id, slot: slot, window: window, ring: make([]pending, size), mask: uint32(size - 1),
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
func (b *bind) ready() bool {
	return b.state == bindReady && !b.leaving && !b.drained && b.inflight < b.window
}

// opened runs in OnOpen: send the login.
func (b *bind) opened(l *loop, c gnet.Conn) {
	u, g := b.up, b.up.g
	b.l, b.c = l, c
	b.lb = &l.ups[u.idx]
	b.out = output{conn: c, loop: l, onSlow: func() { b.close(CloseSlowConsumer) }}
	b.framer = u.d.Framer(g.cfgLoad().Gateway.MaxFrameSize)
	b.state = bindLoggingIn
	b.openedAt, b.lastRecv, b.lastSend = l.now, l.now, l.now
	b.lb.binds = append(b.lb.binds, b)
	if a := c.LocalAddr(); a != nil {
		addr := a.String()
		b.slot.localAddr.Store(&addr)
	}
	b.slot.setState(slotLoggingIn)
	cfg := u.config()
	seq := new(wireSeq) // once per login
	u.putSeq(seq, l.sgipTime, b.nextSeq())
	// The configured mode (SMGP); where deliveries come on a connection of
	// their own (SGIP), the bind carries MT only.
	mode := cfg.LoginMode()
	if u.d.SplitConnections() {
		mode = codec.LoginSubmit
	}
	b.out.buf = u.d.AppendLogin(b.out.buf, seq[:u.seqLen], &codec.Login{Name: cfg.Login, Secret: cfg.Secret, Mode: mode, Time: l.wall})
	l.stats.packet(sideSMG, dirOut, codec.KindLogin)
	b.out.mark()
}

// traffic is OnTraffic (see loop.readFrames).
func (b *bind) traffic(c gnet.Conn) gnet.Action {
	return b.l.readFrames(c, b.framer, b)
}

func (b *bind) closing() bool { return b.state == bindClosing }
func (b *bind) received()     { b.lastRecv = b.l.now }

func (b *bind) badFrame(err error) {
	b.up.g.log.Warn("upstream sent a bad frame", "bind", b.id, "err", err)
	b.close(CloseProtocolError)
}

func (b *bind) handle(frame []byte) {
	l, u, g := b.l, b.up, b.up.g
	v := &l.view
	if err := u.d.ParseView(frame, v); err != nil {
		g.logRL(slog.LevelWarn, "upstream frame does not decode", "bind", b.id, "err", err)
		if v.Kind == codec.KindUnknown {
			// SMPP answers generic_nack; the other protocols nothing.
			n := len(b.out.buf)
			if b.out.buf = u.d.AppendNack(b.out.buf, v); len(b.out.buf) > n {
				b.out.mark()
			}
			return
		}
		if v.Kind.IsResponse() {
			return // nothing to answer; the SMG's own problem
		}
		b.out.buf = u.d.AppendResp(b.out.buf, v, u.resultOf(reason.Malformed))
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
		b.out.buf = u.d.AppendResp(b.out.buf, v, 0)
		l.stats.packet(sideSMG, dirOut, codec.KindActiveTestResp)
		b.out.mark()
	case codec.KindActiveTestResp:
		b.response(frame, v)
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
		if b.state != bindReady {
			return
		}
		g.deliver.fromSMG(u, l, &b.out, frame, v)
	case codec.KindLogout:
		b.out.buf = u.d.AppendResp(b.out.buf, v, 0)
		b.out.mark()
		b.close(CloseLogout)
	case codec.KindLogoutResp:
		b.response(frame, v)
		b.close(CloseLogout)
	case codec.KindSubmit:
		// An MT from the SMG (an SMSC's data_sm): spsmg takes MO and
		// reports as Delivers only; the SMG learns so instead of resending.
		b.out.buf = u.d.AppendResp(b.out.buf, v, u.d.NotServedResult())
		b.out.mark()
	default:
		g.counters.unknownResponses.Add(1)
	}
}

func (b *bind) loginResp(v *codec.View) {
	g := b.up.g
	if b.state != bindLoggingIn {
		return
	}
	if v.Result != 0 {
		g.log.Error("upstream refused the login", "bind", b.id, "result", v.Result, "login", b.up.config().Login)
		b.close(CloseLoginFailed)
		return
	}
	b.state = bindReady
	b.loggedIn = true
	b.attempt = 0
	b.readyAt, b.lastAnswer = b.l.now, b.l.now
	// A bind dialled into a drained slot stays out of rotation.
	b.drained = b.slot.drained.Load()
	b.setReady(!b.drained)
	b.slot.logins.Add(1)
	b.publish()
	g.log.Info("upstream bind logged in", "bind", b.id, "loop", b.l.idx)
}

// forward sends an SP's request to the SMG with a sequence of this bind,
// remembering the SP's own. frame is borrowed: it is copied into the
// output buffer. allow is a Submit's authorization reason, counted once it
// is answered (spConn.settle). Runs on b's loop; sp may live on another
// loop.
//
// An SGIP Submit that asks for a report gets its report route first: the
// report will name the sequence given here, and only the route maps it
// back to the SP and the SP's own sequence. The Submit then waits until
// the route is durable (sendGated), so that whatever the SMG reports
// later — after a kill -9 of spsmg included — finds its route. The wait is
// the store writer's batch (about a millisecond), and the Submit_Resp is
// then relayed at once.
func (b *bind) forward(frame []byte, cmdKind codec.Kind, cmd uint32, spSeq []byte, kind pendingKind, sp *spConn, needReport bool, dests int, allow reason.Reason) {
	l, u, g := b.l, b.up, b.up.g
	p := b.claim()
	p.kind, p.sp, p.needReport, p.sentAt, p.allow = kind, sp, needReport, l.now, allow
	p.cmdKind, p.cmd = cmdKind, cmd
	if dests > 255 {
		dests = 255
	}
	p.dests = uint8(dests)
	copy(p.spSeq[:], spSeq)
	n := u.seqLen
	var gb *gatedBatch
	if u.routeAtForward && kind == pendSubmit && needReport && sp != nil {
		// The route joins this callback's batch: nothing shared is touched
		// per Submit (flush hands the batch to the store in one call).
		gb = b.gate()
		origin, _ := authcache.MakeOrigin(spSeq)
		if err := g.auth.AddRoute(&gb.routes, p.gwSeq[:n], authcache.Route{SP: sp.acct.id, Origin: origin}); err != nil {
			// Without a durable route its report could not be routed:
			// the SMG never sees this Submit, the SP may retry.
			g.logRL(slog.LevelError, "report route not recorded; Submit refused with store_unavailable", "err", err)
			b.release(p)
			sp.refuseNow(l, cmdKind, cmd, spSeq, reason.StoreUnavailable)
			return
		}
	}
	b.queue(gb, frame, &p.gwSeq)
	if sp != nil {
		sp.addInflight(l, 1)
	}
	l.stats.packet(sideSMG, dirOut, cmdKind)
}

// queue appends frame, its sequence rewritten to seq, to what the bind
// sends: to gb when it must wait for its report routes to be durable
// (sendGated), else to the output written at flush. Runs on b's loop.
func (b *bind) queue(gb *gatedBatch, frame []byte, seq *wireSeq) {
	u := b.up
	dst := &b.out.buf
	if gb != nil {
		dst = &gb.frames
	} else {
		b.out.mark()
	}
	start := len(*dst)
	*dst = append(*dst, frame...)
	copy((*dst)[start+u.seqOff:start+u.seqOff+u.seqLen], seq[:u.seqLen])
	if gb != nil {
		gb.subs = append(gb.subs, gatedSubmit{seq: *seq, end: len(gb.frames)})
	}
}

// observeRTT records a Submit's round trip: in the loop's histogram, and
// in the upstream's on this loop when there are several upstreams.
func (b *bind) observeRTT(ns int64) {
	b.l.stats.submitRTT.observeNS(ns)
	if len(b.l.ups) > 1 {
		b.lb.rtt.observeNS(ns)
	}
}

// release frees the ring slot of a request that was never sent.
func (b *bind) release(p *pending) {
	b.inflight--
	b.l.stats.inflight.Add(-1)
	*p = pending{}
}

// gate returns the bind's batch of Submits held back in this callback,
// starting one (and enlisting the bind for flush) when there is none.
// Runs on b's loop.
func (b *bind) gate() *gatedBatch {
	if gb := b.gating; gb != nil {
		return gb
	}
	var gb *gatedBatch
	if n := len(b.spareGated); n > 0 {
		gb = b.spareGated[n-1]
		b.spareGated[n-1] = nil
		b.spareGated = b.spareGated[:n-1]
	} else {
		gb = &gatedBatch{b: b}
		gb.wrote = gb.written
		gb.task = func(context.Context) error {
			l := gb.b.l
			l.tick()
			gb.b.gatedDurable(gb, gb.err)
			l.flush()
			return nil
		}
	}
	b.gating = gb
	b.l.gatedBinds = append(b.l.gatedBinds, b)
	return gb
}

// sendGated hands the routes of the Submits gated in this callback to the
// store writer, one call per bind and callback; the Submits follow when
// the routes are durable. Runs on b's loop (loop.flush).
func (b *bind) sendGated() {
	gb := b.gating
	if gb == nil {
		return
	}
	b.gating = nil
	if len(gb.subs) == 0 {
		b.recycle(gb)
		return
	}
	if err := b.up.g.auth.PutRoutes(&gb.routes, gb.wrote); err != nil {
		b.gatedDurable(gb, err)
	}
}

// written is PutRoutes' done, on the store writer: hand the result to the
// bind's loop.
func (gb *gatedBatch) written(err error) {
	b := gb.b
	g := b.up.g
	gb.err = err
	if b.l.el.Execute(g.ctx, gb.task) != nil {
		// The engine has stopped: nothing will be sent. The SPs were
		// answered when their connections or the binds closed.
		for i := range gb.subs {
			_ = g.auth.DeleteRoute(gb.subs[i].seq[:b.up.seqLen])
		}
	}
}

// recycle empties gb and keeps it for the bind's next callback.
func (b *bind) recycle(gb *gatedBatch) {
	if cap(gb.frames) > 1<<20 {
		gb.frames = nil // do not keep a burst's buffer forever
	} else {
		gb.frames = gb.frames[:0]
	}
	gb.subs = gb.subs[:0]
	gb.routes.Reset()
	gb.err = nil
	if len(b.spareGated) < maxSpareGated {
		b.spareGated = append(b.spareGated, gb)
	}
}

// gatedDurable sends gated Submits whose routes are now durable. When the
// store failed to write them (err), it answers their SPs with the
// retryable store_unavailable result instead and forgets the routes. A
// Submit already answered meanwhile (its bind closed, or it timed out) is
// not sent. Runs on b's loop.
func (b *bind) gatedDurable(gb *gatedBatch, err error) {
	g := b.up.g
	n := b.up.seqLen
	frames, subs := gb.frames, gb.subs
	defer b.recycle(gb)
	if err != nil {
		g.logRL(slog.LevelError, "report routes not written; Submits refused with store_unavailable", "submits", len(subs), "err", err)
	}
	start := 0
	for i := range subs {
		frame := frames[start:subs[i].end]
		start = subs[i].end
		seq := subs[i].seq[:n]
		p := &b.ring[counterOf(seq)&b.mask]
		live := p.kind != 0 && sameSeq(&p.gwSeq, n, seq)
		if err == nil && live && b.state == bindReady {
			b.out.buf = append(b.out.buf, frame...)
			b.out.mark()
			p.sentAt = b.l.now // the round trip and its timeout count from here
			continue
		}
		_ = g.auth.DeleteRoute(seq)
		if !live {
			continue // answered already
		}
		if p.kind == pendPart {
			done := p.done
			b.release(p)
			done(0, nil, errRouteNotStored)
			continue
		}
		why := reason.StoreUnavailable
		if err == nil {
			why = reason.UpstreamUnavailable // the bind is going away
		}
		sp := p.sp
		cmdKind, cmd, spSeq := p.cmdKind, p.cmd, p.spSeq
		b.release(p)
		if sp != nil {
			sp.addInflight(b.l, -1)
			sp.refuseNow(b.l, cmdKind, cmd, spSeq[:sp.f.seqLen], why)
		}
	}
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
	ctr := b.nextSeq()
	p := &b.ring[ctr&b.mask]
	if p.kind != 0 {
		b.timedOut(p)
	}
	if b.inflight == 0 {
		b.lastAnswer = b.l.now // waiting starts now: an idle spell is no stall
	}
	b.up.putSeq(&p.gwSeq, b.l.sgipTime, ctr)
	b.inflight++
	b.l.stats.inflight.Add(1)
	b.lastSend = b.l.now
	return p
}

// sameSeq reports whether b is the first n bytes of a: bytes.Equal for
// the 4-byte (CMPP, SMGP, SMPP) and 12-byte (SGIP) sequences in words,
// without the runtime call bytes.Equal makes (once per response).
func sameSeq(a *wireSeq, n int, b []byte) bool {
	if len(b) != n {
		return false
	}
	switch n {
	case 4:
		return binary.LittleEndian.Uint32(a[:4]) == binary.LittleEndian.Uint32(b)
	case 12:
		return binary.LittleEndian.Uint64(a[:8]) == binary.LittleEndian.Uint64(b) &&
			binary.LittleEndian.Uint32(a[8:12]) == binary.LittleEndian.Uint32(b[8:12])
	}
	return bytes.Equal(a[:n], b)
}

var (
	errResponseTimeout = errors.New("proxy: upstream response timeout")
	errBindLost        = errors.New("proxy: upstream bind lost")
	errRouteNotStored  = errors.New("proxy: report route not stored")
)

// response matches a response to its request and sends it back.
func (b *bind) response(frame []byte, v *codec.View) {
	l, u, g := b.l, b.up, b.up.g
	n := u.seqLen
	p := &b.ring[counterOf(v.Sequence)&b.mask]
	if p.kind == 0 || !sameSeq(&p.gwSeq, n, v.Sequence) {
		g.counters.unknownResponses.Add(1)
		return
	}
	b.inflight--
	l.stats.inflight.Add(-1)
	b.lastAnswer = l.now
	if v.Kind == codec.KindActiveTestResp {
		b.probing = false // spsmg has one Active_Test out at a time
	} else {
		// Only an answer to a real request ends a run of timeouts: an SMG
		// may answer Active_Tests and still drop every Submit.
		b.timeouts = 0
	}
	switch p.kind {
	case pendPart:
		b.observeRTT(l.now - p.sentAt)
		done := p.done
		*p = pending{}
		done(v.Result, v.MsgID, nil)
		return
	case pendInternal:
		if p.cmdKind == codec.KindSubmit {
			b.observeRTT(l.now - p.sentAt)
		}
		if p.done != nil {
			p.done(v.Result, v.MsgID, nil)
		}
	case pendSubmit, pendOther:
		sp := p.sp
		if p.kind == pendSubmit {
			b.observeRTT(l.now - p.sentAt)
			if sp != nil {
				sp.settle(l, p.allow)
			}
		}
		switch {
		case p.kind == pendSubmit && p.needReport && u.routeAtForward && v.Result != 0:
			// The SMG refused the Submit: no report will come for the
			// route written when it was forwarded.
			_ = g.auth.DeleteRoute(p.gwSeq[:n])
		case p.kind == pendSubmit && p.needReport && !u.routeAtForward && v.Result == 0 && sp != nil:
			b.recordRoutes(v, p, sp)
		}
		if sp != nil {
			sp.addInflight(l, -1)
			sp.reply(l, frame, p.spSeq[:sp.f.seqLen], v.Kind, v.Result)
		}
	}
	*p = pending{}
}

// recordRoutes remembers which SP a report for this Submit belongs to,
// CMPP/SMGP: by message id, one per recipient, learned from the
// Submit_Resp (SGIP routes are written by forward). A report whose route
// was lost in a crash is routed by its SP number.
func (b *bind) recordRoutes(v *codec.View, p *pending, sp *spConn) {
	g := b.up.g
	if len(v.MsgID) == 0 {
		return
	}
	dests := int(p.dests)
	if dests < 1 {
		dests = 1
	}
	for i := 0; i < dests; i++ {
		b.keyBuf = b.up.d.AppendMsgIDAt(b.keyBuf[:0], v.MsgID, i)
		_ = g.auth.PutRouteIn(&b.l.writes, b.keyBuf, authcache.Route{SP: sp.acct.id})
	}
}

// fail answers a request that will get no response from the SMG: an SP's
// Submit gets the retryable upstream_timeout result (docs/product.md §4:
// never silence, never success).
func (b *bind) fail(p *pending, err error) {
	b.inflight--
	b.l.stats.inflight.Add(-1)
	switch p.kind {
	case pendPart:
		b.up.failures.Add(1)
		done := p.done
		*p = pending{}
		done(0, nil, err)
		return
	case pendInternal:
		if p.done != nil {
			p.done(0, nil, err)
		}
	case pendSubmit, pendOther:
		if p.kind == pendSubmit {
			b.up.failures.Add(1)
		}
		if sp := p.sp; sp != nil {
			sp.addInflight(b.l, -1)
			sp.refuseLater(b.l, p, reason.UpstreamTimeout)
		}
	}
	*p = pending{}
}

// timedOut fails a request the SMG left unanswered past response_timeout
// and counts it towards max_timeouts.
func (b *bind) timedOut(p *pending) {
	b.timeouts++
	b.fail(p, errResponseTimeout)
}

// sweep checks the bind's timers: login timeout, response timeouts, and
// its health (health.go). Every sweepEvery.
func (b *bind) sweep() {
	l, up, g := b.l, b.up, b.up.g
	u := up.config()
	now := l.now
	if b.state == bindLoggingIn && now-b.openedAt > int64(u.ConnectTimeout+u.ResponseTimeout) {
		g.log.Warn("upstream login timed out", "bind", b.id)
		b.close(CloseLoginTimeout)
		return
	}
	if b.state != bindReady {
		return
	}
	defer b.publish()
	if b.slot.streak > 0 && now-b.readyAt > int64(u.ResponseTimeout+u.StallProbeAfter+u.ProbeTimeout) {
		b.slot.streak = 0 // healthy through a whole detection window
	}
	if b.inflight > 0 {
		timeout := int64(u.ResponseTimeout)
		for i := range b.ring {
			if p := &b.ring[i]; p.kind != 0 && now-p.sentAt > timeout {
				b.timedOut(p)
			}
		}
		if b.timeouts >= u.MaxTimeouts {
			b.unhealthy(unhealthyTimeouts)
			return
		}
	}
	if !up.d.HasActiveTest() || b.leaving {
		return
	}
	if b.probing {
		if now-b.probeSentAt > int64(u.ProbeTimeout) {
			why := unhealthyActiveTest
			if b.probeStall {
				why = unhealthyStallProbe
			}
			b.unhealthy(why)
		}
		return
	}
	stalled := b.inflight > 0 && now-b.lastAnswer > int64(u.StallProbeAfter)
	idle := now-max(b.lastRecv, b.lastSend) > int64(u.ActiveTestInterval)
	if stalled || idle {
		b.probing, b.probeStall, b.probeSentAt = true, stalled, now
		b.send(codec.KindActiveTest, func(dst []byte, seq wireSeq) []byte { return up.d.AppendActiveTest(dst, seq[:up.seqLen]) }, nil)
		l.stats.packet(sideSMG, dirOut, codec.KindActiveTest)
	}
}

// unhealthy takes the bind out of service: no new Submits from now on,
// those in flight answered upstream_timeout, the connection closed; the
// upstream dials a replacement into the same slot after a backoff.
func (b *bind) unhealthy(why unhealthyReason) {
	l, g := b.l, b.up.g
	b.up.unhealthy[why].Add(1)
	b.slot.unhealthy.Add(1)
	b.slot.lastReason.Store(uint32(why) + 1)
	b.slot.lastUnhealthyAt.Store(l.now)
	b.slot.setState(slotUnhealthy)
	b.slot.streak++
	g.log.Warn("upstream bind unhealthy: closing it and dialling again", "bind", b.id, "loop", l.idx,
		"reason", why.String(), "inflight", b.inflight, "timeouts_in_a_row", b.timeouts,
		"last_answer_ago", time.Duration(l.now-b.lastAnswer).Round(time.Millisecond))
	if why == unhealthyTimeouts {
		b.close(CloseUpstreamLost)
	} else {
		b.close(CloseActiveTestFailed)
	}
}

// applyDrain takes the bind out of rotation or puts it back, as its slot
// says (Gateway.DrainBind): a drained bind takes no new request, answers
// those in flight, keeps its keep-alives and relays what the SMG sends.
// Runs on b's loop.
func (b *bind) applyDrain() {
	b.drained = b.slot.drained.Load()
	if b.state == bindReady && !b.leaving {
		b.setReady(!b.drained)
	}
}

// setReady counts the bind in or out of the binds that take Submits: in
// when logged in, out as soon as it starts closing, so that Submits turn
// to other binds (or loops) at once rather than when the close completes.
func (b *bind) setReady(on bool) {
	if b.counted == on {
		return
	}
	b.counted = on
	d := int32(1)
	if !on {
		d = -1
	}
	b.lb.ready.Add(d)
	b.up.ready.Add(d)
}

// publish copies what /readyz and the metrics show into the slot.
func (b *bind) publish() {
	s := b.slot
	if b.state == bindReady {
		s.setState(slotReady)
	}
	s.inflight.Store(int32(b.inflight))
	s.lastAnswer.Store(b.lastAnswer)
}

// close ends the bind: every request in flight is failed now, and the
// upstream manager reconnects. Runs on b's loop.
func (b *bind) close(why CloseReason) {
	if b.state == bindClosing || b.state == bindClosed {
		return
	}
	b.state = bindClosing
	b.closeWhy = why
	b.setReady(false)
	if b.slot.getState() != slotUnhealthy {
		b.slot.setState(slotDialing) // a replacement follows after a backoff
	}
	b.out.closeWrite()
	b.failAll()
	b.publish()
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
	b.setReady(false)
	if b.slot.getState() != slotUnhealthy {
		b.slot.setState(slotDialing)
	}
	b.state = bindClosed
	b.out.closed.Store(true)
	b.failAll()
	b.lb.remove(b)
	b.l.flush()
	b.up.lost(b, err)
}

// goodbye sends the protocol's logout (shutdown).
func (b *bind) goodbye() {
	if b.state != bindReady {
		return
	}
	u := b.up
	b.send(codec.KindLogout, func(dst []byte, seq wireSeq) []byte { return u.d.AppendLogout(dst, seq[:u.seqLen]) }, nil)
	b.l.stats.packet(sideSMG, dirOut, codec.KindLogout)
	b.leaving = true
}
