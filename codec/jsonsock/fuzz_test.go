package jsonsock

import (
	"errors"
	"testing"
)

// FuzzSplit feeds a byte stream to the splitter and every frame's body to
// its decoder: no panic; a frame is refused with ErrFrame or split, a body
// with ErrBody or decoded; a split frame written back splits the same, and
// what decodes, written back, decodes the same.
func FuzzSplit(f *testing.F) {
	f.Add([]byte(sampleRequest))
	f.Add([]byte(`000014B001{"status":"1"}`))
	f.Add([]byte(`000089A002000000000app0010000000secret01{"msgid":"m1","phone":"13800138000","status":"2","sendtime":1,"stat":"UNDELIV"}`))
	f.Add([]byte("999999A001"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range []Splitter{{}, {MaxBody: 128, LengthCoversHeader: true}} {
			rest := in
			for len(rest) > 0 {
				fr, n, err := s.Split(rest)
				if err == ErrIncomplete {
					break
				}
				if err != nil {
					if !errors.Is(err, ErrFrame) {
						t.Fatalf("Split error %v does not wrap ErrFrame", err)
					}
					break
				}
				if n <= 0 || n > len(rest) {
					t.Fatalf("Split took %d of %d bytes", n, len(rest))
				}
				checkFrame(t, s, fr)
				rest = rest[n:]
			}
		}
	})
}

func checkFrame(t *testing.T, s Splitter, fr Frame) {
	var again []byte
	var err error
	if fr.Command.IsRequest() {
		again, err = appendRaw(nil, fr)
	} else {
		again, err = AppendResponse(nil, fr.Command, fr.Body)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !s.LengthCoversHeader {
		back, n, err := s.Split(again)
		if err != nil || n != len(again) || back.Command != fr.Command || string(back.Body) != string(fr.Body) || back.AppID != fr.AppID {
			t.Fatalf("re-split: %+v, %v", back, err)
		}
	}
	checkBody(t, fr.Command, fr.Body)
}

// FuzzBody feeds bodies alone to the decoders (the fuzzer reaches the JSON
// reader without building frames), checked as in FuzzSplit.
func FuzzBody(f *testing.F) {
	f.Add(uint8(CmdSend), []byte(sampleJSON))
	f.Add(uint8(CmdSend), []byte(`[{"phone":"+86138","message":"\ud83d\ude00\u00e9\n","msgid":"a","msgtype":2,"x":[{"y":[1,2.5e-3,true,null]}]},{"phone":"1","message":"m","msgid":"b","msgtype":"1","msgtype":"2"}]`))
	f.Add(uint8(CmdReport), []byte(`{"msgid":"m1","phone":"13800138000","status":"1","sendtime":1399176571278,"stat":"DELIVRD"}`))
	f.Add(uint8(CmdSendResp), []byte(`{"status":"1","status":{"x":1}}`))
	f.Fuzz(func(t *testing.T, cmd uint8, body []byte) {
		c := Command(cmd%4 + 1)
		checkBody(t, c, body)
	})
}

// checkBody decodes body as command c: an error wraps ErrBody; the result
// (or the refusal) is the reference decoder's; what decodes, written back,
// decodes the same.
func checkBody(t *testing.T, c Command, body []byte) {
	switch c {
	case CmdSend:
		msgs, err := DecodeSend(body)
		ref, ok := refDecodeSend(body)
		if (err == nil) != ok {
			t.Fatalf("DecodeSend(%q) = %v; the reference decoder %s", body, err, map[bool]string{true: "accepts it", false: "refuses it"}[ok])
		}
		for i := range ref {
			if ref[i] != msgs[i] {
				t.Fatalf("DecodeSend(%q)[%d] = %+v, reference %+v", body, i, msgs[i], ref[i])
			}
		}
		if err != nil {
			if !errors.Is(err, ErrBody) {
				t.Fatalf("DecodeSend error %v does not wrap ErrBody", err)
			}
			return
		}
		back, err := DecodeSend(AppendSend(nil, msgs...))
		if err != nil || len(back) != len(msgs) {
			t.Fatalf("DecodeSend(AppendSend) = %v, %v", back, err)
		}
		for i := range msgs {
			if back[i] != msgs[i] {
				t.Fatalf("message %d: %+v → %+v", i, msgs[i], back[i])
			}
		}
	case CmdReport:
		r, err := DecodeReport(body)
		ref, ok := refDecodeReport(body)
		if (err == nil) != ok || (ok && ref != r) {
			t.Fatalf("DecodeReport(%q) = %+v, %v; reference %+v, %v", body, r, err, ref, ok)
		}
		if err != nil {
			if !errors.Is(err, ErrBody) {
				t.Fatalf("DecodeReport error %v does not wrap ErrBody", err)
			}
			return
		}
		if back, err := DecodeReport(AppendReport(nil, &r)); err != nil || back != r {
			t.Fatalf("DecodeReport(AppendReport) = %+v, %v; was %+v", back, err, r)
		}
	default:
		st, err := DecodeStatus(c, body)
		ref, ok := refDecodeStatus(body)
		if (err == nil) != ok || (ok && ref != st) {
			t.Fatalf("DecodeStatus(%q) = %+v, %v; reference %+v, %v", body, st, err, ref, ok)
		}
		if err != nil {
			if !errors.Is(err, ErrBody) {
				t.Fatalf("DecodeStatus error %v does not wrap ErrBody", err)
			}
			return
		}
		if back, err := DecodeStatus(c, AppendStatus(nil, st.Status)); err != nil || back != st {
			t.Fatalf("DecodeStatus(AppendStatus) = %+v, %v", back, err)
		}
	}
}

// appendRaw writes a request with its appid and appsecret fields as they
// were on the wire.
func appendRaw(dst []byte, fr Frame) ([]byte, error) {
	dst, err := AppendRequest(dst, fr.Command, "", "", fr.Body)
	if err != nil {
		return nil, err
	}
	copy(dst[ResponseHeaderSize:], fr.AppID[:])
	copy(dst[ResponseHeaderSize+FieldSize:], fr.AppSecret[:])
	return dst, nil
}
