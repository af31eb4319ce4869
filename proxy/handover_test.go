package proxy

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/reason"
)

// syncLoop is an event loop for unit tests: Execute runs the task at once,
// on the caller's goroutine.
type syncLoop struct{ gnet.EventLoop }

func (syncLoop) Execute(ctx context.Context, r gnet.Runnable) error { return r.Run(ctx) }

// asyncWrites is an SP's connection that keeps what other loops write to
// it (spConn.answerLater, reply).
type asyncWrites struct {
	gnet.Conn
	mu     sync.Mutex
	frames [][]byte
}

func (c *asyncWrites) AsyncWrite(b []byte, _ gnet.AsyncCallback) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames = append(c.frames, append([]byte(nil), b...))
	return nil
}

// unitLoops makes n loops of g, fixed as the gateway's loops.
func unitLoops(g *Gateway, n int) []*loop {
	loops := make([]*loop, n)
	for i := range loops {
		loops[i] = newLoop(g, syncLoop{}, i)
	}
	g.loops.Store(&loops)
	return loops
}

// TestHandOverTargetRoundRobin: a loop without a ready bind hands its
// Submits to the other loops that have one, in turn, skipping itself and
// the loops without; with none ready it hands over nothing.
func TestHandOverTargetRoundRobin(t *testing.T) {
	g := newUnitGateway(t)
	u := g.upstreams[0]
	loops := unitLoops(g, 4)
	from := loops[0]
	loops[1].ups[0].ready.Store(1)
	loops[3].ups[0].ready.Store(2)
	var got []int
	for i := 0; i < 6; i++ {
		to := u.handOverTarget(from)
		if to == nil {
			t.Fatalf("hand-over %d found no loop; loops 1 and 3 have ready binds", i+1)
		}
		got = append(got, to.idx)
	}
	want := []int{1, 3, 1, 3, 1, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("hand-overs went to loops %v, want %v (round robin over the loops with a ready bind)", got, want)
		}
	}
	// Another loop keeps its own place in the round.
	if to := u.handOverTarget(loops[1]); to == nil || to.idx != 3 {
		t.Fatalf("from loop 1: %v, want loop 3 (the only other one ready)", to)
	}
	loops[1].ups[0].ready.Store(0)
	loops[3].ups[0].ready.Store(0)
	if to := u.handOverTarget(from); to != nil {
		t.Fatalf("no loop has a ready bind, yet the hand-over chose loop %d", to.idx)
	}
}

// TestHandOverToALoopWhoseBindsWentAway: the target loop had a ready bind
// when it was chosen, and none when the Submit reached it. The SP gets the
// retryable upstream_unavailable result, and the Submit is counted once,
// under upstream_unavailable: not as allowed, not as an upstream failure.
func TestHandOverToALoopWhoseBindsWentAway(t *testing.T) {
	g := newUnitGateway(t)
	loops := unitLoops(g, 2)
	from, to := loops[0], loops[1]
	to.ups[0].ready.Store(1) // counted ready, but its bind is gone: pick finds none
	const user = "13800138000"
	if err := g.auth.Subscribe("sp1", user, "NEWS", 3 /* SourceAPI */); err != nil {
		t.Fatal(err)
	}
	conn := &asyncWrites{}
	s := newSPConn(g, from, nil, roleServer, g.accounts.Load().byID["sp1"], g.faces[0])
	s.c, s.out, s.state = conn, output{loop: from}, spReady
	frame := cmpp.Append(nil, cmpp.V30, 77, &cmpp.Submit{ServiceID: "NEWS", SrcID: "10655123",
		DestTerminalID: []string{user}, MsgContent: []byte("hello")})
	v := &from.view
	if err := g.faces[0].d.ParseView(frame, v); err != nil {
		t.Fatal(err)
	}
	from.tick()

	s.submit(frame, v)

	if len(s.out.buf) != 0 {
		t.Fatalf("the Submit was answered on its own loop (%x): it should have been handed over", s.out.buf)
	}
	conn.mu.Lock()
	frames := conn.frames
	conn.mu.Unlock()
	want := g.cfgLoad().Results.Table(codec.FamilyCMPP).Result(reason.UpstreamUnavailable)
	if len(frames) != 1 {
		t.Fatalf("the SP got %d answers from the target loop, want 1", len(frames))
	}
	var resp codec.View
	if err := g.faces[0].d.ParseView(frames[0], &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Kind != codec.KindSubmitResp || binary.BigEndian.Uint32(resp.Sequence) != 77 || resp.Result != want {
		t.Fatalf("the SP got %v seq %x result %d; want a Submit_Resp to its sequence 77 with upstream_unavailable's %d",
			resp.Kind, resp.Sequence, resp.Result, want)
	}
	for o := reason.Reason(0); o < reason.Count; o++ {
		n := s.decisions[o].Load()
		switch {
		case o == reason.UpstreamUnavailable && n != 1:
			t.Errorf("counted %d times under upstream_unavailable, want 1", n)
		case o != reason.UpstreamUnavailable && n != 0:
			t.Errorf("counted %d times under %s, want 0", n, o)
		}
	}
	if f := s.upstreamFailures.Load(); f != 0 {
		t.Errorf("%d upstream failures: the SMG never saw the Submit", f)
	}
	if n := s.inflight.Load(); n != 0 {
		t.Errorf("%d Submits still in the window", n)
	}
}
