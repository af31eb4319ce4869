package sp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Client defaults.
const (
	// DefaultResponseTimeout: how long a request waits for its response.
	// Well below the carriers' 30–60 s (docs/protocols/sgip12.md §2,
	// docs/protocols/cmpp.md §2), so that a
	// test that loses a response fails in seconds.
	DefaultResponseTimeout = 10 * time.Second

	// DefaultCloseTimeout bounds Close's wait for the logout response.
	DefaultCloseTimeout = 5 * time.Second

	// DefaultDeliveryBuffer is the capacity of the Deliveries channel.
	DefaultDeliveryBuffer = 1024
)

// ClientConfig configures one simulated SP connection. The zero value of
// every optional field is the useful default.
type ClientConfig struct {
	Protocol codec.Protocol // codec.SGIP, codec.CMPP30, …
	// Dialect, when set, replaces the Protocol's own codec.Dialect: a
	// variant such as an SMPP Dialect that carries LinkIDs in a vendor TLV
	// (smpp.NewDialect). Protocol may then be left out.
	Dialect codec.Dialect
	Addr    string // host:port of the gateway (or SMG)
	// LocalIP to dial from; "" lets the kernel choose. Tests use other
	// loopback addresses (127.0.0.2, …) to act as another host.
	LocalIP string

	// Login and Secret: CMPP Source_Addr and shared secret, SMGP ClientID
	// and shared secret, SGIP Login Name and Password.
	Login, Secret string

	// SMGPLoginMode is the SMGP Login's LoginMode: SMGPModeDefault
	// (transmit), SMGPModeSend, SMGPModeReceive or SMGPModeTransmit. SMPP
	// binds by it too: transceiver, transmitter, receiver, transceiver.
	SMGPLoginMode int

	// SGIPNodeID is the node id in the SGIP sequence numbers this SP sends
	// (sgip.NodeID builds one); 0 means DefaultSGIPNodeID.
	SGIPNodeID uint32

	DialTimeout     time.Duration // connect + login; 0: DefaultDialTimeout
	ResponseTimeout time.Duration // per request; 0: DefaultResponseTimeout
	CloseTimeout    time.Duration // Close's wait for the logout response; 0: DefaultCloseTimeout

	// Window caps the requests awaiting a response: SubmitAsync blocks
	// while Window are pending. 0 means no limit, so that a test can
	// overrun the gateway's window on purpose.
	Window int

	// Acknowledging Delivers (MO and reports): with result DeliverResult
	// (default 0), not at all when NoDeliverAck, or as Ack decides when set
	// (Ack runs on the reader goroutine, before the Delivery is queued).
	DeliverResult uint32
	NoDeliverAck  bool
	Ack           func(Delivery) (result uint32, ack bool)

	// DeliveryBuffer is the capacity of Deliveries(); 0 means
	// DefaultDeliveryBuffer. When it is full the reader waits for the
	// test, as a slow SP would.
	DeliveryBuffer int

	Logger *slog.Logger // nil: discard
}

// SubmitResult is the answer to one Submit.
type SubmitResult struct {
	// Seq is the sequence the Submit was sent with and its response carried:
	// the CMPP/SMGP Sequence_Id, or the counter of the SGIP sequence (the
	// last 4 of its 12 bytes). SeqField is the whole field as it went on
	// the wire (SGIP: the message's identity, which reports quote), set
	// even when no response came.
	Seq      uint32
	SeqField []byte

	// Result is the Submit_Resp Result (CMPP, SGIP) or Status (SMGP).
	Result uint32

	// MsgID is the message identity a status report will quote: the CMPP
	// Msg_Id (8 bytes), the SMGP MsgID (10), or the Submit's SGIP sequence
	// (12 bytes, docs/protocols/sgip12.md §3).
	MsgID []byte

	Latency time.Duration // from the write of the Submit to the read of its response
}

