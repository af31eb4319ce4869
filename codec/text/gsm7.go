package text

import (
	"strconv"
	"unicode/utf8"
)

// The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038
// §6.2.1 and §6.2.1.1). A character is one septet (0x00–0x7F); the
// extension table is reached by the escape septet 0x1B followed by a second
// septet, so "€" costs two septets (1B 65).
//
// Two wire forms exist, and this file handles both:
//
//   - unpacked, one septet per octet, the top bit 0: what SMPP carries in
//     short_message for data_coding 0 (the SMSC default alphabet) and for the
//     GSM 7-bit data coding schemes (0xF0–0xF3, 0x10–0x13, …). Decode and
//     Encode use this form for AlphabetGSM7.
//   - packed, 8 septets in 7 octets, least significant bit first (23.038
//     §6.1.2.1.1): the air interface's TP-UD, which some carriers pass
//     through unchanged in CMPP/SGIP/SMGP content under a GSM 7-bit DCS.
//     When the content starts with a user data header the septets start at
//     the next septet boundary after it (FillBits). No coding value tells
//     the packed form apart, so nothing picks it by itself: a caller that
//     knows its peer packs calls DecodeGSM7Packed / AppendGSM7Packed.
//
// No Go library of the alphabet was taken: github.com/warthog618/sms (the
// maintained one, with an encoding/gsm7 package) is not served by the
// module proxy this project builds from, and the copy of fiorix's table in
// github.com/linxGnu/gosmpp/data decodes through maps, returns an error on
// any unknown byte, and in packed form drops a final '@' or adds a spurious
// one (it guesses the septet count from whether the last octet is 0 instead
// of honouring the CR padding rule below). The table is 128 + 10 entries;
// it is written out here and checked against gosmpp's in the tests.

// gsm7Esc is the escape to the extension table (23.038 §6.2.1, note 1).
const gsm7Esc = 0x1B

// gsm7Basic is the default alphabet, indexed by septet. 0x1B (the escape)
// decodes as a space when it stands alone: 23.038 tells a receiver that does
// not understand an escape to show a space.
var gsm7Basic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsm7Ext is the extension table (23.038 §6.2.1.1): the septet after 0x1B.
// Codes not listed are shown as the default alphabet's character for the
// same code, as 23.038 tells a receiver to do; 1B 1B (reserved for a
// further table) shows a space.
var gsm7Ext = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

// gsm7Encode maps a character to its septet code: ext set for the
// extension table (two septets, 1B code). Built once from the tables above
// so that the two directions cannot disagree.
var gsm7Encode = func() map[rune]gsm7Code {
	m := make(map[rune]gsm7Code, 128+len(gsm7Ext))
	for code, r := range gsm7Basic {
		if code != gsm7Esc {
			m[r] = gsm7Code{code: byte(code)}
		}
	}
	for code, r := range gsm7Ext {
		m[r] = gsm7Code{code: code, ext: true}
	}
	return m
}()

type gsm7Code struct {
	code byte
	ext  bool
}

// ErrNotGSM7 is wrapped by the error Encode returns for a character the GSM
// 7-bit alphabet cannot carry.
var ErrNotGSM7 = errorString("text: character not in the GSM 7-bit alphabet")

type errorString string

func (e errorString) Error() string { return string(e) }

// GSM7Error names the character that does not fit and its byte offset in
// the string. It unwraps to ErrNotGSM7.
type GSM7Error struct {
	Rune   rune
	Offset int
}

func (e *GSM7Error) Error() string {
	return "text: " + strconv.QuoteRune(e.Rune) + " at offset " + strconv.Itoa(e.Offset) +
		" is not in the GSM 7-bit alphabet"
}

func (e *GSM7Error) Unwrap() error { return ErrNotGSM7 }

// DecodeGSM7 turns unpacked septets (one a byte) into text. It never fails:
// a byte above 0x7F is not a septet and becomes U+FFFD; an escape followed
// by a code the extension table does not define shows that code's default
// character; a lone escape at the end shows a space (23.038 §6.2.1).
func DecodeGSM7(septets []byte) string {
	b := make([]byte, 0, len(septets)+len(septets)/2)
	for i := 0; i < len(septets); i++ {
		c := septets[i]
		if c >= 0x80 {
			b = utf8.AppendRune(b, utf8.RuneError)
			continue
		}
		if c == gsm7Esc && i+1 < len(septets) && septets[i+1] < 0x80 {
			i++
			b = utf8.AppendRune(b, gsm7ExtRune(septets[i]))
			continue
		}
		b = utf8.AppendRune(b, gsm7Basic[c])
	}
	return string(b)
}

