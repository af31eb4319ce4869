// Package jsoningress serves the JSON socket protocol of merchant systems
// (codec/jsonsock) as an SP-facing listener beside the gateway: a merchant
// connects, sends one A001 request of one or more messages, and gets one
// B001 answer before the connection closes; the status reports of its
// messages are pushed to the merchant's own receiver as A002 requests,
// persisted until the merchant answers B002 (docs/json-ingress.md).
//
//	merchant ─A001─▶ Server ─AdmitMT, SubmitMT (package proxy)─▶ SMG
//	merchant ◀─B001─ Server
//	merchant ◀─A002─ pusher ◀─ js/p/ record ◀─ TakeReport ◀─ report (route) ◀─ SMG
//
// It is plain net with a goroutine per connection, not the gateway's
// event loops: merchant traffic is short connections of a request each,
// low in volume next to the carriers' long connections, and every request
// waits for the carrier's answers before it is answered — blocking work a
// goroutine does naturally and an event loop must not. A cap on the
// connections open at once, a deadline for the whole request and the body
// limit checked on the length digits bound what one client can hold.
package jsoningress

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/translate"
)

// Gateway is what the listener needs of the gateway (*proxy.Gateway).
type Gateway interface {
	AdmitMT(ctx context.Context, mt *authcache.MT, parts int) authcache.Decision
	SubmitMT(ctx context.Context, account string, allow reason.Reason, up int, s *codec.Submit, origin []byte) (proxy.OriginResult, error)
	// RouteMT is the upstream (an index in config.Upstreams) a message to
	// number goes to.
	RouteMT(number string) int
	RefuseMT(account string, why reason.Reason, n int)
	SetReportSink(s proxy.ReportSink)
}

// Store is where the listener keeps its records: the authorization
// engine's store (EngineStore), under KeyPrefix.
type Store interface {
	// Persist queues mutations for the store's writer; done runs once
	// they are durable (or failed).
	Persist(done func(error), ms ...authcache.Mutation) error
	// Get returns a key's value, authcache.ErrNotFound when there is none.
	Get(key []byte) ([]byte, error)
	// Scan calls fn for every key with the prefix.
	Scan(prefix []byte, fn func(key, value []byte) error) error
}

// EngineStore is e's store as the listener uses it.
func EngineStore(e *authcache.Engine) Store { return engineStore{e} }

type engineStore struct{ e *authcache.Engine }

func (s engineStore) Persist(done func(error), ms ...authcache.Mutation) error {
	return s.e.Persist(done, ms...)
}
func (s engineStore) Get(key []byte) ([]byte, error) { return s.e.Store().Get(key) }
func (s engineStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	return s.e.Store().Scan(prefix, fn)
}

