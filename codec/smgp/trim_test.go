package smgp

import (
	"bytes"
	"testing"

	"github.com/spsmg/spsmg/codec"
)

// TestTrimNUL: the word-at-a-time trimNUL cuts where codec.TrimNUL does,
// for every field length up to 24 and a NUL at every place, around bytes
// that fool a careless zero-byte test (0x01 after a NUL, 0x80, 0xff).
func TestTrimNUL(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for _, fill := range []byte{'1', 0x01, 0x80, 0xff, 0x81} {
			b := bytes.Repeat([]byte{fill}, n)
			check := func() {
				t.Helper()
				if got, want := trimNUL(b), codec.TrimNUL(b); !bytes.Equal(got, want) || len(got) != len(want) {
					t.Fatalf("trimNUL(%x) = %x, want %x", b, got, want)
				}
			}
			check() // no NUL
			for i := 0; i < n; i++ {
				b[i] = 0
				check() // one NUL, at i
				for j := i + 1; j < n; j++ {
					b[j] = 0x01
				}
				check() // a NUL at i, 0x01 after it
				for j := i; j < n; j++ {
					b[j] = fill
				}
			}
		}
	}
}
