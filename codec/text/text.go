// Package text turns short-message content into text and back by the
// coding value the carriers' protocols carry (CMPP Msg_Fmt, SGIP
// MessageCoding, SMGP MsgFormat; long-sms.md §3). It is used off the hot
// path: by the decode tool, logs, the simulators and the messages spsmg
// itself originates.
package text

import (
	"errors"
	"strconv"
	"unicode/utf16"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Coding values shared by CMPP, SGIP and SMGP.
const (
	ASCII  uint8 = 0  // ASCII
	SIM    uint8 = 3  // SIM-card write operation (binary)
	Binary uint8 = 4  // 8-bit binary
	UCS2   uint8 = 8  // UCS2, UTF-16BE without BOM
	GBK    uint8 = 15 // "contains GB Chinese": GBK in CMPP/SGIP, GB18030 in SMGP
)

// ErrBinary is returned for codings that carry data, not text.
var ErrBinary = errors.New("text: binary coding carries no text")

// ErrOddUCS2 is returned for UCS2 content of odd length.
var ErrOddUCS2 = errors.New("text: UCS2 content has an odd number of bytes")

// Alphabet is how a coding value's content is to be read.
type Alphabet uint8

const (
	AlphabetASCII  Alphabet = iota // 7-bit text, one byte a character (also unpacked GSM 7-bit)
	AlphabetUCS2                   // UTF-16BE
	AlphabetGB                     // GBK / GB18030
	AlphabetBinary                 // 8-bit data
)

// AlphabetOf maps a coding value to its alphabet. Values other than the
// protocols' own (0, 3, 4, 8, 15) are read as GSM 03.38 data coding schemes
// (3GPP TS 23.038 §4): groups 00xx/01xx by bits 3–2, group 1111 by bit 2.
func AlphabetOf(coding uint8) Alphabet {
	switch coding {
	case ASCII:
		return AlphabetASCII
	case UCS2:
		return AlphabetUCS2
	case GBK:
		return AlphabetGB
	case SIM, Binary:
		return AlphabetBinary
	}
	switch coding >> 4 {
	case 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7: // general data coding / auto-deletion groups
		switch (coding >> 2) & 3 {
		case 0:
			return AlphabetASCII
		case 2:
			return AlphabetUCS2
		}
		return AlphabetBinary
	case 0xE: // message waiting, store, UCS2
		return AlphabetUCS2
	case 0xC, 0xD: // message waiting, GSM 7-bit
		return AlphabetASCII
	case 0xF:
		if coding&0x04 == 0 {
			return AlphabetASCII
		}
	}
	return AlphabetBinary
}

// Name names a coding value for humans: "ASCII", "UCS2", "GBK", "binary",
// "SIM", or "DCS 0xF5" for a GSM data coding scheme.
func Name(coding uint8) string {
	switch coding {
	case ASCII:
		return "ASCII"
	case SIM:
		return "SIM"
	case Binary:
		return "binary"
	case UCS2:
		return "UCS2"
	case GBK:
		return "GBK"
	}
	const digits = "0123456789ABCDEF"
	return "DCS 0x" + string([]byte{digits[coding>>4], digits[coding&15]})
}

// Decode returns content as text. Binary codings return ErrBinary; the
// caller shows hex instead. Bytes that are not valid in the coding become
// U+FFFD rather than an error: operators want to see what arrived.
func Decode(coding uint8, content []byte) (string, error) {
	switch AlphabetOf(coding) {
	case AlphabetASCII:
		return string(content), nil
	case AlphabetUCS2:
		if len(content)%2 != 0 {
			return "", ErrOddUCS2
		}
		u := make([]uint16, len(content)/2)
		for i := range u {
			u[i] = uint16(content[2*i])<<8 | uint16(content[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	case AlphabetGB:
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(content)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", ErrBinary
}

// Encode turns s into content for coding: ASCII bytes as they are, UCS2 as
// UTF-16BE, GBK through GB18030 (a superset, safe for GBK text,
// long-sms.md §3). Binary codings cannot be encoded from text.
func Encode(coding uint8, s string) ([]byte, error) {
	switch AlphabetOf(coding) {
	case AlphabetASCII:
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return nil, errors.New("text: non-ASCII byte at " + strconv.Itoa(i) + " for ASCII coding")
			}
		}
		return []byte(s), nil
	case AlphabetUCS2:
		u := utf16.Encode([]rune(s))
		b := make([]byte, 0, 2*len(u))
		for _, c := range u {
			b = append(b, byte(c>>8), byte(c))
		}
		return b, nil
	case AlphabetGB:
		return simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	}
	return nil, ErrBinary
}