// Options are the listener's collaborators.
type Options struct {
	Gateway Gateway
	Store   Store
	Logger  *slog.Logger          // nil: slog.Default()
	Metrics prometheus.Registerer // nil: no metrics registered
	// Node names this node among several sharing one store (each pushes
	// the reports it took); "" for one node.
	Node string
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("jsoningress: listener closed")

// Server is the JSON socket listener. Create it with New (which loads the
// reports waiting to be pushed and starts pushing them), run it with
// ListenAndServe or Serve, stop it with Shutdown. Methods are safe from any
// goroutine.
type Server struct {
	gw   Gateway
	st   Store
	log  *slog.Logger
	m    *ingressMetrics
	node string
	set  atomic.Pointer[settings]

	// ups are the upstreams, in the order of config.Upstreams: a message
	// is encoded for the one its recipient routes to (Gateway.RouteMT).
	ups []upstreamFace
	ref atomic.Uint32 // concatenation references of the messages split here

	ctx    context.Context // ends when Shutdown gives up waiting
	cancel context.CancelFunc

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	closing atomic.Bool
	open    atomic.Int64
	handler sync.WaitGroup // connection goroutines

	reports *reporter
	pusher  *pusher
	logLim  logLimiter
}

// New prepares the listener for cfg: it loads this node's reports waiting
// for their merchants from the store, starts pushing them, and takes the
// gateway's reports for json accounts from now on.
func New(cfg *config.Config, o Options) (*Server, error) {
	if o.Gateway == nil || o.Store == nil {
		return nil, errors.New("jsoningress: Options.Gateway and Options.Store are required")
	}
	var ups []upstreamFace
	for _, u := range cfg.Upstreams() {
		d := u.Dialect() // with the deployment's choices (an SMPP LinkID TLV)
		if d == nil {
			return nil, fmt.Errorf("jsoningress: upstream %q: protocol %q is not served", u.Name, u.Protocol)
		}
		face, ok := d.(translate.Face)
		if !ok {
			var err error
			if face, err = translate.For(u.Protocol, smpp.Neutral{}); err != nil {
				return nil, fmt.Errorf("jsoningress: upstream %q: %w", u.Name, err)
			}
		}
		ups = append(ups, upstreamFace{d: d, face: face, caps: face.Capabilities()})
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{gw: o.Gateway, st: o.Store, log: log, m: newMetrics(o.Metrics), node: o.Node,
		ups: ups, conns: map[net.Conn]struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.logLim.init()
	s.SetConfig(cfg)
	s.pusher = newPusher(s)
	if err := s.pusher.load(); err != nil {
		s.cancel()
		return nil, fmt.Errorf("jsoningress: loading the reports waiting to be pushed: %w", err)
	}
	s.reports = newReporter(s)
	s.pusher.start()
	s.gw.SetReportSink(s)
	return s, nil
}

// SetConfig applies a reloaded configuration: accounts, credentials, allow
// lists, limits and timers (the listener's address needs a restart).
func (s *Server) SetConfig(cfg *config.Config) {
	st := newSettings(cfg)
	for _, a := range st.accounts {
		s.m.account(a.ID)
	}
	s.set.Store(st)
}

// ListenAndServe listens on the configured json listener's address and
// serves until Shutdown.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := s.Listen(addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Listen opens addr; Serve then serves on it. Addr says where it listens
// as soon as Listen returns.
func (s *Server) Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return ln, nil
}

// Addr is the listening address, nil before Listen or Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts connections on ln until Shutdown (ErrServerClosed) or a
// failure of the listener.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	if s.closing.Load() {
		ln.Close()
		return ErrServerClosed
	}
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors, or the like: wait, and go on.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logRL(slog.LevelError, "json listener: accept failed; retrying", "err", err, "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.admit(c)
	}
}

// admit takes an accepted connection or closes it at once: past
// json.max_connections, or from an address outside every json account's
// allow_ips (when every account has a list).
func (s *Server) admit(c net.Conn) {
	set := s.set.Load()
	if s.open.Load() >= int64(set.ing.MaxConnections) {
		s.m.requests.WithLabelValues("none", reqOverCapacity).Inc()
		s.logRL(slog.LevelWarn, "json listener: json.max_connections reached; connection closed at accept", "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	if ip := remoteIP(c); !set.admits(ip) {
		s.m.requests.WithLabelValues("none", reqIPNotAllowed).Inc()
		s.logRL(slog.LevelWarn, "json listener: address outside every json account's allow_ips; closed at accept", "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.handler.Add(1)
	s.mu.Unlock()
	s.m.open.Set(float64(s.open.Add(1)))
	go func() {
		defer func() {
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			s.m.open.Set(float64(s.open.Add(-1)))
			s.handler.Done()
		}()
		s.serveConn(c, time.Now())
	}()
}

// Shutdown stops accepting, lets the requests being served finish (their
// messages are with the carrier) until ctx ends, then closes what is left,
// stops taking reports (the SMG is answered busy and sends them again) and
// stops pushing; reports not yet answered stay in the store for the next
// start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.handler.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	s.cancel()
	s.gw.SetReportSink(nil)
	s.reports.stop()
	s.pusher.stop()
	return err
}

// persist writes ms and waits until they are durable, or ctx ends.
func (s *Server) persist(ctx context.Context, ms ...authcache.Mutation) error {
	done := make(chan error, 1)
	if err := s.st.Persist(func(err error) { done <- err }, ms...); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newMessageKey names a message: random, so that keys never repeat across
// restarts and nodes (the chance of two equal among a billion is 1 in 10^18).
func newMessageKey() []byte {
	b := make([]byte, msgKeyLen)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap()
		}
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr().Unmap()
}

// upstreamFace is one upstream as the listener writes for it: its Dialect
// (numbers, reports), its result classes and what it can carry.
type upstreamFace struct {
	d    codec.Dialect
	face translate.Face
	caps codec.Capabilities
}

// upstream is upstream i's face; the first when i is out of range (a
// gateway with other upstreams than the configuration: cannot happen).
func (s *Server) upstream(i int) *upstreamFace {
	if i < 0 || i >= len(s.ups) {
		i = 0
	}
	return &s.ups[i]
}
