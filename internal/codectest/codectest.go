// Package codectest holds the test helpers the protocol codecs' tests share
// (codec/cmpp, codec/sgip, codec/smgp, codec/smpp): hex vectors read from
// testdata, the check that a codec.View's slices lie inside their frame,
// FieldError assertions, and the frame fuzz harness with its committed seed
// corpus. Only tests import it. It lives outside codec/ because reading
// testdata needs os, which codec's TestNoIO keeps out of codec's own code.
package codectest

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/spsmg/spsmg/codec"
)

// ReadHex loads testdata/name: lines starting with '#' are comments, the
// rest is hex with any whitespace.
func ReadHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// MustHex decodes s, hex with any whitespace, and panics on bad hex (a
// literal in a test).
func MustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Inside reports whether b is empty or lies inside frame.
func Inside(frame, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if len(frame) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(frame)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p+uintptr(len(b)) <= start+uintptr(len(frame))
}

// CheckViewInside fails when a slice of the view points outside frame.
func CheckViewInside(t testing.TB, frame []byte, w *codec.View) {
	t.Helper()
	for name, b := range map[string][]byte{
		"Sequence": w.Sequence, "SPNumber": w.SPNumber, "ServiceCode": w.ServiceCode,
		"LinkIDField": w.LinkIDField, "Content": w.Content, "MsgID": w.MsgID,
		"UserNumber": w.UserNumber, "ReportMsgID": w.ReportMsgID, "ReportStat": w.ReportStat,
	} {
		if !Inside(frame, b) {
			t.Fatalf("View.%s (%d bytes) is not inside the frame", name, len(b))
		}
	}
	for i := 0; i < w.DestCount; i++ {
		if !Inside(frame, w.DestField(i)) || !Inside(frame, w.Dest(i)) {
			t.Fatalf("View.Dest(%d) is not inside the frame", i)
		}
	}
}

// WantFieldError checks that err is a *codec.FieldError for field (and
// index) wrapping sentinel.
func WantFieldError(t testing.TB, err error, field string, index int, sentinel error) *codec.FieldError {
	t.Helper()
	var fe *codec.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *codec.FieldError", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	if fe.Field != field || fe.Index != index {
		t.Fatalf("error names %s[%d], want %s[%d]: %v", fe.Field, fe.Index, field, index, err)
	}
	return fe
}