// Client is one SP connection for tests: Submit and wait, or pipeline with
// SubmitAsync; MO and reports arrive on Deliveries, already acknowledged.
//
//	test ──Submit──▶ wmu ─▶ conn ─▶ gateway
//	reader goroutine ◀─ conn: responses ─▶ pending[seq] ─▶ caller
//	                          Delivers   ─▶ ack ─▶ Deliveries()
//
// Every method is safe for concurrent use.
type Client struct {
	cfg  ClientConfig
	d    *dialect
	conn net.Conn
	log  *slog.Logger

	wmu sync.Mutex // serializes writes to conn

	mu        sync.Mutex
	next      uint32 // counter of the next request's sequence
	pending   map[uint32]*call
	closing   bool
	cause     error // why the connection ended
	protoErrs []error

	window     chan struct{} // semaphore of Window slots; nil when unlimited
	deliveries chan Delivery
	stop       chan struct{} // closed by Close or when the reader ends
	stopOnce   sync.Once
	readerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// call is one request awaiting its response.
type call struct {
	seq   seqNo
	want  codec.Kind
	sent  time.Time
	timer *time.Timer
	done  func(response, error)
	fired atomic.Bool
	slot  bool // holds a window slot
}

// response is what a reader hands to the waiting call.
type response struct {
	seq    seqNo
	kind   codec.Kind
	result uint32
	msgID  []byte
	sent   time.Time // when the request was written
	at     time.Time // when the response was read
}

// Dial connects to cfg.Addr and logs in: CMPP Connect with
// AuthenticatorSource, SMGP Login with AuthenticatorClient, SGIP Bind type
// 1. A refused login returns a *LoginError carrying the server's status.
// ctx bounds the dial and the login only.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	d, err := newDialect(cfg.Protocol, cfg.Dialect)
	if err != nil {
		return nil, err
	}
	cfg.Protocol = d.proto
	if cfg.SGIPNodeID == 0 {
		cfg.SGIPNodeID = DefaultSGIPNodeID
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = DefaultCloseTimeout
	}
	if cfg.DeliveryBuffer <= 0 {
		cfg.DeliveryBuffer = DefaultDeliveryBuffer
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg: cfg, d: d, log: log.With("protocol", cfg.Protocol.String(), "login", cfg.Login),
		next:       1,
		pending:    make(map[uint32]*call),
		deliveries: make(chan Delivery, cfg.DeliveryBuffer),
		stop:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	if cfg.Window > 0 {
		c.window = make(chan struct{}, cfg.Window)
	}
	a := account{login: cfg.Login, secret: cfg.Secret, mode: smgpMode(cfg.SMGPLoginMode)}
	conn, rest, err := dialLogin(ctx, d, cfg.LocalIP, cfg.Addr, a, c.allocSeq(), cfg.DialTimeout, c.log)
	if err != nil {
		return nil, err
	}
	c.conn = conn
	go c.read(rest)
	return c, nil
}

// allocSeq hands out the next request sequence.
func (c *Client) allocSeq() seqNo {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.d.newSeq(c.cfg.SGIPNodeID, codec.Timestamp(time.Now()), c.next)
	c.next++
	return s
}

// Deliveries returns the channel of MO messages and reports, in arrival
// order, each acknowledged (or not) before it is queued. It is closed when
// the connection ends.
func (c *Client) Deliveries() <-chan Delivery { return c.deliveries }

// Done is closed when the connection has ended (Close, peer logout, error).
func (c *Client) Done() <-chan struct{} { return c.readerDone }

// Err reports why the connection ended: nil while it is up and after a
// clean Close, ErrPeerLogout when the peer logged out, else the read error.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause == ErrClosed {
		return nil
	}
	return c.cause
}

// ProtocolErrors returns the anomalies the reader saw: responses whose
// sequence matches no request (ErrUnknownSequence), frames that do not
// decode. A well-behaved peer leaves it empty.
func (c *Client) ProtocolErrors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.protoErrs...)
}

