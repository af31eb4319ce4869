package authcache

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/table"
)

// Checks made before Badger opens a directory, and the meaning of Badger's
// own errors at open.
//
// Badger v4 trusts its files. Found by damaging each kind of file in a
// store (badgerdamage_test.go holds the whole table):
//
//   - A truncated table file (.sst) makes Badger panic while it reads the
//     table's footer, on a goroutine of its own that no caller can recover
//     from: the process dies with "slice bounds out of range".
//   - A table whose data blocks are damaged opens without complaint, and
//     iteration stops silently at the first bad block: records vanish.
//   - A MANIFEST that is missing, or cut short, no longer lists the table
//     files, and Badger deletes every table file it does not list: the whole
//     store is emptied without a word.
//   - A damaged write-ahead log (.mem) is replayed up to the first bad entry
//     and truncated there, silently (see badgerwal.go).
//   - A damaged KEYREGISTRY reads as "Encryption key mismatch", and an empty
//     log file as "Create a new file".
//
// So before Badger opens the directory, spsmg checks what Badger would trip
// over — every table the MANIFEST lists is opened here and its checksums
// verified, under recover — and refuses to go on with a *DamageError that
// names the file, what is wrong and what the operator can do. The checks
// run under the directory lock (badgerlock.go), so no other process is
// writing meanwhile.

// ErrStoreDamaged: a file of the store is damaged; the *DamageError in the
// chain says which and what to do.
var ErrStoreDamaged = errors.New("authcache: store damaged")

// DamageError reports a damaged store file.
type DamageError struct {
	Path    string // the damaged file
	Problem string // what is wrong with it
	Action  string // what the operator can do
}

func (e *DamageError) Error() string {
	return "store damaged: " + e.Path + ": " + e.Problem + ". " + e.Action
}

func (e *DamageError) Unwrap() error { return ErrStoreDamaged }

// restoreAction is what to do when data is lost or cannot be read.
func restoreAction(dir string) string {
	return fmt.Sprintf("spsmg will not open it. `spsmg store verify --store %[1]s` shows what is readable; "+
		"restore the last backup with `spsmg store restore --store %[1]s --in BACKUP --force` "+
		"(it moves the damaged directory aside), or move %[1]s aside to start with an empty store "+
		"(README: \"Backup, restore and recovery\")", dir)
}

func damaged(path, problem, action string) *DamageError {
	return &DamageError{Path: path, Problem: problem, Action: action}
}

// badgerFiles is a store directory's listing, by the kinds Badger knows.
type badgerFiles struct {
	tables   map[uint64]string // .sst by id
	mems     []string          // write-ahead logs (.mem), by name order
	vlogs    []string          // value logs (.vlog), by name order
	manifest bool
	registry bool
}

func listBadgerDir(dir string) (*badgerFiles, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	f := &badgerFiles{tables: map[uint64]string{}}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		switch {
		case name == badgerManifest:
			f.manifest = true
		case name == badger.KeyRegistryFileName:
			f.registry = true
		case strings.HasSuffix(name, ".sst"):
			if id, ok := table.ParseFileID(name); ok {
				f.tables[id] = filepath.Join(dir, name)
			}
		case strings.HasSuffix(name, ".mem"):
			f.mems = append(f.mems, filepath.Join(dir, name))
		case strings.HasSuffix(name, ".vlog"):
			f.vlogs = append(f.vlogs, filepath.Join(dir, name))
		}
	}
	return f, nil
}

const badgerManifest = "MANIFEST"

// checkBadgerDir runs the checks before Badger opens dir, and starts
// watching the logs Badger will replay. An empty or missing directory
// passes. Zero-length log files are removed (unless readOnly): they hold
// nothing, and Badger refuses to open a directory that has one.
func checkBadgerDir(dir string, readOnly, unclean bool, log *slog.Logger) (*walWatch, error) {
	files, err := listBadgerDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return &walWatch{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("authcache: list %s: %w", dir, err)
	}
	if err := checkKeyRegistry(dir, files); err != nil {
		return nil, err
	}
	mf, err := checkManifest(dir, files, log)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, 0, len(mf.Tables))
	for id := range mf.Tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := checkTable(files.tables[id], id, mf.Tables[id]); err != nil {
			return nil, damaged(files.tables[id], "table file cannot be read: "+err.Error(), restoreAction(dir))
		}
	}
	if unclean && files.manifest && len(files.mems) == 0 {
		// Badger keeps a write-ahead log (.mem) while it runs, and
		// removes it only when it closes the store.
		log.Error("store: the write-ahead log is missing although the last process did not close the store: "+
			"writes since the last flush to a table file are lost (the .mem file was deleted)", "dir", dir)
	}
	return watchLogs(dir, files, readOnly, log)
}

