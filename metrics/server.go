package metrics

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// Server is spsmg's HTTP server: /metrics, /healthz, /readyz and a mounted
// API under /v1/. Like net/http's: Serve blocks and returns
// ErrServerClosed after Shutdown.
type Server struct {
	// Ready reports whether the gateway can serve: the store is open and
	// above its free-space reserve, and at least one SMG bind is logged
	// in. /readyz answers 503 with the reason otherwise.
	Ready func() (ok bool, reason string)
	// API serves /v1/...; nil answers 404.
	API fasthttp.RequestHandler

	srv     *fasthttp.Server
	metrics fasthttp.RequestHandler

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

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch string(path) {
	case "/metrics":
		s.metrics(ctx)
		return
	case "/healthz":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("ok\n")
		return
	case "/readyz":
		ctx.SetContentType("text/plain; charset=utf-8")
		if s.Ready != nil {
			if ok, reason := s.Ready(); !ok {
				ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
				ctx.SetBodyString("not ready: " + reason + "\n")
				return
			}
		}
		ctx.SetBodyString("ready\n")
		return
	}
	if len(path) >= 4 && string(path[:4]) == "/v1/" && s.API != nil {
		s.API(ctx)
		return
	}
	ctx.Error("not found", fasthttp.StatusNotFound)
}

// Serve accepts on ln until Shutdown. certFile/keyFile non-empty serve TLS.
func (s *Server) Serve(ln net.Listener, certFile, keyFile string) error {
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
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
