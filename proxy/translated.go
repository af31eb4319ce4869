package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/translate"
)

// Translation (docs/translation.md). An SP face (face.go) has a
// translate.Pair toward every upstream whose protocol is not its own; an SP's Submit routed to it, once authorized
// on the SP's own frame, becomes a translate.Plan: one or more Submits in
// the upstream's protocol (parts of a long message, groups of recipients),
// all sent through binds of that upstream on one event loop, their answers
// merged into the SP's one Submit_Resp. Reports come back through report
// routes whose Origin is the SP's id of the recipient, and are rewritten
// by the Pair; MO likewise.
//
//	spConn.submit ─ authorize ─▶ Pair.Submit ─▶ xsubmit.send(loop) ─▶ bind.forwardPart × n ─▶ SMG
//	SP ◀─ Plan.AppendResp ◀─ xsubmit.finish ◀─ Plan.Answer ◀─ bind.response / fail
//
// The untranslated path does not come here: one nil check (spFace.pair)
// is all it pays.

var errOriginTooLong = errors.New("proxy: the SP's message id is longer than a route's origin")

// xsubmit is one SP Submit on its way through a Plan. Everything in it is
// touched on one event loop, the one send ran on (the parts' binds are
// that loop's), except s, which lives on the SP's loop.
type xsubmit struct {
	s       *spConn
	u       *upstream
	plan    *translate.Plan
	spSeq   wireSeq
	cmdKind codec.Kind
	cmd     uint32
	allow   reason.Reason
	// answered counts the parts the upstream answered (not timeouts, lost
	// binds): none means the Submit is answered upstream_timeout, as an
	// untranslated one is.
	answered int
	// split: the Submit spanning several upstreams this is group grp of
	// (routing.go); nil when it went whole to u.
	split *xsplit
	grp   int
}

// translation prepares, for every SP face, the translation toward every
// upstream whose protocol is not the face's (its Pair), and, where
// anything translates or splits, the face's source of SP-side message ids
// (each loop has its IDGen). Called by New.
func (g *Gateway) translation(cfg *config.Config) error {
	loc, err := config.ParseTimeZone(cfg.Node.TimeZone)
	if err != nil || loc == nil {
		loc = time.UTC
	}
	g.loc = loc
	ups := cfg.Upstreams()
	for _, f := range g.faces {
		f.pairs = make([]*translate.Pair, len(g.upstreams))
		sp := f.tf
		if sp == nil {
			continue // every Dialect is a Face; this keeps a test Dialect working
		}
		need := len(g.upstreams) > 1
		for i, u := range g.upstreams {
			if u.d.Protocol() == f.d.Protocol() {
				continue
			}
			up, ok := u.d.(translate.Face)
			if !ok {
				continue
			}
			// What the SP's protocol does not carry, the upstream gets
			// from its translate: section (docs/translation.md §2.3).
			tr := ups[i].Translate
			f.pairs[i] = translate.NewPair(sp, up, translate.Options{Location: loc, CorpID: tr.Corp(), Fee: tr.Fee()})
			need = true
		}
		if !need {
			continue
		}
		// Several upstreams: a split Submit's groups go through Pairs too,
		// the same-protocol ones through the identity Pair (routing.go).
		f.same = translate.NewPair(sp, sp, translate.Options{Location: loc})
		// The ids continue above the limit a previous run persisted, and
		// are taken up to limits persisted first (idmark.go).
		f.idKey = idMarkKey(cfg.Node.GatewayCode, f)
		floor, err := g.idMarkFloor(f.idKey)
		if err != nil {
			return fmt.Errorf("proxy: reading the %s message-id limit from the store: %w", f.d.Protocol(), err)
		}
		if f.ids = newIDSource(f, loc, floor); f.ids == nil {
			continue // SGIP: the SP's own sequences are its ids
		}
		f.offLoopIDs = f.ids.Gen(sp, cfg.Node.GatewayCode)
		if err := g.reserveIDsNow(f); err != nil {
			// The keeper tries again every idMarkEvery; until then no id.
			g.log.Error("message-id limit not persisted at start; translated Submits are answered busy until it is", "protocol", f.d.Protocol().String(), "err", err)
		}
	}
	return nil
}

