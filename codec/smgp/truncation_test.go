package smgp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// span is one row of a spec table: a field (index ≥ 0 for DestTermID[i])
// and its size. The tables are written out here, independently of the
// decoders, so that the truncation walk checks the decoders against them.
type span struct {
	name  string
	index int
	size  int
}

func rows(args ...any) []span {
	var s []span
	for i := 0; i < len(args); i += 2 {
		s = append(s, span{args[i].(string), -1, args[i+1].(int)})
	}
	return s
}

// layoutOf is the fixed layout of p's body in version v (no TLVs).
func layoutOf(p PDU, v Version) []span {
	switch p := p.(type) {
	case *Login:
		return rows("ClientID", 8, "AuthenticatorClient", 16, "LoginMode", 1, "TimeStamp", 4, "ClientVersion", 1)
	case *LoginResp:
		return rows("Status", 4, "AuthenticatorServer", 16, "ServerVersion", 1)
	case *Submit:
		s := rows("MsgType", 1, "NeedReport", 1, "Priority", 1, "ServiceID", 10, "FeeType", 2, "FeeCode", 6)
		if v == V30 {
			s = append(s, rows("FixedFee", 6)...)
		}
		s = append(s, rows("MsgFormat", 1, "ValidTime", 17, "AtTime", 17, "SrcTermID", 21, "ChargeTermID", 21, "DestTermIDCount", 1)...)
		for i := range p.DestTermID {
			s = append(s, span{"DestTermID", i, 21})
		}
		return append(s, rows("MsgLength", 1, "MsgContent", len(p.MsgContent), "Reserve", 8)...)
	case *SubmitResp, *DeliverResp:
		return rows("MsgID", 10, "Status", 4)
	case *Deliver:
		return rows("MsgID", 10, "IsReport", 1, "MsgFormat", 1, "RecvTime", 14, "SrcTermID", 21, "DestTermID", 21,
			"MsgLength", 1, "MsgContent", len(p.MsgContent), "Reserve", 8)
	case *Query:
		return rows("QueryTime", 8, "QueryType", 1, "QueryCode", 10)
	case *QueryResp:
		return rows("QueryTime", 8, "QueryType", 1, "QueryCode", 10, "MT_TLMsg", 4, "MT_TLUsr", 4, "MT_Scs", 4,
			"MT_WT", 4, "MT_FL", 4, "MO_Scs", 4, "MO_WT", 4, "MO_FL", 4, "Reserve", 8)
	}
	return nil // no body, or Raw (opaque: every shorter body is a valid Raw)
}

// fieldAt returns the table row that holds frame offset off, its start, and
// the end of the fixed body.
func fieldAt(layout []span, off int) (s span, start, fixedEnd int, ok bool) {
	pos := HeaderLen
	for _, f := range layout {
		if f.size > 0 && !ok && off < pos+f.size {
			s, start, ok = f, pos, true
		}
		pos += f.size
	}
	return s, start, pos, ok
}

type walkCase struct {
	name  string
	v     Version
	frame []byte
}

func walkCases(t *testing.T) []walkCase {
	cs := []walkCase{}
	for _, f := range []struct {
		file string
		v    Version
	}{
		{"v1_login.hex", V30}, {"v2_submit_linkid.hex", V30}, {"v3_submit_resp.hex", V30},
		{"v4_deliver_mo_linkid.hex", V30}, {"v5_deliver_report.hex", V30}, {"v6_deliver_resp.hex", V30},
		{"v6_active_test.hex", V30}, {"v7_submit_v13_tlvs.hex", V13}, {"v8_submit_truncated_tlv.hex", V30},
	} {
		cs = append(cs, walkCase{f.file, f.v, codectest.ReadHex(t, f.file)})
	}
	for _, v := range []Version{V30, V13} {
		for _, p := range samples(v) {
			cs = append(cs, walkCase{v.String() + "/" + p.Command().String(), v, Append(nil, v, 7, p)})
		}
	}
	return cs
}

