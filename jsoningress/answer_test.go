package jsoningress

import (
	"encoding/json"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/jsonsock"
	"github.com/spsmg/spsmg/config"
)

// The answers are valid JSON that says what each status says, read with
// encoding/json rather than this package's writer.
func TestB001Bodies(t *testing.T) {
	type res struct {
		MsgID  string `json:"msgid"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	var got struct {
		Status  string `json:"status"`
		Reason  string `json:"reason"`
		Error   string `json:"error"`
		Results []res  `json:"results"`
	}
	read := func(frame []byte) {
		t.Helper()
		got.Status, got.Reason, got.Error, got.Results = "", "", "", nil
		f, n, err := jsonsock.Splitter{}.Split(frame)
		if err != nil || n != len(frame) || f.Command != jsonsock.CmdSendResp {
			t.Fatalf("frame %q: %v", frame, err)
		}
		if err := json.Unmarshal(f.Body, &got); err != nil {
			t.Fatalf("body %q: %v", f.Body, err)
		}
	}
	for _, c := range []struct {
		rs   []result
		want string
	}{
		{[]result{{MsgID: "a", Status: statusOK}}, "1"},
		{[]result{{MsgID: "a", Status: statusOK}, {MsgID: `b"\`, Status: statusRetry, Reason: "flow_control"}}, "3"},
		{[]result{{MsgID: "a", Status: statusRetry, Reason: "upstream_timeout"}, {MsgID: "b", Status: statusFailed, Reason: "not_subscribed"}, {MsgID: "c", Status: statusOK}}, "2"},
	} {
		read(appendB001(nil, c.rs))
		if got.Status != c.want || len(got.Results) != len(c.rs) {
			t.Fatalf("status %q results %+v, want %s", got.Status, got.Results, c.want)
		}
		for i, r := range c.rs {
			if g := got.Results[i]; g.MsgID != r.MsgID || g.Status != r.Status || g.Reason != r.Reason {
				t.Errorf("result %d: %+v, want %+v", i, g, r)
			}
		}
	}
	read(appendRefusal(nil, statusFailed, whyBadBody, "jsonsock: bad body: A001 message: \"\x01\" \u4f60"))
	if got.Status != "2" || got.Reason != "bad_body" || got.Error != "jsonsock: bad body: A001 message: \"\x01\" \u4f60" {
		t.Errorf("refusal %+v", got)
	}
}

func TestAuthenticate(t *testing.T) {
	cfg := &config.Config{Accounts: []config.Account{
		{ID: "binary", Protocol: codec.CMPP30},
		{ID: "shop", Protocol: codec.JSON, JSON: &config.JSONAccount{AppID: "shop1", AppSecret: "s3cret"}},
		// The dummy secret compared when no appid matches is an
		// account's real secret here: still only with its own appid.
		{ID: "other", Protocol: codec.JSON, JSON: &config.JSONAccount{AppID: "other", AppSecret: dummySecret}},
	}}
	s := newSettings(cfg)
	field := func(v string) *jsonsock.Field { f, _ := jsonsock.PadField(v); return &f }
	raw := func(v string) *jsonsock.Field { var f jsonsock.Field; copy(f[:], v); return &f }
	for _, c := range []struct {
		name       string
		id, secret *jsonsock.Field
		want       string
	}{
		{"padded as the protocol says", field("shop1"), field("s3cret"), "shop"},
		{"left-aligned, space padding", raw("shop1          "), raw("s3cret         "), "shop"},
		{"wrong secret", field("shop1"), field("s3cre"), ""},
		{"another account's secret", field("shop1"), field(dummySecret), ""},
		{"unknown appid with the dummy secret", field("nobody"), field(dummySecret), ""},
		{"empty", field(""), field(""), ""},
		{"secret as appid", field("s3cret"), field("shop1"), ""},
		{"second account", field("other"), field(dummySecret), "other"},
	} {
		a := s.authenticate(c.id, c.secret)
		if got := ""; a != nil {
			got = a.ID
			if got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("%s: refused, want %q", c.name, c.want)
		}
	}
}