// checkKeyRegistry reads KEYREGISTRY as Badger will. spsmg never sets an
// encryption key, so the file holds no key that any data needs; Badger
// writes a new one when it is missing.
func checkKeyRegistry(dir string, files *badgerFiles) error {
	if !files.registry {
		return nil
	}
	path := filepath.Join(dir, badger.KeyRegistryFileName)
	err := recovered(func() error {
		_, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: dir, ReadOnly: true})
		return err
	})
	if err != nil {
		return damaged(path, fmt.Sprintf("the key registry is damaged (Badger reads it as %q)", firstLine(err.Error())),
			fmt.Sprintf("spsmg does not encrypt its store, so this file holds no key the data needs: delete %s and start again (Badger writes a new one)", path))
	}
	return nil
}

// checkManifest reads the MANIFEST (the list of table files and their
// levels) and compares it with the directory. Badger deletes every table
// file the MANIFEST does not list: after a crash in the middle of a
// compaction these are leftovers, but when the MANIFEST itself is missing
// or cut short they are the data.
func checkManifest(dir string, files *badgerFiles, log *slog.Logger) (badger.Manifest, error) {
	path := filepath.Join(dir, badgerManifest)
	if !files.manifest {
		if len(files.tables) > 0 {
			return badger.Manifest{}, damaged(path, fmt.Sprintf("missing, while the directory holds %d table files (.sst): "+
				"Badger would start an empty store and delete them", len(files.tables)), restoreAction(dir))
		}
		return badger.Manifest{}, nil
	}
	fp, err := os.Open(path)
	if err != nil {
		return badger.Manifest{}, fmt.Errorf("authcache: %w", err)
	}
	defer fp.Close()
	st, err := fp.Stat()
	if err != nil {
		return badger.Manifest{}, fmt.Errorf("authcache: %w", err)
	}
	var (
		mf  badger.Manifest
		end int64
	)
	err = recovered(func() error {
		var err error
		mf, end, err = badger.ReplayManifestFile(fp, 0, badger.DefaultOptions(dir).WithLogger(badgerLogger{log}))
		return err
	})
	if err != nil {
		return badger.Manifest{}, damaged(path, "the list of table files is damaged ("+firstLine(err.Error())+")", restoreAction(dir))
	}
	var missing, orphans []string
	for id := range mf.Tables {
		if _, ok := files.tables[id]; !ok {
			missing = append(missing, table.IDToFilename(id))
		}
	}
	for id := range files.tables {
		if _, ok := mf.Tables[id]; !ok {
			orphans = append(orphans, table.IDToFilename(id))
		}
	}
	slices.Sort(missing)
	slices.Sort(orphans)
	torn := st.Size() - end
	switch {
	case len(missing) > 0:
		return mf, damaged(filepath.Join(dir, missing[0]), fmt.Sprintf("the MANIFEST lists %d table files that are missing (%s)",
			len(missing), strings.Join(missing, ", ")), restoreAction(dir))
	case torn > 0 && len(orphans) > 0:
		return mf, damaged(path, fmt.Sprintf("the MANIFEST ends in %d bytes that are not a complete change, and %d table files are not "+
			"listed in it (%s): Badger would delete them", torn, len(orphans), strings.Join(orphans, ", ")), restoreAction(dir))
	case torn > 0:
		log.Warn("store: the MANIFEST ends in a partial change, which Badger drops (a crash while it was written)",
			"file", path, "bytes", torn)
	}
	if len(orphans) > 0 {
		log.Warn("store: table files the MANIFEST does not list are leftovers of a compaction a crash interrupted; Badger deletes them",
			"dir", dir, "files", strings.Join(orphans, ","))
	}
	return mf, nil
}

