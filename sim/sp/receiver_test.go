package sp_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/sim/sp"
)

// smgSide is the test playing the gateway that dials the SP's listener.
type smgSide struct {
	t   *testing.T
	c   net.Conn
	gen *sgip.SequenceGenerator
	buf []byte
}

func dialReceiver(t *testing.T, r *sp.Receiver) *smgSide {
	t.Helper()
	c, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &smgSide{t: t, c: c, gen: sgip.NewSequenceGenerator(1075501, nil)}
}

// send writes p and returns the sequence it used.
func (s *smgSide) send(p sgip.PDU) sgip.Sequence {
	seq := s.gen.Next()
	if _, err := s.c.Write(sgip.Append(nil, seq, p)); err != nil {
		s.t.Fatal(err)
	}
	return seq
}

// read returns the next frame decoded; io.EOF when the receiver closed.
func (s *smgSide) read() (sgip.Header, sgip.PDU, error) {
	fr := sgip.NewFramer(0)
	for {
		n, err := fr.Split(s.buf)
		if err != nil {
			return sgip.Header{}, nil, err
		}
		if n > 0 {
			frame := bytes.Clone(s.buf[:n])
			s.buf = s.buf[n:]
			return sgip.Decode(frame)
		}
		tmp := make([]byte, 4096)
		m, err := s.c.Read(tmp)
		if err != nil {
			return sgip.Header{}, nil, err
		}
		s.buf = append(s.buf, tmp[:m]...)
	}
}

// expectResp reads a Resp and checks its command, sequence and result.
func (s *smgSide) expectResp(cmd sgip.CommandID, seq sgip.Sequence, result sgip.Result) {
	s.t.Helper()
	h, p, err := s.read()
	if err != nil {
		s.t.Fatalf("reading %s: %v", cmd, err)
	}
	if h.Command != cmd || h.Sequence != seq {
		s.t.Fatalf("got %s %s, want %s %s", h.Command, h.Sequence, cmd, seq)
	}
	if r, ok := p.(*sgip.Resp); ok && r.Result != result {
		s.t.Fatalf("%s result %d, want %d", cmd, r.Result, result)
	}
}

func listen(t *testing.T, cfg sp.ReceiverConfig) *sp.Receiver {
	t.Helper()
	r, err := sp.ListenReceiverConfig("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestReceiver(t *testing.T) {
	t.Run("type 2 bind, report, MO and UserRpt acknowledged and surfaced", func(t *testing.T) {
		r := listen(t, sp.ReceiverConfig{Login: "sp", Secret: "pw"})
		g := dialReceiver(t, r)
		seq := g.send(&sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: "sp", LoginPassword: "pw"})
		g.expectResp(sgip.CmdBindResp, seq, sgip.OK)

		submitSeq := sgip.Sequence{Node: 3075512345, Time: 1120203225, Counter: 7}
		seq = g.send(&sgip.Report{SubmitSequenceNumber: submitSeq, UserNumber: "8613800138000", State: sgip.StateDelivered})
		g.expectResp(sgip.CmdReportResp, seq, sgip.OK)
		seq = g.send(&sgip.Deliver{UserNumber: "8613800138000", SPNumber: "10655123001", MessageContent: []byte("DZ HELP"),
			Reserve: []byte("LNK00001")})
		g.expectResp(sgip.CmdDeliverResp, seq, sgip.OK)
		seq = g.send(&sgip.UserRpt{SPNumber: "10655123", UserNumber: "8613800138000", UserCondition: sgip.UserSuspended})
		g.expectResp(sgip.CmdUserRptResp, seq, sgip.OK)
		seq = g.send(&sgip.Unbind{})
		g.expectResp(sgip.CmdUnbindResp, seq, sgip.OK)
		if _, _, err := g.read(); err != io.EOF {
			t.Errorf("after Unbind_Resp: %v, want EOF", err)
		}

		d := <-r.Deliveries()
		if !d.IsReport || !bytes.Equal(d.ReportMsgID, sgip.AppendSequence(nil, submitSeq)) || d.User != "8613800138000" ||
			d.Stat != "DELIVRD" || d.State != sgip.StateDelivered || !d.Acked {
			t.Errorf("report %+v", d)
		}
		d = <-r.Deliveries()
		if d.IsReport || d.Text != "DZ HELP" || d.LinkID != "LNK00001" || d.SPNumber != "10655123001" {
			t.Errorf("MO %+v", d)
		}
		d = <-r.Deliveries()
		if !d.IsUserRpt || d.UserCondition != sgip.UserSuspended {
			t.Errorf("UserRpt %+v", d)
		}
		if r.Binds() != 1 || len(r.ProtocolErrors()) != 0 {
			t.Errorf("binds %d, errors %v", r.Binds(), r.ProtocolErrors())
		}
	})
	t.Run("configured result", func(t *testing.T) {
		r := listen(t, sp.ReceiverConfig{Login: "sp", Secret: "pw", Result: 8})
		g := dialReceiver(t, r)
		seq := g.send(&sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: "sp", LoginPassword: "pw"})
		g.expectResp(sgip.CmdBindResp, seq, sgip.OK)
		seq = g.send(&sgip.Report{UserNumber: "8613800138000", State: sgip.StateFailed, ErrorCode: 29})
		g.expectResp(sgip.CmdReportResp, seq, 8)
		if d := <-r.Deliveries(); d.Stat != "UNDELIV" || d.ErrorCode != 29 || d.AckResult != 8 {
			t.Errorf("report %+v", d)
		}
	})
	for _, tc := range []struct {
		name string
		bind sgip.Bind
		want sgip.Result
	}{
		{"wrong password is refused with 1", sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: "sp", LoginPassword: "x"}, sgip.IllegalLogin},
		{"wrong name is refused with 1", sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: "other", LoginPassword: "pw"}, sgip.IllegalLogin},
		{"type 1 is refused with 4", sgip.Bind{LoginType: sgip.LoginSPToSMG, LoginName: "sp", LoginPassword: "pw"}, sgip.WrongLoginType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := listen(t, sp.ReceiverConfig{Login: "sp", Secret: "pw"})
			g := dialReceiver(t, r)
			seq := g.send(&tc.bind)
			g.expectResp(sgip.CmdBindResp, seq, tc.want)
			if _, _, err := g.read(); err != io.EOF {
				t.Errorf("after a refused bind: %v, want EOF", err)
			}
			if r.Binds() != 0 {
				t.Errorf("binds %d", r.Binds())
			}
		})
	}
	t.Run("two gateway connections at once, then Close", func(t *testing.T) {
		r := listen(t, sp.ReceiverConfig{Login: "sp", Secret: "pw"})
		var gs []*smgSide
		for range 2 {
			g := dialReceiver(t, r)
			seq := g.send(&sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: "sp", LoginPassword: "pw"})
			g.expectResp(sgip.CmdBindResp, seq, sgip.OK)
			gs = append(gs, g)
		}
		for i, g := range gs {
			seq := g.send(&sgip.Deliver{UserNumber: "8613800138000", SPNumber: "10655123", MessageContent: []byte{'a' + byte(i)}})
			g.expectResp(sgip.CmdDeliverResp, seq, sgip.OK)
		}
		got := map[string]bool{}
		for range 2 {
			got[(<-r.Deliveries()).Text] = true
		}
		if !got["a"] || !got["b"] {
			t.Errorf("deliveries %v", got)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, ok := <-r.Deliveries(); ok {
			t.Error("Deliveries open after Close")
		}
		if _, _, err := gs[0].read(); err == nil {
			t.Error("connection open after Close")
		}
	})
}
