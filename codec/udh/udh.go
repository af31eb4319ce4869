// Package udh reads the user data header (3GPP TS 23.040 §9.2.3.24) that
// starts the content of a concatenated (long) short message, without
// allocating. A proxy never re-segments or strips a UDH
// (docs/protocols/long-sms.md §2): it reads the concatenation element only to
// log and authorize segments.
package udh

// Concatenation information element identifiers
// (docs/protocols/long-sms.md §1.1).
const (
	IEIConcat8  = 0x00 // 8-bit reference: IEDL 3 = ref, total, seq
	IEIConcat16 = 0x08 // 16-bit reference: IEDL 4 = ref hi, ref lo, total, seq
)

// Concat is the concatenation element of a UDH.
type Concat struct {
	Ref   uint16 // reference, constant across the segments of one message
	Total uint8  // number of segments, 1–255
	Seq   uint8  // this segment, 1…Total
	Wide  bool   // the reference is 16-bit (IEI 0x08)
}

// Header is what Parse found.
type Header struct {
	Len       int    // 1 + UDHL: bytes of content taken by the header
	Concat    Concat // valid when HasConcat
	HasConcat bool
}

// Parse reads the UDH at the start of content. ok is false when content
// cannot hold the header UDHL announces, or when the information elements do
// not fill UDHL exactly; 23.040 then says to ignore the whole header.
//
// Rules applied (docs/protocols/long-sms.md §1): elements in any order; a
// repeated concatenation element: the last wins; an element with the wrong
// IEDL is not a concatenation element; total 0, seq 0 or seq > total: the
// element is ignored.
func Parse(content []byte) (h Header, ok bool) {
	if len(content) < 1 {
		return Header{}, false
	}
	udhl := int(content[0])
	if len(content) < 1+udhl {
		return Header{}, false
	}
	ies := content[1 : 1+udhl]
	for i := 0; i < len(ies); {
		if i+2 > len(ies) {
			return Header{}, false
		}
		iei, iedl := ies[i], int(ies[i+1])
		data := ies[i+2:]
		if iedl > len(data) {
			return Header{}, false
		}
		data = data[:iedl]
		switch {
		case iei == IEIConcat8 && iedl == 3:
			if c := (Concat{Ref: uint16(data[0]), Total: data[1], Seq: data[2]}); c.valid() {
				h.Concat, h.HasConcat = c, true
			}
		case iei == IEIConcat16 && iedl == 4:
			if c := (Concat{Ref: uint16(data[0])<<8 | uint16(data[1]), Total: data[2], Seq: data[3], Wide: true}); c.valid() {
				h.Concat, h.HasConcat = c, true
			}
		}
		i += 2 + iedl
	}
	h.Len = 1 + udhl
	return h, true
}

func (c Concat) valid() bool { return c.Total != 0 && c.Seq != 0 && c.Seq <= c.Total }

// Append appends a one-element concatenation UDH for c: 6 bytes
// (05 00 03 RR TT SS) or, when c.Wide, 7 bytes (06 08 04 RR RR TT SS).
func Append(dst []byte, c Concat) []byte {
	if c.Wide {
		return append(dst, 6, IEIConcat16, 4, byte(c.Ref>>8), byte(c.Ref), c.Total, c.Seq)
	}
	return append(dst, 5, IEIConcat8, 3, byte(c.Ref), c.Total, c.Seq)
}

// Flag reports whether a TP_udhi value announces a UDH. The specs use the
// lowest bit; gateways copy the GSM first-octet bit 6 and send 0x40
// (docs/protocols/cmpp.md §14 V11), so both count
// (docs/protocols/long-sms.md §2).
func Flag(tpUDHI uint8) bool { return tpUDHI&0x41 != 0 }
