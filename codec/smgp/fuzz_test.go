package smgp

import (
	"bytes"
	"errors"
	"flag"
	"reflect"
	"strconv"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz seed corpora from the vectors")

// fuzzSeeds are the frames the fuzz targets start from: every vector frame,
// every sample PDU in both layouts, and the V9 report texts wrapped in a
// report Deliver.
func fuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, f := range []string{"v1_login.hex", "v2_submit_linkid.hex", "v3_submit_resp.hex", "v4_deliver_mo_linkid.hex",
		"v5_deliver_report.hex", "v6_deliver_resp.hex", "v6_active_test.hex", "v7_submit_v13_tlvs.hex",
		"v8_submit_truncated_tlv.hex"} {
		seeds[f[:len(f)-len(".hex")]] = codectest.ReadHex(t, f)
	}
	for _, f := range []string{"v9a_report_go_smgp.hex", "v9b_report_gateway.hex", "v9c_report_smsgate.hex"} {
		d := &Deliver{IsReport: 1, RecvTime: "20180530155700", SrcTermID: "13800138000", DestTermID: "10655",
			MsgContent: codectest.ReadHex(t, f), Reserve: zeros(8)}
		seeds[f[:len(f)-len(".hex")]+"_in_deliver"] = Append(nil, V30, 1, d)
	}
	for _, v := range []Version{V30, V13} {
		for i, p := range samples(v) {
			name := "sample_v" + strconv.FormatUint(uint64(v), 16) + "_" + strconv.Itoa(i) + "_" + p.Command().String()
			seeds[name] = Append(nil, v, uint32(i), p)
		}
	}
	return seeds
}

// TestFuzzCorpus keeps the committed seed corpora in step with the vectors.
// Regenerate with: go test -run TestFuzzCorpus -update-corpus ./codec/smgp/
func TestFuzzCorpus(t *testing.T) {
	codectest.CheckCorpus(t, fuzzSeeds(t), *updateCorpus, "FuzzDecode", "FuzzParseView")
}

// checkFrame is the property both targets check on one input, in both
// layouts: nothing panics; ParseView's slices lie inside the frame; a
// failed Decode returns a *codec.FieldError; a successful one means
// ParseView succeeds too, and encode → decode gives the same header and
// PDU, with a second encode byte-identical to the first.
func checkFrame(t *testing.T, frame []byte, decode bool) {
	for _, v := range []Version{V30, V13} {
		var w codec.View
		verr := ParseView(frame, v, &w)
		if verr == nil {
			codectest.CheckViewInside(t, frame, &w)
		} else if fe := (*codec.FieldError)(nil); !errors.As(verr, &fe) {
			t.Fatalf("ParseView error %T: %v", verr, verr)
		}
		if !decode {
			continue
		}
		h, p, err := Decode(frame, v)
		if err != nil {
			if fe := (*codec.FieldError)(nil); !errors.As(err, &fe) {
				t.Fatalf("Decode error %T: %v", err, err)
			}
			continue
		}
		if verr != nil {
			t.Fatalf("Decode accepted what ParseView rejects: %v", verr)
		}
		out := Append(nil, v, h.SequenceID, p)
		h2, p2, err := Decode(out, v)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v\n%x", err, out)
		}
		if h2 != h || !reflect.DeepEqual(p, p2) {
			t.Fatalf("unstable round trip:\n%+v %#v\n%+v %#v", h, p, h2, p2)
		}
		if again := Append(nil, v, h.SequenceID, p2); !bytes.Equal(again, out) {
			t.Fatalf("second encode differs:\n%x\n%x", out, again)
		}
	}
}

// fuzz runs checkFrame on every input, on the frame the Framer splits off
// it, and on the input with its PacketLength fixed.
func fuzz(f *testing.F, decode bool) {
	codectest.Fuzz(f, fuzzSeeds(f), NewFramer(0), HeaderLen, func(t *testing.T, frame []byte) {
		checkFrame(t, frame, decode)
	})
}

func FuzzDecode(f *testing.F) { fuzz(f, true) }

func FuzzParseView(f *testing.F) { fuzz(f, false) }
