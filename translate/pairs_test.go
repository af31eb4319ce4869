package translate

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// The message every pair translates: every field the neutral Submit has,
// with values every protocol can hold, so that what does not arrive was
// lost by the protocol, not by the value.
func richSubmit(sp Face) codec.Submit {
	s := codec.Submit{
		SPNumber: "10655123", ServiceCode: "NEWS", LinkID: "AB12CD34", CorpID: "12345",
		Dests:  []string{"13800138000", "8613900139000", "+8613700137000"},
		Fee:    codec.Fee{Type: codec.FeePerMessage, Code: 10, Payer: codec.PayerNumber, ChargeNumber: "13800138000"},
		Coding: text.UCS2, Content: ucs2("你好，世界"), NeedReport: true, Priority: 2,
		ValidTime: "260315120000032+",
	}
	if sp.Capabilities().MaxDests == 1 {
		s.Dests = s.Dests[:1]
	}
	return s
}

var testOptions = Options{Fee: codec.Fee{Type: codec.FeeMonthly, Code: 500}, CorpID: "90123", Location: cst}

// wantSubmit is what the upstream should read of src, field by field: the
// README's translation table as code. A field survives when both
// protocols carry it; otherwise it is lost (zero) or replaced by the
// deployment's value (Options.Fee, Options.CorpID).
func wantSubmit(sp, up Face, src codec.Submit) codec.Submit {
	spc, upc := sp.Capabilities(), up.Capabilities()
	w := codec.Submit{SPNumber: src.SPNumber, ServiceCode: src.ServiceCode, Coding: src.Coding, Content: src.Content,
		NeedReport: src.NeedReport, Priority: min(src.Priority, upc.MaxPriority), ValidTime: src.ValidTime,
		AtTime: src.AtTime, Dests: nationals(src.Dests)}
	if spc.LinkIDLen > 0 && upc.LinkIDLen > 0 {
		w.LinkID = src.LinkID
	}
	if upc.Fee {
		w.Fee = testOptions.Fee
		if spc.Fee {
			w.Fee = src.Fee
			w.Fee.ChargeNumber = National(w.Fee.ChargeNumber)
		}
	}
	if upc.CorpIDLen > 0 {
		w.CorpID = testOptions.CorpID
	}
	return w
}

// TestSubmitEveryPair: for every SP protocol and every upstream protocol,
// the SP's Submit becomes upstream Submits that carry every field the two
// protocols share, the recipients spread over as many Submits as the
// upstream needs (SMPP: one each), numbers national.
func TestSubmitEveryPair(t *testing.T) {
	eachPair(t, func(t *testing.T, sp, up Face) {
		p := NewPair(sp, up, testOptions)
		src := richSubmit(sp)
		frame := sp.AppendSubmit(nil, spSeq(sp, 7), &src)
		pl, err := p.Submit(frame, spSeq(sp, 7), idGen(sp))
		if err != nil {
			t.Fatal(err)
		}
		want := wantSubmit(sp, up, src)
		max := up.Capabilities().MaxDests
		if up.SubmitIDIsSeq() && !sp.SubmitIDIsSeq() {
			max = 1 // one route key per SGIP Submit, one SP id per recipient
		}
		if n := pl.Len(); n != (len(src.Dests)+max-1)/max {
			t.Fatalf("%d upstream Submits for %d recipients, %d a Submit", n, len(src.Dests), max)
		}
		var dests []string
		for k := range pl.Len() {
			got := decodeSubmit(t, up, pl.Frame(k))
			from, to := pl.Recipients(k)
			// On the wire each number is as the upstream writes it
			// (SGIP and this SMPP deployment: 86 in front).
			if wire := mapNumbers(want.Dests[from:to], up.UserNumber); !slices.Equal(got.Dests, wire) {
				t.Errorf("Submit %d: Dests %q, want %q", k, got.Dests, wire)
			}
			if got.Fee.Payer == codec.PayerNumber && got.Fee.ChargeNumber != up.UserNumber(want.Fee.ChargeNumber) {
				t.Errorf("charged number %q, want %q", got.Fee.ChargeNumber, up.UserNumber(want.Fee.ChargeNumber))
			}
			got.Dests = nationals(got.Dests)
			got.Fee.ChargeNumber = National(got.Fee.ChargeNumber)
			dests = append(dests, got.Dests...)
			compareSubmit(t, got, want)
		}
		if !slices.Equal(dests, want.Dests) {
			t.Errorf("recipients %q, want %q", dests, want.Dests)
		}
	})
}

func compareSubmit(t *testing.T, got, want codec.Submit) {
	t.Helper()
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"SPNumber", got.SPNumber, want.SPNumber},
		{"ServiceCode", got.ServiceCode, want.ServiceCode},
		{"LinkID", got.LinkID, want.LinkID},
		{"CorpID", got.CorpID, want.CorpID},
		{"Fee", got.Fee, want.Fee},
		{"Coding", got.Coding, want.Coding},
		{"Content", hex.EncodeToString(got.Content), hex.EncodeToString(want.Content)},
		{"NeedReport", got.NeedReport, want.NeedReport},
		{"Priority", got.Priority, want.Priority},
		{"ValidTime", got.ValidTime, want.ValidTime},
		{"AtTime", got.AtTime, want.AtTime},
	} {
		if f.got != f.want {
			t.Errorf("%s: %v, want %v", f.name, f.got, f.want)
		}
	}
}

// TestSubmitRespEveryPair: every upstream Submit answered with every code
// the upstream's table defines gives the SP the code of that class in its
// own protocol, with the SP's id of the message; accepted Submits give
// routes from the upstream's id of each recipient to the SP's.
func TestSubmitRespEveryPair(t *testing.T) {
	eachPair(t, func(t *testing.T, sp, up Face) {
		p := NewPair(sp, up, testOptions)
		src := richSubmit(sp)
		seq := spSeq(sp, 9)
		frame := sp.AppendSubmit(nil, seq, &src)
		for c := codec.ResultOK; c < codec.ResultClassCount; c++ {
			code := up.ClassResult(c)
			pl, err := p.Submit(frame, seq, idGen(sp))
			if err != nil {
				t.Fatal(err)
			}
			for k := range pl.Len() {
				pl.Answer(k, code, upstreamID(t, up, k))
			}
			if !pl.Done() {
				t.Fatal("not done after every answer")
			}
			resp := pl.AppendResp(nil, seq)
			v := view(t, sp, resp)
			if v.Kind != codec.KindSubmitResp || !bytes.Equal(v.Sequence, seq) {
				t.Fatalf("answer %v seq %x, want submit_resp %x", v.Kind, v.Sequence, seq)
			}
			if want := sp.ClassResult(up.ResultClass(code)); v.Result != want {
				t.Errorf("%s %d (%v): SP got %d, want %d", up.Protocol(), code, c, v.Result, want)
			}
			if got := sp.ResultClass(v.Result); !sameClass(got, up.ResultClass(code)) {
				t.Errorf("%s %d is %v; the SP's %d is %v", up.Protocol(), code, up.ResultClass(code), v.Result, got)
			}
			if !sp.SubmitIDIsSeq() && !bytes.Equal(v.MsgID, pl.SPID()) {
				t.Errorf("SP's msg id %x, want %x", v.MsgID, pl.SPID())
			}
			if c == codec.ResultOK {
				checkRoutes(t, sp, up, pl, seq)
			}
		}
	})
}

// sameClass: a class survives the round trip, except where a protocol has
// one code for two classes (CMPP 8 for throttled and busy, SMGP 1).
func sameClass(got, want codec.ResultClass) bool {
	return got == want || got.Retryable() && want.Retryable()
}

