package smg

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// smppLinkIDTag is the vendor TLV the SMPP tests carry LinkIDs in: the
// simulated SMSC reads it through its Dialect (startServer), the test
// client writes it by hand.
const smppLinkIDTag smpp.Tag = 0x1401

// Test accounts: a 6-digit CMPP SP_Id, an 8-character SMGP ClientID and an
// SGIP login name all work as map keys.
const (
	testLogin  = "900001"
	testSecret = "888888"
	waitLong   = 5 * time.Second // bound of every wait; tests end far sooner
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// startServer starts a Server for proto on a random loopback port and
// closes it when the test ends.
func startServer(t testing.TB, proto codec.Protocol, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{
		Protocol:      proto,
		Addr:          "127.0.0.1:0",
		Accounts:      map[string]string{testLogin: testSecret},
		ResendTimeout: 50 * time.Millisecond,
		SubmitLog:     64,
		Logger:        quietLog,
	}
	if proto == codec.SMPP34 {
		cfg.Dialect = smpp.NewDialect(smpp.Options{LinkIDTag: smppLinkIDTag})
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// tclient is a minimal SP: it writes frames and reads whole frames.
type tclient struct {
	t      testing.TB
	proto  codec.Protocol
	nc     net.Conn
	framer codec.Framer
	buf    []byte
	seq    uint32
	sgen   *sgip.SequenceGenerator
}

func dialClient(t testing.TB, proto codec.Protocol, addr string) *tclient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, waitLong)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return newTClient(t, proto, nc)
}

func newTClient(t testing.TB, proto codec.Protocol, nc net.Conn) *tclient {
	c := &tclient{t: t, proto: proto, nc: nc, sgen: sgip.NewSequenceGenerator(3075512345, nil)}
	switch proto.Family().String() {
	case "cmpp":
		c.framer = cmpp.NewFramer(0)
	case "smgp":
		c.framer = smgp.NewFramer(0)
	case "smpp":
		c.framer = smpp.NewFramer(0)
	default:
		c.framer = sgip.NewFramer(0)
	}
	return c
}

func (c *tclient) cver() cmpp.Version { return cmpp.Version(dialect.For(c.proto).Version()) }
func (c *tclient) gver() smgp.Version { return smgp.Version(dialect.For(c.proto).Version()) }

func (c *tclient) nextSeq() uint32 { c.seq++; return c.seq }

func (c *tclient) send(frame []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(frame); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next whole frame, or an error (io.EOF when the SMG
// closed, a timeout).
func (c *tclient) read(timeout time.Duration) ([]byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	tmp := make([]byte, 64<<10)
	for {
		n, err := c.framer.Split(c.buf)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			f := append([]byte(nil), c.buf[:n]...)
			c.buf = c.buf[n:]
			return f, nil
		}
		m, err := c.nc.Read(tmp)
		c.buf = append(c.buf, tmp[:m]...)
		if err != nil && m == 0 {
			return nil, err
		}
	}
}

// next reads a frame and parses its view; it fails the test on error.
func (c *tclient) next() ([]byte, codec.View) {
	c.t.Helper()
	f, err := c.read(waitLong)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f, c.view(f)
}

func (c *tclient) view(f []byte) codec.View {
	c.t.Helper()
	var v codec.View
	var err error
	switch c.proto.Family().String() {
	case "cmpp":
		err = cmpp.ParseView(f, c.cver(), &v)
	case "smgp":
		err = smgp.ParseView(f, c.gver(), &v)
	case "smpp":
		err = smpp.Options{LinkIDTag: smppLinkIDTag}.ParseView(f, &v)
	default:
		err = sgip.ParseView(f, &v)
	}
	if err != nil {
		c.t.Fatalf("parse %x: %v", f, err)
	}
	return v
}

// expectKind reads the next frame and checks its kind.
func (c *tclient) expectKind(k codec.Kind) ([]byte, codec.View) {
	c.t.Helper()
	f, v := c.next()
	if v.Kind != k {
		c.t.Fatalf("got %v (%x), want %v", v.Kind, f, k)
	}
	return f, v
}

// expectClosed checks that the SMG closes the connection.
func (c *tclient) expectClosed() {
	c.t.Helper()
	f, err := c.read(waitLong)
	if err == nil {
		c.t.Fatalf("got frame %x, want the connection closed", f)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatal("connection still open")
	}
}

// login logs in with the protocol's login (SMGP in LoginMode mode) and
// returns the status of the answer.
func (c *tclient) login(login, secret string, mode uint8) uint32 {
	c.t.Helper()
	ts := codec.Timestamp(time.Now())
	switch c.proto.Family().String() {
	case "cmpp":
		c.send(cmpp.Append(nil, c.cver(), c.nextSeq(), cmpp.NewConnect(login, secret, c.cver(), ts)))
	case "smgp":
		l := &smgp.Login{ClientID: login, AuthenticatorClient: smgp.AuthenticatorClient(login, secret, ts),
			LoginMode: mode, TimeStamp: ts, ClientVersion: c.gver()}
		c.send(smgp.Append(nil, c.gver(), c.nextSeq(), l))
	case "smpp":
		c.send(smpp.Append(nil, c.nextSeq(), smpp.StatusOK, &smpp.Bind{ID: smpp.CmdBindTransceiver, SystemID: login,
			Password: secret, InterfaceVersion: smpp.InterfaceVersion34}))
	default:
		c.send(sgip.Append(nil, c.sgen.Next(), &sgip.Bind{LoginType: sgip.LoginSPToSMG, LoginName: login, LoginPassword: secret}))
	}
	_, v := c.expectKind(codec.KindLoginResp)
	return v.Result
}

func (c *tclient) mustLogin(mode uint8) {
	c.t.Helper()
	if st := c.login(testLogin, testSecret, mode); st != 0 {
		c.t.Fatalf("login status %d", st)
	}
}

// submitSpec describes a test Submit.
type submitSpec struct {
	dests   []string
	report  bool
	onError bool // SGIP: ReportFlag 0 (report on error only) instead of 1
	linkID  string
	service string
	text    string
}

// submit sends a Submit and returns its frame.
func (c *tclient) submit(sp submitSpec) []byte {
	c.t.Helper()
	f := c.buildSubmit(sp)
	c.send(f)
	return f
}

// buildSubmit makes a Submit frame with the next sequence.
func (c *tclient) buildSubmit(sp submitSpec) []byte {
	if sp.service == "" {
		sp.service = "HELP"
	}
	if sp.text == "" {
		sp.text = "hello"
	}
	var rd uint8
	if sp.report {
		rd = 1
	}
	var f []byte
	switch c.proto.Family().String() {
	case "cmpp":
		f = cmpp.Append(nil, c.cver(), c.nextSeq(), &cmpp.Submit{PkTotal: 1, PkNumber: 1, RegisteredDelivery: rd,
			ServiceID: sp.service, MsgSrc: testLogin, FeeType: "01", SrcID: "10655123", DestTerminalID: sp.dests,
			MsgContent: []byte(sp.text), LinkID: sp.linkID})
	case "smgp":
		p := &smgp.Submit{MsgType: smgp.MsgTypeMT, NeedReport: rd, ServiceID: sp.service, FeeType: "00",
			SrcTermID: "10655123", DestTermID: sp.dests, MsgContent: []byte(sp.text)}
		if sp.linkID != "" {
			p.SetTLV(smgp.TagLinkID, codec.AppendText(nil, sp.linkID, smgp.LinkIDLen))
		}
		f = smgp.Append(nil, c.gver(), c.nextSeq(), p)
	case "smpp":
		// One recipient a submit_sm: the first.
		p := &smpp.Submit{ServiceType: sp.service, SourceAddr: "10655123", DestinationAddr: sp.dests[0],
			RegisteredDelivery: smpp.RegisteredDelivery(rd), DataCoding: 1, ShortMessage: []byte(sp.text)}
		if sp.report && sp.onError {
			p.RegisteredDelivery = smpp.ReceiptOnFailure
		}
		if sp.linkID != "" {
			p.TLVs = smpp.TLVs{{Tag: smppLinkIDTag, Value: codec.Octets(sp.linkID)}}
		}
		f = smpp.Append(nil, c.nextSeq(), smpp.StatusOK, p)
	default:
		flag := uint8(sgip.ReportFlagNone)
		if sp.report {
			flag = sgip.ReportFlagAlways
			if sp.onError {
				flag = sgip.ReportFlagOnError
			}
		}
		f = sgip.Append(nil, c.sgen.Next(), &sgip.Submit{SPNumber: "10655123", UserNumber: sp.dests, CorpID: "12345",
			ServiceType: sp.service, FeeType: sgip.FeeTypeFree, ReportFlag: flag, MessageContent: []byte(sp.text),
			Reserve: codec.AppendText(nil, sp.linkID, sgip.LinkIDLen)})
	}
	return f
}

// ackDeliver answers a CMPP/SMGP Deliver (status 0).
func (c *tclient) ackDeliver(f []byte, v codec.View) {
	c.t.Helper()
	switch c.proto.Family().String() {
	case "cmpp":
		c.send(cmpp.AppendDeliverResp(nil, c.cver(), cmpp.SequenceOf(f), msgID64(v.MsgID), 0))
	case "smgp":
		c.send(smgp.AppendDeliverResp(nil, smgp.SequenceOf(f), v.MsgID, 0))
	case "smpp":
		c.send(smpp.AppendDeliverResp(nil, smpp.SequenceOf(f), 0))
	default:
		c.send(sgip.AppendResp(nil, sgip.CommandOf(f), sgip.SequenceOf(f), 0))
	}
}

func msgID64(b []byte) uint64 {
	var id uint64
	for _, x := range b {
		id = id<<8 | uint64(x)
	}
	return id
}

// sgipReceiver is the SP side of SGIP's type-2 connection: a listener that
// accepts the SMG's Bind (Login Type 2) and hands every later frame to
// frames. With ack set it answers Deliver and Report with result 0.
type sgipReceiver struct {
	t      testing.TB
	ln     net.Listener
	frames chan []byte
	ack    atomic.Bool // answer Deliver and Report with result 0
	binds  chan sgip.Bind

	mu    sync.Mutex
	conns []net.Conn
}

func startReceiver(t testing.TB, ack bool) *sgipReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &sgipReceiver{t: t, ln: ln, frames: make(chan []byte, 1024), binds: make(chan sgip.Bind, 16)}
	r.ack.Store(ack)
	t.Cleanup(r.close)
	go r.accept()
	return r
}

func (r *sgipReceiver) addr() string { return r.ln.Addr().String() }

func (r *sgipReceiver) close() {
	_ = r.ln.Close()
	r.dropConns()
}

func (r *sgipReceiver) dropConns() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.conns = nil
}

