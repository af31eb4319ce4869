package sp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// ReceiverConfig configures the SP's SGIP listener.
type ReceiverConfig struct {
	// Login and Secret are the Login Name and Password the gateway must
	// Bind with (type 2); anything else gets Bind_Resp 1 (illegal login).
	Login, Secret string

	// Acknowledging Deliver, Report and UserRpt: Resp with Result (default
	// 0), not at all when NoAck, or as Ack decides when set (it runs on the
	// connection's goroutine, before the Delivery is queued).
	Result uint8
	NoAck  bool
	Ack    func(Delivery) (result uint32, ack bool)

	DeliveryBuffer int          // capacity of Deliveries(); 0: DefaultDeliveryBuffer
	Logger         *slog.Logger // nil: discard
}

// Receiver is the SP's own SGIP listener. SGIP connections are one-way
// (docs/protocols/sgip12.md §2): MO (Deliver), status reports (Report) and user state
// (UserRpt) come over connections the gateway dials, with Bind Login Type 2.
//
//	gateway ──Bind type 2──▶ Receiver: check name/password ─▶ Bind_Resp
//	gateway ──Deliver/Report/UserRpt──▶ Resp(Result) ─▶ Deliveries()
//	gateway ──Unbind──▶ Unbind_Resp, close
//
// Methods are safe from any goroutine.
type Receiver struct {
	cfg        ReceiverConfig
	d          *dialect
	l          net.Listener
	log        *slog.Logger
	deliveries chan Delivery
	stop       chan struct{}
	wg         sync.WaitGroup
	binds      atomic.Int64

	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	closed    bool
	protoErrs []error
	closeOnce sync.Once
}

// ListenReceiver listens on addr ("127.0.0.1:0" picks a port; see Addr) for
// the gateway's SGIP binds with login and secret, acknowledging everything
// with result 0.
func ListenReceiver(addr, login, secret string) (*Receiver, error) {
	return ListenReceiverConfig(addr, ReceiverConfig{Login: login, Secret: secret})
}

// ListenReceiverConfig is ListenReceiver with every option.
func ListenReceiverConfig(addr string, cfg ReceiverConfig) (*Receiver, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewReceiver(l, cfg), nil
}

// NewReceiver serves the gateway's binds on l, which it takes over (Close
// closes it).
func NewReceiver(l net.Listener, cfg ReceiverConfig) *Receiver {
	if cfg.DeliveryBuffer <= 0 {
		cfg.DeliveryBuffer = DefaultDeliveryBuffer
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// SGIP is the protocol whose SPs listen for the gateway (codec.Dialect
	// SplitConnections).
	d, _ := newDialect(codec.SGIP, nil)
	r := &Receiver{
		cfg: cfg, d: d, l: l, log: log.With("receiver", l.Addr().String()),
		deliveries: make(chan Delivery, cfg.DeliveryBuffer),
		stop:       make(chan struct{}),
		conns:      make(map[net.Conn]struct{}),
	}
	r.wg.Add(1)
	go r.accept()
	return r
}

// Addr is the address the Receiver listens on.
func (r *Receiver) Addr() net.Addr { return r.l.Addr() }

// Deliveries returns the MO, reports and UserRpts of every connection, in
// arrival order per connection. It is closed by Close.
func (r *Receiver) Deliveries() <-chan Delivery { return r.deliveries }

// Binds is the number of binds accepted so far.
func (r *Receiver) Binds() int { return int(r.binds.Load()) }

// ProtocolErrors returns the anomalies seen: refused binds, frames that do
// not decode, commands an SP does not serve.
func (r *Receiver) ProtocolErrors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.protoErrs...)
}

// Close stops listening, closes every connection, waits for their
// goroutines and closes Deliveries.
func (r *Receiver) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		for c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		close(r.stop)
		err = r.l.Close()
		r.wg.Wait()
		close(r.deliveries)
	})
	return err
}

func (r *Receiver) accept() {
	defer r.wg.Done()
	for {
		c, err := r.l.Accept()
		if err != nil {
			select {
			case <-r.stop:
			default:
				if !errors.Is(err, net.ErrClosed) {
					r.log.Warn("accept", "err", err)
				}
			}
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			c.Close()
			return
		}
		r.conns[c] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go r.serve(c)
	}
}

