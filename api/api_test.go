package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
)

func TestOndemand(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(call{method: "POST", uri: "/v1/ondemand", body: `{"user":"+8613800138000"}`})
	got := decode[ondemandResponse](t, r, http.StatusOK)
	want := ondemandResponse{User: userA, SentFrom: portal, MessageID: "abcdefabcdefabcd", ExpiresInSeconds: 1800}
	if got != want { // strict decode: no other field, so no code in the answer
		t.Fatalf("answer %+v, want %+v", got, want)
	}

	sent := e.gw.all()
	if len(sent) != 1 {
		t.Fatalf("originated %d MTs, want 1", len(sent))
	}
	o := sent[0]
	if o.SPNumber != portal || o.User != userA || o.CorpID != corpA {
		t.Fatalf("originated %+v: want from the portal number to %s", o, userA)
	}
	webCode, ok := strings.CutPrefix(o.Text, strings.TrimSuffix(codeText, "%s"))
	if !ok || len(webCode) != 6 {
		t.Fatalf("text %q does not carry a 6-digit code", o.Text)
	}

	t.Run("the code authorizes the SP's MT to that user", func(t *testing.T) {
		if d := e.engine.Authorize(mt("sp-a", "NEWS", webCode, "86"+userA)); !d.Allow || d.Reason != reason.WebLinkID {
			t.Fatalf("decision %+v, want allow web_linkid", d)
		}
		if d := e.engine.Authorize(mt("sp-b", "NEWS", webCode, userA)); d.Allow {
			t.Fatalf("another SP's MT with the code: %+v, want refused", d)
		}
	})
	t.Run("code, secret and signature stay out of the info log", func(t *testing.T) {
		logs := e.logs.String()
		for _, s := range []string{webCode, secretA, r.sig} {
			if strings.Contains(logs, s) {
				t.Fatalf("log holds %q:\n%s", s, logs)
			}
		}
	})
}

func TestSubscriptionFlow(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(call{method: "POST", uri: "/v1/subscriptions", body: `{"user":"8613800138000","service_code":"NEWS"}`})
	got := decode[subscribeResponse](t, r, http.StatusCreated)
	if got.Status != "pending" || len(got.ID) != 6 || got.SentFrom != portal+got.ID || got.MessageID != "abcdefabcdefabcd" {
		t.Fatalf("answer %+v", got)
	}
	o := e.gw.all()[0]
	want := proxy.Origination{SPNumber: portal + got.ID, User: userA, ServiceCode: "NEWS",
		Text: "Reply Y to subscribe to NEWS, N to cancel", CorpID: corpA}
	if o != want {
		t.Fatalf("Noti_User %+v, want %+v", o, want)
	}

	// The user's Y to portal+ID (as the proxy hands it over) yields the Noti_SP.
	act := e.engine.OnMO(&authcache.MO{User: []byte("86" + userA), SPNumber: []byte(portal + got.ID), Text: "Y", LinkIDMax: 20})
	if act.Kind != authcache.MOConfirmYes || act.NotiSP == nil {
		t.Fatalf("Y reply: %+v, want confirm_yes with a NotiSP", act)
	}
	n := act.NotiSP
	if n.SP != "sp-a" || n.User != userA || n.SPNumber != spANum || n.ServiceCode != "NEWS" || n.Text != "DZNEWS" || n.LinkID == "" {
		t.Fatalf("NotiSP %+v", n)
	}
	if d := e.engine.Authorize(mt("sp-a", "DZTZ", n.LinkID, userA)); d.Reason != reason.SubscriptionNotice {
		t.Fatalf("DZTZ notice: %+v", d)
	}
	if d := e.engine.Authorize(mt("sp-a", "NEWS", "", userA)); d.Reason != reason.Subscription {
		t.Fatalf("plain MT after the notice: %+v", d)
	}

	list := decode[[]subscriptionView](t, e.do(call{method: "GET", uri: "/v1/subscriptions?user=" + userA}), http.StatusOK)
	if len(list) != 1 || list[0].User != userA || list[0].ServiceCode != "NEWS" || list[0].State != "active" || list[0].Source != "web" {
		t.Fatalf("list %+v", list)
	}
	if _, err := time.Parse(time.RFC3339, list[0].Since); err != nil {
		t.Fatalf("since %q: %v", list[0].Since, err)
	}

	del := decode[unsubscribeResponse](t, e.do(call{method: "DELETE", uri: "/v1/subscriptions/" + userA + "/NEWS"}), http.StatusOK)
	if del.Cancelled != 1 {
		t.Fatalf("cancelled %d, want 1", del.Cancelled)
	}
	if d := e.engine.Authorize(mt("sp-a", "NEWS", "", userA)); d.Allow || d.Reason != reason.NotSubscribed {
		t.Fatalf("plain MT after DELETE: %+v, want not_subscribed", d)
	}
	r = e.do(call{method: "DELETE", uri: "/v1/subscriptions/" + userA + "/NEWS"})
	if r.status != http.StatusNotFound || r.errBody(t).Code != "not_found" {
		t.Fatalf("second DELETE: %d %s", r.status, r.body)
	}
	list = decode[[]subscriptionView](t, e.do(call{method: "GET", uri: "/v1/subscriptions?user=%2B86" + userA}), http.StatusOK)
	if len(list) != 1 || list[0].State != "cancelled" {
		t.Fatalf("list after DELETE %+v", list)
	}
}

