// Package text turns short-message content into text and back by the
// coding value the protocols carry: CMPP Msg_Fmt, SGIP MessageCoding and
// SMGP MsgFormat share one table (Decode, Encode, AlphabetOf); SMPP's
// data_coding has its own for 0x00–0x0F (DecodeSMPP, EncodeSMPP,
// AlphabetOfSMPP). Above those, both read the value as a GSM data coding
// scheme (3GPP TS 23.038 §4). The GSM 7-bit default alphabet is in
// gsm7.go. It is used off the hot path: by the decode tool, logs, the
// simulators and the messages spsmg itself originates.
//
// The two tables differ where it matters for protocol translation:
//
//	value  CMPP/SGIP/SMGP          SMPP data_coding
//	0      ASCII                   SMSC default alphabet: GSM 7-bit
//	1      (GSM DCS: GSM 7-bit)    IA5 (ASCII)
//	3      SIM-card write (binary) Latin-1
//	15     GBK / GB18030           reserved (GSM DCS: 8-bit data)
package text

import (
	"errors"
	"strconv"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
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

// ErrUnsupported is returned for a character set this package names but
// does not decode (SMPP's JIS, pictogram, ISO-2022-JP, Kanji, KS C 5601).
var ErrUnsupported = errors.New("text: character set not decoded")

// Alphabet is how a coding value's content is to be read.
type Alphabet uint8

const (
	AlphabetASCII    Alphabet = iota // 7-bit text, one byte a character
	AlphabetUCS2                     // UTF-16BE
	AlphabetGB                       // GBK / GB18030
	AlphabetBinary                   // 8-bit data
	AlphabetGSM7                     // GSM 7-bit default alphabet, unpacked: one septet a byte (gsm7.go)
	AlphabetLatin1                   // ISO-8859-1 (SMPP data_coding 3)
	AlphabetCyrillic                 // ISO-8859-5 (SMPP data_coding 6)
	AlphabetHebrew                   // ISO-8859-8 (SMPP data_coding 7)
	AlphabetOther                    // a named character set not decoded here (ErrUnsupported)
)

// AlphabetOf maps a CMPP/SGIP/SMGP coding value to its alphabet. Values
// other than the protocols' own (0, 3, 4, 8, 15) are read as GSM data
// coding schemes (dcsAlphabet).
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
	return dcsAlphabet(coding)
}

// SMPP data_coding values (SMPP 3.4 §5.2.19) that have a name of their own.
const (
	SMPPDefault   uint8 = 0x00 // SMSC default alphabet: GSM 7-bit here
	SMPPIA5       uint8 = 0x01 // IA5 (CCITT T.50) / ASCII
	SMPPBinary    uint8 = 0x02 // 8-bit binary
	SMPPLatin1    uint8 = 0x03 // ISO-8859-1
	SMPPBinary4   uint8 = 0x04 // 8-bit binary
	SMPPJIS       uint8 = 0x05 // JIS (X 0208-1990)
	SMPPCyrillic  uint8 = 0x06 // ISO-8859-5
	SMPPHebrew    uint8 = 0x07 // ISO-8859-8
	SMPPUCS2      uint8 = 0x08 // UCS2 (ISO/IEC-10646)
	SMPPPictogram uint8 = 0x09 // pictogram encoding
	SMPPISO2022JP uint8 = 0x0A // ISO-2022-JP (music codes)
	SMPPKanji     uint8 = 0x0D // extended Kanji JIS (X 0212-1990)
	SMPPKSC5601   uint8 = 0x0E // KS C 5601
)

