package codec

import (
	"bytes"
	"testing"
)

// TestTrimNUL checks the word-at-a-time scan against bytes.IndexByte for
// every length up to 40 and a NUL (or none) at every position, with
// bytes on either side of the NUL that could fool a word test (0x01, 0x80,
// 0xFF).
func TestTrimNUL(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for at := -1; at < n; at++ {
			for _, fill := range []byte{'1', 0x01, 0x80, 0xFF} {
				b := bytes.Repeat([]byte{fill}, n)
				if at >= 0 {
					b[at] = 0
					if at+1 < n {
						b[at+1] = 0x01 // a borrow into this byte must not matter
					}
				}
				want := b
				if i := bytes.IndexByte(b, 0); i >= 0 {
					want = b[:i]
				}
				if got := TrimNUL(b); !bytes.Equal(got, want) || len(got) != len(want) {
					t.Fatalf("TrimNUL(% x) = % x, want % x", b, got, want)
				}
			}
		}
	}
}
