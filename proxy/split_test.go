package proxy

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/config"
)

// frameRecorder is a session that keeps a copy of every frame it is handed.
type frameRecorder struct {
	mu     sync.Mutex
	frames [][]byte
	bad    error
}

func (r *frameRecorder) handle(frame []byte) {
	r.mu.Lock()
	r.frames = append(r.frames, append([]byte(nil), frame...))
	r.mu.Unlock()
}

func (r *frameRecorder) badFrame(err error) {
	r.mu.Lock()
	r.bad = err
	r.mu.Unlock()
}

func (r *frameRecorder) closing() bool { return false }
func (r *frameRecorder) received()     {}

func (r *frameRecorder) take() ([][]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.frames
	r.frames = nil
	return f, r.bad
}

// splitServer runs loop.readFrames as its OnTraffic, on a real gnet engine,
// and says how many bytes gnet still holds after each callback.
type splitServer struct {
	gnet.BuiltinEventEngine
	l      *loop
	framer codec.Framer
	rec    frameRecorder
	eng    gnet.Engine
	ticked chan struct{} // the first tick: the loops run
	held   atomic.Int64
}

func (s *splitServer) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	return gnet.None
}

// OnTick fires first once the engine has started its loops (as in
// Gateway.OnTick): from then on connections may be registered.
func (s *splitServer) OnTick() (time.Duration, gnet.Action) {
	select {
	case <-s.ticked:
	default:
		close(s.ticked)
	}
	return time.Hour, gnet.None
}

func (s *splitServer) OnTraffic(c gnet.Conn) gnet.Action {
	a := s.l.readFrames(c, s.framer, &s.rec)
	s.held.Store(int64(c.InboundBuffered()))
	return a
}

// TestFirstFrameSplitAcrossReads: readFrames takes the first frame of a
// callback on its own, because it may begin in what gnet kept from the
// previous read and end in the bytes just read. A frame is written in two
// parts, split at every byte boundary; the test waits until gnet has read
// the first part and kept it, then writes the rest with a whole second
// frame behind it. Each time both frames must be handled once, whole and in
// order, and nothing left over.
func TestFirstFrameSplitAcrossReads(t *testing.T) {
	g := &Gateway{start: time.Now()}
	g.cfg.Store(&config.Config{})
	srv := &splitServer{l: &loop{gw: g}, framer: cmpp.NewFramer(0), ticked: make(chan struct{})}
	ran := make(chan error, 1)
	go func() {
		ran <- gnet.Run(srv, "tcp://127.0.0.1:0", gnet.WithNumEventLoop(1), gnet.WithTicker(true),
			// as the gateway's: its choice is safe from other goroutines
			gnet.WithLoadBalancing(gnet.LeastConnections),
			gnet.WithLogger(gnetLogger{slog.New(slog.DiscardHandler)}))
	}()
	select {
	case <-srv.ticked:
	case err := <-ran:
		t.Fatalf("gnet: %v", err)
	}
	eng := srv.eng
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(ctx)
		<-ran
	})

	// The gateway's side of a loopback connection goes to the engine, as
	// spsmg's acceptor hands over an SP's.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := eng.Register(gnet.NewNetConnContext(context.Background(), nc))
	if err == nil {
		err = (<-ch).Err
	}
	if err != nil {
		t.Fatalf("handing the connection to the engine: %v", err)
	}

	first := cmpp.Append(nil, cmpp.V30, 7, &cmpp.Submit{ServiceID: "NEWS", SrcID: "10655123",
		DestTerminalID: []string{"13800138000"}, MsgContent: []byte("first frame")})
	second := cmpp.AppendActiveTest(nil, 8)
	for k := 1; k < len(first); k++ {
		if _, err := peer.Write(first[:k]); err != nil {
			t.Fatal(err)
		}
		if !pollFor(func() bool { return srv.held.Load() == int64(k) }) {
			t.Fatalf("split at %d: gnet holds %d bytes, want the %d of the first part", k, srv.held.Load(), k)
		}
		if got, bad := srv.rec.take(); len(got) != 0 || bad != nil {
			t.Fatalf("split at %d: %d of %d bytes handled as %d frames (%v)", k, k, len(first), len(got), bad)
		}
		if _, err := peer.Write(append(append([]byte(nil), first[k:]...), second...)); err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		var bad error
		pollFor(func() bool {
			f, b := srv.rec.take()
			got, bad = append(got, f...), b
			return len(got) >= 2 || bad != nil
		})
		if bad != nil || len(got) != 2 || !bytes.Equal(got[0], first) || !bytes.Equal(got[1], second) {
			t.Fatalf("split at %d of %d: handled %d frames %x (%v); want the two frames once each", k, len(first), len(got), got, bad)
		}
		if !pollFor(func() bool { return srv.held.Load() == 0 }) {
			t.Fatalf("split at %d: %d bytes left after both frames", k, srv.held.Load())
		}
		if more, _ := srv.rec.take(); len(more) != 0 {
			t.Fatalf("split at %d: a frame handled twice: %x", k, more)
		}
	}
}

// pollFor waits until cond holds, up to 10 s; the pause only bounds CPU use.
func pollFor(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
