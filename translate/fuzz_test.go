package translate

import (
	"bytes"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// pairOf picks an ordered pair of distinct faces from one byte: 20 pairs.
func pairOf(b uint8) (sp, up Face) {
	i := int(b) % (len(faces) * (len(faces) - 1))
	sp = faces[i/(len(faces)-1)]
	j := i % (len(faces) - 1)
	if j >= i/(len(faces)-1) {
		j++
	}
	return sp, faces[j]
}

func pairIndex(sp, up Face) uint8 {
	for i := range len(faces) * (len(faces) - 1) {
		if s, u := pairOf(uint8(i)); s == sp && u == up {
			return uint8(i)
		}
	}
	panic("no such pair")
}

type fuzzSeed struct {
	pair  uint8
	frame []byte
}

// fuzzSeeds: the golden cases' inputs and the every-pair messages, as
// (pair, frame) for the three targets.
func fuzzSeeds(t testing.TB) map[string]map[string]fuzzSeed {
	seeds := map[string]map[string]fuzzSeed{"FuzzSubmit": {}, "FuzzReport": {}, "FuzzMO": {}}
	for _, c := range goldenCases {
		target := map[codec.Kind]string{codec.KindSubmit: "FuzzSubmit", codec.KindReport: "FuzzReport",
			codec.KindDeliver: "FuzzMO"}[c.kind]
		seeds[target][c.name] = fuzzSeed{pairIndex(c.sp, c.up), vector(t, c.pkg, c.file)}
	}
	for _, sp := range faces {
		for _, up := range faces {
			if sp == up {
				continue
			}
			n := sp.Protocol().String() + "-" + up.Protocol().String()
			src := richSubmit(sp)
			seeds["FuzzSubmit"]["rich_"+n] = fuzzSeed{pairIndex(sp, up), sp.AppendSubmit(nil, spSeq(sp, 1), &src)}
			rep := codec.Report{MsgID: []byte{1, 2, 3}, SubmitID: []byte("0123456789ab"), User: "13800138000",
				SPNumber: "10655123", Stat: "DELIVRD", SubmitTime: "2603141500", DoneTime: "2603141501"}
			seeds["FuzzReport"]["built_"+n] = fuzzSeed{pairIndex(sp, up), up.AppendReport(nil, spSeq(up, 1), &rep)}
			mo := codec.Deliver{MsgID: []byte{9}, User: "13800138000", SPNumber: "10655123", LinkID: "LK1",
				Coding: 8, Content: ucs2("查询")}
			seeds["FuzzMO"]["built_"+n] = fuzzSeed{pairIndex(sp, up), up.AppendDeliver(nil, spSeq(up, 1), &mo)}
		}
	}
	return seeds
}

func corpusFile(s fuzzSeed) []byte {
	return []byte("go test fuzz v1\nuint8(" + strconv.Itoa(int(s.pair)) + ")\n[]byte(" + strconv.Quote(string(s.frame)) + ")\n")
}

// TestFuzzCorpus keeps testdata/fuzz in step with the seeds (go test -run
// TestFuzzCorpus -update ./translate/ rewrites them).
func TestFuzzCorpus(t *testing.T) {
	files := map[string][]byte{}
	for target, seeds := range fuzzSeeds(t) {
		for name, s := range seeds {
			files[filepath.Join("testdata", "fuzz", target, "seed_"+name)] = corpusFile(s)
		}
	}
	codectest.CheckFiles(t, files, *update, "run with -update")
}

// FuzzSubmit: translating any frame as an SP's Submit never panics; a
// translation either fails with an *Error or gives upstream Submits that
// the upstream reads, that cover every recipient once in order, and that
// each fit one short message where the upstream has no long messages; the
// SP's answer reads in the SP's protocol.
func FuzzSubmit(f *testing.F) {
	f.Fuzz(func(t *testing.T, pair uint8, frame []byte) {
		sp, up := pairOf(pair)
		p := NewPair(sp, up, testOptions)
		seq := spSeq(sp, 1)
		pl, err := p.Submit(frame, seq, idGen(sp))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		next := 0
		for k := range pl.Len() {
			var s codec.Submit
			if err := up.DecodeSubmit(pl.Frame(k), &s); err != nil {
				t.Fatalf("upstream Submit %d does not read: %v", k, err)
			}
			from, to := pl.Recipients(k)
			if from == 0 {
				next = 0
			}
			if from != next || to-from != len(s.Dests) {
				t.Fatalf("Submit %d carries recipients [%d, %d) with %d numbers, after %d", k, from, to, len(s.Dests), next)
			}
			next = to
			if hdr, body, _ := splitUDH(s.UDHI, s.Content); !up.Capabilities().LongContent && !fitsOne(s.Coding, len(hdr), len(body)) {
				t.Fatalf("Submit %d: %d bytes in coding %d do not fit one short message", k, len(s.Content), s.Coding)
			}
			pl.Answer(k, 0, upstreamID(t, up, 0))
		}
		var v codec.View
		if err := sp.ParseView(pl.AppendResp(nil, seq), &v); err != nil || v.Result != 0 {
			t.Fatalf("SP's answer: %v, result %d", err, v.Result)
		}
	})
}

// FuzzReport: translating any frame as an upstream's report never panics
// and gives a report the SP reads, naming the SP's id.
func FuzzReport(f *testing.F) {
	f.Fuzz(func(t *testing.T, pair uint8, frame []byte) {
		sp, up := pairOf(pair)
		spID := spIDOf(sp)
		out, err := NewPair(sp, up, testOptions).Report(frame, spID, idGen(sp), testNow)
		if err != nil {
			return
		}
		var d codec.Delivery
		if err := sp.DecodeDelivery(out, &d); err != nil || d.Kind != codec.KindReport {
			t.Fatalf("the SP's report does not read: %v (%v)", err, d.Kind)
		}
		if !bytes.Equal(d.Report.SubmitID, spID) {
			t.Fatalf("report names %x, want %x", d.Report.SubmitID, spID)
		}
	})
}

// FuzzMO: translating any frame as an upstream's MO never panics and
// gives MOs the SP reads.
func FuzzMO(f *testing.F) {
	f.Fuzz(func(t *testing.T, pair uint8, frame []byte) {
		sp, up := pairOf(pair)
		out, err := NewPair(sp, up, testOptions).MO(frame, idGen(sp), testNow)
		if err != nil {
			return
		}
		for _, m := range out {
			var d codec.Delivery
			if err := sp.DecodeDelivery(m, &d); err != nil || d.Kind != codec.KindDeliver {
				t.Fatalf("the SP's MO does not read: %v (%v)", err, d.Kind)
			}
		}
	})
}
