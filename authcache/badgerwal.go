package authcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// What Badger drops when it replays its logs at open.
//
// Badger writes every commit first to a write-ahead log (the memtable's
// .mem file; values of 1 MB and more also to the value log, .vlog), and at
// open replays each .mem file and the newest .vlog entry by entry. At the
// first entry that does not decode — a bad checksum, a cut — it stops,
// truncates the file there and goes on: every entry after that point is
// gone, and Badger logs nothing. That is right for the one write a crash
// interrupted (never acknowledged), and wrong for damage in the middle of
// the log: on a power loss with store.sync_writes false, pages of the log
// reach the disk in any order, and a page that did not leaves a hole of
// zeros in front of acknowledged writes.
//
// Badger lets one see where it truncated (the file's size after the open),
// but not reliably: a replayed log is flushed to a table and deleted (cut
// to 0 bytes first) by a goroutine of Badger's that may finish before Open
// returns. So spsmg reads each log before Badger opens it, finds where the
// replay will stop by Badger's rules (memtable.go logFile.iterate: entries
// of one transaction are kept only with their end marker), and reports
// the entries past that point: logged at error level with the file, the
// bytes and the entries dropped by key prefix, and counted (Recovery,
// spsmg_store_replay_dropped_total). Where the file is still there after
// the open, its size is compared with that prediction. The one benign
// case, a transaction whose end marker was never written (a crash during
// a write, never acknowledged), is logged at info.
//
// Log entry layout (badger v4 structs.go, memtable.go): meta (1 byte),
// user meta (1), key length, value length and expiry as uvarints, the key
// (the application's key and an 8-byte version: MaxUint64 minus the commit
// timestamp, big-endian), the value, and a big-endian CRC-32C of all of
// it. A transaction's entries carry meta bit 0x40 and end with an entry
// with bit 0x80, key "!badger!txn" and the commit timestamp in decimal as
// value. Each log starts with a 20-byte header: an 8-byte encryption key
// id (0: none) and a 12-byte IV.
const (
	logHeaderSize = 20
	walMetaTxn    = 1 << 6
	walMetaFinTxn = 1 << 7
	walVersionLen = 8
	walMaxKeyLen  = 1 << 16
	// walScanBudget caps the bytes checksummed while counting the entries
	// of a dropped region, whose garbage may hold plausible lengths at
	// every offset. Past it the count is a lower bound.
	walScanBudget = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Recovery is what Badger's log replay dropped when the store was opened.
type Recovery struct {
	DroppedEntries uint64 // well-formed entries past the point where a replay stopped
	DroppedBytes   uint64
	Logs           []DroppedLog
}

// DroppedLog is one log file the replay cut short.
type DroppedLog struct {
	Path          string
	ReplayedBytes int64 // where Badger truncated it
	DroppedBytes  int64 // data that was past that point
	// Entries is the number of well-formed entries found in the dropped
	// bytes (transaction end markers not counted), by key prefix ("ac/r/",
	// "ob/"): what was lost. A lower bound when Exact is false.
	Entries  int
	ByPrefix map[string]int
	Exact    bool
}

// Prefixes formats ByPrefix as "ac/r/=8000 ob/=12", largest first.
func (d DroppedLog) Prefixes() string {
	type kv struct {
		p string
		n int
	}
	var s []kv
	for p, n := range d.ByPrefix {
		s = append(s, kv{p, n})
	}
	slices.SortFunc(s, func(a, b kv) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.p, b.p)
	})
	var b strings.Builder
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", x.p, x.n)
	}
	return b.String()
}

// walWatch holds the logs as they were before Badger opened them.
type walWatch struct {
	logs []*watchedLog
}

type watchedLog struct {
	path string
	f    *os.File
	end  int64  // just past the last non-zero byte
	data []byte // the file up to end, and up to 4 bytes more: a checksum may end in zeros
	// stop is where Badger's replay will stop (end or less).
	stop int64
}

// errNeedsWrite: a read-only open cannot go on (a log must be removed or
// truncated); the caller may open read-write instead.
var errNeedsWrite = errors.New("authcache: the store needs a read-write open (its logs were not closed cleanly)")

// watchLogs removes empty logs, checks every log's header, and keeps the
// bytes of the logs Badger will replay: every .mem file and the newest
// .vlog. spsmg never encrypts, so a non-zero key id in a header is damage
// (Badger's "Invalid datakey id").
func watchLogs(dir string, files *badgerFiles, readOnly bool, log *slog.Logger) (w *walWatch, err error) {
	w = &walWatch{}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	replayed := slices.Clone(files.mems)
	if n := len(files.vlogs); n > 0 {
		replayed = append(replayed, files.vlogs[n-1])
	}
	for _, path := range append(slices.Clone(files.mems), files.vlogs...) {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("authcache: %w", err)
		}
		if st.Size() == 0 {
			if readOnly {
				return nil, errNeedsWrite
			}
			// Badger would refuse the directory ("Create a new file").
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("authcache: remove empty log: %w", err)
			}
			log.Warn("store: removed an empty log file (it holds no entries: left by a crash as it was created, or cut to nothing by the filesystem)",
				"file", path)
			continue
		}
		l, err := readLog(path, st.Size(), slices.Contains(replayed, path))
		if err != nil {
			return nil, err
		}
		if l.f != nil {
			w.logs = append(w.logs, l)
		}
		if len(l.data) >= 8 && binary.BigEndian.Uint64(l.data) != 0 {
			action := restoreAction(dir)
			if strings.HasSuffix(path, ".vlog") && l.end <= logHeaderSize {
				action = fmt.Sprintf("it holds no entries (spsmg keeps every value in the LSM tree): delete %s and start again", path)
			}
			return nil, damaged(path, "the log's header is damaged (its key id is not 0, and spsmg never encrypts; Badger would say \"Invalid datakey id\")", action)
		}
	}
	return w, nil
}

// readLog reads a log up to its last non-zero byte (only the header when
// Badger will not replay it) and predicts where the replay stops.
func readLog(path string, size int64, replayed bool) (*watchedLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("authcache: %w", err)
	}
	end := min(size, logHeaderSize)
	if replayed {
		if end, err = dataEnd(f, size); err != nil {
			f.Close()
			return nil, fmt.Errorf("authcache: read %s: %w", path, err)
		}
	}
	l := &watchedLog{path: path, end: end, data: make([]byte, min(end+4, size))}
	if _, err := f.ReadAt(l.data, 0); err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("authcache: read %s: %w", path, err)
	}
	if !replayed {
		f.Close()
		return l, nil
	}
	l.f, l.stop = f, replayStop(l.data)
	return l, nil
}

// dataEnd returns the offset just past the last non-zero byte of f.
// Badger sizes a new log with ftruncate and fills it through mmap, so the
// tail is usually a hole, skipped without reading where the filesystem
// reports holes (SEEK_DATA / SEEK_HOLE).
func dataEnd(f *os.File, size int64) (int64, error) {
	end := lastDataSegmentEnd(f, size)
	buf := make([]byte, min(end, 1<<20))
	for end > 0 {
		n := min(end, int64(len(buf)))
		off := end - n
		if _, err := f.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				return off + i + 1, nil
			}
		}
		end = off
	}
	return 0, nil
}

// SEEK_DATA and SEEK_HOLE as Linux numbers them (other systems differ).
const (
	seekData = 3
	seekHole = 4
)

// lastDataSegmentEnd is where f's last data segment ends, or size when
// the filesystem does not report holes.
func lastDataSegmentEnd(f *os.File, size int64) int64 {
	if runtime.GOOS != "linux" {
		return size
	}
	var last, off int64
	for off < size {
		d, err := f.Seek(off, seekData)
		if errors.Is(err, syscall.ENXIO) {
			break // only a hole from off on
		}
		if err != nil {
			return size
		}
		h, err := f.Seek(d, seekHole)
		if err != nil || h <= d {
			return size
		}
		last, off = h, h
	}
	return min(last, size)
}

