package text

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	gosmppdata "github.com/linxGnu/gosmpp/data"
)

// The whole default alphabet in septet order (0x1B, the escape, left
// out) and the extension table: the strings the vectors below encode.
const (
	gsm7All = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7ExtAll = "^{}\\[~]|€"
)

func TestGSM7Unpacked(t *testing.T) {
	var all []byte
	for c := 0; c < 128; c++ {
		if c != 0x1B {
			all = append(all, byte(c))
		}
	}
	cases := []struct {
		name    string
		text    string
		septets []byte
	}{
		{"every default character, in code order", gsm7All, all},
		{"the extension table as 1B xx", gsm7ExtAll, unhex("1b14 1b28 1b29 1b2f 1b3c 1b3d 1b3e 1b40 1b65")},
		{"form feed is an extension character", "\f", unhex("1b0a")},
		{"digits and an escaped bracket", "12345[6", unhex("3132333435 1b3c 36")},
		{"empty", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AppendGSM7(nil, c.text)
			if err != nil || !bytes.Equal(got, c.septets) {
				t.Fatalf("AppendGSM7(%q) = %x, %v; want %x", c.text, got, err, c.septets)
			}
			if s := DecodeGSM7(c.septets); s != c.text {
				t.Fatalf("DecodeGSM7(%x) = %q, want %q", c.septets, s, c.text)
			}
			if n := GSM7Septets(c.text); n != len(c.septets) {
				t.Fatalf("GSM7Septets = %d, want %d", n, len(c.septets))
			}
		})
	}
}

func TestGSM7DecodeTolerance(t *testing.T) {
	cases := []struct {
		name    string
		septets string
		want    string
	}{
		{"a byte above 0x7F is not a septet", "41 80 42", "A\uFFFDB"},
		{"a lone escape at the end shows a space", "41 1b", "A "},
		{"an undefined extension code shows the default character", "1b 41", "A"},
		{"escape escape shows a space", "1b 1b 41", " A"},
		{"an escape before a non-septet", "1b 80", " \uFFFD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DecodeGSM7(unhex(c.septets)); got != c.want {
				t.Fatalf("DecodeGSM7(%s) = %q, want %q", c.septets, got, c.want)
			}
		})
	}
}

func TestGSM7EncodeError(t *testing.T) {
	dst := []byte("keep")
	out, err := AppendGSM7(dst, "ab你c")
	var ge *GSM7Error
	if !errors.As(err, &ge) || !errors.Is(err, ErrNotGSM7) || ge.Rune != '你' || ge.Offset != 2 {
		t.Fatalf("err = %v", err)
	}
	if string(out) != "keep" {
		t.Fatalf("a failed encode appended %q", out[4:])
	}
	if !strings.Contains(err.Error(), "'你' at offset 2") {
		t.Fatalf("message %q", err)
	}
	if GSM7Septets("ç") != -1 {
		t.Fatal("ç counted as a GSM character (only Ç is in the table)")
	}
}

// Packed vectors from github.com/linxGnu/gosmpp's data/7bit_test.go (an
// independent implementation) plus the "hellohello" example that GSM
// tutorials use, and the CR padding rule of 3GPP TS 23.038 §6.1.2.3.1.
func TestGSM7Packed(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		fill   int
		packed string
	}{
		{"one septet", "1", 0, "31"},
		{"two septets", "12", 0, "3119"},
		{"six septets", "123456", 0, "31d98c56b301"},
		{"eight septets fill seven octets", "12345678", 0, "31d98c56b3dd70"},
		{"nine septets", "123456789", 0, "31d98c56b3dd7039"},
		{"hellohello", "hellohello", 0, "e8329bfd4697d9ec37"},
		{"form feed is escape + 0x0A", "\f", 0, "1b05"},
		{"the extension table", gsm7ExtAll, 0, "1bca06b5496d5e1bdea6b7f16d809b32"},
		{"every default character but LF and CR", strings.NewReplacer("\n", "", "\r", "").Replace(gsm7All), 0,
			"8080604028180e88c482e17840229209a562b960321a4ec7f30185442352c974" +
				"42a5542b56cbf582c564335acd76c3e5743b5ecff70306854362d1784426954b" +
				"66d3f98446a5536ad57ac566b55b6ed7fb0587c56372d97c46a7d56b76dbfd86" +
				"c7e5737add7ec7e7f57b7edfff07"},
		// Seven spare bits at the end are set to CR, so that the receiver does
		// not read an eighth septet '@' (gosmpp leaves them 0: DD 00).
		{"seven septets: CR in the seven spare bits", "1234567", 0, "31d98c56b3dd1a"},
		// A UDH of 6 octets (05 00 03 ..) is followed by 1 fill bit.
		{"after a 6-octet UDH: 1 fill bit", "A", FillBits(6), "82"},
		{"after a 7-octet UDH: 0 fill bits", "A", FillBits(7), "41"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := unhex(c.packed)
			got, err := AppendGSM7Packed(nil, c.text, c.fill)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("AppendGSM7Packed(%q, %d) = %x, %v; want %x", c.text, c.fill, got, err, want)
			}
			if s := DecodeGSM7Packed(want, c.fill); s != c.text {
				t.Fatalf("DecodeGSM7Packed(%x, %d) = %q, want %q", want, c.fill, s, c.text)
			}
		})
	}
	t.Run("gosmpp's seven septets without padding read as an eighth '@'", func(t *testing.T) {
		if s := DecodeGSM7Packed(unhex("31d98c56b3dd00"), 0); s != "1234567@" {
			t.Fatalf("%q", s)
		}
	})
	t.Run("a real final CR on an octet boundary is sent twice", func(t *testing.T) {
		p, _ := AppendGSM7Packed(nil, "1234567\r", 0)
		if s := DecodeGSM7Packed(p, 0); s != "1234567\r\r" {
			t.Fatalf("%x → %q", p, s)
		}
	})
}

