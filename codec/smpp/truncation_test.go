package smpp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// span is one row of a spec table: a field (index ≥ 0 for the TLV tag and
// length of TLV[i]) and its size on the wire. The tables are written out
// here, independently of the decoders, so that the truncation walk checks
// the decoders against them. A C-string's size is its length plus the NUL.
type span struct {
	name  string
	index int
	size  int
	tlv   bool // part of the optional area: a prefix ending before it is a whole PDU
}

func rows(args ...any) []span {
	var s []span
	for i := 0; i < len(args); i += 2 {
		s = append(s, span{name: args[i].(string), index: -1, size: args[i+1].(int)})
	}
	return s
}

func cs(s string) int { return len(s) + 1 }

func tlvRows(ts TLVs) []span {
	var s []span
	for i, t := range ts {
		s = append(s, span{"TLV tag", i, 2, true}, span{"TLV length", i, 2, true},
			span{t.Tag.String(), -1, len(t.Value), true})
	}
	return s
}

func smRows(p *Submit) []span {
	return append(rows("service_type", cs(p.ServiceType), "source_addr_ton", 1, "source_addr_npi", 1,
		"source_addr", cs(p.SourceAddr), "dest_addr_ton", 1, "dest_addr_npi", 1,
		"destination_addr", cs(p.DestinationAddr), "esm_class", 1, "protocol_id", 1, "priority_flag", 1,
		"schedule_delivery_time", cs(p.ScheduleDeliveryTime), "validity_period", cs(p.ValidityPeriod),
		"registered_delivery", 1, "replace_if_present_flag", 1, "data_coding", 1, "sm_default_msg_id", 1,
		"sm_length", 1, "short_message", len(p.ShortMessage)), tlvRows(p.TLVs)...)
}

// layoutOf is the body layout of p, TLVs included; nil for a header-only
// PDU and for Raw (an opaque body: every shorter body is a valid Raw).
func layoutOf(p PDU) []span {
	switch p := p.(type) {
	case *Bind:
		return rows("system_id", cs(p.SystemID), "password", cs(p.Password), "system_type", cs(p.SystemType),
			"interface_version", 1, "addr_ton", 1, "addr_npi", 1, "address_range", cs(p.AddressRange))
	case *BindResp:
		if p.NoBody {
			return nil
		}
		return append(rows("system_id", cs(p.SystemID)), tlvRows(p.TLVs)...)
	case *Submit:
		return smRows(p)
	case *Deliver:
		return smRows((*Submit)(p))
	case *DataSM:
		return append(rows("service_type", cs(p.ServiceType), "source_addr_ton", 1, "source_addr_npi", 1,
			"source_addr", cs(p.SourceAddr), "dest_addr_ton", 1, "dest_addr_npi", 1,
			"destination_addr", cs(p.DestinationAddr), "esm_class", 1, "registered_delivery", 1,
			"data_coding", 1), tlvRows(p.TLVs)...)
	case *SubmitResp:
		if p.NoBody {
			return nil
		}
		return append(rows("message_id", cs(p.MessageID)), tlvRows(p.TLVs)...)
	case *DeliverResp:
		return layoutOf((*SubmitResp)(p))
	case *DataSMResp:
		if p.NoBody {
			return nil
		}
		return append(rows("message_id", cs(p.MessageID)), tlvRows(p.TLVs)...)
	}
	return nil
}

// fieldAt returns the row that holds frame offset off and its start; ok is
// false when off is at or past the end of the layout, or at the start of a
// TLV (a whole PDU with fewer TLVs).
func fieldAt(layout []span, off int) (s span, start int, ok bool) {
	pos := HeaderLen
	for _, f := range layout {
		if off < pos+f.size {
			if f.tlv && f.name == "TLV tag" && off == pos {
				return span{}, 0, false
			}
			return f, pos, true
		}
		pos += f.size
	}
	return span{}, 0, false
}

type walkCase struct {
	name  string
	frame []byte
}

func walkCases(t testing.TB) []walkCase {
	var cs []walkCase
	for _, f := range vectorFiles {
		cs = append(cs, walkCase{f, codectest.ReadHex(t, f)})
	}
	for i, p := range samples() {
		status := StatusOK
		if p.Command().IsResponse() {
			status = StatusSysErr
		}
		cs = append(cs, walkCase{"sample/" + p.Command().String(), Append(nil, uint32(i+1), status, p)})
	}
	return cs
}

