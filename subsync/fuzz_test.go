package subsync

import (
	"encoding/xml"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
)

// FuzzOpen: any input is opened or refused with one of Open's errors,
// never a panic; what opens seals back to something that opens the same.
func FuzzOpen(f *testing.F) {
	c := mustCipher(f, "ABCD1234", "", ModeCBC, PaddingPKCS5)
	z := mustCipher(f, "ABCD1234", "", ModeECB, PaddingZero)
	f.Add([]byte(c.Seal([]byte("<a/>"))))
	f.Add([]byte(z.Seal([]byte("<a/>"))))
	f.Add([]byte("QUJD"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, ci := range []*Cipher{c, z} {
			body, err := ci.Open(in)
			if err != nil {
				continue
			}
			again, err := ci.Open([]byte(ci.Seal(body)))
			if err != nil || string(again) != string(body) {
				t.Fatalf("reseal of %q: %q, %v", body, again, err)
			}
		}
	})
}

type nopApplier struct{}

func (nopApplier) ApplySync(authcache.SyncChange) (authcache.SyncResult, error) {
	return authcache.SyncApplied, nil
}

// FuzzPush feeds the whole handler: a raw request XML, and a change sealed
// with the right key inside a well-formed envelope (so that the fuzzer
// reaches the change's parser). Every push is answered with HTTP 200 and
// the protocol's XML, or with an HTTP error; never a panic.
func FuzzPush(f *testing.F) {
	cfg, err := config.Parse([]byte(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts: [{id: sp1, login: "900001", secret: x, corp_id: "12345", access_numbers: ["106551"]}]
sync: {platforms: [{id: p, app_id: APP, key: ABCD1234}]}
`))
	if err != nil {
		f.Fatal(err)
	}
	h, err := New(cfg, nopApplier{}, quiet(), nil)
	if err != nil {
		f.Fatal(err)
	}
	h.warn.SetLimit(0)
	c := h.snap.Load().byAppID["APP"].cipher
	ts := time.Now().In(h.loc).Format("20060102150405") + "000"
	envelope := func(body string) string {
		return "<RequestInfo><Head><Code>ISV10101</Code><CTID>1</CTID><AppID>APP</AppID><SubmitTime>" + ts +
			"</SubmitTime></Head><Body>" + body + "</Body></RequestInfo>"
	}
	change := "<C><OPType>1</OPType><SPID>12345</SPID><ServiceID>NEWS</ServiceID><Mobile>13800138000</Mobile></C>"
	f.Add([]byte(envelope(c.Seal([]byte(change)))), []byte(change))
	f.Add([]byte("<RequestInfo><Head/></RequestInfo>"), []byte("<C><OPType>9</OPType></C>"))
	f.Add([]byte("Msg=%3C"), []byte("<C>"))
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	do := func(t *testing.T, contentType string, body []byte) {
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI(Path)
		req.Header.SetContentType(contentType)
		req.SetBody(body)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, addr, nil)
		h.Handle(&ctx)
		switch st := ctx.Response.StatusCode(); st {
		case 200:
			var r Response
			if err := xml.Unmarshal(ctx.Response.Body(), &r); err != nil {
				t.Fatalf("answer is not XML: %v\n%s", err, ctx.Response.Body())
			}
			known := false
			for _, code := range resultCodes {
				known = known || code == r.Head.ResultCode
			}
			if !known {
				t.Fatalf("unknown result code %d", r.Head.ResultCode)
			}
		case 403, 413:
		default:
			t.Fatalf("HTTP %d", st)
		}
	}
	f.Fuzz(func(t *testing.T, raw, change []byte) {
		do(t, "application/x-www-form-urlencoded", []byte("Msg="+url.QueryEscape(string(raw))))
		do(t, "text/xml", raw)
		do(t, "application/x-www-form-urlencoded", []byte("Msg="+url.QueryEscape(envelope(c.Seal(change)))))
	})
}
