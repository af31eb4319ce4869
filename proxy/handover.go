package proxy

import (
	"context"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// The hand-over. Each loop sends its SPs' Submits through its own binds of
// an upstream. A loop that has none of them logged in (the SMG allows fewer
// connections than there are loops, or the loop's binds are being
// replaced or are drained) hands the Submit to a bind of the same upstream
// on another loop: the frame is copied, the other loop forwards it, and
// the response comes back to the SP by AsyncWrite.
//
//	loop A (no ready bind of u): submit ─ handOverTarget ─▶ loop B (round robin)
//	                              authorize, copy ─ Execute ─▶ B: u.pick ─ bind.forward ─▶ SMG
//	                                                           B: no bind any more ─▶ upstream_unavailable
//
// Only a loop without any ready bind hands over: when its binds are merely
// full, the SP gets the retryable result at once (a hand-over per message
// would cost more than it saves). The target is chosen before the Submit
// is authorized, so that a Submit refused for want of an upstream spends
// no LinkID. The loops are fixed at boot (Gateway.loopList: no lock, no
// copy), and each loop keeps its own place in the round robin
// (loopBinds.handNext), so choosing costs a few atomic loads.
//
// A handed-over Submit is counted once, when it is answered, like any
// other (spConn.settle): under its authorization reason when the SMG
// answers, upstream_timeout when the SMG does not, and upstream_unavailable
// when the target loop's binds went away before it could be sent — its own
// outcome, answered with the retryable result of upstream_unavailable
// (never counted as allowed, never as an upstream failure).

// handOverTarget is the loop a Submit goes to when from has no ready bind
// of u: the next loop with one after the loop chosen last from from, round
// robin; nil when no other loop has one. Runs on from (handNext is from's).
func (u *upstream) handOverTarget(from *loop) *loop {
	loops := u.g.loopList()
	n := len(loops)
	lb := &from.ups[u.idx]
	for i := 0; i < n; i++ {
		j := (lb.handNext + i) % n
		if l := loops[j]; l != from && l.ups[u.idx].ready.Load() > 0 {
			lb.handNext = j + 1
			return l
		}
	}
	return nil
}

// handOver forwards s's Submit through a bind of u on loop to (from
// handOverTarget). f is spsmg's own copy of the frame; spSeq the SP's
// sequence; allow the Submit's authorization reason. The Submit counts in
// s's window from now until it is answered. When to's binds went away
// before the task runs, to answers the SP upstream_unavailable and counts
// the Submit under it. false: to's loop no longer runs (the engine is
// stopping); nothing was counted, and the caller answers. Runs on s's
// loop.
func (u *upstream) handOver(to *loop, s *spConn, f []byte, kind codec.Kind, cmd uint32, spSeq wireSeq, needReport bool, dests int, allow reason.Reason) bool {
	n := s.f.seqLen
	s.inflight.Add(1) // counted now so the window holds across the hand-over
	err := to.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		to.tick()
		s.inflight.Add(-1)
		if b := u.pick(to); b != nil {
			b.forward(f, kind, cmd, spSeq[:n], pendSubmit, s, needReport, dests, allow)
		} else {
			s.refuseNow(to, kind, cmd, spSeq[:n], reason.UpstreamUnavailable)
		}
		to.flush()
		return nil
	}))
	if err != nil {
		s.inflight.Add(-1)
		return false
	}
	return true
}
