package smgp

import (
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/spsmg/spsmg/codec"
)

// TLV tags of docs/protocols/smgp30.md §12 (optional parameters after the
// fixed body).
const (
	TagTPPid            = 0x0001 // TP_pid, 1 B
	TagTPUdhi           = 0x0002 // TP_udhi, 1 B: lowest bit (gateways: 0x40) ⇒ MsgContent starts with a UDH
	TagLinkID           = 0x0003 // LinkID, 20 B: ties an MT to the MO/order that caused it
	TagChargeUserType   = 0x0004 // ChargeUserType, 1 B
	TagChargeTermType   = 0x0005 // ChargeTermType, 1 B
	TagChargeTermPseudo = 0x0006 // ChargeTermPseudo, var
	TagDestTermType     = 0x0007 // DestTermType, 1 B
	TagDestTermPseudo   = 0x0008 // DestTermPseudo, var
	TagPkTotal          = 0x0009 // PkTotal, 1 B: segments with the same MsgID
	TagPkNumber         = 0x000A // PkNumber, 1 B: segment number from 1
	TagSubmitMsgType    = 0x000B // SubmitMsgType, 1 B: 0 normal, 1–5 subscription notices
	TagSPDealResult     = 0x000C // SPDealResult, 1 B
	TagSrcTermType      = 0x000D // SrcTermType, 1 B
	TagSrcTermPseudo    = 0x000E // SrcTermPseudo, var
	TagNodesCount       = 0x000F // NodesCount, 1 B
	TagMsgSrc           = 0x0010 // MsgSrc, 8 B
	TagSrcType          = 0x0011 // SrcType, 1 B
	TagMServiceID       = 0x0012 // MServiceID, 21 B
)

// TLVHeaderLen is the Tag and Length in front of every TLV value.
const TLVHeaderLen = 4

// LinkIDLen is the spec's size of the LinkID TLV value
// (docs/protocols/smgp30.md §12). Decoders honour whatever Length a peer
// sends (SMSGate sends text + NUL).
const LinkIDLen = 20

var tagNames = [...]string{
	TagTPPid:            "TP_pid",
	TagTPUdhi:           "TP_udhi",
	TagLinkID:           "LinkID",
	TagChargeUserType:   "ChargeUserType",
	TagChargeTermType:   "ChargeTermType",
	TagChargeTermPseudo: "ChargeTermPseudo",
	TagDestTermType:     "DestTermType",
	TagDestTermPseudo:   "DestTermPseudo",
	TagPkTotal:          "PkTotal",
	TagPkNumber:         "PkNumber",
	TagSubmitMsgType:    "SubmitMsgType",
	TagSPDealResult:     "SPDealResult",
	TagSrcTermType:      "SrcTermType",
	TagSrcTermPseudo:    "SrcTermPseudo",
	TagNodesCount:       "NodesCount",
	TagMsgSrc:           "MsgSrc",
	TagSrcType:          "SrcType",
	TagMServiceID:       "MServiceID",
}

// TagName returns the spec's name of a TLV tag, or "0x0014" style hex for a
// tag docs/protocols/smgp30.md §12 does not define.
func TagName(tag uint16) string {
	if int(tag) < len(tagNames) && tagNames[tag] != "" {
		return tagNames[tag]
	}
	var b [6]byte
	s := strconv.AppendUint(b[:0], uint64(tag), 16)
	out := []byte("0x0000")
	copy(out[6-len(s):], s)
	return string(out)
}

// TLV is one optional parameter. A PDU keeps its TLVs as an ordered slice,
// in wire order, unknown tags included, so that it re-encodes byte for byte.
// Value is the raw value: for string TLVs read it with Text, which trims
// trailing NULs.
type TLV struct {
	Tag   uint16
	Value codec.Octets
}

// Text returns the value with trailing NUL bytes trimmed (SMSGate sends
// string TLVs as text + NUL, the spec fixed width;
// docs/protocols/smgp30.md §12).
func (t TLV) Text() string { return string(trimTrailingNUL(t.Value)) }

// Uint8 reads a 1-byte TLV. A longer value is read as a big-endian integer
// and its lowest byte returned; an empty value reads as 0.
func (t TLV) Uint8() uint8 { return tlvUint8(t.Value) }

// MarshalJSON renders {"Tag":"0x0003","Name":"LinkID","Value":"<hex>"}.
func (t TLV) MarshalJSON() ([]byte, error) {
	var tag [6]byte
	s := strconv.AppendUint(tag[:0], uint64(t.Tag), 16)
	b := make([]byte, 0, 48+2*len(t.Value))
	b = append(b, `{"Tag":"0x`...)
	for i := len(s); i < 4; i++ {
		b = append(b, '0')
	}
	b = append(b, s...)
	b = append(b, `","Name":`...)
	name, _ := json.Marshal(TagName(t.Tag))
	b = append(b, name...)
	b = append(b, `,"Value":`...)
	v, _ := t.Value.MarshalJSON()
	b = append(b, v...)
	if txt := trimTrailingNUL(t.Value); len(t.Value) > 1 && isPrintable(txt) {
		// String TLVs (LinkID, MsgSrc, MServiceID) also as text, for humans.
		q, _ := json.Marshal(string(txt))
		b = append(b, `,"Text":`...)
		b = append(b, q...)
	}
	return append(b, '}'), nil
}

func isPrintable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func tlvUint8(v []byte) uint8 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}

func trimTrailingNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// AppendTLV appends one TLV (Tag, Length = len(value), Value) to dst. The
// proxy uses it to add a LinkID to a Deliver that has none: append it to
// the frame, then fix the PacketLength with codec.PutLength. A value longer
// than 65535 bytes is cut there, so the Length is always right.
func AppendTLV(dst []byte, tag uint16, value []byte) []byte {
	if len(value) > 0xffff {
		value = value[:0xffff]
	}
	dst = codec.AppendUint16(dst, tag)
	dst = codec.AppendUint16(dst, uint16(len(value)))
	return append(dst, value...)
}

// nextTLV splits the first TLV off b. ok is false when b cannot hold a whole
// TLV: fewer than 4 bytes, or a Length running past the end
// (docs/protocols/smgp30.md §12, V8). Does not allocate; value is a sub-slice
// of b with its capacity cut.
func nextTLV(b []byte) (tag uint16, value, rest []byte, ok bool) {
	if len(b) < TLVHeaderLen {
		return 0, nil, b, false
	}
	tag = binary.BigEndian.Uint16(b)
	n := int(binary.BigEndian.Uint16(b[2:]))
	end := TLVHeaderLen + n
	if end > len(b) {
		return 0, nil, b, false
	}
	return tag, b[TLVHeaderLen:end:end], b[end:], true
}

// parseTLVs reads the TLV area of a Submit or Deliver. A truncated area
// stops the walk: what is left is returned as trailer, to be re-emitted
// unchanged after the TLVs (the frame re-encodes byte for byte) and counted
// by the caller. tlvs is nil when the area holds no whole TLV.
func parseTLVs(area []byte) (tlvs []TLV, trailer []byte) {
	n := 0 // count first: one allocation of the right size
	for rest := area; len(rest) > 0; n++ {
		var ok bool
		if _, _, rest, ok = nextTLV(rest); !ok {
			break
		}
	}
	if n > 0 {
		tlvs = make([]TLV, 0, n)
	}
	for len(area) > 0 {
		tag, value, rest, ok := nextTLV(area)
		if !ok {
			return tlvs, area
		}
		tlvs = append(tlvs, TLV{Tag: tag, Value: value})
		area = rest
	}
	return tlvs, nil
}

// appendTLVs appends tlvs in order, then the trailer bytes.
func appendTLVs(dst []byte, tlvs []TLV, trailer []byte) []byte {
	for _, t := range tlvs {
		dst = AppendTLV(dst, t.Tag, t.Value)
	}
	return append(dst, trailer...)
}

// findTLV returns the value of the first TLV with tag.
func findTLV(tlvs []TLV, tag uint16) ([]byte, bool) {
	for _, t := range tlvs {
		if t.Tag == tag {
			return t.Value, true
		}
	}
	return nil, false
}

// setTLV replaces the value of the first TLV with tag, or appends one.
func setTLV(tlvs []TLV, tag uint16, value []byte) []TLV {
	for i := range tlvs {
		if tlvs[i].Tag == tag {
			tlvs[i].Value = value
			return tlvs
		}
	}
	return append(tlvs, TLV{Tag: tag, Value: value})
}