// AlphabetOfSMPP maps an SMPP data_coding value to its alphabet: SMPP's own
// table for 0x00–0x0F (0 is the SMSC default alphabet, taken to be GSM
// 7-bit as on most SMSCs; 0x0B, 0x0C and 0x0F are reserved and read as
// binary), a GSM data coding scheme above.
func AlphabetOfSMPP(dataCoding uint8) Alphabet {
	switch dataCoding {
	case SMPPDefault:
		return AlphabetGSM7
	case SMPPIA5:
		return AlphabetASCII
	case SMPPLatin1:
		return AlphabetLatin1
	case SMPPCyrillic:
		return AlphabetCyrillic
	case SMPPHebrew:
		return AlphabetHebrew
	case SMPPUCS2:
		return AlphabetUCS2
	case SMPPJIS, SMPPPictogram, SMPPISO2022JP, SMPPKanji, SMPPKSC5601:
		return AlphabetOther
	}
	if dataCoding <= 0x0F {
		return AlphabetBinary // 0x02, 0x04 and the reserved 0x0B, 0x0C, 0x0F
	}
	return dcsAlphabet(dataCoding)
}

// dcsAlphabet reads a GSM data coding scheme (3GPP TS 23.038 §4): the
// general and automatic-deletion groups 00xx/01xx by bits 3–2 (00 GSM
// 7-bit, 01 8-bit, 10 UCS2; a compressed text, bit 5, is data), the
// message-waiting groups 1100/1101 (GSM 7-bit) and 1110 (UCS2), and the
// message-class group 1111 by bit 2 (0 GSM 7-bit, 1 8-bit).
func dcsAlphabet(dcs uint8) Alphabet {
	switch dcs >> 4 {
	case 0x0, 0x1, 0x4, 0x5: // general / auto-deletion, uncompressed
		switch (dcs >> 2) & 3 {
		case 0:
			return AlphabetGSM7
		case 2:
			return AlphabetUCS2
		}
		return AlphabetBinary
	case 0xC, 0xD: // message waiting, GSM 7-bit
		return AlphabetGSM7
	case 0xE: // message waiting, store, UCS2
		return AlphabetUCS2
	case 0xF:
		if dcs&0x04 == 0 {
			return AlphabetGSM7
		}
	}
	return AlphabetBinary // compressed, reserved groups, 8-bit data
}

// Name names a CMPP/SGIP/SMGP coding value for humans: "ASCII", "UCS2",
// "GBK", "binary", "SIM", or "DCS 0xF5" for a GSM data coding scheme.
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
	return dcsName(coding)
}

// NameSMPP names an SMPP data_coding value for humans: "GSM7" for 0,
// "IA5", "binary", "Latin-1", "UCS2", … for SMPP's own values, "DCS 0xF0"
// for a GSM data coding scheme.
func NameSMPP(dataCoding uint8) string {
	switch dataCoding {
	case SMPPDefault:
		return "GSM7"
	case SMPPIA5:
		return "IA5"
	case SMPPBinary, SMPPBinary4:
		return "binary"
	case SMPPLatin1:
		return "Latin-1"
	case SMPPJIS:
		return "JIS"
	case SMPPCyrillic:
		return "Cyrillic"
	case SMPPHebrew:
		return "Hebrew"
	case SMPPUCS2:
		return "UCS2"
	case SMPPPictogram:
		return "pictogram"
	case SMPPISO2022JP:
		return "ISO-2022-JP"
	case SMPPKanji:
		return "Kanji"
	case SMPPKSC5601:
		return "KS C 5601"
	}
	return dcsName(dataCoding)
}

func dcsName(v uint8) string {
	const digits = "0123456789ABCDEF"
	return "DCS 0x" + string([]byte{digits[v>>4], digits[v&15]})
}

// gbUserDefined reports whether r is one of the private-use characters
// U+E000–U+E864 that GBK places in its user-defined areas. The GB18030
// encoder writes them as four-byte sequences that its decoder reads back as
// other characters (U+E000 comes back as U+F014), so the GB alphabet
// refuses them rather than send text the recipient would read wrong.
func gbUserDefined(r rune) bool { return r >= 0xE000 && r <= 0xE864 }

