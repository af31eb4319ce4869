package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// get requests path from the loopback address local (any 127.x.y.z works
// on Linux), so that a test can play Prometheus and a stranger.
func get(t *testing.T, local, base, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).DialContext,
	}}
	resp, err := client.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", path, local, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMonitoringPathsAllowList(t *testing.T) {
	s := NewServer(NewRegistry())
	s.Ready = func() (bool, []byte) { return true, []byte("{\"ready\":true}\n") }
	s.API = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("api") }
	s.Admin = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("admin") }
	s.Console = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("console") }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-served
	})
	base := "http://" + ln.Addr().String()

	t.Run("empty list: loopback only", func(t *testing.T) {
		if code, _ := get(t, "127.0.0.2", base, "/metrics"); code != http.StatusOK {
			t.Fatalf("/metrics from loopback: %d", code)
		}
	})

	// Prometheus scrapes from 127.0.0.2; 127.0.0.1 stands for anyone else.
	s.SetAllowIPs([]netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")})
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/nowhere", "/console", "/console/", "/console/api/state"} {
		t.Run(path, func(t *testing.T) {
			code, body := get(t, "127.0.0.1", base, path)
			if code != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden_ip"`) {
				t.Errorf("%s from an address outside the list: %d %q, want 403 forbidden_ip", path, code, body)
			}
			want := http.StatusOK
			if path == "/nowhere" {
				want = http.StatusNotFound
			}
			if code, body := get(t, "127.0.0.2", base, path); code != want {
				t.Errorf("%s from the allowed address: %d %q, want %d", path, code, body, want)
			}
		})
	}
	t.Run("/admin/ is the admin API's to guard", func(t *testing.T) {
		if code, body := get(t, "127.0.0.1", base, "/admin/v1/reload"); code != http.StatusOK || body != "admin" {
			t.Fatalf("/admin/ from an address outside the monitoring list: %d %q, want the admin API's answer", code, body)
		}
		if code, body := get(t, "127.0.0.2", base, "/console/"); code != http.StatusOK || body != "console" {
			t.Fatalf("/console/ from the allowed address: %d %q", code, body)
		}
	})
	t.Run("/v1/ is the API's to guard", func(t *testing.T) {
		if code, body := get(t, "127.0.0.1", base, "/v1/ondemand"); code != http.StatusOK || body != "api" {
			t.Fatalf("/v1/ from an address outside the monitoring list: %d %q, want the API's answer", code, body)
		}
	})
}

// emfileListener fails its first accepts as accept(2) does when the
// process has no file descriptor left.
type emfileListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestServeGoesOnAfterEMFILE: running out of file descriptors fails a few
// accepts; the server must go on serving once descriptors are free again,
// not return (which ends spsmg serve).
func TestServeGoesOnAfterEMFILE(t *testing.T) {
	s := NewServer(NewRegistry())
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &emfileListener{Listener: inner}
	ln.failures.Store(3)
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		_ = inner.Close()
	})
	type answer struct {
		resp *http.Response
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://" + inner.Addr().String() + "/healthz")
		got <- answer{resp, err}
	}()
	var resp *http.Response
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v after EMFILE", err)
	case a := <-got:
		if a.err != nil {
			t.Fatalf("GET /healthz after EMFILE: %v", a.err)
		}
		resp = a.resp
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz after EMFILE: %d", resp.StatusCode)
	}
	if n := ln.failures.Load(); n >= 0 {
		t.Fatalf("%d of the 3 EMFILE failures left: the test did not exercise them", n+1)
	}
}
