package authcache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// fakeDisk is the injected free-space source: tests set the free bytes
// instead of filling a disk.
type fakeDisk struct {
	free  atomic.Uint64
	fail  atomic.Bool
	calls atomic.Int64
}

func newFakeDisk(free uint64) *fakeDisk {
	d := &fakeDisk{}
	d.free.Store(free)
	return d
}

func (d *fakeDisk) Free() (uint64, error) {
	d.calls.Add(1)
	if d.fail.Load() {
		return 0, errors.New("injected statfs failure")
	}
	return d.free.Load(), nil
}

// warnRecorder keeps the messages logged at warn and above, as text.
type warnRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *warnRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (r *warnRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	r.mu.Lock()
	r.msgs = append(r.msgs, b.String())
	r.mu.Unlock()
	return nil
}
func (r *warnRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *warnRecorder) WithGroup(string) slog.Handler      { return r }

func (r *warnRecorder) matching(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		if strings.Contains(m, s) {
			out = append(out, m)
		}
	}
	return out
}

const testReserve = 1000

// openGuarded opens an engine on a counting memory store with a free-space
// guard whose ticker never fires during the test (checks are driven by
// the test, as the ticker would).
func openGuarded(t *testing.T, disk *fakeDisk, logs *warnRecorder, interval time.Duration) (*Engine, *faultStore) {
	t.Helper()
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	if interval == 0 {
		interval = time.Hour
	}
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(slog.New(logs)), WithFlushInterval(0),
		WithSweepInterval(time.Hour), WithSpaceGuard(SpaceGuard{Reserve: testReserve, Free: disk.Free, Interval: interval, Path: "/data"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, fs
}

// TestSpaceBelowReserve: below the reserve the engine refuses MTs
// (fail-closed, retryable), refuses to promise durability, keeps plain
// state changes queued without writing them, and writes them once free
// space is back above the reserve plus a quarter.
func TestSpaceBelowReserve(t *testing.T) {
	disk := newFakeDisk(10 * testReserve)
	logs := &warnRecorder{}
	e, fs := openGuarded(t, disk, logs, 0)
	if err := e.Subscribe(spA, userA, "MUSIC", SourceAPI); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	mtA := &MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{[]byte(userA)}}
	if d := e.Authorize(mtA); !d.Allow {
		t.Fatalf("before: %+v", d)
	}
	if sp := e.Space(); !sp.Guarded || sp.Low || sp.Free != 10*testReserve || sp.Reserve != testReserve || sp.Resume != testReserve*5/4 {
		t.Fatalf("Space() = %+v", sp)
	}

	disk.free.Store(testReserve - 1)
	if e.space.check() { // what the ticker does
		t.Fatal("check() allows writing below the reserve")
	}
	if e.Writable() || e.Available() || !e.Space().Low {
		t.Fatalf("below the reserve: writable %t available %t space %+v", e.Writable(), e.Available(), e.Space())
	}
	if d := e.Authorize(mtA); d.Allow || d.Reason != reason.StoreUnavailable {
		t.Fatalf("MT below the reserve: %+v, want store_unavailable", d)
	}
	if err := e.Subscribe(spA, userB, "MUSIC", SourceAPI); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Subscribe below the reserve = %v, want ErrUnavailable and ErrNoSpace", err)
	}
	called := false
	if err := e.Persist(func(error) { called = true }, Mutation{Key: []byte("ob/durable"), Value: []byte("x")}); !errors.Is(err, ErrNoSpace) || called {
		t.Fatalf("Persist with a callback below the reserve = %v (callback run: %t), want ErrNoSpace and no callback", err, called)
	}
	if err := e.Flush(); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Flush below the reserve = %v, want ErrNoSpace", err)
	}
	applies := fs.applies.Load()
	if err := e.Enqueue(Mutation{Key: []byte("ob/held"), Value: []byte("h")}); err != nil {
		t.Fatalf("Enqueue below the reserve = %v, want it queued", err)
	}
	e.PutRoute([]byte("msgid-1"), Route{SP: spA})
	if s := e.Stats(); !s.SpaceLow || s.FreeBytes != testReserve-1 || s.ReserveBytes != testReserve || s.QueueDepth != 2 || s.Available {
		t.Fatalf("Stats below the reserve = %+v", s)
	}

	// Hysteresis: back above the reserve is not enough.
	disk.free.Store(testReserve*5/4 - 1)
	if e.space.check() || !e.Space().Low {
		t.Fatal("writing resumed below reserve + a quarter")
	}
	if n := fs.applies.Load(); n != applies {
		t.Fatalf("the store was written %d times while below the reserve", n-applies)
	}
	if _, err := e.Store().Get([]byte("ob/held")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("held mutation already in the store: %v", err)
	}

	disk.free.Store(testReserve * 5 / 4)
	if !e.space.check() || !e.Writable() || !e.Available() {
		t.Fatal("writing did not resume at reserve + a quarter")
	}
	if err := e.Flush(); err != nil { // the held mutations first, then this barrier
		t.Fatalf("Flush after recovery = %v", err)
	}
	if v, err := e.Store().Get([]byte("ob/held")); err != nil || string(v) != "h" {
		t.Fatalf("held mutation after recovery: %q, %v", v, err)
	}
	if r, ok, err := e.LookupRoute([]byte("msgid-1")); err != nil || !ok || r.SP != spA {
		t.Fatalf("route queued below the reserve: %+v %t %v", r, ok, err)
	}
	if _, err := e.Store().Get([]byte("ob/durable")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a Persist refused with ErrNoSpace was written later: %v", err)
	}
	if d := e.Authorize(mtA); !d.Allow {
		t.Fatalf("MT after recovery: %+v", d)
	}
	if s := e.Stats(); s.SpaceLow || s.FailClosedMT != 1 || s.QueueDepth != 0 {
		t.Fatalf("Stats after recovery = %+v", s)
	}
	down, up := logs.matching("below its free-space reserve"), logs.matching("back above the reserve")
	if len(down) != 1 || len(up) != 1 {
		t.Fatalf("transition log lines: %d down, %d up (want one each): %v", len(down), len(up), logs.matching(""))
	}
	for _, want := range []string{"path=/data", "free_bytes=999", "reserve_bytes=1000", "resume_at_bytes=1250"} {
		if !strings.Contains(down[0], want) {
			t.Errorf("the log line going low lacks %q: %s", want, down[0])
		}
	}
}

