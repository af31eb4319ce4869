package authcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Damage to every kind of file in a Badger store, and what OpenBadger
// makes of it. Two images are built once: "closed" (the store was closed:
// the records are in a table file) and "crash" (a copy taken while the
// store was open, as a kill -9 leaves it: the records are in the
// write-ahead log). Each case copies an image, damages one file and opens
// it. Before the checks of badgercheck.go, the truncated table killed the
// test binary with a panic on one of Badger's goroutines, the damaged
// MANIFEST and the damaged table opened as empty or half-empty stores,
// and the damaged log dropped its records without a word.

const (
	damageRoutes = 15000 // ac/r/ records
	damageOutbox = 5000  // ob/ records
	damageTotal  = damageRoutes + damageOutbox
)

// outcome is what a damaged store must do at open.
type outcome int

const (
	// refused: a *DamageError naming the file, with an operator action.
	refused outcome = iota
	// intact: opens with every record.
	intact
	// counted: opens; the records after the damage are gone, and they are
	// counted in Recovery and logged at error level naming the file.
	counted
	// cut: opens; what was cut away is gone and cannot be told from a
	// shorter log (README: "what cannot be detected"). Must not panic.
	cut
)

type damageCase struct {
	image   string // "closed" or "crash"
	file    string // a name, or a suffix (".sst", ".mem", ".vlog") for the first such file
	damage  string // see damageFile
	want    outcome
	logWant string // a log message that must appear (any level), or ""
	// fix follows the error's action (when it says what to delete) and
	// expects every record back.
	fix bool
}

func TestDamagedStore(t *testing.T) {
	images := map[string]string{"closed": buildImage(t, false), "crash": buildImage(t, true)}
	cases := []damageCase{
		// Table files. Cutting one byte reads the footer's lengths from the
		// wrong place: Badger panicked on its own goroutine.
		{"closed", ".sst", "cut-1", refused, "", false},
		{"closed", ".sst", "cut-50%", refused, "", false},
		{"closed", ".sst", "empty", refused, "", false},
		{"closed", ".sst", "flip-50%", refused, "", false}, // opened, and iteration lost half the records
		{"closed", ".sst", "flip-2%", refused, "", false},
		{"closed", ".sst", "zero-30%", refused, "", false},
		{"closed", ".sst", "delete", refused, "", false},
		// The MANIFEST. Missing or cut, Badger deleted the table files.
		{"closed", "MANIFEST", "delete", refused, "", false},
		{"closed", "MANIFEST", "cut-50%", refused, "", false},
		{"closed", "MANIFEST", "cut-1", refused, "", false},
		{"closed", "MANIFEST", "flip-50%", refused, "", false},
		{"closed", "MANIFEST", "zero-30%", refused, "", false},
		{"closed", "MANIFEST", "empty", refused, "", false},
		{"crash", "MANIFEST", "delete", intact, "", false}, // lists no table yet: Badger writes a new one
		// The key registry: "Encryption key mismatch" said Badger.
		{"closed", "KEYREGISTRY", "delete", intact, "", false},
		{"closed", "KEYREGISTRY", "cut-50%", refused, "", true},
		{"closed", "KEYREGISTRY", "flip-50%", refused, "", true},
		{"closed", "KEYREGISTRY", "zero-30%", refused, "", true},
		{"closed", "KEYREGISTRY", "empty", refused, "", true},
		// Value-log GC statistics: Badger rebuilds them.
		{"closed", "DISCARD", "delete", intact, "", false},
		{"closed", "DISCARD", "cut-50%", intact, "", false},
		{"closed", "DISCARD", "flip-50%", intact, "", false},
		{"closed", "DISCARD", "zero-30%", intact, "", false},
		{"closed", "DISCARD", "empty", intact, "", false},
		// The value log holds no spsmg data (every value stays in the
		// LSM tree), but Badger reads its header: "Invalid datakey id",
		// and for an empty file "Create a new file".
		{"crash", ".vlog", "flip-0", refused, "", true},
		{"crash", ".vlog", "empty", intact, "removed an empty log file", false},
		{"crash", ".vlog", "delete", intact, "", false},
		{"crash", ".vlog", "cut-50%", intact, "", false},
		{"closed", ".vlog", "flip-0", refused, "", true},
		{"closed", ".vlog", "zero-30%", intact, "", false},
		// The write-ahead log. Damage in the middle: everything after it
		// is dropped by Badger's replay; spsmg counts and logs it.
		{"crash", ".mem", "flip-50%", counted, "", false},
		{"crash", ".mem", "flip-2%", counted, "", false},
		{"crash", ".mem", "zero-50%", counted, "", false},
		{"crash", ".mem", "flip-0", refused, "", false}, // its header: every entry unreadable
		{"crash", ".mem", "cut-50%", cut, "", false},
		{"crash", ".mem", "empty", cut, "removed an empty log file", false},
		{"crash", ".mem", "delete", cut, "write-ahead log is missing", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", c.image, strings.TrimPrefix(c.file, "."), c.damage), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			copySparse(t, images[c.image], dir)
			path := findFile(t, dir, c.file)
			damageFile(t, path, c.damage)

			logs := &logRecorder{}
			n, rec, err := countRecords(dir, logs.logger())
			switch c.want {
			case refused:
				var de *DamageError
				if !errors.As(err, &de) || !errors.Is(err, ErrStoreDamaged) {
					t.Fatalf("open: %v (%d records), want a DamageError", err, n)
				}
				named := de.Path == path || (c.damage == "delete" && strings.HasPrefix(de.Path, dir))
				if !named || !strings.Contains(err.Error(), de.Path) {
					t.Errorf("error names %q, want %s:\n%v", de.Path, path, err)
				}
				if !strings.Contains(de.Action, "spsmg store restore") && !strings.Contains(de.Action, "delete "+path) {
					t.Errorf("no operator action (restore or delete):\n%v", err)
				}
				if c.fix {
					if err := os.Remove(path); err != nil {
						t.Fatal(err)
					}
					if n, _, err := countRecords(dir, quietLogger()); err != nil || n != damageTotal {
						t.Errorf("after following the action (delete %s): %d records, %v; want %d", path, n, err, damageTotal)
					}
				}
			case intact:
				if err != nil || n != damageTotal {
					t.Fatalf("open: %d records, %v; want all %d", n, err, damageTotal)
				}
				if rec.DroppedEntries != 0 || rec.DroppedBytes != 0 {
					t.Errorf("recovery %+v, want nothing dropped", rec)
				}
			case counted:
				if err != nil {
					t.Fatal(err)
				}
				lost := damageTotal - n
				if lost == 0 || rec.DroppedEntries == 0 || len(rec.Logs) != 1 {
					t.Fatalf("lost %d records, recovery %+v: want the loss counted", lost, rec)
				}
				// The damaged entries themselves do not decode and are not
				// counted; everything after them is.
				if d := lost - int(rec.DroppedEntries); d < 0 || d > 4096/60+2 {
					t.Errorf("lost %d records, counted %d dropped", lost, rec.DroppedEntries)
				}
				dl := rec.Logs[0]
				sum := 0
				for p, k := range dl.ByPrefix {
					if p != "ac/r/" && p != "ob/" {
						t.Errorf("prefix %q", p)
					}
					sum += k
				}
				if dl.Path != path || sum != dl.Entries || dl.DroppedBytes <= 0 || !dl.Exact {
					t.Errorf("dropped log %+v", dl)
				}
				if r := logs.find(slog.LevelError, "DROPPED"); r == nil || r.attrs["file"] != path ||
					r.attrs["dropped_entries"] != fmt.Sprint(rec.DroppedEntries) {
					t.Errorf("error log: %+v\nall: %v", r, logs.all())
				}
			case cut:
				if err != nil {
					t.Fatal(err)
				}
				if n > damageTotal {
					t.Errorf("%d records", n)
				}
			}
			if r := logs.find(slog.LevelWarn, "stopped elsewhere"); r != nil {
				t.Errorf("Badger's replay stopped elsewhere than predicted: %v", r.attrs)
			}
			if c.logWant != "" && logs.find(slog.LevelDebug, c.logWant) == nil {
				t.Errorf("no log %q in %v", c.logWant, logs.all())
			}
		})
	}
}

// TestUndamagedCrashImage: a store left by a kill reopens with every
// record and nothing reported dropped.
func TestUndamagedCrashImage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	copySparse(t, buildImage(t, true), dir)
	logs := &logRecorder{}
	n, rec, err := countRecords(dir, logs.logger())
	if err != nil || n != damageTotal || rec.DroppedEntries != 0 || rec.DroppedBytes != 0 {
		t.Fatalf("%d records, %+v, %v", n, rec, err)
	}
	if r := logs.find(slog.LevelWarn, ""); r != nil {
		t.Errorf("warning on an undamaged store: %v", logs.all())
	}
	if logs.find(slog.LevelInfo, "did not close the store") == nil {
		t.Errorf("the unclean shutdown is not logged: %v", logs.all())
	}
}

// TestStoreLocked: one process, one open; the second gets ErrStoreLocked
// before anything in the directory is touched.
func TestStoreLocked(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, ro := range []bool{false, true} {
		if _, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger(), ReadOnly: ro}); !errors.Is(err, ErrStoreLocked) {
			t.Errorf("read-only %v: %v, want ErrStoreLocked", ro, err)
		}
	}
}

