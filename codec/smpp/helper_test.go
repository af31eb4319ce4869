package smpp

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/internal/codectest"
)

// validate is the one golden-vector check of the package (gosmpp's
// pdu/helper_test.go validate): the hex decodes to want, with header h and
// no byte left over, and want encodes to the same hex.
func validate(t *testing.T, name string, h Header, want PDU) []byte {
	t.Helper()
	frame := codectest.ReadHex(t, name)
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
