package smgp

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestRoundTripEveryCommand(t *testing.T) {
	seen := map[CommandID]bool{}
	for _, v := range []Version{V30, V13} {
		for i, p := range samples(v) {
			name := v.String() + "/" + p.Command().String()
			t.Run(name, func(t *testing.T) {
				seq := uint32(0xfffffff0 + i)
				frame := Append([]byte("prefix"), v, seq, p)[len("prefix"):]
				h, got, err := Decode(frame, v)
				if err != nil {
					t.Fatal(err)
				}
				if h != (Header{uint32(len(frame)), p.Command(), seq}) || SequenceOf(frame) != seq {
					t.Fatalf("header %+v", h)
				}
				if !reflect.DeepEqual(got, p) {
					g, _ := json.Marshal(got)
					w, _ := json.Marshal(p)
					t.Fatalf("decoded\n%s\nwant\n%s", g, w)
				}
				if again := Append(nil, v, seq, got); !bytes.Equal(again, frame) {
					t.Fatalf("re-encoded\n%x\nwant\n%x", again, frame)
				}
				if KindOf(p.Command()) == codec.KindUnknown {
					t.Fatal("defined command of unknown kind")
				}
				seen[p.Command()] = true
			})
		}
	}
	if len(seen) != 2*lastRequest {
		t.Fatalf("round trip covered %d of %d commands", len(seen), 2*lastRequest)
	}
}

func TestSubmitLayoutByVersion(t *testing.T) {
	s := samples(V30)[2].(*Submit)
	f30, f13 := Append(nil, V30, 1, s), Append(nil, V13, 1, s)
	if len(f30)-len(f13) != FixedFeeLen {
		t.Fatalf("3.0 %d bytes, 0x13 %d bytes", len(f30), len(f13))
	}
	if want := HeaderLen + submitFixedV30 + 3*TermIDLen + len(s.MsgContent); len(f30) != want+tlvLen(s.TLVs) {
		t.Fatalf("3.0 frame %d bytes", len(f30))
	}
	if f30[HeaderLen+27] != s.MsgFormat || f13[HeaderLen+21] != s.MsgFormat {
		t.Fatal("MsgFormat offset")
	}
}

func tlvLen(tlvs []TLV) (n int) {
	for _, t := range tlvs {
		n += TLVHeaderLen + len(t.Value)
	}
	return n
}

func TestDecodeErrors(t *testing.T) {
	login := codectest.ReadHex(t, "v1_login.hex")
	withLen := func(b []byte) []byte { b = bytes.Clone(b); codec.PutLength(b); return b }
	oneDest := Append(nil, V30, 1, &Submit{DestTermID: []string{"1"}})
	countAt := HeaderLen + 104
	cases := []struct {
		name     string
		frame    []byte
		field    string
		sentinel error
		index    int
	}{
		{"empty", nil, "PacketLength", codec.ErrShortFrame, -1},
		{"header cut", login[:7], "RequestID", codec.ErrShortFrame, -1},
		{"PacketLength below header", codectest.MustHex("0000000b 00000004 00000001"), "PacketLength", codec.ErrFrameTooSmall, -1},
		{"PacketLength above the frame", login[:41], "PacketLength", codec.ErrShortFrame, -1},
		{"bytes after PacketLength", append(bytes.Clone(login), 0), "PacketLength", codec.ErrTrailingBytes, -1},
		{"Login with a trailing byte", withLen(append(bytes.Clone(login), 0)), "PacketLength", codec.ErrTrailingBytes, -1},
		{"Active_Test with a body", withLen(codectest.MustHex("00000000 00000004 00000001 00")), "PacketLength", codec.ErrTrailingBytes, -1},
		{"undefined RequestID", codectest.MustHex("0000000c 00000013 00000001"), "RequestID", codec.ErrUnknownCommand, -1},
		{"undefined response", codectest.MustHex("0000000c 80000000 00000001"), "RequestID", codec.ErrUnknownCommand, -1},
		{"DestTermIDCount 0", patch(oneDest, countAt, 0), "DestTermIDCount", codec.ErrNoRecipients, -1},
		{"DestTermIDCount 101", patch(oneDest, countAt, 101), "DestTermIDCount", codec.ErrTooManyRecipients, -1},
		{"DestTermIDCount beyond the frame", patch(oneDest, countAt, 2), "DestTermID", codec.ErrShortFrame, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Decode(c.frame, V30)
			codectest.WantFieldError(t, err, c.field, c.index, c.sentinel)
			var w codec.View
			if perr := ParseView(c.frame, V30, &w); perr == nil && !errors.Is(err, codec.ErrTrailingBytes) {
				t.Fatalf("ParseView accepted it")
			}
		})
	}
	t.Run("the error names the command and offset", func(t *testing.T) {
		_, _, err := Decode(patch(oneDest, countAt, 0), V13)
		if err == nil {
			t.Fatal("no error")
		}
		_, _, err = Decode(patch(oneDest, countAt, 0), V30)
		if want := "smgp SMGP_SUBMIT: DestTermIDCount at offset 117 (value 0): codec: bad field value: no recipients"; err.Error() != want {
			t.Fatalf("%q\nwant %q", err, want)
		}
	})
}

