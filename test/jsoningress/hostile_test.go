package jsoningress_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/internal/jsonclient"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// exchange sends raw bytes and reads the answer.
func (w *world) exchange(raw []byte) (jsonclient.Answer, b001, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	a, err := jsonclient.Exchange(ctx, w.JSONAddr, raw)
	var b b001
	if err == nil {
		if jerr := json.Unmarshal(a.Body, &b); jerr != nil {
			return a, b, jerr
		}
	}
	return a, b, err
}

func body(msgs ...jsonclient.Message) []byte {
	if len(msgs) == 1 {
		b, _ := json.Marshal(msgs[0])
		return b
	}
	b, _ := json.Marshal(msgs)
	return b
}

func TestCredentialsAndAddresses(t *testing.T) {
	w := newWorld(t, options{extra: "  - {id: remote, protocol: json, access_numbers: [\"10655127\"], allow_ips: [10.1.2.3], json: {app_id: remote1, app_secret: remoteSecret1, service_code: FREE}}\n"})
	for _, c := range []struct {
		name, app, secret, want string
	}{
		{"wrong appsecret", shopApp, "shopSecret02", "unauthorized"},
		{"appsecret of another account", shopApp, newsSecret, "unauthorized"},
		{"unknown appid", "nobody", shopSecret, "unauthorized"},
		{"empty fields", "", "", "unauthorized"},
		{"appid as appsecret", shopSecret, shopApp, "unauthorized"},
		{"foreign address", "remote1", "remoteSecret1", "ip_not_allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := w.send(w.client(c.app, c.secret), notice("hello"))
			if b.Status != "2" || b.Reason != c.want || len(b.Results) != 0 {
				t.Fatalf("B001 %+v, want status 2 reason %s", b, c.want)
			}
		})
	}
	if n := len(w.submits(shopAccess)) + len(w.submits("10655127")); n != 0 {
		t.Errorf("%d Submits reached the SMG", n)
	}
	m := w.MustMetrics()
	if u, ip := m.Get("spsmg_json_requests_total", "command", "A001", "result", "unauthorized"),
		m.Get("spsmg_json_requests_total", "command", "A001", "result", "ip_not_allowed"); u != 5 || ip != 1 {
		t.Errorf("unauthorized %v, ip_not_allowed %v; want 5 and 1", u, ip)
	}
	// The right credentials from the right address still pass.
	if b := w.send(w.shop(), notice("hello")); b.Status != "1" {
		t.Errorf("B001 %+v", b)
	}
}

func TestAddressOutsideEveryAccountIsClosedAtAccept(t *testing.T) {
	w := newWorld(t, options{shopExtra: "", extra: ""})
	// Every json account gets a list without loopback.
	cfg := *w.Cfg
	cfg.Accounts = append(cfg.Accounts[:0:0], w.Cfg.Accounts...)
	for i := range cfg.Accounts {
		if cfg.Accounts[i].JSON != nil {
			cfg.Accounts[i].AllowIPs = []string{"10.1.2.3"}
		}
	}
	w.reloadJSON(&cfg)
	_, _, err := w.exchange(jsonclient.Request("A001", shopApp, shopSecret, body(notice("hello"))))
	if !errors.Is(err, jsonclient.ErrNoAnswer) && !isReset(err) {
		t.Fatalf("err %v, want the connection closed without an answer", err)
	}
	w.waitMetric(1, "spsmg_json_requests_total", "command", "none", "result", "ip_not_allowed")
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe"))
}

