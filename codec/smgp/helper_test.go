package smgp

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/internal/codectest"
)

func mustID(s string) MsgID {
	id, err := ParseMsgID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// validate is the one golden-vector check of the package (gosmpp's
// pdu/helper_test.go validate): the hex decodes to want, with header h and
// no byte left over, and want encodes to the same hex.
func validate(t *testing.T, name string, v Version, h Header, want PDU) []byte {
	t.Helper()
	frame := codectest.ReadHex(t, name)
	gotH, got, err := Decode(frame, v)
	if err != nil {
		t.Fatalf("%s: Decode: %v", name, err)
	}
	if gotH != h {
		t.Errorf("%s: header %+v, want %+v", name, gotH, h)
	}
	if int(gotH.PacketLength) != len(frame) {
		t.Errorf("%s: PacketLength %d, frame %d bytes", name, gotH.PacketLength, len(frame))
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s: decoded\n%s\nwant\n%s", name, g, w)
	}
	if enc := Append(nil, v, h.SequenceID, want); !bytes.Equal(enc, frame) {
		t.Errorf("%s: encoded\n%x\nwant\n%x", name, enc, frame)
	}
	return frame
}
