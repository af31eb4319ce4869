package proxy

import (
	"context"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// The hand-over. Each loop sends its SPs' Submits through its own binds of
// the upstream; a loop that has none logged in (the SMG allows fewer
// connections than there are loops, or the loop's binds are being
// replaced) hands the Submit to another loop's bind: the frame is copied,
// the target loop forwards it, and the response comes back to the SP by
// AsyncWrite.

// anyOtherLoopReady reports whether a loop other than from has a ready
// bind of u. Any goroutine; reads atomics.
func (u *upstream) anyOtherLoopReady(from *loop) bool {
	for _, l := range u.g.loopList() {
		if l != from && l.ups[u.idx].ready.Load() > 0 {
			return true
		}
	}
	return false
}

// forwardElsewhere hands a Submit to a bind of u on another loop when
// from has none logged in. The frame is borrowed: it is copied. Returns
// false when no loop has a bind. Runs on from.
func (u *upstream) forwardElsewhere(from *loop, frame []byte, v *codec.View, s *spConn, allow reason.Reason) bool {
	var spSeq wireSeq
	copy(spSeq[:], v.Sequence)
	return u.forwardOwned(from, clone(frame), v.Kind, v.Command, spSeq, v.NeedReport, v.DestCount, s, allow)
}

// forwardOwned hands a Submit whose frame spsmg owns to a bind of u on
// another loop. Returns false when no loop has a bind. Runs on from.
func (u *upstream) forwardOwned(from *loop, f []byte, kind codec.Kind, cmd uint32, spSeq wireSeq, needReport bool, dests int, s *spConn, allow reason.Reason) bool {
	var target *loop
	for _, l := range u.g.loopList() {
		if l != from && l.ups[u.idx].ready.Load() > 0 {
			target = l
			break
		}
	}
	if target == nil {
		return false
	}
	n := s.g.seqLen
	s.inflight.Add(1) // counted now so the window holds across the hand-over
	err := target.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		target.tick()
		s.inflight.Add(-1)
		if b := u.pick(target); b != nil {
			b.forward(f, kind, cmd, spSeq[:n], pendSubmit, s, needReport, dests, allow)
		} else { // its bind went away meanwhile
			s.refuseLater(target, &pending{kind: pendSubmit, cmdKind: kind, cmd: cmd, spSeq: spSeq}, reason.UpstreamUnavailable)
		}
		target.flush()
		return nil
	}))
	if err != nil {
		s.inflight.Add(-1)
		return false
	}
	return true
}
