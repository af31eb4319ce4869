package sp_test

// The Client and Load against the server side of github.com/bigwhite/gocmpp
// (e611134), an independent CMPP 2.x/3.0 implementation: login accepted and
// refused, Submit answered, Active_Test, an MO and a status report pushed by
// gocmpp and acknowledged by the simulator, Terminate.
//
// gocmpp's caveat (docs/protocols/README.md §4): its report body is always the
// 60-byte form, even in 3.0; the simulator decodes both forms.

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	gocmpp "github.com/bigwhite/gocmpp"
	cmpputils "github.com/bigwhite/gocmpp/utils"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/sp"
)

// gocmppPeer is a gocmpp server with handlers for login, Submit and the
// Deliver_Resp the simulator sends back.
type gocmppPeer struct {
	typ  gocmpp.Type
	addr string

	mu       sync.Mutex
	submits  int
	acks     []uint64 // Msg_Id of each Deliver_Resp
	ackCh    chan uint64
	pushOnce sync.Once
}

func startGocmpp(t *testing.T, typ gocmpp.Type, push bool) *gocmppPeer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gocmppPeer{typ: typ, addr: l.Addr().String(), ackCh: make(chan uint64, 16)}
	handler := gocmpp.HandlerFunc(func(r *gocmpp.Response, p *gocmpp.Packet, _ *log.Logger) (bool, error) {
		return g.serve(r, p, push)
	})
	srv := &gocmpp.Server{Handler: handler, Typ: typ, T: time.Hour, N: 3, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(l)
	t.Cleanup(func() { l.Close() })
	return g
}

func (g *gocmppPeer) serve(r *gocmpp.Response, p *gocmpp.Packet, push bool) (bool, error) {
	switch req := p.Packer.(type) {
	case *gocmpp.CmppConnReqPkt:
		// The login check of gocmpp's own example server
		// (examples/cmpp3-server): the NUL-padded Source_Addr in the MD5.
		authSrc := md5.Sum(bytes.Join([][]byte{[]byte(cmpputils.OctetString(testLogin, 6)), make([]byte, 9),
			[]byte(testSecret), []byte(cmpputils.TimeStamp2Str(req.Timestamp))}, nil))
		status := uint8(0)
		switch {
		case req.SrcAddr != cmpputils.OctetString(testLogin, 6):
			status = gocmpp.ErrnoConnInvalidSrcAddr
		case req.AuthSrc != string(authSrc[:]):
			status = gocmpp.ErrnoConnAuthFailed
		}
		switch resp := r.Packer.(type) {
		case *gocmpp.Cmpp3ConnRspPkt:
			resp.Status, resp.Version, resp.AuthSrc, resp.Secret = uint32(status), gocmpp.V30, req.AuthSrc, testSecret
		case *gocmpp.Cmpp2ConnRspPkt:
			resp.Status, resp.Version, resp.AuthSrc, resp.Secret = status, g.typ, req.AuthSrc, testSecret
		}
		if status != 0 {
			return false, gocmpp.ConnRspStatusErrMap[status]
		}
	case *gocmpp.Cmpp3SubmitReqPkt:
		resp := r.Packer.(*gocmpp.Cmpp3SubmitRspPkt)
		resp.MsgId = 0xb2b9da8000010000 + uint64(g.count())
		if req.DestTerminalId[0] == refusedUser {
			resp.Result = refusedResult
		}
		if push {
			g.push(p, req.DestTerminalId[0], req.SrcId, resp.MsgId)
		}
	case *gocmpp.Cmpp2SubmitReqPkt:
		resp := r.Packer.(*gocmpp.Cmpp2SubmitRspPkt)
		resp.MsgId = 0xb2b9da8000010000 + uint64(g.count())
		if req.DestTerminalId[0] == refusedUser {
			resp.Result = refusedResult
		}
	case *gocmpp.Cmpp3DeliverRspPkt:
		g.ack(req.MsgId)
	case *gocmpp.Cmpp2DeliverRspPkt:
		g.ack(req.MsgId)
	}
	return true, nil
}

func (g *gocmppPeer) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.submits++
	return g.submits
}

func (g *gocmppPeer) ack(id uint64) {
	g.mu.Lock()
	g.acks = append(g.acks, id)
	g.mu.Unlock()
	g.ackCh <- id
}