// checkTable opens a table file as Badger will and verifies the checksum
// of its index and of every block, under recover: Badger reads a damaged
// footer into a panic, and reports a bad block by one.
func checkTable(path string, id uint64, tm badger.TableManifest) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("the file is empty")
	}
	if tm.KeyID != 0 {
		return fmt.Errorf("the MANIFEST says it is encrypted (key %d), and spsmg never encrypts", tm.KeyID)
	}
	var t *table.Table
	err = recovered(func() (err error) {
		t, err = table.OpenInMemoryTable(data, id, &table.Options{
			Compression: tm.Compression,
			BlockSize:   badger.DefaultOptions("").BlockSize,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("its index is damaged, or the file was cut (%d bytes; %s)", len(data), firstLine(err.Error()))
	}
	if err := recovered(t.VerifyChecksum); err != nil {
		var p *panicError
		if errors.As(err, &p) {
			// Badger's VerifyChecksum reports a bad block by
			// dereferencing the nil block it failed to read.
			return errors.New("a data block is damaged: it fails its checksum or does not decode")
		}
		return fmt.Errorf("a data block is damaged: it fails its checksum or does not decode (%s)", firstLine(err.Error()))
	}
	return nil
}

// recovered runs fn and turns a panic into a *panicError.
func recovered(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return fn()
}

// panicError is a panic of Badger's, caught: it reads damaged bytes as
// offsets and lengths until a slice bound fails.
type panicError struct{ v any }

func (p *panicError) Error() string {
	if s, ok := p.v.(string); ok && strings.Contains(s, "Recovering from initIndex crash") {
		return "Badger cannot read its footer" // the rest is Badger's debug dump
	}
	return fmt.Sprintf("Badger failed reading it: %v", p.v)
}

// firstLine keeps Badger's messages to one line (some carry debug dumps):
// the text before the first line break, and the first non-empty line
// after it when that text ends in a colon.
func firstLine(s string) string {
	head, rest, _ := strings.Cut(s, "\n")
	head = strings.TrimSpace(head)
	if head != "" && !strings.HasSuffix(head, ":") {
		return head
	}
	for _, l := range strings.Split(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return strings.TrimSpace(head + " " + l)
		}
	}
	return head
}

// explainOpenError turns an error of badger.Open into one that says what
// is wrong and what to do. The checks above catch most damage first;
// these are the messages left. Badger flattens its error chains into
// text, so they are recognised by their words.
func explainOpenError(dir string, err error, w *walWatch) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "while iterating wal: ") || strings.Contains(msg, "while iterating over: "):
		// A log entry that Badger cannot even skip (a length that does
		// not fit in 64 bits): it gives up instead of truncating.
		path := pathAfter(msg, "while iterating wal: ")
		if path == "" {
			path = pathAfter(msg, "while iterating over: ")
		}
		action := restoreAction(dir)
		if stop, ok := w.stopOf(path); ok {
			action = fmt.Sprintf("To keep the %d bytes before the damage and drop what follows (what Badger does with other damage): "+
				"`truncate -s %d %s`. Or: %s", stop, stop, path, action)
		}
		return damaged(path, "a write-ahead log is damaged so that Badger cannot replay it ("+firstLine(msg)+")", action)
	case strings.Contains(msg, "Cannot acquire directory lock"):
		return fmt.Errorf("%w: %s is locked (a running spsmg serve, or a store command): stop it first", ErrStoreLocked, dir)
	case strings.Contains(msg, "Create a new file"):
		// An empty log file (checkBadgerDir removes them unless read-only).
		return damaged(dir, "a log file is empty (Badger says \"Create a new file\")",
			"an empty .mem or .vlog file holds nothing: open the store read-write once (spsmg serve, or spsmg store verify) and spsmg removes it")
	case strings.Contains(msg, "Invalid datakey id") || strings.Contains(msg, "While opening vlog file"):
		path := dir
		if fid, ok := vlogFidIn(msg); ok {
			path = filepath.Join(dir, fmt.Sprintf("%06d.vlog", fid))
		}
		return damaged(path, "the value-log file's header is damaged (Badger: "+firstLine(msg)+")",
			"spsmg keeps every value in the LSM tree, never in the value log; a value-log file of 20 bytes or less holds nothing and can be deleted. Otherwise: "+restoreAction(dir))
	case strings.Contains(msg, "Encryption key mismatch") || strings.Contains(msg, "key registry") || strings.Contains(msg, "sanity text"):
		path := filepath.Join(dir, badger.KeyRegistryFileName)
		return damaged(path, "the key registry is damaged (Badger: "+firstLine(msg)+")",
			fmt.Sprintf("spsmg does not encrypt its store, so this file holds no key the data needs: delete %s and start again", path))
	}
	return fmt.Errorf("authcache: open badger %q: %s. If the store is damaged: %s", dir, firstLine(msg), restoreAction(dir))
}

// pathAfter returns the file name that follows marker in a Badger message.
func pathAfter(msg, marker string) string {
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	rest := msg[i+len(marker):]
	if j := strings.IndexAny(rest, " \n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// vlogFidIn finds "vlog file N" in a Badger message.
func vlogFidIn(msg string) (uint32, bool) {
	const p = "While opening vlog file "
	i := strings.Index(msg, p)
	if i < 0 {
		return 0, false
	}
	rest := msg[i+len(p):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseUint(rest[:j], 10, 32)
	return uint32(n), err == nil
}