// checkRoutes: one route per recipient, keyed by the upstream's id of that
// recipient (as its report will name it), holding the SP's id of that
// recipient in the SP's layout, each one fitting an authcache Origin.
func checkRoutes(t *testing.T, sp, up Face, pl *Plan, seq []byte) {
	t.Helper()
	seen := map[string]bool{}
	n := 0
	for k := range pl.Len() {
		from, to := pl.Recipients(k)
		for j := from; j < to; j++ {
			key, origin := pl.Route(k, j, nil, nil)
			n++
			if seen[string(key)] {
				t.Errorf("route key %x twice", key)
			}
			seen[string(key)] = true
			if want := up.AppendMsgIDAt(nil, upstreamID(t, up, k), j-from); !bytes.Equal(key, want) {
				t.Errorf("route key %x, want %x", key, want)
			}
			if len(origin) > 16 {
				t.Errorf("origin %q is %d bytes; an authcache Origin holds 16", origin, len(origin))
			}
			switch {
			case sp.SubmitIDIsSeq():
				if !bytes.Equal(origin, seq) {
					t.Errorf("SGIP origin %x, want the SP's sequence %x", origin, seq)
				}
			default:
				if want := sp.AppendMsgIDAt(nil, pl.SPID(), j); !bytes.Equal(origin, want) {
					t.Errorf("origin %x, want %x", origin, want)
				}
			}
		}
	}
	if n != len(pl.dests) {
		t.Errorf("%d routes for %d recipients", n, len(pl.dests))
	}
}

// TestReportEveryPair: a report from every upstream form (a CMPP report
// Deliver, an SGIP Report, an SMGP report Deliver, an SMPP receipt)
// reaches every other SP form naming the SP's id, the recipient national,
// the state kept.
func TestReportEveryPair(t *testing.T) {
	eachPair(t, func(t *testing.T, sp, up Face) {
		p := NewPair(sp, up, testOptions)
		spID := spIDOf(sp)
		for _, stat := range []string{"DELIVRD", "UNDELIV", "EXPIRED"} {
			upID := upstreamID(t, up, 0)
			in := codec.Report{MsgID: upstreamID(t, up, 3), SubmitID: upID, User: "8613800138000",
				SPNumber: "10655123", Stat: stat, SubmitTime: "2603141500", DoneTime: "2603141502"}
			frame := up.AppendReport(nil, spSeq(up, 5), &in)
			out, err := p.Report(frame, spID, idGen(sp), testNow)
			if err != nil {
				t.Fatal(err)
			}
			d := decodeDelivery(t, sp, out)
			if d.Kind != codec.KindReport {
				t.Fatalf("SP reads a %v", d.Kind)
			}
			r := d.Report
			if !bytes.Equal(r.SubmitID, spID) {
				t.Errorf("SubmitID %x, want the SP's %x", r.SubmitID, spID)
			}
			if want := sp.UserNumber("13800138000"); r.User != want {
				t.Errorf("User %q, want %q", r.User, want)
			}
			wantStat := stat
			if sp.Protocol().Family() == codec.FamilySGIP || up.Protocol().Family() == codec.FamilySGIP {
				wantStat = map[string]string{"DELIVRD": "DELIVRD"}[stat] // SGIP: State 2 reads UNDELIV
				if wantStat == "" {
					wantStat = "UNDELIV"
				}
			}
			if r.Stat != wantStat {
				t.Errorf("Stat %q, want %q", r.Stat, wantStat)
			}
			if sp.Protocol().Family() != codec.FamilySGIP {
				wantDone := "2603141502"
				if up.Protocol().Family() == codec.FamilySGIP {
					wantDone = testNow.Format("0601021504") // SGIP's Report has no dates
				}
				if r.DoneTime != wantDone {
					t.Errorf("DoneTime %q, want %q", r.DoneTime, wantDone)
				}
			}
		}
	})
}

// spIDOf is an id of the SP's layout, as Plan.SPID makes it.
func spIDOf(sp Face) []byte {
	if sp.SubmitIDIsSeq() {
		return spSeq(sp, 42)
	}
	return idGen(sp).Append(nil, 1)
}

