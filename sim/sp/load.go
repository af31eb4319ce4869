package sp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/spsmg/spsmg/codec"
)

// Load defaults and sizes.
const (
	// DefaultWindow is the carriers' recommended window for CMPP and SMGP
	// (docs/protocols/cmpp.md §2, docs/protocols/smgp30.md §1); SGIP allows
	// 32 (docs/protocols/sgip12.md §2).
	DefaultWindow = 16

	// DefaultDrainTimeout bounds the wait for the last responses once
	// sending has stopped.
	DefaultDrainTimeout = 5 * time.Second

	// loadReadBuffer is gnet's read buffer: one read takes up to this many
	// bytes of responses (10 000 CMPP 3.0 Submit_Resp).
	loadReadBuffer = 256 << 10

	// loadBatchBytes caps one write. Submits are ~150–250 bytes, so a batch
	// of 256 KB covers a window of about 1 000.
	loadBatchBytes = 256 << 10

	// pacerTick is how often the connections the pacer held back are woken.
	pacerTick = time.Millisecond

	// ringSlack: the ring has ringSlack × Window slots, so that a response
	// that comes back late, behind 3 windows of newer ones, is still matched
	// (a gateway with several upstream binds answers out of order). A
	// sequence whose slot is still taken is skipped, never reused.
	ringSlack = 4
)

// MTTemplate is one kind of message in a load mix.
type MTTemplate struct {
	MT

	// Name labels the template in the Report; empty means "mt1", "mt2", ….
	Name string

	// Weight is the template's share of the Submits (0 counts as 1): with
	// weights 1 and 1 every other Submit is of each kind.
	Weight int

	// Spread sends each Submit to one of Users, in turn, instead of to all
	// of them (the operator's -users N).
	Spread bool
}

// LoadConfig configures a load run. Set Total or Duration (or both: the
// first reached ends the run).
type LoadConfig struct {
	Protocol      codec.Protocol
	Dialect       codec.Dialect // as ClientConfig.Dialect
	Addr          string
	Login, Secret string
	SMGPLoginMode int    // as ClientConfig.SMGPLoginMode
	SGIPNodeID    uint32 // 0: DefaultSGIPNodeID

	Conns  int // connections, each with its own window; 0 means 1
	Window int // Submits unanswered per connection, never exceeded; 0 means DefaultWindow

	// Rate caps the Submits per second over all connections (each gets
	// Rate/Conns); 0 means as fast as the window allows.
	Rate float64

	Total    int64         // Submits to send after the warmup; 0: no limit
	Duration time.Duration // how long to send after the warmup; 0: no limit

	// Warmup is sent first and left out of the Report (connections, caches
	// and the gateway's authorization store settle).
	Warmup time.Duration

	// Mix is what to send; at least one template.
	Mix []MTTemplate

	// NeedReport asks for a status report on every Submit, whatever the
	// templates say.
	NeedReport bool

	// DeliverResult answers the MO and reports that arrive on the
	// connections (CMPP, SMGP). They are counted, not kept.
	DeliverResult uint32

	DialTimeout  time.Duration // per connection, connect + login; 0: DefaultDialTimeout
	DrainTimeout time.Duration // 0: DefaultDrainTimeout

	// Loops is the number of gnet event loops driving the connections;
	// 0 means half the CPUs (at least 1), leaving the rest to a gateway on
	// the same machine.
	Loops int

	Logger *slog.Logger // nil: discard

	// clock, when set, replaces the wall clock of the run (the warmup,
	// Duration, the pacer, latencies): the time since the run started.
	// Tests set it (export_test.go) to move the run through its warmup
	// and past its Duration at moments of their choosing; the run then has
	// no deadline timer, and notices the end at its next send.
	clock func() time.Duration

	// GnetLogger, when set, is passed to gnet (gnet.WithLogger). gnet keeps
	// one logger per process, so this replaces it for every gnet engine in
	// the process; leave it nil inside a process that runs the gateway. With
	// nil, gnet's default logger prints one INFO line per Run to stdout
	// (GNET_LOGGING_LEVEL=1 silences it).
	GnetLogger logging.Logger
}

