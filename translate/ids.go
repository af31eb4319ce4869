package translate

import (
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// IDSource hands out the message ids spsmg gives the SPs of one protocol
// when it translates: the id of an MT in its Submit_Resp (and in the
// reports on it), and the ids of the Delivers spsmg builds for them. Ids are
// made in the SP protocol's own layout (Face.MsgIDs): a time of the
// protocol's resolution (CMPP and SMPP a second, SMGP a minute), the
// node's gateway code, and a counter within that time.
//
// The source counts in seconds whatever the layout's resolution: each
// second owns its own range of counter values (CMPP and SMPP: all 65,536;
// SMGP: 16,666 of the minute's million, the second's sixtieth). That is
// what makes the guarantees below hold for SMGP's minute as for CMPP's
// second (docs/translation.md §3.2):
//
//   - between goroutines: one atomic word holds the second in use and the
//     counter values taken in it; Append takes a run of consecutive values
//     (one per recipient) with a compare-and-swap, so two goroutines never
//     get the same value, and nothing is locked;
//   - over time: when a second's values run out the source moves on to the
//     next second before the clock does (it "runs ahead": Lead), and it
//     never goes back, not even when the clock does;
//   - across restarts: NewIDSource waits for the next second (at most one)
//     and starts there, after the later of the clock and the floor it is
//     given, so a node restarted within the same second does not repeat
//     what it handed out before. A node that ran ahead before it stopped
//     needs a floor: HighWater, persisted now and then and at shutdown;
//   - between nodes: the gateway code (node.gateway_code) is part of every
//     id; nodes sharing SPs need distinct codes.
//
// Ids repeat after a year (the layouts carry no year); a report route
// lives for days.
type IDSource struct {
	spu       int64  // seconds per time unit of the layout
	perSecond uint64 // counter values each second owns
	loc       *time.Location
	now       func() time.Time
	// state is second<<24 | the counter values taken in that second.
	state atomic.Uint64
}

const idCountBits = 24

// IDConfig is how an IDSource reads time.
type IDConfig struct {
	// Location is the carriers' clock the ids' times are written in
	// (node.time_zone). nil: UTC.
	Location *time.Location
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Sleep waits; nil: time.Sleep.
	Sleep func(time.Duration)
	// Floor is a previous run's HighWater: ids start after it. Zero: none.
	Floor time.Time
}

// NewIDSource returns the id source of a protocol with capabilities c
// (Face.Capabilities). It waits for the next second of the clock (up to
// one second) before it returns: call it at start, off the event loops.
// It returns nil for a protocol whose ids are not made by spsmg (SGIP: the
// Submit's sequence).
func NewIDSource(c codec.Capabilities, cfg IDConfig) *IDSource {
	spu := int64(c.IDUnit / time.Second)
	if spu < 1 || c.IDsPerUnit == 0 {
		return nil
	}
	perSecond := uint64(c.IDsPerUnit) / uint64(spu)
	if perSecond == 0 || perSecond >= 1<<idCountBits {
		return nil
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = time.Sleep
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	s := &IDSource{spu: spu, perSecond: perSecond, loc: cfg.Location, now: cfg.Now}
	t := cfg.Now()
	cfg.Sleep(t.Truncate(time.Second).Add(time.Second).Sub(t))
	start := max(secondOf(t)+1, secondOf(cfg.Now()))
	if !cfg.Floor.IsZero() {
		start = max(start, secondOf(cfg.Floor)+1)
	}
	s.state.Store(uint64(start) << idCountBits)
	return s
}

func secondOf(t time.Time) int64 { return max(t.Unix(), 0) }

// take reserves n consecutive counter values of one second and returns
// the second and the first value.
func (s *IDSource) take(n int) (sec int64, first uint64) {
	now := secondOf(s.now())
	for {
		old := s.state.Load()
		u, used := int64(old>>idCountBits), old&(1<<idCountBits-1)
		if now > u {
			u, used = now, 0
		}
		if used+uint64(n) > s.perSecond {
			u, used = u+1, 0
		}
		if s.state.CompareAndSwap(old, uint64(u)<<idCountBits|(used+uint64(n))) {
			return u, used
		}
	}
}

// HighWater is the second ids are being taken from: the floor to give
// NewIDSource after a restart.
func (s *IDSource) HighWater() time.Time { return time.Unix(int64(s.state.Load()>>idCountBits), 0) }

// Lead is how far the source runs ahead of the clock (0 normally; one
// second right after start).
func (s *IDSource) Lead() time.Duration {
	d := int64(s.state.Load()>>idCountBits) - secondOf(s.now())
	return time.Duration(max(d, 0)) * time.Second
}

// IDGen writes the ids of one IDSource in one protocol's layout. It keeps
// the protocol's MsgIDMaker, which holds the stamped time: one IDGen per
// goroutine (per event loop), all sharing the source.
type IDGen struct {
	src   *IDSource
	maker codec.MsgIDMaker
	unit  int64
}

// Gen returns an IDGen writing f's ids with gateway code gateway
// (node.gateway_code). nil when s is nil.
func (s *IDSource) Gen(f Face, gateway string) *IDGen {
	if s == nil {
		return nil
	}
	m := f.MsgIDs(gateway)
	if m == nil {
		return nil
	}
	return &IDGen{src: s, maker: m, unit: -1}
}

// Append takes n consecutive ids (one per recipient; Face.AppendMsgIDAt
// gives id i from the first) and appends the first to dst. It does not
// allocate when dst has room.
func (g *IDGen) Append(dst []byte, n int) []byte {
	sec, first := g.src.take(max(n, 1))
	unit := sec / g.src.spu
	if unit != g.unit {
		g.maker.Stamp(time.Unix(unit*g.src.spu, 0).In(g.src.loc))
		g.unit = unit
	}
	return g.maker.Append(dst, uint64(sec%g.src.spu)*g.src.perSecond+first)
}
