package translate

import (
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
)

// fakeClock advances only when slept on or told to.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time        { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Sleep(d time.Duration) { c.ns.Add(int64(d)) }
func (c *fakeClock) config() IDConfig      { return IDConfig{Location: cst, Now: c.Now, Sleep: c.Sleep} }
func (c *fakeClock) configFloor(f time.Time) IDConfig {
	cfg := c.config()
	cfg.Floor = f
	return cfg
}

// TestIDLayouts: the ids are in each SP protocol's own layout, with the
// gateway code and the time of their second (CMPP: the Msg_Id bits; SMGP:
// BCD gateway, MMDDHHMM, a sequence in the second's sixtieth of the
// minute; SMPP: the CMPP bits as 16 hex digits).
func TestIDLayouts(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 9, 26, 400e6, cst)
	clock := newFakeClock(at)
	c := cmpp.NewDialect(cmpp.V30)
	id := NewIDSource(c.Capabilities(), clock.config()).Gen(c, "000123").Append(nil, 1)
	p := cmpp.DecodeMsgID(codec.Uint64Of(id))
	if len(id) != 8 || p != (cmpp.MsgIDParts{Month: 3, Day: 14, Hour: 15, Minute: 9, Second: 27, Gateway: 123, Seq: 0}) {
		t.Errorf("CMPP id %x = %+v", id, p)
	}
	if now := clock.Now(); !now.Equal(at.Truncate(time.Second).Add(time.Second)) {
		t.Errorf("NewIDSource slept until %v, want the next second", now)
	}

	clock = newFakeClock(at)
	g := smgp.NewDialect(smgp.V30)
	src := NewIDSource(g.Capabilities(), clock.config())
	gen := src.Gen(g, "059106")
	first := gen.Append(nil, 3)
	second := gen.Append(nil, 1)
	parts, ok := smgp.MsgIDFrom(first).Parts()
	if !ok || parts.SMGW != "059106" || parts.Time != "03141509" || parts.Sequence != 27*16666 {
		t.Errorf("SMGP id %x = %+v", first, parts)
	}
	if p2, _ := smgp.MsgIDFrom(second).Parts(); p2.Sequence != 27*16666+3 {
		t.Errorf("the next id after a run of 3 has sequence %d", p2.Sequence)
	}

	clock = newFakeClock(at)
	id = NewIDSource(smppFace.Capabilities(), clock.config()).Gen(smppFace, "000123").Append(nil, 1)
	cmppID := NewIDSource(c.Capabilities(), newFakeClock(at).config()).Gen(c, "000123").Append(nil, 1)
	if string(id) != hex.EncodeToString(cmppID) {
		t.Errorf("SMPP id %q, want the CMPP layout %x as hex", id, cmppID)
	}
	if NewIDSource(sgip.Dialect{}.Capabilities(), clock.config()) != nil {
		t.Error("SGIP has an id source; its ids are the Submit's sequence")
	}
}

// TestIDsUniqueAcrossGoroutines: goroutines sharing a source never get
// the same id, counting every recipient's id of a run.
func TestIDsUniqueAcrossGoroutines(t *testing.T) {
	for _, f := range []Face{cmpp.NewDialect(cmpp.V30), smgp.NewDialect(smgp.V30), smppFace} {
		t.Run(f.Protocol().String(), func(t *testing.T) {
			clock := newFakeClock(testNow)
			src := NewIDSource(f.Capabilities(), clock.config())
			const workers, each = 4, 5000
			got := make([][]string, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					gen := src.Gen(f, "000123")
					for i := range each {
						n := 1 + i%min(3, f.Capabilities().MaxDests) // one id a submit_sm
						base := gen.Append(nil, n)
						for j := range n {
							got[w] = append(got[w], string(f.AppendMsgIDAt(nil, base, j)))
						}
						if i%1000 == 0 {
							clock.Sleep(300 * time.Millisecond)
						}
					}
				}()
			}
			wg.Wait()
			seen := map[string]bool{}
			for _, ids := range got {
				for _, id := range ids {
					if seen[id] {
						t.Fatalf("id %x handed out twice", id)
					}
					seen[id] = true
				}
			}
		})
	}
}

// TestIDsRunAhead: when a second's values run out the source moves to
// the next second before the clock does, never repeats, and says how far
// ahead it is; when the clock goes back it stays where it is.
func TestIDsRunAhead(t *testing.T) {
	f := cmpp.NewDialect(cmpp.V30)
	small := f.Capabilities()
	small.IDsPerUnit = 4
	clock := newFakeClock(testNow)
	src := NewIDSource(small, clock.config())
	gen := src.Gen(f, "1")
	seen := map[uint64]bool{}
	for range 40 {
		id := codec.Uint64Of(gen.Append(nil, 1))
		if seen[id] {
			t.Fatalf("id %x twice", id)
		}
		seen[id] = true
	}
	if lead := src.Lead(); lead < 8*time.Second {
		t.Errorf("40 ids at 4 a second: lead %v, want at least 8s", lead)
	}
	hw := src.HighWater()
	clock.ns.Add(-int64(time.Hour)) // the clock goes back
	id := codec.Uint64Of(gen.Append(nil, 1))
	if seen[id] || src.HighWater().Before(hw) {
		t.Errorf("after the clock went back: id %x (seen %v), high water %v before %v", id, seen[id], src.HighWater(), hw)
	}
}

