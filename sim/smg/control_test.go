package smg

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smgp"
)

// startControl serves s's control API on a random loopback port.
func startControl(t *testing.T, s *Server) string {
	t.Helper()
	c, err := s.ListenControl("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return "http://" + c.Addr()
}

// call sends one control request and returns the status and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// callJSON sends one control request that must succeed and decodes its
// answer.
func callJSON[T any](t *testing.T, method, url, reqBody string) T {
	t.Helper()
	status, body := call(t, method, url, reqBody)
	var v T
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	return v
}

// TestControlAPI plays a web subscription's carrier side over HTTP for each
// protocol family: an MO to the SP, the MT the SP sends (listed by GET
// /messages), the user's reply to that MT's number, and a report for it.
func TestControlAPI(t *testing.T) {
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			r, mod := withReceiver(t, p, true)
			s := startServer(t, p, mod)
			url := startControl(t, s)
			c := dialClient(t, p, s.Addr())
			c.mustLogin(smgp.LoginModeTransmit)
			next := c.next
			if r != nil {
				next = r.next
			}
			ack := func(f []byte, v codec.View) {
				if r == nil {
					c.ackDeliver(f, v)
				}
			}
			idOf := func(v codec.View) []byte {
				if p == codec.SGIP {
					return v.Sequence
				}
				return v.MsgID
			}
			user := "13800138000"
			if p == codec.SGIP {
				user = "8613800138000"
			}

			// An MO with a LinkID, as the SMG would assign one.
			got := callJSON[injected](t, "POST", url+"/mo",
				`{"user":"`+user+`","to":"106551231","text":"HELP","linkid":"LNK00001","service":"HELP"}`)
			f, v := next()
			if v.Kind != codec.KindDeliver || v.IsReport || string(v.UserNumber) != user || string(v.SPNumber) != "106551231" ||
				string(v.Content) != "HELP" || string(v.LinkID()) != "LNK00001" ||
				// an SMPP deliver_sm carries no id of its own
				p != codec.SMPP34 && got.MsgID != hex.EncodeToString(idOf(v)) {
				t.Fatalf("MO %x: %+v; control answered %+v", f, v, got)
			}
			ack(f, v)

			// The SP's MT, from a portal-like number, is listed.
			c.submit(submitSpec{dests: []string{user}, linkID: "LNK00001", text: "Reply Y"})
			_, resp := c.expectKind(codec.KindSubmitResp)
			msgs := callJSON[[]message](t, "GET", url+"/messages?user=13800138000&last=1", "")
			if len(msgs) != 1 || msgs[0].From != "10655123" || msgs[0].LinkID != "LNK00001" || msgs[0].Text != "Reply Y" ||
				msgs[0].Service != "HELP" || msgs[0].Account != testLogin || len(msgs[0].To) != 1 || msgs[0].To[0] != user {
				t.Fatalf("messages %+v", msgs)
			}
			wantID := resp.MsgID
			if p == codec.SGIP {
				wantID = s.Submits()[0].MsgID // SGIP: the Submit's sequence
			}
			if msgs[0].MsgID != hex.EncodeToString(wantID) {
				t.Fatalf("msgid %s, want %x", msgs[0].MsgID, wantID)
			}
			status, text := call(t, "GET", url+"/messages?field=text", "")
			if status != http.StatusOK || text != "Reply Y\n" {
				t.Fatalf("field=text: %d %q", status, text)
			}

			// The user replies to that MT: the MO goes to its source.
			got = callJSON[injected](t, "POST", url+"/mo", `{"user":"13800138000","reply":true,"text":"Y"}`)
			f, v = next()
			if got.To != "10655123" || string(v.SPNumber) != "10655123" || string(v.Content) != "Y" {
				t.Fatalf("reply %+v: MO %+v", got, v)
			}
			ack(f, v)

			// A report for the MT, by its id only.
			callJSON[injected](t, "POST", url+"/report", `{"msgid":"`+msgs[0].MsgID+`","stat":"UNDELIV"}`)
			f, v = next()
			if !v.IsReport || !bytes.Equal(v.ReportMsgID, wantID) || string(v.UserNumber) != user {
				t.Fatalf("report %x: %+v", f, v)
			}
			if p != codec.SGIP && string(v.ReportStat) != "UNDELIV" {
				t.Fatalf("stat %q", v.ReportStat)
			}
			ack(f, v)
			waitStats(t, s, "acknowledged", func(st Stats) bool { return st.MOAcked == 2 && st.ReportsAcked == 1 && st.Pending == 0 })
		})
	}
}