// finish reports what the replay dropped from each log, and releases the
// descriptors. Call it once badger.Open has returned.
func (w *walWatch) finish(log *slog.Logger) Recovery {
	var r Recovery
	for _, l := range w.logs {
		stop := l.stop
		if st, err := l.f.Stat(); err == nil {
			// Still there (not yet flushed and deleted): Badger's own
			// truncation point. Badger deletes a log by cutting it to 0
			// bytes and then unlinking it; a replay never cuts into the
			// header.
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 0 && st.Size() >= logHeaderSize && st.Size() != stop {
				log.Warn("store: the log replay stopped elsewhere than spsmg expected", "file", l.path,
					"expected", stop, "actual", st.Size())
				stop = st.Size()
			}
		}
		if stop >= l.end {
			continue
		}
		d := analyseDropped(l.data[stop:])
		if d.unfinished {
			log.Info("store: Badger discarded a write the process did not finish (never acknowledged)",
				"file", l.path, "bytes", l.end-stop, "entries", d.entries)
			continue
		}
		dl := DroppedLog{Path: l.path, ReplayedBytes: stop, DroppedBytes: l.end - stop,
			Entries: d.entries, ByPrefix: d.byPrefix, Exact: d.exact}
		r.Logs = append(r.Logs, dl)
		r.DroppedEntries += uint64(dl.Entries)
		r.DroppedBytes += uint64(dl.DroppedBytes)
		log.Error("store: a write-ahead log is damaged: Badger replayed it up to the damage and DROPPED everything after it. "+
			"After a power loss with store.sync_writes false this is expected; otherwise suspect the disk. The dropped writes are lost "+
			"unless a backup holds them (README: \"Backup, restore and recovery\")",
			"file", l.path, "replayed_bytes", dl.ReplayedBytes, "dropped_bytes", dl.DroppedBytes,
			"dropped_entries", dl.Entries, "dropped_by_prefix", dl.Prefixes(), "count_complete", dl.Exact)
	}
	w.close()
	return r
}

// stopOf returns where the replay of path is expected to stop, if path is
// a watched log whose replay drops data.
func (w *walWatch) stopOf(path string) (int64, bool) {
	for _, l := range w.logs {
		if l.path == path && l.stop < l.end {
			return l.stop, true
		}
	}
	return 0, false
}

func (w *walWatch) close() {
	if w == nil {
		return
	}
	for _, l := range w.logs {
		_ = l.f.Close()
		l.data = nil
	}
	w.logs = nil
}

// walEntry decodes the log entry at the start of b; ok is false where
// Badger's replay would stop (a cut, a bad checksum, a key of 0 or more
// than 65536 bytes).
func walEntry(b []byte) (n int, meta byte, key, value []byte, ok bool) {
	if len(b) < 2+3+4 {
		return 0, 0, nil, nil, false
	}
	p := 2
	klen, k := binary.Uvarint(b[p:])
	if k <= 0 {
		return 0, 0, nil, nil, false
	}
	p += k
	vlen, k := binary.Uvarint(b[p:])
	if k <= 0 {
		return 0, 0, nil, nil, false
	}
	p += k
	if _, k = binary.Uvarint(b[p:]); k <= 0 {
		return 0, 0, nil, nil, false
	}
	p += k
	if klen == 0 || klen > walMaxKeyLen || vlen > uint64(len(b)) {
		return 0, 0, nil, nil, false
	}
	end := p + int(klen) + int(vlen)
	if end+4 > len(b) || crc32.Checksum(b[:end], castagnoli) != binary.BigEndian.Uint32(b[end:]) {
		return 0, 0, nil, nil, false
	}
	return end + 4, b[0], b[p : p+int(klen)], b[p+int(klen) : end], true
}

// commitTs is the commit timestamp in a key's version suffix.
func commitTs(key []byte) uint64 {
	if len(key) <= walVersionLen {
		return 0
	}
	return math.MaxUint64 - binary.BigEndian.Uint64(key[len(key)-walVersionLen:])
}

