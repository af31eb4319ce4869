package translate

import (
	"errors"
	"math"
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
//     needs a floor: a Bounded source takes ids only from seconds up to a
//     limit its owner persisted first and then raised (Reserve), so that
//     the persisted limit is a floor above everything handed out;
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
	// limit is the last second ids may be taken from (Bounded; else
	// MaxInt64), raised by Reserve.
	limit atomic.Int64
}

// ErrNoIDs: a Bounded source reached its limit (the owner did not persist
// a higher one in time); no id is handed out until Reserve raises it.
var ErrNoIDs = errors.New("message ids used up to the persisted limit")

// errNoIDs is ErrNoIDs as a translation error: the SP is answered busy.
var errNoIDs = &Error{Class: codec.ResultBusy, Field: "message id", Err: ErrNoIDs}

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
	// Floor is a previous run's HighWater or persisted limit: ids start
	// after it. Zero: none.
	Floor time.Time
	// Bounded: ids are taken only from seconds up to a limit Reserve
	// raises, none until it is first called. The owner persists a limit
	// before it reserves it; after a restart that limit is the Floor, so
	// no id is ever handed out twice, however far the source ran ahead.
	Bounded bool
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
	if cfg.Bounded {
		s.limit.Store(start - 1)
	} else {
		s.limit.Store(math.MaxInt64)
	}
	return s
}

// Reserve lets ids be taken from every second up to upTo (a Bounded
// source; the limit never goes down). Any goroutine.
func (s *IDSource) Reserve(upTo time.Time) {
	u := secondOf(upTo)
	for {
		old := s.limit.Load()
		if u <= old || s.limit.CompareAndSwap(old, u) {
			return
		}
	}
}

// Limit is the last second ids may be taken from (Reserve).
func (s *IDSource) Limit() time.Time { return time.Unix(s.limit.Load(), 0) }

func secondOf(t time.Time) int64 { return max(t.Unix(), 0) }

// take reserves n consecutive counter values of one second and returns
// the second and the first value; ok is false when that second is past
// the limit.
func (s *IDSource) take(n int) (sec int64, first uint64, ok bool) {
	now := secondOf(s.now())
	lim := s.limit.Load()
	for {
		old := s.state.Load()
		u, used := int64(old>>idCountBits), old&(1<<idCountBits-1)
		if now > u {
			u, used = now, 0
		}
		if used+uint64(n) > s.perSecond {
			u, used = u+1, 0
		}
		if u > lim {
			return 0, 0, false
		}
		if s.state.CompareAndSwap(old, uint64(u)<<idCountBits|(used+uint64(n))) {
			return u, used, true
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
// allocate when dst has room. A Bounded source at its limit appends
// nothing (Take says why).
func (g *IDGen) Append(dst []byte, n int) []byte {
	dst, _ = g.Take(dst, n)
	return dst
}

// Take is Append that says when no id was taken: an *Error of class busy
// wrapping ErrNoIDs, dst unchanged.
func (g *IDGen) Take(dst []byte, n int) ([]byte, error) {
	sec, first, ok := g.src.take(max(n, 1))
	if !ok {
		return dst, errNoIDs
	}
	unit := sec / g.src.spu
	if unit != g.unit {
		g.maker.Stamp(time.Unix(unit*g.src.spu, 0).In(g.src.loc))
		g.unit = unit
	}
	return g.maker.Append(dst, uint64(sec%g.src.spu)*g.src.perSecond+first), nil
}