// submitTranslated translates an authorized Submit for upstream u and
// sends it, from the SP's loop l or, when l has no ready bind of u, from
// the loop to (hand-over). frame is borrowed. Runs on s's loop.
func (s *spConn) submitTranslated(l *loop, frame []byte, v *codec.View, u *upstream, to *loop, allow reason.Reason) {
	pair := s.f.pair(u)
	plan, err := pair.Submit(frame, v.Sequence, l.ids[s.f.idx])
	if errors.Is(err, translate.ErrNoIDs) { // no SP id yet (idmark.go): busy
		s.refuse(v, reason.UpstreamUnavailable)
		return
	}
	if err != nil {
		// Authorized, but the upstream cannot carry it as it is: the SP
		// learns why in its own protocol (docs/translation.md §2).
		s.g.logRL(slog.LevelWarn, "Submit cannot be translated", "account", s.acct.id, "upstream", u.name, "err", err)
		s.count(reason.Malformed)
		s.respond(v, pair.RefusalResult(err))
		return
	}
	x := &xsubmit{s: s, u: u, plan: plan, cmdKind: v.Kind, cmd: v.Command, allow: allow}
	copy(x.spSeq[:], v.Sequence)
	s.inflight.Add(1)
	if to == nil {
		x.send(l)
		return
	}
	if !x.sendOn(to) {
		s.inflight.Add(-1)
		s.refuse(v, reason.UpstreamUnavailable)
	}
}

// sendOn runs send on loop to (a hand-over, or a decision taken off the
// loop). false: to no longer runs.
func (x *xsubmit) sendOn(to *loop) bool {
	return to.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		to.tick()
		x.send(to)
		to.flush()
		return nil
	})) == nil
}

// send forwards every Submit of the plan through binds of x.u on loop l; a
// part no bind can take is answered busy at once. Runs on l.
func (x *xsubmit) send(l *loop) {
	pl := x.plan
	for k := 0; k < pl.Len(); k++ {
		b := x.u.pick(l)
		if b == nil {
			pl.AnswerClass(k, codec.ResultBusy)
			continue
		}
		b.forwardPart(x, k)
	}
	if pl.Done() { // no part could be sent
		x.finish(l)
	}
}

// forwardPart sends part k of x's plan with a sequence of this bind. An
// SGIP upstream's report routes are stored first and the part gated until
// they are durable, as bind.forward does. Runs on b's loop.
func (b *bind) forwardPart(x *xsubmit, k int) {
	l, u, g := b.l, b.up, b.up.g
	pl := x.plan
	p := b.claim()
	p.kind, p.sentAt, p.cmdKind = pendPart, l.now, codec.KindSubmit
	p.done = func(result uint32, msgID []byte, err error) { x.partAnswered(l, k, result, msgID, err == nil) }
	var gb *gatedBatch
	if u.routeAtForward && pl.NeedReport() {
		pl.Sent(k, p.gwSeq[:u.seqLen])
		if err := x.storeRoutes(k); err != nil {
			g.logRL(slog.LevelError, "report route not stored; part answered busy", "err", err)
			b.release(p)
			x.partAnswered(l, k, 0, nil, false)
			return
		}
		gb = b.gate() // its routes are PutRoute's, written before the batch's
	}
	b.queue(gb, pl.Frame(k), &p.gwSeq)
	l.stats.packet(sideSMG, dirOut, codec.KindSubmit)
}

// storeRoutes writes the report route of every recipient of part k: the
// upstream's id its report will name, to the SP's account and the SP's id
// of that recipient (docs/translation.md §3.3).
func (x *xsubmit) storeRoutes(k int) error {
	g := x.u.g
	pl := x.plan
	var key, origin []byte
	from, to := pl.Recipients(k)
	for j := from; j < to; j++ {
		key, origin = pl.Route(k, j, key[:0], origin[:0])
		o, ok := authcache.MakeOrigin(origin)
		if !ok {
			return errOriginTooLong
		}
		if err := g.auth.PutRoute(key, authcache.Route{SP: x.s.acct.id, Origin: o}); err != nil {
			return err
		}
	}
	return nil
}