func patch(b []byte, off int, v byte) []byte {
	b = bytes.Clone(b)
	b[off] = v
	return b
}

func TestDecodeDoesNotAliasFrame(t *testing.T) {
	frame := codectest.ReadHex(t, "v2_submit_linkid.hex")
	_, p, err := Decode(frame, V30)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		frame[i] = 0xee
	}
	s := p.(*Submit)
	if string(s.MsgContent) != "\x4f\x60\x59\x7d" || s.LinkID() != "LINK0000000000000001" {
		t.Fatal("decoded Submit changed with the frame")
	}
}

func TestDeliverReportFromStruct(t *testing.T) {
	// Building a report Deliver from a Report: MsgContent nil, Report set.
	d := &Deliver{MsgID: mustID("01006101161700012347"), IsReport: 1, RecvTime: "20030116170100",
		SrcTermID: "13800138000", DestTermID: "1065512345", Report: v5Report()}
	frame := Append(nil, V30, 4, d)
	want := codectest.ReadHex(t, "v5_deliver_report.hex")
	// V5 has go_smgp's two capitals; everything else is identical.
	canon := bytes.Replace(bytes.Replace(want, []byte(" Submit date:"), []byte(" submit date:"), 1), []byte(" Text:"), []byte(" text:"), 1)
	if !bytes.Equal(frame, canon) {
		t.Fatalf("%x\nwant\n%x", frame, canon)
	}
	t.Run("an unparsable report still decodes, without Report", func(t *testing.T) {
		d := &Deliver{IsReport: 1, MsgContent: []byte("garbage"), Reserve: zeros(8)}
		_, p, err := Decode(Append(nil, V30, 1, d), V30)
		if err != nil || p.(*Deliver).Report != nil {
			t.Fatalf("%v %+v", err, p)
		}
	})
}

func TestJSON(t *testing.T) {
	_, p, _ := Decode(codectest.ReadHex(t, "v3_submit_resp.hex"), V30)
	b, err := json.Marshal(p)
	if err != nil || string(b) != `{"MsgID":"01006101161700012345","Status":"0"}` {
		t.Fatalf("%s %v", b, err)
	}
	_, p, _ = Decode(codectest.ReadHex(t, "v5_deliver_report.hex"), V30)
	b, _ = json.Marshal(p)
	for _, want := range []string{`"MsgID":"01006101161700012347"`, `"IsReport":"1"`, `"Report":{"Id":"01006101161700012345"`, `"stat":"DELIVRD"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	_, p, _ = Decode(codectest.ReadHex(t, "v1_login.hex"), V30)
	b, _ = json.Marshal(p)
	if want := `{"ClientID":"12345678","AuthenticatorClient":"95898c46dedbcf393dcd4c2a861481e9","LoginMode":"2","TimeStamp":"301000000","ClientVersion":"48"}`; string(b) != want {
		t.Fatalf("%s\nwant %s", b, want)
	}
}