// A subscription to a service outside the account's service_codes could
// never be used (every MT with that code is refused service_not_allowed):
// the request is refused before the user is sent anything.
func TestSubscriptionServiceNotAllowed(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Accounts[0].ServiceCodes = []string{"NEWS", "DZTZ"} })
	r := e.do(call{method: "POST", uri: "/v1/subscriptions", body: `{"user":"` + userA + `","service_code":"GAME"}`})
	if r.status != http.StatusForbidden || r.errBody(t).Code != "service_not_allowed" {
		t.Fatalf("answer %d %s, want 403 service_not_allowed", r.status, r.body)
	}
	if sent := e.gw.all(); len(sent) != 0 {
		t.Fatalf("the user was sent %+v", sent)
	}
	if n := e.engine.Stats().Pending; n != 0 {
		t.Fatalf("%d pending requests recorded", n)
	}
	// A listed service still works, and an account without a list takes any.
	decode[subscribeResponse](t, e.do(call{method: "POST", uri: "/v1/subscriptions", body: `{"user":"` + userA + `","service_code":"NEWS"}`}), http.StatusCreated)
	decode[subscribeResponse](t, e.do(call{method: "POST", uri: "/v1/subscriptions", key: keyB,
		body: `{"user":"` + userA + `","service_code":"GAME"}`}), http.StatusCreated)
}

// A repeated request (double click, impatient user) within
// pending_repeat_window sends the user no second Noti_User: it answers 200
// with the pending request's id. A request whose Noti_User failed does not
// hold the next one back.
func TestRepeatedSubscriptionRequest(t *testing.T) {
	e := newEnv(t, nil)
	const body = `{"user":"` + userA + `","service_code":"NEWS"}`
	first := decode[subscribeResponse](t, e.do(call{method: "POST", uri: "/v1/subscriptions", body: body}), http.StatusCreated)
	e.clock.Advance(time.Minute)
	again := decode[subscribeResponse](t, e.do(call{method: "POST", uri: "/v1/subscriptions",
		body: `{"user":"+86` + userA + `","service_code":"NEWS"}`}), http.StatusOK)
	if again.ID != first.ID || again.Status != "pending" || again.SentFrom != first.SentFrom || again.MessageID != "" {
		t.Fatalf("repeat answered %+v; first was %+v", again, first)
	}
	if sent := e.gw.all(); len(sent) != 1 {
		t.Fatalf("%d Noti_User sent, want 1: %+v", len(sent), sent)
	}

	// Past the window: a new request, a new Noti_User.
	e.clock.Advance(config.DefaultPendingRepeatWindow)
	later := decode[subscribeResponse](t, e.do(call{method: "POST", uri: "/v1/subscriptions", body: body}), http.StatusCreated)
	if later.ID == first.ID || len(e.gw.all()) != 2 {
		t.Fatalf("after the window: %+v, %d sent", later, len(e.gw.all()))
	}

	// The SMG refuses a Noti_User: the retry sends one.
	e.gw.set(8, nil, false)
	gameBody := `{"user":"` + userA + `","service_code":"GAME"}`
	if r := e.do(call{method: "POST", uri: "/v1/subscriptions", body: gameBody}); r.status != http.StatusBadGateway {
		t.Fatalf("refused Noti_User: %d %s", r.status, r.body)
	}
	e.gw.set(0, nil, false)
	decode[subscribeResponse](t, e.do(call{method: "POST", uri: "/v1/subscriptions", body: gameBody}), http.StatusCreated)
	if n := len(e.gw.all()); n != 4 {
		t.Fatalf("%d MTs originated, want 4 (the retry after a refused Noti_User sends one)", n)
	}
}

