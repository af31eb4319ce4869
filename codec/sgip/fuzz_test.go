package sgip

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/{FuzzDecode,FuzzParseView} from the vectors and samples")

// seedFrames are the fuzz seeds: every vector, a frame of every command,
// and a few malformed frames.
func seedFrames(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, name := range vectorFiles(t) {
		seeds[strings.TrimSuffix(name, ".hex")] = codectest.ReadHex(t, name)
	}
	for i, p := range samplePDUs() {
		seeds["sample-"+strconv.Itoa(100 + i)[1:]+"-"+strings.ToLower(p.Command().String())] = Append(nil, spSeq, p)
	}
	s := longSubmit()
	s.Trailer = codec.Octets("LINKID-OF-20-BYTES-X")
	seeds["submit-trailer"] = Append(nil, spSeq, s)
	bad := codectest.ReadHex(t, "v4-submit-linkid.hex")
	bad[HeaderLen+2*NumberLen] = 0
	seeds["submit-usercount-0"] = bad
	seeds["two-frames"] = append(codectest.ReadHex(t, "v3-bind-resp.hex"), codectest.ReadHex(t, "v6-report.hex")...)
	return seeds
}

// TestFuzzCorpus keeps the committed seed corpus in step with the seeds
// (go test -run TestFuzzCorpus -update-corpus rewrites it).
func TestFuzzCorpus(t *testing.T) {
	files := map[string][]byte{}
	for _, target := range []string{"FuzzDecode", "FuzzParseView"} {
		for name, b := range seedFrames(t) {
			files[filepath.Join("testdata", "fuzz", target, name)] = codectest.CorpusFile(b)
		}
	}
	codectest.CheckFiles(t, files, *updateCorpus, "run go test -run TestFuzzCorpus -update-corpus")
}

func addSeeds(f *testing.F) {
	for _, b := range seedFrames(f) {
		f.Add(b)
	}
}

func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, frame := range splitHalves(t, b) {
			fuzzDecodeFrame(t, frame)
		}
		fuzzDecodeFrame(t, b) // also the raw input as one frame
	})
}

func fuzzDecodeFrame(t *testing.T, frame []byte) {
	h, p, err := Decode(frame)
	if err != nil {
		var fe *codec.FieldError
		if !errors.As(err, &fe) || p != nil {
			t.Fatalf("Decode error %v (%T) with PDU %v", err, err, p)
		}
		return
	}
	if int(h.Length) != len(frame) || p.Command() != h.Command {
		t.Fatalf("header %+v for a %d-byte frame, PDU %v", h, len(frame), p.Command())
	}
	enc := Append(nil, h.Sequence, p)
	h2, p2, err := Decode(enc)
	if err != nil {
		t.Fatalf("re-decode of %x: %v", enc, err)
	}
	if h2.Sequence != h.Sequence || !reflect.DeepEqual(p, p2) {
		t.Fatalf("unstable round trip:\n%s\n%s", jsonOf(p), jsonOf(p2))
	}
	if again := Append(nil, h.Sequence, p2); !bytes.Equal(again, enc) {
		t.Fatalf("unstable encoding:\n%x\n%x", enc, again)
	}
}

func FuzzParseView(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, frame := range splitHalves(t, b) {
			fuzzViewFrame(t, frame)
		}
		fuzzViewFrame(t, b)
	})
}

func fuzzViewFrame(t *testing.T, frame []byte) {
	var v codec.View
	err := ParseView(frame, &v)
	for name, s := range map[string][]byte{
		"Sequence": v.Sequence, "SPNumber": v.SPNumber, "ServiceCode": v.ServiceCode, "LinkIDField": v.LinkIDField,
		"Content": v.Content, "MsgID": v.MsgID, "UserNumber": v.UserNumber, "ReportMsgID": v.ReportMsgID,
		"ReportStat": v.ReportStat, "TrailingBytes": TrailingBytes(frame),
	} {
		if !codectest.Inside(frame, s) {
			t.Fatalf("%s %x is not inside the frame", name, s)
		}
	}
	for i := range v.DestCount {
		if !codectest.Inside(frame, v.DestField(i)) || len(v.DestField(i)) != NumberLen {
			t.Fatalf("DestField(%d) outside the frame", i)
		}
	}
	_, _, derr := Decode(frame)
	if (err == nil) != (derr == nil) {
		t.Fatalf("ParseView error %v, Decode error %v", err, derr)
	}
	if err != nil && err.Error() != derr.Error() {
		t.Fatalf("ParseView error %q, Decode error %q", err, derr)
	}
	if err == nil {
		checkView(t, frame)
	}
}

// splitHalves feeds b to the Framer as two reads (the first half, then the
// rest), the way a connection's buffer grows, and checks that the frames
// cut are the same as when b arrives at once. It returns the frames.
func splitHalves(t *testing.T, b []byte) [][]byte {
	fr := NewFramer(0)
	cut := func(buf []byte) (frames [][]byte, rest []byte, err error) {
		for {
			n, err := fr.Split(buf)
			if err != nil || n == 0 {
				return frames, buf, err
			}
			frames = append(frames, buf[:n])
			buf = buf[n:]
		}
	}
	whole, _, wholeErr := cut(b)

	half := len(b) / 2
	buf := append([]byte(nil), b[:half]...)
	first, rest, err := cut(buf)
	var got [][]byte
	got = append(got, first...)
	if err == nil {
		buf = append(append([]byte(nil), rest...), b[half:]...)
		var second [][]byte
		second, _, err = cut(buf)
		got = append(got, second...)
	}
	if len(got) != len(whole) || (err == nil) != (wholeErr == nil) {
		t.Fatalf("split reads cut %d frames (err %v), one read cut %d (err %v)", len(got), err, len(whole), wholeErr)
	}
	for i := range got {
		if !bytes.Equal(got[i], whole[i]) {
			t.Fatalf("frame %d differs between split and whole reads", i)
		}
	}
	return whole
}