func (r *sgipReceiver) accept() {
	for {
		nc, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.conns = append(r.conns, nc)
		r.mu.Unlock()
		go r.serve(nc)
	}
}

func (r *sgipReceiver) serve(nc net.Conn) {
	c := newTClient(r.t, codec.SGIP, nc)
	f, err := c.read(waitLong)
	if err != nil {
		return
	}
	_, p, err := sgip.Decode(f)
	if err != nil {
		return
	}
	if b, ok := p.(*sgip.Bind); ok {
		r.binds <- *b
	}
	if _, err := nc.Write(sgip.AppendResp(nil, sgip.CmdBind, sgip.SequenceOf(f), 0)); err != nil {
		return
	}
	for {
		f, err := c.read(time.Hour)
		if err != nil {
			return
		}
		cmd := sgip.CommandOf(f)
		if r.ack.Load() && (cmd == sgip.CmdReport || cmd == sgip.CmdDeliver) {
			_, _ = nc.Write(sgip.AppendResp(nil, cmd, sgip.SequenceOf(f), 0))
		}
		if cmd == sgip.CmdUnbind {
			_, _ = nc.Write(sgip.AppendResp(nil, cmd, sgip.SequenceOf(f), 0))
		}
		r.frames <- f
	}
}

// next returns the next frame the SMG sent on a type-2 connection.
func (r *sgipReceiver) next() ([]byte, codec.View) {
	r.t.Helper()
	select {
	case f := <-r.frames:
		var v codec.View
		if err := sgip.ParseView(f, &v); err != nil {
			r.t.Fatalf("parse %x: %v", f, err)
		}
		return f, v
	case <-time.After(waitLong):
		r.t.Fatal("no frame on the SGIP receiver")
	}
	return nil, codec.View{}
}

// waitStats fails the test when cond does not hold in time.
func waitStats(t testing.TB, s *Server, what string, cond func(Stats) bool) Stats {
	t.Helper()
	st, err := s.WaitFor(cond, waitLong)
	if err != nil {
		t.Fatalf("%s: %v; stats %+v", what, err, st)
	}
	return st
}
