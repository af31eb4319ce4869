package smg

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// conn is one TCP connection of the SMG: an SP (or spsmg) that dialled in,
// or, in SGIP, the type-2 connection the SMG dialled to ReceiverAddr.
//
//	peer ──bytes──▶ serve: Read ─▶ batch: Split ─▶ handle(frame) ─▶ out ─▶ one Write
//	                                      reports ─▶ tracker ─▶ same Write, or another conn
//
// One goroutine (serve) reads and owns everything below "reader-owned".
// Other goroutines (timers, the tracker, InjectMO, Stop) only call write,
// closeWith, and read the login fields under Server.mu.
type conn struct {
	s      *Server
	nc     net.Conn
	dialed bool // the connection the SMG dialled to ReceiverAddr (SGIP type 2)
	handle func(frame []byte) error

	wmu   sync.Mutex // serializes writes from the reader and from timers
	wdead bool

	reason atomic.Uint32 // closeReason+1 once decided
	gone   atomic.Bool   // torn down; deliveries written to it must be resent

	order   uint64        // accept sequence number (Conns lists in this order)
	fault   atomic.Uint32 // Fault: how the connection misbehaves (fault tests)
	wake    chan struct{} // wakes a reader held by a fault
	submits atomic.Uint64 // Submits answered, for Conns

	// Set once by the reader at login, under Server.mu; others read them
	// under Server.mu.
	loggedIn bool
	receives bool   // may carry Deliver: CMPP always, SMGP LoginMode 1/2, SGIP type 2 (LoginMode.CarriesDeliveries)
	account  string // login name

	// Reader-owned.
	view     codec.View
	out      []byte                // answers of this batch, written once at its end
	late     []byte                // Submit_Resps held back by Delay
	reps     []byte                // status report frames made in this batch
	repItems []outItem             // their keys and offsets in reps
	str      strCache              // numbers of the last report, as strings
	report   codec.Report          // the report being built
	seq      [codec.MaxSeqLen]byte // and its sequence
	seqTS    uint32                // MMDDhhmmss of sec, for the sequences of SGIP reports
	// ids makes the message ids of Submit_Resps and reports (nil where the
	// Submit's sequence is its identity, SGIP); idBuf, subID and repID
	// hold the ids of the Submit being answered and of its reports.
	ids                 codec.MsgIDMaker
	idBuf, subID, repID []byte
	closing             bool            // close after this batch is written
	joining             bool            // logged in; join the Deliver routes after the flush
	mode                codec.LoginMode // what the login said the connection carries

	now      time.Time // batch start
	sec      int64     // second ids is stamped with
	repTS    string    // YYMMDDhhmm for reports, refreshed with sec
	recvTime string    // YYYYMMDDHHMMSS for SMGP reports, refreshed with sec
	delay    time.Duration
	result   func(*codec.View) uint32
	// dropSubmits: FaultDropSubmits, read once per batch.
	dropSubmits bool
	idNext      uint64 // id counter block taken from Server.ids
	idEnd       uint64

	nSubmits, nRecipients, nZero uint64 // flushed to Server.st once per batch
}

func newConn(s *Server, nc net.Conn, dialed bool) *conn {
	c := &conn{s: s, nc: nc, dialed: dialed, wake: make(chan struct{}, 1), ids: s.d.MsgIDs(s.cfg.GatewayCode)}
	c.fault.Store(s.fault.Load())
	c.handle = c.frame
	if dialed {
		c.handle = c.receiverFrame
	}
	return c
}

// serve reads until the connection ends. It runs on its own goroutine,
// counted in Server.wg.
func (c *conn) serve() {
	defer c.s.wg.Done()
	defer c.teardown()
	if !c.dialed {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.s.cfg.LoginTimeout))
	}
	buf := make([]byte, readBufSize)
	w := 0
	held := false // bytes read while a fault stopped reading, not yet handled
	for {
		if !c.waitWhileStalled() {
			return
		}
		if held {
			held = false
			var ok bool
			if w, ok = c.consume(buf, w); !ok {
				return
			}
		}
		n, err := c.nc.Read(buf[w:])
		if n > 0 {
			w += n
			if Fault(c.fault.Load()).stopsReading() {
				held = true // handled once the fault ends
				continue
			}
			var ok bool
			if w, ok = c.consume(buf, w); !ok {
				return
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !c.dialed {
				c.closeWith(closeLoginTimeout)
			}
			return
		}
	}
}

