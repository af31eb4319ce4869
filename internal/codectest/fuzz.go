package codectest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/spsmg/spsmg/codec"
)

// CorpusFile renders data in the "go test fuzz v1" format.
func CorpusFile(data []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n")
}

// CheckCorpus keeps the committed seed corpus of each target
// (testdata/fuzz/<target>/seed_<name>, one []byte argument) in step with
// seeds: with update it rewrites the files, otherwise it fails on a missing
// or stale one.
func CheckCorpus(t *testing.T, seeds map[string][]byte, update bool, targets ...string) {
	t.Helper()
	files := map[string][]byte{}
	for _, target := range targets {
		for name, data := range seeds {
			files[filepath.Join("testdata", "fuzz", target, "seed_"+name)] = CorpusFile(data)
		}
	}
	CheckFiles(t, files, update, "run with -update-corpus")
}

// CheckFiles keeps generated files (path → content) in step with what is
// committed: with update it writes them, otherwise it fails on a file that
// is missing or differs, with hint saying how to regenerate.
func CheckFiles(t *testing.T, files map[string][]byte, update bool, hint string) {
	t.Helper()
	for path, want := range files {
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (%s): %v", path, hint, err)
		}
	}
}

// CheckSplit feeds data through fr whole and as its first half (a split
// read, nats FuzzParser): both must agree, and a frame split off is handed
// to check.
func CheckSplit(t *testing.T, fr codec.Framer, data []byte, check func(frame []byte)) {
	t.Helper()
	n, err := fr.Split(data)
	k := len(data) / 2
	n1, err1 := fr.Split(data[:k])
	switch {
	case err != nil:
		if (k >= codec.LengthFieldSize) != (err1 != nil) || n1 != 0 {
			t.Fatalf("half: %d, %v; whole: %v", n1, err1, err)
		}
	case n > 0 && n <= k:
		if n1 != n || err1 != nil {
			t.Fatalf("half: %d, %v; whole: %d", n1, err1, n)
		}
	default:
		if n1 != 0 || err1 != nil {
			t.Fatalf("half: %d, %v; whole: %d", n1, err1, n)
		}
	}
	if n > 0 {
		check(data[:n:n])
	}
}

// Fuzz runs a frame fuzz target from seeds: check sees every input as a
// frame, the frame fr splits off it (CheckSplit), and, the input being at
// least headerLen bytes, a copy with its length field set to its size (most
// mutations break the length; this checks the body with it fixed).
func Fuzz(f *testing.F, seeds map[string][]byte, fr codec.Framer, headerLen int, check func(t *testing.T, frame []byte)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		CheckSplit(t, fr, data, func(frame []byte) { check(t, frame) })
		if len(data) >= headerLen {
			fixed := bytes.Clone(data)
			codec.PutLength(fixed)
			check(t, fixed)
		}
	})
}
