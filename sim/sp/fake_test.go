package sp_test

// A minimal SMG for each protocol variant, written straight on the codec
// packages (not on the simulator's own code), so that the tests check the
// client against an independent peer. It logs SPs in, answers Submits with
// a result chosen per recipient, can hold its answers to check the client's
// window, pushes Delivers and records the acknowledgements.

import (
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/text"
)

const (
	testLogin  = "900001"
	testSecret = "888888"
	// refusedUser gets result refusedResult from the fake: a stand-in for a
	// user without a subscription.
	refusedUser   = "13900000000"
	refusedResult = 106
)

// fakeConfig says how the fake behaves.
type fakeConfig struct {
	// refuseStatus answers a login with bad credentials (0: the protocol's
	// authentication error: CMPP 3, SMGP 21, SGIP 1).
	refuseStatus uint32
	// result decides a Submit's result (default: refusedResult for
	// refusedUser, else 0).
	result func(s submitRec) uint32
	// hold > 0: answers are held until hold Submits are pending, or the
	// client goes quiet for holdIdle; more than hold pending is a window
	// violation. Held answers go out in reverse order, to check that the
	// client matches by sequence, not by order.
	hold     int
	holdIdle time.Duration
	// badSeq answers every Submit with its sequence + 1000; wrongCmd
	// answers with a Deliver_Resp instead of a Submit_Resp.
	badSeq, wrongCmd bool
	// reportEach pushes a DELIVRD report after answering each Submit that
	// asked for one.
	reportEach bool
	// closeAfter > 0 drops the connection when that many Submits arrived;
	// activeAfter > 0 sends one Active_Test after that many.
	closeAfter, activeAfter int
}

// submitRec is what the fake saw in a Submit.
type submitRec struct {
	conn       int
	seq        uint32
	sgipSeq    sgip.Sequence
	spNumber   string
	users      []string
	service    string
	linkID     string
	text       string
	needReport bool
	msgID      []byte // what the fake answered with (CMPP 8, SMGP 10, SGIP the 12-byte sequence)
}

// ackRec is an acknowledgement the fake received (Deliver_Resp, Report_Resp…).
type ackRec struct {
	cmd    uint32
	seq    uint32
	result uint32
	msgID  []byte
}

type fake struct {
	t     testing.TB
	proto codec.Protocol
	cfg   fakeConfig
	l     net.Listener

	mu      sync.Mutex
	conns   []*fakeConn
	submits []submitRec
	logins  int

	accepted   chan *fakeConn
	wg         sync.WaitGroup
	msgIDs     atomic.Uint64
	maxPending atomic.Int64
	violations atomic.Int64
	acksSeen   atomic.Int64
}

type fakeConn struct {
	f      *fake
	id     int
	c      net.Conn
	wmu    sync.Mutex
	seq    atomic.Uint32 // the fake's own request sequence
	sgip   *sgip.SequenceGenerator
	acks   chan ackRec
	active chan uint32 // Active_Test_Resp sequences
	logout chan struct{}
	done   chan struct{}

	submits int // serve goroutine only
}

func newFake(t testing.TB, proto codec.Protocol, cfg fakeConfig) *fake {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.holdIdle == 0 {
		cfg.holdIdle = 20 * time.Millisecond
	}
	f := &fake{t: t, proto: proto, cfg: cfg, l: l, accepted: make(chan *fakeConn, 64)}
	f.msgIDs.Store(0)
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *fake) addr() string { return f.l.Addr().String() }

func (f *fake) close() {
	f.l.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// conn waits for the next connection that logged in.
func (f *fake) conn(t testing.TB) *fakeConn {
	t.Helper()
	select {
	case c := <-f.accepted:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection logged in")
		return nil
	}
}

func (f *fake) recorded() []submitRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.submits)
}

func (f *fake) accept() {
	defer f.wg.Done()
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		fc := &fakeConn{f: f, id: len(f.conns), c: c, acks: make(chan ackRec, 1<<16), active: make(chan uint32, 16),
			logout: make(chan struct{}, 1), done: make(chan struct{}),
			sgip: sgip.NewSequenceGenerator(1075501, nil)}
		f.conns = append(f.conns, fc)
		f.mu.Unlock()
		f.wg.Add(1)
		go fc.serve()
	}
}

