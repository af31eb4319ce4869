package translate

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// TestClassRoundTrip: the code a protocol answers for a class reads back
// as that class — except that CMPP and SMGP each have one code for both
// retryable classes — and fits the protocol's result field.
func TestClassRoundTrip(t *testing.T) {
	for _, f := range faces {
		max := uint32(1<<32 - 1)
		if d, ok := f.(codec.Dialect); ok {
			max = d.MaxResult()
		}
		for c := codec.ResultOK; c < codec.ResultClassCount; c++ {
			code := f.ClassResult(c)
			if got := f.ResultClass(code); !sameClass(got, c) {
				t.Errorf("%s: class %v answers %d, which reads as %v", f.Protocol(), c, code, got)
			}
			if code > max {
				t.Errorf("%s: class %v answers %d, above the field's %d", f.Protocol(), c, code, max)
			}
			if (code == 0) != (c == codec.ResultOK) {
				t.Errorf("%s: class %v answers %d", f.Protocol(), c, code)
			}
		}
		if got := f.ClassResult(codec.ResultClassCount); f.ResultClass(got) != codec.ResultSystem {
			t.Errorf("%s: an unknown class answers %d", f.Protocol(), got)
		}
	}
}

// TestResultClassTables pins the classes of the codes the protocols
// define (the tables of docs/translation.md §4).
func TestResultClassTables(t *testing.T) {
	cases := []struct {
		f     Face
		codes map[uint32]codec.ResultClass
	}{
		{cmpp3, map[uint32]codec.ResultClass{0: codec.ResultOK, 1: codec.ResultBadMessage, 5: codec.ResultBadFee,
			7: codec.ResultBadService, 8: codec.ResultThrottled, 9: codec.ResultBadFee, 10: codec.ResultBadSource,
			11: codec.ResultBadSource, 12: codec.ResultBadFee, 13: codec.ResultBadDest, 106: codec.ResultNotSubscribed,
			107: codec.ResultLinkID, 108: codec.ResultUserBarred, 111: codec.ResultBusy, 112: codec.ResultLinkID,
			150: codec.ResultSystem, 14: codec.ResultSystem, 300: codec.ResultSystem}},
		{sgip.Dialect{}, map[uint32]codec.ResultClass{0: codec.ResultOK, 5: codec.ResultBadMessage, 6: codec.ResultBadDest,
			11: codec.ResultBusy, 13: codec.ResultBadService, 18: codec.ResultNotSubscribed, 24: codec.ResultBadFee,
			29: codec.ResultBadDest, 32: codec.ResultSystem, 33: codec.ResultThrottled, 38: codec.ResultLinkID,
			102: codec.ResultBadSource, 106: codec.ResultNotSubscribed, 110: codec.ResultUserBarred,
			182: codec.ResultThrottled, 1: codec.ResultSystem, 256: codec.ResultSystem}},
		{smgp.NewDialect(smgp.V30), map[uint32]codec.ResultClass{0: codec.ResultOK, 1: codec.ResultBusy,
			10: codec.ResultBadMessage, 33: codec.ResultBadFee, 43: codec.ResultBadService, 46: codec.ResultBadSource,
			47: codec.ResultBadDest, 74: codec.ResultThrottled, 75: codec.ResultThrottled, 130: codec.ResultNotSubscribed,
			131: codec.ResultLinkID, 133: codec.ResultUserBarred, 255: codec.ResultSystem, 21: codec.ResultSystem}},
		{smppFace, map[uint32]codec.ResultClass{0: codec.ResultOK, 0x0B: codec.ResultBadDest, 0x0A: codec.ResultBadSource,
			0x14: codec.ResultBusy, 0x15: codec.ResultBadService, 0x45: codec.ResultBadMessage, 0x58: codec.ResultThrottled,
			0x08: codec.ResultSystem, 0x046A: codec.ResultNotSubscribed, 0x046B: codec.ResultLinkID,
			0x046E: codec.ResultUserBarred, 0x0499: codec.ResultSystem, 0xFF: codec.ResultSystem}},
	}
	for _, c := range cases {
		for code, want := range c.codes {
			if got := c.f.ResultClass(code); got != want {
				t.Errorf("%s %d (%#x): %v, want %v", c.f.Protocol(), code, code, got, want)
			}
		}
	}
}

// TestEveryDefinedCodeHasAClass: the codes a protocol names for Submit
// responses are not left to the catch-all class, except those that are
// system failures or cannot answer a Submit (login and bind statuses).
func TestEveryDefinedCodeHasAClass(t *testing.T) {
	for code := uint32(0); code <= 13; code++ {
		if cmpp3.ResultClass(code) == codec.ResultSystem {
			t.Errorf("CMPP %d (%s) is system", code, cmpp.Result(code))
		}
	}
	notSubmit := map[smgp.Status]bool{2: true, 20: true, 21: true, 22: true, 41: true, 42: true} // logins, route updates
	for s := smgp.StatusSystemBusy; s <= smgp.StatusDailyLimit; s++ {
		if name := s.String(); name != "reserved" && name != "other uses" && !notSubmit[s] && s < 56 {
			if smgp.NewDialect(smgp.V30).ResultClass(uint32(s)) == codec.ResultSystem {
				t.Errorf("SMGP %d (%s) is system", s, name)
			}
		}
	}
	for _, s := range []smpp.Status{smpp.StatusInvMsgLen, smpp.StatusInvSrcAdr, smpp.StatusInvDstAdr, smpp.StatusMsgQFul,
		smpp.StatusInvSerTyp, smpp.StatusSubmitFail, smpp.StatusThrottled, smpp.StatusInvSched, smpp.StatusInvExpiry} {
		if smppFace.ResultClass(uint32(s)) == codec.ResultSystem {
			t.Errorf("SMPP %v is system", s)
		}
	}
}

// TestPairResult: an upstream's answer reaches the SP in the SP's words.
func TestPairResult(t *testing.T) {
	cases := []struct {
		sp, up   Face
		upstream uint32
		want     uint32
	}{
		{smppFace, cmpp3, 8, uint32(smpp.StatusThrottled)},
		{smppFace, cmpp3, 13, uint32(smpp.StatusInvDstAdr)},
		{smppFace, sgip.Dialect{}, 106, 0x046A},
		{cmpp3, smppFace, uint32(smpp.StatusThrottled), 8},
		{cmpp3, smppFace, 0x046B, 107},
		{sgip.Dialect{}, smgp.NewDialect(smgp.V30), 130, 106},
		{smgp.NewDialect(smgp.V30), sgip.Dialect{}, 33, 1},
		{smgp.NewDialect(smgp.V30), cmpp3, 0, 0},
		{cmpp3, sgip.Dialect{}, 250, cmpp.ResultSystemError},
	}
	for _, c := range cases {
		if got := NewPair(c.sp, c.up, testOptions).Result(c.upstream); got != c.want {
			t.Errorf("%s %d → %s: %d, want %d", c.up.Protocol(), c.upstream, c.sp.Protocol(), got, c.want)
		}
	}
}
