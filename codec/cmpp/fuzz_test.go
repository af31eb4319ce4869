package cmpp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// fuzzVersion maps the fuzzer's version byte onto the three versions.
func fuzzVersion(b uint8) Version { return versions[int(b)%len(versions)] }

// seeds are the fuzz seeds: every vector of testdata (V9–V11 wrapped in a
// header) and one frame of every command in every version.
func seeds(t testing.TB) []struct {
	name string
	v    uint8
	data []byte
} {
	var out []struct {
		name string
		v    uint8
		data []byte
	}
	add := func(name string, v Version, data []byte) {
		for i, vv := range versions {
			if vv == v {
				out = append(out, struct {
					name string
					v    uint8
					data []byte
				}{name, uint8(i), data})
			}
		}
	}
	vec := []struct {
		file string
		v    Version
		body bool
	}{
		{"v01-connect.hex", V21, false}, {"v02-connect-resp-2x.hex", V21, false}, {"v03-connect-resp-30.hex", V30, false},
		{"v04-submit-2x.hex", V21, false}, {"v05-submit-30.hex", V30, false}, {"v06a-submit-resp-2x.hex", V21, false},
		{"v06b-submit-resp-30.hex", V30, false}, {"v07-deliver-mo-30.hex", V30, false}, {"v07b-deliver-resp-30.hex", V30, false},
		{"v08-deliver-mo-2x.hex", V21, false}, {"v08a-deliver-resp-2x.hex", V21, false}, {"v08c-active-test-resp.hex", V21, false},
		{"v09-deliver-report71-30.body.hex", V30, true}, {"v10-deliver-report60-30.body.hex", V30, true},
		{"v11-deliver-mo-udhi40-30.body.hex", V30, true},
	}
	for _, c := range vec {
		b := codectest.ReadHex(t, c.file)
		if c.body {
			b = wrapDeliver(b, 1)
		}
		add("vector-"+c.file[:len(c.file)-len(".hex")], c.v, b)
	}
	for _, v := range versions {
		for i, p := range samples(v) {
			add("sample-"+v.String()+"-"+strconv.Itoa(i)+"-"+p.Command().String(), v, Append(nil, v, uint32(i), p))
		}
	}
	add("two-frames", V30, append(AppendActiveTest(nil, 1), codectest.ReadHex(t, "v06b-submit-resp-30.hex")...))
	add("fwd", V30, []byte{0, 0, 0, 12, 0, 0, 0, 9, 0, 0, 0, 1})
	return out
}

// framesOf splits buf with the Framer the way the proxy does, feeding it in
// two halves: the first half alone, then the rest appended (split reads).
func framesOf(t *testing.T, data []byte) [][]byte {
	fr := NewFramer(0)
	drain := func(buf []byte) (frames [][]byte, rest []byte, failed bool) {
		for {
			n, err := fr.Split(buf)
			if err != nil {
				if !errors.Is(err, codec.ErrFrameTooLarge) && !errors.Is(err, codec.ErrFrameTooSmall) {
					t.Fatalf("Split error %v", err)
				}
				return frames, buf, true
			}
			if n == 0 {
				return frames, buf, false
			}
			frames = append(frames, buf[:n:n])
			buf = buf[n:]
		}
	}
	whole, _, _ := drain(data)
	mid := len(data) / 2
	first, rest, failed := drain(bytes.Clone(data[:mid]))
	if !failed {
		buf := append(bytes.Clone(rest), data[mid:]...)
		more, _, _ := drain(buf)
		first = append(first, more...)
	}
	if len(first) != len(whole) {
		t.Fatalf("split reads gave %d frames, one read %d", len(first), len(whole))
	}
	for i := range whole {
		if !bytes.Equal(first[i], whole[i]) {
			t.Fatalf("frame %d differs between split and whole reads", i)
		}
	}
	return whole
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s.v, s.data)
	}
	f.Fuzz(func(t *testing.T, vb uint8, data []byte) {
		v := fuzzVersion(vb)
		for _, frame := range append([][]byte{data}, framesOf(t, data)...) {
			fuzzDecodeOne(t, v, frame)
		}
	})
}

func fuzzDecodeOne(t *testing.T, v Version, frame []byte) {
	h, p, err := Decode(frame, v)
	if err != nil {
		var fe *codec.FieldError
		if !errors.As(err, &fe) || p != nil {
			t.Fatalf("error %v (%T), pdu %v", err, err, p)
		}
		return
	}
	enc := Append(nil, v, h.SequenceID, p)
	h2, p2, err := Decode(enc, v)
	if err != nil {
		t.Fatalf("re-encoded %x does not decode: %v", enc, err)
	}
	if h2.SequenceID != h.SequenceID || h2.CommandID != h.CommandID || !reflect.DeepEqual(p, p2) {
		t.Fatalf("unstable round trip:\n%#v\n%#v", p, p2)
	}
	if again := Append(nil, v, h.SequenceID, p2); !bytes.Equal(again, enc) {
		t.Fatalf("re-encode not stable:\n%x\n%x", enc, again)
	}
	checkView(t, frame, v, p)
}

func FuzzParseView(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s.v, s.data)
	}
	f.Fuzz(func(t *testing.T, vb uint8, data []byte) {
		v := fuzzVersion(vb)
		for _, frame := range append([][]byte{data}, framesOf(t, data)...) {
			var view codec.View
			err := ParseView(frame, v, &view)
			codectest.CheckViewInside(t, frame, &view)
			if err != nil {
				var fe *codec.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v (%T)", err, err)
				}
			}
		}
	})
}

// TestWriteFuzzCorpus regenerates the committed seed corpus under
// testdata/fuzz/ in the "go test fuzz v1" format:
//
//	CMPP_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus ./codec/cmpp/
//
// Without the variable it checks that every seed file exists.
func TestWriteFuzzCorpus(t *testing.T) {
	files := map[string][]byte{}
	for _, target := range []string{"FuzzDecode", "FuzzParseView"} {
		for _, s := range seeds(t) {
			files[filepath.Join("testdata", "fuzz", target, "seed-"+s.name)] = []byte("go test fuzz v1\nbyte(" +
				strconv.QuoteRune(rune(s.v)) + ")\n[]byte(" + strconv.Quote(string(s.data)) + ")\n")
		}
	}
	codectest.CheckFiles(t, files, os.Getenv("CMPP_WRITE_CORPUS") != "", "regenerate with CMPP_WRITE_CORPUS=1")
}
