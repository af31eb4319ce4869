package proxy

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/route"
	"github.com/spsmg/spsmg/translate"
)

// loop is the state of one gnet event loop. Only that loop's goroutine
// touches it (its stats are atomics read by the metrics collector).
type loop struct {
	gw  *Gateway
	el  gnet.EventLoop
	idx int

	// ups are the binds enrolled on this loop, one set per upstream
	// (indexed like Gateway.upstreams).
	ups []loopBinds
	// gatedBinds hold Submits waiting for their report routes to be
	// durable (bind.forward); flush starts the wait.
	gatedBinds []*bind

	// Scratch reused for every frame: the hot path allocates nothing.
	view  codec.View
	mt    authcache.MT
	dests [][]byte
	// ids write the SP-side message ids of translated and split Submits
	// and of the reports and MO translated on this loop (translated.go),
	// one per SP face (Gateway.faces); nil where nothing translates for
	// the face, or for SGIP SPs.
	ids []*translate.IDGen
	// split: the recipients of the Submit being routed, by upstream
	// (routing.go); a few kilobytes, reused.
	split route.Split

	// writes: store writes made on this loop (report routes, outbox
	// removals), handed to the store writer at once by flush: one lock of
	// its queue per callback rather than per message.
	writes authcache.WriteBatch

	// acks: acknowledgements to this loop's SMG connections decided
	// elsewhere (deliver.go); ackView is the scratch View ack.send
	// writes them from.
	acks    ackInbox
	ackView codec.View

	// pendConns: SP connections of this loop whose counts wait in
	// spConn.pend; flush publishes them.
	pendConns []*spConn

	dirty    []*output // peers written to during the current callback
	spare    []*output // the other half of dirty, swapped by flush
	flushing bool

	sessions map[*spConn]struct{}  // SP-facing connections, for the sweep
	inbounds map[*inbound]struct{} // SGIP: the SMG's type-2 connections

	deferred   int    // Submits of this loop's SPs waiting for a cluster decision (deferred.go)
	authSample uint32 // counts decisions; one in 64 is timed

	now      int64     // monotonic ns since gateway start, refreshed per callback
	wall     time.Time // wall clock at the same moment (rate limiter)
	sgipTime uint32    // MMDDhhmmss for SGIP sequences, refreshed by the sweep

	sessionsSweptAt int64 // l.now of the last sweep of SP connections

	stats loopStats

	sweepTask gnet.RunnableFunc
}

func newLoop(gw *Gateway, el gnet.EventLoop, idx int) *loop {
	l := &loop{gw: gw, el: el, idx: idx, ups: make([]loopBinds, len(gw.upstreams)), sessions: make(map[*spConn]struct{}),
		inbounds: make(map[*inbound]struct{}), dests: make([][]byte, 0, 100)}
	l.mt.Dests = l.dests
	l.ids = make([]*translate.IDGen, len(gw.faces))
	for i, f := range gw.faces {
		if f.ids != nil {
			l.ids[i] = f.ids.Gen(f.tf, gw.cfgLoad().Node.GatewayCode)
		}
	}
	l.stats.submitRTT.init(latencyBounds)
	for i := range l.ups {
		l.ups[i].rtt.init(latencyBounds)
	}
	l.stats.authLatency.init(authBounds)
	l.stats.deferLatency.init(latencyBounds)
	l.sweepTask = func(context.Context) error { l.sweep(); return nil }
	l.acks.task = l.sendAcks
	l.tick()
	return l
}

// tick refreshes the loop's clocks; called at the start of every callback.
func (l *loop) tick() {
	l.wall = time.Now()
	l.now = int64(l.wall.Sub(l.gw.start))
	if l.sgipTime == 0 {
		l.sgipTime = codec.Timestamp(l.wall)
	}
}

// session is a connection's handler on its loop: spConn, bind, inbound.
type session interface {
	handle(frame []byte) // one complete frame, borrowed
	badFrame(err error)  // the stream cannot be split: log and close
	closing() bool       // stop reading: the connection is being closed
	received()           // at least one frame was handled
}

// readFrames is every session's OnTraffic: split the buffered bytes into
// frames, handle each, consume them, then write each touched peer once
// (docs/performance-notes.md §1: one Write per OnTraffic). Frames are borrowed from
// gnet's buffer until the Discard.
func (l *loop) readFrames(c gnet.Conn, f codec.Framer, s session) gnet.Action {
	l.tick()
	// The first frame may begin in gnet's ring (the partial frame left over
	// from the previous read) and end in the bytes just read: peek it alone,
	// so that joining the two copies one frame. Peek(-1) over both would
	// copy the whole read, up to 64 KB (bench profile: memmove 14 %).
	if hdr, err := c.Peek(codec.LengthFieldSize); err == nil {
		n, err := f.Split(hdr)
		if err != nil {
			s.badFrame(err)
			return l.done(s)
		}
		if n == 0 { // a valid length, more bytes than the 4 peeked
			n = int(binary.BigEndian.Uint32(hdr))
		}
		frame, err := c.Peek(n)
		if err != nil { // the first frame is not complete yet
			return gnet.None
		}
		s.handle(frame)
		_, _ = c.Discard(n)
		s.received()
	}
	buf, _ := c.Peek(-1)
	off := 0
	for off < len(buf) && !s.closing() {
		n, err := f.Split(buf[off:])
		if err != nil {
			s.badFrame(err)
			break
		}
		if n == 0 {
			break
		}
		s.handle(buf[off : off+n])
		off += n
	}
	if off > 0 { // Discard(0) would discard everything
		_, _ = c.Discard(off)
		s.received()
	}
	return l.done(s)
}

