package translate

import (
	"unicode/utf16"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
)

// One short message on the air interface holds 140 octets: 160 characters
// of a 7-bit alphabet, 140 bytes otherwise. A part of a concatenated
// message gives 6 of them to its header (8-bit reference): 153 characters,
// 134 bytes (docs/protocols/long-sms.md §4).
const (
	oneSeptets  = 160
	oneOctets   = 140
	partSeptets = 153
	partOctets  = 134
	maxParts    = 255
)

// sevenBit reports whether a coding's text is sized in septets: ASCII
// (which the SMSC sends as GSM 7-bit) and GSM 7-bit schemes.
func sevenBit(coding uint8) bool {
	a := text.AlphabetOf(coding)
	return a == text.AlphabetASCII || a == text.AlphabetGSM7
}

// splitUDH returns the header and the text of content.
func splitUDH(udhi bool, content []byte) (hdr, body []byte, h udh.Header) {
	if !udhi {
		return nil, content, udh.Header{}
	}
	h, ok := udh.Parse(content)
	if !ok {
		return nil, content, udh.Header{}
	}
	return content[:h.Len], content[h.Len:], h
}

// fitsOne reports whether a header of hdrLen bytes and a text of n bytes
// fit one short message in coding.
func fitsOne(coding uint8, hdrLen, n int) bool {
	if sevenBit(coding) {
		return (hdrLen*8+6)/7+n <= oneSeptets
	}
	return hdrLen+n <= oneOctets
}

// toUCS2 re-encodes GB text as UCS2: the target has no GB coding (SMPP).
// Invalid GB bytes become U+FFFD, as the handset would show them.
func toUCS2(gb []byte) []byte {
	s, _ := text.Decode(text.GBK, gb)
	u := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(u))
	for _, c := range u {
		out = append(out, byte(c>>8), byte(c))
	}
	return out
}

// fitCoding makes the coding one the target carries: GBK (15) becomes UCS2
// (8) where the target has no GB coding; the UDH is kept.
func fitCoding(coding uint8, udhi bool, content []byte, up codec.Capabilities) (uint8, []byte) {
	if coding != text.GBK || up.GBK {
		return coding, content
	}
	hdr, body, _ := splitUDH(udhi, content)
	u := toUCS2(body)
	out := make([]byte, 0, len(hdr)+len(u))
	return text.UCS2, append(append(out, hdr...), u...)
}

// cut returns how many bytes of b (at most max) make a whole number of
// characters in coding: UCS2 does not end inside a surrogate pair, GB not
// inside a two- or four-byte character, GSM 7-bit not after an escape.
func cut(coding uint8, b []byte, max int) int {
	if len(b) <= max {
		return len(b)
	}
	switch text.AlphabetOf(coding) {
	case text.AlphabetUCS2:
		n := max &^ 1
		if n >= 2 && b[n-2]&0xFC == 0xD8 { // a high surrogate: its pair follows
			n -= 2
		}
		return n
	case text.AlphabetGB:
		n := 0
		for n < len(b) {
			w := 1
			if b[n] >= 0x81 {
				w = 2
				if n+1 < len(b) && b[n+1] >= 0x30 && b[n+1] <= 0x39 {
					w = 4
				}
			}
			if n+w > max {
				break
			}
			n += w
		}
		return n
	case text.AlphabetGSM7:
		if b[max-1] == 0x1B {
			return max - 1
		}
	}
	return max
}

// splitParts cuts body into parts of one short message each and puts a
// concatenation header (reference ref, 8-bit) in front of each.
func splitParts(coding uint8, body []byte, ref uint8) ([][]byte, error) {
	size := partOctets
	if sevenBit(coding) {
		size = partSeptets
	}
	var chunks [][]byte
	for len(body) > 0 {
		n := cut(coding, body, size)
		if n == 0 {
			n = min(len(body), size)
		}
		chunks = append(chunks, body[:n])
		body = body[n:]
	}
	if len(chunks) > maxParts {
		return nil, ErrTooLong
	}
	parts := make([][]byte, len(chunks))
	for i, c := range chunks {
		p := make([]byte, 0, 6+len(c))
		p = udh.Append(p, udh.Concat{Ref: uint16(ref), Total: uint8(len(chunks)), Seq: uint8(i + 1)})
		parts[i] = append(p, c...)
	}
	return parts, nil
}
