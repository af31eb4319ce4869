package smpp

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestRoundTripEveryCommand(t *testing.T) {
	seen := map[CommandID]bool{}
	for i, p := range samples() {
		t.Run(p.Command().String(), func(t *testing.T) {
			seq := uint32(0x7ffffff0 + i)
			status := Status(0)
			if p.Command().IsResponse() {
				status = StatusThrottled
			}
			frame := Append([]byte("prefix"), seq, status, p)[len("prefix"):]
			h, got, err := Decode(frame)
			if err != nil {
				t.Fatalf("%v\n%x", err, frame)
			}
			if h != (Header{uint32(len(frame)), p.Command(), status, seq}) || SequenceOf(frame) != seq {
				t.Fatalf("header %+v", h)
			}
			if !reflect.DeepEqual(got, p) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(p)
				t.Fatalf("decoded\n%s\nwant\n%s", g, w)
			}
			if again := Append(nil, seq, status, got); !bytes.Equal(again, frame) {
				t.Fatalf("re-encoded\n%x\nwant\n%x", again, frame)
			}
			if KindOf(p.Command()) == codec.KindUnknown {
				t.Fatal("defined command of unknown kind")
			}
			seen[p.Command()] = true
		})
	}
	if len(seen) != len(commandNames) {
		t.Fatalf("round trip covered %d of %d commands", len(seen), len(commandNames))
	}
}

func TestAppendKeepsFramesReadable(t *testing.T) {
	// Values over their maximum are cut, a NUL inside a C-string ends it,
	// short_message stops at 254: the frame always decodes.
	long := strings.Repeat("9", 40)
	p := &Submit{ServiceType: "SERVICE", SourceAddr: long, DestinationAddr: "86\x00138", ShortMessage: make([]byte, 300)}
	_, got, err := Decode(Append(nil, 1, 0, p))
	if err != nil {
		t.Fatal(err)
	}
	s := got.(*Submit)
	if s.ServiceType != "SERVI" || s.SourceAddr != long[:AddrLen-1] || s.DestinationAddr != "86" || len(s.ShortMessage) != MaxShortMessageLen {
		t.Fatalf("%+v", s)
	}
	b := &Bind{SystemID: strings.Repeat("s", 20), Password: "0123456789"}
	_, gb, err := Decode(Append(nil, 1, 0, b))
	if err != nil || gb.(*Bind).SystemID != strings.Repeat("s", 15) || gb.(*Bind).Password != "01234567" {
		t.Fatalf("%+v %v", gb, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	bind := codectest.ReadHex(t, "v01-bind-transmitter.hex")
	withLen := func(b []byte) []byte { b = bytes.Clone(b); codec.PutLength(b); return b }
	submit := func(mutate func(*Submit)) []byte {
		s := &Submit{SourceAddr: "10655123", DestinationAddr: "8613800138000", ShortMessage: []byte("hi")}
		mutate(s)
		return Append(nil, 1, 0, s)
	}
	// offset of schedule_delivery_time in a Submit built by submit(): header, service_type 1,
	// ton/npi 2, source_addr 9, ton/npi 2, destination_addr 14, esm/pid/priority 3.
	const schedOff = HeaderLen + 1 + 2 + 9 + 2 + 14 + 3
	cases := []struct {
		name     string
		frame    []byte
		field    string
		index    int
		sentinel error
		offset   int
		value    int64
	}{
		{"empty", nil, "command_length", -1, codec.ErrShortFrame, 0, 0},
		{"header cut in command_status", bind[:10], "command_status", -1, codec.ErrShortFrame, 8, 0},
		{"command_length below the header", codectest.MustHex("0000000f 00000015 00000000 00000001"), "command_length", -1, codec.ErrFrameTooSmall, 0, 15},
		{"command_length above the frame", bind[:46], "command_length", -1, codec.ErrShortFrame, 0, 47},
		{"bytes after command_length", append(bytes.Clone(bind), 0), "command_length", -1, codec.ErrTrailingBytes, 0, 47},
		{"enquire_link with a body", withLen(codectest.MustHex("00000000 00000015 00000000 00000001 00")), "command_length", -1, codec.ErrTrailingBytes, 16, 17},
		{"undefined command_id", codectest.MustHex("00000010 00000099 00000000 00000001"), "command_id", -1, codec.ErrUnknownCommand, 4, 0x99},
		{"undefined response", codectest.MustHex("00000010 80000099 00000000 00000001"), "command_id", -1, codec.ErrUnknownCommand, 4, 0x80000099},
		{"system_id of 16 characters (max 15 + NUL)",
			withLen(append(codectest.MustHex("00000000 00000002 00000000 00000001"), "0123456789abcdef\x00pw\x00\x00\x34\x00\x00\x00"...)),
			"system_id", -1, codec.ErrBadValue, HeaderLen, 17},
		{"password without NUL before the frame ends",
			withLen(append(codectest.MustHex("00000000 00000002 00000000 00000001"), "sys\x00pass"...)),
			"password", -1, codec.ErrShortFrame, HeaderLen + 4, 4},
		{"source_addr of 21 digits (max 20 + NUL)", insertAt(submit(func(s *Submit) {}), HeaderLen+3, "9999999999999"),
			"source_addr", -1, codec.ErrBadValue, HeaderLen + 3, 22},
		{"schedule_delivery_time of 5 characters", insertAt(submit(func(s *Submit) {}), schedOff, "26070"),
			"schedule_delivery_time", -1, codec.ErrBadValue, schedOff, 6},
		{"sm_length 255", patchSMLength(submit(func(s *Submit) {}), 255), "sm_length", -1, codec.ErrBadValue, -1, 255},
		{"sm_length past the frame", patchSMLength(submit(func(s *Submit) {}), 3), "short_message", -1, codec.ErrShortFrame, -1, 3},
		{"TLV cut in its tag", withLen(append(submit(func(s *Submit) {}), 0x04)), "TLV tag", 0, codec.ErrShortFrame, -1, 1},
		{"TLV cut in its length", withLen(append(submit(func(s *Submit) {}), 0x04, 0x24, 0x00)), "TLV length", 0, codec.ErrShortFrame, -1, 1},
		{"TLV value past the frame", withLen(append(submit(func(s *Submit) {
			s.TLVs = TLVs{TLVUint8(TagMessageState, 2)}
		}), 0x04, 0x24, 0x00, 0x09, 'x')), "message_payload", -1, codec.ErrShortFrame, -1, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Decode(c.frame)
			fe := codectest.WantFieldError(t, err, c.field, c.index, c.sentinel)
			if c.offset >= 0 && fe.Offset != c.offset {
				t.Fatalf("offset %d, want %d: %v", fe.Offset, c.offset, err)
			}
			if c.value != 0 && fe.Value != c.value {
				t.Fatalf("value %d, want %d: %v", fe.Value, c.value, err)
			}
			var w codec.View
			if perr := ParseView(c.frame, &w); perr == nil && !errors.Is(err, codec.ErrTrailingBytes) &&
				!strings.HasPrefix(c.name, "system_id") && !strings.HasPrefix(c.name, "password") {
				t.Fatalf("ParseView accepted it")
			}
		})
	}
	t.Run("the error names the command, field, offset and value", func(t *testing.T) {
		_, _, err := Decode(patchSMLength(submit(func(s *Submit) {}), 255))
		if want := "smpp submit_sm: sm_length at offset 53 (value 255): codec: bad field value"; err == nil || err.Error() != want {
			t.Fatalf("%v\nwant %s", err, want)
		}
	})
}

// insertAt inserts s at off and fixes command_length.
func insertAt(frame []byte, off int, s string) []byte {
	out := append(append(bytes.Clone(frame[:off]), s...), frame[off:]...)
	codec.PutLength(out)
	return out
}

// patchSMLength sets sm_length of a Submit whose short_message is the last
// field (2 bytes).
func patchSMLength(frame []byte, n byte) []byte {
	out := bytes.Clone(frame)
	out[len(out)-3] = n
	return out
}

func TestDecodeDoesNotAliasFrame(t *testing.T) {
	frame := codectest.ReadHex(t, "v08-submit-sm-sar-payload.hex")
	_, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		frame[i] = 0xee
	}
	s := p.(*Submit)
	if v, _ := s.TLVs.MessagePayload(); string(v) != string(codectest.MustHex("4f60597dff0c4e16754c")) || s.SourceAddr != "10655123" {
		t.Fatal("decoded Submit changed with the frame")
	}
}