// deleteRoutes forgets the routes storeRoutes wrote for a part the
// upstream refused or that was never sent.
func (x *xsubmit) deleteRoutes(k int) {
	pl := x.plan
	var key, origin []byte
	from, to := pl.Recipients(k)
	for j := from; j < to; j++ {
		key, origin = pl.Route(k, j, key[:0], origin[:0])
		_ = x.u.g.auth.DeleteRoute(key)
	}
}

// partAnswered records the answer to part k: the upstream's (upstream
// true: result and its id of the message) or a busy one spsmg gives for a
// timeout, a lost bind, a route not stored. Runs on the loop x was sent
// on.
func (x *xsubmit) partAnswered(l *loop, k int, result uint32, upID []byte, upstream bool) {
	pl := x.plan
	var recorded bool
	if upstream {
		x.answered++
		recorded = pl.Answer(k, result, upID)
	} else {
		recorded = pl.AnswerClass(k, codec.ResultBusy)
	}
	if !recorded {
		return
	}
	if pl.NeedReport() {
		switch {
		case x.u.routeAtForward && !pl.Accepted(k) && upstream:
			x.deleteRoutes(k) // refused: no report will come
		case !x.u.routeAtForward && pl.Accepted(k):
			if err := x.storeRoutes(k); err != nil {
				x.u.g.logRL(slog.LevelError, "report route not stored", "err", err)
			}
		}
	}
	if pl.Done() {
		x.finish(l)
	}
}

// finish answers the SP once every part is answered: the Plan's answer
// with the SP's id, then a REJECTD report for each recipient a part was
// refused for (when the SP asked for reports). A Submit the upstream
// answered none of the parts of is answered upstream_timeout, as an
// untranslated one. Runs on the loop x was sent on.
func (x *xsubmit) finish(l *loop) {
	if x.split != nil {
		x.split.groupDone(l, x)
		return
	}
	s, g, f := x.s, x.u.g, x.s.f
	s.inflight.Add(-1)
	if x.answered == 0 {
		s.refuseLater(l, &pending{kind: pendSubmit, cmdKind: x.cmdKind, cmd: x.cmd, spSeq: x.spSeq}, reason.UpstreamTimeout)
		return
	}
	s.settle(l, x.allow)
	s.write(l, x.plan.AppendResp(nil, x.spSeq[:f.seqLen]), codec.KindSubmitResp)
	for _, i := range x.plan.Failures() {
		r := x.plan.FailureReport(i, l.wall)
		g.deliver.enqueue(l, s.acct, &delivery{kind: f.reportKind(), frame: f.pair(x.u).AppendSPReport(nil, &r, l.ids[f.idx], l.wall)}, nil)
	}
}

// write sends frame, complete with the SP's sequence, to the SP from loop
// l, which may not be s's loop (then by AsyncWrite; frame is then s's).
func (s *spConn) write(l *loop, frame []byte, kind codec.Kind) {
	if s.closed.Load() {
		return
	}
	l.stats.packet(sideSP, dirOut, kind)
	if l == s.l {
		s.out.buf = append(s.out.buf, frame...)
		s.out.mark()
		s.lastSend = l.now
		return
	}
	_ = s.c.AsyncWrite(frame, nil)
}

// withIDs runs fn with face f's SP-side id writer of loop l, or, off the
// loops (l nil), the face's shared one under its lock; nil when nothing
// translates for f.
func (g *Gateway) withIDs(l *loop, f *spFace, fn func(*translate.IDGen)) {
	if l != nil {
		fn(l.ids[f.idx])
		return
	}
	f.offLoopMu.Lock()
	defer f.offLoopMu.Unlock()
	fn(f.offLoopIDs)
}