func TestFillBits(t *testing.T) {
	// 3GPP TS 23.040 §9.2.3.24: septets start at the first septet boundary
	// after the UDH; (UDHL+1)·8 + fill is a multiple of 7.
	for udhLen, want := range map[int]int{0: 0, 1: 6, 6: 1, 7: 0, 8: 6, 12: 2, 13: 1, 14: 0} {
		if got := FillBits(udhLen); got != want {
			t.Errorf("FillBits(%d) = %d, want %d", udhLen, got, want)
		}
		if udhLen > 0 && (udhLen*8+FillBits(udhLen))%7 != 0 {
			t.Errorf("FillBits(%d) does not reach a septet boundary", udhLen)
		}
	}
}

// TestGSM7AgainstGosmpp checks our table against the one gosmpp carries
// (taken from fiorix/go-smpp): every character of both tables encodes to
// the same unpacked septets, and every septet sequence gosmpp accepts
// decodes to the same text.
func TestGSM7AgainstGosmpp(t *testing.T) {
	theirs := gosmppdata.GSM7BIT
	for _, r := range gsm7All + gsm7ExtAll {
		s := string(r)
		want, err := theirs.Encode(s)
		if err != nil {
			t.Fatalf("gosmpp cannot encode %q: %v", s, err)
		}
		got, err := AppendGSM7(nil, s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: ours %x, gosmpp %x (%v)", s, got, want, err)
		}
	}
	for c := 0; c < 128; c++ {
		for _, b := range [][]byte{{byte(c)}, {0x1B, byte(c)}} {
			want, err := theirs.Decode(b)
			if err != nil {
				continue // gosmpp rejects what 23.038 tells a receiver to show
			}
			if got := DecodeGSM7(b); got != want {
				t.Errorf("%x: ours %q, gosmpp %q", b, got, want)
			}
		}
	}
}

func TestAlphabetDispatch(t *testing.T) {
	carrier := map[uint8]Alphabet{
		0: AlphabetASCII, 3: AlphabetBinary, 4: AlphabetBinary, 8: AlphabetUCS2, 15: AlphabetGB,
		0x01: AlphabetGSM7, 0x10: AlphabetGSM7, 0x11: AlphabetGSM7, 0x14: AlphabetBinary, 0x18: AlphabetUCS2,
		0x20: AlphabetBinary, // compressed
		0xC0: AlphabetGSM7, 0xD8: AlphabetGSM7, 0xE0: AlphabetUCS2, 0xF0: AlphabetGSM7, 0xF3: AlphabetGSM7,
		0xF5: AlphabetBinary, 0x80: AlphabetBinary,
	}
	for c, want := range carrier {
		if got := AlphabetOf(c); got != want {
			t.Errorf("AlphabetOf(0x%02X) = %d, want %d", c, got, want)
		}
	}
	smpp := map[uint8]Alphabet{
		0: AlphabetGSM7, 1: AlphabetASCII, 2: AlphabetBinary, 3: AlphabetLatin1, 4: AlphabetBinary,
		5: AlphabetOther, 6: AlphabetCyrillic, 7: AlphabetHebrew, 8: AlphabetUCS2, 9: AlphabetOther,
		0x0A: AlphabetOther, 0x0B: AlphabetBinary, 0x0D: AlphabetOther, 0x0E: AlphabetOther, 0x0F: AlphabetBinary,
		0x10: AlphabetGSM7, 0xF0: AlphabetGSM7, 0xF4: AlphabetBinary, 0x18: AlphabetUCS2,
	}
	for c, want := range smpp {
		if got := AlphabetOfSMPP(c); got != want {
			t.Errorf("AlphabetOfSMPP(0x%02X) = %d, want %d", c, got, want)
		}
	}
}

