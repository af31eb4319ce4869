package codec

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFramerSplit(t *testing.T) {
	f := Framer{Protocol: "cmpp3", HeaderLen: 12, MaxFrameSize: 64}
	frame, _ := hex.DecodeString("0000000d80000008000000170000") // Active_Test_Resp + 1 byte of the next frame
	cases := []struct {
		name string
		buf  []byte
		n    int
		err  error
	}{
		{"empty buffer needs more", nil, 0, nil},
		{"three length bytes need more", frame[:3], 0, nil},
		{"header only needs more", frame[:12], 0, nil},
		{"exactly one frame", frame[:13], 13, nil},
		{"one frame then a partial one", frame, 13, nil},
		{"length below header is an error", []byte{0, 0, 0, 11}, 0, ErrFrameTooSmall},
		{"length zero is an error", []byte{0, 0, 0, 0}, 0, ErrFrameTooSmall},
		{"length above max is an error before the body", []byte{0, 0, 0, 65}, 0, ErrFrameTooLarge},
		{"huge length is an error", []byte{0xff, 0xff, 0xff, 0xff}, 0, ErrFrameTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := f.Split(c.buf)
			if n != c.n || !errors.Is(err, c.err) {
				t.Fatalf("Split = %d, %v; want %d, %v", n, err, c.n, c.err)
			}
		})
	}
	_, err := f.Split([]byte{0xff, 0xff, 0xff, 0xff})
	if want := "cmpp3: Total_Length at offset 0 (value 4294967295): codec: frame too large"; err.Error() != want {
		t.Fatalf("error text %q, want %q", err, want)
	}
	if n, err := (Framer{HeaderLen: 12}).Split([]byte{0, 0, 0x10, 0x01}); n != 0 || !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("default max: Split = %d, %v; want ErrFrameTooLarge above %d", n, err, DefaultMaxFrameSize)
	}
}

func TestReaderNamesFailingField(t *testing.T) {
	frame := []byte{1, 0, 2, 0, 0, 0, 3, 'a', 'b', 0, 0}
	r := NewReader(frame, "test PDU", 0)
	if v := r.Uint8("A"); v != 1 {
		t.Fatalf("A = %d", v)
	}
	if v := r.Uint16("B"); v != 2 {
		t.Fatalf("B = %d", v)
	}
	if v := r.Uint32("C"); v != 3 {
		t.Fatalf("C = %d", v)
	}
	if s := r.Text("D", 3); s != "ab" {
		t.Fatalf("D = %q", s)
	}
	r.BytesAt("E", 2, 4)
	r.Uint64("F") // after a failure: ignored
	err := r.Err()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "E" || fe.Index != 2 || fe.Offset != 10 || !errors.Is(err, ErrShortFrame) {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "test PDU: E[2] at offset 10") {
		t.Fatalf("err text %q", err)
	}
}

func TestAppendText(t *testing.T) {
	b := AppendText(nil, "900001", 8)
	if hex.EncodeToString(b) != "3930303030310000" {
		t.Fatalf("padded: %x", b)
	}
	if b := AppendText(nil, "123456789", 4); string(b) != "1234" {
		t.Fatalf("cut: %q", b)
	}
	if b := AppendZeros(nil, 600); len(b) != 600 {
		t.Fatalf("zeros: %d", len(b))
	}
}

// docs/protocols/cmpp.md §14 V1: Source_Addr 900001, secret 888888,
// Timestamp 1021080510.
func TestLoginDigestCMPPVector(t *testing.T) {
	got := LoginDigest([]byte("900001"), 9, []byte("888888"), 1021080510)
	if hex.EncodeToString(got[:]) != "90d00c1d517abd0b4f65f6bcf8535d16" {
		t.Fatalf("AuthenticatorSource = %x", got)
	}
	// V2: AuthenticatorISMG with a 1-byte status.
	resp := ResponseDigest([]byte{0}, got[:], []byte("888888"))
	if hex.EncodeToString(resp[:]) != "6c0b846e25bab6daa4ed1c466e0f4bd8" {
		t.Fatalf("AuthenticatorISMG = %x", resp)
	}
}

// docs/protocols/smgp30.md §14 V1: ClientID 12345678, secret "secret",
// TimeStamp 0301000000.
func TestLoginDigestSMGPVector(t *testing.T) {
	got := LoginDigest([]byte("12345678"), 7, []byte("secret"), 0x11F0E540)
	if hex.EncodeToString(got[:]) != "95898c46dedbcf393dcd4c2a861481e9" {
		t.Fatalf("AuthenticatorClient = %x", got)
	}
	resp := ResponseDigest([]byte{0, 0, 0, 0}, got[:], []byte("secret"))
	if hex.EncodeToString(resp[:]) != "778071b4bb5722eda0905422b00fb6a8" {
		t.Fatalf("AuthenticatorServer (4-byte status) = %x", resp)
	}
}

func TestTimestamp(t *testing.T) {
	if got := Timestamp(time.Date(2026, 10, 21, 8, 5, 10, 0, time.UTC)); got != 1021080510 {
		t.Fatalf("Timestamp = %d", got)
	}
	if got := string(AppendTimestamp10(nil, 301000000)); got != "0301000000" {
		t.Fatalf("ts10 = %q", got)
	}
}

