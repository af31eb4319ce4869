package authcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// storedItem is one live key of a Badger store as a backup must keep it.
type storedItem struct {
	value     string
	expiresAt uint64
}

func dumpStore(t *testing.T, st *BadgerStore) map[string]storedItem {
	t.Helper()
	out := map[string]storedItem{}
	err := st.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key())] = storedItem{string(v), it.Item().ExpiresAt()}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// backupOf writes a backup of the store in dir (opened read-only).
func backupOf(t *testing.T, dir string) []byte {
	t.Helper()
	st, err := OpenBadger(dir, BadgerOptions{ReadOnly: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b bytes.Buffer
	n, err := st.Backup(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("Backup: %d bytes written, %d reported, %v", b.Len(), n, err)
	}
	return b.Bytes()
}

// TestBackupRestoreRoundTrip: every record (subscriptions, LinkIDs and
// their uses, pending requests, routes, outbox records) comes back with
// its value and expiry, and an engine on the restored store decides as
// on the original.
func TestBackupRestoreRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	e := openBadgerEngine(t, src)
	s := recordState(t, e)
	for i := range 50 {
		if err := e.Enqueue(Mutation{Key: fmt.Appendf(nil, "ob/sp1/%08d", i), Value: []byte("\x07frame")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := OpenBadger(src, BadgerOptions{ReadOnly: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	want := dumpStore(t, st)
	st.Close()
	kinds := map[byte]int{}
	for k := range want {
		if strings.HasPrefix(k, KeyPrefix) {
			kinds[k[len(KeyPrefix)]]++
		} else {
			kinds['o']++
		}
	}
	for _, k := range []byte{kindSub, kindLink, kindUses, kindPending, kindRoute, 'o'} {
		if kinds[k] == 0 {
			t.Fatalf("the source store has no %q record: %v", k, kinds)
		}
	}

	b := backupOf(t, src)
	dst := filepath.Join(t.TempDir(), "restored")
	if err := RestoreBadger(dst, bytes.NewReader(b), int64(len(b)), BadgerOptions{Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	st, err = OpenBadger(dst, BadgerOptions{ReadOnly: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	got := dumpStore(t, st)
	st.Close()
	if len(got) != len(want) {
		t.Errorf("restored %d keys, backed up %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q: restored %+v, want %+v", k, got[k], v)
		}
	}

	e = openBadgerEngine(t, dst)
	defer e.Close()
	checkState(t, e, s)
	if v, err := e.Store().Get([]byte("ob/sp1/00000049")); err != nil || string(v) != "\x07frame" {
		t.Errorf("outbox record: %q, %v", v, err)
	}
}

// TestOpenBackupRefusesDamage: a cut, damaged or foreign file is refused
// before anything is loaded, saying what is wrong.
func TestOpenBackupRefusesDamage(t *testing.T) {
	src := t.TempDir()
	st, err := OpenBadger(src, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Mutation
	for i := range 1000 {
		batch = append(batch, Mutation{Key: fmt.Appendf(nil, "ac/r/%d", i), Value: []byte("v")})
	}
	if err := st.Apply(batch); err != nil {
		t.Fatal(err)
	}
	st.Close()
	good := backupOf(t, src)
	if _, err := OpenBackup(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("intact backup: %v", err)
	}
	flipped := bytes.Clone(good)
	flipped[len(backupMagic)+3] ^= 1
	for _, c := range []struct {
		name, says string
		b          []byte
	}{
		{"empty", "shorter than an empty backup", nil},
		{"cut by one byte", "end marker", good[:len(good)-1]},
		{"cut in half", "end marker", good[:len(good)/2]},
		{"appended to", "end marker", append(bytes.Clone(good), '\n')},
		{"a byte flipped", "SHA-256 does not match", flipped},
		{"not a backup", "does not start with", append([]byte("PK\x03\x04xxxx"), good[8:]...)},
	} {
		_, err := OpenBackup(bytes.NewReader(c.b), int64(len(c.b)))
		if !errors.Is(err, ErrBadBackup) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want ErrBadBackup saying %q", c.name, err, c.says)
		}
		dst := filepath.Join(t.TempDir(), "dst")
		if err := RestoreBadger(dst, bytes.NewReader(c.b), int64(len(c.b)), BadgerOptions{Logger: quietLogger()}); !errors.Is(err, ErrBadBackup) {
			t.Errorf("%s: restore: %v", c.name, err)
		}
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a refused restore created %s", c.name, dst)
		}
	}
}

// TestRestoreIntoNonEmpty: restore never writes over a store.
func TestRestoreIntoNonEmpty(t *testing.T) {
	src := t.TempDir()
	st, err := OpenBadger(src, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	b := backupOf(t, src)
	dst := t.TempDir()
	if err := os.WriteFile(filepath.Join(dst, "MANIFEST"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RestoreBadger(dst, bytes.NewReader(b), int64(len(b)), BadgerOptions{Logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "MANIFEST")); string(got) != "x" {
		t.Errorf("the existing store was touched")
	}
}

// TestRestoreFailureLeavesNothing: a stream that passes the checksum but
// does not load leaves no directory behind.
func TestRestoreFailureLeavesNothing(t *testing.T) {
	b := wrapBackup([]byte("\x05\x00\x00\x00\x00\x00\x00\x00garbage"))
	dir := filepath.Join(t.TempDir(), "store")
	err := RestoreBadger(dir, bytes.NewReader(b), int64(len(b)), BadgerOptions{Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "badger load") {
		t.Fatalf("restore of a stream that does not load: %v", err)
	}
	for _, d := range []string{dir, dir + ".restoring"} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", d)
		}
	}
}

// wrapBackup puts a stream in the backup envelope.
func wrapBackup(body []byte) []byte {
	b := append([]byte(backupMagic), body...)
	b = append(b, backupEndMark...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(body)))
	h := sha256.Sum256(body)
	return append(b, h[:]...)
}

func FuzzOpenBackup(f *testing.F) {
	f.Add(wrapBackup(nil))
	f.Add(wrapBackup([]byte("body")))
	f.Add([]byte(backupMagic + backupEndMark))
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := OpenBackup(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("error %v does not wrap ErrBadBackup", err)
			}
			return
		}
		if body.Size() != int64(len(b)-len(backupMagic)-backupTrailer) {
			t.Fatalf("body of %d bytes in a file of %d", body.Size(), len(b))
		}
	})
}

// TestCheckRecord: every record the engine writes passes; damage to each
// kind is named.
func TestCheckRecord(t *testing.T) {
	dir := t.TempDir()
	e := openBadgerEngine(t, dir)
	recordState(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := OpenBadger(dir, BadgerOptions{ReadOnly: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kinds := map[string]int{}
	err = st.Scan([]byte(KeyPrefix), func(k, v []byte) error {
		kind, err := CheckRecord(k, v)
		if err != nil {
			t.Errorf("%q: %v", k, err)
		}
		kinds[kind]++
		// Every value cut short fails, naming the record kind.
		if len(v) > 1 {
			if _, err := CheckRecord(k, v[:len(v)/2]); !errors.Is(err, ErrCorruptRecord) {
				t.Errorf("%q cut to %d bytes: %v", k, len(v)/2, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"subscription", "cancelled_subscription", "mo_linkid", "web_code", "notice_linkid", "linkid_uses", "pending_subscription", "route"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among %v", k, kinds)
		}
	}
	for _, c := range []struct{ key, value string }{
		{"ob/x", "\x01"},
		{"ac/z/1", "\x01"},
		{"ac/s/\x00\x00\x00", string((&subRecord{State: SubActive}).encode())},
		{"ac/r/", string(appendRoute(nil, "sp", nil, 1, 2))},
		{"ac/r/1", string(appendRoute(nil, "", nil, 1, 2))},
		{"ac/s/" + "\x0b13800000001\x02sp\x04NEWS", string((&subRecord{State: 9}).encode())},
	} {
		if _, err := CheckRecord([]byte(c.key), []byte(c.value)); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("%q = %q: %v, want ErrCorruptRecord", c.key, c.value, err)
		}
	}
}

func FuzzCheckRecord(f *testing.F) {
	f.Add([]byte("ac/s/\x0b13800000001\x02sp\x04NEWS"), (&subRecord{State: SubActive, Since: 1}).encode())
	f.Add([]byte("ac/l/AB12CD34"), (&linkRecord{Kind: linkMO, User: "13800000001", SP: "sp", Uses: 5, Expires: 9}).encode())
	f.Add([]byte("ac/u/AB12CD34"), appendUses(nil, 3))
	f.Add([]byte("ac/p/1234"), (&pendingRecord{SP: "sp", Service: "NEWS", User: "13800000001"}).encode())
	f.Add([]byte("ac/r/MSGID"), appendRoute(nil, "sp", []byte("o"), 1, 2))
	f.Add([]byte("ac/h"), []byte{recordVersion})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		kind, err := CheckRecord(key, value)
		if (err == nil) == (kind == "") {
			t.Fatalf("kind %q, err %v", kind, err)
		}
		if err != nil && !errors.Is(err, ErrCorruptRecord) {
			t.Fatalf("%v does not wrap ErrCorruptRecord", err)
		}
	})
}
