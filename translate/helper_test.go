package translate

import (
	"encoding/binary"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// The vendor TLVs the tests' SMPP deployment carries a LinkID and a long
// service code in (0x1401 is the LinkID tag of codec/smpp's vector V8).
const (
	testLinkIDTag  smpp.Tag = 0x1401
	testServiceTag smpp.Tag = 0x1402
)

// smppFace is SMPP as a deployment with both vendor TLVs and international
// handset numbers would configure it; smppPlain is plain SMPP 3.4.
var (
	smppFace = smpp.Neutral{Wire: smpp.Wire{Options: smpp.Options{LinkIDTag: testLinkIDTag}},
		ServiceCodeTag: testServiceTag, UserTON: 1, UserNPI: 1, CountryCode: "86"}
	smppPlain = smpp.Neutral{}
)

// faces are the five protocols translation serves: SGIP 1.2, CMPP 2.0/2.1 (one
// layout), CMPP 3.0, SMGP 3.0, SMPP 3.4.
var faces = []Face{
	sgip.Dialect{},
	cmpp.NewDialect(cmpp.V20),
	cmpp.NewDialect(cmpp.V30),
	smgp.NewDialect(smgp.V30),
	smppFace,
}

// cst is the carriers' clock of the tests.
var cst = time.FixedZone("CST", 8*3600)

// testNow is the fixed time the tests run at.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, cst)

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// testIDConfig is a stopped clock at t that does not sleep.
func testIDConfig(t time.Time) IDConfig {
	return IDConfig{Location: cst, Now: clockAt(t), Sleep: func(time.Duration) {}}
}

func ucs2(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c>>8), byte(c))
	}
	return b
}

// idGen returns an IDGen of f at testNow with gateway 000123; nil for SGIP.
func idGen(f Face) *IDGen {
	return NewIDSource(f.Capabilities(), testIDConfig(testNow)).Gen(f, "000123")
}

// spSeq is a sequence field in f's layout.
func spSeq(f Face, n uint32) []byte {
	b := make([]byte, f.Seq().Len)
	if len(b) == sgip.SequenceLen {
		sgip.PutSequence(b, sgip.Sequence{Node: 3000012345, Time: 314150926, Counter: n})
		return b
	}
	binary.BigEndian.PutUint32(b, n)
	return b
}

// upstreamID is the id an upstream of face f gives Submit k of a plan:
// what its Submit_Resp carries, or for SGIP the sequence it was sent with.
func upstreamID(t testing.TB, f Face, k int) []byte {
	t.Helper()
	if f.SubmitIDIsSeq() {
		return spSeq(f, uint32(1000+k))
	}
	g := NewIDSource(f.Capabilities(), testIDConfig(testNow.Add(-time.Hour))).Gen(f, "000777")
	var id []byte
	for range k + 1 {
		id = g.Append(nil, 100)
	}
	return id
}

func view(t *testing.T, f Face, frame []byte) codec.View {
	t.Helper()
	var v codec.View
	if err := f.ParseView(frame, &v); err != nil {
		t.Fatalf("%s ParseView: %v", f.Protocol(), err)
	}
	return v
}

func decodeSubmit(t *testing.T, f Face, frame []byte) codec.Submit {
	t.Helper()
	var s codec.Submit
	if err := f.DecodeSubmit(frame, &s); err != nil {
		t.Fatalf("%s DecodeSubmit: %v", f.Protocol(), err)
	}
	return s
}

func decodeDelivery(t *testing.T, f Face, frame []byte) codec.Delivery {
	t.Helper()
	var d codec.Delivery
	if err := f.DecodeDelivery(frame, &d); err != nil {
		t.Fatalf("%s DecodeDelivery: %v", f.Protocol(), err)
	}
	return d
}

func name(sp, up Face) string { return sp.Protocol().String() + "→" + up.Protocol().String() }

// eachPair runs f as a subtest, named by name, for every SP face with
// every upstream face of another protocol.
func eachPair(t *testing.T, f func(t *testing.T, sp, up Face)) {
	t.Helper()
	for _, sp := range faces {
		for _, up := range faces {
			if sp.Protocol() == up.Protocol() {
				continue
			}
			t.Run(name(sp, up), func(t *testing.T) { f(t, sp, up) })
		}
	}
}