func (f *fake) family() string { return f.proto.Family().String() }

func (fc *fakeConn) write(b []byte) {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	fc.c.Write(b)
}

func (fc *fakeConn) framer() codec.Framer {
	switch fc.f.family() {
	case "cmpp":
		return cmpp.NewFramer(0)
	case "smgp":
		return smgp.NewFramer(0)
	}
	return sgip.NewFramer(0)
}

func (fc *fakeConn) view(frame []byte, v *codec.View) error {
	switch fc.f.family() {
	case "cmpp":
		return cmpp.ParseView(frame, cmpp.Version(dialect.For(fc.f.proto).Version()), v)
	case "smgp":
		return smgp.ParseView(frame, smgp.Version(dialect.For(fc.f.proto).Version()), v)
	}
	return sgip.ParseView(frame, v)
}

func (fc *fakeConn) serve() {
	f := fc.f
	defer f.wg.Done()
	defer close(fc.done)
	defer fc.c.Close()
	fr := fc.framer()
	buf := make([]byte, 0, 64<<10)
	var pending [][]byte // held answers
	var after [][]byte   // reports to push after the held answers
	flush := func() {
		var out []byte
		for i := len(pending) - 1; i >= 0; i-- {
			out = append(out, pending[i]...)
		}
		for _, r := range after {
			out = append(out, r...)
		}
		pending, after = pending[:0], after[:0]
		if len(out) > 0 {
			fc.write(out)
		}
	}
	loggedIn := false
	for {
		n, err := fr.Split(buf)
		if err != nil {
			f.t.Errorf("fake: %v", err)
			return
		}
		if n == 0 {
			if len(pending) > 0 {
				fc.c.SetReadDeadline(time.Now().Add(f.cfg.holdIdle))
			} else {
				fc.c.SetReadDeadline(time.Time{})
			}
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := fc.c.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+m]
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					flush()
					continue
				}
				return
			}
			continue
		}
		frame := slices.Clone(buf[:n])
		buf = buf[:copy(buf, buf[n:])]
		var v codec.View
		if err := fc.view(frame, &v); err != nil {
			f.t.Errorf("fake %s: bad frame %x: %v", f.proto, frame, err)
			return
		}
		if !loggedIn {
			if v.Kind != codec.KindLogin {
				f.t.Errorf("fake %s: first frame is %s", f.proto, v.Kind)
				return
			}
			ok := fc.login(frame)
			if !ok {
				return
			}
			loggedIn = true
			f.mu.Lock()
			f.logins++
			f.mu.Unlock()
			f.accepted <- fc
			continue
		}
		switch v.Kind {
		case codec.KindSubmit:
			resp, report := fc.submit(frame, &v)
			fc.submits++
			if fc.submits == f.cfg.closeAfter {
				return
			}
			if fc.submits == f.cfg.activeAfter {
				fc.write(resp)
				resp = nil
				fc.sendActiveTest()
			}
			if f.cfg.hold > 0 {
				pending = append(pending, resp)
				if report != nil {
					after = append(after, report)
				}
				if int64(len(pending)) > f.maxPending.Load() {
					f.maxPending.Store(int64(len(pending)))
				}
				if len(pending) > f.cfg.hold {
					f.violations.Add(1)
				}
				if len(pending) >= f.cfg.hold {
					flush()
				}
				continue
			}
			fc.write(append(resp, report...))
		case codec.KindActiveTest:
			fc.write(fc.activeTestResp(v.Sequence))
		case codec.KindActiveTestResp:
			fc.active <- seqCounter(v.Sequence)
		case codec.KindLogout:
			flush()
			fc.write(fc.logoutResp(v.Sequence))
			fc.logout <- struct{}{}
			return
		case codec.KindLogoutResp:
			return
		case codec.KindDeliverResp, codec.KindReportResp, codec.KindUserRptResp:
			f.acksSeen.Add(1)
			fc.acks <- ackRec{cmd: v.Command, seq: seqCounter(v.Sequence), result: v.Result, msgID: slices.Clone(v.MsgID)}
		default:
			f.t.Errorf("fake %s: unexpected %s", f.proto, v.Kind)
		}
	}
}