// push sends, once, an MO and a status report on the Submit just answered
// (the report follows the Submit_Resp: gocmpp answers after the handler).
func (g *gocmppPeer) push(p *gocmpp.Packet, user, spNumber string, msgID uint64) {
	g.pushOnce.Do(func() {
		go func() {
			mo := &gocmpp.Cmpp3DeliverReqPkt{MsgId: 0xb4c5530000010000, DestId: spNumber + "01", ServiceId: "HELP",
				SrcTerminalId: user, MsgContent: "DZ HELP", MsgLength: 7, LinkId: "LNK00001"}
			p.Conn.SendPkt(mo, <-p.Conn.SeqId)
			rep := &gocmpp.CmppReceiptPkt{MsgId: msgID, Stat: "DELIVRD", SubmitTime: "2601011200",
				DoneTime: "2601011201", DestTerminalId: user, SmscSequence: 7}
			body, _ := rep.Pack()
			d := &gocmpp.Cmpp3DeliverReqPkt{MsgId: 0xb4c5530000010001, DestId: spNumber, SrcTerminalId: user,
				RegisterDelivery: 1, MsgContent: string(body), MsgLength: uint8(len(body))}
			p.Conn.SendPkt(d, <-p.Conn.SeqId)
		}()
	})
}

func TestGocmppServer(t *testing.T) {
	t.Run("cmpp3 login, submit, active test, MO and report, terminate", func(t *testing.T) {
		g := startGocmpp(t, gocmpp.V30, true)
		c, err := sp.Dial(testCtx(t), sp.ClientConfig{Protocol: codec.CMPP30, Addr: g.addr, Login: testLogin, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res, err := c.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, ServiceCode: "HELP",
			Text: "你好", LinkID: "LNK00001", NeedReport: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Result != 0 || binary.BigEndian.Uint64(res.MsgID) != 0xb2b9da8000010001 {
			t.Errorf("result %d MsgID %x", res.Result, res.MsgID)
		}
		if err := c.ActiveTest(testCtx(t)); err != nil {
			t.Errorf("ActiveTest: %v", err)
		}
		mo := <-c.Deliveries()
		if mo.IsReport || mo.Text != "DZ HELP" || mo.LinkID != "LNK00001" || mo.SPNumber != "1065512301" {
			t.Errorf("MO %+v", mo)
		}
		rep := <-c.Deliveries()
		if !rep.IsReport || rep.Stat != "DELIVRD" || !bytes.Equal(rep.ReportMsgID, res.MsgID) || rep.User != "13800138000" {
			t.Errorf("report %+v, want ReportMsgID %x", rep, res.MsgID)
		}
		for _, want := range []uint64{0xb4c5530000010000, 0xb4c5530000010001} {
			select {
			case got := <-g.ackCh:
				if got != want {
					t.Errorf("gocmpp got Deliver_Resp for %x, want %x", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("gocmpp got no Deliver_Resp")
			}
		}
		res, err = c.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{refusedUser}, Text: "x"})
		if err != nil || res.Result != refusedResult {
			t.Errorf("refused submit: %v, result %d", err, res.Result)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close (Terminate): %v", err)
		}
		if errs := c.ProtocolErrors(); len(errs) > 0 {
			t.Errorf("protocol errors: %v", errs)
		}
	})
	t.Run("cmpp2.1 login and submit", func(t *testing.T) {
		g := startGocmpp(t, gocmpp.V21, false)
		c, err := sp.Dial(testCtx(t), sp.ClientConfig{Protocol: codec.CMPP21, Addr: g.addr, Login: testLogin, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res, err := c.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{refusedUser}, Text: "x", LinkID: "L2"})
		if err != nil || res.Result != refusedResult {
			t.Errorf("submit: %v, result %d", err, res.Result)
		}
	})
	t.Run("refused login surfaces gocmpp's status", func(t *testing.T) {
		g := startGocmpp(t, gocmpp.V30, false)
		_, err := sp.Dial(testCtx(t), sp.ClientConfig{Protocol: codec.CMPP30, Addr: g.addr, Login: testLogin, Secret: "bad"})
		var le *sp.LoginError
		if !errors.As(err, &le) || le.Status != uint32(gocmpp.ErrnoConnAuthFailed) {
			t.Errorf("err = %v, want LoginError 3", err)
		}
		_, err = sp.Dial(testCtx(t), sp.ClientConfig{Protocol: codec.CMPP30, Addr: g.addr, Login: "900002", Secret: testSecret})
		if !errors.As(err, &le) || le.Status != uint32(gocmpp.ErrnoConnInvalidSrcAddr) {
			t.Errorf("err = %v, want LoginError 2", err)
		}
	})
	t.Run("load against gocmpp", func(t *testing.T) {
		g := startGocmpp(t, gocmpp.V30, false)
		rep, err := sp.Run(testCtx(t), sp.LoadConfig{Protocol: codec.CMPP30, Addr: g.addr, Login: testLogin, Secret: testSecret,
			Conns: 2, Window: 16, Total: 400, Mix: []sp.MTTemplate{
				{MT: sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, Text: "a"}},
				{MT: sp.MT{SPNumber: "10655123", Users: []string{refusedUser}, Text: "b"}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Count(0) != 200 || rep.Count(refusedResult) != 200 || rep.Errors != 0 {
			t.Errorf("report:\n%s", rep)
		}
	})
}