func TestSubscriptionOptionalFields(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(call{method: "POST", uri: "/v1/subscriptions",
		body: `{"user":"` + userA + `","service_code":"GAME","sp_number":"10655091","text":"订阅 GAME"}`})
	got := decode[subscribeResponse](t, r, http.StatusCreated)
	act := e.engine.OnMO(&authcache.MO{User: []byte(userA), SPNumber: []byte(got.SentFrom), Text: "y", LinkIDMax: 8})
	if act.NotiSP == nil || act.NotiSP.SPNumber != "10655091" || act.NotiSP.Text != "订阅 GAME" {
		t.Fatalf("NotiSP %+v", act.NotiSP)
	}
}

func TestListOnlyOwnSubscriptions(t *testing.T) {
	e := newEnv(t, nil)
	for _, s := range []struct{ sp, svc string }{{"sp-a", "NEWS"}, {"sp-a", "JOKE"}, {"sp-b", "GAME"}} {
		if err := e.engine.Subscribe(s.sp, userA, s.svc, authcache.SourceAPI); err != nil {
			t.Fatal(err)
		}
	}
	services := func(key string) string {
		list := decode[[]subscriptionView](t, e.do(call{method: "GET", uri: "/v1/subscriptions?user=" + userA, key: key}), http.StatusOK)
		var s []string
		for _, v := range list {
			s = append(s, v.ServiceCode+":"+v.Source)
		}
		return strings.Join(s, ",")
	}
	if got := services(keyA); got != "JOKE:api,NEWS:api" {
		t.Fatalf("sp-a lists %q", got)
	}
	if got := services(keyB); got != "GAME:api" {
		t.Fatalf("sp-b lists %q", got)
	}
	t.Run("another SP cannot cancel", func(t *testing.T) {
		if r := e.do(call{method: "DELETE", uri: "/v1/subscriptions/" + userA + "/NEWS", key: keyB}); r.status != http.StatusNotFound {
			t.Fatalf("sp-b DELETE of sp-a's NEWS: %d %s", r.status, r.body)
		}
		if d := e.engine.Authorize(mt("sp-a", "NEWS", "", userA)); !d.Allow {
			t.Fatalf("sp-a's NEWS after sp-b's DELETE: %+v", d)
		}
	})
	t.Run("an empty list is []", func(t *testing.T) {
		r := e.do(call{method: "GET", uri: "/v1/subscriptions?user=" + userB})
		if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// TestErrors answers every error code at least once, and checks that
// exactly the (endpoint, code) counter of the answer moved by one.
func TestErrors(t *testing.T) {
	const ondemand = `{"user":"13800138000"}`
	post := func(body string) call { return call{method: "POST", uri: "/v1/ondemand", body: body} }
	sub := func(body string) call { return call{method: "POST", uri: "/v1/subscriptions", body: body} }
	cases := []struct {
		name   string
		mutate func(*config.Config)
		setup  func(*env)
		call   call
		ep     endpoint
		want   code
		check  func(*testing.T, reply)
	}{
		{name: "syntax error is bad_json", call: post(`{"user":`), ep: epOndemand, want: codeBadJSON},
		{name: "wrong type is bad_json", call: post(`{"user":13800138000}`), ep: epOndemand, want: codeBadJSON},
		{name: "trailing data is bad_json", call: post(ondemand + ` {}`), ep: epOndemand, want: codeBadJSON},
		{name: "an array is bad_json", call: sub(`[]`), ep: epSubscriptionsCreate, want: codeBadJSON},
		{name: "unknown body field", call: post(`{"user":"13800138000","code":"123456"}`), ep: epOndemand, want: codeUnknownField},
		{name: "unknown query parameter", call: call{method: "GET", uri: "/v1/subscriptions?user=" + userA + "&all=1"},
			ep: epSubscriptionsList, want: codeUnknownField},
		{name: "short number", call: post(`{"user":"12345"}`), ep: epOndemand, want: codeInvalidNumber},
		{name: "fixed-line number", call: sub(`{"user":"01012345678","service_code":"NEWS"}`), ep: epSubscriptionsCreate, want: codeInvalidNumber},
		{name: "list without user", call: call{method: "GET", uri: "/v1/subscriptions"}, ep: epSubscriptionsList, want: codeInvalidNumber},
		{name: "number in the DELETE path", call: call{method: "DELETE", uri: "/v1/subscriptions/0086123/NEWS"},
			ep: epSubscriptionsDelete, want: codeInvalidNumber},
		{name: "missing service code", call: sub(`{"user":"13800138000"}`), ep: epSubscriptionsCreate, want: codeInvalidArgument},
		{name: "service code too long", call: sub(`{"user":"13800138000","service_code":"ABCDEFGHIJK"}`), ep: epSubscriptionsCreate, want: codeInvalidArgument},
		{name: "service outside service_codes", mutate: func(c *config.Config) { c.Accounts[0].ServiceCodes = []string{"HELP"} },
			call: sub(`{"user":"13800138000","service_code":"NEWS"}`), ep: epSubscriptionsCreate, want: codeServiceNotAllowed},
		{name: "sp_number of another SP", call: sub(`{"user":"13800138000","service_code":"NEWS","sp_number":"1065502"}`),
			ep: epSubscriptionsCreate, want: codeInvalidArgument},
		{name: "no headers", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, noAuth: true}, ep: epOndemand, want: codeMissingCredentials},
		{name: "short nonce", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, nonce: "abc"}, ep: epOndemand, want: codeMissingCredentials},
		{name: "unknown app key", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, key: "nope", secret: "x"},
			ep: epOndemand, want: codeUnknownAppKey},
		{name: "account without API credentials", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, key: "sp-n", secret: "x"},
			ep: epOndemand, want: codeUnknownAppKey},
		{name: "wrong secret", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, secret: secretB}, ep: epOndemand, want: codeBadSignature},
		{name: "another key's secret", call: call{method: "GET", uri: "/v1/subscriptions?user=" + userA, key: keyB, secret: secretA},
			ep: epSubscriptionsList, want: codeBadSignature},
		{name: "timestamp past the window", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, skew: -5*time.Minute - time.Second},
			ep: epOndemand, want: codeStaleTimestamp},
		{name: "timestamp ahead of the window", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, skew: 5*time.Minute + time.Second},
			ep: epOndemand, want: codeStaleTimestamp},
		{name: "replayed nonce", setup: func(e *env) {
			if r := e.do(call{method: "POST", uri: "/v1/ondemand", body: ondemand, nonce: "nonce-0001"}); r.status != http.StatusOK {
				e.t.Fatalf("first use: %d %s", r.status, r.body)
			}
		}, call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, nonce: "nonce-0001"}, ep: epOndemand, want: codeReplayedNonce},
		{name: "outside address, loopback-only key", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, from: outsider},
			ep: epOndemand, want: codeForbiddenIP},
		{name: "loopback, key white-listed elsewhere", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, key: keyC},
			ep: epOndemand, want: codeForbiddenIP},
		{name: "server list applies to a key without its own", mutate: func(c *config.Config) { c.HTTP.AllowIPs = []string{"10.0.0.0/8"} },
			call: call{method: "POST", uri: "/v1/ondemand", body: ondemand}, ep: epOndemand, want: codeForbiddenIP},
		{name: "suspended account", setup: func(e *env) { e.gw.suspended = map[string]bool{"sp-a": true} },
			call: post(ondemand), ep: epOndemand, want: codeAccountSuspended},
		{name: "unknown path", call: call{method: "GET", uri: "/v1/nothing"}, ep: epOther, want: codeNotFound},
		{name: "DELETE without service", call: call{method: "DELETE", uri: "/v1/subscriptions/" + userA}, ep: epOther, want: codeNotFound},
		{name: "DELETE of nothing active", call: call{method: "DELETE", uri: "/v1/subscriptions/" + userA + "/NEWS"},
			ep: epSubscriptionsDelete, want: codeNotFound},
		{name: "PUT on ondemand", call: call{method: "PUT", uri: "/v1/ondemand", body: ondemand}, ep: epOther, want: codeMethodNotAllowed,
			check: func(t *testing.T, r reply) {
				if a := string(r.header.Peek("Allow")); a != "POST" {
					t.Fatalf("Allow %q", a)
				}
			}},
		{name: "already subscribed", setup: func(e *env) {
			if err := e.engine.Subscribe("sp-a", userA, "NEWS", authcache.SourceAPI); err != nil {
				e.t.Fatal(err)
			}
		}, call: sub(`{"user":"13800138000","service_code":"NEWS"}`), ep: epSubscriptionsCreate, want: codeAlreadySubscribed},
		{name: "body over 64 KB", call: post(`{"user":"` + strings.Repeat("1", MaxBodySize) + `"}`), ep: epOndemand, want: codeBodyTooLarge},
		{name: "text/plain body", call: call{method: "POST", uri: "/v1/ondemand", body: ondemand, ctype: "text/plain"},
			ep: epOndemand, want: codeUnsupportedMediaType},
		{name: "store unavailable", setup: func(e *env) { e.engine.SetAvailable(false) },
			call: post(ondemand), ep: epOndemand, want: codeStoreUnavailable},
		{name: "store unavailable on DELETE", setup: func(e *env) { e.engine.SetAvailable(false) },
			call: call{method: "DELETE", uri: "/v1/subscriptions/" + userA + "/NEWS"}, ep: epSubscriptionsDelete, want: codeStoreUnavailable},
		{name: "no SMG bind", setup: func(e *env) { e.gw.set(0, proxy.ErrUpstreamUnavailable, false) },
			call: post(ondemand), ep: epOndemand, want: codeUpstreamUnavailable},
		{name: "SMG refuses", setup: func(e *env) { e.gw.set(8, nil, false) },
			call: sub(`{"user":"13800138000","service_code":"NEWS"}`), ep: epSubscriptionsCreate, want: codeUpstreamRefused,
			check: func(t *testing.T, r reply) {
				if e := r.errBody(t); e.Result == nil || *e.Result != 8 {
					t.Fatalf("result %v, want 8", e.Result)
				}
			}},
		{name: "SMG deadline", setup: func(e *env) { e.gw.set(0, context.DeadlineExceeded, false) },
			call: post(ondemand), ep: epOndemand, want: codeUpstreamTimeout},
		{name: "originate waits at most originateTimeout", setup: func(e *env) {
			e.api.originateTimeout = time.Millisecond
			e.gw.set(0, nil, true)
		}, call: post(ondemand), ep: epOndemand, want: codeUpstreamTimeout},
		{name: "no portal number", mutate: func(c *config.Config) { c.Authorization.PortalNumber = "" },
			call: post(ondemand), ep: epOndemand, want: codeNotConfigured},
		{name: "replay cache full", setup: func(e *env) {
			e.api.nonces = newNonceCache(1, 10)
			if r := e.do(post(ondemand)); r.status != http.StatusOK {
				e.t.Fatalf("first request: %d %s", r.status, r.body)
			}
		}, call: post(ondemand), ep: epOndemand, want: codeTooManyRequests,
			check: func(t *testing.T, r reply) {
				// The one cached nonce leaves the window 300 s after its
				// timestamp; room frees the second after.
				if ra := string(r.header.Peek("Retry-After")); ra != "301" {
					t.Fatalf("Retry-After %q, want 301", ra)
				}
			}},
	}
	covered := map[code]bool{}
	for _, tc := range cases {
		covered[tc.want] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.mutate)
			if tc.setup != nil {
				tc.setup(e)
			}
			before := e.counter(tc.ep, tc.want)
			r := e.do(tc.call)
			got := r.errBody(t)
			if r.status != codeStatus[tc.want] || got.Code != tc.want.String() || got.Message == "" {
				t.Fatalf("answer %d %s, want %d %s", r.status, r.body, codeStatus[tc.want], tc.want)
			}
			if ct := string(r.header.ContentType()); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if d := e.counter(tc.ep, tc.want) - before; d != 1 {
				t.Fatalf("requests_total{endpoint=%q,code=%q} moved by %v, want 1", tc.ep, tc.want, d)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if strings.Contains(e.logs.String(), r.sig) && r.sig != "" {
				t.Fatal("signature in the log")
			}
		})
	}
	// internal and id_space_exhausted need a broken engine or an exhausted
	// id space; they are mapped in errors.go and listed in the doc table.
	for c := range numCodes {
		if !covered[c] && c != codeOK && c != codeInternal && c != codeIDSpaceExhausted {
			t.Errorf("no case answers %s", c)
		}
	}
}