func gsm7ExtRune(code byte) rune {
	if r, ok := gsm7Ext[code]; ok {
		return r
	}
	return gsm7Basic[code] // 1B 1B: the basic table's 0x1B, a space
}

// AppendGSM7 appends s as unpacked septets (one a byte, extension
// characters as 1B xx). A character outside the alphabet fails with a
// *GSM7Error naming it; nothing is appended then.
func AppendGSM7(dst []byte, s string) ([]byte, error) {
	start := len(dst)
	for i, r := range s {
		c, ok := gsm7Encode[r]
		if !ok {
			return dst[:start], &GSM7Error{Rune: r, Offset: i}
		}
		if c.ext {
			dst = append(dst, gsm7Esc)
		}
		dst = append(dst, c.code)
	}
	return dst, nil
}

// GSM7Septets returns how many septets s takes in the GSM 7-bit alphabet
// (extension characters count two), or -1 when a character does not fit.
func GSM7Septets(s string) int {
	n := 0
	for _, r := range s {
		c, ok := gsm7Encode[r]
		if !ok {
			return -1
		}
		n++
		if c.ext {
			n++
		}
	}
	return n
}

// FillBits is the number of fill bits between a user data header of
// udhLen octets (UDHL byte included) and the first packed septet, which
// starts on a septet boundary (3GPP TS 23.040 §9.2.3.24). 0 without a UDH.
func FillBits(udhLen int) int {
	if udhLen <= 0 {
		return 0
	}
	return (7 - (udhLen*8)%7) % 7
}

// gsm7CR is the padding septet of the packed form: when the last octet has
// 7 spare bits the sender fills them with CR, so that a receiver does not
// read an eighth septet '@' (23.038 §6.1.2.3.1).
const gsm7CR = 0x0D

// UnpackSeptets appends the septets packed in b, after skipping fill bits
// (0–6) at the start of b. The septet count is what the bits hold. When
// the bits hold a whole number of septets and the last one is CR, that CR
// is the padding PackSeptets adds and is dropped (23.038 §6.1.2.3.1: seven
// spare bits at the end are set to CR, so that a receiver that only knows
// the octet count does not read an eighth septet '@').
func UnpackSeptets(dst, b []byte, fill int) []byte {
	bits := len(b)*8 - fill
	if fill < 0 || fill > 6 || bits < 7 {
		return dst
	}
	n := bits / 7
	for i := 0; i < n; i++ {
		bit := fill + i*7
		byteIdx, shift := bit/8, uint(bit%8)
		v := uint16(b[byteIdx]) >> shift
		if shift > 1 {
			v |= uint16(b[byteIdx+1]) << (8 - shift)
		}
		dst = append(dst, byte(v&0x7F))
	}
	if bits%7 == 0 && dst[len(dst)-1] == gsm7CR {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// PackSeptets appends septets packed 8 in 7 octets, least significant bit
// first, after fill zero bits (0–6). Two CRs are added as 23.038
// §6.1.2.3.1 says: one when the last octet would end with 7 spare bits
// (UnpackSeptets drops it), and one after a final CR that ends exactly on
// an octet boundary (the receiver then shows CR CR, which the spec defines
// to mean the same as one CR).
func PackSeptets(dst, septets []byte, fill int) []byte {
	if fill < 0 || fill > 6 {
		fill = 0
	}
	n := len(septets)
	end := (fill + n*7) % 8
	pad := end == 1 || (end == 0 && n > 0 && septets[n-1] == gsm7CR)
	var acc uint32
	nbits := uint(fill)
	emit := func(s byte) {
		acc |= uint32(s&0x7F) << nbits
		nbits += 7
		for nbits >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			nbits -= 8
		}
	}
	for _, s := range septets {
		emit(s)
	}
	if pad {
		emit(gsm7CR)
	}
	if nbits > 0 {
		dst = append(dst, byte(acc))
	}
	return dst
}

// DecodeGSM7Packed decodes packed septets that start fill bits into b (use
// FillBits of the UDH length when the content carries a UDH, and pass the
// content after it).
func DecodeGSM7Packed(b []byte, fill int) string {
	return DecodeGSM7(UnpackSeptets(make([]byte, 0, len(b)*8/7+1), b, fill))
}

// AppendGSM7Packed appends s as packed septets after fill zero bits.
func AppendGSM7Packed(dst []byte, s string, fill int) ([]byte, error) {
	septets, err := AppendGSM7(make([]byte, 0, len(s)), s)
	if err != nil {
		return dst, err
	}
	return PackSeptets(dst, septets, fill), nil
}