// replayStop is where Badger's replay of log b stops: past the last lone
// entry or complete transaction before the first entry that does not
// decode, or a transaction entry of another commit before the end marker
// of the one open, or a lone entry inside a transaction.
func replayStop(b []byte) int64 {
	off, valid := logHeaderSize, logHeaderSize
	var open uint64
	for off < len(b) {
		n, meta, key, value, ok := walEntry(b[off:])
		if !ok {
			break
		}
		off += n
		switch {
		case meta&walMetaTxn != 0:
			ts := commitTs(key)
			if open == 0 {
				open = ts
			}
			if open != ts {
				return int64(valid)
			}
		case meta&walMetaFinTxn != 0:
			ts, err := strconv.ParseUint(string(value), 10, 64)
			if err != nil || ts != open {
				return int64(valid)
			}
			open, valid = 0, off
		default:
			if open != 0 {
				return int64(valid)
			}
			valid = off
		}
	}
	// A log shorter than its header replays as empty: Badger extends it
	// to the header.
	return int64(valid)
}

type droppedRegion struct {
	unfinished bool // only a transaction without its end marker
	entries    int
	byPrefix   map[string]int
	exact      bool
}

// analyseDropped counts the entries of b, the bytes a replay dropped. If b
// is one run of well-formed entries of one transaction with no end marker,
// it is the write a crash interrupted. Otherwise b starts with damage:
// entries are found by trying every offset (a false match needs a CRC-32C
// collision).
func analyseDropped(b []byte) droppedRegion {
	p, txnOnly, ts := 0, true, uint64(0)
	for p < len(b) && !allZero(b[p:]) {
		n, meta, key, _, ok := walEntry(b[p:])
		if !ok || meta&walMetaTxn == 0 || meta&walMetaFinTxn != 0 || (p > 0 && commitTs(key) != ts) {
			txnOnly = false
			break
		}
		ts = commitTs(key)
		p += n
	}
	r := droppedRegion{byPrefix: map[string]int{}, exact: true, unfinished: txnOnly && p > 0}
	budget := walScanBudget
	for p = 0; p < len(b); {
		n, meta, key, _, ok := walEntry(b[p:])
		if !ok {
			if n := candidateLen(b[p:]); n > 0 {
				budget -= n
			}
			if budget < 0 {
				r.exact = false
				break
			}
			p++
			continue
		}
		p += n
		if meta&walMetaFinTxn != 0 || len(key) <= walVersionLen || bytes.HasPrefix(key, []byte("!badger!")) {
			continue
		}
		r.entries++
		r.byPrefix[keyPrefix(key[:len(key)-walVersionLen])]++
	}
	return r
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// candidateLen is how many bytes walEntry checksummed at b (0 when it
// gave up before the checksum).
func candidateLen(b []byte) int {
	p := 2
	if len(b) < p {
		return 0
	}
	var lens [3]uint64
	for i := range lens {
		v, k := binary.Uvarint(b[p:])
		if k <= 0 {
			return 0
		}
		lens[i], p = v, p+k
	}
	if lens[0] == 0 || lens[0] > walMaxKeyLen || lens[1] > uint64(len(b)) {
		return 0
	}
	if end := p + int(lens[0]) + int(lens[1]); end+4 <= len(b) {
		return end
	}
	return 0
}

// keyPrefix names a key's kind without the identifying part: "ac/s/" for
// authcache's records, "ob/" for the outbox, "other" for the rest.
func keyPrefix(k []byte) string {
	if bytes.HasPrefix(k, []byte(KeyPrefix)) && len(k) >= len(KeyPrefix)+2 && k[len(KeyPrefix)+1] == '/' {
		return string(k[:len(KeyPrefix)+2])
	}
	if i := bytes.IndexByte(k, '/'); i > 0 && i < 8 {
		return string(k[:i+1])
	}
	return "other"
}