// Decode returns CMPP/SGIP/SMGP content as text (DecodeAlphabet of
// AlphabetOf(coding)).
func Decode(coding uint8, content []byte) (string, error) {
	return DecodeAlphabet(AlphabetOf(coding), content)
}

// DecodeSMPP returns SMPP short_message or message_payload content as
// text (DecodeAlphabet of AlphabetOfSMPP(dataCoding)). Content that
// carries a UDH must be passed without it.
func DecodeSMPP(dataCoding uint8, content []byte) (string, error) {
	return DecodeAlphabet(AlphabetOfSMPP(dataCoding), content)
}

// DecodeAlphabet returns content as text. Binary data returns ErrBinary,
// a character set not decoded here ErrUnsupported; the caller shows hex
// instead. Bytes that are not valid in the alphabet become U+FFFD rather
// than an error: operators want to see what arrived.
func DecodeAlphabet(a Alphabet, content []byte) (string, error) {
	switch a {
	case AlphabetASCII:
		return string(content), nil
	case AlphabetGSM7:
		return DecodeGSM7(content), nil
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
		return decodeWith(simplifiedchinese.GB18030, content)
	case AlphabetLatin1:
		return decodeWith(charmap.ISO8859_1, content)
	case AlphabetCyrillic:
		return decodeWith(charmap.ISO8859_5, content)
	case AlphabetHebrew:
		return decodeWith(charmap.ISO8859_8, content)
	case AlphabetOther:
		return "", ErrUnsupported
	}
	return "", ErrBinary
}

func decodeWith(e encoding.Encoding, content []byte) (string, error) {
	b, err := e.NewDecoder().Bytes(content)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Encode turns s into CMPP/SGIP/SMGP content for coding (EncodeAlphabet
// of AlphabetOf(coding)).
func Encode(coding uint8, s string) ([]byte, error) {
	return EncodeAlphabet(AlphabetOf(coding), s)
}

// EncodeSMPP turns s into SMPP content for dataCoding (EncodeAlphabet of
// AlphabetOfSMPP(dataCoding)): data_coding 0 as unpacked GSM 7-bit septets.
func EncodeSMPP(dataCoding uint8, s string) ([]byte, error) {
	return EncodeAlphabet(AlphabetOfSMPP(dataCoding), s)
}

// EncodeAlphabet turns s into content: ASCII bytes as they are, GSM 7-bit
// as unpacked septets, UCS2 as UTF-16BE, GB through GB18030 (GBK is a
// subset, so GBK text comes out the same), the ISO-8859 sets byte for byte. A
// character the alphabet cannot carry is an error naming it; binary and
// undecoded sets cannot be encoded from text.
func EncodeAlphabet(a Alphabet, s string) ([]byte, error) {
	switch a {
	case AlphabetASCII:
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return nil, errors.New("text: non-ASCII byte at " + strconv.Itoa(i) + " for ASCII coding")
			}
		}
		return []byte(s), nil
	case AlphabetGSM7:
		return AppendGSM7(make([]byte, 0, len(s)), s)
	case AlphabetUCS2:
		u := utf16.Encode([]rune(s))
		b := make([]byte, 0, 2*len(u))
		for _, c := range u {
			b = append(b, byte(c>>8), byte(c))
		}
		return b, nil
	case AlphabetGB:
		for i, r := range s {
			if gbUserDefined(r) {
				return nil, errors.New("text: " + strconv.QuoteRuneToASCII(r) + " at offset " + strconv.Itoa(i) +
					" is a private-use character the GB coding cannot carry (it would read back as another)")
			}
		}
		return simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	case AlphabetLatin1:
		return charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
	case AlphabetCyrillic:
		return charmap.ISO8859_5.NewEncoder().Bytes([]byte(s))
	case AlphabetHebrew:
		return charmap.ISO8859_8.NewEncoder().Bytes([]byte(s))
	case AlphabetOther:
		return nil, ErrUnsupported
	}
	return nil, ErrBinary
}