func TestResponsesWithoutBody(t *testing.T) {
	// SMPP 3.4 lets an SMSC leave the body of a failed response out; it
	// decodes, says so, and re-encodes as it came.
	for _, id := range []CommandID{CmdSubmitSMResp, CmdDeliverSMResp, CmdDataSMResp, CmdBindTransmitterResp} {
		frame := codectest.MustHex("00000010 00000000 00000045 00000003")
		frame[4], frame[5], frame[6], frame[7] = byte(id>>24), byte(id>>16), byte(id>>8), byte(id)
		h, p, err := Decode(frame)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var noBody bool
		switch p := p.(type) {
		case *SubmitResp:
			noBody = p.NoBody
		case *DeliverResp:
			noBody = p.NoBody
		case *DataSMResp:
			noBody = p.NoBody
		case *BindResp:
			noBody = p.NoBody
		}
		if !noBody || h.CommandStatus != StatusSubmitFail {
			t.Fatalf("%s: %+v", id, p)
		}
		if again := Append(nil, 3, h.CommandStatus, p); !bytes.Equal(again, frame) {
			t.Fatalf("%s: %x", id, again)
		}
		var w codec.View
		if err := ParseView(frame, &w); err != nil || w.Result != uint32(StatusSubmitFail) || w.MsgID != nil {
			t.Fatalf("%s view: %v %+v", id, err, w)
		}
	}
}
