package authcache

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Free space: the store's filesystem must never fill.
//
// Badger writes its write-ahead log (each memtable's .mem file), its value
// log and its tables through memory-mapped files that it sizes up front
// with ftruncate: 2 × MemTableSize (32 MiB) for the log, 2 ×
// ValueLogFileSize (128 MiB) for the value log, the table's size for a
// table. Those files are sparse: a freshly opened store takes 24 KiB of
// 168 MB (measured on tmpfs). The filesystem allocates a page when it is
// first written through the mapping, and when it has none left the kernel
// answers that store instruction with SIGBUS, not with an error. Go turns
// a fault into a recoverable panic only on a goroutine that called
// debug.SetPanicOnFault, and the faulting copy runs on one of Badger's own
// goroutines (doWrites → memTable.Put → logFile.writeEntry): the process
// dies with "fatal error: fault", and a restart on the same disk dies the
// same way. No error ever reaches the writer, so the fail policy of failed
// writes never engages, and catching the signal is no defence.
//
// So spsmg stops writing while there is still room. Free space is
// measured (statfs) by the writer before every batch, and by a ticker
// while nothing is written. Below the reserve:
//   - the writer writes nothing; what it holds stays queued, in memory;
//   - the engine is unavailable: MTs get store_unavailable, the API's
//     state changes ErrUnavailable, and callers that acknowledge something
//     only once it is durable (Persist with a callback, Flush) get
//     ErrNoSpace at once, so that the proxy answers the SMG with its busy
//     result and the SMG sends the MO or report again;
//   - maintenance writes nothing either (no probe, no value-log GC).
//
// Writing resumes once free space is back at the reserve plus a quarter
// (hysteresis: draining what was held must not push it straight back
// under), the held queue first.
//
// What the reserve must cover is what can still be written after the
// crossing: the write batch in flight (≤ DefaultMaxBatch mutations: 1 MiB
// of 230-byte MOs at the 246 bytes each takes in the log, measured), a
// memtable flush that had already started (a table of at most
// MemTableSize, 16 MiB, while the old log is still on disk) and a
// compaction in progress. Badger starts no flush or compaction of its own
// once nothing is written.

// DefaultSpaceCheckInterval is how often free space is measured while the
// writer is idle or paused; while it writes it measures before every batch.
const DefaultSpaceCheckInterval = time.Second

// ErrNoSpace: the store is below its free-space reserve and writes
// nothing. Persist with a callback and Flush return it at once; the
// mutations were not queued.
var ErrNoSpace = errors.New("authcache: store below its free-space reserve")

// SpaceGuard configures the free-space watch of an Engine (WithSpaceGuard).
type SpaceGuard struct {
	// Reserve is the free space, in bytes, below which nothing is written.
	// Writing resumes at Reserve + Reserve/4.
	Reserve uint64
	// Free measures the bytes available on the store's filesystem:
	// DirFree(dir) in production, a fake in tests.
	Free func() (uint64, error)
	// Interval between measurements while nothing is written (default
	// DefaultSpaceCheckInterval).
	Interval time.Duration
	// Path names the store in log lines.
	Path string
}

// WithSpaceGuard makes the engine watch free space and write nothing below
// g.Reserve (see ErrNoSpace).
func WithSpaceGuard(g SpaceGuard) Option { return func(o *options) { o.space = &g } }

// Space is the state of the free-space watch.
type Space struct {
	Guarded bool   // a SpaceGuard is configured
	Low     bool   // below the reserve: nothing is written
	Free    uint64 // bytes available at the last measurement
	Reserve uint64
	Resume  uint64 // free space at which writing resumes
	Path    string
}

// Space returns the state of the free-space watch (zero without a guard).
func (e *Engine) Space() Space {
	s := e.space
	if s == nil {
		return Space{}
	}
	return Space{Guarded: true, Low: s.low(), Free: s.free.Load(), Reserve: s.g.Reserve, Resume: s.resume, Path: s.g.Path}
}

// Writable reports whether the store takes writes: false while it is below
// its free-space reserve or closed. A caller must not acknowledge anything
// whose safety depends on a write it is about to queue. Any goroutine; one
// atomic load.
func (e *Engine) Writable() bool { return e.health.Load()&(healthNoSpace|healthClosed) == 0 }