// TestSpaceWriterChecksBeforeEveryBatch: the writer measures free space
// itself before writing, so a disk that fills between two ticks of the
// watch gets no more writes: the batch it holds is not written, its
// durable ops are answered ErrNoSpace, and the rest waits for space.
func TestSpaceWriterChecksBeforeEveryBatch(t *testing.T) {
	disk := newFakeDisk(10 * testReserve)
	e, fs := openGuarded(t, disk, &warnRecorder{}, 0)
	select {
	case <-fs.entered:
	default:
	}
	// Keep the writer busy in a write that began while there was room,
	// so that the next two ops reach it together and nobody has measured
	// the full disk yet when they are queued.
	fs.hold.Lock()
	if err := e.Enqueue(Mutation{Key: []byte("ob/before"), Value: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	<-fs.entered
	disk.free.Store(testReserve - 1) // the disk fills; the ticker has not run
	if err := e.Enqueue(Mutation{Key: []byte("ob/plain"), Value: []byte("p")}); err != nil {
		t.Fatal(err)
	}
	answer := make(chan error, 1)
	if err := e.Persist(func(err error) { answer <- err }, Mutation{Key: []byte("ob/acked"), Value: []byte("a")}); err != nil {
		t.Fatalf("Persist before anyone measured = %v", err)
	}
	fs.hold.Unlock()
	if err := <-answer; !errors.Is(err, ErrNoSpace) {
		t.Fatalf("durable write taken by the writer below the reserve answered %v, want ErrNoSpace", err)
	}
	if n := fs.applies.Load(); n != 1 {
		t.Fatalf("the writer wrote %d batches, want only the one begun before the disk filled", n)
	}
	if !e.Space().Low || e.Writable() {
		t.Fatal("the writer's own measurement did not put the engine in the low state")
	}
	if s := e.Stats(); s.QueueDepth != 1 {
		t.Fatalf("queue depth %d, want the plain mutation held", s.QueueDepth)
	}

	disk.free.Store(2 * testReserve)
	e.space.check()
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if v, err := e.Store().Get([]byte("ob/plain")); err != nil || string(v) != "p" {
		t.Fatalf("held mutation after recovery: %q, %v", v, err)
	}
	if _, err := e.Store().Get([]byte("ob/acked")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the refused durable write was written after all: %v", err)
	}
}

// TestSpaceWatchTicks: with nothing written, the watch goroutine alone
// moves the state both ways.
func TestSpaceWatchTicks(t *testing.T) {
	disk := newFakeDisk(10 * testReserve)
	e, _ := openGuarded(t, disk, &warnRecorder{}, time.Millisecond)
	disk.free.Store(1)
	waitFor(t, "the watch sees the disk below the reserve", func() bool { return !e.Writable() })
	disk.free.Store(10 * testReserve)
	waitFor(t, "the watch sees space again", func() bool { return e.Writable() })
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestSpaceMeasurementFails: when free space cannot be measured the last
// state stays (a failing statfs is no reason to start or stop writing),
// logged once per streak.
func TestSpaceMeasurementFails(t *testing.T) {
	disk := newFakeDisk(10 * testReserve)
	logs := &warnRecorder{}
	e, _ := openGuarded(t, disk, logs, 0)
	disk.fail.Store(true)
	for range 3 {
		if !e.space.check() {
			t.Fatal("a failed measurement stopped writing")
		}
	}
	disk.fail.Store(false)
	disk.free.Store(1)
	e.space.check()
	disk.fail.Store(true)
	if e.space.check() || e.Writable() {
		t.Fatal("a failed measurement resumed writing below the reserve")
	}
	if n := len(logs.matching("cannot measure free space")); n != 2 {
		t.Fatalf("%d log lines for two streaks of failures, want 2", n)
	}
}

// TestSpaceCloseWhileLow: Close below the reserve does not wait for space:
// it answers what waits, writes nothing, and says what it did not write.
func TestSpaceCloseWhileLow(t *testing.T) {
	disk := newFakeDisk(1)
	logs := &warnRecorder{}
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(slog.New(logs)),
		WithSpaceGuard(SpaceGuard{Reserve: testReserve, Free: disk.Free, Interval: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	if e.Writable() {
		t.Fatal("an engine opened below the reserve is writable")
	}
	e.Enqueue(Mutation{Key: []byte("ob/a"), Value: []byte("a")}, Mutation{Key: []byte("ob/b"), Value: []byte("b")})
	e.PutRoute([]byte("msgid-2"), Route{SP: spA})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fs.applies.Load(); n != 0 {
		t.Fatalf("%d batches written below the reserve", n)
	}
	if got := logs.matching("queued mutations not written"); len(got) != 1 || !strings.Contains(got[0], "mutations=3") {
		t.Fatalf("close log: %v", logs.matching(""))
	}
}

func TestSpaceGuardValidation(t *testing.T) {
	for _, g := range []SpaceGuard{{Reserve: 0, Free: newFakeDisk(1).Free}, {Reserve: 1}, {Reserve: 1, Free: newFakeDisk(1).Free, Interval: -1}} {
		if _, err := Open(testConfig(), NewMemStore(nil), WithLogger(quietLogger()), WithSpaceGuard(g)); !errors.Is(err, ErrConfig) {
			t.Errorf("Open with %+v = %v, want ErrConfig", g, err)
		}
	}
}

// TestOpenBadgerBelowReserve: Badger is not opened at all on a disk below
// the reserve; the error says where, how much is free and the reserve.
func TestOpenBadgerBelowReserve(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger(), MinFree: 1 << 30, Free: newFakeDisk(5 << 20).Free})
	var ns *NoSpaceError
	if !errors.As(err, &ns) || !errors.Is(err, ErrNoSpace) || ns.Path != dir || ns.Free != 5<<20 || ns.Reserve != 1<<30 {
		t.Fatalf("OpenBadger below the reserve = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused store's directory was created: %v", err)
	}
	// The real measurement: this filesystem has less than an exabyte free
	// and more than a byte.
	if _, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger(), MinFree: 1 << 60}); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("OpenBadger with an exabyte reserve = %v", err)
	}
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger(), MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func TestDirFree(t *testing.T) {
	dir := t.TempDir()
	n, err := DirFree(dir)()
	if err != nil || n == 0 {
		t.Fatalf("DirFree(%s) = %d, %v", dir, n, err)
	}
	// A directory not created yet is measured on its nearest parent.
	m, err := DirFree(filepath.Join(dir, "not", "yet"))()
	if err != nil || m == 0 || m > n+n/2 || m < n/2 { // other writers may be busy on this filesystem
		t.Fatalf("DirFree of a missing subdirectory = %d, %v (parent: %d)", m, err, n)
	}
}

const spaceHelperEnv = "AUTHCACHE_SPACE_HELPER_DIR"

// TestSpaceHelperProcess is the child of TestBadgerCloseBelowReserve: it
// writes a record, finds the disk below the reserve, closes (which must
// not flush), and exits normally.
func TestSpaceHelperProcess(t *testing.T) {
	dir := os.Getenv(spaceHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestBadgerCloseBelowReserve")
	}
	disk := newFakeDisk(1 << 40)
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger(), MinFree: 1 << 30, Free: disk.Free})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply([]Mutation{{Key: []byte("ob/before-full"), Value: []byte("kept")}}); err != nil {
		t.Fatal(err)
	}
	disk.free.Store(1 << 20)
	err = st.Close()
	fmt.Printf("CLOSE %v\n", errors.Is(err, ErrNoSpace))
}

// TestBadgerCloseBelowReserve: Close below the reserve leaves Badger
// unflushed, and a later open finds everything written before.
func TestBadgerCloseBelowReserve(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpaceHelperProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), spaceHelperEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	sawClose := false
	for sc := bufio.NewScanner(strings.NewReader(string(out))); sc.Scan(); {
		if sc.Text() == "CLOSE true" {
			sawClose = true
		}
	}
	if !sawClose {
		t.Fatalf("helper's Close did not report ErrNoSpace:\n%s", out)
	}
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Get([]byte("ob/before-full")); err != nil || string(v) != "kept" {
		t.Fatalf("record written before the unflushed close: %q, %v", v, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkDirFree is the cost the writer pays before every batch: one
// statfs.
func BenchmarkDirFree(b *testing.B) {
	free := DirFree(b.TempDir())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := free(); err != nil {
			b.Fatal(err)
		}
	}
}
