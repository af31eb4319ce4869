package authcache

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"strconv"
	"testing"
)

// walEncode appends one log entry in Badger's layout (see badgerwal.go).
func walEncode(b []byte, meta byte, key string, ts uint64, value string) []byte {
	k := binary.BigEndian.AppendUint64([]byte(key), math.MaxUint64-ts)
	start := len(b)
	b = append(b, meta, 0)
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = binary.AppendUvarint(b, 0)
	b = append(b, k...)
	b = append(b, value...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// walTxn appends a committed transaction of keys at ts.
func walTxn(b []byte, ts uint64, keys ...string) []byte {
	for _, k := range keys {
		b = walEncode(b, walMetaTxn, k, ts, "v-"+k)
	}
	return walEncode(b, walMetaFinTxn, "!badger!txn", ts, strconv.FormatUint(ts, 10))
}

func TestReplayStop(t *testing.T) {
	head := make([]byte, logHeaderSize)
	one := walTxn(head, 5, "ac/r/1", "ob/a/1")
	two := walTxn(one, 6, "ac/s/2")
	unfinished := walEncode(walEncode(two, walMetaTxn, "ac/r/3", 7, "x"), walMetaTxn, "ac/r/4", 7, "y")
	damaged := append([]byte(nil), two...)
	damaged[len(one)+3] ^= 0x55 // inside the second transaction's first entry
	afterDamage := walTxn(damaged, 8, "ac/r/5", "ac/r/6", "ob/a/7")
	lone := walEncode(two, 0, "ac/p/8", 9, "z")
	foreign := walEncode(walEncode(two, walMetaTxn, "ac/r/3", 7, "x"), walMetaTxn, "ac/r/4", 8, "y")

	for _, c := range []struct {
		name       string
		log        []byte
		stop       int
		unfinished bool
		entries    int
		byPrefix   map[string]int
	}{
		{"empty log", head, logHeaderSize, false, 0, nil},
		{"two transactions", two, len(two), false, 0, nil},
		{"a lone entry", lone, len(lone), false, 0, nil},
		{"unfinished transaction at the end", unfinished, len(two), true, 2, map[string]int{"ac/r/": 2}},
		{"damage, then a transaction", afterDamage, len(one), false, 3, map[string]int{"ac/r/": 2, "ob/": 1}},
		{"another commit inside a transaction", foreign, len(two), false, 2, map[string]int{"ac/r/": 2}},
		// The end marker cut: the transaction's entry survives and is
		// counted, the marker is not.
		{"cut in an entry", two[:len(two)-3], len(one), false, 1, map[string]int{"ac/s/": 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stop := replayStop(c.log)
			if stop != int64(c.stop) {
				t.Fatalf("replayStop %d, want %d", stop, c.stop)
			}
			if stop == int64(len(c.log)) {
				return
			}
			d := analyseDropped(c.log[stop:])
			if d.unfinished != c.unfinished || !d.exact {
				t.Errorf("unfinished %v exact %v, want %v", d.unfinished, d.exact, c.unfinished)
			}
			if c.byPrefix == nil {
				return
			}
			if d.entries != c.entries || len(d.byPrefix) != len(c.byPrefix) {
				t.Fatalf("entries %d %v, want %d %v", d.entries, d.byPrefix, c.entries, c.byPrefix)
			}
			for p, n := range c.byPrefix {
				if d.byPrefix[p] != n {
					t.Errorf("%s: %d, want %d", p, d.byPrefix[p], n)
				}
			}
		})
	}
}

// TestAnalyseDroppedBudget: garbage where every offset parses as a long
// entry stops the count at the budget, flagged as a lower bound.
func TestAnalyseDroppedBudget(t *testing.T) {
	// meta, user meta, key length 8, value length 1<<20, expiry 0: a
	// candidate entry whose checksum covers a megabyte, at every offset
	// of a run of these.
	unit := []byte{0, 0, 8, 0x80, 0x80, 0x40, 0}
	var b []byte
	for len(b) < 4<<20 {
		b = append(b, unit...)
	}
	if d := analyseDropped(b); d.exact || d.entries != 0 {
		t.Fatalf("exact %v entries %d: want a count cut short by the budget", d.exact, d.entries)
	}
}

func FuzzWALScan(f *testing.F) {
	head := make([]byte, logHeaderSize)
	two := walTxn(walTxn(head, 5, "ac/r/1", "ob/a/1"), 6, "ac/s/2")
	f.Add(two)
	f.Add(walEncode(two, walMetaTxn, "ac/r/3", 7, "x"))
	f.Add(two[:len(two)-5])
	f.Add([]byte{0, 0, 8, 0x80, 0x80, 0x40, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		stop := replayStop(b)
		if stop < 0 || stop > int64(max(len(b), logHeaderSize)) {
			t.Fatalf("stop %d of %d bytes", stop, len(b))
		}
		if int(stop) <= len(b) {
			d := analyseDropped(b[stop:])
			n := 0
			for _, k := range d.byPrefix {
				n += k
			}
			if n != d.entries {
				t.Fatalf("by prefix %v, entries %d", d.byPrefix, d.entries)
			}
		}
	})
}
