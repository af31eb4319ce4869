package smg

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// Server lifecycle states.
const (
	stateNew = iota
	stateServing
	stateStopping
	stateClosed
)

// Server is one simulated SMG. Create it with New (or Start), run it with
// Serve, ListenAndServe or Start, stop it with Stop or Close; a stopped
// Server is not reused (start a new one on the same address instead).
// Every method is safe from any goroutine.
type Server struct {
	cfg Config
	// d is what the SMG speaks (Config.Dialect); the framer and the
	// malformed-Submit result are read out of it once.
	d         codec.Dialect
	framer    codec.Framer
	seqLen    int // of the sequence field
	malformed uint32
	log       *slog.Logger

	recording bool // SubmitLog or OnSubmit: summarize every Submit

	// Run-time knobs.
	refuse      atomic.Bool
	delay       atomic.Int64
	reportDelay atomic.Int64
	reportStat  atomic.Pointer[string]
	result      atomic.Pointer[func(*codec.View) uint32]
	moRate      atomic.Uint64 // float64 bits
	moWake      chan struct{}
	fault       atomic.Uint32 // Fault of connections accepted from now on
	atInterval  atomic.Int64  // the SMG's own Active_Test period; 0: none
	atWake      chan struct{}
	accepted    uint64 // connections accepted, under mu

	ids atomic.Uint64 // message id counter (CMPP Msg_Id, SMGP MsgID)
	seq atomic.Uint32 // counter of the sequences of the requests the SMG sends

	mu       sync.Mutex
	state    int
	ln       net.Listener
	conns    map[*conn]struct{} // SP-side connections
	recv     []*conn            // logged-in connections that may carry Deliver
	rr       int
	rx       *conn // the connection the SMG dialled to ReceiverAddr (SGIP type 2)
	quit     chan struct{}
	quitOnce sync.Once
	wg       sync.WaitGroup // connection readers and background loops

	rxWake chan struct{}

	trk  tracker
	st   counters
	subs submitLog
}

// New checks cfg and prepares a Server; nothing listens yet.
func New(cfg Config) (*Server, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	d := cfg.Dialect
	s := &Server{
		cfg:       cfg,
		d:         d,
		framer:    d.Framer(cfg.MaxFrameSize),
		seqLen:    d.Seq().Len,
		malformed: d.DefaultResults().Result(reason.Malformed),
		log:       cfg.Logger,
		conns:     make(map[*conn]struct{}),
		quit:      make(chan struct{}),
		moWake:    make(chan struct{}, 1),
		atWake:    make(chan struct{}, 1),
		rxWake:    make(chan struct{}, 1),
	}
	s.refuse.Store(cfg.RefuseLogins)
	s.delay.Store(int64(cfg.Delay))
	s.reportDelay.Store(int64(cfg.ReportDelay))
	stat := cfg.ReportStat
	s.reportStat.Store(&stat)
	if cfg.SubmitResult != nil {
		fn := cfg.SubmitResult
		s.result.Store(&fn)
	}
	s.moRate.Store(math.Float64bits(cfg.MORate))
	s.atInterval.Store(int64(cfg.ActiveTestInterval))
	s.trk.init()
	s.recording = cfg.SubmitLog > 0 || cfg.OnSubmit != nil
	if cfg.SubmitLog > 0 {
		s.subs.ring = make([]SubmitInfo, cfg.SubmitLog)
	}
	return s, nil
}

// Start listens on cfg.Addr and serves in the background. When it returns,
// Addr is valid and connections are accepted.
func Start(cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, err
	}
	if err := s.claim(l); err != nil {
		return nil, err
	}
	go func() {
		if err := s.serve(l); err != nil && !errors.Is(err, ErrServerClosed) {
			s.log.Error("smg: serve failed", "addr", l.Addr().String(), "err", err)
		}
	}()
	return s, nil
}

// ListenAndServe listens on Config.Addr and serves until Stop or Close,
// then returns ErrServerClosed; any other error means it failed.
func (s *Server) ListenAndServe() error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Stop or Close (which close l), then
// returns ErrServerClosed. A test can bind 127.0.0.1:0 itself and hand the
// listener over.
func (s *Server) Serve(l net.Listener) error {
	if err := s.claim(l); err != nil {
		return err
	}
	return s.serve(l)
}

// claim makes l the Server's listener and starts the background loops.
func (s *Server) claim(l net.Listener) error {
	s.mu.Lock()
	if s.state != stateNew {
		s.mu.Unlock()
		_ = l.Close()
		return ErrServerClosed
	}
	s.state = stateServing
	s.ln = l
	s.wg.Add(3)
	if s.d.SplitConnections() {
		s.wg.Add(1)
		go s.receiverLoop()
	}
	s.mu.Unlock()
	go s.trackerLoop()
	go s.moLoop()
	go s.heartbeatLoop()
	s.log.Info("smg: listening", "protocol", s.cfg.Protocol.String(), "addr", l.Addr().String())
	return nil
}

func (s *Server) serve(l net.Listener) error {
	var pause time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isStopping() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				time.Sleep(pause)
				continue
			}
			return err
		}
		pause = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		c := newConn(s, nc, false)
		s.mu.Lock()
		if s.state != stateServing {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		s.accepted++
		c.order = s.accepted
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.log.Debug("smg: connection accepted", "remote", nc.RemoteAddr().String())
		go c.serve()
	}
}

// Addr is the listening address (host:port), "" before listening. With
// Config.Addr "127.0.0.1:0" it tells the port picked.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Protocol is the protocol and version the Server speaks.
func (s *Server) Protocol() codec.Protocol { return s.cfg.Protocol }

func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state >= stateStopping
}

// stopLoops ends the background loops (tracker, MO generator, receiver).
func (s *Server) stopLoops() { s.quitOnce.Do(func() { close(s.quit) }) }

// Stop ends the Server gracefully: it closes the listener and the MO
// generator, sends Terminate / Exit / Unbind on every logged-in connection
// (and the SGIP type-2 connection), closes each when its peer answers, and
// waits for all of them until ctx ends; then it closes what is left and
// returns ctx.Err(). Deliveries not yet acknowledged are dropped.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.state >= stateStopping {
		s.mu.Unlock()
		return nil
	}
	s.state = stateStopping
	ln := s.ln
	type peer struct {
		c        *conn
		loggedIn bool
	}
	var peers []peer
	for c := range s.conns {
		peers = append(peers, peer{c, c.loggedIn})
	}
	rx := s.rx
	s.mu.Unlock()
	s.stopLoops()
	if ln != nil {
		_ = ln.Close()
	}
	for _, p := range peers {
		if p.loggedIn {
			p.c.write(s.appendLogout(nil))
		} else {
			p.c.closeWith(closeStopped)
		}
	}
	if rx != nil {
		rx.write(s.appendLogout(nil))
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	var err error
	for err == nil {
		s.mu.Lock()
		idle := len(s.conns) == 0 && s.rx == nil
		s.mu.Unlock()
		if idle {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-tick.C:
		}
	}
	s.closeAll(closeStopped)
	s.mu.Lock()
	s.state = stateClosed
	s.mu.Unlock()
	s.wg.Wait()
	s.log.Info("smg: stopped", "addr", s.Addr())
	return err
}

// Close stops the Server abruptly: the listener and every connection are
// closed at once, without a logout. It waits for the connection
// goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	wasClosed := s.state == stateClosed
	s.state = stateClosed
	ln := s.ln
	s.mu.Unlock()
	if wasClosed {
		return nil
	}
	s.stopLoops()
	if ln != nil {
		_ = ln.Close()
	}
	s.closeAll(closeStopped)
	s.wg.Wait()
	return nil
}

// Kick drops every connection, SP-side and SGIP type-2, without a logout
// (fault tests). The Server keeps listening; unacknowledged Delivers are
// resent once a connection is back.
func (s *Server) Kick() { s.closeAll(closeKicked) }

func (s *Server) closeAll(r closeReason) {
	for _, c := range s.everyConn() {
		c.closeWith(r)
	}
}

// everyConn is every connection now open, SP-side and SGIP type-2, taken
// under s.mu so that the caller can act on them without holding it.
func (s *Server) everyConn() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := make([]*conn, 0, len(s.conns)+1)
	for c := range s.conns {
		cs = append(cs, c)
	}
	if s.rx != nil {
		cs = append(cs, s.rx)
	}
	return cs
}

// appendLogout appends the protocol's logout request: CMPP_TERMINATE,
// SMGP Exit, SGIP Unbind.
func (s *Server) appendLogout(dst []byte) []byte {
	return s.d.AppendLogout(dst, s.newSeq(time.Now()))
}

// SetRefuseLogins makes every later login fail with an authentication
// error (true) or be checked normally (false).
func (s *Server) SetRefuseLogins(refuse bool) { s.refuse.Store(refuse) }

// SetDelay holds every later Submit_Resp back by d (0: answer at once).
func (s *Server) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// SetReportDelay sends later status reports d after their Submit_Resp.
func (s *Server) SetReportDelay(d time.Duration) { s.reportDelay.Store(int64(d)) }

// SetReportStat sets the Stat of later reports ("DELIVRD", "UNDELIV", …).
func (s *Server) SetReportStat(stat string) { s.reportStat.Store(&stat) }

// SetSubmitResult sets the hook choosing each later Submit's result; nil
// answers 0. See Config.SubmitResult.
func (s *Server) SetSubmitResult(fn func(v *codec.View) uint32) {
	if fn == nil {
		s.result.Store(nil)
		return
	}
	s.result.Store(&fn)
}

// SetMORate sets the MO generator's rate in messages a second (0 stops it).
func (s *Server) SetMORate(perSecond float64) {
	s.moRate.Store(math.Float64bits(perSecond))
	select {
	case s.moWake <- struct{}{}:
	default:
	}
}
