package sp_test

// A trivial SMG on gnet that answers every Submit with its response
// (ParseView + the codec's response helper, one Write per OnTraffic): the
// fastest peer there is, so that a load run against it measures the load
// generator's own ceiling. It accepts any login.

import (
	"encoding/binary"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/sim/sp"
)

type echoServer struct {
	gnet.BuiltinEventEngine
	proto  codec.Protocol
	framer codec.Framer
	ready  chan gnet.Engine
}

type echoConn struct {
	v   codec.View
	out []byte
}

// quietLogger keeps gnet's start-up lines out of test output.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(string, ...any) {}

var (
	echoMu      sync.Mutex
	echoServers = map[codec.Protocol]string{}
)

// echoAddr returns the address of the echo server for p, starting it on
// first use. Servers live until the test binary exits (gnet's Stop polls
// every 500 ms; benchmarks call this once per b.N).
func echoAddr(tb testing.TB, p codec.Protocol) string {
	tb.Helper()
	echoMu.Lock()
	defer echoMu.Unlock()
	if a, ok := echoServers[p]; ok {
		return a
	}
	e := &echoServer{proto: p, ready: make(chan gnet.Engine, 1)}
	switch p.Family().String() {
	case "cmpp":
		e.framer = cmpp.NewFramer(0)
	case "smgp":
		e.framer = smgp.NewFramer(0)
	case "smpp":
		e.framer = smpp.NewFramer(0)
	default:
		e.framer = sgip.NewFramer(0)
	}
	errc := make(chan error, 1)
	go func() {
		errc <- gnet.Run(e, "tcp://127.0.0.1:0", gnet.WithMulticore(false), gnet.WithLogger(quietLogger{}))
	}()
	var eng gnet.Engine
	select {
	case eng = <-e.ready:
	case err := <-errc:
		tb.Fatalf("echo server: %v", err)
	}
	fd, err := eng.Dup()
	if err != nil {
		tb.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "echo")
	l, err := net.FileListener(f)
	f.Close()
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	echoServers[p] = addr
	return addr
}

func (e *echoServer) OnBoot(eng gnet.Engine) gnet.Action {
	e.ready <- eng
	return gnet.None
}

func (e *echoServer) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&echoConn{out: make([]byte, 0, 64<<10)})
	return nil, gnet.None
}

func (e *echoServer) OnTraffic(c gnet.Conn) gnet.Action {
	ec := c.Context().(*echoConn)
	buf, _ := c.Peek(-1)
	out := ec.out[:0]
	off := 0
	action := gnet.None
	for {
		n, err := e.framer.Split(buf[off:])
		if err != nil {
			return gnet.Close
		}
		if n == 0 {
			break
		}
		frame := buf[off : off+n]
		off += n
		out = e.answer(out, frame, &ec.v)
		if ec.v.Kind == codec.KindLogout {
			action = gnet.Close
		}
	}
	if off > 0 {
		c.Discard(off)
	}
	if len(out) > 0 {
		c.Write(out)
	}
	ec.out = out
	return action
}

// answer appends the response to one frame.
func (e *echoServer) answer(out, frame []byte, v *codec.View) []byte {
	switch e.proto.Family().String() {
	case "cmpp":
		ver := cmpp.Version(dialect.For(e.proto).Version())
		if cmpp.ParseView(frame, ver, v) != nil {
			return out
		}
		seq := cmpp.SequenceOf(frame)
		switch v.Kind {
		case codec.KindSubmit:
			return cmpp.AppendSubmitResp(out, ver, seq, 0xb2b9da8000010000+uint64(seq), cmpp.ResultOK)
		case codec.KindLogin:
			_, p, _ := cmpp.Decode(frame, ver)
			return cmpp.Append(out, ver, seq, cmpp.NewConnectResp(p.(*cmpp.Connect), cmpp.ConnectOK, testSecret, ver))
		case codec.KindLogout:
			return cmpp.AppendTerminateResp(out, seq)
		case codec.KindActiveTest:
			return cmpp.AppendActiveTestResp(out, seq)
		}
	case "smgp":
		ver := smgp.Version(dialect.For(e.proto).Version())
		if smgp.ParseView(frame, ver, v) != nil {
			return out
		}
		seq := smgp.SequenceOf(frame)
		switch v.Kind {
		case codec.KindSubmit:
			var id [smgp.MsgIDLen]byte
			binary.BigEndian.PutUint32(id[6:], seq)
			return smgp.AppendSubmitResp(out, seq, id[:], smgp.StatusOK)
		case codec.KindLogin:
			return smgp.Append(out, ver, seq, &smgp.LoginResp{ServerVersion: ver})
		case codec.KindLogout:
			return smgp.AppendExitResp(out, seq)
		case codec.KindActiveTest:
			return smgp.AppendActiveTestResp(out, seq)
		}
	case "smpp":
		if smpp.ParseView(frame, v) != nil {
			return out
		}
		seq := smpp.SequenceOf(frame)
		switch v.Kind {
		case codec.KindSubmit:
			var id [8]byte
			return smpp.AppendSubmitResp(out, seq, smpp.StatusOK, strconv.AppendUint(id[:0], uint64(seq), 16))
		case codec.KindLogin:
			return smpp.AppendBindResp(out, smpp.CommandID(v.Command), seq, smpp.StatusOK, "echo")
		case codec.KindLogout:
			return smpp.AppendUnbindResp(out, seq)
		case codec.KindActiveTest:
			return smpp.AppendEnquireLinkResp(out, seq)
		}
	default:
		if sgip.ParseView(frame, v) != nil {
			return out
		}
		switch v.Kind {
		case codec.KindSubmit, codec.KindLogin, codec.KindLogout:
			return sgip.AppendResp(out, sgip.CommandID(v.Command), sgip.SequenceOf(frame), 0)
		}
	}
	return out
}

// echoMix is the benchmark's mix: half to a subscribed user, half to an
// unsubscribed one (the echo server answers both with 0).
func echoMix() []sp.MTTemplate {
	return []sp.MTTemplate{
		{Name: "allowed", MT: sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, ServiceCode: "HELP",
			Text: "hello, this is a load test message"}},
		{Name: "refused", MT: sp.MT{SPNumber: "10655123", Users: []string{refusedUser}, ServiceCode: "HELP",
			Text: "hello, this is a load test message"}},
	}
}