func TestViewDests(t *testing.T) {
	frame := []byte("AAA\x00BB\x00\x00CCCC")
	var v View
	v.SetDests(frame, 0, 4, 3)
	for i, want := range []string{"AAA", "BB", "CCCC"} {
		if got := string(v.Dest(i)); got != want {
			t.Errorf("Dest(%d) = %q, want %q", i, got, want)
		}
	}
	if v.Dest(3) != nil || v.Dest(-1) != nil {
		t.Error("Dest out of range is not nil")
	}
	if n := testing.AllocsPerRun(100, func() { _ = v.Dest(1) }); n != 0 {
		t.Fatalf("Dest allocates %v", n)
	}
}

func TestSplitAllocs(t *testing.T) {
	f := Framer{HeaderLen: 12}
	b := make([]byte, 100)
	b[3] = 100
	if n := testing.AllocsPerRun(100, func() { f.Split(b) }); n != 0 {
		t.Fatalf("Split allocates %v", n)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 0x17, 0})
	f.Add([]byte{0, 0, 0, 11})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := Framer{HeaderLen: 12, MaxFrameSize: 1024}
		n, err := fr.Split(b)
		if err != nil && n != 0 {
			t.Fatalf("error with n=%d", n)
		}
		if n > 0 && (n < 12 || n > 1024 || n > len(b)) {
			t.Fatalf("frame length %d out of bounds (buf %d)", n, len(b))
		}
	})
}

func TestRecipientCountError(t *testing.T) {
	for _, c := range []struct {
		n    int
		want error
	}{{0, ErrNoRecipients}, {1, nil}, {100, nil}, {101, ErrTooManyRecipients}, {255, ErrTooManyRecipients}} {
		err := RecipientCountError(c.n, 100)
		if err != c.want || (err != nil && !errors.Is(err, ErrBadValue)) {
			t.Errorf("RecipientCountError(%d) = %v, want %v (an ErrBadValue)", c.n, err, c.want)
		}
	}
	fe := &FieldError{PDU: "cmpp3 CMPP_SUBMIT", Field: "DestUsr_tl", Index: -1, Offset: 128, Value: 101, Err: ErrTooManyRecipients}
	if want := "cmpp3 CMPP_SUBMIT: DestUsr_tl at offset 128 (value 101): codec: bad field value: more than 100 recipients"; fe.Error() != want {
		t.Errorf("%q\nwant %q", fe.Error(), want)
	}
	if errors.Is(fe, ErrNoRecipients) || !errors.Is(fe, ErrTooManyRecipients) || !errors.Is(fe, ErrBadValue) {
		t.Error("errors.Is does not tell the recipient errors apart")
	}
}

func TestReaderCString(t *testing.T) {
	cases := []struct {
		name   string
		frame  string
		max    int
		want   string
		off    int   // offset after the read
		err    error // sentinel
		errOff int
		value  int64
	}{
		{"empty value is one NUL", "00 41", 6, "", 1, nil, 0, 0},
		{"value and NUL", "616263 00 41", 6, "abc", 4, nil, 0, 0},
		{"full length: max counts the NUL", "6162636465 00", 6, "abcde", 6, nil, 0, 0},
		{"one byte too long", "616263646566 00", 6, "", 0, ErrBadValue, 0, 7},
		{"no NUL within max, none after", "616263646566", 6, "", 0, ErrBadValue, 0, 6},
		{"runs past the frame", "6162", 6, "", 0, ErrShortFrame, 0, 2},
		{"empty frame", "", 6, "", 0, ErrShortFrame, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frame, _ := hex.DecodeString(strings.ReplaceAll(c.frame, " ", ""))
			r := NewReader(frame, "smpp test", 0)
			got := r.CString("field", c.max)
			if c.err == nil {
				if r.Err() != nil || string(got) != c.want || r.Offset() != c.off || cap(got) != len(got) {
					t.Fatalf("CString = %q, off %d, %v", got, r.Offset(), r.Err())
				}
				return
			}
			var fe *FieldError
			if !errors.As(r.Err(), &fe) || !errors.Is(r.Err(), c.err) || fe.Field != "field" || fe.Offset != c.errOff || fe.Value != c.value {
				t.Fatalf("err = %#v, want %v at %d value %d", r.Err(), c.err, c.errOff, c.value)
			}
		})
	}
	t.Run("AppendCString cuts at NUL and at max-1", func(t *testing.T) {
		for in, want := range map[string]string{"": "00", "abc": "61626300", "abcdefg": "616263646500", "ab\x00cd": "616200"} {
			if got := hex.EncodeToString(AppendCString(nil, in, 6)); got != want {
				t.Errorf("AppendCString(%q, 6) = %s, want %s", in, got, want)
			}
		}
	})
}

func TestHex32(t *testing.T) {
	for v, want := range map[uint32]string{0: "0x00000000", 0x99: "0x00000099", 0x80000004: "0x80000004", 0xffffffff: "0xffffffff"} {
		if got := Hex32(v); got != want {
			t.Errorf("Hex32(%#x) = %q, want %q", v, got, want)
		}
	}
}
