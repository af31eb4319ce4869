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
// node's gateway code, and a counter within that time unit (65,536 a
// second, a million a minute).
//
// Uniqueness (docs/translation.md §3.2):
//
//   - between goroutines: one atomic word holds the time unit in use and
//     the counter values taken in it; a Next takes a run of consecutive
//     values (one per recipient) with a compare-and-swap, so two goroutines
//     never get the same value, and nothing is locked;
//   - over time: when a unit's values run out the source moves on to the
//     next unit before the clock does (it "runs ahead"), and it never goes
//     back, not even when the clock does; Lead says how far ahead it is;
//   - across restarts: a new source starts one unit after the later of the
//     clock and the floor it is given, so a node restarted within the same
//     second (minute) does not repeat what it handed out before. A node
//     that ran ahead before it stopped must be given a floor: HighWater,
//     persisted at shutdown (and now and then), is that floor;
//   - between nodes: the gateway code (node.gateway_code) is part of every
//     id; nodes sharing SPs need distinct codes.
//
// Ids repeat after a year (the layouts carry no year); a report route
// lives for days.
type IDSource struct {
	unit    int64  // seconds per unit
	perUnit uint64 // counter values per unit
	loc     *time.Location
	now     func() time.Time
	// state is unit<<24 | the counter values taken in it (perUnit ≤ 2^24).
	state atomic.Uint64
}

const idCountBits = 24

// NewIDSource returns the id source of a protocol with capabilities c
// (Face.Capabilities): times are written in loc (the carriers' clock,
// node.time_zone), read from now (nil: time.Now), and start after floor
// (a previous run's HighWater; zero: none). It returns nil for a protocol
// whose ids are not made by spsmg (SGIP: the Submit's sequence).
func NewIDSource(c codec.Capabilities, loc *time.Location, now func() time.Time, floor time.Time) *IDSource {
	if c.IDUnit < time.Second || c.IDsPerUnit == 0 || c.IDsPerUnit > 1<<idCountBits {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	s := &IDSource{unit: int64(c.IDUnit / time.Second), perUnit: uint64(c.IDsPerUnit), loc: loc, now: now}
	start := s.unitOf(now())
	if !floor.IsZero() {
		start = max(start, s.unitOf(floor))
	}
	s.state.Store(uint64(start+1) << idCountBits)
	return s
}

func (s *IDSource) unitOf(t time.Time) int64 { return max(t.Unix(), 0) / s.unit }

// take reserves n consecutive counter values in one unit and returns the
// unit and the first value.
func (s *IDSource) take(n int) (unit int64, first uint64) {
	now := s.unitOf(s.now())
	for {
		old := s.state.Load()
		u, used := int64(old>>idCountBits), old&(1<<idCountBits-1)
		if now > u {
			u, used = now, 0
		}
		if used+uint64(n) > s.perUnit {
			u, used = u+1, 0
		}
		if s.state.CompareAndSwap(old, uint64(u)<<idCountBits|(used+uint64(n))) {
			return u, used
		}
	}
}

// HighWater is the start of the last time unit ids were taken from: the
// floor to give NewIDSource after a restart.
func (s *IDSource) HighWater() time.Time {
	return time.Unix(int64(s.state.Load()>>idCountBits)*s.unit, 0)
}

// Lead is how far the source runs ahead of the clock (0 normally).
func (s *IDSource) Lead() time.Duration {
	d := int64(s.state.Load()>>idCountBits) - s.unitOf(s.now())
	return time.Duration(max(d, 0)*s.unit) * time.Second
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
	u, first := g.src.take(max(n, 1))
	if u != g.unit {
		g.maker.Stamp(time.Unix(u*g.src.unit, 0).In(g.src.loc))
		g.unit = u
	}
	return g.maker.Append(dst, first)
}
