package redisstore

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
)

var entryCases = []struct {
	name string
	ms   []authcache.Mutation
}{
	{"empty", nil},
	{"put", []authcache.Mutation{{Key: []byte("ac/s/1"), Value: []byte("v")}}},
	{"put_expiring", []authcache.Mutation{{Key: []byte("ac/l/ABCDEFGH"), Value: []byte{0, 1, 2}, ExpiresAt: 1767225600}}},
	{"delete", []authcache.Mutation{{Key: []byte("ac/p/7"), Delete: true}}},
	{"mixed", []authcache.Mutation{
		{Key: []byte("a"), Value: nil},
		{Key: []byte("b"), Delete: true},
		{Key: []byte("\xff\x00"), Value: bytes.Repeat([]byte("x"), 300), ExpiresAt: -1},
	}},
}

func TestEntryRoundTrip(t *testing.T) {
	at := time.UnixMicro(1767225600123456)
	for _, tc := range entryCases {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeEntry("node-A", at, tc.ms)
			origin, published, got, err := decodeEntry(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if origin != "node-A" || !published.Equal(at) {
				t.Errorf("header = %q %v", origin, published)
			}
			if !slices.EqualFunc(got, tc.ms, mutationEqual) {
				t.Errorf("decoded %+v, want %+v", got, tc.ms)
			}
		})
	}
}

// TestEntryTruncated: every proper prefix of an entry fails with an error
// naming a field; none panics.
func TestEntryTruncated(t *testing.T) {
	b := encodeEntry("n", time.Now(), entryCases[4].ms)
	for i := range len(b) {
		_, _, _, err := decodeEntry(b[:i], nil)
		if !errors.Is(err, errEntry) || !strings.Contains(err.Error(), "at offset") {
			t.Fatalf("prefix of %d bytes: %v", i, err)
		}
	}
	if _, _, _, err := decodeEntry(append(slices.Clone(b), 0), nil); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Errorf("trailing byte: %v", err)
	}
	bad := slices.Clone(b)
	bad[0] = 9
	if _, _, _, err := decodeEntry(bad, nil); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("version 9: %v", err)
	}
}

func mutationEqual(a, b authcache.Mutation) bool {
	return bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Value, b.Value) && a.ExpiresAt == b.ExpiresAt && a.Delete == b.Delete
}

// FuzzDecodeEntry: no input panics or allocates beyond its size; what
// decodes re-encodes to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	for _, tc := range entryCases {
		f.Add(encodeEntry("node-A", time.UnixMicro(1767225600123456), tc.ms))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		origin, published, ms, err := decodeEntry(b, nil)
		if err != nil {
			if !errors.Is(err, errEntry) {
				t.Fatalf("error %v does not wrap errEntry", err)
			}
			return
		}
		if len(ms) > len(b) {
			t.Fatalf("%d mutations from %d bytes", len(ms), len(b))
		}
		if again := encodeEntry(origin, published, ms); !bytes.Equal(again, b) {
			// Varints have one canonical form each; only a non-minimal one
			// (a padded length) may decode yet re-encode differently.
			if _, _, ms2, err := decodeEntry(again, nil); err != nil || !slices.EqualFunc(ms, ms2, mutationEqual) {
				t.Fatalf("re-encoding %x gives %x, which decodes to %v, %v", b, again, ms2, err)
			}
		}
	})
}