func TestControlAPIErrors(t *testing.T) {
	s := startServer(t, codec.CMPP30, nil)
	url := startControl(t, s)
	cases := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"not JSON", "POST", "/mo", `{"user":`, 400, "body:"},
		{"unknown field", "POST", "/mo", `{"user":"1","to":"2","txt":"x"}`, 400, `unknown field "txt"`},
		{"two objects", "POST", "/mo", `{"user":"1","to":"2"} {}`, 400, "one JSON object"},
		{"no sender", "POST", "/mo", `{"to":"10655123","text":"x"}`, 400, "user:"},
		{"no destination", "POST", "/mo", `{"user":"13800138000","text":"x"}`, 400, "to:"},
		{"to and reply", "POST", "/mo", `{"user":"13800138000","to":"1","reply":true}`, 400, "either to or reply"},
		{"nothing to reply to", "POST", "/mo", `{"user":"13800138000","reply":true,"text":"Y"}`, 404, "no MT to 13800138000"},
		{"GET /mo", "GET", "/mo", "", 405, "use POST"},
		{"report without msgid", "POST", "/report", `{}`, 400, "msgid:"},
		{"report msgid not hex", "POST", "/report", `{"msgid":"zz"}`, 400, "msgid:"},
		{"report of an unknown MT", "POST", "/report", `{"msgid":"0102030405060708"}`, 404, "give user"},
		{"report msgid of another width", "POST", "/report", `{"msgid":"0102","user":"13800138000"}`, 400, "ids are 8"},
		{"messages: unknown parameter", "GET", "/messages?usr=1", "", 400, `unknown parameter "usr"`},
		{"messages: bad last", "GET", "/messages?last=0", "", 400, "last:"},
		{"messages: bad field", "GET", "/messages?field=body", "", 400, "field:"},
		{"POST /messages", "POST", "/messages", "", 405, "use GET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, tc.method, url+tc.path, tc.body)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || status != tc.status || !strings.Contains(e.Error, tc.want) {
				t.Fatalf("%d %s, want %d with %q", status, body, tc.status, tc.want)
			}
		})
	}
	t.Run("an unknown MT is reported when the request names it", func(t *testing.T) {
		c := dialClient(t, codec.CMPP30, s.Addr())
		c.mustLogin(0)
		callJSON[injected](t, "POST", url+"/report", `{"msgid":"0102030405060708","user":"13800138000","from":"10655123"}`)
		f, v := c.next()
		if !v.IsReport || hex.EncodeToString(v.ReportMsgID) != "0102030405060708" || string(v.UserNumber) != "13800138000" ||
			string(v.SPNumber) != "10655123" || string(v.ReportStat) != "DELIVRD" {
			t.Fatalf("report %x: %+v", f, v)
		}
	})
	t.Run("loopback only", func(t *testing.T) {
		for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "nohost"} {
			if _, err := s.ListenControl(addr); err == nil {
				t.Errorf("ListenControl(%q) accepted", addr)
			}
		}
	})
	t.Run("no submit log", func(t *testing.T) {
		s := startServer(t, codec.CMPP30, func(c *Config) { c.SubmitLog = 0 })
		status, body := call(t, "GET", startControl(t, s)+"/messages", "")
		if status != http.StatusNotFound || !strings.Contains(body, "submit log is off") {
			t.Fatalf("%d %s", status, body)
		}
	})
}
