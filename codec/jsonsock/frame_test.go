package jsonsock

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A request as the protocol's description builds it: the length of the
// JSON in six zero-padded digits, the command, appid and appsecret each
// left-padded with '0' to 15, then the JSON.
const sampleJSON = `{"phone":"13800138000","message":"hi","sendtime":"1399176571278","msgid":"m1","msgtype":"1"}`

var sampleRequest = "000092" + "A001" + "000000000app001" + "0000000secret01" + sampleJSON

func TestSplitRequest(t *testing.T) {
	if len(sampleJSON) != 92 {
		t.Fatalf("sample JSON is %d bytes", len(sampleJSON))
	}
	in := []byte(sampleRequest + "000014B001{\"status\":\"1\"}")
	f, n, err := Splitter{}.Split(in)
	if err != nil || n != len(sampleRequest) || f.Command != CmdSend || string(f.Body) != sampleJSON {
		t.Fatalf("Split = %+v, %d, %v", f, n, err)
	}
	if !f.AppID.Match("app001") || !f.AppSecret.Match("secret01") || f.AppSecret.Match("secret02") || f.AppID.Match("secret01") {
		t.Errorf("appid %q / appsecret %q", f.AppID, f.AppSecret)
	}
	r, m, err := Splitter{}.Split(in[n:])
	if err != nil || m != len(in)-n || r.Command != CmdSendResp || string(r.Body) != `{"status":"1"}` || r.AppID != (Field{}) {
		t.Fatalf("second frame: %+v, %d, %v", r, m, err)
	}
	// Every proper prefix is incomplete, never an error.
	for i := 0; i < len(sampleRequest); i++ {
		if _, n, err := (Splitter{}).Split(in[:i]); err != ErrIncomplete || n != 0 {
			t.Fatalf("prefix of %d bytes: %d, %v", i, n, err)
		}
	}
}

func TestAppendMatchesTheDescription(t *testing.T) {
	got, err := AppendRequest(nil, CmdSend, "app001", "secret01", []byte(sampleJSON))
	if err != nil || string(got) != sampleRequest {
		t.Fatalf("AppendRequest = %q, %v", got, err)
	}
	resp, err := AppendResponse(nil, CmdSendResp, AppendStatus(nil, StatusSuccess))
	if err != nil || string(resp) != `000014B001{"status":"1"}` {
		t.Fatalf("AppendResponse = %q, %v", resp, err)
	}
	if _, err := AppendRequest(nil, CmdSendResp, "a", "b", nil); err == nil {
		t.Error("B001 written as a request")
	}
	if _, err := AppendResponse(nil, CmdReport, nil); err == nil {
		t.Error("A002 written as a response")
	}
	if _, err := AppendRequest(nil, CmdSend, strings.Repeat("x", 16), "b", nil); !errors.Is(err, ErrFieldTooLong) || !strings.Contains(err.Error(), "appid") {
		t.Errorf("16-byte appid: %v", err)
	}
	if _, err := AppendRequest(nil, CmdSend, "a", "b", make([]byte, MaxLength+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a body of a million bytes: %v", err)
	}
}

func TestSplitRefuses(t *testing.T) {
	for _, c := range []struct {
		name, in string
		s        Splitter
		want     error
		text     string
	}{
		{"letters in the length", "00a092A001", Splitter{}, ErrBadLength, `"00a092"`},
		{"a space in the length", " 00092A001", Splitter{}, ErrBadLength, `" 00092"`},
		{"a binary length", "\x00\x00\x00\x5cA001", Splitter{}, ErrBadLength, `Total_length`},
		{"over the limit, on the six digits alone", "065537", Splitter{}, ErrTooLarge, "065537 bytes, limit 65536"},
		{"over a smaller limit", "000093A001", Splitter{MaxBody: 92}, ErrTooLarge, "limit 92"},
		{"unknown command", "000002C001{}", Splitter{}, ErrCommand, `"C001"`},
		{"lower-case command", "000002a001{}", Splitter{}, ErrCommand, `"a001"`},
		{"length shorter than the header it covers", "000020A001", Splitter{LengthCoversHeader: true}, ErrBadLength, "shorter than the A001 header"},
	} {
		_, n, err := c.s.Split([]byte(c.in))
		if !errors.Is(err, c.want) || !errors.Is(err, ErrFrame) || n != 0 || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %d, %v; want %v naming %s", c.name, n, err, c.want, c.text)
		}
	}
}

func TestLengthCoversHeader(t *testing.T) {
	in := "000126" + sampleRequest[6:] // 34 + 92
	f, n, err := Splitter{LengthCoversHeader: true}.Split([]byte(in))
	if err != nil || n != len(in) || string(f.Body) != sampleJSON {
		t.Fatalf("%+v, %d, %v", f, n, err)
	}
	resp := "000018B001{\"status\":\"1\"}"
	f, n, err = Splitter{LengthCoversHeader: true}.Split([]byte(resp))
	if err != nil || n != len(resp) || string(f.Body) != `{"status":"1"}` {
		t.Fatalf("response: %+v, %d, %v", f, n, err)
	}
}

func TestFieldMatch(t *testing.T) {
	var f Field
	for _, c := range []struct {
		wire string
		want string
		ok   bool
	}{
		{"000000000app001", "app001", true}, // the protocol's rule
		{"         app001", "app001", true}, // spaces on the left
		{"app001         ", "app001", true}, // left-aligned, spaces
		{"app001\x00\x00\x00\x00\x00\x00\x00\x00\x00", "app001", true},
		{"000000000app001", "000app001", true}, // leading zeros do not count
		{"000000000app001", "app002", false},
		{"000000000app001", "pp001", false},
		{"000000000app001", "", false},
		{"000000000000000", "", true},
		{"123456789012345", "123456789012345", true},
		{"123456789012345", "1234567890123456", false},
	} {
		copy(f[:], c.wire)
		if got := f.Match(c.want); got != c.ok {
			t.Errorf("%q.Match(%q) = %v", c.wire, c.want, got)
		}
	}
	p, err := PadField("app001")
	if err != nil || string(p[:]) != "000000000app001" {
		t.Errorf("PadField = %q, %v", p, err)
	}
}

func TestCommands(t *testing.T) {
	for c := CmdSend; c <= CmdReportResp; c++ {
		if parseCommand([]byte(c.String())) != c {
			t.Errorf("%s does not parse back", c)
		}
	}
	if CmdSend.Response() != CmdSendResp || CmdReport.Response() != CmdReportResp || CmdSendResp.Response() != CmdUnknown {
		t.Error("Response")
	}
	if !CmdReport.IsRequest() || CmdReportResp.IsRequest() {
		t.Error("IsRequest")
	}
	if !bytes.Equal([]byte(Command(99).String()), []byte("????")) {
		t.Error("unknown command name")
	}
}
