package authcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Small-store Badger options (docs/performance-notes.md §4): the defaults are
// sized for a big server (5 × 64 MB memtables, 256 MB block cache, 1 GB
// value-log files); an authorization cache of a few million small records
// needs far less. The sizes also bound what the store can still write once
// it stops taking work below its free-space reserve (space.go): a memtable
// flush writes one table of at most badgerMemTableSize.
const (
	badgerMemTableSize     = 16 << 20
	badgerNumMemtables     = 2
	badgerBlockCacheSize   = 16 << 20
	badgerValueLogFileSize = 64 << 20
	badgerNumCompactors    = 2 // 1 is rejected
	// badgerGCDiscardRatio: rewrite a value-log file when half of it is
	// garbage (docs/performance-notes.md §4).
	badgerGCDiscardRatio = 0.5
)

// BadgerOptions configures OpenBadger.
type BadgerOptions struct {
	// SyncWrites fsyncs every commit. Off (the default), a commit reaches the
	// OS page cache: it survives kill -9 of the process but not a power loss
	// or kernel crash. On costs ~30× in write rate
	// (docs/performance-notes.md §4: 111 k/s vs 3.4 k/s single updates;
	// batching hides most of it).
	SyncWrites bool
	// InMemory runs Badger without a directory (tests); dir must be "".
	InMemory bool
	// ReadOnly opens an existing directory without writing to it (spsmg
	// store verify and backup). It fails with ErrNeedsWrite when the store
	// was not closed cleanly: replaying its logs truncates them.
	ReadOnly bool
	// Logger receives Badger's warnings and errors (nil: slog.Default()).
	Logger *slog.Logger
	// MinFree, when not 0, is the free space the store keeps on its
	// filesystem (the engine's SpaceGuard reserve). OpenBadger refuses to
	// open below it (*NoSpaceError): Badger's first writes into its
	// memory-mapped files would kill the process. Close below it leaves
	// the files as a kill -9 would, instead of flushing the memtable into
	// a new table (up to badgerMemTableSize): nothing is lost, the
	// write-ahead log is replayed at the next open.
	MinFree uint64
	// Free measures the free space for MinFree (nil: DirFree(dir)).
	Free func() (uint64, error)
}

// ErrNeedsWrite: a read-only open is not possible because Badger must
// replay and truncate the logs of a store that was not closed cleanly.
// Open it read-write (as spsmg serve would).
var ErrNeedsWrite = errNeedsWrite

// BadgerStore is the Badger v4 Store backend.
type BadgerStore struct {
	db       *badger.DB
	dir      string
	lock     *dirLock
	recovery Recovery
	minFree  uint64
	free     func() (uint64, error)
	mu       sync.RWMutex // Apply/Get/Scan hold it shared; Close exclusively
	closed   bool
}

// OpenBadger opens (or creates) the Badger database in dir with the
// small-store options. A directory can be opened by one process at a time,
// and once per process (Badger's directory lock: ErrStoreLocked).
//
// Before Badger reads the directory, OpenBadger checks its files
// (badgercheck.go): a damaged store is refused with a *DamageError that
// names the file and what to do, where Badger would panic, or silently
// drop or delete data. What Badger's log replay drops anyway is logged at
// error level and reported by Recovery (badgerwal.go).
func OpenBadger(dir string, o BadgerOptions) (*BadgerStore, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	free := o.Free
	if free == nil {
		free = DirFree(dir)
	}
	if o.MinFree > 0 && !o.InMemory {
		n, err := free()
		if err != nil {
			return nil, fmt.Errorf("authcache: open badger %q: measuring free space: %w", dir, err)
		}
		if n < o.MinFree {
			return nil, &NoSpaceError{Path: dir, Free: n, Reserve: o.MinFree}
		}
	}
	opts := badgerOptions(dir, o, log)
	if o.InMemory {
		db, err := openBadger(opts)
		if err != nil {
			return nil, fmt.Errorf("authcache: open badger in memory: %w", err)
		}
		return &BadgerStore{db: db}, nil
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("authcache: create store directory: %w", err)
		}
	}
	lock, err := lockDir(dir, o.ReadOnly, false)
	if err != nil {
		return nil, err
	}
	if lock.stale {
		log.Info("store: the last process did not close the store (killed, crashed, or the machine stopped); Badger replays its write-ahead log", "dir", dir)
	}
	watch, err := checkBadgerDir(dir, o.ReadOnly, lock.stale, log)
	if err != nil {
		lock.release()
		return nil, err
	}
	db, err := openBadger(opts.WithBypassLockGuard(true))
	if err != nil {
		defer lock.release()
		defer watch.close()
		if o.ReadOnly && strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error()) {
			return nil, ErrNeedsWrite
		}
		return nil, explainOpenError(dir, err, watch)
	}
	return &BadgerStore{db: db, dir: dir, lock: lock, recovery: watch.finish(log), minFree: o.MinFree, free: free}, nil
}