// done ends a callback: write what it produced, close if asked to.
func (l *loop) done(s session) gnet.Action {
	l.flush()
	if s.closing() {
		return gnet.Close
	}
	return gnet.None
}

// output buffers what spsmg writes to one peer during a callback; flush
// writes it with one Write (docs/performance-notes.md §1: one Write per
// OnTraffic).
type output struct {
	conn   gnet.Conn
	loop   *loop
	buf    []byte
	queued bool
	closed atomic.Bool // read by goroutines that acknowledge to the SMG (ack.send)
	onSlow func()      // called when the peer's unsent output passes the bound
}

// mark queues o for the flush at the end of the current callback.
func (o *output) mark() {
	if !o.queued {
		o.queued = true
		o.loop.dirty = append(o.loop.dirty, o)
	}
}

// flush writes every peer's pending output once. Call at the end of each
// callback that may have written. Writing can close a slow consumer, which
// may queue more output: flush loops until nothing is dirty, and a nested
// call returns at once.
func (l *loop) flush() {
	if l.flushing {
		return
	}
	l.flushing = true
	l.publish()                     // before the writes: a peer that reads them may scrape next
	_ = l.gw.auth.Submit(&l.writes) // before the gated Submits' barrier; a full queue is counted in Dropped
	for i, b := range l.gatedBinds {
		l.gatedBinds[i] = nil
		b.sendGated()
	}
	l.gatedBinds = l.gatedBinds[:0]
	max := l.gw.cfgLoad().Gateway.MaxOutboundBytes
	for len(l.dirty) > 0 {
		batch := l.dirty
		l.dirty = l.spare[:0]
		for i, o := range batch {
			batch[i] = nil
			o.queued = false
			o.write(max)
		}
		l.spare = batch[:0]
	}
	l.publish() // what closing a slow consumer counted
	l.flushing = false
}

// publish makes what the loop and its SP connections counted since the
// last publish visible to other goroutines (loopStats.publish,
// spConn.publishPending).
func (l *loop) publish() {
	l.stats.publish()
	for i := range l.ups {
		l.ups[i].rtt.publish() // the upstream's round trips on this loop (bind.observeRTT)
	}
	for i, s := range l.pendConns {
		l.pendConns[i] = nil
		s.pend.queued = false
		s.publishPending()
	}
	l.pendConns = l.pendConns[:0]
}

// write sends o's buffer with one Write (gnet copies what the socket does
// not take) and checks the peer's unsent output against the bound.
func (o *output) write(max int) {
	if len(o.buf) == 0 {
		return
	}
	if !o.closed.Load() {
		_, _ = o.conn.Write(o.buf)
		if o.conn.OutboundBuffered() > max && o.onSlow != nil {
			o.onSlow()
		}
	}
	if cap(o.buf) > 1<<20 {
		o.buf = nil // do not keep a burst's buffer forever
	} else {
		o.buf = o.buf[:0]
	}
}

// closeWrite writes what is pending, then marks o closed: used by the
// sessions' close, so that a last response (a login refusal) is sent.
func (o *output) closeWrite() {
	if !o.closed.Load() && len(o.buf) > 0 {
		_, _ = o.conn.Write(o.buf)
	}
	o.buf = o.buf[:0]
	o.closed.Store(true)
}

// sweep runs on the loop every sweepEvery (1 s by default, shorter with
// short bind-health timers): the binds' timers every time, the timers of
// SP and SGIP inbound connections once a second (their timers count in
// seconds, and there may be many thousands of them).
func (l *loop) sweep() {
	l.tick()
	l.sgipTime = codec.Timestamp(l.wall)
	for i := range l.ups {
		for _, b := range l.ups[i].binds {
			b.sweep()
		}
	}
	every := l.gw.sweepEvery.Load()
	if l.now-l.sessionsSweptAt >= int64(time.Second)-every/2 {
		l.sessionsSweptAt = l.now
		for s := range l.sessions {
			s.sweep()
		}
		for s := range l.inbounds {
			s.sweep()
		}
	}
	l.flush()
}

// inflight counts requests awaiting the SMG on this loop's binds.
func (l *loop) inflight() int {
	n := l.deferred
	for i := range l.ups {
		for _, b := range l.ups[i].binds {
			n += b.inflight
		}
	}
	return n
}

// sayGoodbye sends every peer of the loop its logout (shutdown).
func (l *loop) sayGoodbye() {
	for s := range l.sessions {
		if s.state == spReady {
			s.goodbye()
			s.closeWhy = CloseShutdown
		}
	}
	for i := range l.ups {
		for _, b := range l.ups[i].binds {
			b.goodbye()
		}
	}
}

// outputDrained: nothing left to write and no logout unanswered.
func (l *loop) outputDrained() bool {
	for s := range l.sessions {
		if !s.closed.Load() && s.c.OutboundBuffered() > 0 {
			return false
		}
	}
	for i := range l.ups {
		for _, b := range l.ups[i].binds {
			if b.state == bindReady && (b.c.OutboundBuffered() > 0 || b.inflight > 0) {
				return false
			}
		}
	}
	return true
}