// TestIDsAcrossRestart: a source started in the same second another one
// stopped in, or after one that ran ahead and left its HighWater, never
// hands out an id the first one did.
func TestIDsAcrossRestart(t *testing.T) {
	f := smgp.NewDialect(smgp.V30)
	clock := newFakeClock(testNow)
	run := func(src *IDSource, n int, seen map[string]bool) {
		gen := src.Gen(f, "059106")
		for range n {
			id := string(gen.Append(nil, 1))
			if seen[id] {
				t.Fatalf("id %x again after a restart", id)
			}
			seen[id] = true
		}
	}
	seen := map[string]bool{}
	first := NewIDSource(f.Capabilities(), clock.config())
	run(first, 100, seen)
	// Restarted at once: same second, same minute.
	run(NewIDSource(f.Capabilities(), clock.config()), 100, seen)

	// A run that goes far ahead (a burst beyond 16,666 a second) and stops;
	// the next one starts from its HighWater.
	ahead := NewIDSource(f.Capabilities(), clock.config())
	run(ahead, 3*16666, seen)
	if ahead.Lead() < time.Second {
		t.Fatalf("lead %v after a burst", ahead.Lead())
	}
	run(NewIDSource(f.Capabilities(), clock.configFloor(ahead.HighWater())), 100, seen)
}

// TestBoundedIDs: a Bounded source hands out no id before Reserve, none
// from a second past the limit (ErrNoIDs, class busy), however far it runs
// ahead, and continues once the limit is raised; a source restarted with
// the persisted limit as its floor repeats nothing.
func TestBoundedIDs(t *testing.T) {
	f := cmpp.NewDialect(cmpp.V30)
	small := f.Capabilities()
	small.IDsPerUnit = 4
	clock := newFakeClock(testNow)
	cfg := clock.config()
	cfg.Bounded = true
	src := NewIDSource(small, cfg)
	gen := src.Gen(f, "1")
	if id, err := gen.Take(nil, 1); !errors.Is(err, ErrNoIDs) || ClassOf(err) != codec.ResultBusy || id != nil {
		t.Fatalf("before Reserve: %x, %v; want no id, ErrNoIDs of class busy", id, err)
	}
	start := src.HighWater()
	limit := start.Add(2 * time.Second) // seconds start … start+2: 12 ids
	src.Reserve(limit)
	src.Reserve(start) // never lowers it
	if !src.Limit().Equal(limit) {
		t.Fatalf("limit %v, want %v", src.Limit(), limit)
	}
	seen := map[uint64]bool{}
	for i := range 12 {
		id, err := gen.Take(nil, 1)
		if err != nil {
			t.Fatalf("id %d of 12 reserved: %v", i, err)
		}
		seen[codec.Uint64Of(id)] = true
	}
	if id := gen.Append(nil, 1); len(id) != 0 {
		t.Fatalf("a 13th id %x from a second past the limit", id)
	}
	clock.ns.Add(int64(5 * time.Second)) // the clock passes the limit: still none
	if _, err := gen.Take(nil, 1); !errors.Is(err, ErrNoIDs) {
		t.Fatalf("clock past the limit: %v, want ErrNoIDs", err)
	}
	// A restart from the persisted limit.
	cfg.Floor = src.Limit()
	next := NewIDSource(small, cfg)
	next.Reserve(next.HighWater().Add(time.Minute))
	ng := next.Gen(f, "1")
	for range 40 {
		id := codec.Uint64Of(ng.Append(nil, 1))
		if seen[id] {
			t.Fatalf("id %x again after a restart from the persisted limit", id)
		}
	}
}

// TestIDGenNoAlloc: taking an id does not allocate when the buffer has
// room.
func TestIDGenNoAlloc(t *testing.T) {
	for _, f := range []Face{cmpp.NewDialect(cmpp.V30), smgp.NewDialect(smgp.V30), smppFace} {
		gen := NewIDSource(f.Capabilities(), newFakeClock(testNow).config()).Gen(f, "000123")
		buf := make([]byte, 0, 32)
		if n := testing.AllocsPerRun(1000, func() { buf = gen.Append(buf[:0], 2) }); n != 0 {
			t.Errorf("%s: %v allocs per id", f.Protocol(), n)
		}
	}
}

func BenchmarkIDGen(b *testing.B) {
	for _, f := range []Face{cmpp.NewDialect(cmpp.V30), smgp.NewDialect(smgp.V30), smppFace} {
		b.Run(f.Protocol().String(), func(b *testing.B) {
			gen := NewIDSource(f.Capabilities(), IDConfig{Sleep: func(time.Duration) {}}).Gen(f, "000123")
			buf := make([]byte, 0, 32)
			b.ReportAllocs()
			for b.Loop() {
				buf = gen.Append(buf[:0], 1)
			}
		})
	}
}