// TestTruncationWalk: every strict prefix of every frame fails, naming the
// field where it stops (dnsmessage's TestHeaderUnpackError). Two walks:
//   - the prefix as it is: PacketLength disagrees, so Decode and ParseView
//     fail with ErrShortFrame (on a header field below 12 bytes);
//   - the prefix with its PacketLength fixed: the body is short, and the
//     error names the field of the spec's table that does not fit, at its
//     offset. Prefixes that end inside the TLV area are the exception
//     (docs/protocols/smgp30.md §12, V8): they decode, the partial TLV in
//     TLVTrailer, and re-encode byte for byte.
func TestTruncationWalk(t *testing.T) {
	for _, c := range walkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, full, err := Decode(c.frame, c.v)
			if err != nil {
				t.Fatal(err)
			}
			layout := layoutOf(full, c.v)
			var w codec.View
			for n := 0; n < len(c.frame); n++ {
				prefix := c.frame[:n:n]
				_, _, err := Decode(prefix, c.v)
				var fe *codec.FieldError
				if !errors.As(err, &fe) || !errors.Is(err, codec.ErrShortFrame) {
					t.Fatalf("raw prefix %d: %v", n, err)
				}
				if want := [...]string{"PacketLength", "RequestID", "SequenceID", "PacketLength"}[min(n/4, 3)]; fe.Field != want {
					t.Fatalf("raw prefix %d names %s, want %s", n, fe.Field, want)
				}
				if verr := ParseView(prefix, c.v, &w); !errors.Is(verr, codec.ErrShortFrame) {
					t.Fatalf("ParseView raw prefix %d: %v", n, verr)
				}
				if n < HeaderLen {
					continue
				}
				fixed := bytes.Clone(prefix)
				codec.PutLength(fixed)
				walkFixedPrefix(t, c, full, layout, fixed)
			}
		})
	}
}

func walkFixedPrefix(t *testing.T, c walkCase, full PDU, layout []span, fixed []byte) {
	t.Helper()
	n := len(fixed)
	_, p, err := Decode(fixed, c.v)
	var w codec.View
	verr := ParseView(fixed, c.v, &w)
	if verr == nil {
		codectest.CheckViewInside(t, fixed, &w)
	}
	f, start, fixedEnd, inFixed := fieldAt(layout, n)
	switch {
	case inFixed:
		fe := codectest.WantFieldError(t, err, f.name, f.index, codec.ErrShortFrame)
		if fe.Offset != start {
			t.Fatalf("prefix %d: %s at offset %d, want %d", n, f.name, fe.Offset, start)
		}
		switch full.(type) {
		case *Submit, *Deliver, *SubmitResp, *DeliverResp:
			// ParseView reads these fields too, and must stop at the same one.
			vfe := codectest.WantFieldError(t, verr, f.name, f.index, codec.ErrShortFrame)
			if vfe.Offset != start {
				t.Fatalf("ParseView prefix %d: offset %d, want %d", n, vfe.Offset, start)
			}
		default:
			if verr != nil && !errors.Is(verr, codec.ErrShortFrame) {
				t.Fatalf("ParseView prefix %d: %v", n, verr)
			}
		}
	case n >= fixedEnd && layout != nil:
		// Inside the TLV area: tolerated.
		if err != nil || verr != nil {
			t.Fatalf("prefix %d in the TLV area: %v / %v", n, err, verr)
		}
		if again := Append(nil, c.v, SequenceOf(fixed), p); !bytes.Equal(again, fixed) {
			t.Fatalf("prefix %d re-encodes as %x", n, again)
		}
		switch p := p.(type) {
		case *Submit:
			checkViewTLVs(t, fixed[fixedEnd:], p.TLVs)
		case *Deliver:
			checkViewTLVs(t, fixed[fixedEnd:], p.TLVs)
		}
	default:
		// No fixed body (Active_Test, Exit) or an opaque Raw body.
		if _, raw := full.(*Raw); raw {
			if err != nil || len(p.(*Raw).Body) != n-HeaderLen {
				t.Fatalf("Raw prefix %d: %v", n, err)
			}
		} else if err == nil {
			t.Fatalf("prefix %d of a bodiless PDU decoded", n)
		}
	}
}
