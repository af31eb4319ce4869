package smpp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/spsmg/spsmg/codec"
)

// readHex loads testdata/name: lines starting with '#' are comments, the
// rest is hex with any whitespace.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
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

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// validate is the one golden-vector check of the package (gosmpp's
// pdu/helper_test.go validate): the hex decodes to want, with header h and
// no byte left over, and want encodes to the same hex.
func validate(t *testing.T, name string, h Header, want PDU) []byte {
	t.Helper()
	frame := readHex(t, name)
	gotH, got, err := Decode(frame)
	if err != nil {
		t.Fatalf("%s: Decode: %v", name, err)
	}
	if h.CommandLength == 0 {
		h.CommandLength = uint32(len(frame))
	}
	if gotH != h {
		t.Errorf("%s: header %+v, want %+v", name, gotH, h)
	}
	if int(gotH.CommandLength) != len(frame) {
		t.Errorf("%s: command_length %d, frame %d bytes", name, gotH.CommandLength, len(frame))
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s: decoded\n%s\nwant\n%s", name, g, w)
	}
	if enc := Append(nil, h.SequenceNumber, h.CommandStatus, want); !bytes.Equal(enc, frame) {
		t.Errorf("%s: encoded\n%x\nwant\n%x", name, enc, frame)
	}
	return frame
}

// inside reports whether b is empty or lies inside frame.
func inside(frame, b []byte) bool {
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

// checkViewInside fails when a slice of the view points outside frame.
func checkViewInside(t testing.TB, frame []byte, w *codec.View) {
	t.Helper()
	for name, b := range map[string][]byte{
		"Sequence": w.Sequence, "SPNumber": w.SPNumber, "ServiceCode": w.ServiceCode,
		"LinkIDField": w.LinkIDField, "Content": w.Content, "MsgID": w.MsgID,
		"UserNumber": w.UserNumber, "ReportMsgID": w.ReportMsgID, "ReportStat": w.ReportStat,
	} {
		if !inside(frame, b) {
			t.Fatalf("View.%s (%d bytes) is not inside the frame", name, len(b))
		}
	}
	for i := 0; i < w.DestCount; i++ {
		if !inside(frame, w.DestField(i)) || !inside(frame, w.Dest(i)) {
			t.Fatalf("View.Dest(%d) is not inside the frame", i)
		}
	}
}

// wantFieldError checks that err is a *codec.FieldError for field (and
// index) wrapping sentinel.
func wantFieldError(t testing.TB, err error, field string, index int, sentinel error) *codec.FieldError {
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