// Run logs in Conns connections, sends the mix and returns the Report.
//
// It fails before sending when a connection cannot log in (a refused login
// is a *LoginError). Once running, a lost connection is counted in
// Report.Errors and the others go on. Cancelling ctx ends the run early,
// like Duration: the Report covers what was sent and Interrupted is set.
func Run(ctx context.Context, cfg LoadConfig) (Report, error) {
	r, err := newLoadRun(cfg)
	if err != nil {
		return Report{}, err
	}
	if err := r.connect(ctx); err != nil {
		return Report{}, err
	}
	return r.run(ctx)
}

// loadTemplate is one MT pre-encoded once; each Submit is a copy with the
// sequence (and, when spread, the recipient) patched in.
type loadTemplate struct {
	name    string
	frame   []byte
	destOff int    // offset of the recipient slot (Spread)
	stride  int    // its width: the protocol's fixed slot, or (SMPP) the users' one length
	users   []byte // Spread: every recipient, NUL-padded to the slot width
	nUsers  int
}

type loadRun struct {
	cfg    LoadConfig
	d      *dialect
	log    *slog.Logger
	tmpls  []loadTemplate
	wheel  []uint16 // template order, by weight
	stride int      // recipient slot width
	seqOff int      // offset of the 4 sequence bytes a Submit is patched with

	conns       []*loadConn
	connectTime time.Duration

	start     time.Time // monotonic base of every *Ns value
	warmEndNs int64
	endNs     int64 // 0: no deadline
	hasTotal  bool
	remaining atomic.Int64
	stopped   atomic.Bool
	stopCh    chan struct{}
	stopOnce  sync.Once
}

