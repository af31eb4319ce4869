// Package console tests the operator console and the admin API end to end:
// an in-process gateway between simulated SPs and a simulated SMG, its HTTP
// server wired as `spsmg serve` wires it, signed admin requests whose
// effect is checked on the wire, and the console page in a real headless
// browser (Debian's chromium, driven with chromedp), where a suspend
// clicked on the page must refuse the SP's next Submit.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spsmg/spsmg/admin"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the console to this PNG file (make console-screenshot)")

const (
	adminKey    = "ops"
	adminSecret = "ops-secret-7c41a9e0"
)

// world is a gateway with the console and admin API served on HTTPAddr.
type world struct {
	*testenv.World
	logs *testenv.LogRecorder
}

func newWorld(t *testing.T) *world {
	t.Helper()
	logs := testenv.NewLogRecorder()
	sp2 := testenv.SP2
	w := testenv.NewWorld(t, testenv.Options{
		HTTP: map[string]string{"admin": fmt.Sprintf("{key: %s, secret: %s}", adminKey, adminSecret)},
		ExtraAccounts: fmt.Sprintf("  - {id: %s, login: %q, secret: %q, access_numbers: [\"10655999\"], allow_ips: [127.0.0.0/8], window: 16}\n",
			sp2.ID, sp2.Login, sp2.Secret),
		Logs:    logs,
		DataDir: t.TempDir(), // Badger, as in production: the page shows its free space
	})
	w.Start()
	serveHTTP(t, w, logs)
	return &world{World: w, logs: logs}
}

// serveHTTP wires the HTTP server as cmd/spsmg serve does: metrics, the
// console behind the monitoring list, the admin API with a reload that
// re-reads the world's YAML.
func serveHTTP(t *testing.T, w *testenv.World, logs *testenv.LogRecorder) {
	t.Helper()
	reg := metrics.NewRegistry()
	reg.MustRegister(w.GW.Collector())
	srv := metrics.NewServer(reg)
	srv.Ready = w.GW.Readyz
	a := admin.New(w.Cfg, w.GW, logs.Logger(), reg)
	a.SetReloader(func() (error, error) {
		next, err := config.Parse([]byte(w.YAML))
		if err != nil {
			return nil, err
		}
		partial := w.GW.Reload(next)
		a.SetConfig(next)
		return partial, nil
	})
	srv.Console, srv.Admin = a.ConsoleHandler(), a.Handler()
	addr := w.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:0" // the world leaves the HTTP server to its user
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	w.HTTPAddr = ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
}

// adminPost sends a signed admin request and returns the status and the
// decoded body.
func (w *world) adminPost(t *testing.T, target string) (int, map[string]any) {
	t.Helper()
	code, body, err := testenv.APIRequest(nil, "http://"+w.HTTPAddr, "POST", target, adminKey, adminSecret, nil, nil)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("POST %s: %d %s: %v", target, code, body, err)
	}
	return code, m
}

func (w *world) submit(t *testing.T, c *sp.Client) uint32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	r, err := c.Submit(ctx, sp.MT{SPNumber: testenv.Access, Users: []string{testenv.User}, ServiceCode: "FREE", Text: "hi"})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return r.Result
}

func (w *world) result(name string) uint32 {
	why, _ := reason.Parse(name)
	return w.Cfg.Results.Table(w.Proto.Family()).Result(why)
}

