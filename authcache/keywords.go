package authcache

import (
	"strings"
	"unicode"
)

// textKind classifies an MO text by the configured keywords.
type textKind uint8

const (
	textOther          textKind = iota
	textYes                     // Keywords.Yes
	textNo                      // Keywords.No
	textUnsubscribe             // Keywords.Unsubscribe prefix (+ service code)
	textUnsubscribeAll          // Keywords.UnsubscribeAll
)

// normalizeText prepares a keyword or an MO text for matching: full-width
// ASCII forms (U+FF01–U+FF5E, what a Chinese input method types for "Ｙ")
// fold to ASCII, every space (including U+3000) is dropped, ASCII letters
// are upper-cased. Other characters are kept, so keywords such as 是 work.
func normalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFF01 - 0x21
		}
		switch {
		case unicode.IsSpace(r) || r == 0:
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parse classifies an MO text. For textUnsubscribe, service is the
// upper-cased remainder after the prefix ("" = every service of the SP);
// service codes are matched against it ignoring case.
func (ks *keywordSet) parse(text string) (kind textKind, service string) {
	n := normalizeText(text)
	if n == "" {
		return textOther, ""
	}
	for _, l := range []struct {
		words []string
		kind  textKind
	}{{ks.yes, textYes}, {ks.no, textNo}, {ks.unsubAll, textUnsubscribeAll}} {
		for _, w := range l.words {
			if n == w {
				return l.kind, ""
			}
		}
	}
	for _, p := range ks.unsubPrefix {
		if strings.HasPrefix(n, p) {
			return textUnsubscribe, n[len(p):]
		}
	}
	return textOther, ""
}