func TestDecodeSMPP(t *testing.T) {
	cases := []struct {
		name   string
		coding uint8
		hex    string
		want   string
	}{
		{"data_coding 0 is GSM 7-bit: @ and € are not ASCII", 0, "00 1b65 41", "@€A"},
		{"data_coding 1 is IA5", 1, "40 41", "@A"},
		{"data_coding 3 is Latin-1", 3, "e9 41", "éA"},
		{"data_coding 6 is ISO-8859-5", 6, "d0", "а"},
		{"data_coding 7 is ISO-8859-8", 7, "e0", "א"},
		{"data_coding 8 is UCS2", 8, "4f60597d", "你好"},
		{"DCS 0xF0 is GSM 7-bit", 0xF0, "48 69 1b3c", "Hi["},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := unhex(c.hex)
			got, err := DecodeSMPP(c.coding, b)
			if err != nil || got != c.want {
				t.Fatalf("DecodeSMPP(%d, %s) = %q, %v; want %q", c.coding, c.hex, got, err, c.want)
			}
			back, err := EncodeSMPP(c.coding, got)
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("EncodeSMPP(%d, %q) = %x, %v; want %x", c.coding, got, back, err, b)
			}
		})
	}
	if _, err := DecodeSMPP(5, []byte{1}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("JIS: %v", err)
	}
	if _, err := DecodeSMPP(4, []byte{1}); !errors.Is(err, ErrBinary) {
		t.Errorf("binary: %v", err)
	}
	if _, err := EncodeSMPP(0, "你"); !errors.Is(err, ErrNotGSM7) {
		t.Errorf("GSM encode of a CJK character: %v", err)
	}
	if _, err := EncodeSMPP(3, "你"); err == nil {
		t.Error("Latin-1 encode of a CJK character succeeded")
	}
	for dc, want := range map[uint8]string{0: "GSM7", 1: "IA5", 3: "Latin-1", 8: "UCS2", 4: "binary", 0x0E: "KS C 5601", 0xF1: "DCS 0xF1"} {
		if got := NameSMPP(dc); got != want {
			t.Errorf("NameSMPP(%d) = %q, want %q", dc, got, want)
		}
	}
}

// FuzzGSM7 checks both directions: any string the alphabet can carry
// survives encode → decode in the unpacked form and, at every fill, in the
// packed form (a final CR on an octet boundary comes back doubled, as the
// padding rule says); any bytes decode without failing, and septet bytes
// that decode without U+FFFD re-encode to septets that decode the same.
func FuzzGSM7(f *testing.F) {
	f.Add("hellohello", []byte("\x1b\x65@"), uint8(0))
	f.Add(gsm7All, []byte{0x80, 0x1b}, uint8(1))
	f.Add(gsm7ExtAll+"\r", []byte{0x1b, 0x1b}, uint8(6))
	f.Add("1234567", []byte{0x31, 0xd9, 0x8c, 0x56, 0xb3, 0xdd, 0x00}, uint8(3))
	f.Fuzz(func(t *testing.T, s string, b []byte, fill uint8) {
		fill %= 7
		if sep, err := AppendGSM7(nil, s); err == nil {
			if got := DecodeGSM7(sep); got != s {
				t.Fatalf("unpacked round trip: %q → %x → %q", s, sep, got)
			}
			if GSM7Septets(s) != len(sep) {
				t.Fatalf("GSM7Septets(%q) = %d, encoded %d", s, GSM7Septets(s), len(sep))
			}
			p := PackSeptets(nil, sep, int(fill))
			if want := (int(fill) + len(sep)*7 + 7) / 8; len(p) > want+1 {
				t.Fatalf("packed %d septets into %d octets", len(sep), len(p))
			}
			got := DecodeGSM7Packed(p, int(fill))
			if got != s && !(strings.HasSuffix(s, "\r") && got == s+"\r") {
				t.Fatalf("packed round trip (fill %d): %q → %x → %q", fill, s, p, got)
			}
		} else if !errors.Is(err, ErrNotGSM7) || GSM7Septets(s) != -1 {
			t.Fatalf("encode error %v, septets %d", err, GSM7Septets(s))
		}
		dec := DecodeGSM7(b)
		if !utf8.ValidString(dec) {
			t.Fatalf("invalid UTF-8 from %x", b)
		}
		if !strings.ContainsRune(dec, utf8.RuneError) {
			again, err := AppendGSM7(nil, dec)
			if err != nil || DecodeGSM7(again) != dec {
				t.Fatalf("%x → %q → %x, %v", b, dec, again, err)
			}
		}
		_ = DecodeGSM7Packed(b, int(fill)) // must not panic on any input
	})
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}