// LocalAddr is the client side of the connection.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Submit sends m and waits for its response. A Submit_Resp with a non-zero
// result is not an error: it is SubmitResult.Result.
func (c *Client) Submit(ctx context.Context, m MT) (SubmitResult, error) {
	type answer struct {
		r   SubmitResult
		err error
	}
	ch := make(chan answer, 1)
	if err := c.SubmitAsync(ctx, m, func(r SubmitResult, err error) { ch <- answer{r, err} }); err != nil {
		return SubmitResult{}, err
	}
	select {
	case a := <-ch:
		return a.r, a.err
	case <-ctx.Done():
		return SubmitResult{}, ctx.Err()
	}
}

// SubmitAsync sends m and returns once it is written; done is called
// exactly once with the response (or ErrTimeout, ErrClosed,
// ErrUnexpectedResponse), on the reader goroutine (a timer's on timeout):
// keep it short and do not call the Client from it. When
// SubmitAsync returns an error, done is not called. With ClientConfig.Window
// set it blocks while the window is full, until ctx ends.
func (c *Client) SubmitAsync(ctx context.Context, m MT, done func(SubmitResult, error)) error {
	build := func(dst []byte, s seqNo) ([]byte, error) {
		return c.d.appendSubmit(dst, s, &m, c.cfg.Login)
	}
	return c.request(ctx, build, codec.KindSubmitResp, false, func(r response, err error) {
		res := SubmitResult{Seq: r.seq.n, SeqField: r.seq.field(c.d), Result: r.result, MsgID: r.msgID}
		if c.d.SubmitIDIsSeq() {
			res.MsgID = res.SeqField // known when the Submit left, answered or not
		}
		if !r.at.IsZero() {
			res.Latency = r.at.Sub(r.sent)
		}
		done(res, err)
	})
}

// ActiveTest sends CMPP/SMGP Active_Test and waits for its response. SGIP
// has none: ErrNoActiveTest.
func (c *Client) ActiveTest(ctx context.Context) error {
	if !c.d.HasActiveTest() {
		return ErrNoActiveTest
	}
	return c.roundTrip(ctx, func(dst []byte, s seqNo) ([]byte, error) { return c.d.AppendActiveTest(dst, s.field(c.d)), nil },
		codec.KindActiveTestResp, false)
}

// roundTrip sends one request and waits for its response.
func (c *Client) roundTrip(ctx context.Context, build func([]byte, seqNo) ([]byte, error), want codec.Kind,
	force bool) error {
	ch := make(chan error, 1)
	if err := c.request(ctx, build, want, force, func(_ response, err error) { ch <- err }); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// request registers a call, writes the request and arms its timeout. force
// lets the logout through once Close has begun.
func (c *Client) request(ctx context.Context, build func([]byte, seqNo) ([]byte, error), want codec.Kind,
	force bool, done func(response, error)) error {
	slot := c.window != nil && !force // the logout does not wait for the window
	if slot {
		select {
		case c.window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stop:
			return c.closedErr()
		}
	}
	release := func() {
		if slot {
			<-c.window
		}
	}
	s := c.allocSeq()
	frame, err := build(nil, s)
	if err != nil {
		release()
		return err
	}
	cl := &call{seq: s, want: want, done: done, slot: slot}
	c.mu.Lock()
	if (c.closing && !force) || c.cause != nil {
		c.mu.Unlock()
		release()
		return c.closedErr()
	}
	// The call is complete, its timer included, before the lock that
	// publishes it is released: the reader may fail it (connection lost)
	// the moment it is in pending, and finish stops its timer. The timer's
	// own take waits for this lock, so it cannot miss the call.
	cl.sent = time.Now()
	cl.timer = time.AfterFunc(c.cfg.ResponseTimeout, func() {
		if c.take(s.n, cl) {
			c.finish(cl, response{seq: s}, fmt.Errorf("%w: %s after %v", ErrTimeout, want, c.cfg.ResponseTimeout))
		}
	})
	c.pending[s.n] = cl
	c.mu.Unlock()
	if err := c.write(frame); err != nil {
		if c.take(s.n, cl) {
			cl.timer.Stop()
			release()
			return err
		}
		// The reader failed it already (connection lost) and done ran.
		return nil
	}
	return nil
}

// closedErr is the error for a request on a closed connection.
func (c *Client) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil && !errors.Is(c.cause, ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosed, c.cause)
	}
	return ErrClosed
}