// consume handles the whole frames in buf[:w] and moves the rest to the
// front; false when the connection is to close.
func (c *conn) consume(buf []byte, w int) (int, bool) {
	off, perr := c.batch(buf[:w])
	if perr != nil {
		c.s.log.Debug("smg: closing connection", "remote", c.nc.RemoteAddr(), "err", perr)
		c.closeWith(closeProtocol)
		return 0, false
	}
	if c.closing {
		return 0, false
	}
	return copy(buf, buf[off:w]), true
}

// batch handles every whole frame in b and writes the answers once. It
// returns how many bytes it consumed.
func (c *conn) batch(b []byte) (int, error) {
	c.begin()
	off := 0
	var err error
	for off < len(b) {
		n, serr := c.s.framer.Split(b[off:])
		if serr != nil {
			err = serr
			break
		}
		if n == 0 {
			break
		}
		if herr := c.handle(b[off : off+n]); herr != nil {
			err = herr
			break
		}
		off += n
		if c.closing {
			break
		}
	}
	c.flush()
	return off, err
}

// begin loads what stays the same for one batch: the clock (id prefixes
// change once a second) and the run-time knobs.
func (c *conn) begin() {
	s := c.s
	c.now = time.Now()
	if sec := c.now.Unix(); sec != c.sec {
		c.sec = sec
		if c.ids != nil {
			c.ids.Stamp(c.now)
		}
		c.seqTS = codec.Timestamp(c.now)
		c.repTS, c.recvTime = "", ""
	}
	c.delay = time.Duration(s.delay.Load())
	c.dropSubmits = Fault(c.fault.Load()) == FaultDropSubmits
	c.result = nil
	if fn := s.result.Load(); fn != nil {
		c.result = *fn
	}
}

// takeIDs reserves n consecutive id counter values (a Submit to n
// recipients has ids id … id+n−1).
func (c *conn) takeIDs(n int) uint64 {
	if c.idNext+uint64(n) > c.idEnd {
		blk := uint64(max(idBlock, n))
		end := c.s.ids.Add(blk)
		c.idNext, c.idEnd = end-blk, end
	}
	v := c.idNext
	c.idNext += uint64(n)
	return v
}

// respBuf is where a Submit_Resp goes: held back when Delay is set.
func (c *conn) respBuf() *[]byte {
	if c.delay > 0 {
		return &c.late
	}
	return &c.out
}

// counted records one answered Submit.
func (c *conn) counted(recipients int, result uint32) {
	c.nSubmits++
	c.nRecipients += uint64(recipients)
	if result == 0 {
		c.nZero++
	} else {
		c.s.st.result(result)
	}
}

// reportTS is YYMMDDhhmm of the batch, for report bodies.
func (c *conn) reportTS() string {
	if c.repTS == "" {
		c.repTS = reportTime(c.now)
	}
	return c.repTS
}

// flush writes the batch's answers (one write), hands its reports to the
// tracker and folds its counters into the server's.
func (c *conn) flush() {
	s := c.s
	answered := int(c.nSubmits)
	if c.nSubmits > 0 {
		s.st.submits.Add(c.nSubmits)
		s.st.recipients.Add(c.nRecipients)
		s.st.resultZero.Add(c.nZero)
		c.submits.Add(c.nSubmits)
		c.nSubmits, c.nRecipients, c.nZero = 0, 0, 0
	}
	var reps *outBatch
	var rdelay time.Duration
	if len(c.repItems) > 0 {
		reps = &outBatch{buf: bytes.Clone(c.reps), items: slices.Clone(c.repItems), pref: c, account: c.account}
		c.reps, c.repItems = c.reps[:0], c.repItems[:0]
		rdelay = time.Duration(s.reportDelay.Load())
	}
	// Reports for this connection with no delay of their own follow their
	// Submit_Resps in the same write.
	inline := reps != nil && rdelay == 0 && c.receives
	if len(c.late) > 0 {
		late := bytes.Clone(c.late)
		c.late = c.late[:0]
		var r *outBatch
		if inline {
			r, reps = reps, nil
		} else if reps != nil {
			s.sendAfter(reps, c.delay+rdelay)
			reps = nil
		}
		n := answered // not answered itself: captured, it would escape on every flush
		time.AfterFunc(c.delay, func() {
			if r != nil {
				s.trk.add(s, r, c, time.Now().UnixNano())
				late = append(late, r.buf...)
			}
			if c.write(late) && n > 0 && s.cfg.AfterSubmitResps != nil {
				s.cfg.AfterSubmitResps(n)
			}
		})
		answered = 0
	}
	if reps != nil {
		if inline {
			s.trk.add(s, reps, c, c.now.UnixNano())
			c.out = append(c.out, reps.buf...)
		} else {
			s.sendAfter(reps, rdelay)
		}
	}
	if len(c.out) > 0 {
		ok := c.write(c.out)
		c.out = c.out[:0]
		if ok && answered > 0 && s.cfg.AfterSubmitResps != nil {
			s.cfg.AfterSubmitResps(answered)
		}
	}
	if c.joining {
		c.join()
	}
}