func seqCounter(b []byte) uint32 { return binary.BigEndian.Uint32(b[len(b)-4:]) }

// login checks the credentials and answers; false ends the connection.
func (fc *fakeConn) login(frame []byte) bool {
	f := fc.f
	switch f.family() {
	case "cmpp":
		v := cmpp.Version(dialect.For(f.proto).Version())
		h, p, err := cmpp.Decode(frame, v)
		if err != nil {
			f.t.Errorf("fake: %v", err)
			return false
		}
		c := p.(*cmpp.Connect)
		status := cmpp.ConnectOK
		switch {
		case c.SourceAddr != testLogin:
			status = cmpp.ConnectBadSourceAddr
		case !cmpp.VerifyAuthenticatorSource(c, testSecret):
			status = cmpp.ConnectAuthFailed
			if f.cfg.refuseStatus != 0 {
				status = cmpp.ConnectStatus(f.cfg.refuseStatus)
			}
		case c.Version != v:
			f.t.Errorf("fake: Connect version %v, want %v", c.Version, v)
		}
		fc.write(cmpp.Append(nil, v, h.SequenceID, cmpp.NewConnectResp(c, status, testSecret, v)))
		return status == cmpp.ConnectOK
	case "smgp":
		v := smgp.Version(dialect.For(f.proto).Version())
		h, p, err := smgp.Decode(frame, v)
		if err != nil {
			f.t.Errorf("fake: %v", err)
			return false
		}
		l := p.(*smgp.Login)
		status := smgp.StatusOK
		if l.ClientID != testLogin || !smgp.VerifyAuthenticatorClient(l, testSecret) {
			status = smgp.StatusAuthError
			if f.cfg.refuseStatus != 0 {
				status = smgp.Status(f.cfg.refuseStatus)
			}
		}
		if l.LoginMode != smgp.LoginModeTransmit {
			f.t.Errorf("fake: LoginMode %d, want 2", l.LoginMode)
		}
		r := &smgp.LoginResp{Status: status, ServerVersion: v}
		if status == smgp.StatusOK {
			r.AuthenticatorServer = smgp.AuthenticatorServer(0, l.AuthenticatorClient, testSecret)
		}
		fc.write(smgp.Append(nil, v, h.SequenceID, r))
		return status == smgp.StatusOK
	}
	h, p, err := sgip.Decode(frame)
	if err != nil {
		f.t.Errorf("fake: %v", err)
		return false
	}
	b := p.(*sgip.Bind)
	result := sgip.OK
	switch {
	case b.LoginType != sgip.LoginSPToSMG:
		result = sgip.WrongLoginType
	case !b.Verify(testLogin, testSecret):
		result = sgip.IllegalLogin
		if f.cfg.refuseStatus != 0 {
			result = sgip.Result(f.cfg.refuseStatus)
		}
	}
	fc.write(sgip.AppendResp(nil, sgip.CmdBind, h.Sequence, uint8(result)))
	return result == sgip.OK
}

// submit records a Submit and returns its answer, and the report to push
// after it when reportEach is set.
func (fc *fakeConn) submit(frame []byte, v *codec.View) (resp, report []byte) {
	f := fc.f
	rec := submitRec{conn: fc.id}
	switch f.family() {
	case "cmpp":
		_, p, err := cmpp.Decode(frame, cmpp.Version(dialect.For(f.proto).Version()))
		if err != nil {
			f.t.Errorf("fake: %v", err)
		}
		s := p.(*cmpp.Submit)
		rec.spNumber, rec.users, rec.service, rec.linkID = s.SrcID, s.DestTerminalID, s.ServiceID, s.LinkID
		rec.text, _ = text.Decode(s.MsgFmt, s.MsgContent)
		rec.needReport = s.RegisteredDelivery == 1
	case "smgp":
		_, p, err := smgp.Decode(frame, smgp.Version(dialect.For(f.proto).Version()))
		if err != nil {
			f.t.Errorf("fake: %v", err)
		}
		s := p.(*smgp.Submit)
		rec.spNumber, rec.users, rec.service, rec.linkID = s.SrcTermID, s.DestTermID, s.ServiceID, s.LinkID()
		rec.text, _ = text.Decode(s.MsgFormat, s.MsgContent)
		rec.needReport = s.NeedReport == 1
	default:
		_, p, err := sgip.Decode(frame)
		if err != nil {
			f.t.Errorf("fake: %v", err)
		}
		s := p.(*sgip.Submit)
		rec.spNumber, rec.users, rec.service, rec.linkID = s.SPNumber, s.UserNumber, s.ServiceType, s.LinkID()
		rec.text, _ = text.Decode(s.MessageCoding, s.MessageContent)
		rec.needReport = s.ReportFlag == sgip.ReportFlagAlways
		rec.sgipSeq = sgip.DecodeSequence(v.Sequence)
	}
	rec.seq = seqCounter(v.Sequence)
	result := uint32(0)
	if f.cfg.result != nil {
		result = f.cfg.result(rec)
	} else if slices.Contains(rec.users, refusedUser) {
		result = refusedResult
	}
	seq := rec.seq
	if f.cfg.badSeq {
		seq += 1000
	}
	n := f.msgIDs.Add(1)
	switch f.family() {
	case "cmpp":
		v := cmpp.Version(dialect.For(f.proto).Version())
		id := 0xb2b9da8000010000 + n
		rec.msgID = binary.BigEndian.AppendUint64(nil, id)
		if f.cfg.wrongCmd {
			resp = cmpp.AppendDeliverResp(nil, v, seq, id, cmpp.Result(result))
		} else {
			resp = cmpp.AppendSubmitResp(nil, v, seq, id, cmpp.Result(result))
		}
		if f.cfg.reportEach && rec.needReport {
			d := &cmpp.Deliver{MsgID: 0x1000 + n, DestID: rec.spNumber, SrcTerminalID: rec.users[0]}
			d.SetReport(cmpp.Report{MsgID: id, Stat: "DELIVRD", SubmitTime: "2601011200", DoneTime: "2601011201",
				DestTerminalID: rec.users[0]}, v)
			report = cmpp.Append(nil, v, fc.seq.Add(1), d)
		}
	case "smgp":
		id := smgp.MsgIDAdd(smgp.MsgID{0x01, 0x00, 0x61, 0x01, 0x16, 0x17, 0x00, 0x00, 0x00, 0x00}, int(n))
		rec.msgID = slices.Clone(id[:])
		if f.cfg.wrongCmd {
			resp = smgp.AppendDeliverResp(nil, seq, id[:], smgp.Status(result))
		} else {
			resp = smgp.AppendSubmitResp(nil, seq, id[:], smgp.Status(result))
		}
		if f.cfg.reportEach && rec.needReport {
			d := &smgp.Deliver{IsReport: 1, SrcTermID: rec.users[0], DestTermID: rec.spNumber,
				Report: &smgp.Report{ID: id, Sub: "001", Dlvrd: "001", Stat: smgp.StatDelivered, Err: "000"}}
			d.MsgID = smgp.MsgIDAdd(id, 500000)
			report = smgp.Append(nil, smgp.Version(dialect.For(f.proto).Version()), fc.seq.Add(1), d)
		}
	default:
		s := rec.sgipSeq
		rec.msgID = sgip.AppendSequence(nil, s)
		if f.cfg.badSeq {
			s.Counter += 1000
		}
		cmd := sgip.CmdSubmit
		if f.cfg.wrongCmd {
			cmd = sgip.CmdDeliver
		}
		resp = sgip.AppendResp(nil, cmd, s, uint8(result))
	}
	f.mu.Lock()
	f.submits = append(f.submits, rec)
	f.mu.Unlock()
	return resp, report
}

func (fc *fakeConn) activeTestResp(seq []byte) []byte {
	if fc.f.family() == "smgp" {
		return smgp.AppendActiveTestResp(nil, seqCounter(seq))
	}
	return cmpp.AppendActiveTestResp(nil, seqCounter(seq))
}

