package proxy

import (
	"encoding/binary"
	"io"
	"log/slog"
	"testing"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

// newUnitGateway builds (does not start) a CMPP 3.0 gateway with one
// account, sp1, for tests that drive a loop's parts by hand.
func newUnitGateway(t *testing.T) *Gateway {
	t.Helper()
	cfg, err := config.Parse([]byte(`listeners: [{protocol: cmpp3, addr: "127.0.0.1:0"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:1", login: "901234", secret: x}
accounts:
  - {id: sp1, login: "900001", secret: x, access_numbers: ["10655123"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return newBuiltGateway(t, cfg, authcache.NewMemStore(nil))
}

// newBuiltGateway builds (does not start) a gateway of cfg over store st,
// logging nowhere.
func newBuiltGateway(t *testing.T, cfg *config.Config, st authcache.Store) *Gateway {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := authcache.Open(AuthPolicy(cfg), st, authcache.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	g, err := New(cfg, Options{Auth: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// spFrames reads what spsmg wrote to an SP: each frame's view.
func spFrames(t *testing.T, buf []byte) []codec.View {
	t.Helper()
	var out []codec.View
	f := cmpp.NewFramer(0)
	for len(buf) > 0 {
		n, err := f.Split(buf)
		if err != nil || n == 0 {
			t.Fatalf("output to the SP does not split into frames (%v): %x", err, buf)
		}
		var v codec.View
		if err := cmpp.ParseView(buf[:n], cmpp.V30, &v); err != nil {
			t.Fatalf("output to the SP: %v", err)
		}
		v.Sequence = append([]byte(nil), v.Sequence...)
		out = append(out, v)
		buf = buf[n:]
	}
	return out
}

// TestBindRingEvictsStaleSlot: the ring of requests in flight is indexed by
// the low bits of the bind's sequence counter. When the counter comes round
// to a slot still holding a request — one the SMG has not answered for a
// whole turn — that request is failed with the retryable upstream_timeout
// answer to its SP, and the new request takes the slot: the SMG's late
// answer to the old one is an unknown response, its answer to the new one
// reaches the new one's SP under the SP's own sequence.
func TestBindRingEvictsStaleSlot(t *testing.T) {
	g := newUnitGateway(t)
	l := newLoop(g, nil, 0)
	b := newBind(g.upstreams[0], &bindSlot{id: 1}, 4)
	b.l, b.lb, b.state, b.out = l, &l.ups[0], bindReady, output{loop: l}
	ring := len(b.ring)
	if ring <= 4 {
		t.Fatalf("a ring of %d for a window of 4", ring)
	}
	sp := newSPConn(g, l, nil, roleServer, g.accounts.Load().byID["sp1"], g.faces[0])
	sp.out = output{loop: l}
	timeout := g.cfgLoad().Results.Table(codec.FamilyCMPP).Result(reason.UpstreamTimeout)

	// One Submit per slot, then one more: it comes round to the first slot.
	gwSeqs := make([]uint32, ring+1)
	for i := 0; i <= ring; i++ {
		spSeq := binary.BigEndian.AppendUint32(nil, uint32(1000+i))
		frame := cmpp.AppendHeader(nil, cmpp.Header{TotalLength: cmpp.HeaderLen, CommandID: cmpp.CmdSubmit, SequenceID: uint32(1000 + i)})
		start := len(b.out.buf)
		b.forward(frame, codec.KindSubmit, uint32(cmpp.CmdSubmit), spSeq, pendSubmit, sp, false, 1, reason.Subscription)
		gwSeqs[i] = cmpp.SequenceOf(b.out.buf[start:])
		if i < ring && len(sp.out.buf) != 0 {
			t.Fatalf("Submit %d of a ring of %d: the SP was answered already: %x", i+1, ring, sp.out.buf)
		}
	}
	if gwSeqs[ring]&b.mask != gwSeqs[0]&b.mask {
		t.Fatalf("sequences %#x and %#x: the last Submit did not come round to the first one's slot", gwSeqs[0], gwSeqs[ring])
	}
	got := spFrames(t, sp.out.buf)
	if len(got) != 1 || got[0].Kind != codec.KindSubmitResp || binary.BigEndian.Uint32(got[0].Sequence) != 1000 || got[0].Result != timeout {
		t.Fatalf("the SP got %+v; want one Submit_Resp to its sequence 1000 with the retryable upstream_timeout result %d", got, timeout)
	}
	if b.inflight != ring || b.timeouts != 1 || sp.upstreamFailures.Load() != 1 {
		t.Fatalf("inflight %d (want %d), timeouts %d, upstream failures %d (want 1 each)", b.inflight, ring, b.timeouts, sp.upstreamFailures.Load())
	}
	sp.out.buf = sp.out.buf[:0]

	// The SMG answers the stale request late: nobody is answered again.
	unknown := g.counters.unknownResponses.Load()
	b.handle(cmpp.AppendSubmitResp(nil, cmpp.V30, gwSeqs[0], 1, 0))
	if len(sp.out.buf) != 0 || g.counters.unknownResponses.Load() != unknown+1 {
		t.Fatalf("a late answer to the evicted request: SP got %x, unknown responses %d → %d", sp.out.buf,
			unknown, g.counters.unknownResponses.Load())
	}
	// It answers the new one: its SP gets the SMG's answer.
	b.handle(cmpp.AppendSubmitResp(nil, cmpp.V30, gwSeqs[ring], 2, 0))
	got = spFrames(t, sp.out.buf)
	if len(got) != 1 || binary.BigEndian.Uint32(got[0].Sequence) != uint32(1000+ring) || got[0].Result != 0 {
		t.Fatalf("the SMG's answer to the request in the slot reached the SP as %+v; want its sequence %d, result 0", got, 1000+ring)
	}
	if b.inflight != ring-1 {
		t.Fatalf("inflight %d after one answer, want %d", b.inflight, ring-1)
	}
}

// TestSameSeq: the word-wise sequence comparison answers as bytes.Equal
// does for every length a dialect uses, a byte differing anywhere, and a
// field of the wrong length.
func TestSameSeq(t *testing.T) {
	for _, n := range []int{4, 8, 12} {
		var a wireSeq
		for i := range a {
			a[i] = byte(0xa0 + i)
		}
		b := append([]byte(nil), a[:n]...)
		if !sameSeq(&a, n, b) {
			t.Fatalf("n=%d: equal sequences differ", n)
		}
		for i := 0; i < n; i++ {
			b[i] ^= 0x01
			if sameSeq(&a, n, b) {
				t.Fatalf("n=%d: sequences differing at byte %d are equal", n, i)
			}
			b[i] ^= 0x01
		}
		if n < len(a) && sameSeq(&a, n, a[:n+1]) {
			t.Fatalf("n=%d: a %d-byte field matched", n, n+1)
		}
		if sameSeq(&a, n, a[:n-1]) {
			t.Fatalf("n=%d: a %d-byte field matched", n, n-1)
		}
	}
}
