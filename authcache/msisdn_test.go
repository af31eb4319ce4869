package authcache

import (
	"bytes"
	"strconv"
	"testing"
)

func TestNormalizeMSISDN(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"SGIP form drops 86", "8613800000001", "13800000001"},
		{"CMPP bare form is kept", "13800000001", "13800000001"},
		{"+86 form drops +86", "+8613800000001", "13800000001"},
		{"fixed-width padding is trimmed", "8613800000001\x00\x00\x00\x00\x00\x00\x00\x00", "13800000001"},
		{"space padding is trimmed", " 13800000001   ", "13800000001"},
		{"86 is kept when the rest is no mobile number", "8602112345678", "8602112345678"},
		{"86 is kept when fewer than 11 digits remain", "86138000000", "86138000000"},
		{"86 alone is kept", "86", "86"},
		{"a fixed line passes through", "02112345678", "02112345678"},
		{"+ before a foreign number is dropped", "+85291234567", "85291234567"},
		{"a pseudo terminal id passes through", "abc-pseudo-1", "abc-pseudo-1"},
		{"86 with non-digits is kept", "861380000000x", "861380000000x"},
		{"empty stays empty", "\x00\x00", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(NormalizeMSISDN([]byte(c.in))); got != c.want {
				t.Errorf("NormalizeMSISDN(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestUserKey(t *testing.T) {
	a, _ := userKeyOf([]byte("8613800000001"))
	b, _ := userKeyOf([]byte("+8613800000001"))
	c, _ := userKeyOf([]byte("13800000001"))
	if a != b || b != c {
		t.Errorf("forms of one user differ: %x %x %x", a, b, c)
	}
	z1, _ := userKey([]byte("0123"))
	z2, _ := userKey([]byte("123"))
	if z1 == z2 {
		t.Error("leading zero lost")
	}
	h, _ := userKey([]byte("pseudo"))
	long, _ := userKey([]byte("123456789012345678"))
	if h&hashedUser == 0 || long&hashedUser == 0 || c&hashedUser != 0 {
		t.Error("hash marker wrong")
	}
	if _, ok := userKey(nil); ok {
		t.Error("empty user accepted")
	}
}

// FuzzNormalizeMSISDN: normalising is idempotent, returns a piece of its
// input, and keys every form of a number alike.
func FuzzNormalizeMSISDN(f *testing.F) {
	for _, s := range []string{"8613800000001", "+8613800000001", "13800000001\x00\x00", " +86 ", "86", "0086138", "++8613800000001"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		n := NormalizeMSISDN(in)
		if !bytes.Contains(in, n) {
			t.Fatalf("NormalizeMSISDN(%q) = %q, not part of the input", in, n)
		}
		if n2 := NormalizeMSISDN(n); !bytes.Equal(n, n2) {
			t.Fatalf("not idempotent: %q → %q → %q", in, n, n2)
		}
		k, ok := userKey(n)
		if ok != (len(n) > 0) {
			t.Fatalf("userKey(%q) ok = %v", n, ok)
		}
		if k2, _ := userKeyOf(n); ok && k2 != k {
			t.Fatalf("userKeyOf(%q) = %x, userKey = %x", n, k2, k)
		}
		if ok && allDigits(n) && len(n) <= maxNumericUser {
			if k&hashedUser != 0 || int(k>>57) != len(n) {
				t.Fatalf("numeric key %x for %q", k, n)
			}
			if got := strconv.FormatUint(k&(1<<57-1), 10); len(got) > len(n) || !bytes.HasSuffix(n, []byte(got)) {
				t.Fatalf("key %x does not hold %q", k, n)
			}
		}
	})
}

// TestDecimal checks the word-at-a-time conversion against the digit loop
// for every length up to maxNumericUser, every digit in every position,
// and a non-digit in every position (the bytes either side of '0'..'9'
// included).
func TestDecimal(t *testing.T) {
	loop := func(b []byte) (uint64, bool) {
		var v uint64
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + uint64(c-'0')
		}
		return v, true
	}
	check := func(b []byte) {
		t.Helper()
		gv, gok := decimal(b)
		wv, wok := loop(b)
		if gok != wok || (wok && gv != wv) {
			t.Fatalf("decimal(%q) = %d, %v; want %d, %v", b, gv, gok, wv, wok)
		}
	}
	for n := 1; n <= maxNumericUser; n++ {
		b := []byte("13800138000123456789"[:n])
		check(b)
		for i := range b {
			for _, c := range []byte{'0', '5', '9', '/', ':', 0, ' ', 0xB0, 0xB9, 0x39 + 0x80} {
				m := append([]byte(nil), b...)
				m[i] = c
				check(m)
			}
		}
	}
}