func TestHostileInput(t *testing.T) {
	w := newWorld(t, options{json: map[string]string{"max_body": "16384"}})
	good := body(notice("hello"))
	header := func(length, cmd string) []byte {
		return []byte(length + cmd + jsonclient.Pad(shopApp) + jsonclient.Pad(shopSecret))
	}
	cases := []struct {
		name, reason, result, errPart string
		raw                           []byte
	}{
		{"letters in the length", "bad_length", "bad_length", `"00a092"`, append(header("00a092", "A001"), good...)},
		{"binary length", "bad_length", "bad_length", "not 6 decimal digits", append([]byte{0, 0, 0, 92, 'A', '0', '0', '1'}, good...)},
		{"length past the limit, no body sent", "too_large", "too_large", "limit 16384", header("999999", "A001")},
		{"length just past the limit", "too_large", "too_large", "limit 16384", append(header("016385", "A001"), make([]byte, 16385)...)},
		{"unknown command", "bad_command", "bad_command", `"A009"`, append(header("000092", "A009"), good...)},
		{"A002 sent to the listener", "bad_command", "bad_command", "A002 is not served here", jsonclient.Request("A002", shopApp, shopSecret, []byte(`{"msgid":"x","phone":"13800138000","status":"1","sendtime":1,"stat":"DELIVRD"}`))},
		{"truncated JSON", "bad_body", "bad_body", "A001", jsonclient.Request("A001", shopApp, shopSecret, []byte(`{"phone":"13800138000","message":`))},
		{"not JSON", "bad_body", "bad_body", "invalid", jsonclient.Request("A001", shopApp, shopSecret, []byte(`<xml/>`))},
		{"bad msgtype", "bad_body", "bad_body", "msgtype", jsonclient.Request("A001", shopApp, shopSecret, []byte(`{"phone":"13800138000","message":"x","msgid":"m","msgtype":"3"}`))},
		{"bad phone", "bad_body", "bad_body", "phone", jsonclient.Request("A001", shopApp, shopSecret, []byte(`{"phone":"1380013800a","message":"x","msgid":"m","msgtype":"1"}`))},
		{"not UTF-8", "bad_body", "bad_body", "UTF-8", jsonclient.Request("A001", shopApp, shopSecret, []byte("{\"phone\":\"13800138000\",\"message\":\"\xff\xfe\",\"msgid\":\"m\",\"msgtype\":\"1\"}"))},
		{"101 messages", "bad_body", "bad_body", "more than 100", jsonclient.Request("A001", shopApp, shopSecret, body(hundredAndOne()...))},
		{"body shorter than its length", "", "timeout", "", append(header("000500", "A001"), good...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.metric("spsmg_json_requests_total", "command", commandLabel(c.result), "result", c.result)
			start := time.Now()
			a, b, err := w.exchange(c.raw)
			if c.reason == "" { // the listener waits for the rest, then gives up
				if !errors.Is(err, jsonclient.ErrNoAnswer) {
					t.Fatalf("answer %+v, err %v: want the connection closed without an answer", a, err)
				}
			} else {
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				if b.Status != "2" || b.Reason != c.reason || !strings.Contains(b.Error, c.errPart) || !a.Closed {
					t.Fatalf("B001 %+v (closed %v), want status 2 reason %s, error naming %q", b, a.Closed, c.reason, c.errPart)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("answered after %v", d)
				}
			}
			w.waitMetric(before+1, "spsmg_json_requests_total", "command", commandLabel(c.result), "result", c.result)
		})
	}
	if n := len(w.submits(shopAccess)); n != 0 {
		t.Errorf("%d Submits reached the SMG", n)
	}
	if b := w.send(w.shop(), notice("still served")); b.Status != "1" {
		t.Errorf("a good request after the hostile ones: %+v", b)
	}
}

// commandLabel is the command label each result is counted under.
func commandLabel(result string) string {
	switch result {
	case "bad_length", "too_large":
		return "none"
	case "bad_command":
		return "other"
	}
	return "A001"
}

func hundredAndOne() []jsonclient.Message {
	ms := make([]jsonclient.Message, 101)
	for i := range ms {
		ms[i] = notice("x")
	}
	return ms
}

// A client that dribbles its request a byte at a time holds its slot no
// longer than json.read_timeout.
func TestSlowlorisIsCutOff(t *testing.T) {
	w := newWorld(t, options{json: map[string]string{"read_timeout": "500ms"}})
	c, err := net.Dial("tcp", w.JSONAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw := jsonclient.Request("A001", shopApp, shopSecret, body(notice("slow")))
	start := time.Now()
	closed := make(chan error, 1)
	go func() { _, err := io.ReadAll(c); closed <- err }()
	for i := 0; ; i++ {
		select {
		case <-closed:
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("closed after %v, want about 500ms", d)
			}
			// Cut off before its Command_Id arrived.
			w.waitMetric(1, "spsmg_json_requests_total", "command", "none", "result", "timeout")
			return
		case <-time.After(100 * time.Millisecond):
		}
		if i < len(raw)-1 { // never the last byte
			_, _ = c.Write(raw[i : i+1])
		}
		if time.Since(start) > testenv.Wait {
			t.Fatal("the slow connection was never closed")
		}
	}
}

// Connections past json.max_connections are closed at accept; those
// held are freed by read_timeout, and a good client is served again.
func TestManyConnections(t *testing.T) {
	const max = 4
	w := newWorld(t, options{json: map[string]string{"max_connections": "4", "read_timeout": "1s"}})
	var idle []net.Conn
	for range max {
		c, err := net.Dial("tcp", w.JSONAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	testenv.Eventually(t, testenv.Wait, "4 connections open", func() bool {
		return w.metric("spsmg_json_connections_open") == max
	})
	for range 10 {
		_, _, err := w.exchange(jsonclient.Request("A001", shopApp, shopSecret, body(notice("one too many"))))
		if !errors.Is(err, jsonclient.ErrNoAnswer) && !isReset(err) {
			t.Fatalf("err %v, want closed at accept", err)
		}
	}
	w.waitMetric(10, "spsmg_json_requests_total", "command", "none", "result", "over_capacity")
	// The idle ones time out; then a client is served.
	w.waitMetric(max, "spsmg_json_requests_total", "command", "none", "result", "timeout")
	if b := w.send(w.shop(), notice("served")); b.Status != "1" {
		t.Fatalf("B001 %+v", b)
	}
	for _, c := range idle {
		_ = c.SetReadDeadline(time.Now().Add(testenv.Wait))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("an idle connection got data, want it closed")
		}
	}
}