// TestDocTableListsEveryCode keeps the package doc's table, the contract
// SP websites read, in step with codeNames and codeStatus.
func TestDocTableListsEveryCode(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for c := range numCodes {
		if c != codeOK && !strings.Contains(string(doc), fmt.Sprintf("//\t%d    %s ", codeStatus[c], c)) {
			t.Errorf("the doc table lacks %d %s", codeStatus[c], c)
		}
	}
}

func TestCredentialRotation(t *testing.T) {
	e := newEnv(t, nil)
	get := call{method: "GET", uri: "/v1/subscriptions?user=" + userA}
	if r := e.do(get); r.status != http.StatusOK {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	next := testConfig()
	next.Accounts[0].API.AppSecret = "rotated-secret-a"
	next.HTTP.SignatureWindow = time.Minute
	e.api.SetConfig(next)

	if r := e.do(get); r.status != http.StatusUnauthorized || r.errBody(t).Code != "bad_signature" {
		t.Fatalf("old secret after rotation: %d %s", r.status, r.body)
	}
	rot := get
	rot.secret = "rotated-secret-a"
	if r := e.do(rot); r.status != http.StatusOK {
		t.Fatalf("new secret: %d %s", r.status, r.body)
	}
	rot.ts = e.clock.Now().Add(-2 * time.Minute)
	if r := e.do(rot); r.errBody(t).Code != "stale_timestamp" {
		t.Fatalf("2 min old with a 1 min window: %d %s", r.status, r.body)
	}

	t.Run("an app key on two accounts is refused for both", func(t *testing.T) {
		dup := testConfig()
		dup.Accounts[1].API.AppKey = keyA
		e.api.SetConfig(dup)
		if r := e.do(get); r.errBody(t).Code != "unknown_app_key" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if !strings.Contains(e.logs.String(), "several accounts") {
			t.Fatal("duplicate key not logged")
		}
	})
}

func TestWhiteListedAddress(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(call{method: "GET", uri: "/v1/subscriptions?user=" + userA, key: keyC, from: outsider})
	if r.status != http.StatusOK {
		t.Fatalf("sp-c from 192.0.2.7: %d %s", r.status, r.body)
	}
}

func TestNonceReusableAfterWindow(t *testing.T) {
	e := newEnv(t, nil)
	get := call{method: "GET", uri: "/v1/subscriptions?user=" + userA, nonce: "same-nonce-1"}
	if r := e.do(get); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	e.clock.Advance(5*time.Minute + 2*time.Second)
	get.ts = e.clock.Now() // a new request that happens to reuse the nonce
	if r := e.do(get); r.status != http.StatusOK {
		t.Fatalf("nonce reused after the window: %d %s", r.status, r.body)
	}
	if n := e.api.nonces.len(); n != 1 {
		t.Fatalf("cache holds %d nonces, want 1 (the expired one dropped)", n)
	}
}

func TestConcurrentReplayAdmitsOne(t *testing.T) {
	e := newEnv(t, nil)
	const n = 16
	ts := e.clock.Now()
	codes := make(chan int, n)
	for range n {
		go func() {
			codes <- e.do(call{method: "GET", uri: "/v1/subscriptions?user=" + userA, nonce: "race-nonce-1", ts: ts}).status
		}()
	}
	ok, replayed := 0, 0
	for range n {
		switch <-codes {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
			replayed++
		}
	}
	if ok != 1 || replayed != n-1 {
		t.Fatalf("%d answered 200, %d 401; want exactly one 200", ok, replayed)
	}
	if got := e.counter(epSubscriptionsList, codeReplayedNonce); got != n-1 {
		t.Fatalf("replayed_nonce counted %v times", got)
	}
}

// TestSuspendedAccountOriginatesNothing: an account the operator suspended
// gets account_suspended for on-demand and subscription requests, and
// nothing is sent on its behalf; listing still works.
func TestSuspendedAccountOriginatesNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.gw.mu.Lock()
	e.gw.suspended = map[string]bool{"sp-a": true}
	e.gw.mu.Unlock()
	for _, c := range []call{
		{method: "POST", uri: "/v1/ondemand", body: `{"user":"13800138000"}`},
		{method: "POST", uri: "/v1/subscriptions", body: `{"user":"13800138000","service_code":"NEWS"}`},
	} {
		r := e.do(c)
		got := decode[Error](t, r, http.StatusForbidden)
		if got.Code != "account_suspended" {
			t.Fatalf("%s %s: %+v, want account_suspended", c.method, c.uri, got)
		}
	}
	if sent := e.gw.all(); len(sent) != 0 {
		t.Fatalf("originated %d MTs for a suspended account", len(sent))
	}
	if r := e.do(call{method: "GET", uri: "/v1/subscriptions?user=13800138000"}); r.status != http.StatusOK {
		t.Fatalf("listing by a suspended account: %d %s", r.status, r.body)
	}
	if n := e.counter(epOndemand, codeAccountSuspended); n != 1 {
		t.Fatalf("ondemand account_suspended counted %v times", n)
	}
}
