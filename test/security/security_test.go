// Package security checks the security promises of docs/product.md §5 on a
// running gateway: credentials never reach the log, a configuration file
// holding secrets is warned about when others can read it, the HTTP API
// listens on loopback by default, requires signed requests and can serve
// TLS, the monitoring paths answer only their allow list, and SP logins
// are locked out after repeated failures per account and source address
// and per source address, never for an account everywhere.
package security

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// wrongSecret is what the tests send as a bad password: it must not be
// logged either (SGIP carries passwords in plain text in its Bind).
const wrongSecret = "WrongPw-6c1e"

func TestCredentialsNeverLogged(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34} {
		t.Run(p.String(), func(t *testing.T) {
			logs := testenv.NewLogRecorder()
			w := testenv.NewWorld(t, testenv.Options{Proto: p, Logs: logs,
				Gateway: map[string]string{"login_failures": "3"}})
			w.Start()
			wire := testenv.NewWire(p)
			a := testenv.SP1
			// A good login, bad passwords, an unknown account, a lock-out.
			if _, err := w.WellBehaved(testenv.Wait); err != nil {
				t.Fatal(err)
			}
			for _, login := range []string{a.Login, a.Login, "nobody", a.Login} {
				if st, c, err := wire.RawLogin("127.0.0.1", w.SPAddr, login, wrongSecret); err != nil || st == 0 {
					if c != nil {
						c.Close()
					}
					t.Fatalf("login %s with a wrong secret: status %d, %v", login, st, err)
				}
			}
			// Credential rotation by reload.
			next := *w.Cfg
			next.Accounts = append([]config.Account(nil), w.Cfg.Accounts...)
			next.Accounts[0].Secret = "Rotated-77f2"
			if err := w.GW.Reload(&next); err != nil {
				t.Fatal(err)
			}
			// The SMG refuses spsmg's own login for a while.
			w.SMG.SetRefuseLogins(true)
			w.SMG.Kick()
			testenv.Eventually(t, testenv.Wait, "an upstream login is refused", func() bool { return w.SMG.Stats().LoginsRefused > 0 })
			w.SMG.SetRefuseLogins(false)
			w.WaitBinds()
			if p == codec.SGIP {
				// The SMG's type-2 bind with a wrong password.
				c, err := testenv.DialFrom("127.0.0.1", w.InboundAddr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				seq := uint32(1)
				b := wireBind(seq, testenv.InboundLogin, wrongSecret)
				_, _ = c.Write(b)
				_ = testenv.WaitClosed(c, time.Now().Add(testenv.Wait))
				c.Close()
			}
			text := logs.Text(0)
			if found := testenv.FindSecrets(text, append(testenv.Secrets, wrongSecret, "Rotated-77f2")...); len(found) > 0 {
				t.Errorf("the log holds credentials %v:\n%s", found, text)
			}
			if !strings.Contains(text, "login refused") {
				t.Errorf("refused logins were not logged at all:\n%s", text)
			}
			t.Logf("%d log lines, none with a secret", len(logs.All()))
		})
	}
}

func wireBind(seq uint32, name, pw string) []byte {
	w := testenv.NewWire(codec.SGIP)
	b := w.Login(seq, name, pw)
	b[20] = 2 // Login Type 2: the SMG binding to spsmg
	return b
}

func TestConfigReadableByOthersIsWarnedAbout(t *testing.T) {
	w := testenv.NewWorld(t, testenv.Options{})
	dir := t.TempDir()
	t.Run("config.Load", func(t *testing.T) {
		for _, c := range []struct {
			perm os.FileMode
			warn bool
		}{{0o600, false}, {0o640, true}, {0o644, true}, {0o400, false}} {
			path := filepath.Join(dir, fmt.Sprintf("spsmg-%o.yaml", c.perm))
			if err := os.WriteFile(path, []byte(w.YAML), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.perm); err != nil {
				t.Fatal(err)
			}
			_, warnings, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			got := len(warnings) > 0 && strings.Contains(strings.Join(warnings, " "), "chmod 600")
			if got != c.warn {
				t.Errorf("mode %o: warnings %q, want a chmod warning: %v", c.perm, warnings, c.warn)
			}
		}
	})
	t.Run("spsmg serve", func(t *testing.T) {
		bin := testenv.BuildSpsmg(t)
		w2 := testenv.NewWorld(t, testenv.Options{DataDir: filepath.Join(dir, "data")})
		path := w2.WriteConfig(dir, 0o644)
		var out strings.Builder
		cmd := exec.Command(bin, "serve", "--config", path)
		cmd.Stderr = &lockedWriter{b: &out}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}()
		testenv.Eventually(t, testenv.Wait, "spsmg serve warns about the file mode", func() bool {
			return strings.Contains(readLocked(&out), "readable by group/others")
		})
	})
}

func TestHTTPAPIDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts: [{id: a, login: "900001", secret: x, access_numbers: ["10655123"]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(cfg.HTTP.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("http.addr defaults to %q: not loopback", cfg.HTTP.Addr)
	}
	if cfg.HTTP.TLSCert != "" || cfg.HTTP.TLSKey != "" {
		t.Errorf("TLS configured by default: %q %q", cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
	}
	if _, err := config.Parse([]byte(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
http: {tls_cert: /x.crt}
accounts: [{id: a, login: "900001", secret: x, access_numbers: ["10655123"]}]
`)); err == nil {
		t.Error("a tls_cert without tls_key was accepted")
	}
}

// TestAPIOverTLSRequiresSigning serves the SPMS API with TLS (a
// self-signed certificate) in front of a running gateway and checks every
// way a request can fail authentication.
func TestAPIOverTLSRequiresSigning(t *testing.T) {
	w := testenv.NewWorld(t, testenv.Options{})
	w.Start()
	cert, key := selfSigned(t)
	reg := metrics.NewRegistry()
	reg.MustRegister(w.GW.Collector())
	spms := api.New(w.Cfg, w.Engine, w.GW, testenv.Quiet(), reg)
	srv := metrics.NewServer(reg)
	srv.API = spms.Handler()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln, cert, key) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	})
	base := "https://" + ln.Addr().String()
	client := testenv.InsecureTLSClient()
	testenv.Eventually(t, testenv.Wait, "the TLS server answers /healthz", func() bool {
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	t.Run("plain HTTP to the TLS port fails", func(t *testing.T) {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("plain HTTP got 200 from the TLS listener")
			}
		}
	})
	t.Run("/metrics needs no signature", func(t *testing.T) {
		code, _, err := testenv.APIRequest(client, base, "GET", "/metrics", "", "", nil, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET /metrics: %d %v", code, err)
		}
	})
	body := map[string]string{"user": testenv.User}
	cases := []struct {
		name, key, secret string
		edit              func(*http.Request)
		want              int
		code              string
	}{
		{"unsigned", "", "", nil, 401, "missing_credentials"},
		{"unknown app key", "nobody", testenv.APISecret, nil, 401, "unknown_app_key"},
		{"wrong secret", testenv.APIKey, "not-the-secret", nil, 401, "bad_signature"},
		{"stale timestamp", testenv.APIKey, testenv.APISecret, func(r *http.Request) {
			ts := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
			r.Header.Set(api.HeaderTimestamp, ts)
			r.Header.Set(api.HeaderSignature, api.Signature(testenv.APISecret, r.Method, r.URL.RequestURI(), ts, r.Header.Get(api.HeaderNonce), []byte(`{"user":"`+testenv.User+`"}`)))
		}, 401, "stale_timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, resp, err := signedRequest(client, base, "POST", "/v1/ondemand", c.key, c.secret, body, c.edit)
			if err != nil {
				t.Fatal(err)
			}
			if code != c.want || !strings.Contains(string(resp), c.code) {
				t.Fatalf("got %d %s, want %d %s", code, resp, c.want, c.code)
			}
		})
	}
	t.Run("signed request passes; its replay does not", func(t *testing.T) {
		var sent *http.Request
		code, resp, err := signedRequest(client, base, "POST", "/v1/ondemand", testenv.APIKey, testenv.APISecret, body, func(r *http.Request) { sent = r })
		if err != nil || code != http.StatusOK {
			t.Fatalf("signed POST /v1/ondemand: %d %s %v", code, resp, err)
		}
		replay, _ := http.NewRequest("POST", base+"/v1/ondemand", strings.NewReader(`{"user":"`+testenv.User+`"}`))
		replay.Header = sent.Header.Clone()
		r, err := client.Do(replay)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a replayed request got %d", r.StatusCode)
		}
	})
}

// signedRequest signs like testenv.APIRequest and lets edit change the
// request before it is sent.
func signedRequest(client *http.Client, base, method, target, key, secret string, body map[string]string, edit func(*http.Request)) (int, []byte, error) {
	raw := []byte(`{"user":"` + body["user"] + `"}`)
	req, err := http.NewRequest(method, base+target, strings.NewReader(string(raw)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := api.NewNonce()
		req.Header.Set(api.HeaderAppKey, key)
		req.Header.Set(api.HeaderTimestamp, ts)
		req.Header.Set(api.HeaderNonce, nonce)
		req.Header.Set(api.HeaderSignature, api.Signature(secret, method, target, ts, nonce, raw))
	}
	if edit != nil {
		edit(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, []byte(b.String()), nil
}

func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "spsmg test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestLoginLockout: wrong secrets lock an account out from the address
// they came from only (gateway.login_failures per account and address), so
// that nobody can lock an SP out of its own address; every failure from an
// address, whatever the name, adds up to the address's own lock-out
// (gateway.login_failures_per_ip); connections already logged in are not
// touched; the lock ends on its own.
func TestLoginLockout(t *testing.T) {
	bugs := testenv.NewBugs(t)
	defer bugs.Done()
	p := codec.CMPP30
	sp2, sp3 := testenv.SP2, testenv.Account{ID: "sp3", Login: "900003", Secret: "sp3S1f2e"}
	w := testenv.NewWorld(t, testenv.Options{Proto: p,
		Gateway: map[string]string{"login_failures": "3", "login_failures_per_ip": "6", "login_lockout": "2s"},
		Account: map[string]string{"allow_ips": "[127.0.0.0/8]"},
		ExtraAccounts: fmt.Sprintf("  - {id: sp2, login: %q, secret: %q, access_numbers: [\"10655999\"], allow_ips: [127.0.0.0/8]}\n", sp2.Login, sp2.Secret) +
			fmt.Sprintf("  - {id: sp3, login: %q, secret: %q, access_numbers: [\"10655888\"], allow_ips: [127.0.0.1]}\n", sp3.Login, sp3.Secret),
	})
	w.Start()
	wire := testenv.NewWire(p)
	sp1 := testenv.SP1
	login := func(from string, a testenv.Account, secret string) uint32 {
		t.Helper()
		st, c, err := wire.RawLogin(from, w.SPAddr, a.Login, secret)
		if err != nil {
			t.Fatalf("login %s from %s: %v", a.Login, from, err)
		}
		if c != nil {
			c.Close()
		}
		return st
	}
	const lockedOut = 5 // CMPP Connect_Resp "other error": what spsmg answers a locked-out login

	t.Run("per account and address", func(t *testing.T) {
		// The real SP works from 127.0.0.2; someone at 127.0.0.3 knows its
		// login name (CMPP's SP_Id is no secret) and guesses.
		cc := w.ClientConfig()
		cc.Login, cc.Secret, cc.LocalIP = sp2.Login, sp2.Secret, "127.0.0.2"
		ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
		defer cancel()
		c, err := sp.Dial(ctx, cc)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := 0; i < 3; i++ {
			if st := login("127.0.0.3", sp2, "wrong"); st == 0 {
				t.Fatal("a wrong password logged in")
			}
		}
		if st := login("127.0.0.3", sp2, sp2.Secret); st != lockedOut {
			t.Errorf("sp2's right secret from 127.0.0.3 after 3 wrong ones from there: status %d, want %d (locked out)", st, lockedOut)
		}
		if st := login("127.0.0.2", sp2, sp2.Secret); st != 0 {
			bugs.Report("lockout-dos-from-any-address",
				"sp2's right secret from its own address 127.0.0.2 is refused with status %d after 3 wrong passwords from 127.0.0.3: "+
					"anyone the account's allow_ips admit can lock the SP out everywhere", st)
		}
		if st := login("127.0.0.3", sp1, sp1.Secret); st != 0 {
			t.Errorf("sp1 from 127.0.0.3 (3 failures there, per-address limit 6): status %d, want 0", st)
		}
		r, err := c.Submit(ctx, sp.MT{SPNumber: "10655999", Users: []string{testenv.User}, ServiceCode: "FREE", Text: "still here"})
		if err != nil || r.Result != 0 {
			t.Errorf("sp2's session from before the lock-out: %+v %v", r, err)
		}
		testenv.Eventually(t, testenv.Wait, "the lock-out ends after login_lockout", func() bool {
			return login("127.0.0.3", sp2, sp2.Secret) == 0
		})
	})

	t.Run("per address, any login name", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			if st := login("127.0.0.10", testenv.Account{Login: fmt.Sprintf("90%04d", 100+i)}, "x"); st == 0 {
				t.Fatal("an unknown account logged in")
			}
		}
		if st := login("127.0.0.10", sp1, sp1.Secret); st != lockedOut {
			t.Errorf("after 6 failures from 127.0.0.10, sp1's good login from there: status %d, want %d (locked out)", st, lockedOut)
		}
		if st := login("127.0.0.11", sp1, sp1.Secret); st != 0 {
			t.Errorf("sp1 from another IP: status %d, want 0", st)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		m := w.MustMetrics()
		for _, s := range []string{"locked_out", "bad_credentials", "unknown_account"} {
			if m.Get("spsmg_login_failures_total", "status", s) == 0 {
				t.Errorf("spsmg_login_failures_total{status=%q} is 0", s)
			}
		}
	})

	t.Run("failures from outside the white-list do not lock the account", func(t *testing.T) {
		// sp3 may log in from 127.0.0.1 only. Anyone else who knows its
		// login name sends wrong passwords from outside the list.
		for i := 0; i < 6; i++ {
			_ = login(fmt.Sprintf("127.0.0.%d", 30+i), sp3, "wrong")
		}
		if st := login("127.0.0.1", sp3, sp3.Secret); st != 0 {
			bugs.Report("lockout-dos-from-foreign-ip",
				"sp3's good login from its white-listed IP is refused with status %d after 6 wrong passwords sent from IPs outside its "+
					"white-list: proxy/spconn.go login() calls lockout.fail(name, ip) for loginBadIP as for a bad password, so anyone "+
					"who can reach the listener and knows a login name can keep that SP locked out", st)
		}
	})
}

// TestMonitoringOnlyFromAllowedAddresses: with http.addr routable,
// /metrics, /healthz and /readyz answer only http.metrics_allow_ips
// (Prometheus, the load balancer); any other address gets 403 forbidden_ip.
// The list follows SIGHUP. Runs `spsmg serve`, as an operator would.
func TestMonitoringOnlyFromAllowedAddresses(t *testing.T) {
	bin := testenv.BuildSpsmg(t)
	// 127.0.0.1 is the test harness's own client (readiness, scrapes),
	// 127.0.0.2 plays Prometheus, 127.0.0.3 anyone else.
	w := testenv.NewWorld(t, testenv.Options{HTTP: map[string]string{"metrics_allow_ips": "[127.0.0.1, 127.0.0.2]"}})
	child := w.StartChild(bin)
	base := "http://" + w.HTTPAddr
	get := func(from, path string) (int, string) {
		t.Helper()
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext}}
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s from %s: %v", path, from, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		if code, body := get("127.0.0.3", path); code != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden_ip"`) {
			t.Errorf("%s from 127.0.0.3, outside http.metrics_allow_ips: %d %q, want 403 forbidden_ip", path, code, body)
		}
		if code, body := get("127.0.0.2", path); code != http.StatusOK {
			t.Errorf("%s from 127.0.0.2 (Prometheus): %d %q, want 200", path, code, body)
		}
	}
	if _, body := get("127.0.0.2", "/metrics"); !strings.Contains(body, "spsmg_connections_open") {
		t.Errorf("/metrics from Prometheus's address holds no spsmg metrics: %.200q", body)
	}

	// Prometheus moves to 127.0.0.3.
	child.Reload(strings.Replace(w.YAML, "[127.0.0.1, 127.0.0.2]", "[127.0.0.1, 127.0.0.3]", 1))
	testenv.Eventually(t, testenv.Wait, "after SIGHUP, 127.0.0.3 may scrape and 127.0.0.2 may not", func() bool {
		c3, _ := get("127.0.0.3", "/metrics")
		c2, _ := get("127.0.0.2", "/metrics")
		return c3 == http.StatusOK && c2 == http.StatusForbidden
	})
}

type lockedWriter struct {
	b *strings.Builder
}

var outMu = make(chan struct{}, 1)

func (w *lockedWriter) Write(p []byte) (int, error) {
	outMu <- struct{}{}
	defer func() { <-outMu }()
	return w.b.Write(p)
}

func readLocked(b *strings.Builder) string {
	outMu <- struct{}{}
	defer func() { <-outMu }()
	return b.String()
}
