package proxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/translate"
)

// The SP-side message ids (translate.IDSource, one per SP face) carry a
// time and a counter; a node that hands out more ids a second than the
// layout holds runs ahead of the clock (docs/translation.md §3.2). So that
// a restart never hands out an id again, each source is Bounded: it takes
// ids only from seconds up to a limit that is in the store first. The
// limit is written ahead of use, idMarkAhead at a time, by a goroutine of
// its own (never an event loop): when what is left before the limit falls
// under half of that, a record moving it idMarkAhead past the later of
// the clock and the second in use is written, and only once the store has
// it is the source allowed to go there. At start each source continues
// above its record.
//
// A source at its limit (the store failed to take the record for
// idMarkAhead/2, or ids were taken many times faster than the layout
// allows for that long) hands out no id: a Submit that needs one is
// answered busy, a report or MO that needs one is answered busy to the
// SMG, which sends it again. Nothing is handed out twice.
const (
	idMarkAhead = 10 * time.Second
	idMarkEvery = 200 * time.Millisecond
	// idMarkPrefix keys the records: "ids/<gateway code>/<protocol>",
	// 8 bytes of Unix seconds. The gateway code is in the key because
	// nodes sharing one store (and SPs) have distinct codes, each its own
	// ids.
	idMarkPrefix = "ids/"
)

func idMarkKey(gatewayCode string, f *spFace) []byte {
	return []byte(idMarkPrefix + gatewayCode + "/" + f.d.Protocol().String())
}

// idMarkFloor reads face f's persisted limit: the floor its source starts
// above. Zero when there is none.
func (g *Gateway) idMarkFloor(key []byte) (time.Time, error) {
	v, err := g.auth.Store().Get(key)
	if errors.Is(err, authcache.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if len(v) != 8 {
		return time.Time{}, fmt.Errorf("record %q: %d bytes, want 8", key, len(v))
	}
	return time.Unix(int64(binary.BigEndian.Uint64(v)), 0), nil
}

// reserveIDs persists a limit idMarkAhead past the later of now and f's
// second in use, and then lets f's source take ids up to it; done is
// called with the store's answer (from the store's writer goroutine).
func (g *Gateway) reserveIDs(f *spFace, now time.Time, done func(error)) {
	src := f.ids
	from := src.HighWater()
	if now.After(from) {
		from = now
	}
	limit := from.Add(idMarkAhead).Truncate(time.Second)
	v := binary.BigEndian.AppendUint64(nil, uint64(limit.Unix()))
	err := g.auth.Persist(func(err error) {
		if err == nil {
			src.Reserve(limit)
		}
		done(err)
	}, authcache.Mutation{Key: f.idKey, Value: v})
	if err != nil {
		done(err)
	}
}

// reserveIDsNow is reserveIDs waiting for the store (at New).
func (g *Gateway) reserveIDsNow(f *spFace) error {
	ch := make(chan error, 1)
	g.reserveIDs(f, time.Now(), func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("the store did not answer within 10s")
	}
}

// keepIDMarks runs until the gateway stops: every idMarkEvery it moves the
// limit of every face whose source came within idMarkAhead/2 of it. Its
// own goroutine, started at boot.
func (g *Gateway) keepIDMarks() {
	t := time.NewTicker(idMarkEvery)
	defer t.Stop()
	busy := make(map[*spFace]bool)
	results := make(chan *spFace, len(g.faces))
	for {
		select {
		case <-g.ctx.Done():
			return
		case f := <-results:
			busy[f] = false
		case now := <-t.C:
			for _, f := range g.faces {
				if f.ids == nil || busy[f] {
					continue
				}
				in := f.ids.HighWater()
				if now.After(in) {
					in = now
				}
				if f.ids.Limit().Sub(in) >= idMarkAhead/2 {
					continue
				}
				busy[f] = true
				f := f
				g.reserveIDs(f, now, func(err error) {
					if err != nil {
						g.logRL(slog.LevelError, "message-id limit not persisted; ids stop at the last one", "protocol", f.d.Protocol().String(), "err", err)
					}
					results <- f
				})
			}
		}
	}
}

// newIDSource makes face f's id source, continuing above its persisted
// limit (floor), bounded by the limits keepIDMarks persists. It does not
// wait for the next second of the clock: it starts there (ids of its
// first second are stamped up to a second early), which is as safe for
// a node restarted within a second it handed ids out in.
func newIDSource(f *spFace, loc *time.Location, floor time.Time) *translate.IDSource {
	return translate.NewIDSource(f.tf.Capabilities(), translate.IDConfig{Location: loc, Floor: floor, Bounded: true,
		Sleep: func(time.Duration) {}})
}