var vectorFiles = []string{
	"v01-bind-transmitter.hex", "v02-bind-transceiver.hex", "v02a-bind-transceiver-resp-empty.hex",
	"v02b-bind-transmitter-resp.hex", "v03-submit-sm.hex", "v03a-submit-sm-resp-empty.hex", "v03b-submit-sm-resp.hex",
	"v04-deliver-sm-udh.hex", "v04a-deliver-sm-resp.hex", "v05-data-sm-tlv.hex", "v05a-data-sm-resp.hex",
	"v06a-enquire-link.hex", "v06b-enquire-link-resp.hex", "v06c-unbind.hex", "v06d-unbind-resp.hex",
	"v06e-generic-nack.hex", "v07-deliver-sm-receipt.hex", "v08-submit-sm-sar-payload.hex", "v09-submit-sm-gsm7.hex",
}

// TestTruncationWalk: every strict prefix of every frame fails, naming the
// field where it stops (dnsmessage's TestHeaderUnpackError). Two walks:
//   - the prefix as it is: command_length disagrees, so Decode and ParseView
//     fail with ErrShortFrame (on a header field below 16 bytes);
//   - the prefix with its command_length fixed: the body is short, and the
//     error names the field of the spec's table that does not fit, at its
//     offset: a C-string cut before its NUL, a TLV cut in its tag, length
//     or value. A prefix that ends exactly before a TLV is a whole PDU with
//     fewer TLVs and decodes; one that ends exactly at the header is a
//     response whose body was left out, which SMPP allows.
func TestTruncationWalk(t *testing.T) {
	headerFields := [...]string{"command_length", "command_id", "command_status", "sequence_number", "command_length"}
	for _, c := range walkCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, full, err := Decode(c.frame)
			if err != nil {
				t.Fatal(err)
			}
			layout := layoutOf(full)
			var w codec.View
			for n := 0; n < len(c.frame); n++ {
				prefix := c.frame[:n:n]
				_, _, err := Decode(prefix)
				var fe *codec.FieldError
				if !errors.As(err, &fe) || !errors.Is(err, codec.ErrShortFrame) {
					t.Fatalf("raw prefix %d: %v", n, err)
				}
				if want := headerFields[min(n/4, 4)]; fe.Field != want {
					t.Fatalf("raw prefix %d names %s, want %s", n, fe.Field, want)
				}
				if verr := ParseView(prefix, &w); !errors.Is(verr, codec.ErrShortFrame) {
					t.Fatalf("ParseView raw prefix %d: %v", n, verr)
				}
				if n < HeaderLen {
					continue
				}
				fixed := bytes.Clone(prefix)
				codec.PutLength(fixed)
				walkFixedPrefix(t, full, layout, fixed)
			}
		})
	}
}

func walkFixedPrefix(t *testing.T, full PDU, layout []span, fixed []byte) {
	t.Helper()
	n := len(fixed)
	_, p, err := Decode(fixed)
	var w codec.View
	verr := ParseView(fixed, &w)
	if verr == nil {
		codectest.CheckViewInside(t, fixed, &w)
	}
	f, start, inField := fieldAt(layout, n)
	_, isRaw := full.(*Raw)
	switch {
	case isRaw:
		if err != nil || len(p.(*Raw).Body) != n-HeaderLen {
			t.Fatalf("Raw prefix %d: %v", n, err)
		}
	case n == HeaderLen && isResp(full):
		// The body left out: allowed for the responses that have one.
		if err != nil || verr != nil {
			t.Fatalf("bodiless response: %v / %v", err, verr)
		}
	case inField:
		fe := codectest.WantFieldError(t, err, f.name, f.index, codec.ErrShortFrame)
		if fe.Offset != start {
			t.Fatalf("prefix %d: %s at offset %d, want %d", n, f.name, fe.Offset, start)
		}
		if viewed(full) {
			// ParseView reads these fields too, and must stop at the same one.
			vfe := codectest.WantFieldError(t, verr, f.name, f.index, codec.ErrShortFrame)
			if vfe.Offset != start {
				t.Fatalf("ParseView prefix %d: offset %d, want %d", n, vfe.Offset, start)
			}
		}
	case layout != nil:
		// A whole PDU with fewer TLVs.
		if err != nil || verr != nil {
			t.Fatalf("prefix %d at a TLV boundary: %v / %v", n, err, verr)
		}
		if again := Append(nil, SequenceOf(fixed), Status(0), p); !bytes.Equal(again[HeaderLen:], fixed[HeaderLen:]) {
			t.Fatalf("prefix %d re-encodes as %x", n, again)
		}
	default:
		t.Fatalf("prefix %d of %T decoded: %v", n, full, err)
	}
}

func isResp(p PDU) bool {
	switch p.(type) {
	case *SubmitResp, *DeliverResp, *DataSMResp, *BindResp:
		return true
	}
	return false
}

// viewed lists the PDUs whose body ParseView reads field by field.
func viewed(p PDU) bool {
	switch p.(type) {
	case *Submit, *Deliver, *DataSM, *SubmitResp, *DeliverResp, *DataSMResp:
		return true
	}
	return false
}
