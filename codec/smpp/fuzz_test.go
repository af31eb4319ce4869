package smpp

import (
	"bytes"
	"errors"
	"flag"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz seed corpora from the vectors")

// fuzzSeeds are the frames the fuzz targets start from: every vector frame
// and every sample PDU.
func fuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, f := range vectorFiles {
		seeds[strings.TrimSuffix(f, ".hex")] = codectest.ReadHex(t, f)
	}
	for i, p := range samples() {
		seeds["sample_"+strconv.Itoa(i)+"_"+p.Command().String()] = Append(nil, uint32(i+1), 0, p)
	}
	return seeds
}

// TestFuzzCorpus keeps the committed seed corpora in step with the vectors.
// Regenerate with: go test -run TestFuzzCorpus -update-corpus ./codec/smpp/
func TestFuzzCorpus(t *testing.T) {
	codectest.CheckCorpus(t, fuzzSeeds(t), *updateCorpus, "FuzzDecode", "FuzzParseView")
}

// checkFrame is the property both targets check on one input: nothing
// panics; ParseView's slices lie inside the frame; every error is a
// *codec.FieldError; a successful Decode means ParseView succeeds too
// (but for an MT without a destination_addr, ErrNoRecipients), ParseView
// agrees with it field by field, and encode → decode gives the
// same header and PDU, with a second encode byte-identical to the first
// (and, the decoders being strict, to the input).
func checkFrame(t *testing.T, frame []byte, decode bool) {
	var w codec.View
	o := Options{LinkIDTag: 0x1401}
	verr := o.ParseView(frame, &w)
	if verr == nil {
		codectest.CheckViewInside(t, frame, &w)
	} else if fe := (*codec.FieldError)(nil); !errors.As(verr, &fe) {
		t.Fatalf("ParseView error %T: %v", verr, verr)
	}
	checkFastPaths(t, frame, o)
	if !decode {
		return
	}
	h, p, err := Decode(frame)
	if err != nil {
		if fe := (*codec.FieldError)(nil); !errors.As(err, &fe) {
			t.Fatalf("Decode error %T: %v", err, err)
		}
		return
	}
	switch {
	case errors.Is(verr, codec.ErrNoRecipients):
		// An MT to an empty destination_addr: well-formed for Decode
		// (the decode tool shows it), no recipient for the gateway, which
		// answers it from the View's header.
		if w.Kind != codec.KindSubmit || len(w.Sequence) != 4 || w.DestCount != 1 || len(w.Dest(0)) != 0 {
			t.Fatalf("no recipient: view %+v", w)
		}
	case verr != nil:
		t.Fatalf("Decode accepted what ParseView rejects: %v", verr)
	default:
		compareView(t, frame, o)
	}
	out := Append(nil, h.SequenceNumber, h.CommandStatus, p)
	if !bytes.Equal(out, frame) {
		t.Fatalf("re-encoded frame differs:\n%x\n%x", frame, out)
	}
	h2, p2, err := Decode(out)
	if err != nil {
		t.Fatalf("re-encoded frame does not decode: %v\n%x", err, out)
	}
	if h2 != h || !reflect.DeepEqual(p, p2) {
		t.Fatalf("unstable round trip:\n%+v %#v\n%+v %#v", h, p, h2, p2)
	}
}

// checkFastPaths: where ParseView's one-pass readers (fastSM, the bare
// message_id of a response) accept a frame, the field-by-field readers
// that name a failure accept it too and fill the same View.
func checkFastPaths(t *testing.T, frame []byte, o Options) {
	var fast codec.View
	if err := o.ParseView(frame, &fast); err != nil && !errors.Is(err, codec.ErrNoRecipients) {
		return
	}
	slow := codec.View{Kind: fast.Kind, Command: fast.Command, Length: fast.Length, Sequence: fast.Sequence,
		Result: fast.Result}
	var err error
	switch id := CommandID(fast.Command); id {
	case CmdSubmitSM, CmdDeliverSM:
		err = viewSM(frame, id, &slow, o.LinkIDTag)
	case CmdSubmitSMResp, CmdDeliverSMResp, CmdDataSMResp:
		if len(frame) == HeaderLen {
			return
		}
		err = viewIDResp(frame, id, &slow)
	default:
		return
	}
	if err != nil {
		t.Fatalf("ParseView accepted what the field-by-field reader refuses: %v\n%x", err, frame)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path and field-by-field reader disagree:\n%+v\n%+v\n%x", fast, slow, frame)
	}
}

// fuzz runs checkFrame on every input, on the frame the Framer splits off
// it, and on the input with its command_length fixed.
func fuzz(f *testing.F, decode bool) {
	codectest.Fuzz(f, fuzzSeeds(f), NewFramer(0), HeaderLen, func(t *testing.T, frame []byte) {
		checkFrame(t, frame, decode)
	})
}

func FuzzDecode(f *testing.F) { fuzz(f, true) }

func FuzzParseView(f *testing.F) { fuzz(f, false) }

// FuzzReceipt: ParseReceipt never panics, scanReceipt agrees with it, and
// a receipt that parses re-parses from its Append form to the same value
// when its values hold no spaces or label-like text.
func FuzzReceipt(f *testing.F) {
	f.Add([]byte(receiptText))
	f.Add([]byte("ID:1 STAT:delivrd text:"))
	f.Add([]byte("id:x stat:y submit_date:z"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc, err := ParseReceipt(b)
		id, stat := scanReceipt(b)
		if string(id) != rc.ID || string(stat) != rc.Stat {
			t.Fatalf("scanReceipt %q %q, ParseReceipt %q %q", id, stat, rc.ID, rc.Stat)
		}
		if err != nil {
			return
		}
		for _, v := range []string{rc.ID, rc.Sub, rc.Dlvrd, rc.SubmitDate, rc.DoneDate, rc.Stat, rc.Err} {
			if strings.ContainsAny(v, ": \x00") || v == "" {
				return
			}
		}
		if strings.ContainsAny(rc.Text, ":\x00") {
			return
		}
		again, err := ParseReceipt(rc.Append(nil))
		if err != nil || again != rc {
			t.Fatalf("%+v → %q → %+v, %v", rc, rc.Append(nil), again, err)
		}
	})
}
