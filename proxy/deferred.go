package proxy

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// Deferred decisions. On a Redis Cluster shared by several nodes, an MT
// with a LinkID (and a subscription notice) spends the LinkID's uses in the
// cluster, one script per MT, so that two nodes spending the last use let
// exactly one through (authcache/shared.go). That is a network round trip,
// and event loops never wait on the network:
//
//	loop: submit ─Authorize─▶ Deferred ─▶ copy the frame, count it in the window ─▶ worker
//	worker: AuthorizeDeferred (memory checks, the uses spent in the cluster)
//	loop (Execute): allowed ─▶ bind.forward ─▶ SMG     refused ─▶ Submit_Resp with the result
//
// The Submit counts in the SP's window while it waits, as one awaiting the
// SMG does. Its response may overtake the responses of Submits the SP sent
// before it (the protocols match responses by sequence, and the SMG's own
// answers are not ordered either). Confirmation replies (Y/N to the portal
// number) are deferred the same way: the pending request is taken from the
// cluster (mo, moDeferred).

// maxDeferred bounds the decisions waiting for the cluster at once; beyond
// it an MT is refused with the retryable store_unavailable.
const maxDeferred = 4096

// deferSubmit parks an allowed-so-far Submit whose decision needs the
// cluster. frame and v are borrowed; runs on s's loop.
func (s *spConn) deferSubmit(frame []byte, v *codec.View) {
	l, g := s.l, s.g
	select {
	case g.deferSlots <- struct{}{}:
	default:
		g.counters.deferBusy.Add(1)
		s.refuse(v, reason.StoreUnavailable)
		return
	}
	f := clone(frame)
	var spSeq wireSeq
	copy(spSeq[:], v.Sequence)
	kind, cmd, needReport, dests := v.Kind, v.Command, v.NeedReport, v.DestCount
	s.inflight.Add(1) // the window holds while the decision is out
	l.deferred++
	start := l.now
	go func() {
		defer func() { <-g.deferSlots }()
		var view codec.View
		d := authcache.Decision{Reason: reason.StoreUnavailable}
		if err := s.f.d.ParseView(f, &view); err == nil {
			mt := authcache.MT{SP: s.acct.id, SPNumber: view.SPNumber, ServiceCode: view.ServiceCode, LinkID: view.LinkID()}
			for i := 0; i < view.DestCount; i++ {
				mt.Dests = append(mt.Dests, view.Dest(i))
			}
			if ref, total, seq, ok := view.Segment(); ok {
				mt.Segment = authcache.Segment{Ref: ref, Total: total, Seq: seq}
			}
			ctx, cancel := context.WithTimeout(g.ctx, g.deferTimeout)
			d = g.auth.AuthorizeDeferred(ctx, &mt)
			cancel()
		}
		task := func(context.Context) error {
			l.tick()
			l.deferred--
			s.inflight.Add(-1)
			l.stats.deferLatency.observeNS(l.now - start)
			s.decided(l, f, kind, cmd, spSeq, needReport, dests, d)
			l.flush()
			return nil
		}
		if l.el.Execute(context.Background(), gnet.RunnableFunc(task)) != nil {
			s.inflight.Add(-1) // the engine stopped: nobody is left to answer
		}
	}()
}

// decided acts on a deferred decision: forward the Submit (owned frame f)
// or answer it with the refusal. Runs on s's loop l.
func (s *spConn) decided(l *loop, f []byte, kind codec.Kind, cmd uint32, spSeq wireSeq, needReport bool, dests int, d authcache.Decision) {
	g := s.g
	n := s.f.seqLen
	if s.closed.Load() {
		return // no one to answer; nothing was sent
	}
	if !d.Allow {
		s.count(d.Reason)
		s.answerLater(l, kind, cmd, spSeq[:n], d.Reason)
		return
	}
	if g.draining.Load() {
		s.refuseNow(l, kind, cmd, spSeq[:n], reason.UpstreamUnavailable)
		return
	}
	u := g.upstreamOf(s.acct)
	if t := g.routes.Load(); t != nil {
		var v codec.View
		if err := s.f.d.ParseView(f, &v); err == nil {
			if u = g.routeOf(l, t, &v); u == nil {
				s.submitSplit(l, f, &v, &l.split, d.Reason)
				return
			}
		} else {
			u = g.upstreamOf(s.acct)
		}
	}
	if s.f.pair(u) != nil {
		s.decidedTranslated(l, f, kind, cmd, spSeq, u, d.Reason)
		return
	}
	if b := u.pick(l); b != nil {
		b.forward(f, kind, cmd, spSeq[:n], pendSubmit, s, needReport, dests, d.Reason)
		return
	}
	// The decision took a while: hand over even when this loop's binds
	// are only full, rather than refuse a Submit that has spent its LinkID.
	if to := u.handOverTarget(l); to == nil || !u.handOver(to, s, f, kind, cmd, spSeq, needReport, dests, d.Reason) {
		s.refuseNow(l, kind, cmd, spSeq[:n], reason.UpstreamUnavailable)
	}
}

// moDeferred finishes an MO whose handling needs the cluster (a reply to the
// portal number: its pending request is taken from the cluster) off the
// loop, then goes on with it on loop l. frame is borrowed.
func (g *Gateway) moDeferred(l *loop, frame []byte, ak *ack) {
	select {
	case g.deferSlots <- struct{}{}:
	default:
		g.counters.deferBusy.Add(1)
		ak.refuse(l, reason.UpstreamUnavailable)
		return
	}
	f := clone(frame)
	go func() {
		defer func() { <-g.deferSlots }()
		var v codec.View
		if err := ak.up.d.ParseView(f, &v); err != nil {
			ak.refuse(nil, reason.Malformed)
			return
		}
		t := g.accounts.Load()
		mo := g.deliver.moOf(t, &v)
		ctx, cancel := context.WithTimeout(g.ctx, g.deferTimeout)
		act := g.auth.OnMODeferred(ctx, &mo)
		cancel()
		task := func(context.Context) error {
			l.tick()
			g.deliver.moAct(l, t, f, &v, &act, ak)
			l.flush()
			return nil
		}
		if l.el.Execute(context.Background(), gnet.RunnableFunc(task)) != nil {
			ak.refuse(nil, reason.UpstreamUnavailable)
		}
	}()
}

// deferTimeoutDefault bounds a deferred decision when Options.DeferTimeout
// is not set: long enough to ride out a failover of a cluster with a short
// node timeout, short of the SPs' own response timeouts.
const deferTimeoutDefault = 20 * time.Second
