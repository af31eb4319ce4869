package jsoningress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/jsonclient"
	"github.com/spsmg/spsmg/jsoningress"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// TestMessagesRoutedByRecipient: with two upstreams of different
// protocols (a CMPP 3.0 one taking 138, an SMGP one taking 133), each
// merchant message goes to the upstream of its recipient, written in that
// upstream's protocol, and each report comes back to the merchant under
// its msgid.
func TestMessagesRoutedByRecipient(t *testing.T) {
	rs, err := jsonclient.StartReportServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Close)
	type carrier struct {
		name, route, user string
		proto             codec.Protocol
		ln                net.Listener
		smg               *smg.Server
	}
	carriers := []*carrier{
		{name: "cmcc", route: "138", user: "13800138000", proto: codec.CMPP30},
		{name: "telecom", route: "133", user: "13300133000", proto: codec.SMGP30},
	}
	var ups strings.Builder
	for _, c := range carriers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		s, err := smg.New(smg.Config{Dialect: testenv.Dialect(c.proto), Accounts: map[string]string{testenv.SMGLogin: testenv.SMGSecret},
			ResendTimeout: time.Second, MaxResends: -1, SubmitLog: 1000, Logger: testenv.Quiet()})
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = s.Serve(ln) }()
		t.Cleanup(func() { s.Close() })
		c.ln, c.smg = ln, s
		fmt.Fprintf(&ups, "  - {name: %s, protocol: %s, addr: %q, login: %q, secret: %q, routes: [%q], reconnect_min: 20ms, reconnect_max: 300ms}\n",
			c.name, c.proto, ln.Addr().String(), testenv.SMGLogin, testenv.SMGSecret, c.route)
	}
	yaml := "listeners:\n  - {protocol: cmpp3, addr: \"127.0.0.1:0\"}\n  - {protocol: json, addr: \"127.0.0.1:0\"}\n" +
		"upstreams:\n" + ups.String() + "routing: {default: cmcc}\n" +
		"gateway: {event_loops: 2}\n" +
		fmt.Sprintf("authorization: {portal_number: %q, exempt_services: [FREE]}\n", testenv.Portal) +
		"json: {read_timeout: 2s, retry_interval: 20ms, report_resend: 300ms}\n" +
		"accounts:\n" +
		fmt.Sprintf("  - {id: %s, protocol: json, access_numbers: [%q], tps: 100000, json: {app_id: %s, app_secret: %s, service_code: FREE, report_addr: %q}}\n",
			shopID, shopAccess, shopApp, shopSecret, rs.Addr())
	gw, cfg, eng := testenv.StartGateway(t, yaml)
	testenv.Eventually(t, testenv.Wait, "both carriers' binds logged in", func() bool { return gw.ReadyBinds() >= 4 })
	js, err := jsoningress.New(cfg, jsoningress.Options{Gateway: gw, Store: jsoningress.EngineStore(eng), Logger: testenv.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := js.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	jsServed := make(chan error, 1)
	go func() { jsServed <- js.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
		defer cancel()
		_ = js.Shutdown(ctx)
		<-jsServed
	})

	msgs := make([]jsonclient.Message, len(carriers))
	for i, c := range carriers {
		msgs[i] = notice("to " + c.name)
		msgs[i].Phone = c.user
	}
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	shop := &jsonclient.Client{Addr: ln.Addr().String(), AppID: shopApp, AppSecret: shopSecret}
	st, a, err := shop.Send(ctx, msgs...)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	var b b001
	if err := json.Unmarshal(a.Body, &b); err != nil || st != "1" {
		t.Fatalf("B001 %q (status %q): want 1 for both", a.Body, st)
	}
	for i, c := range carriers {
		subs, err := c.smg.WaitSubmits(1, testenv.Wait)
		if err != nil {
			t.Fatalf("%s got no Submit: %v", c.name, err)
		}
		if len(subs) != 1 || subs[0].Text != msgs[i].Message || len(subs[0].Recipients) != 1 || subs[0].Recipients[0] != c.user {
			t.Errorf("%s got %+v, want one Submit %q to %s", c.name, subs, msgs[i].Message, c.user)
		}
	}
	got := map[string]jsonclient.Push{}
	for range carriers {
		select {
		case p := <-rs.Pushes():
			got[p.Report.MsgID] = p
		case <-time.After(testenv.Wait):
			t.Fatalf("no A002 push arrived (got %d)", len(got))
		}
	}
	for i, c := range carriers {
		p, ok := got[msgs[i].MsgID]
		if !ok || p.Report.Status != "1" || p.Report.Stat != "DELIVRD" || p.Report.Phone != c.user {
			t.Errorf("report of the message to %s: %+v (found %v), want status 1 DELIVRD", c.name, p.Report, ok)
		}
	}
}