func newLoadRun(cfg LoadConfig) (*loadRun, error) {
	d, err := newDialect(cfg.Protocol, cfg.Dialect)
	if err != nil {
		return nil, err
	}
	cfg.Protocol = d.proto
	if cfg.Conns <= 0 {
		cfg.Conns = 1
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.SGIPNodeID == 0 {
		cfg.SGIPNodeID = DefaultSGIPNodeID
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	switch {
	case cfg.Total <= 0 && cfg.Duration <= 0:
		return nil, fmt.Errorf("%w: set Total or Duration", ErrBadConfig)
	case len(cfg.Mix) == 0:
		return nil, fmt.Errorf("%w: empty Mix", ErrBadConfig)
	case len(cfg.Mix) > 1<<16-1:
		return nil, fmt.Errorf("%w: too many templates", ErrBadConfig)
	case cfg.Rate < 0:
		return nil, fmt.Errorf("%w: negative Rate", ErrBadConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &loadRun{cfg: cfg, d: d, log: log, stride: d.termIDLen(), seqOff: d.seq.Offset + d.seq.Len - 4,
		stopCh: make(chan struct{})}
	weights := make([]int, len(cfg.Mix))
	for i := range cfg.Mix {
		t, err := r.encodeTemplate(i, &cfg.Mix[i])
		if err != nil {
			return nil, err
		}
		r.tmpls = append(r.tmpls, t)
		weights[i] = max(cfg.Mix[i].Weight, 1)
	}
	r.wheel = smoothWheel(weights)
	return r, nil
}

// encodeTemplate builds template i once. For Spread it also finds the
// recipient slot, by encoding the frame with two different one-character
// recipients and taking the only byte that differs: no layout offsets are
// repeated here.
func (r *loadRun) encodeTemplate(i int, t *MTTemplate) (loadTemplate, error) {
	m := t.MT
	m.NeedReport = m.NeedReport || r.cfg.NeedReport
	name := t.Name
	if name == "" {
		name = fmt.Sprintf("mt%d", i+1)
	}
	seq := r.d.newSeq(0, 0, 1)
	enc := m
	if t.Spread && len(m.Users) > 1 {
		// Each Submit goes to one user: any number of users may take turns.
		enc.Users = m.Users[:1]
	}
	frame, err := r.d.appendSubmit(nil, seq, &enc, r.cfg.Login)
	if err != nil {
		return loadTemplate{}, fmt.Errorf("template %s: %w", name, err)
	}
	lt := loadTemplate{name: name, frame: frame}
	if !t.Spread || len(m.Users) < 2 {
		return lt, nil
	}
	// A protocol whose recipient is a string as long as the number
	// (SMPP's destination_addr) has no fixed slot: the users must then be
	// of one length, which is the slot's.
	lt.stride = r.stride
	sample := 1
	if n := len(m.Users[0]); n+1 >= r.stride {
		for _, u := range m.Users {
			if len(u) != n {
				return loadTemplate{}, fmt.Errorf("template %s: %w: user %q not %d characters like the others (the recipient is a string)", name, ErrBadMT, u, n)
			}
		}
		lt.stride, sample = n, n
	}
	for _, u := range m.Users {
		if len(u) > lt.stride {
			return loadTemplate{}, fmt.Errorf("template %s: %w: user %q longer than %d", name, ErrBadMT, u, lt.stride)
		}
	}
	a, b := m, m
	a.Users, b.Users = []string{strings.Repeat("1", sample)}, []string{strings.Repeat("1", sample-1) + "2"}
	fa, _ := r.d.appendSubmit(nil, seq, &a, r.cfg.Login)
	fb, _ := r.d.appendSubmit(nil, seq, &b, r.cfg.Login)
	lt.destOff = -1
	for j := range fa {
		if fa[j] != fb[j] {
			if lt.destOff >= 0 || len(fa) != len(fb) {
				return loadTemplate{}, fmt.Errorf("template %s: cannot locate the recipient slot", name)
			}
			lt.destOff = j - (sample - 1)
		}
	}
	lt.frame = fa
	lt.nUsers = len(m.Users)
	lt.users = make([]byte, len(m.Users)*lt.stride)
	for j, u := range m.Users {
		copy(lt.users[j*lt.stride:], u)
	}
	return lt, nil
}

// smoothWheel orders templates by weight with the smooth weighted
// round-robin of nginx, so that a 1:1 mix alternates instead of running in
// blocks. The weights are reduced by their gcd first.
func smoothWheel(weights []int) []uint16 {
	g := 0
	for _, w := range weights {
		g = gcd(g, w)
	}
	total := 0
	for i := range weights {
		weights[i] /= g
		total += weights[i]
	}
	cur := make([]int, len(weights))
	wheel := make([]uint16, 0, total)
	for range total {
		best := 0
		for i, w := range weights {
			cur[i] += w
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		wheel = append(wheel, uint16(best))
	}
	return wheel
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// connect dials and logs in every connection in parallel.
func (r *loadRun) connect(ctx context.Context) error {
	t0 := time.Now()
	r.conns = make([]*loadConn, r.cfg.Conns)
	errs := make([]error, r.cfg.Conns)
	var wg sync.WaitGroup
	a := account{login: r.cfg.Login, secret: r.cfg.Secret, mode: smgpMode(r.cfg.SMGPLoginMode)}
	for i := range r.conns {
		wg.Go(func() {
			// Every connection its own SGIP sequence time, counters from 1;
			// the login takes 1, Submits start at 2.
			s := r.d.newSeq(r.cfg.SGIPNodeID, codec.Timestamp(time.Now()), 1)
			conn, rest, err := dialLogin(ctx, r.d, "", r.cfg.Addr, a, s, r.cfg.DialTimeout, r.log)
			if err != nil {
				errs[i] = err
				return
			}
			r.conns[i] = newLoadConn(r, i, conn, rest, s)

		})
	}
	wg.Wait()
	r.connectTime = time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		r.closeConns()
		for _, e := range errs {
			if e != nil {
				return e // the first, typed (a *LoginError stays one)
			}
		}
	}
	return nil
}

// now is the monotonic time since the run started, in ns.
func (r *loadRun) now() int64 {
	if r.cfg.clock != nil {
		return int64(r.cfg.clock())
	}
	return int64(time.Since(r.start))
}

// stop ends the sending on every connection (deadline, ctx, end of run)
// and wakes their loops so that they notice.
func (r *loadRun) stop() {
	r.stopOnce.Do(func() {
		r.stopped.Store(true)
		close(r.stopCh)
		r.wakeAll(false)
	})
}

// wakeAll re-runs OnTraffic on every connection's loop; onlyPaced limits it
// to the connections the pacer held back.
func (r *loadRun) wakeAll(onlyPaced bool) {
	for _, c := range r.conns {
		if c.gc == nil {
			continue
		}
		if onlyPaced && !c.paced.CompareAndSwap(true, false) {
			continue
		}
		c.gc.Wake(nil)
	}
}

// tick wakes the connections the pacer held back, every pacerTick, until
// the run stops. Go timers resolve to about a millisecond; the pacer's
// credit makes up for late ticks.
func (r *loadRun) tick() {
	t := time.NewTicker(pacerTick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.wakeAll(true)
		case <-r.stopCh:
			return
		}
	}
}

// claim takes up to n Submits from the run's Total.
func (r *loadRun) claim(n int) int {
	if !r.hasTotal {
		return n
	}
	for {
		left := r.remaining.Load()
		if left <= 0 {
			return 0
		}
		take := min(int64(n), left)
		if r.remaining.CompareAndSwap(left, left-take) {
			return int(take)
		}
	}
}

func (r *loadRun) run(ctx context.Context) (Report, error) {
	loops := r.cfg.Loops
	if loops <= 0 {
		loops = max(1, runtime.GOMAXPROCS(0)/2)
	}
	loops = min(loops, len(r.conns))
	opts := []gnet.Option{gnet.WithNumEventLoop(loops), gnet.WithReadBufferCap(loadReadBuffer),
		gnet.WithWriteBufferCap(loadBatchBytes)}
	if r.cfg.GnetLogger != nil {
		opts = append(opts, gnet.WithLogger(r.cfg.GnetLogger))
	}
	cli, err := gnet.NewClient(&loadEngine{}, opts...)
	if err == nil {
		err = cli.Start()
	}
	if err != nil {
		r.closeConns()
		return Report{}, fmt.Errorf("sp: load: gnet client: %w", err)
	}
	defer cli.Stop()

	r.start = time.Now()
	r.warmEndNs = int64(r.cfg.Warmup)
	if r.cfg.Duration > 0 {
		r.endNs = r.warmEndNs + int64(r.cfg.Duration)
	}
	if r.cfg.Total > 0 {
		r.hasTotal = true
		r.remaining.Store(r.cfg.Total)
	}
	for _, c := range r.conns {
		gc, err := cli.EnrollContext(c.conn, c) // dups the fd and closes c.conn
		if err != nil {
			c.fail(fmt.Errorf("enroll: %w", err))
			close(c.done)
			continue
		}
		c.gc = gc
	}
	var interrupted atomic.Bool
	stopWatch := context.AfterFunc(ctx, func() {
		interrupted.Store(true)
		r.stop()
	})
	defer stopWatch()
	var deadline *time.Timer
	if r.endNs > 0 && r.cfg.clock == nil {
		deadline = time.AfterFunc(time.Duration(r.endNs), r.stop)
		defer deadline.Stop()
	}
	if r.cfg.Rate > 0 {
		go r.tick()
	}
	for _, c := range r.conns {
		<-c.done
		if c.err != nil {
			r.log.Warn("load connection lost", "conn", c.id, "err", c.err)
		}
	}
	r.stop() // ends the ticker
	return r.report(interrupted.Load()), nil
}

// closeConns closes the logged-in connections of a run that cannot start.
func (r *loadRun) closeConns() {
	for _, c := range r.conns {
		if c != nil && c.conn != nil {
			c.conn.Close()
		}
	}
}

// loadEngine hands gnet's events to the connection in the context.
type loadEngine struct {
	gnet.BuiltinEventEngine
}

func (*loadEngine) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	c := gc.Context().(*loadConn)
	c.lc = gc
	return c.onOpen()
}

func (*loadEngine) OnTraffic(gc gnet.Conn) gnet.Action {
	return gc.Context().(*loadConn).onTraffic(gc)
}

func (*loadEngine) OnClose(gc gnet.Conn, err error) gnet.Action {
	gc.Context().(*loadConn).onClose(err)
	return gnet.None
}

// slot is one ring entry: a Submit awaiting its response (seq 0: free).
type slot struct {
	seq    uint32
	tmpl   uint16
	warm   bool
	sentNs int64
}

// loadConn is one connection of a load run. Everything in it belongs to
// its event loop, except the fields marked otherwise.
//
//	OnTraffic: Peek all ─▶ every whole frame: Submit_Resp ─▶ ring slot by
//	  sequence ─▶ histogram, results; Deliver, Active_Test ─▶ answer
//	─▶ Discard ─▶ + as many Submits as the window, the pacer and the Total
//	  allow (copies of the template, sequence patched) ─▶ one Write
//
// Responses and new Submits are handled on the same goroutine, with no
// locks or atomics. Measured against the echo server of the tests on 2
// cores (BenchmarkLoadAgainstEcho, cpu-ns/msg): a net.Conn design with a
// reader goroutine per connection (refilling the window itself, a writer
// goroutine for timers) reached the same msgs/s but spent 10–20 % more CPU
// per message at window 16; one that woke a writer goroutine on every read
// was 30–40 % slower. Two thirds of the CPU goes to syscalls (mostly the
// loopback write); the simulator's own per-message work (split, ParseView,
// ring, copy) is under 10 %.
type loadConn struct {
	run  *loadRun
	id   int
	conn net.Conn      // until enrolled
	rest []byte        // whole frames read during the login
	gc   gnet.Conn     // for Wake from other goroutines; set before they start
	lc   gnet.Conn     // the same, for the loop (set in OnOpen)
	done chan struct{} // closed by OnClose

	window   int
	inflight int
	ring     []slot
	mask     uint32

	seqPrefix []byte // what the sequence holds before its counter (SGIP: node id and time); nil in CMPP/SMGP
	seqBase   seqNo  // the login's sequence

	batch       []byte
	batchFrames int
	tmplFrames  [][]byte
	next        uint32
	wheelPos    int
	userPos     []int
	sent        []uint64 // per template, after the warmup
	pacer       pacer
	filled      []uint32 // slots filled in the current batch

	stopping     bool        // no more Submits: draining
	loggedOut    bool        // the logout is sent
	logoutAnswer bool        // and answered
	paced        atomic.Bool // held back by the pacer: the ticker wakes it (any goroutine)
	drainExpired atomic.Bool // set by the drain timer (any goroutine)
	drainTimer   *time.Timer

	hist       Histogram
	results    [][256]uint64 // per template, result < 256
	bigResults map[[2]uint32]uint64
	unmatched  uint64
	badFrames  uint64
	mo         uint64
	reports    uint64
	lastNs     int64
	v          codec.View
	fatal      bool // the stream cannot be read on: close
	err        error
}

func newLoadConn(r *loadRun, id int, conn net.Conn, rest []byte, s seqNo) *loadConn {
	w := r.cfg.Window
	ringLen := 1 << bits.Len(uint(w*ringSlack-1))
	c := &loadConn{
		run: r, id: id, conn: conn, rest: rest, done: make(chan struct{}),
		window:   w,
		ring:     make([]slot, ringLen),
		mask:     uint32(ringLen - 1),
		next:     2,
		userPos:  make([]int, len(r.tmpls)),
		sent:     make([]uint64, len(r.tmpls)),
		results:  make([][256]uint64, len(r.tmpls)),
		filled:   make([]uint32, 0, w),
		wheelPos: id * len(r.wheel) / max(r.cfg.Conns, 1),
	}
	c.seqBase = s
	if n := r.d.seq.Len - 4; n > 0 {
		c.seqPrefix = append([]byte(nil), s.b[:n]...)
	}
	maxFrame := 0
	for _, t := range r.tmpls {
		f := append([]byte(nil), t.frame...)
		copy(f[r.d.seq.Offset:], c.seqPrefix)
		c.tmplFrames = append(c.tmplFrames, f)
		maxFrame = max(maxFrame, len(f))
	}
	c.batchFrames = max(1, min(w, loadBatchBytes/maxFrame))
	c.batch = make([]byte, 0, c.batchFrames*maxFrame+4096)
	if r.cfg.Rate > 0 {
		c.pacer = newPacer(r.cfg.Rate / float64(r.cfg.Conns))
	}
	return c
}

func (c *loadConn) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// onOpen answers what arrived during the login and sends the first batch.
func (c *loadConn) onOpen() ([]byte, gnet.Action) {
	if c.pacer.perNs > 0 {
		c.pacer.reset(c.run.now())
	}
	c.batch = c.batch[:0]
	c.process(c.rest)
	c.rest = nil
	if c.fatal {
		return nil, gnet.Close
	}
	c.send()
	if len(c.batch) == 0 {
		return nil, gnet.None
	}
	return c.batch, gnet.None
}

func (c *loadConn) onTraffic(gc gnet.Conn) gnet.Action {
	c.batch = c.batch[:0]
	buf, _ := gc.Peek(-1)
	if n := c.process(buf); n > 0 {
		gc.Discard(n) // never Discard(0): it discards everything
	}
	if c.logoutAnswer || c.fatal {
		return gnet.Close
	}
	c.send()
	if len(c.batch) > 0 {
		if _, err := gc.Write(c.batch); err != nil {
			c.fail(fmt.Errorf("write: %w", err))
			return gnet.Close
		}
	}
	return gnet.None
}

func (c *loadConn) onClose(err error) {
	if c.drainTimer != nil {
		c.drainTimer.Stop()
	}
	if !c.logoutAnswer && !c.loggedOut {
		if err == nil {
			err = errors.New("closed by the peer")
		}
		c.fail(err)
	}
	close(c.done)
}

// send appends to c.batch as many Submits as the window, the pacer, the
// deadline and the Total allow, or, once draining and answered, the logout.
func (c *loadConn) send() {
	r := c.run
	if c.loggedOut {
		return
	}
	now := r.now()
	if !c.stopping && (r.stopped.Load() || (r.endNs > 0 && now >= r.endNs)) {
		c.startDrain()
	}
	if !c.stopping {
		n := min(c.window-c.inflight, c.batchFrames)
		if n > 0 && c.pacer.perNs > 0 {
			if allowed := c.pacer.allowed(now); allowed < n {
				n = allowed
				c.paced.Store(true)
			}
		}
		warm := now < r.warmEndNs
		if n > 0 && !warm {
			if n = r.claim(n); n == 0 {
				c.startDrain()
			}
		}
		if n > 0 {
			c.fill(n, warm)
		}
	}
	if c.stopping && (c.inflight == 0 || c.drainExpired.Load()) {
		c.logout()
	}
}

// startDrain stops the Submits and gives the answers DrainTimeout to come.
func (c *loadConn) startDrain() {
	c.stopping = true
	gc := c.lc
	c.drainTimer = time.AfterFunc(c.run.cfg.DrainTimeout, func() {
		c.drainExpired.Store(true)
		gc.Wake(nil)
	})
}

// logout appends the logout and closes the connection if it is not
// answered within DefaultCloseTimeout.
func (c *loadConn) logout() {
	s := c.run.d.withCounter(c.seqBase, c.next)
	c.batch = c.run.d.AppendLogout(c.batch, s.field(c.run.d))
	c.loggedOut = true
	gc := c.lc
	c.drainTimer.Stop()
	c.drainTimer = time.AfterFunc(DefaultCloseTimeout, func() { gc.Close() })
}

// fill appends n Submits to c.batch. The send time is taken after the
// copies, right before the write.
func (c *loadConn) fill(n int, warm bool) {
	r := c.run
	batch := c.batch
	filled := c.filled[:0]
	for len(filled) < n {
		seq := c.next
		c.next++
		if c.next == 0 {
			c.next = 1 // 0 marks a free slot
		}
		s := &c.ring[seq&c.mask]
		if s.seq != 0 {
			continue // a late response still owns it: skip the sequence
		}
		ti := r.wheel[c.wheelPos]
		c.wheelPos++
		if c.wheelPos == len(r.wheel) {
			c.wheelPos = 0
		}
		off := len(batch)
		batch = append(batch, c.tmplFrames[ti]...)
		binary.BigEndian.PutUint32(batch[off+r.seqOff:], seq)
		if t := &r.tmpls[ti]; t.nUsers > 0 {
			u := c.userPos[ti]
			copy(batch[off+t.destOff:off+t.destOff+t.stride], t.users[u*t.stride:(u+1)*t.stride])
			if u++; u == t.nUsers {
				u = 0
			}
			c.userPos[ti] = u
		}
		s.seq, s.tmpl, s.warm = seq, ti, warm
		filled = append(filled, seq)
		if !warm {
			c.sent[ti]++
		}
	}
	now := r.now()
	for _, seq := range filled {
		c.ring[seq&c.mask].sentNs = now
	}
	c.inflight += n
	if c.pacer.perNs > 0 {
		c.pacer.take(n)
	}
	c.batch = batch
}

// process handles the whole frames at the start of buf: responses into the
// ring and the statistics, answers to the peer's requests into c.batch. It
// returns the bytes consumed.
func (c *loadConn) process(buf []byte) int {
	r := c.run
	d := r.d
	now := r.now()
	v := &c.v
	off := 0
	for {
		n, err := d.framer.Split(buf[off:])
		if err != nil {
			c.fail(fmt.Errorf("read: %w", err))
			c.fatal = true
			return len(buf)
		}
		if n == 0 {
			return off
		}
		frame := buf[off : off+n]
		off += n
		if d.ParseView(frame, v) != nil {
			c.badFrames++
			continue
		}
		switch v.Kind {
		case codec.KindSubmitResp:
			c.match(v, now)
		case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
			if v.IsReport {
				c.reports++
			} else {
				c.mo++
			}
			c.batch = d.respondTo(c.batch, v, r.cfg.DeliverResult)
		case codec.KindActiveTest:
			c.batch = d.respondTo(c.batch, v, 0)
		case codec.KindLogout:
			c.batch = d.respondTo(c.batch, v, 0)
			c.fail(ErrPeerLogout)
		case codec.KindLogoutResp:
			c.logoutAnswer = true
		case codec.KindActiveTestResp:
		default:
			c.badFrames++
		}
	}
}

// match finds the slot of a Submit_Resp and records it.
func (c *loadConn) match(v *codec.View, now int64) {
	seq := seqCounter(v.Sequence)
	s := &c.ring[seq&c.mask]
	if seq == 0 || s.seq != seq ||
		string(v.Sequence[:len(c.seqPrefix)]) != string(c.seqPrefix) {
		c.unmatched++
		return
	}
	if !s.warm {
		c.hist.recordNs(uint64(max(now-s.sentNs, 0)))
		if v.Result < 256 {
			c.results[s.tmpl][v.Result]++
		} else {
			if c.bigResults == nil {
				c.bigResults = make(map[[2]uint32]uint64)
			}
			c.bigResults[[2]uint32{uint32(s.tmpl), v.Result}]++
		}
		c.lastNs = now
	}
	s.seq = 0
	c.inflight--
}

// pacer spreads a connection's Submits over time: it allows what the rate
// has earned since the start, minus what was sent, and forgets credit above
// 10 ms worth (or one Submit), so that a stall is not followed by a burst.
type pacer struct {
	perNs float64 // Submits per ns
	t0    int64
	used  float64
	burst float64
}

func newPacer(perSecond float64) pacer {
	return pacer{perNs: perSecond / 1e9, burst: max(1, perSecond/100)}
}

func (p *pacer) reset(now int64) { p.t0, p.used = now, 0 }

func (p *pacer) allowed(now int64) int {
	avail := p.perNs*float64(now-p.t0) - p.used
	if avail > p.burst {
		p.used += avail - p.burst
		avail = p.burst
	}
	if avail < 0 {
		return 0
	}
	return int(avail)
}

func (p *pacer) take(n int) { p.used += float64(n) }