func badgerOptions(dir string, o BadgerOptions, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithInMemory(o.InMemory).
		WithReadOnly(o.ReadOnly).
		WithSyncWrites(o.SyncWrites).
		WithMemTableSize(badgerMemTableSize).
		WithNumMemtables(badgerNumMemtables).
		WithBlockCacheSize(badgerBlockCacheSize).
		WithValueLogFileSize(badgerValueLogFileSize).
		WithNumCompactors(badgerNumCompactors).
		// Not WithLoggingLevel: it replaces the logger with Badger's own
		// (stderr); badgerLogger filters by level itself.
		WithLogger(badgerLogger{log.With("component", "badger")}).
		WithDetectConflicts(false) // only WriteBatch and read-only views: nothing to conflict
}

// openBadger is badger.Open with a panic on this goroutine turned into an
// error (the checks before it keep Badger's own goroutines from panicking).
func openBadger(opts badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("badger panicked while opening: %v", r)
		}
	}()
	return badger.Open(opts)
}

// Recovery reports what Badger's log replay dropped when the store was
// opened (zero when nothing was).
func (s *BadgerStore) Recovery() Recovery { return s.recovery }

// Apply implements Store with one WriteBatch.
func (s *BadgerStore) Apply(batch []Mutation) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrStoreClosed
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i := range batch {
		m := &batch[i]
		var err error
		if m.Delete {
			err = wb.Delete(m.Key)
		} else {
			e := badger.NewEntry(m.Key, m.Value)
			// The absolute form of WithTTL (which sets the same field from
			// time.Now): the expiry was fixed when the record was made.
			e.ExpiresAt = uint64(max(m.ExpiresAt, 0))
			err = wb.SetEntry(e)
		}
		if err != nil {
			return fmt.Errorf("authcache: badger batch: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("authcache: badger flush: %w", err)
	}
	return nil
}

// Get implements Store.
func (s *BadgerStore) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("authcache: badger get: %w", err)
	}
	return v, nil
}

// Scan implements Store with a prefix iterator. Values of this package's
// records are small and stay in the LSM tree, so no prefetch is needed.
func (s *BadgerStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrStoreClosed
	}
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			if err := item.Value(func(v []byte) error { return fn(k, v) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// RunGC implements GCStore: rewrite value-log files while one is at least
// half garbage. Badger answers ErrNoRewrite when nothing qualifies and
// ErrGCInMemoryMode in memory; neither is an error here.
func (s *BadgerStore) RunGC() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrStoreClosed
	}
	var err error
	for err == nil {
		err = s.db.RunValueLogGC(badgerGCDiscardRatio)
	}
	if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrGCInMemoryMode) || errors.Is(err, badger.ErrRejected) {
		return nil
	}
	return fmt.Errorf("authcache: badger value-log gc: %w", err)
}

// Close implements Store. It waits for running Apply/Get/Scan calls.
// Below BadgerOptions.MinFree it does not close Badger (which would flush
// the memtable into a new table) and returns an error wrapping ErrNoSpace:
// the process is about to exit, and the write-ahead log already holds
// every committed write, as after a kill -9.
func (s *BadgerStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	s.closed = true
	if s.minFree > 0 {
		if n, err := s.free(); err == nil && n < s.minFree {
			return fmt.Errorf("authcache: badger %q left for its write-ahead log to be replayed at the next open, not flushed (%d bytes free, reserve %d): %w",
				s.dir, n, s.minFree, ErrNoSpace)
		}
	}
	err := s.db.Close()
	s.lock.release()
	return err
}

// badgerLogger adapts slog to badger.Logger. Badger logs file names and
// sizes, never keys, so nothing personal reaches the log. Badger's info
// messages (every compaction, every table opened) go to debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) log(level slog.Level, format string, args []any) {
	if b.l.Enabled(context.Background(), level) {
		b.l.Log(context.Background(), level, strings.TrimSuffix(fmt.Sprintf(format, args...), "\n"))
	}
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.log(slog.LevelError, f, a) }
func (b badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a) }
func (b badgerLogger) Infof(f string, a ...any)    { b.log(slog.LevelDebug, f, a) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.log(slog.LevelDebug, f, a) }
