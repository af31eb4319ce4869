package metrics

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// Server is spsmg's HTTP server: /metrics, /healthz, /readyz, the operator
// console under /console, and mounted APIs under /v1/ (SPMS), /admin/ (the
// operator's) and /sync/ (the carriers' subscription sync). Like
// net/http's: Serve blocks and returns
// ErrServerClosed after Shutdown.
//
// Every path outside /v1/ and /admin/ answers only the addresses of
// SetAllowIPs (http.metrics_allow_ips: Prometheus, the load balancer, the
// operators' browsers), loopback when the list is empty; others get 403
// {"code":"forbidden_ip"}. /v1/ and /admin/ have their own white-lists,
// applied by their handlers (api.allow_ips, http.allow_ips;
// http.admin.allow_ips).
type Server struct {
	// Ready reports whether the gateway can serve (the store's disk above its
	// free-space reserve, the store answering, at least one SMG bind logged
	// in and healthy) and a JSON report of why (proxy.Gateway.Readyz):
	// /readyz answers it with 200 when ok, 503 otherwise.
	Ready func() (ok bool, report []byte)
	// API serves /v1/...; nil answers 404.
	API fasthttp.RequestHandler
	// Sync serves /sync/... (the carriers' subscription-relation sync,
	// which authenticates by its own per-platform keys, not the API's
	// signing); nil answers 404.
	Sync fasthttp.RequestHandler
	// Console serves /console and /console/... (admin.Admin.Console), after
	// the monitoring allow list; nil answers 404.
	Console fasthttp.RequestHandler
	// Admin serves /admin/... (admin.Admin.Handle), which applies its own
	// allow list; nil answers 404.
	Admin fasthttp.RequestHandler

	srv     *fasthttp.Server
	metrics fasthttp.RequestHandler
	allow   atomic.Pointer[[]netip.Prefix]

	mu   sync.Mutex
	addr net.Addr
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("metrics: server closed")

// NewServer serves reg's metrics.
func NewServer(reg *Registry) *Server {
	s := &Server{}
	s.metrics = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:            reg,
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: 2,
		Timeout:             scrapeTimeout,
	}))
	s.srv = &fasthttp.Server{
		Handler:               s.handle,
		Name:                  "spsmg",
		NoDefaultServerHeader: true,
		ReadTimeout:           scrapeTimeout * 2,
		WriteTimeout:          scrapeTimeout * 2,
		MaxRequestBodySize:    1 << 20,
		CloseOnShutdown:       true,
	}
	return s
}

// SetAllowIPs sets who may read the paths outside /v1/; empty means
// loopback only. Any goroutine (SIGHUP); applies to the next request.
func (s *Server) SetAllowIPs(rules []netip.Prefix) {
	r := append([]netip.Prefix(nil), rules...)
	s.allow.Store(&r)
}

// allowed applies SetAllowIPs to the request's peer.
func (s *Server) allowed(ctx *fasthttp.RequestCtx) bool {
	ip, ok := netip.AddrFromSlice(ctx.RemoteIP())
	if !ok {
		return false
	}
	ip = ip.Unmap()
	var rules []netip.Prefix
	if p := s.allow.Load(); p != nil {
		rules = *p
	}
	if len(rules) == 0 {
		return ip.IsLoopback()
	}
	for _, r := range rules {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	if len(path) >= 4 && string(path[:4]) == "/v1/" && s.API != nil {
		s.API(ctx)
		return
	}
	if len(path) >= 7 && string(path[:7]) == "/admin/" && s.Admin != nil {
		s.Admin(ctx)
		return
	}
	if !s.allowed(ctx) {
		// Same body as the API's errors: {"code","message"}.
		ctx.SetStatusCode(fasthttp.StatusForbidden)
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"code":"forbidden_ip","message":"only http.metrics_allow_ips (loopback when empty) may read this path"}` + "\n")
		return
	}
	if s.Console != nil && (string(path) == "/console" || len(path) >= 9 && string(path[:9]) == "/console/") {
		s.Console(ctx)
		return
	}
	switch string(path) {
	case "/metrics":
		s.metrics(ctx)
		return
	case "/healthz":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("ok\n")
		return
	case "/readyz":
		if s.Ready == nil {
			ctx.SetContentType("text/plain; charset=utf-8")
			ctx.SetBodyString("ready\n")
			return
		}
		ok, report := s.Ready()
		ctx.SetContentType("application/json")
		if !ok {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		}
		ctx.SetBody(report)
		return
	}
	if len(path) >= 6 && string(path[:6]) == "/sync/" && s.Sync != nil {
		s.Sync(ctx)
		return
	}
	ctx.Error("not found", fasthttp.StatusNotFound)
}

// Serve accepts on ln until Shutdown. certFile/keyFile non-empty serve TLS.
func (s *Server) Serve(ln net.Listener, certFile, keyFile string) error {
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	ln = retryListener{ln}
	var err error
	if certFile != "" {
		err = s.srv.ServeTLS(ln, certFile, keyFile)
	} else {
		err = s.srv.Serve(ln)
	}
	if err == nil {
		return ErrServerClosed
	}
	return err
}

// Addr is the bound address once Serve runs.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting and waits for open requests.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }
