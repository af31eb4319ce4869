package testenv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/config"
)

// Wire builds and reads raw frames of one protocol with the codec
// packages, for tests that must send what no well-behaved client would.
type Wire struct {
	P      config.Protocol
	cmppV  cmpp.Version
	smgpV  smgp.Version
	Framer codec.Framer
}

// NewWire returns the frame builder of protocol p.
func NewWire(p config.Protocol) Wire {
	w := Wire{P: p}
	switch p.Family() {
	case "cmpp":
		w.cmppV = cmpp.Version(p.Version())
		w.Framer = cmpp.NewFramer(1 << 20)
	case "smgp":
		w.smgpV = smgp.Version(p.Version())
		w.Framer = smgp.NewFramer(1 << 20)
	default:
		w.Framer = sgip.NewFramer(1 << 20)
	}
	return w
}

// HeaderLen is the protocol's header size (12, SGIP 20).
func (w Wire) HeaderLen() int { return w.Framer.HeaderLen }

func (w Wire) sgipSeq(seq uint32) sgip.Sequence {
	return sgip.Sequence{Node: 3000000001, Time: 1010101, Counter: seq}
}

// Login is the login request of account login/secret (CMPP Connect, SMGP
// Login in transmit mode, SGIP Bind type 1).
func (w Wire) Login(seq uint32, login, secret string) []byte {
	ts := codec.Timestamp(time.Now())
	switch w.P.Family() {
	case "cmpp":
		return cmpp.Append(nil, w.cmppV, seq, cmpp.NewConnect(login, secret, w.cmppV, ts))
	case "smgp":
		return smgp.Append(nil, w.smgpV, seq, &smgp.Login{ClientID: login, AuthenticatorClient: smgp.AuthenticatorClient(login, secret, ts),
			LoginMode: smgp.LoginModeTransmit, TimeStamp: ts, ClientVersion: w.smgpV})
	}
	return sgip.Append(nil, w.sgipSeq(seq), &sgip.Bind{LoginType: sgip.LoginSPToSMG, LoginName: login, LoginPassword: secret})
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

// Submit is the Submit frame of m.
func (w Wire) Submit(seq uint32, m RawMT) []byte {
	switch w.P.Family() {
	case "cmpp":
		p := &cmpp.Submit{PkTotal: 1, PkNumber: 1, ServiceID: m.Service, MsgSrc: "900001", FeeType: "01", FeeCode: "000000",
			SrcID: m.SPNumber, DestTerminalID: m.Dests, MsgContent: m.Content, LinkID: m.LinkID}
		if m.NeedReport {
			p.RegisteredDelivery = 1
		}
		return cmpp.Append(nil, w.cmppV, seq, p)
	case "smgp":
		p := &smgp.Submit{MsgType: smgp.MsgTypeMT, Priority: 1, ServiceID: m.Service, FeeType: "00", FeeCode: "000000",
			FixedFee: "000000", SrcTermID: m.SPNumber, DestTermID: m.Dests, MsgContent: m.Content}
		if m.NeedReport {
			p.NeedReport = 1
		}
		if m.LinkID != "" {
			p.SetTLV(smgp.TagLinkID, codec.AppendText(nil, m.LinkID, smgp.LinkIDLen))
		}
		return smgp.Append(nil, w.smgpV, seq, p)
	}
	p := &sgip.Submit{SPNumber: m.SPNumber, ChargeNumber: sgip.ChargeSP, UserNumber: m.Dests, CorpID: "12345",
		ServiceType: m.Service, FeeType: sgip.FeeTypeFree, FeeValue: "0", GivenValue: "0",
		MorelatetoMTFlag: sgip.MTNotCausedByMO, ReportFlag: sgip.ReportFlagNone, MessageContent: m.Content}
	if m.NeedReport {
		p.ReportFlag = sgip.ReportFlagAlways
	}
	if m.LinkID != "" {
		p.Reserve = []byte(m.LinkID)
	}
	return sgip.Append(nil, w.sgipSeq(seq), p)
}

// ActiveTest is CMPP/SMGP Active_Test; SGIP has none (nil).
func (w Wire) ActiveTest(seq uint32) []byte {
	switch w.P.Family() {
	case "cmpp":
		return cmpp.AppendActiveTest(nil, seq)
	case "smgp":
		return smgp.AppendActiveTest(nil, seq)
	}
	return nil
}

// Logout is CMPP Terminate, SMGP Exit or SGIP Unbind.
func (w Wire) Logout(seq uint32) []byte {
	switch w.P.Family() {
	case "cmpp":
		return cmpp.Append(nil, w.cmppV, seq, &cmpp.Terminate{})
	case "smgp":
		return smgp.AppendExit(nil, seq)
	}
	return sgip.Append(nil, w.sgipSeq(seq), &sgip.Unbind{})
}

// Header is a bare header: Total_Length, Command_Id and sequence, with
// body appended (the length field is written as given, not computed).
func (w Wire) Header(total uint32, cmd uint32, seq uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, total)
	b = binary.BigEndian.AppendUint32(b, cmd)
	if w.P == config.SGIP {
		b = sgip.AppendSequence(b, w.sgipSeq(seq))
	} else {
		b = binary.BigEndian.AppendUint32(b, seq)
	}
	return append(b, body...)
}

// Parse reads one frame into a View.
func (w Wire) Parse(frame []byte) (codec.View, error) {
	var v codec.View
	var err error
	switch w.P.Family() {
	case "cmpp":
		err = cmpp.ParseView(frame, w.cmppV, &v)
	case "smgp":
		err = smgp.ParseView(frame, w.smgpV, &v)
	default:
		err = sgip.ParseView(frame, &v)
	}
	return v, err
}

// LoginStatus reads a login response's status (CMPP Status, SMGP Status,
// SGIP Result).
func (w Wire) LoginStatus(frame []byte) (uint32, error) {
	switch w.P.Family() {
	case "cmpp":
		_, p, err := cmpp.Decode(frame, w.cmppV)
		if err != nil {
			return 0, err
		}
		if r, ok := p.(*cmpp.ConnectResp); ok {
			return uint32(r.Status), nil
		}
	case "smgp":
		_, p, err := smgp.Decode(frame, w.smgpV)
		if err != nil {
			return 0, err
		}
		if r, ok := p.(*smgp.LoginResp); ok {
			return uint32(r.Status), nil
		}
	default:
		_, p, err := sgip.Decode(frame)
		if err != nil {
			return 0, err
		}
		if r, ok := p.(*sgip.Resp); ok && r.ID == sgip.CmdBindResp {
			return uint32(r.Result), nil
		}
	}
	return 0, fmt.Errorf("%s: not a login response: % x", w.P, frame[:min(len(frame), 16)])
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
