package subsync

import (
	"bufio"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
)

func mustCipher(t testing.TB, key, iv string, mode Mode, pad Padding) *Cipher {
	t.Helper()
	c, err := NewCipher([]byte(key), []byte(iv), mode, pad)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVectors: Seal matches OpenSSL's output byte for byte, and Open reads
// it back.
func TestVectors(t *testing.T) {
	f, err := os.Open("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 7 {
			t.Fatalf("bad vector line %q", line)
		}
		iv := fs[2]
		if iv == "-" {
			iv = ""
		}
		mode, _ := ParseMode(fs[3])
		pad, _ := ParsePadding(fs[4])
		c := mustCipher(t, fs[1], iv, mode, pad)
		if got := c.Seal([]byte(fs[5])); got != fs[6] {
			t.Errorf("%s: Seal = %s\nwant       %s", fs[0], got, fs[6])
		}
		body, err := c.Open([]byte(fs[6]))
		if err != nil || string(body) != fs[5] {
			t.Errorf("%s: Open = %q, %v", fs[0], body, err)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d vectors", n)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []Mode{ModeCBC, ModeECB} {
		for _, pad := range []Padding{PaddingPKCS5, PaddingZero} {
			c := mustCipher(t, "k3y-k3y!", "", mode, pad)
			for n := 1; n <= 40; n++ {
				body := []byte(strings.Repeat("x", n-1) + ">")
				got, err := c.Open([]byte(c.Seal(body)))
				if err != nil || string(got) != string(body) {
					t.Fatalf("mode %d pad %d len %d: %q, %v", mode, pad, n, got, err)
				}
			}
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	c := mustCipher(t, "ABCD1234", "", ModeCBC, PaddingPKCS5)
	other := mustCipher(t, "ABCE1234", "", ModeCBC, PaddingPKCS5)
	body := []byte("<SubscriptionChange/>")
	sealed := c.Seal(body)
	raw, _ := base64.StdEncoding.DecodeString(sealed)
	// The digest of another body, well encrypted.
	sum := md5.Sum([]byte("another body"))
	var forged []byte
	for _, b := range sum {
		forged = append(forged, "0123456789ABCDEF"[b>>4], "0123456789ABCDEF"[b&15])
	}
	forged = c.pad(append(forged, body...))
	c.crypt(forged, true)
	for _, tc := range []struct {
		name string
		in   string
		c    *Cipher
		want error
	}{
		{"not Base64", "!!!!", c, ErrBase64},
		{"empty", "", c, ErrBlockSize},
		{"not whole blocks", base64.StdEncoding.EncodeToString(raw[:len(raw)-3]), c, ErrBlockSize},
		{"last block cut off", base64.StdEncoding.EncodeToString(raw[:len(raw)-8]), c, ErrPadding},
		{"digest of another body", base64.StdEncoding.EncodeToString(forged), c, ErrDigest},
	} {
		_, err := tc.c.Open([]byte(tc.in))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Another key garbles the plain text: the padding or, when it happens
	// to look right, the digest fails.
	if _, err := other.Open([]byte(sealed)); !errors.Is(err, ErrPadding) && !errors.Is(err, ErrDigest) {
		t.Errorf("another key: %v", err)
	}
	// White space and a '+' turned into a space are tolerated.
	mangled := strings.ReplaceAll(sealed, "+", " ")
	mangled = mangled[:10] + "\r\n" + mangled[10:]
	if got, err := c.Open([]byte(mangled)); err != nil || string(got) != string(body) {
		t.Errorf("mangled Base64: %q, %v", got, err)
	}
	// The digest as 16 raw bytes is accepted too.
	rawSum := md5.Sum(body)
	plain := c.pad(append(rawSum[:], body...))
	c.crypt(plain, true)
	if got, err := c.Open([]byte(base64.StdEncoding.EncodeToString(plain))); err != nil || string(got) != string(body) {
		t.Errorf("raw digest: %q, %v", got, err)
	}
}

func TestNewCipherRefuses(t *testing.T) {
	if _, err := NewCipher([]byte("short"), nil, ModeCBC, PaddingPKCS5); err == nil {
		t.Error("5-byte key accepted")
	}
	if _, err := NewCipher([]byte("ABCD1234"), []byte("iv"), ModeCBC, PaddingPKCS5); err == nil {
		t.Error("2-byte IV accepted")
	}
	if _, err := ParseMode("cfb"); err == nil {
		t.Error("cfb accepted")
	}
	if _, err := ParsePadding("iso"); err == nil {
		t.Error("iso accepted")
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
