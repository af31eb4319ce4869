package text

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestDecodeVectors(t *testing.T) {
	cases := []struct {
		name   string
		coding uint8
		hex    string
		want   string
	}{
		// docs/protocols/cmpp.md §14 V4: UCS2 "测试gocmpp submit".
		{"cmpp V4 UCS2", UCS2, "6d4b8bd50067006f0063006d007000700020007300750062006d00690074", "测试gocmpp submit"},
		// docs/protocols/sgip12.md §9 V4: UCS2 "你好".
		{"sgip V4 UCS2", UCS2, "4f60597d", "你好"},
		// docs/protocols/sgip12.md §9 V1: ASCII "233a".
		{"sgip V1 ASCII", ASCII, "32333361", "233a"},
		// docs/protocols/smgp30.md §14 V9c (SMSGate): GBK "中国".
		{"GBK", GBK, "d6d0b9fa", "中国"},
		{"DCS general group UCS2", 0x08 | 0x10, "4f60", "你"},
		{"DCS class group GSM", 0xF0, "4869", "Hi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, _ := hex.DecodeString(c.hex)
			got, err := Decode(c.coding, b)
			if err != nil || got != c.want {
				t.Fatalf("Decode(%d, %s) = %q, %v; want %q", c.coding, c.hex, got, err, c.want)
			}
			back, err := Encode(c.coding, got)
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("Encode(%d, %q) = %x, %v; want %s", c.coding, got, back, err, c.hex)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := Decode(Binary, []byte{1, 2}); !errors.Is(err, ErrBinary) {
		t.Errorf("binary: err = %v, want ErrBinary", err)
	}
	if _, err := Decode(0xF5, []byte{1, 2}); !errors.Is(err, ErrBinary) {
		t.Errorf("DCS 0xF5 (8-bit class 1): err = %v, want ErrBinary", err)
	}
	if _, err := Decode(UCS2, []byte{1, 2, 3}); !errors.Is(err, ErrOddUCS2) {
		t.Errorf("odd UCS2: err = %v, want ErrOddUCS2", err)
	}
	if _, err := Encode(ASCII, "é"); err == nil {
		t.Error("Encode ASCII accepted a non-ASCII string")
	}
}

func TestName(t *testing.T) {
	for c, want := range map[uint8]string{0: "ASCII", 8: "UCS2", 15: "GBK", 4: "binary", 3: "SIM", 0xF5: "DCS 0xF5"} {
		if got := Name(c); got != want {
			t.Errorf("Name(%d) = %q, want %q", c, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(uint8(8), []byte{0x4f, 0x60, 0x59, 0x7d})
	f.Add(uint8(15), []byte{0xd6, 0xd0, 0xb9, 0xfa})
	f.Add(uint8(0), []byte("hello"))
	f.Fuzz(func(t *testing.T, coding uint8, b []byte) {
		s, err := Decode(coding, b)
		if err == nil && AlphabetOf(coding) == AlphabetASCII && s != string(b) {
			t.Fatalf("ASCII decode changed bytes")
		}
	})
}

// FuzzEncode checks every encoder against its decoder, in both tables
// (CMPP/SGIP/SMGP and SMPP): text an alphabet accepts reads back the same
// (invalid UTF-8 reads back with each bad byte as U+FFFD, as []rune makes
// it); an encoder refuses only what its alphabet cannot carry; binary and
// undecoded sets refuse text.
func FuzzEncode(f *testing.F) {
	f.Add("hello", ASCII)
	f.Add("中文短信，你好", GBK)
	f.Add("你好 € \U0001F600", UCS2)
	f.Add("\ue000\ue5e5", GBK) // private use: GB18030's decoder reads another character back
	f.Add("a\xffb", UCS2)
	f.Add("@£$¥ {[~]}", SMPPDefault)
	f.Add("été", SMPPLatin1)
	f.Add("привет", SMPPCyrillic)
	f.Add("שלום", SMPPHebrew)
	f.Add("data", Binary)
	f.Fuzz(func(t *testing.T, s string, coding uint8) {
		for _, tab := range []struct {
			name string
			a    Alphabet
			enc  func(uint8, string) ([]byte, error)
			dec  func(uint8, []byte) (string, error)
		}{
			{"CMPP/SGIP/SMGP", AlphabetOf(coding), Encode, Decode},
			{"SMPP", AlphabetOfSMPP(coding), EncodeSMPP, DecodeSMPP},
		} {
			b, err := tab.enc(coding, s)
			switch tab.a {
			case AlphabetBinary:
				if !errors.Is(err, ErrBinary) {
					t.Fatalf("%s coding %d (binary): Encode(%q) = %x, %v; want ErrBinary", tab.name, coding, s, b, err)
				}
				continue
			case AlphabetOther:
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("%s coding %d: Encode(%q) = %x, %v; want ErrUnsupported", tab.name, coding, s, b, err)
				}
				continue
			}
			if err != nil {
				if why := mustCarry(tab.a, s); why != "" {
					t.Fatalf("%s coding %d: Encode(%q): %v, but %s", tab.name, coding, s, err, why)
				}
				continue
			}
			got, err := tab.dec(coding, b)
			if want := string([]rune(s)); err != nil || got != want {
				t.Fatalf("%s coding %d: %q → %x → %q, %v; want %q", tab.name, coding, s, b, got, err, want)
			}
		}
	})
}

// mustCarry says why alphabet a can carry s ("" when it may refuse it).
func mustCarry(a Alphabet, s string) string {
	switch a {
	case AlphabetUCS2:
		return "UCS2 carries any text"
	case AlphabetASCII:
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return ""
			}
		}
		return "it is ASCII"
	case AlphabetGSM7:
		if GSM7Septets(s) >= 0 {
			return "GSM7Septets counts it"
		}
	case AlphabetLatin1:
		for _, r := range s {
			if r > 0xff || r == utf8.RuneError {
				return ""
			}
		}
		return "every character is Latin-1"
	case AlphabetGB:
		for _, r := range s {
			if gbUserDefined(r) {
				return ""
			}
		}
		return "GB18030 carries any other text"
	}
	return ""
}
