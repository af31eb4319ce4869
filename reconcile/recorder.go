// Package reconcile keeps, for each SP account and calendar day, the
// counts a carrier reconciles against: MT submitted, forwarded and refused
// by reason, status reports by status, subscriptions added, cancelled,
// paused and resumed. It reads the same cumulative counters the metrics
// are read from, off the hot path, and adds what changed to the day's
// record in the store every flush interval, at each midnight and at
// shutdown; GET /v1/reconciliation exports a day as CSV.
//
// # Which day a count belongs to
//
// Days are calendar days in node.time_zone (default +08:00, China Standard
// Time). Every flush adds what the counters gained since the previous
// flush to the day that was open at the previous flush; the first flush
// after a midnight closes that day and opens the next. Flushes run at
// midnight + k × flush_interval (the interval divides the day), so the
// flush that closes a day runs at its midnight, as late as the timer fires
// (milliseconds): a message counted in those milliseconds after midnight
// belongs to the day before. A flush also runs whenever the current day is
// asked for (so the answer is up to the moment) and at shutdown.
//
// # What survives
//
// Totals are added into the store's record (key rc/<YYYYMMDD>/<sp>, kept
// reconciliation.retention) and a restart continues from it. A kill -9
// loses what was counted since the last flush (at most flush_interval), as
// it loses the in-memory counters the metrics show; so do the counts of an
// account removed by a reload since the last flush.
package reconcile

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/spsmg/spsmg/authcache"
)

// Source reports cumulative counts since the process started, by SP
// account and column. Counts only grow while the process runs.
type Source interface {
	Columns() []string
	Counts(add func(sp, column string, v uint64))
}

// Store is where day records live: *authcache.Engine through EngineStore.
type Store interface {
	// Persist queues mutations (never under authcache's own prefix).
	Persist(done func(error), ms ...authcache.Mutation) error
	// Get reads a record; authcache.ErrNotFound when absent.
	Get(key []byte) ([]byte, error)
	// Scan calls fn for every record under prefix (Options.Node: the
	// other nodes' records of a day).
	Scan(prefix []byte, fn func(key, value []byte) error) error
	// Flush waits until everything queued is written.
	Flush() error
}

// EngineStore adapts the authorization engine, which owns the one store.
func EngineStore(e *authcache.Engine) Store { return engineStore{e} }

type engineStore struct{ e *authcache.Engine }

func (s engineStore) Persist(done func(error), ms ...authcache.Mutation) error {
	return s.e.Persist(done, ms...)
}
func (s engineStore) Get(key []byte) ([]byte, error) { return s.e.Store().Get(key) }
func (s engineStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	return s.e.Store().Scan(prefix, fn)
}
func (s engineStore) Flush() error { return s.e.Flush() }

// Options configure a Recorder.
type Options struct {
	Location  *time.Location // days; default UTC
	Interval  time.Duration  // flush period; divides 24 h
	Retention time.Duration  // lifetime of a day's record
	Logger    *slog.Logger
	Now       func() time.Time // tests
	// Node, with several nodes sharing one store, names this one: each
	// node writes its own day record (rc/<day>/<sp> NUL <node>), since
	// writing one record from two nodes would keep only the last one's
	// totals, and a day's counts are the sum of every node's records
	// (the other nodes' as of their last flush).
	Node string
}

// Recorder aggregates the sources into day records. Methods are safe from
// any goroutine.
type Recorder struct {
	st      Store
	sources []Source
	cols    []string
	o       Options

	mu   sync.Mutex
	prev map[[2]string]uint64 // last cumulative value seen, by (sp, column)
	day  string               // YYYYMMDD of the open day
	open map[string]counts    // the open day's totals by SP (store's + since)
	last string               // the day closed last, kept in memory …
	shut map[string]counts    // … with its totals (its final write may still be queued)

	stop chan struct{}
	done chan struct{}
}

type counts map[string]uint64

// New makes a recorder over sources and loads the open day from st.
func New(st Store, o Options, sources ...Source) (*Recorder, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Interval <= 0 || (24*time.Hour)%o.Interval != 0 {
		return nil, fmt.Errorf("reconcile: flush interval %v does not divide a day", o.Interval)
	}
	r := &Recorder{st: st, sources: sources, o: o, prev: map[[2]string]uint64{}}
	seen := map[string]bool{}
	for _, s := range sources {
		for _, c := range s.Columns() {
			if !seen[c] {
				seen[c] = true
				r.cols = append(r.cols, c)
			}
		}
	}
	r.day = r.dayOf(o.Now())
	r.open = map[string]counts{}
	// The baseline: what the counters hold now belongs to no day yet
	// (zero at a process start).
	r.snapshot(func(k [2]string, v uint64) { r.prev[k] = v })
	return r, nil
}

// Columns are the counters of a day record, in CSV order.
func (r *Recorder) Columns() []string { return append([]string(nil), r.cols...) }

func (r *Recorder) dayOf(t time.Time) string { return t.In(r.o.Location).Format("20060102") }

func (r *Recorder) snapshot(fn func(k [2]string, v uint64)) {
	for _, s := range r.sources {
		s.Counts(func(sp, col string, v uint64) { fn([2]string{sp, col}, v) })
	}
}

// Start runs the flush timer until Close.
func (r *Recorder) Start() {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.run()
}

func (r *Recorder) run() {
	defer close(r.done)
	for {
		now := r.o.Now()
		next := r.nextFlush(now)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if err := r.Flush(); err != nil {
			r.o.Logger.Error("reconcile: flush failed; the counts are added at the next one", "err", err)
		}
	}
}