func (r *Receiver) protoErr(err error) {
	r.log.Warn("protocol anomaly", "err", err)
	r.mu.Lock()
	r.protoErrs = append(r.protoErrs, err)
	r.mu.Unlock()
}

// serve runs one gateway connection: Bind first, then Deliver, Report,
// UserRpt, until Unbind.
func (r *Receiver) serve(c net.Conn) {
	defer func() {
		c.Close()
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
		r.wg.Done()
	}()
	bound := false
	buf := make([]byte, 0, readBufferSize)
	var out []byte
	for {
		n, err := r.d.framer.Split(buf)
		if err != nil {
			r.protoErr(fmt.Errorf("sp: receiver %s: %w", c.RemoteAddr(), err))
			return
		}
		if n == 0 {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := c.Read(buf[len(buf):cap(buf)])
			if err != nil {
				return
			}
			buf = buf[:len(buf)+m]
			continue
		}
		frame := buf[:n]
		var v codec.View
		if err := r.d.ParseView(frame, &v); err != nil {
			// docs/protocols/sgip12.md §2: malformed command → close the connection.
			r.protoErr(fmt.Errorf("sp: receiver %s: %w", c.RemoteAddr(), err))
			return
		}
		out = out[:0]
		end := false
		switch {
		case !bound:
			out, bound, end = r.bind(out, frame, v.Sequence, c)
		case v.Kind == codec.KindDeliver || v.Kind == codec.KindReport || v.Kind == codec.KindUserRpt:
			var queue bool
			var dl Delivery
			out, dl, queue = r.delivery(out, frame, &v)
			if _, err := c.Write(out); err != nil {
				return
			}
			out = out[:0]
			if queue {
				select {
				case r.deliveries <- dl:
				case <-r.stop:
					return
				}
			}
		case v.Kind == codec.KindLogout:
			out = r.d.respondTo(out, &v, 0)
			end = true
		case v.Kind.IsResponse():
			// The receiver sends no requests (it never Unbinds first).
			r.protoErr(fmt.Errorf("sp: receiver %s: unexpected response %s (0x%08x)", c.RemoteAddr(), v.Kind, v.Command))
		default:
			// §2: a valid command the SP does not serve gets an error Result.
			r.protoErr(fmt.Errorf("sp: receiver %s: unexpected %s (0x%08x)", c.RemoteAddr(), v.Kind, v.Command))
			out = r.d.respondTo(out, &v, r.d.NotServedResult())
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
		if end {
			return
		}
		buf = buf[:copy(buf, buf[n:])]
	}
}

// bind answers the first frame, which must be a login for deliveries
// (SGIP Bind type 2) with the configured name and password.
func (r *Receiver) bind(out, frame, seq []byte, c net.Conn) (_ []byte, ok, end bool) {
	l, err := r.d.DecodeLogin(frame)
	if err != nil {
		r.protoErr(fmt.Errorf("sp: receiver %s: first command is not a Bind (err %v)", c.RemoteAddr(), err))
		return out, false, true
	}
	st := codec.LoginOK
	switch {
	case l.Mode != codec.LoginDeliver:
		st = codec.LoginBadMode
	case l.Name != r.cfg.Login || !r.d.VerifyLogin(&l, r.cfg.Secret):
		st = codec.LoginBadCredentials
	}
	out = r.d.AppendLoginResp(out, seq, &l, st, r.cfg.Secret)
	if st != codec.LoginOK {
		r.protoErr(fmt.Errorf("sp: receiver %s: bind %q (mode %s) refused: %s", c.RemoteAddr(), l.Name, l.Mode, st))
		return out, false, true
	}
	r.binds.Add(1)
	return out, true, false
}

// delivery decodes and acknowledges a Deliver, Report or UserRpt.
func (r *Receiver) delivery(out, frame []byte, v *codec.View) ([]byte, Delivery, bool) {
	dl, err := r.d.decodeDelivery(frame, v)
	if err != nil {
		r.protoErr(fmt.Errorf("sp: receiver: %w", err))
	}
	dl.ReceivedAt = time.Now()
	result, ack := uint32(r.cfg.Result), !r.cfg.NoAck
	if r.cfg.Ack != nil {
		result, ack = r.cfg.Ack(dl)
	}
	if ack {
		out = r.d.respondTo(out, v, result)
		dl.Acked, dl.AckResult = true, result
	}
	return out, dl, err == nil
}