func (w *world) state(t *testing.T) admin.State {
	t.Helper()
	resp, err := (&http.Client{Timeout: testenv.Wait}).Get("http://" + w.HTTPAddr + "/console/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s admin.State
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAdminActionsOnTheWire: every admin action through the HTTP API,
// checked where it matters: on the SP's connection.
func TestAdminActionsOnTheWire(t *testing.T) {
	w := newWorld(t)
	c, err := w.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r := w.submit(t, c); r != 0 {
		t.Fatalf("before: result %d", r)
	}

	// Suspend: the next Submit is refused, permanently coded; the
	// suspension survives the reload action.
	if code, m := w.adminPost(t, "/admin/v1/accounts/sp1/suspend"); code != 200 || m["result"] != "ok" {
		t.Fatalf("suspend: %d %v", code, m)
	}
	if r := w.submit(t, c); r != w.result(reason.AccountSuspended.String()) {
		t.Fatalf("suspended: result %d, want %d", r, w.result(reason.AccountSuspended.String()))
	}
	if code, m := w.adminPost(t, "/admin/v1/reload"); code != 200 || m["result"] != "ok" {
		t.Fatalf("reload: %d %v", code, m)
	}
	if r := w.submit(t, c); r != w.result(reason.AccountSuspended.String()) {
		t.Fatalf("suspended, after the reload action: result %d", r)
	}
	if s := w.state(t); !s.Accounts[0].Suspended || s.Accounts[0].SuspendedBy != adminKey {
		t.Fatalf("console state of sp1: %+v", s.Accounts[0])
	}
	if code, _ := w.adminPost(t, "/admin/v1/accounts/sp1/resume"); code != 200 {
		t.Fatalf("resume: %d", code)
	}
	if r := w.submit(t, c); r != 0 {
		t.Fatalf("resumed: result %d", r)
	}

	// Drain every bind: Submits get upstream_unavailable; restore them.
	binds := w.GW.Binds()
	for _, b := range binds {
		if code, m := w.adminPost(t, fmt.Sprintf("/admin/v1/binds/%d/drain", b.ID)); code != 200 || m["result"] != "ok" {
			t.Fatalf("drain %d: %d %v", b.ID, code, m)
		}
	}
	if r := w.submit(t, c); r != w.result(reason.UpstreamUnavailable.String()) {
		t.Fatalf("every bind drained: result %d", r)
	}
	if code, _, _ := w.Readyz(); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with every bind drained: %d", code)
	}
	for _, b := range binds {
		if code, _ := w.adminPost(t, fmt.Sprintf("/admin/v1/binds/%d/restore", b.ID)); code != 200 {
			t.Fatalf("restore %d: %d", b.ID, code)
		}
	}
	if r := w.submit(t, c); r != 0 {
		t.Fatalf("binds restored: result %d", r)
	}

	// Close the connection by the id the console shows.
	s := w.state(t)
	if len(s.Connections) != 1 || s.Connections[0].Account != "sp1" || s.Connections[0].Remote != "127.0.0.1" {
		t.Fatalf("console connections: %+v", s.Connections)
	}
	if code, m := w.adminPost(t, fmt.Sprintf("/admin/v1/connections/%d/close", s.Connections[0].ID)); code != 200 {
		t.Fatalf("close: %d %v", code, m)
	}
	select {
	case <-c.Done():
	case <-time.After(testenv.Wait):
		t.Fatal("the connection is still open")
	}

	// Unsigned: refused, nothing done.
	if code, _, _ := testenv.APIRequest(nil, "http://"+w.HTTPAddr, "POST", "/admin/v1/accounts/sp1/suspend", "", "", nil, nil); code != 401 {
		t.Fatalf("unsigned suspend: %d", code)
	}
	if w.GW.Suspended("sp1") {
		t.Fatal("an unsigned request suspended the account")
	}

	m := w.MustMetrics()
	for _, c := range []struct {
		action, result string
		want           float64
	}{
		{"suspend", "ok", 1}, {"resume", "ok", 1}, {"reload", "ok", 1}, {"drain_bind", "ok", float64(len(binds))},
		{"restore_bind", "ok", float64(len(binds))}, {"close_connection", "ok", 1}, {"suspend", "denied", 1},
	} {
		got, err := scrapeAdmin(w.HTTPAddr, c.action, c.result)
		if err != nil || got != c.want {
			t.Errorf("spsmg_admin_actions_total{action=%q,result=%q} = %v (%v), want %v", c.action, c.result, got, err, c.want)
		}
	}
	if n := m.Get("spsmg_connections_closed_total", "reason", "admin"); n != 1 {
		t.Errorf("closes under reason admin: %v", n)
	}
	if n := w.logs.Count(0, "admin action"); n < 8 {
		t.Errorf("%d admin actions logged, want every one:\n%s", n, w.logs.Text(0))
	}
	if strings.Contains(w.logs.Text(0), adminSecret) {
		t.Error("the admin secret is in the log")
	}
}

// scrapeAdmin reads one series of spsmg_admin_actions_total from /metrics.
func scrapeAdmin(addr, action, result string) (float64, error) {
	m, err := testenv.Scrape("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	return m.Get("spsmg_admin_actions_total", "action", action, "result", result), nil
}

// browser starts Debian's chromium headless, or skips the test saying why
// it cannot.
func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	const exe = "/usr/bin/chromium"
	if _, err := os.Stat(exe); err != nil {
		t.Skipf("chromium is not installed (%v): apt-get install -y chromium (.ci/run does)", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1100),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	cancel := func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Skipf("chromium cannot start: %v", err)
	}
	return ctx, cancel
}

// load keeps a little traffic going, so that the page has rates to show:
// sp2 sends exempt and unsubscribed MT, until stop.
func load(t *testing.T, w *world) (stop func()) {
	sp2 := testenv.SP2
	cc := w.ClientConfig()
	cc.Login, cc.Secret = sp2.Login, sp2.Secret
	ctx, cancel := context.WithCancel(context.Background())
	c, err := sp.Dial(ctx, cc)
	if err != nil {
		t.Fatalf("sp2: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			service := "FREE"
			if i%8 == 0 {
				service = "NEWS" // not subscribed: a refusal reason on the page
			}
			_, _ = c.Submit(ctx, sp.MT{SPNumber: "10655999", Users: []string{testenv.User}, ServiceCode: service, Text: "load"})
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
	}()
	return func() { cancel(); wg.Wait(); c.Close() }
}

// TestConsoleInBrowser: the page loads, shows the logged-in SP (account
// and address) and the binds, and a suspend clicked on the page (with the
// admin credentials typed into it) refuses the SP's next Submit on the
// wire.
func TestConsoleInBrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	w := newWorld(t)
	c, err := w.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r := w.submit(t, c); r != 0 {
		t.Fatalf("before: result %d", r)
	}
	stop := load(t, w)
	defer stop()

	url := "http://" + w.HTTPAddr + "/console/"
	err = chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#connections tbody tr[data-conn]`)),
		chromedp.WaitVisible(chromedp.CSS(`#binds tbody tr[data-bind]`)),
	)
	if err != nil {
		t.Fatalf("the page did not load: %v", err)
	}
	title := must(chromedp.Run(ctx, chromedp.Title()))(t)
	conns := must(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#connections tbody`))))(t)
	binds := must(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#binds tbody`))))(t)
	if title != "spsmg console" {
		t.Fatalf("title %q", title)
	}
	if !strings.Contains(conns, "sp1") || !strings.Contains(conns, "127.0.0.1") {
		t.Fatalf("the page does not show sp1 logged in from 127.0.0.1:\n%s", conns)
	}
	if !strings.Contains(binds, "logged_in") || !strings.Contains(binds, "healthy") {
		t.Fatalf("the page does not show a logged-in bind:\n%s", binds)
	}

	suspend := chromedp.CSS(`#accounts button[data-action="suspend"][data-target="sp1"]`)
	armed := chromedp.CSS(`#accounts button.armed[data-action="suspend"][data-target="sp1"]`)
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("admin-key"), adminKey),
		chromedp.SendKeys(chromedp.ID("admin-secret"), adminSecret),
		chromedp.SendKeys(chromedp.ID("admin-note"), "abuse report 4711"),
		chromedp.Click(chromedp.ID("admin-save")),
		chromedp.WaitEnabled(suspend),
		chromedp.Click(suspend), // arms it
		chromedp.WaitVisible(armed),
		chromedp.Click(armed), // confirms
		chromedp.WaitVisible(chromedp.CSS(`#action-status[data-action="suspend"]:not(.pending)`)),
	)
	if err != nil {
		s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("action-status")))
		t.Fatalf("suspending on the page: %v (status %q)", err, s)
	}
	if status := must(chromedp.Run(ctx, chromedp.Text(chromedp.ID("action-status"))))(t); !strings.Contains(status, "suspend sp1: ok") {
		t.Fatalf("the page says %q", status)
	}
	if r := w.submit(t, c); r != w.result(reason.AccountSuspended.String()) {
		t.Fatalf("after the suspend on the page, sp1's Submit got %d, want account_suspended %d", r, w.result(reason.AccountSuspended.String()))
	}
	if n := strings.Count(w.logs.Text(0), "action=suspend target=sp1 key=ops remote=127.0.0.1 result=ok reason=abuse report 4711"); n != 1 {
		t.Errorf("the note typed on the page is not in the log:\n%s", w.logs.Text(0))
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#accounts tr[data-account="sp1"] button[data-action="resume"]`))); err != nil {
		t.Fatalf("the page never showed sp1 suspended: %v", err)
	}
	if accounts := must(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#accounts tbody`))))(t); !strings.Contains(accounts, "suspended since") {
		t.Fatalf("accounts on the page:\n%s", accounts)
	}

	if *screenshot != "" {
		// Rates need two polls after the action; the decisions table fills.
		err := chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`#decisions tbody tr:nth-child(2)`)),
			chromedp.Sleep(2*time.Second), // a picture, not a synchronisation: let the rates settle
		)
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		png := must(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t)
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", *screenshot, len(png))
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the browser's deadline passed")
	}
}

// must unwraps a value and an error, failing the test on the error.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
