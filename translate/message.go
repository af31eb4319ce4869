package translate

import (
	"strconv"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// TextCoding chooses the coding of a text spsmg encodes itself: ASCII when
// every character is ASCII; otherwise GB (15) when gb is set, the upstream
// has the coding and every character is in GBK (two bytes at most: a
// handset of a GBK gateway may not show GB18030's four-byte characters);
// otherwise UCS2, which every handset reads.
func TextCoding(s string, gb bool, up codec.Capabilities) (uint8, []byte) {
	if b, err := text.Encode(text.ASCII, s); err == nil {
		return text.ASCII, b
	}
	if gb && up.GBK {
		if b, err := text.Encode(text.GBK, s); err == nil && !hasGB4(b) {
			return text.GBK, b
		}
	}
	b, _ := text.Encode(text.UCS2, s) // UCS2 carries every character
	return text.UCS2, b
}

// hasGB4 reports whether GB18030 text holds a four-byte character.
func hasGB4(b []byte) bool {
	for i := 0; i < len(b); {
		switch {
		case b[i] < 0x81:
			i++
		case i+1 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39:
			return true
		default:
			i += 2
		}
	}
	return false
}

// Message makes the upstream Submits that carry one message given as
// text rather than in a protocol (a merchant system's JSON request): s
// with the text encoded (TextCoding) as its content, or, when the text
// does not fit one short message and the upstream has no long messages
// (everything but SMPP), one Submit per part of 153 characters (ASCII) or
// 134 bytes (UCS2, GB), never cut inside a character, each with a
// concatenation header (8-bit reference ref), UDHI set and the part
// fields (docs/translation.md §2.6). s.Content and s.UDHI are ignored.
// More than 255 parts is an *Error of class bad_message.
func Message(s codec.Submit, msg string, gb bool, up codec.Capabilities, ref uint8) ([]codec.Submit, error) {
	s.Coding, s.Content = TextCoding(msg, gb, up)
	s.UDHI, s.PkTotal, s.PkNumber = false, 0, 0
	if up.LongContent || fitsOne(s.Coding, 0, len(s.Content)) {
		return []codec.Submit{s}, nil
	}
	parts, err := splitParts(s.Coding, s.Content, ref)
	if err != nil {
		return nil, &Error{Class: codec.ResultBadMessage, Err: err, Value: strconv.Itoa(len(s.Content)) + " bytes",
			Field: "message (at most 255 parts)"}
	}
	out := make([]codec.Submit, len(parts))
	for i, p := range parts {
		m := s
		m.Content, m.UDHI, m.PkTotal, m.PkNumber = p, true, uint8(len(parts)), uint8(i+1)
		out[i] = m
	}
	return out, nil
}