var images sync.Map // crash bool → directory, built once per test binary

// buildImage returns a store directory holding damageTotal records. The
// crash image is copied while the store is open, as a kill leaves it.
func buildImage(t *testing.T, crash bool) string {
	if d, ok := images.Load(crash); ok {
		return d.(string)
	}
	base, err := os.MkdirTemp("", "authcache-image-")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "live")
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Mutation
	for i := range damageTotal {
		k := fmt.Sprintf("ac/r/%08d", i)
		if i >= damageRoutes {
			k = fmt.Sprintf("ob/sp1/%08d", i)
		}
		batch = append(batch, Mutation{Key: []byte(k), Value: fmt.Appendf(nil, "\x01value of record %d, padded out", i)})
		if len(batch) == 1000 {
			if err := st.Apply(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	img := dir
	if crash {
		img = filepath.Join(base, "crash")
		copySparse(t, dir, img)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	d, _ := images.LoadOrStore(crash, img)
	return d.(string)
}

func TestMain(m *testing.M) {
	code := m.Run()
	images.Range(func(_, d any) bool {
		os.RemoveAll(filepath.Dir(d.(string)))
		return true
	})
	os.Exit(code)
}

// copySparse copies a directory's files, writing each only up to its last
// non-zero byte and extending it to its size with a hole: Badger's logs
// are mostly preallocated zeros (a .vlog of 128 MB).
func copySparse(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		end := len(b)
		for end > 0 && b[end-1] == 0 {
			end--
		}
		f, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(b[:end]); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(int64(len(b))); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func findFile(t *testing.T, dir, name string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == name || (strings.HasPrefix(name, ".") && strings.HasSuffix(e.Name(), name)) {
			return filepath.Join(dir, e.Name())
		}
	}
	t.Fatalf("no %s in %s", name, dir)
	return ""
}

// damageFile damages path. Positions are fractions of the file's data
// (up to its last non-zero byte), so that damage to a preallocated log
// lands among its entries: cut-N% and cut-1 (one byte off the end), flip-N%
// (8 bytes inverted), zero-N% (4 KB zeroed), empty, delete.
func damageFile(t *testing.T, path, how string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	at := func(pct string) int {
		var p int
		fmt.Sscanf(strings.TrimSuffix(pct, "%"), "%d", &p)
		return end * p / 100
	}
	kind, arg, _ := strings.Cut(how, "-")
	switch kind {
	case "delete":
		err = os.Remove(path)
	case "empty":
		err = os.Truncate(path, 0)
	case "cut":
		if arg == "1" {
			err = os.Truncate(path, int64(end-1))
		} else {
			err = os.Truncate(path, int64(at(arg)))
		}
	case "flip":
		o := at(arg)
		for i := o; i < min(o+8, len(b)); i++ {
			b[i] ^= 0xff
		}
		err = os.WriteFile(path, b, 0o600)
	case "zero":
		o := at(arg)
		clear(b[o:min(o+4096, len(b))])
		err = os.WriteFile(path, b, 0o600)
	default:
		t.Fatalf("damage %q", how)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// countRecords opens dir, counts every record and closes it. A panic on
// this goroutine is reported as an error (one on Badger's own goroutines
// ends the test binary: the bug this guards against).
func countRecords(dir string, log *slog.Logger) (n int, rec Recovery, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	st, err := OpenBadger(dir, BadgerOptions{Logger: log})
	if err != nil {
		return 0, Recovery{}, err
	}
	defer st.Close()
	err = st.Scan(nil, func(k, v []byte) error { n++; return nil })
	return n, st.Recovery(), err
}

// logRecorder keeps log records with their attributes as text.
type logRecorder struct {
	mu   sync.Mutex
	recs []logRec
}

type logRec struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r *logRecorder) logger() *slog.Logger { return slog.New(r) }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	a := map[string]string{}
	rec.Attrs(func(x slog.Attr) bool { a[x.Key] = x.Value.String(); return true })
	r.mu.Lock()
	r.recs = append(r.recs, logRec{rec.Level, rec.Message, a})
	r.mu.Unlock()
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// find returns the first record at level or above whose message contains
// substr.
func (r *logRecorder) find(level slog.Level, substr string) *logRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.recs {
		if r.recs[i].level >= level && strings.Contains(r.recs[i].msg, substr) {
			return &r.recs[i]
		}
	}
	return nil
}

func (r *logRecorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b bytes.Buffer
	for _, x := range slices.Clone(r.recs) {
		if x.level >= slog.LevelInfo {
			fmt.Fprintf(&b, "\n  %s %s %v", x.level, x.msg, x.attrs)
		}
	}
	return b.String()
}