// translatedReport re-expresses a report from upstream up for an SP of
// face f, with the SP's id of the message from the route's Origin. Runs
// on loop l, or off the loops with l nil.
func (dv *deliverer) translatedReport(l *loop, f *spFace, up *upstream, origin, frame []byte) ([]byte, error) {
	g := dv.g
	var out []byte
	var err error
	g.withIDs(l, f, func(ids *translate.IDGen) {
		now := g.clockNow(l)
		out, err = f.pair(up).Report(frame, origin, ids, now)
	})
	return out, err
}

// translatedMO re-expresses an MO from upstream up for an SP of face f:
// one frame, or one a part when the SP's protocol cannot carry it whole.
// Runs on l.
func (dv *deliverer) translatedMO(l *loop, f *spFace, up *upstream, frame []byte) ([][]byte, error) {
	g := dv.g
	var fs [][]byte
	var err error
	g.withIDs(l, f, func(ids *translate.IDGen) {
		fs, err = f.pair(up).MO(frame, ids, g.clockNow(l))
	})
	return fs, err
}

// decidedTranslated sends a Submit whose decision was taken in the
// cluster (deferred.go) through u's translation: f is spsmg's copy of the
// frame. Runs on s's loop l.
func (s *spConn) decidedTranslated(l *loop, f []byte, kind codec.Kind, cmd uint32, spSeq wireSeq, u *upstream, allow reason.Reason) {
	pair := s.f.pair(u)
	n := s.f.seqLen
	plan, err := pair.Submit(f, spSeq[:n], l.ids[s.f.idx])
	if err != nil {
		s.count(reason.Malformed)
		v := codec.View{Kind: kind, Command: cmd, Sequence: spSeq[:n]}
		s.respond(&v, pair.RefusalResult(err))
		return
	}
	x := &xsubmit{s: s, u: u, plan: plan, cmdKind: kind, cmd: cmd, allow: allow, spSeq: spSeq}
	s.inflight.Add(1)
	if u.pick(l) != nil {
		x.send(l)
		return
	}
	if to := u.handOverTarget(l); to == nil || !x.sendOn(to) {
		s.inflight.Add(-1)
		s.refuseNow(l, kind, cmd, spSeq[:n], reason.UpstreamUnavailable)
	}
}

// clockNow is loop l's wall clock, or the time off the loops (l nil).
func (g *Gateway) clockNow(l *loop) time.Time {
	if l != nil {
		return l.wall
	}
	return time.Now()
}

// moTranslated delivers an MO from upstream up to account a in its
// protocol (face f), with the LinkID the SP is to answer with (linkID,
// when the engine gave one) written by f's Dialect, as untranslated MO get
// it. An MO the SP's protocol carries in parts is queued part by part;
// the SMG is acknowledged with the last. Runs on loop l.
func (dv *deliverer) moTranslated(l *loop, a *account, f *spFace, up *upstream, frame []byte, linkID string, ak *ack) {
	fs, err := dv.translatedMO(l, f, up, frame)
	if errors.Is(err, translate.ErrNoIDs) {
		// No id for the SP's Deliver yet (idmark.go): the SMG sends the
		// MO again.
		ak.refuse(l, reason.UpstreamUnavailable)
		return
	}
	if err != nil {
		dv.g.logRL(slog.LevelWarn, "MO cannot be translated; acknowledged and dropped", "upstream", up.name, "account", a.id, "err", err)
		dv.counters.unroutableMO.Add(1)
		ak.send(l, 0)
		return
	}
	for i, fr := range fs {
		if linkID != "" {
			fr = f.setLinkID(fr, linkID)
		}
		var k *ack
		if i == len(fs)-1 {
			k = ak
		}
		dv.enqueue(l, a, &delivery{kind: codec.KindDeliver, frame: fr, mo: true}, k)
	}
}

// setLinkID writes linkID into fr, an MO frame of this protocol that
// spsmg built, and returns the frame (a new one when the protocol appends
// the field).
func (f *spFace) setLinkID(fr []byte, linkID string) []byte {
	var v codec.View
	if err := f.d.ParseView(fr, &v); err != nil {
		return fr
	}
	return f.d.SetLinkID(fr, &v, linkID)
}