// NoSpaceError is OpenBadger's refusal to open a store whose filesystem
// has less free space than its reserve. errors.Is(err, ErrNoSpace) holds.
type NoSpaceError struct {
	Path    string
	Free    uint64
	Reserve uint64
}

func (e *NoSpaceError) Error() string {
	return fmt.Sprintf("authcache: %s: %d bytes free, below the reserve of %d bytes", e.Path, e.Free, e.Reserve)
}

func (e *NoSpaceError) Unwrap() error { return ErrNoSpace }

// DirFree returns a function measuring the bytes available on the
// filesystem holding dir: statfs f_bavail × f_bsize, what an unprivileged
// process may still use (root may also dip into blocks reserved for it,
// so the figure errs on the safe side). dir need not exist yet: its
// nearest existing parent is measured.
func DirFree(dir string) func() (uint64, error) {
	return func() (uint64, error) {
		p := dir
		for {
			var st syscall.Statfs_t
			err := syscall.Statfs(p, &st)
			if err == nil {
				return st.Bavail * uint64(st.Bsize), nil
			}
			parent := filepath.Dir(p)
			if !errors.Is(err, os.ErrNotExist) || parent == p {
				return 0, fmt.Errorf("statfs %s: %w", p, err)
			}
			p = parent
		}
	}
}

// spaceWatch is the engine's free-space state machine. check runs on the
// writer goroutine (before every batch) and on the watch goroutine; the
// state itself is the engine's healthNoSpace bit.
type spaceWatch struct {
	g      SpaceGuard
	resume uint64
	log    *slog.Logger
	health *atomic.Uint32
	wake   func() // the writer's; set before it starts
	free   atomic.Uint64

	mu      sync.Mutex // one measurement and transition at a time
	since   time.Time  // went low
	failing bool       // Free keeps failing; logged once per streak
}

func newSpaceWatch(g SpaceGuard, log *slog.Logger, health *atomic.Uint32) (*spaceWatch, error) {
	if g.Reserve == 0 || g.Free == nil || g.Interval < 0 {
		return nil, fmt.Errorf("%w: space guard (reserve %d, free function set %t, interval %v)",
			ErrConfig, g.Reserve, g.Free != nil, g.Interval)
	}
	if g.Interval == 0 {
		g.Interval = DefaultSpaceCheckInterval
	}
	return &spaceWatch{g: g, resume: g.Reserve + g.Reserve/4, log: log, health: health}, nil
}

// low reports the state without measuring; a nil watch is never low.
func (s *spaceWatch) low() bool {
	return s != nil && s.health.Load()&healthNoSpace != 0
}

// check measures free space, moves between the normal and the low state,
// and reports whether the store may be written. A failed measurement
// keeps the state it had. A nil watch always allows writing.
func (s *spaceWatch) check() bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	free, err := s.g.Free()
	if err != nil {
		if !s.failing {
			s.failing = true
			s.log.Error("authcache: cannot measure free space; the last state stays", "path", s.g.Path, "err", err)
		}
		return !s.low()
	}
	if s.failing {
		s.failing = false
		s.log.Info("authcache: free space measured again", "path", s.g.Path, "free_bytes", free)
	}
	s.free.Store(free)
	switch low := s.low(); {
	case !low && free < s.g.Reserve:
		s.health.Or(healthNoSpace)
		s.since = time.Now()
		s.log.Error("authcache: store below its free-space reserve: nothing is written, MTs are refused (store_unavailable), "+
			"MO and reports are left for the SMG to send again, until free space is back",
			"path", s.g.Path, "free_bytes", free, "reserve_bytes", s.g.Reserve, "resume_at_bytes", s.resume)
	case low && free >= s.resume:
		s.health.And(^healthNoSpace)
		s.log.Warn("authcache: free space back above the reserve: writing again",
			"path", s.g.Path, "free_bytes", free, "reserve_bytes", s.g.Reserve, "paused_for", time.Since(s.since).Round(time.Millisecond))
		if s.wake != nil {
			s.wake()
		}
	}
	return !s.low()
}

// watchSpace measures free space every interval, so that the state moves
// while the writer is idle or paused.
func (e *Engine) watchSpace() {
	defer e.wg.Done()
	t := time.NewTicker(e.space.g.Interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.space.check()
		}
	}
}
