package jsonsock

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeSend(t *testing.T) {
	msgs, err := DecodeSend([]byte(sampleJSON))
	want := Message{Phone: "13800138000", Message: "hi", SendTime: "1399176571278", MsgID: "m1", MsgType: "1"}
	if err != nil || len(msgs) != 1 || msgs[0] != want || msgs[0].SendTimeMillis() != 1399176571278 {
		t.Fatalf("%+v, %v", msgs, err)
	}
	// Several at once, numbers where the description says strings, and
	// fields of the client's own that are ignored.
	msgs, err = DecodeSend([]byte(` [{"phone":"+8613800138000","message":"验证码 1234","sendtime":1399176571278,"msgid":"a","msgtype":2,"extra":{"x":1}},
		{"phone":"13900139000","message":"b","msgid":"b","msgtype":"1"}] `))
	if err != nil || len(msgs) != 2 || msgs[0].SendTime != "1399176571278" || msgs[0].MsgType != "2" ||
		msgs[0].Message != "验证码 1234" || msgs[1].SendTime != "" || msgs[1].SendTimeMillis() != 0 {
		t.Fatalf("%+v, %v", msgs, err)
	}
}

func TestDecodeSendNamesTheField(t *testing.T) {
	ok := `"phone":"13800138000","message":"hi","msgid":"m1","msgtype":"1"`
	many := "[" + strings.Repeat(`{`+ok+`},`, MaxMessages) + `{` + ok + `}]`
	for _, c := range []struct{ body, want string }{
		{`{` + strings.Replace(ok, `"phone":"13800138000",`, ``, 1) + `}`, "A001 phone: missing"},
		{`{` + strings.Replace(ok, `13800138000`, `138-0013`, 1) + `}`, `A001 phone: "138-0013": digits`},
		{`{` + strings.Replace(ok, `13800138000`, strings.Repeat("1", 22), 1) + `}`, `A001 phone:`},
		{`{` + strings.Replace(ok, `"message":"hi",`, ``, 1) + `}`, "A001 message: missing"},
		{`{` + strings.Replace(ok, `"msgid":"m1",`, ``, 1) + `}`, "A001 msgid: missing"},
		{`{` + strings.Replace(ok, `"m1"`, `"`+strings.Repeat("m", 65)+`"`, 1) + `}`, "A001 msgid: 65 bytes, at most 64"},
		{`{` + strings.Replace(ok, `"msgtype":"1"`, `"msgtype":"3"`, 1) + `}`, `A001 msgtype: "3": want "1" (notice) or "2"`},
		{`{` + ok + `,"sendtime":"yesterday"}`, `A001 sendtime: "yesterday" is not milliseconds`},
		{`{` + ok + `,"sendtime":-1}`, `A001 sendtime: "-1"`},
		{`{` + strings.Replace(ok, `"hi"`, `{"text":"hi"}`, 1) + `}`, "A001 message: an object where a string was expected"},
		{`{` + strings.Replace(ok, `"hi"`, `true`, 1) + `}`, "A001 message: JSON bool where a string was expected"},
		{`[{` + ok + `},{` + strings.Replace(ok, `"msgtype":"1"`, `"msgtype":"9"`, 1) + `}]`, `A001 [1].msgtype: "9"`},
		{`[{` + ok + `},null]`, "A001 [1]: null where a message object was expected"},
		{`[]`, "A001 body: 0 messages; send 1 to 100"},
		{many, "A001 body: more than 100 messages"},
		{``, "A001 body: empty"},
		{`{` + ok, "A001 body: unexpected end of JSON input"},
		{`{` + ok + `}{}`, "A001 body: data after the JSON value"},
		{`"hello"`, "A001 body: JSON string where a message object was expected"},
		{"{\"phone\":\"\xff\"}", "A001 body: not UTF-8"},
	} {
		_, err := DecodeSend([]byte(c.body))
		if !errors.Is(err, ErrBody) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: %v, want it to name %q", c.body, err, c.want)
		}
	}
}

func TestDecodeReport(t *testing.T) {
	body := `{"msgid":"m1","phone":"13800138000","status":"1","sendtime":1399176571278,"stat":"DELIVRD"}`
	r, err := DecodeReport([]byte(body))
	want := Report{MsgID: "m1", Phone: "13800138000", Status: "1", SendTime: 1399176571278, Stat: "DELIVRD"}
	if err != nil || r != want {
		t.Fatalf("%+v, %v", r, err)
	}
	if got := string(AppendReport(nil, &want)); got != body {
		t.Errorf("AppendReport = %s", got)
	}
	for _, c := range []struct{ body, want string }{
		{strings.Replace(body, `"status":"1"`, `"status":"0"`, 1), `A002 status: "0": want "1" (success) or "2" (failure)`},
		{strings.Replace(body, `1399176571278`, `"soon"`, 1), `A002 sendtime: "soon"`},
		{strings.Replace(body, `"m1"`, `""`, 1), "A002 msgid: missing"},
		{strings.Replace(body, `"DELIVRD"`, `"`+strings.Repeat("x", 65)+`"`, 1), "A002 stat: at most 64 bytes"},
		{`null`, "A002 body: null"},
	} {
		if _, err := DecodeReport([]byte(c.body)); !errors.Is(err, ErrBody) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
	// sendtime as a string of digits is read too.
	if r, err := DecodeReport([]byte(strings.Replace(body, `1399176571278`, `"1399176571278"`, 1))); err != nil || r.SendTime != 1399176571278 {
		t.Errorf("string sendtime: %+v, %v", r, err)
	}
}

func TestDecodeStatus(t *testing.T) {
	if s, err := DecodeStatus(CmdSendResp, []byte(`{"status":"1"}`)); err != nil || s.Status != "1" {
		t.Fatalf("%+v, %v", s, err)
	}
	if s, err := DecodeStatus(CmdReportResp, []byte(`{"status":2}`)); err != nil || s.Status != "2" {
		t.Fatalf("number status: %+v, %v", s, err)
	}
	if _, err := DecodeStatus(CmdReportResp, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "B002 status: missing") {
		t.Errorf("no status: %v", err)
	}
}

// TestAppendSendIsJSON: what AppendSend writes, encoding/json reads back
// as the same strings, whatever the text holds.
func TestAppendSendIsJSON(t *testing.T) {
	msgs := []Message{
		{Phone: "13800138000", Message: "quote \" backslash \\ newline \n tab \t nul \x00 del \x7f 中文 😀", SendTime: "1", MsgID: "a", MsgType: "1"},
		{Phone: "+8613900139000", Message: "bad utf-8 \xff\xfe end", MsgID: "b", MsgType: "2"},
	}
	raw := AppendSend(nil, msgs...)
	var back []map[string]string
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if back[0]["message"] != msgs[0].Message || back[1]["message"] != "bad utf-8 \ufffd\ufffd end" || back[1]["phone"] != msgs[1].Phone {
		t.Errorf("read back %q", back)
	}
	got, err := DecodeSend(raw)
	if err != nil || got[0] != msgs[0] {
		t.Fatalf("DecodeSend(AppendSend) = %+v, %v", got, err)
	}
	one := AppendSend(nil, msgs[0])
	if one[0] != '{' {
		t.Errorf("one message is written as an object: %s", one)
	}
	if got, err := DecodeSend(one); err != nil || !reflect.DeepEqual(got, msgs[:1]) {
		t.Errorf("one: %+v, %v", got, err)
	}
}