// TestMOEveryPair: an MO with a LinkID from every upstream reaches every
// other SP form with the sender national, the access number, the text and
// coding, and the LinkID where the SP's protocol has a slot for it.
func TestMOEveryPair(t *testing.T) {
	eachPair(t, func(t *testing.T, sp, up Face) {
		p := NewPair(sp, up, testOptions)
		in := codec.Deliver{MsgID: upstreamID(t, up, 1), User: "13800138000", SPNumber: "106551230001",
			LinkID: "LK000001", Coding: text.UCS2, Content: ucs2("退订"), ServiceCode: "HELP"}
		frame := up.AppendDeliver(nil, spSeq(up, 3), &in)
		out, err := p.MO(frame, idGen(sp), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 {
			t.Fatalf("%d frames", len(out))
		}
		d := decodeDelivery(t, sp, out[0])
		if d.Kind != codec.KindDeliver {
			t.Fatalf("SP reads a %v", d.Kind)
		}
		m := d.Deliver
		if m.User != sp.UserNumber("13800138000") || m.SPNumber != in.SPNumber {
			t.Errorf("User %q SPNumber %q", m.User, m.SPNumber)
		}
		if m.Coding != text.UCS2 || !bytes.Equal(m.Content, in.Content) {
			t.Errorf("coding %d content %x", m.Coding, m.Content)
		}
		wantLink := ""
		if sp.Capabilities().LinkIDLen > 0 && up.Capabilities().LinkIDLen > 0 {
			wantLink = in.LinkID
		}
		if m.LinkID != wantLink {
			t.Errorf("LinkID %q, want %q", m.LinkID, wantLink)
		}
		if sp.Capabilities().IDsPerUnit > 0 && sp.Protocol() != codec.SMPP34 && codec.Uint64Of(m.MsgID) == 0 {
			t.Errorf("the SP's Deliver has no id")
		}
	})
}

// TestReadSubmitResp: every protocol's Submit_Resp gives its sequence,
// result and id (SGIP none).
func TestReadSubmitResp(t *testing.T) {
	for _, f := range faces {
		id := upstreamID(t, f, 0)
		seq := spSeq(f, 77)
		r, err := ReadSubmitResp(f, f.AppendSubmitResp(nil, seq, id, f.ClassResult(codec.ResultLinkID)))
		if err != nil {
			t.Fatal(err)
		}
		wantID := id
		if f.SubmitIDIsSeq() {
			wantID = nil
		}
		if !bytes.Equal(r.Seq, seq) || f.ResultClass(r.Result) != codec.ResultLinkID || !bytes.Equal(r.MsgID, wantID) {
			t.Errorf("%s: %+v, want seq %x id %x", f.Protocol(), r, seq, wantID)
		}
		src := richSubmit(f)
		if _, err := ReadSubmitResp(f, f.AppendSubmit(nil, seq, &src)); err != codec.ErrWrongCommand {
			t.Errorf("%s: a Submit read as a Submit_Resp: %v", f.Protocol(), err)
		}
	}
}

// TestSubmitRoundTrip: an SP's Submit translated to another protocol and
// back, as that protocol's SP would send it to the first, keeps every
// field both protocols carry (the composition of the table with itself).
func TestSubmitRoundTrip(t *testing.T) {
	for _, a := range faces {
		for _, b := range faces {
			if a == b {
				continue
			}
			t.Run(name(a, b)+"→"+a.Protocol().String(), func(t *testing.T) {
				src := richSubmit(a)
				there, err := NewPair(a, b, testOptions).Submit(a.AppendSubmit(nil, spSeq(a, 1), &src), spSeq(a, 1), idGen(a))
				if err != nil {
					t.Fatal(err)
				}
				w1 := wantSubmit(a, b, src)
				for k := range there.Len() {
					from, to := there.Recipients(k)
					mid := w1
					mid.Dests = w1.Dests[from:to]
					back, err := NewPair(b, a, testOptions).Submit(there.Frame(k), spSeq(b, 2), idGen(b))
					if err != nil {
						t.Fatal(err)
					}
					want := wantSubmit(b, a, mid)
					for j := range back.Len() {
						got := decodeSubmit(t, a, back.Frame(j))
						got.Dests = nationals(got.Dests)
						got.Fee.ChargeNumber = National(got.Fee.ChargeNumber)
						compareSubmit(t, got, want)
					}
				}
			})
		}
	}
}

// TestFor: a served protocol's Face is its Dialect, SMPP's the deployment's
// Neutral, an unknown protocol an error.
func TestFor(t *testing.T) {
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP21, codec.CMPP30, codec.SMGP30, codec.SMGP13} {
		f, err := For(p, smppFace)
		if err != nil || f.Protocol() != p {
			t.Errorf("%s: %v, %v", p, f, err)
		}
	}
	if f, err := For(codec.SMPP34, smppFace); err != nil || f != Face(smppFace) {
		t.Errorf("smpp: %v, %v", f, err)
	}
	if _, err := For(codec.ProtocolUnknown, smppFace); err == nil {
		t.Error("an unknown protocol has a Face")
	}
}