// take removes the call for n from pending if it is still cl.
func (c *Client) take(n uint32, cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[n] != cl {
		return false
	}
	delete(c.pending, n)
	return true
}

// finish runs a call's callback once and gives back its window slot.
func (c *Client) finish(cl *call, r response, err error) {
	if !cl.fired.CompareAndSwap(false, true) {
		return
	}
	if cl.timer != nil {
		cl.timer.Stop()
	}
	if cl.slot {
		<-c.window
	}
	r.sent = cl.sent
	cl.done(r, err)
}

// write sends one frame under the write lock.
func (c *Client) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(frame)
	return err
}

// Close sends the logout (CMPP Terminate, SMGP Exit, SGIP Unbind), waits up
// to CloseTimeout for its response, closes the connection and fails the
// requests still pending with ErrClosed. It returns nil when the logout was
// answered or the peer had already ended the session. Safe to call twice.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true // no new requests; EOF after the logout is clean
		c.mu.Unlock()
		select {
		case <-c.readerDone:
		default:
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CloseTimeout)
			c.closeErr = c.roundTrip(ctx, func(dst []byte, s seqNo) ([]byte, error) {
				return c.d.AppendLogout(dst, s.field(c.d)), nil
			}, codec.KindLogoutResp, true)
			cancel()
			if errors.Is(c.closeErr, ErrClosed) && c.peerLoggedOut() {
				c.closeErr = nil
			}
		}
		c.stopOnce.Do(func() { close(c.stop) })
		c.conn.Close()
		<-c.readerDone
	})
	return c.closeErr
}

func (c *Client) peerLoggedOut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Is(c.cause, ErrPeerLogout)
}

// read is the reader goroutine: it splits frames, matches responses,
// acknowledges and queues Delivers, answers Active_Test and the peer's
// logout. rest holds bytes read during the login.
func (c *Client) read(rest []byte) {
	buf := make([]byte, 0, max(readBufferSize, 2*len(rest)))
	buf = append(buf, rest...)
	var err error
	for err == nil {
		for {
			n, serr := c.d.framer.Split(buf)
			if serr != nil {
				err = serr
				break
			}
			if n == 0 {
				break
			}
			err = c.handle(buf[:n])
			buf = buf[:copy(buf, buf[n:])]
			if err != nil {
				break
			}
		}
		if err != nil {
			break
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		var m int
		m, err = c.conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
	}
	c.mu.Lock()
	if c.closing && (errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)) {
		err = nil
	}
	if c.cause == nil {
		c.cause = err
	}
	if c.cause == nil {
		c.cause = ErrClosed
	}
	cause := c.cause
	c.closing = true
	pending := c.pending
	c.pending = make(map[uint32]*call)
	c.mu.Unlock()
	c.conn.Close()
	c.stopOnce.Do(func() { close(c.stop) })
	failErr := ErrClosed
	if !errors.Is(cause, ErrClosed) {
		failErr = fmt.Errorf("%w: %w", ErrClosed, cause)
	}
	for _, cl := range pending {
		c.finish(cl, response{seq: cl.seq}, failErr)
	}
	if cause != ErrClosed && !errors.Is(cause, ErrPeerLogout) {
		c.log.Debug("connection ended", "err", cause)
	}
	close(c.deliveries)
	close(c.readerDone)
}

