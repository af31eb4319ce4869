// Package jsoningress_test runs the JSON socket listener of merchant
// systems end to end: internal/jsonclient (written from the protocol's
// description, not from the server) as the merchant and its report
// receiver, the gateway and the listener in process, the simulated SMG
// behind them.
package jsoningress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/jsonclient"
	"github.com/spsmg/spsmg/jsoningress"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// The merchant accounts of the tests.
const (
	shopID     = "shop" // notices and codes under the free service FREE
	shopApp    = "shop1"
	shopSecret = "shopSecret01"
	shopAccess = "10655124"
	newsID     = "news" // notices under NEWS: a subscription is needed
	newsApp    = "news1"
	newsSecret = "newsSecret01"
	newsAccess = "10655125"
	user       = testenv.User
)

// world is the gateway, the JSON listener, the simulated SMG and the
// merchant's report receiver.
type world struct {
	*testenv.World
	t       testing.TB
	reports *jsonclient.ReportServer
	js      *jsoningress.Server
	stopJS  func()
}

type options struct {
	json      map[string]string // the json: section
	extra     string            // more accounts, raw YAML (REPORTS is the receiver's address)
	shopExtra string            // more keys of the shop account's flow mapping
	answer    func(jsonclient.Push) (string, bool)
	dataDir   string
	smg       func(*smg.Config)
	proto     codec.Protocol // the upstream's; default cmpp3
}

func newWorld(t testing.TB, o options) *world {
	t.Helper()
	rs, err := jsonclient.StartReportServer(o.answer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Close)
	section := map[string]string{"read_timeout": "2s", "retry_interval": "20ms", "report_resend": "300ms"}
	for k, v := range o.json {
		section[k] = v
	}
	accounts := fmt.Sprintf(
		"  - {id: %s, protocol: json, access_numbers: [%q], allow_ips: [127.0.0.1], tps: 100000%s, json: {app_id: %s, app_secret: %s, service_code: FREE, report_addr: %q}}\n"+
			"  - {id: %s, protocol: json, access_numbers: [%q], tps: 100000, json: {app_id: %s, app_secret: %s, service_code: NEWS, report_addr: %q}}\n",
		shopID, shopAccess, o.shopExtra, shopApp, shopSecret, rs.Addr(), newsID, newsAccess, newsApp, newsSecret, rs.Addr())
	w := testenv.NewWorld(t, testenv.Options{
		JSON:          section,
		ExtraAccounts: accounts + o.extra,
		DataDir:       o.dataDir,
		Proto:         o.proto,
		SMG: func(c *smg.Config) {
			c.SubmitLog = 10000
			if o.smg != nil {
				o.smg(c)
			}
		},
	})
	w.Start()
	js, stop := w.StartJSON()
	return &world{World: w, t: t, reports: rs, js: js, stopJS: stop}
}

// reloadJSON applies cfg to the listener, as a SIGHUP does.
func (w *world) reloadJSON(cfg *config.Config) { w.js.SetConfig(cfg) }

// restart stops the listener and the gateway gracefully and starts both
// again on the same store and addresses.
func (w *world) restart() {
	w.t.Helper()
	w.stopJS()
	w.Stop()
	w.Start()
	w.js, w.stopJS = w.StartJSON()
}

func (w *world) client(app, secret string) *jsonclient.Client {
	return &jsonclient.Client{Addr: w.JSONAddr, AppID: app, AppSecret: secret}
}

func (w *world) shop() *jsonclient.Client { return w.client(shopApp, shopSecret) }

// b001 is the answer as a merchant reads it.
type b001 struct {
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Error   string `json:"error"`
	Results []struct {
		MsgID  string `json:"msgid"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"results"`
}

func (w *world) send(c *jsonclient.Client, msgs ...jsonclient.Message) b001 {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	st, a, err := c.Send(ctx, msgs...)
	if err != nil {
		w.t.Fatalf("send: %v", err)
	}
	var b b001
	if err := json.Unmarshal(a.Body, &b); err != nil {
		w.t.Fatalf("B001 body %q: %v", a.Body, err)
	}
	if st != b.Status || a.Command != "B001" || !a.Closed {
		w.t.Fatalf("answer %s %q (status %q), closed %v: want B001, then the connection closed", a.Command, a.Body, st, a.Closed)
	}
	return b
}

var msgSeq int

func notice(text string) jsonclient.Message {
	msgSeq++
	return jsonclient.Message{Phone: user, Message: text, SendTime: strconv.FormatInt(time.Now().UnixMilli(), 10),
		MsgID: fmt.Sprintf("n-%d-%d", time.Now().UnixNano(), msgSeq), MsgType: "1"}
}

func code(text string) jsonclient.Message {
	m := notice(text)
	m.MsgID, m.MsgType = "c"+m.MsgID[1:], "2"
	return m
}

// push waits for the receiver's next push.
func (w *world) push() jsonclient.Push {
	w.t.Helper()
	select {
	case p := <-w.reports.Pushes():
		return p
	case <-time.After(testenv.Wait):
		w.t.Fatal("no A002 push arrived")
		return jsonclient.Push{}
	}
}

// metric reads one series.
func (w *world) metric(name string, labels ...string) float64 {
	return w.MustMetrics().Get(name, labels...)
}

// waitMetric waits until a series reaches want.
func (w *world) waitMetric(want float64, name string, labels ...string) {
	w.t.Helper()
	testenv.Eventually(w.t, testenv.Wait, fmt.Sprintf("%s %v reaches %v", name, labels, want), func() bool {
		m, err := w.Metrics()
		return err == nil && m.Get(name, labels...) >= want
	})
	if got := w.metric(name, labels...); got != want {
		w.t.Fatalf("%s %v = %v, want %v", name, labels, got, want)
	}
}

// submits are the Submits the SMG received from the given source number.
func (w *world) submits(from string) []smg.SubmitInfo {
	var out []smg.SubmitInfo
	for _, s := range w.SMG.Submits() {
		if s.SPNumber == from {
			out = append(out, s)
		}
	}
	return out
}
