package testenv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Wire builds and reads raw frames of one protocol with its Dialect, for
// tests that must send what no well-behaved client would.
type Wire struct {
	P      codec.Protocol
	D      codec.Dialect
	Framer codec.Framer
}

// NewWire returns the frame builder of protocol p.
func NewWire(p codec.Protocol) Wire {
	d := Dialect(p)
	return Wire{P: p, D: d, Framer: d.Framer(1 << 20)}
}

// HeaderLen is the protocol's header size (12, SGIP 20).
func (w Wire) HeaderLen() int { return w.Framer.HeaderLen }

// seq is the sequence field of counter seq (SGIP: node 3000000001, time
// 1010101).
func (w Wire) seq(seq uint32) []byte {
	b := make([]byte, w.D.Seq().Len)
	w.D.PutSeq(b, 3000000001, 1010101, seq)
	return b
}

// Login is the login request of account login/secret (CMPP Connect, SMGP
// Login in transmit mode, SGIP Bind type 1).
func (w Wire) Login(seq uint32, login, secret string) []byte {
	return w.D.AppendLogin(nil, w.seq(seq), &codec.Login{Name: login, Secret: secret, Mode: codec.LoginBoth, Time: time.Now()})
}

// RawMT is a Submit as raw as the codec allows: any number of recipients
// (0–255, the count is one byte) and content up to 255 bytes (CMPP/SMGP
// Msg_Length is one byte; SGIP takes more).
type RawMT struct {
	SPNumber, Service, LinkID string
	Dests                     []string
	Content                   []byte
	NeedReport                bool
}

// Submit is the Submit frame of m: free, paid by the SP, CorpID 12345.
func (w Wire) Submit(seq uint32, m RawMT) []byte {
	return w.D.AppendSubmit(nil, w.seq(seq), &codec.Submit{SPNumber: m.SPNumber, Dests: m.Dests, ServiceCode: m.Service,
		LinkID: m.LinkID, CorpID: "12345", Fee: codec.Fee{Payer: codec.PayerSP}, Content: m.Content,
		NeedReport: m.NeedReport, Priority: 1})
}

// ActiveTest is CMPP/SMGP Active_Test; SGIP has none (nil).
func (w Wire) ActiveTest(seq uint32) []byte { return w.D.AppendActiveTest(nil, w.seq(seq)) }

// Logout is CMPP Terminate, SMGP Exit or SGIP Unbind.
func (w Wire) Logout(seq uint32) []byte { return w.D.AppendLogout(nil, w.seq(seq)) }

// Header is a bare header: Total_Length, Command_Id and sequence, with
// body appended (the length field is written as given, not computed).
func (w Wire) Header(total uint32, cmd uint32, seq uint32, body []byte) []byte {
	b := make([]byte, w.HeaderLen(), w.HeaderLen()+len(body))
	binary.BigEndian.PutUint32(b, total)
	binary.BigEndian.PutUint32(b[4:], cmd)
	l := w.D.Seq()
	copy(b[l.Offset:l.Offset+l.Len], w.seq(seq))
	return append(b, body...)
}

// Parse reads one frame into a View.
func (w Wire) Parse(frame []byte) (codec.View, error) {
	var v codec.View
	err := w.D.ParseView(frame, &v)
	return v, err
}

// LoginStatus reads a login response's status (CMPP Status, SMGP Status,
// SGIP Result).
func (w Wire) LoginStatus(frame []byte) (uint32, error) {
	r, err := w.D.DecodeLoginResp(frame)
	if err != nil {
		return 0, fmt.Errorf("%s: not a login response (%w): % x", w.P, err, frame[:min(len(frame), 16)])
	}
	return r.Status, nil
}

// DialFrom connects to addr from the loopback address local ("" lets the
// kernel choose). Any 127.x.y.z works on Linux without configuration, which
// lets a test play an attacker at another IP than the well-behaved SP.
func DialFrom(local, addr string, timeout time.Duration) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: timeout}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// ReadFrame reads one whole frame before deadline.
func (w Wire) ReadFrame(c net.Conn, deadline time.Time) ([]byte, error) {
	_ = c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	head := make([]byte, 4)
	if _, err := io.ReadFull(c, head); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head)
	if n < uint32(w.HeaderLen()) || n > 1<<20 {
		return nil, fmt.Errorf("frame length %d", n)
	}
	frame := make([]byte, n)
	copy(frame, head)
	if _, err := io.ReadFull(c, frame[4:]); err != nil {
		return nil, err
	}
	return frame, nil
}

// ErrOpen is returned by WaitClosed when the peer kept the connection.
var ErrOpen = errors.New("connection still open")

// WaitClosed reads (and discards) until the peer closes the connection or
// the deadline passes (ErrOpen).
func WaitClosed(c net.Conn, deadline time.Time) error {
	_ = c.SetReadDeadline(deadline)
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ErrOpen
		}
		return nil // EOF or reset: closed
	}
}

// RawLogin connects from local and logs in; it returns the login status
// and the connection (open when the status is 0).
func (w Wire) RawLogin(local, addr, login, secret string) (uint32, *net.TCPConn, error) {
	c, err := DialFrom(local, addr, 5*time.Second)
	if err != nil {
		return 0, nil, err
	}
	if _, err := c.Write(w.Login(1, login, secret)); err != nil {
		c.Close()
		return 0, nil, err
	}
	f, err := w.ReadFrame(c, time.Now().Add(Wait))
	if err != nil {
		c.Close()
		return 0, nil, fmt.Errorf("login response: %w", err)
	}
	st, err := w.LoginStatus(f)
	if err != nil || st != 0 {
		c.Close()
		return st, nil, err
	}
	return st, c, nil
}