// handle processes one frame on the reader goroutine. A non-nil error ends
// the connection.
func (c *Client) handle(frame []byte) error {
	var v codec.View
	if err := c.d.ParseView(frame, &v); err != nil {
		err = fmt.Errorf("sp: %s: undecodable frame: %w", c.d.proto, err)
		c.protoErr(err)
		if v.Kind.IsResponse() && len(v.Sequence) >= 4 {
			// Fail the request it answers rather than let it time out.
			s := c.d.seqOf(v.Sequence)
			c.mu.Lock()
			cl := c.pending[s.n]
			delete(c.pending, s.n)
			c.mu.Unlock()
			if cl != nil {
				c.finish(cl, response{seq: s}, err)
			}
		}
		return nil // the Framer cut it by its length: skip it
	}
	now := time.Now()
	switch v.Kind {
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
		c.deliver(frame, &v, now)
	case codec.KindActiveTest:
		return c.write(c.d.respondTo(nil, &v, 0))
	case codec.KindLogout:
		werr := c.write(c.d.respondTo(nil, &v, 0))
		c.mu.Lock()
		c.cause = ErrPeerLogout
		c.mu.Unlock()
		if werr != nil {
			c.log.Debug("answering the peer's logout", "err", werr)
		}
		return ErrPeerLogout
	default:
		if v.Kind.IsResponse() {
			c.complete(&v, now)
		} else {
			c.protoErr(fmt.Errorf("sp: %s: unexpected request 0x%08x (%s)", c.d.proto, v.Command, v.Kind))
		}
	}
	return nil
}

// complete hands a response to the call with its sequence.
func (c *Client) complete(v *codec.View, now time.Time) {
	s := c.d.seqOf(v.Sequence)
	c.mu.Lock()
	cl := c.pending[s.n]
	if cl != nil && !sameSeq(cl.seq, s) {
		cl = nil // SGIP: same counter, different node or time
	}
	if cl != nil {
		delete(c.pending, s.n)
	}
	c.mu.Unlock()
	if cl == nil {
		c.protoErr(fmt.Errorf("%w: %s 0x%08x with sequence %s", ErrUnknownSequence, v.Kind, v.Command, c.seqString(s)))
		return
	}
	r := response{seq: s, kind: v.Kind, result: v.Result, at: now}
	switch {
	case len(v.MsgID) > 0:
		r.msgID = append([]byte(nil), v.MsgID...)
	}
	var err error
	if v.Kind != cl.want {
		err = fmt.Errorf("%w: got %s (0x%08x) for sequence %s, want %s", ErrUnexpectedResponse, v.Kind, v.Command,
			c.seqString(s), cl.want)
	}
	c.finish(cl, r, err)
}

func (c *Client) seqString(s seqNo) string { return c.d.seqString(s) }

// deliver decodes, acknowledges and queues an MO, report or UserRpt.
func (c *Client) deliver(frame []byte, v *codec.View, now time.Time) {
	dl, err := c.d.decodeDelivery(frame, v)
	if err != nil {
		c.protoErr(fmt.Errorf("sp: %s: deliver: %w", c.d.proto, err))
	}
	dl.ReceivedAt = now
	result, ack := c.cfg.DeliverResult, !c.cfg.NoDeliverAck
	if c.cfg.Ack != nil {
		result, ack = c.cfg.Ack(dl)
	}
	if ack {
		if err := c.write(c.d.respondTo(nil, v, result)); err != nil {
			c.log.Debug("acknowledging a deliver", "err", err)
		} else {
			dl.Acked, dl.AckResult = true, result
		}
	}
	// Once acknowledged, the delivery is the caller's alone: the peer has
	// forgotten it. So it goes to Deliveries whenever there is room, even
	// if the connection is closing meanwhile (a select on both would
	// drop it half the time); only a full channel on a closing client
	// (nobody reads any more) drops it.
	select {
	case c.deliveries <- dl:
		return
	default:
	}
	select {
	case c.deliveries <- dl:
	case <-c.stop:
	}
}

func (c *Client) protoErr(err error) {
	c.log.Warn("protocol anomaly", "err", err)
	c.mu.Lock()
	c.protoErrs = append(c.protoErrs, err)
	c.mu.Unlock()
}