// nextFlush is the first midnight + k × interval after now.
func (r *Recorder) nextFlush(now time.Time) time.Time {
	l := now.In(r.o.Location)
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, r.o.Location)
	k := l.Sub(midnight)/r.o.Interval + 1
	next := midnight.Add(k * r.o.Interval)
	// A day of 23 or 25 hours (DST in an IANA zone): never past midnight.
	if tomorrow := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, r.o.Location); next.After(tomorrow) {
		next = tomorrow
	}
	return next
}

// Close stops the timer, flushes a last time and waits until the store
// has it.
func (r *Recorder) Close() error {
	if r.stop != nil {
		close(r.stop)
		<-r.done
		r.stop = nil
	}
	if err := r.Flush(); err != nil {
		return err
	}
	return r.st.Flush()
}

// Flush adds what the counters gained since the last flush to the open
// day and queues its records for the store.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushLocked(r.o.Now())
}

func (r *Recorder) flushLocked(now time.Time) error {
	var changed []string
	touched := map[string]bool{}
	r.snapshot(func(k [2]string, v uint64) {
		p := r.prev[k]
		d := v - p
		if v < p {
			d = v // the counter started over (an account removed and added again)
		}
		r.prev[k] = v
		if d == 0 {
			return
		}
		sp := k[0]
		day := r.openDay(sp)
		day[k[1]] += d
		if !touched[sp] {
			touched[sp] = true
			changed = append(changed, sp)
		}
	})
	var errs []error
	sort.Strings(changed)
	for _, sp := range changed {
		if err := r.write(r.day, sp, r.open[sp]); err != nil {
			errs = append(errs, err)
		}
	}
	if today := r.dayOf(now); today != r.day {
		r.last, r.shut = r.day, r.open
		r.day, r.open = today, map[string]counts{}
	}
	return errors.Join(errs...)
}

// openDay returns sp's totals of the open day, loading what the store
// holds for it (a restart during the day continues from there).
func (r *Recorder) openDay(sp string) counts {
	if c := r.open[sp]; c != nil {
		return c
	}
	c := counts{}
	if v, err := r.st.Get(r.ownKey(r.day, sp)); err == nil {
		if stored, err := decode(v); err == nil {
			c = stored
		} else {
			r.o.Logger.Error("reconcile: unreadable day record; counting it from zero", "day", r.day, "sp", sp, "err", err)
		}
	}
	r.open[sp] = c
	return c
}

func (r *Recorder) write(day, sp string, c counts) error {
	start, err := time.ParseInLocation("20060102", day, r.o.Location)
	if err != nil {
		return err
	}
	m := authcache.Mutation{Key: r.ownKey(day, sp), Value: encode(c), ExpiresAt: start.Add(r.o.Retention + 24*time.Hour).Unix()}
	return r.st.Persist(nil, m)
}

// ErrBadDate: Day's date is not YYYY-MM-DD.
var ErrBadDate = errors.New("reconcile: date is not YYYY-MM-DD")

// Day returns sp's totals of a calendar day, date YYYY-MM-DD in the
// recorder's zone: the open day up to this moment, a past day from the
// store. A day without a record has no counts.
func (r *Recorder) Day(date, sp string) (map[string]uint64, error) {
	d, err := time.ParseInLocation("2006-01-02", date, r.o.Location)
	if err != nil || d.Format("2006-01-02") != date {
		return nil, fmt.Errorf("%w: %q", ErrBadDate, date)
	}
	return r.day1(r.dayOf(d), sp)
}

func (r *Recorder) day1(day, sp string) (map[string]uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.o.Now(); day == r.dayOf(now) || day == r.day {
		if err := r.flushLocked(now); err != nil {
			return nil, err
		}
	}
	var c counts
	switch day {
	case r.day:
		c = r.open[sp]
		if c == nil {
			c = r.openDay(sp)
		}
	case r.last:
		c = r.shut[sp]
	}
	if c == nil {
		v, err := r.st.Get(r.ownKey(day, sp))
		switch {
		case errors.Is(err, authcache.ErrNotFound):
			c = counts{}
		case err != nil:
			return nil, err
		default:
			if c, err = decode(v); err != nil {
				return nil, err
			}
		}
	}
	out := make(map[string]uint64, len(c))
	for k, v := range c {
		out[k] = v
	}
	if r.o.Node != "" {
		if err := r.addOthers(day, sp, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ownKey is this recorder's record of (day, sp).
func (r *Recorder) ownKey(day, sp string) []byte {
	if r.o.Node == "" {
		return recordKey(day, sp)
	}
	return append(append(recordKey(day, sp), 0), r.o.Node...)
}

// addOthers adds the records of (day, sp) other nodes wrote (and one
// written by a single node before, without a node name) to out.
func (r *Recorder) addOthers(day, sp string, out map[string]uint64) error {
	base := recordKey(day, sp)
	own := string(r.ownKey(day, sp))
	return r.st.Scan(base, func(key, value []byte) error {
		if string(key) == own || len(key) > len(base) && key[len(base)] != 0 {
			return nil // this node's, or another SP whose id starts with sp's
		}
		c, err := decode(value)
		if err != nil {
			r.o.Logger.Error("reconcile: unreadable day record of another node; left out", "day", day, "sp", sp, "err", err)
			return nil
		}
		for k, v := range c {
			out[k] += v
		}
		return nil
	})
}