// write sends b whole and reports whether it did. Any goroutine. A failed
// write closes the connection; what was tracked on it is resent elsewhere
// or later. Under FaultBlackhole nothing is written.
func (c *conn) write(b []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wdead {
		return false
	}
	if Fault(c.fault.Load()) == FaultBlackhole {
		return false // lost on the way
	}
	if _, err := c.nc.Write(b); err != nil {
		c.wdead = true
		c.closeWith(closeWriteFailed)
		return false
	}
	return true
}

// closeWith closes the connection for reason (the first reason wins).
// Any goroutine; the reader then tears it down.
func (c *conn) closeWith(r closeReason) {
	c.reason.CompareAndSwap(0, uint32(r)+1)
	_ = c.nc.Close()
	c.wakeReader() // a reader held by a fault
}

// finish marks the connection to close after this batch is written.
func (c *conn) finish(r closeReason) {
	c.reason.CompareAndSwap(0, uint32(r)+1)
	c.closing = true
}

// loggedInAs records a successful login. Reader only. A connection that
// receives joins the Deliver routes only after its login response is
// written (flush), so that no waiting Deliver overtakes it.
func (c *conn) loggedInAs(account string, receives bool) {
	_ = c.nc.SetReadDeadline(time.Time{})
	s := c.s
	s.mu.Lock()
	c.loggedIn, c.receives, c.account = true, receives, account
	s.mu.Unlock()
	c.joining = receives
	s.st.loginsOK.Add(1)
}

// join adds a freshly logged-in connection to the Deliver routes and lets
// the Delivers waiting for one go. Reader only, after the login response
// is written.
func (c *conn) join() {
	c.joining = false
	s := c.s
	s.mu.Lock()
	if !c.gone.Load() {
		s.recv = append(s.recv, c)
	}
	s.mu.Unlock()
	s.trk.wakeUp()
}

// teardown runs once, on the reader's way out.
func (c *conn) teardown() {
	s := c.s
	_ = c.nc.Close()
	c.gone.Store(true)
	reason := closePeer
	if r := c.reason.Load(); r > 0 {
		reason = closeReason(r - 1)
	}
	s.mu.Lock()
	delete(s.conns, c)
	if i := slices.Index(s.recv, c); i >= 0 {
		s.recv = slices.Delete(s.recv, i, i+1)
	}
	wasRx := s.rx == c
	if wasRx {
		s.rx = nil
	}
	s.mu.Unlock()
	s.st.closes[reason].Add(1)
	s.log.Debug("smg: connection closed", "remote", c.nc.RemoteAddr(), "account", c.account, "reason", reason.String())
	if c.receives {
		s.trk.wakeUp() // resend what it had not acknowledged
	}
	if wasRx {
		s.wakeReceiver()
	}
}

// strCache keeps the strings the typed report PDUs need, so that a run of
// reports from one SP number to one recipient converts them once (string
// comparison with a []byte conversion does not allocate).
type strCache struct {
	spNumber, serviceCode, destination string
}

func (sc *strCache) sp(b []byte) string {
	if string(b) != sc.spNumber {
		sc.spNumber = string(b)
	}
	return sc.spNumber
}

func (sc *strCache) service(b []byte) string {
	if string(b) != sc.serviceCode {
		sc.serviceCode = string(b)
	}
	return sc.serviceCode
}

func (sc *strCache) dest(b []byte) string {
	if string(b) != sc.destination {
		sc.destination = string(b)
	}
	return sc.destination
}
