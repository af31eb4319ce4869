// Package e2e runs spsmg whole, on loopback: the simulated SMG, the
// gateway, the SPMS API and /metrics over HTTP, and a simulated SP, and
// walks the web flows of docs/authorization.md §2 and §3 through all of them.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/valyala/fasthttp"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reconcile"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/subsync"
)

const (
	corpID    = "12345"
	syncAppID = "PRO200805270005"
	syncKey   = "ABCD1234"
	portal    = "10655000"
	access    = "10655123"
	user      = "13800138000"
	appKey    = "site-key"
	secret    = "site-secret"
	timeout   = 10 * time.Second
)

type world struct {
	t       *testing.T
	smg     *smg.Server
	gw      *proxy.Gateway
	engine  *authcache.Engine
	sp      *sp.Client
	httpURL string
	http    *fasthttp.Client
	recon   *reconcile.Recorder
	// day is the reconciliation recorder's clock, frozen so that a run
	// across midnight does not split its counts over two days.
	day time.Time
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, http: &fasthttp.Client{}}
	s, err := smg.Start(smg.Config{Protocol: codec.CMPP30, Accounts: map[string]string{"901234": "smg"}, SubmitLog: 256, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w.smg = s
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:0"}]
upstream: {protocol: cmpp3, addr: %q, login: "901234", secret: smg}
gateway: {event_loops: 2}
authorization: {portal_number: %q, web_code_text: "Your code is %%s"}
accounts:
  - id: site
    login: "900001"
    secret: "888888"
    corp_id: %q
    access_numbers: [%q]
    api: {app_key: %s, app_secret: %s}
sync:
  platforms: [{id: carrier, app_id: %s, key: %s}]
`, s.Addr(), portal, corpID, access, appKey, secret, syncAppID, syncKey)))
	if err != nil {
		t.Fatal(err)
	}
	w.engine, err = authcache.Open(proxy.AuthPolicy(cfg), authcache.NewMemStore(nil), authcache.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	w.gw, err = proxy.New(cfg, proxy.Options{Auth: w.engine, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- w.gw.ListenAndServe() }()
	<-w.gw.Ready()
	addrs := w.gw.Addrs()
	if len(addrs) == 0 {
		t.Fatalf("gateway did not start: %v", <-served)
	}
	spAddr := addrs[0].String() // the listener asked for port 0

	reg := metrics.NewRegistry()
	reg.MustRegister(w.gw.Collector())
	srv := metrics.NewServer(reg)
	spms := api.New(cfg, w.engine, w.gw, quiet(), reg)
	srv.API = spms.Handler()
	carriers, err := subsync.New(cfg, w.engine, quiet(), reg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Sync = carriers.Handler()
	w.day = time.Now()
	w.recon, err = reconcile.New(reconcile.EngineStore(w.engine), reconcile.Options{Location: time.UTC,
		Interval: 10 * time.Second, Retention: 48 * time.Hour, Logger: quiet(), Now: func() time.Time { return w.day }},
		reconcile.Func(proxy.ReconcileColumns(), w.gw.ReconcileCounts), reconcile.EngineSource(w.engine))
	if err != nil {
		t.Fatal(err)
	}
	spms.SetReconciler(w.recon)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln, "", "")
	w.httpURL = "http://" + ln.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		srv.Shutdown(ctx)
		w.gw.Shutdown(ctx)
		<-served
		w.engine.Close()
	})
	w.eventually("a bind logs in", func() bool { return w.gw.ReadyBinds() > 0 })
	w.sp, err = sp.Dial(context.Background(), sp.ClientConfig{Protocol: codec.CMPP30, Addr: spAddr, Login: "900001", Secret: "888888"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sp.Close() })
	return w
}

func (w *world) eventually(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// call sends a signed API request and decodes the JSON answer into out.
func (w *world) call(method, target, body string, out any) int {
	w.t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(w.httpURL + target)
	if body != "" {
		req.Header.SetContentType("application/json")
		req.SetBodyString(body)
	}
	api.Sign(req, appKey, secret, time.Now(), "")
	if err := w.http.DoTimeout(req, resp, timeout); err != nil {
		w.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body(), out); err != nil {
			w.t.Fatalf("%s %s: %v in %s", method, target, err, resp.Body())
		}
	}
	return resp.StatusCode()
}

func (w *world) submit(m sp.MT) uint32 {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m.SPNumber, m.Users = access, []string{user}
	if m.Text == "" {
		m.Text = "content"
	}
	r, err := w.sp.Submit(ctx, m)
	if err != nil {
		w.t.Fatal(err)
	}
	return r.Result
}

// lastSubmitTo is the last MT the SMG received from source src.
func (w *world) lastSubmitFrom(src string) smg.SubmitInfo {
	w.t.Helper()
	var found smg.SubmitInfo
	w.eventually("the SMG receives an MT from "+src, func() bool {
		for _, s := range w.smg.Submits() {
			if s.SPNumber == src {
				found = s
			}
		}
		return found.SPNumber != ""
	})
	return found
}

func (w *world) metric(name string, labels ...string) float64 {
	w.t.Helper()
	code, body, err := w.http.GetTimeout(nil, w.httpURL+"/metrics", timeout)
	if err != nil || code != 200 {
		w.t.Fatalf("/metrics: %d %v", code, err)
	}
	want := name
	if len(labels) > 0 {
		want += "{"
	}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, want) {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			return v
		}
	}
	return 0
}

var codeRE = regexp.MustCompile(`code is (\d+)`)

// TestWebOnDemand: docs/authorization.md §2. The site asks for a code; spsmg texts
// it to the user from the portal number; the SP's MT carrying it passes,
// a wrong code is refused.
func TestWebOnDemand(t *testing.T) {
	w := start(t)
	allowedBefore := w.metric("spsmg_mt_decisions_total", `reason="web_linkid"`)
	refusedBefore := w.metric("spsmg_mt_decisions_total", `reason="linkid_unknown"`)

	var resp struct {
		User      string `json:"user"`
		SentFrom  string `json:"sent_from"`
		MessageID string `json:"message_id"`
	}
	if code := w.call("POST", "/v1/ondemand", `{"user":"`+user+`"}`, &resp); code != 200 {
		t.Fatalf("POST /v1/ondemand: %d", code)
	}
	noti := w.lastSubmitFrom(portal)
	m := codeRE.FindStringSubmatch(noti.Text)
	if m == nil || noti.Recipients[0] != user {
		t.Fatalf("the SMG received %+v", noti)
	}
	if resp.SentFrom != portal || strings.Contains(fmt.Sprint(resp), m[1]) {
		t.Fatalf("the API answered %+v (code %s must not be in it)", resp, m[1])
	}

	if r := w.submit(sp.MT{ServiceCode: "HELP", LinkID: m[1]}); r != 0 {
		t.Fatalf("MT with the web code refused with %d", r)
	}
	if r := w.submit(sp.MT{ServiceCode: "HELP", LinkID: "000000"}); r == 0 {
		t.Fatal("MT with a wrong code passed")
	}
	if got := w.metric("spsmg_mt_decisions_total", `reason="web_linkid"`) - allowedBefore; got != 1 {
		t.Fatalf("web_linkid decisions moved by %v, want 1", got)
	}
	if got := w.metric("spsmg_mt_decisions_total", `reason="linkid_unknown"`) - refusedBefore; got != 1 {
		t.Fatalf("linkid_unknown decisions moved by %v, want 1", got)
	}
}

// TestWebSubscription: docs/authorization.md §3 through the API, with Y and with N,
// then unsubscribe by API.
func TestWebSubscription(t *testing.T) {
	w := start(t)
	subscribe := func(service string) (id string) {
		t.Helper()
		var resp struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			SentFrom string `json:"sent_from"`
		}
		if code := w.call("POST", "/v1/subscriptions", `{"user":"`+user+`","service_code":"`+service+`"}`, &resp); code != 201 {
			t.Fatalf("POST /v1/subscriptions: %d %+v", code, resp)
		}
		if noti := w.lastSubmitFrom(portal + resp.ID); noti.Recipients[0] != user {
			t.Fatalf("Noti_User %+v", noti)
		}
		return resp.ID
	}

	t.Run("Y subscribes", func(t *testing.T) {
		id := subscribe("NEWS")
		if err := w.smg.InjectMO(smg.MO{User: user, SPNumber: portal + id, Text: "y"}); err != nil {
			t.Fatal(err)
		}
		var noti sp.Delivery
		select {
		case noti = <-w.sp.Deliveries():
		case <-time.After(timeout):
			t.Fatal("no Noti_SP reached the SP")
		}
		if noti.Text != "DZNEWS" || noti.LinkID == "" {
			t.Fatalf("Noti_SP %+v", noti)
		}
		if r := w.submit(sp.MT{ServiceCode: "NEWS"}); r == 0 {
			t.Fatal("plain MT passed before the notice")
		}
		if r := w.submit(sp.MT{ServiceCode: "DZTZ", LinkID: noti.LinkID}); r != 0 {
			t.Fatalf("DZTZ notice refused with %d", r)
		}
		if r := w.submit(sp.MT{ServiceCode: "NEWS"}); r != 0 {
			t.Fatalf("subscription MT refused with %d", r)
		}
		var list []struct {
			ServiceCode string `json:"service_code"`
			State       string
		}
		if code := w.call("GET", "/v1/subscriptions?user="+user, "", &list); code != 200 || len(list) != 1 || list[0].ServiceCode != "NEWS" {
			t.Fatalf("GET /v1/subscriptions: %d %+v", code, list)
		}
		var del struct{ Cancelled int }
		if code := w.call("DELETE", "/v1/subscriptions/"+user+"/NEWS", "", &del); code != 200 || del.Cancelled != 1 {
			t.Fatalf("DELETE: %d %+v", code, del)
		}
		if r := w.submit(sp.MT{ServiceCode: "NEWS"}); r == 0 {
			t.Fatal("plain MT passed after the API unsubscribed")
		}
	})

	t.Run("N records nothing", func(t *testing.T) {
		id := subscribe("SPORT")
		acked := w.smg.Stats().MOAcked
		if err := w.smg.InjectMO(smg.MO{User: user, SPNumber: portal + id, Text: "N"}); err != nil {
			t.Fatal(err)
		}
		w.eventually("the N is acknowledged", func() bool { return w.smg.Stats().MOAcked > acked })
		select {
		case d := <-w.sp.Deliveries():
			t.Fatalf("an N reached the SP: %+v", d)
		default:
		}
		if r := w.submit(sp.MT{ServiceCode: "SPORT"}); r == 0 {
			t.Fatal("plain MT passed after N")
		}
	})
}

// TestMetricsExposition: the scrape lints clean (client_golang's promlint
// rules) and the packet counters moved with the traffic.
func TestMetricsExposition(t *testing.T) {
	w := start(t)
	before := w.metric("spsmg_packets_total", `side="sp"`, `direction="in"`, `command="submit"`)
	for i := 0; i < 3; i++ {
		w.submit(sp.MT{ServiceCode: "HELP"})
	}
	if got := w.metric("spsmg_packets_total", `side="sp"`, `direction="in"`, `command="submit"`) - before; got != 3 {
		t.Fatalf("SP-side submit packets moved by %v, want 3", got)
	}
	reg := metrics.NewRegistry()
	reg.MustRegister(w.gw.Collector())
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "spsmg_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}
