package reconcile

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
)

var cst = time.FixedZone("UTC+08:00", 8*3600)

// fakeSource counts per (sp, column) like the gateway: cumulative.
type fakeSource struct {
	mu sync.Mutex
	m  map[[2]string]uint64
}

func newFakeSource() *fakeSource { return &fakeSource{m: map[[2]string]uint64{}} }

func (f *fakeSource) Columns() []string { return []string{"mt_submitted", "refused_not_subscribed"} }
func (f *fakeSource) Counts(add func(sp, column string, v uint64)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range f.m {
		add(k[0], k[1], v)
	}
}
func (f *fakeSource) inc(sp, col string, n uint64) {
	f.mu.Lock()
	f.m[[2]string{sp, col}] += n
	f.mu.Unlock()
}
func (f *fakeSource) set(sp, col string, n uint64) {
	f.mu.Lock()
	f.m[[2]string{sp, col}] = n
	f.mu.Unlock()
}

// mapStore writes at once.
type mapStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMapStore() *mapStore { return &mapStore{m: map[string][]byte{}} }

func (s *mapStore) Persist(done func(error), ms ...authcache.Mutation) error {
	s.mu.Lock()
	for _, m := range ms {
		s.m[string(m.Key)] = append([]byte(nil), m.Value...)
	}
	s.mu.Unlock()
	if done != nil {
		done(nil)
	}
	return nil
}
func (s *mapStore) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[string(key)]; ok {
		return v, nil
	}
	return nil, authcache.ErrNotFound
}
func (s *mapStore) Flush() error { return nil }
func (s *mapStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	s.mu.Lock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		s.mu.Lock()
		v := s.m[k]
		s.mu.Unlock()
		if err := fn([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }
func at(d, hms string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.000", d+" "+hms, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func newRecorder(t *testing.T, st Store, c *clock, src Source) *Recorder {
	t.Helper()
	r, err := New(st, Options{Location: cst, Interval: 10 * time.Second, Retention: 400 * 24 * time.Hour, Now: c.Now}, src)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *Recorder) mustDay(t *testing.T, date time.Time, sp string) map[string]uint64 {
	t.Helper()
	m, err := r.Day(date.In(cst).Format("2006-01-02"), sp)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDayBoundary: what is counted before the midnight flush belongs to the
// day that ends, what comes after to the next; a restart continues the
// day's totals from the store.
func TestDayBoundary(t *testing.T) {
	c, st, src := &clock{}, newMapStore(), newFakeSource()
	c.Set(at("2026-03-01", "23:59:40.000"))
	src.inc("sp1", "mt_submitted", 7) // before the recorder: no day's
	r := newRecorder(t, st, c, src)

	src.inc("sp1", "mt_submitted", 3)
	c.Set(at("2026-03-01", "23:59:50.000"))
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	src.inc("sp1", "mt_submitted", 4)
	src.inc("sp1", "refused_not_subscribed", 1)
	c.Set(at("2026-03-02", "00:00:00.004")) // the midnight flush, 4 ms late
	r.Flush()
	src.inc("sp1", "mt_submitted", 5)
	c.Set(at("2026-03-02", "00:00:10.000"))
	r.Flush()

	if d := r.mustDay(t, at("2026-03-01", "12:00:00.000"), "sp1"); d["mt_submitted"] != 7 || d["refused_not_subscribed"] != 1 {
		t.Errorf("2026-03-01: %v, want mt_submitted 7 (3 + 4), refused 1", d)
	}
	if d := r.mustDay(t, at("2026-03-02", "00:00:00.000"), "sp1"); d["mt_submitted"] != 5 || d["refused_not_subscribed"] != 0 {
		t.Errorf("2026-03-02: %v, want mt_submitted 5", d)
	}
	// Asking for today flushes first.
	src.inc("sp1", "mt_submitted", 2)
	if d := r.mustDay(t, c.Now(), "sp1"); d["mt_submitted"] != 7 {
		t.Errorf("today, asked: %v, want 7", d)
	}

	// A restart: the new process's counters start at 0; the day goes on.
	src2 := newFakeSource()
	r2 := newRecorder(t, st, c, src2)
	src2.inc("sp1", "mt_submitted", 1)
	c.Set(at("2026-03-02", "08:00:00.000"))
	if d := r2.mustDay(t, c.Now(), "sp1"); d["mt_submitted"] != 8 {
		t.Errorf("after a restart: %v, want 8", d)
	}
	// The closed day comes from the store after the restart.
	if d := r2.mustDay(t, at("2026-03-01", "00:00:00.000"), "sp1"); d["mt_submitted"] != 7 {
		t.Errorf("2026-03-01 after a restart: %v", d)
	}
	if d := r2.mustDay(t, at("2025-01-01", "00:00:00.000"), "sp1"); len(d) != 0 {
		t.Errorf("a day without a record: %v", d)
	}
}

// TestFirstFlushAfterMidnightClosesTheDay: an on-demand flush that runs
// before the timer's midnight flush closes the day in its place.
func TestFirstFlushAfterMidnightClosesTheDay(t *testing.T) {
	c, st, src := &clock{}, newMapStore(), newFakeSource()
	c.Set(at("2026-03-01", "23:59:59.000"))
	r := newRecorder(t, st, c, src)
	src.inc("sp1", "mt_submitted", 2)
	c.Set(at("2026-03-02", "00:00:00.001"))
	if d := r.mustDay(t, c.Now(), "sp1"); d["mt_submitted"] != 0 {
		t.Errorf("new day: %v", d)
	}
	if d := r.mustDay(t, at("2026-03-01", "00:00:00.000"), "sp1"); d["mt_submitted"] != 2 {
		t.Errorf("closed day: %v", d)
	}
}

// TestCounterStartsOver: a counter that goes down (an account removed by
// a reload and added again) counts from zero.
func TestCounterStartsOver(t *testing.T) {
	c, st, src := &clock{}, newMapStore(), newFakeSource()
	c.Set(at("2026-03-01", "10:00:00.000"))
	r := newRecorder(t, st, c, src)
	src.set("sp1", "mt_submitted", 10)
	r.Flush()
	src.set("sp1", "mt_submitted", 3)
	r.Flush()
	if d := r.mustDay(t, c.Now(), "sp1"); d["mt_submitted"] != 13 {
		t.Errorf("%v, want 13", d)
	}
}

func TestNextFlush(t *testing.T) {
	r := &Recorder{o: Options{Location: cst, Interval: 10 * time.Second}}
	for _, c := range []struct{ now, want time.Time }{
		{at("2026-03-01", "10:00:03.000"), at("2026-03-01", "10:00:10.000")},
		{at("2026-03-01", "10:00:10.000"), at("2026-03-01", "10:00:20.000")},
		{at("2026-03-01", "23:59:55.000"), at("2026-03-02", "00:00:00.000")},
	} {
		if got := r.nextFlush(c.now); !got.Equal(c.want) {
			t.Errorf("nextFlush(%v) = %v, want %v", c.now, got, c.want)
		}
	}
}

// TestTimerFlushes: Start flushes on its own; Close flushes the rest.
func TestTimerFlushes(t *testing.T) {
	st, src := newMapStore(), newFakeSource()
	r, err := New(st, Options{Location: cst, Interval: time.Second, Retention: 48 * time.Hour}, src)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	src.inc("sp1", "mt_submitted", 1)
	day := r.dayOf(time.Now())
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, err := st.Get(recordKey(day, "sp1")); err == nil {
			if m, _ := decode(v); m["mt_submitted"] >= 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no flush within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	src.inc("sp1", "mt_submitted", 1)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	v, _ := st.Get(recordKey(r.dayOf(time.Now()), "sp1"))
	if m, _ := decode(v); m["mt_submitted"] < 1 || (r.dayOf(time.Now()) == day && m["mt_submitted"] != 2) {
		t.Errorf("after Close: %v", m)
	}
}

func TestDayRefusesBadDates(t *testing.T) {
	c := &clock{}
	c.Set(at("2026-03-01", "10:00:00.000"))
	r := newRecorder(t, newMapStore(), c, newFakeSource())
	for _, d := range []string{"", "2026-3-1", "20260301", "2026-02-30", "2026-03-01T00:00:00Z"} {
		if _, err := r.Day(d, "sp1"); !errors.Is(err, ErrBadDate) {
			t.Errorf("Day(%q) = %v", d, err)
		}
	}
}

func TestRecordAndCSV(t *testing.T) {
	c := counts{"b": 2, "a": 1, "zero": 0}
	back, err := decode(encode(c))
	if err != nil || len(back) != 3 || back["a"] != 1 || back["b"] != 2 {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	for _, bad := range [][]byte{nil, {2}, {1, 5, 'a'}, {1, 1, 'a'}} {
		if _, err := decode(bad); err == nil {
			t.Errorf("decode(%x) accepted", bad)
		}
	}
	got := string(AppendCSV(nil, "2026-03-01", []string{"mt_submitted", "x"},
		map[string]map[string]uint64{"sp,2": {"mt_submitted": 4}, "sp1": {"x": 9}}))
	want := "date,sp,mt_submitted,x\r\n2026-03-01,\"sp,2\",4,0\r\n2026-03-01,sp1,0,9\r\n"
	if got != want {
		t.Errorf("CSV:\n%q\nwant\n%q", got, want)
	}
	if !strings.HasPrefix(string(recordKey("20260301", "sp1")), KeyPrefix) {
		t.Error("key prefix")
	}
}

// TestSeveralNodesAddUp: two nodes sharing one store each write their own
// day record; a day's counts are their sum, and neither overwrites the
// other's (one shared record kept only the last writer's totals).
func TestSeveralNodesAddUp(t *testing.T) {
	c, st := &clock{}, newMapStore()
	c.Set(at("2026-03-01", "10:00:00.000"))
	srcA, srcB := newFakeSource(), newFakeSource()
	open := func(node string, src Source) *Recorder {
		r, err := New(st, Options{Location: cst, Interval: 10 * time.Second, Retention: 400 * 24 * time.Hour, Now: c.Now, Node: node}, src)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := open("A", srcA), open("B", srcB)
	srcA.inc("sp1", "mt_submitted", 3)
	srcB.inc("sp1", "mt_submitted", 4)
	srcB.inc("sp10", "mt_submitted", 100) // an SP whose id starts with sp1's
	for _, r := range []*Recorder{a, b, a} {
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for name, r := range map[string]*Recorder{"A": a, "B": b} {
		if got := r.mustDay(t, at("2026-03-01", "10:00:00.000"), "sp1")["mt_submitted"]; got != 7 {
			t.Errorf("node %s: sp1's day = %d, want 7 (3 on A + 4 on B)", name, got)
		}
	}
	// A restart of A continues from A's own record, not the sum.
	a2 := open("A", newFakeSource())
	srcA2 := a2.sources[0].(*fakeSource)
	srcA2.inc("sp1", "mt_submitted", 1)
	if err := a2.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := a2.mustDay(t, at("2026-03-01", "10:00:00.000"), "sp1")["mt_submitted"]; got != 8 {
		t.Errorf("after A's restart: %d, want 8", got)
	}
}