func (fc *fakeConn) logoutResp(seq []byte) []byte {
	switch fc.f.family() {
	case "cmpp":
		return cmpp.AppendTerminateResp(nil, seqCounter(seq))
	case "smgp":
		return smgp.AppendExitResp(nil, seqCounter(seq))
	}
	return sgip.AppendResp(nil, sgip.CmdUnbind, sgip.DecodeSequence(seq), 0)
}

// sendActiveTest sends an Active_Test and returns its sequence.
func (fc *fakeConn) sendActiveTest() uint32 {
	s := fc.seq.Add(1)
	if fc.f.family() == "smgp" {
		fc.write(smgp.AppendActiveTest(nil, s))
	} else {
		fc.write(cmpp.AppendActiveTest(nil, s))
	}
	return s
}

// sendLogout sends CMPP Terminate / SMGP Exit / SGIP Unbind.
func (fc *fakeConn) sendLogout() {
	s := fc.seq.Add(1)
	switch fc.f.family() {
	case "cmpp":
		fc.write(cmpp.Append(nil, cmpp.Version(dialect.For(fc.f.proto).Version()), s, &cmpp.Terminate{}))
	case "smgp":
		fc.write(smgp.AppendExit(nil, s))
	default:
		fc.write(sgip.Append(nil, fc.sgip.Next(), &sgip.Unbind{}))
	}
}

// moFrame builds an MO Deliver from user to spNumber with text and linkID,
// and returns it with its sequence and Deliver id.
func (fc *fakeConn) moFrame(user, spNumber, msg, linkID string) ([]byte, uint32, []byte) {
	s := fc.seq.Add(1)
	switch fc.f.family() {
	case "cmpp":
		v := cmpp.Version(dialect.For(fc.f.proto).Version())
		d := &cmpp.Deliver{MsgID: 0xb4c5530000010000 + uint64(s), DestID: spNumber, ServiceID: "HELP",
			SrcTerminalID: user, MsgContent: []byte(msg), LinkID: linkID}
		return cmpp.Append(nil, v, s, d), s, binary.BigEndian.AppendUint64(nil, d.MsgID)
	default: // smgp
		d := &smgp.Deliver{MsgFormat: 0, RecvTime: "20260101120000", SrcTermID: user, DestTermID: spNumber,
			MsgContent: []byte(msg)}
		d.MsgID = smgp.MsgIDAdd(smgp.MsgID{0x01, 0x00, 0x61, 0x01, 0x16, 0x17, 0x00, 0x90, 0x00, 0x00}, int(s))
		if linkID != "" {
			d.SetTLV(smgp.TagLinkID, codec.AppendText(nil, linkID, smgp.LinkIDLen))
		}
		return smgp.Append(nil, smgp.Version(dialect.For(fc.f.proto).Version()), s, d), s, slices.Clone(d.MsgID[:])
	}
}

// reportFrame builds a status report on msgID (a SubmitResult.MsgID) for user.
func (fc *fakeConn) reportFrame(msgID []byte, user, stat string) ([]byte, uint32) {
	s := fc.seq.Add(1)
	switch fc.f.family() {
	case "cmpp":
		v := cmpp.Version(dialect.For(fc.f.proto).Version())
		d := &cmpp.Deliver{MsgID: 0x2000 + uint64(s), DestID: "10655123", SrcTerminalID: user}
		d.SetReport(cmpp.Report{MsgID: binary.BigEndian.Uint64(msgID), Stat: stat, SubmitTime: "2601011200",
			DoneTime: "2601011201", DestTerminalID: user}, v)
		return cmpp.Append(nil, v, s, d), s
	default:
		d := &smgp.Deliver{IsReport: 1, SrcTermID: user, DestTermID: "10655123",
			Report: &smgp.Report{ID: smgp.MsgIDFrom(msgID), Sub: "001", Dlvrd: "001", Stat: stat, Err: "000"}}
		d.MsgID = smgp.MsgIDAdd(smgp.MsgIDFrom(msgID), 700000)
		return smgp.Append(nil, smgp.Version(dialect.For(fc.f.proto).Version()), s, d), s
	}
}

// ack waits for the next acknowledgement.
func (fc *fakeConn) ack(t testing.TB) ackRec {
	t.Helper()
	select {
	case a := <-fc.acks:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no acknowledgement")
		return ackRec{}
	}
}
