package smg

import (
	"bytes"
	"context"
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// testProtocols is the matrix every behaviour runs on.
var testProtocols = []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP30, codec.SMGP30, codec.SMPP34}

// authError is each family's answer to bad credentials.
func authError(p codec.Protocol) uint32 {
	switch p.Family().String() {
	case "cmpp":
		return uint32(cmpp.ConnectAuthFailed)
	case "smgp":
		return uint32(smgp.StatusAuthError)
	case "smpp":
		return uint32(smpp.StatusInvPaswd)
	}
	return uint32(sgip.IllegalLogin)
}

// withReceiver points an SGIP server at a fresh test receiver.
func withReceiver(t *testing.T, p codec.Protocol, ack bool) (*sgipReceiver, func(*Config)) {
	if p != codec.SGIP {
		return nil, nil
	}
	r := startReceiver(t, ack)
	return r, func(c *Config) {
		c.ReceiverAddr, c.ReceiverLogin, c.ReceiverPassword = r.addr(), "smg", "pw"
	}
}

func TestLogin(t *testing.T) {
	for _, p := range append(testProtocols, codec.CMPP21, codec.SMGP13) {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, nil)
			t.Run("good credentials log in", func(t *testing.T) {
				c := dialClient(t, p, s.Addr())
				c.mustLogin(smgp.LoginModeTransmit)
				waitStats(t, s, "logged in", func(st Stats) bool { return st.LoggedIn == 1 })
			})
			t.Run("bad password is refused and closed", func(t *testing.T) {
				c := dialClient(t, p, s.Addr())
				if st := c.login(testLogin, "wrong", smgp.LoginModeTransmit); st != authError(p) {
					t.Fatalf("status %d, want %d", st, authError(p))
				}
				c.expectClosed()
			})
			t.Run("unknown account is refused", func(t *testing.T) {
				c := dialClient(t, p, s.Addr())
				want := authError(p)
				switch p.Family().String() {
				case "cmpp":
					want = uint32(cmpp.ConnectBadSourceAddr)
				case "smpp":
					want = uint32(smpp.StatusInvSysID)
				}
				if st := c.login("999999", testSecret, smgp.LoginModeTransmit); st != want {
					t.Fatalf("status %d, want %d", st, want)
				}
				c.expectClosed()
			})
			t.Run("RefuseLogins refuses good credentials", func(t *testing.T) {
				s.SetRefuseLogins(true)
				defer s.SetRefuseLogins(false)
				c := dialClient(t, p, s.Addr())
				if st := c.login(testLogin, testSecret, smgp.LoginModeTransmit); st != authError(p) {
					t.Fatalf("status %d, want %d", st, authError(p))
				}
				c.expectClosed()
			})
			st := waitStats(t, s, "counts", func(st Stats) bool { return st.Closes["login refused"] == 3 })
			if st.LoginsOK != 1 || st.LoginsRefused != 3 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestLoginVersionMismatch(t *testing.T) {
	for _, tc := range []struct {
		name           string
		server, client codec.Protocol
		want           uint32
	}{
		{"CMPP 3.0 client on a 2.0 SMG gets version too high", codec.CMPP20, codec.CMPP30, uint32(cmpp.ConnectVersionTooHigh)},
		{"CMPP 2.0 client on a 3.0 SMG gets version too high", codec.CMPP30, codec.CMPP20, uint32(cmpp.ConnectVersionTooHigh)},
		{"SMGP 1.3 client on a 3.0 SMGW gets version too high", codec.SMGP30, codec.SMGP13, uint32(smgp.StatusVersionTooHigh)},
		{"CMPP 2.1 client on a 2.0 SMG logs in", codec.CMPP20, codec.CMPP21, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.server, nil)
			c := dialClient(t, tc.client, s.Addr())
			if st := c.login(testLogin, testSecret, smgp.LoginModeTransmit); st != tc.want {
				t.Fatalf("status %d, want %d", st, tc.want)
			}
			if tc.want != 0 {
				c.expectClosed()
			}
		})
	}
	t.Run("SGIP Bind of another login type gets result 4", func(t *testing.T) {
		s := startServer(t, codec.SGIP, nil)
		c := dialClient(t, codec.SGIP, s.Addr())
		c.send(sgip.Append(nil, c.sgen.Next(), &sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: testLogin, LoginPassword: testSecret}))
		if _, v := c.expectKind(codec.KindLoginResp); v.Result != uint32(sgip.WrongLoginType) {
			t.Fatalf("result %d", v.Result)
		}
		c.expectClosed()
	})
}

func TestSubmitResponse(t *testing.T) {
	for _, p := range dialect.Protocols() {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, nil)
			c := dialClient(t, p, s.Addr())
			c.mustLogin(smgp.LoginModeTransmit)
			sub := c.submit(submitSpec{dests: []string{"8613800138000"}, linkID: "LNK00001", text: "hi there"})
			f, v := c.expectKind(codec.KindSubmitResp)
			if !bytes.Equal(v.Sequence, c.view(sub).Sequence) {
				t.Fatalf("response sequence %x, submit %x", v.Sequence, c.view(sub).Sequence)
			}
			if v.Result != 0 {
				t.Fatalf("result %d", v.Result)
			}
			now := time.Now()
			switch p.Family().String() {
			case "cmpp":
				parts := cmpp.DecodeMsgID(binary.BigEndian.Uint64(v.MsgID))
				if parts.Gateway != 10061 || parts.Month != uint8(now.Month()) || parts.Day != uint8(now.Day()) {
					t.Fatalf("Msg_Id %x = %+v", v.MsgID, parts)
				}
			case "smgp":
				parts, ok := smgp.MsgIDFrom(v.MsgID).Parts()
				if !ok || parts.SMGW != "010061" || parts.Time[:4] != now.Format("0102") {
					t.Fatalf("MsgID %x = %+v (BCD %v)", v.MsgID, parts, ok)
				}
			case "smpp":
				// 16 hex digits of the CMPP layout: the gateway code 10061 in bits 16–37.
				n, err := strconv.ParseUint(string(v.MsgID), 16, 64)
				if err != nil || len(v.MsgID) != 16 || n>>16&0x3fffff != 10061 || cmpp.DecodeMsgID(n).Month != uint8(now.Month()) {
					t.Fatalf("message_id %q (%v)", v.MsgID, err)
				}
			default:
				if v.MsgID != nil || len(f) != sgip.RespLen {
					t.Fatalf("SGIP Submit_Resp %x", f)
				}
			}
			subs, err := s.WaitSubmits(1, waitLong)
			if err != nil {
				t.Fatal(err)
			}
			si := subs[0]
			if si.Account != testLogin || si.ServiceCode != "HELP" || si.SPNumber != "10655123" ||
				len(si.Recipients) != 1 || si.Recipients[0] != "8613800138000" ||
				si.LinkID != "LNK00001" || si.Text != "hi there" || si.Result != 0 {
				t.Fatalf("logged %+v", si)
			}
			if want := v.MsgID; p.Family().String() != "sgip" && !bytes.Equal(si.MsgID, want) {
				t.Fatalf("logged id %x, answered %x", si.MsgID, want)
			}
			if p.Family().String() == "sgip" && !bytes.Equal(si.MsgID, v.Sequence) {
				t.Fatalf("logged id %x, want the sequence %x", si.MsgID, v.Sequence)
			}
			st := waitStats(t, s, "counted", func(st Stats) bool { return st.Submits == 1 })
			if st.Responses[0] != 1 || st.Recipients != 1 || st.ReportsSent != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestReports covers a multi-recipient Submit asking for reports: one id
// range in the response, one report per recipient naming id+i (SGIP: the
// Submit's sequence, over the type-2 connection), all acknowledged.
func TestReports(t *testing.T) {
	dests := []string{"8613800000001", "8613800000002", "8613800000003"}
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			r, mod := withReceiver(t, p, true)
			s := startServer(t, p, mod)
			c := dialClient(t, p, s.Addr())
			c.mustLogin(smgp.LoginModeTransmit)
			dests := dests
			if p == codec.SMPP34 {
				dests = dests[:1] // one recipient a submit_sm
			}
			sub := c.submit(submitSpec{dests: dests, report: true})
			_, resp := c.expectKind(codec.KindSubmitResp)
			id := append([]byte(nil), resp.MsgID...)
			for i, dest := range dests {
				var f []byte
				var v codec.View
				if r != nil {
					f, v = r.next()
				} else {
					f, v = c.next()
				}
				if !v.IsReport {
					t.Fatalf("frame %x is not a report", f)
				}
				var want []byte
				switch p.Family().String() {
				case "cmpp":
					want = binary.BigEndian.AppendUint64(nil, cmpp.MsgIDAdd(binary.BigEndian.Uint64(id), i))
				case "smgp":
					m := smgp.MsgIDAdd(smgp.MsgIDFrom(id), i)
					want = m[:]
				case "smpp":
					want = id
				default:
					want = c.view(sub).Sequence
					if v.ReportState != sgip.StateDelivered {
						t.Fatalf("state %d", v.ReportState)
					}
				}
				if !bytes.Equal(v.ReportMsgID, want) || string(v.UserNumber) != dest {
					t.Fatalf("report %d names %x for %q, want %x for %q", i, v.ReportMsgID, v.UserNumber, want, dest)
				}
				if p.Family().String() != "sgip" {
					if string(v.ReportStat) != "DELIVRD" {
						t.Fatalf("stat %q", v.ReportStat)
					}
					c.ackDeliver(f, v)
				}
			}
			n := uint64(len(dests))
			st := waitStats(t, s, "acked", func(st Stats) bool { return st.ReportsAcked == n })
			if st.ReportsSent != n || st.ReportsResent != 0 || st.Pending != 0 || st.Recipients != n {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestCMPPReportForms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto codec.Protocol
		form  cmpp.ReportForm
		want  int
	}{
		{"3.0 defaults to 71 bytes", codec.CMPP30, 0, 71},
		{"3.0 configured for 60 bytes", codec.CMPP30, cmpp.Report60, 60},
		{"2.x defaults to 60 bytes", codec.CMPP20, 0, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.proto, func(c *Config) {
				c.Dialect = cmpp.NewDialect(cmpp.Version(dialect.For(tc.proto).Version())).WithReportForm(tc.form)
			})
			c := dialClient(t, tc.proto, s.Addr())
			c.mustLogin(0)
			c.submit(submitSpec{dests: []string{"13800000001"}, report: true})
			c.expectKind(codec.KindSubmitResp)
			f, v := c.expectKind(codec.KindDeliver)
			if len(v.Content) != tc.want {
				t.Fatalf("report body %d bytes, want %d", len(v.Content), tc.want)
			}
			_, p, err := cmpp.Decode(f, c.cver())
			if err != nil || p.(*cmpp.Deliver).Report == nil || p.(*cmpp.Deliver).Report.DestTerminalID != "13800000001" {
				t.Fatalf("decode %v %+v", err, p)
			}
		})
	}
}

func TestSGIPReportFlags(t *testing.T) {
	r, mod := withReceiver(t, codec.SGIP, true)
	s := startServer(t, codec.SGIP, mod)
	c := dialClient(t, codec.SGIP, s.Addr())
	c.mustLogin(0)
	t.Run("flag 0 sends no report for a delivered message", func(t *testing.T) {
		c.submit(submitSpec{dests: []string{"8613800000001"}, report: true, onError: true})
		c.expectKind(codec.KindSubmitResp)
		second := c.submit(submitSpec{dests: []string{"8613800000002"}, report: true})
		c.expectKind(codec.KindSubmitResp)
		_, v := r.next() // the first report on the link is the second Submit's
		if !bytes.Equal(v.ReportMsgID, c.view(second).Sequence) {
			t.Fatalf("report on %x, want %x", v.ReportMsgID, c.view(second).Sequence)
		}
	})
	t.Run("flag 0 reports a failure", func(t *testing.T) {
		s.SetReportStat("UNDELIV")
		defer s.SetReportStat("DELIVRD")
		sub := c.submit(submitSpec{dests: []string{"8613800000003"}, report: true, onError: true})
		c.expectKind(codec.KindSubmitResp)
		f, v := r.next()
		_, p, _ := sgip.Decode(f)
		if !bytes.Equal(v.ReportMsgID, c.view(sub).Sequence) || v.ReportState != sgip.StateFailed ||
			p.(*sgip.Report).ErrorCode != sgip.UnknownUser {
			t.Fatalf("report %+v", p)
		}
	})
	if b := <-r.binds; b.LoginType != sgip.LoginSMGToSP || b.LoginName != "smg" || b.LoginPassword != "pw" {
		t.Fatalf("receiver bind %+v", b)
	}
}

// TestInjectMO: a Deliver reaches the SP with its LinkID; unacknowledged,
// it comes again after ResendTimeout with the same identity; acknowledged,
// it stops.
func TestInjectMO(t *testing.T) {
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			r, mod := withReceiver(t, p, false)
			s := startServer(t, p, mod)
			c := dialClient(t, p, s.Addr())
			c.mustLogin(smgp.LoginModeTransmit)
			user := "13800138000"
			if p == codec.SGIP {
				user = "8613800138000"
			}
			if err := s.InjectMO(MO{User: user, SPNumber: "106551231", Text: "DZ HELP", LinkID: "LNK00001", ServiceCode: "HELP"}); err != nil {
				t.Fatal(err)
			}
			next := c.next
			if r != nil {
				next = r.next
			}
			first, v := next()
			if v.Kind != codec.KindDeliver || v.IsReport || string(v.UserNumber) != user ||
				string(v.SPNumber) != "106551231" || string(v.Content) != "DZ HELP" || string(v.LinkID()) != "LNK00001" {
				t.Fatalf("MO %x: %+v", first, v)
			}
			again, _ := next() // not acknowledged: resent after the timeout
			if p == codec.SGIP {
				r.ack.Store(true)
			}
			if !bytes.Equal(again, first) {
				t.Fatalf("resent %x, first %x", again, first)
			}
			if p != codec.SGIP {
				c.ackDeliver(again, c.view(again))
			}
			st := waitStats(t, s, "acked", func(st Stats) bool { return st.MOAcked == 1 && st.Pending == 0 })
			if st.MOSent != 1 || st.MOResent < 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestInjectMOUnicode(t *testing.T) {
	s := startServer(t, codec.CMPP30, nil)
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	if err := s.InjectMO(MO{User: "13800138000", SPNumber: "10655123", Text: "你好"}); err != nil {
		t.Fatal(err)
	}
	_, v := c.expectKind(codec.KindDeliver)
	if v.Coding != 8 || !bytes.Equal(v.Content, []byte{0x4f, 0x60, 0x59, 0x7d}) {
		t.Fatalf("coding %d content %x", v.Coding, v.Content)
	}
}

func TestActiveTest(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP20, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, nil)
			c := dialClient(t, p, s.Addr())
			c.mustLogin(0)
			if p.Family().String() == "cmpp" {
				c.send(cmpp.AppendActiveTest(nil, 77))
			} else {
				c.send(smgp.AppendActiveTest(nil, 77))
			}
			f, _ := c.expectKind(codec.KindActiveTestResp)
			if binary.BigEndian.Uint32(f[8:]) != 77 {
				t.Fatalf("sequence of %x", f)
			}
			waitStats(t, s, "counted", func(st Stats) bool { return st.ActiveTests == 1 })
		})
	}
}

func TestDelay(t *testing.T) {
	const delay = 60 * time.Millisecond
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, nil)
			c := dialClient(t, p, s.Addr())
			c.mustLogin(smgp.LoginModeTransmit)
			s.SetDelay(delay)
			start := time.Now()
			c.submit(submitSpec{dests: []string{"8613800000001"}})
			c.expectKind(codec.KindSubmitResp)
			if el := time.Since(start); el < delay {
				t.Fatalf("answered after %v, want ≥ %v", el, delay)
			}
			s.SetDelay(0)
			start = time.Now()
			c.submit(submitSpec{dests: []string{"8613800000001"}})
			c.expectKind(codec.KindSubmitResp)
			if el := time.Since(start); el >= delay {
				t.Fatalf("answered after %v without delay", el)
			}
		})
	}
}

func TestDelayedResponseCarriesReport(t *testing.T) {
	s := startServer(t, codec.CMPP30, func(c *Config) { c.Delay = 30 * time.Millisecond })
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	c.submit(submitSpec{dests: []string{"13800000001"}, report: true})
	_, resp := c.expectKind(codec.KindSubmitResp)
	f, v := c.expectKind(codec.KindDeliver)
	if !bytes.Equal(v.ReportMsgID, resp.MsgID) {
		t.Fatalf("report %x names %x, want %x", f, v.ReportMsgID, resp.MsgID)
	}
}

func TestReportDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	s := startServer(t, codec.SMGP30, func(c *Config) { c.ReportDelay = delay })
	c := dialClient(t, codec.SMGP30, s.Addr())
	c.mustLogin(smgp.LoginModeTransmit)
	start := time.Now()
	c.submit(submitSpec{dests: []string{"13800000001"}, report: true})
	c.expectKind(codec.KindSubmitResp)
	c.expectKind(codec.KindDeliver)
	if el := time.Since(start); el < delay {
		t.Fatalf("report after %v, want ≥ %v", el, delay)
	}
}

func TestSubmitResultHook(t *testing.T) {
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, func(c *Config) {
				c.SubmitResult = func(v *codec.View) uint32 {
					if string(v.Dest(0)) == "8613900000000" {
						return 13
					}
					return 0
				}
			})
			c := dialClient(t, p, s.Addr())
			c.mustLogin(smgp.LoginModeTransmit)
			c.submit(submitSpec{dests: []string{"8613900000000"}, report: true})
			if _, v := c.expectKind(codec.KindSubmitResp); v.Result != 13 {
				t.Fatalf("result %d", v.Result)
			}
			c.submit(submitSpec{dests: []string{"8613800000000"}})
			if _, v := c.expectKind(codec.KindSubmitResp); v.Result != 0 {
				t.Fatalf("result %d", v.Result)
			}
			st := waitStats(t, s, "counted", func(st Stats) bool { return st.Submits == 2 })
			if st.Responses[13] != 1 || st.Responses[0] != 1 || st.ReportsSent != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestReportSurvivesReconnect: a report the SP had not acknowledged when
// its connection dropped is sent again on its next connection.
func TestReportSurvivesReconnect(t *testing.T) {
	s := startServer(t, codec.CMPP30, func(c *Config) { c.ResendTimeout = time.Minute })
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	c.submit(submitSpec{dests: []string{"13800000001"}, report: true})
	c.expectKind(codec.KindSubmitResp)
	first, _ := c.expectKind(codec.KindDeliver)
	s.Kick()
	c.expectClosed()
	c2 := dialClient(t, codec.CMPP30, s.Addr())
	c2.mustLogin(0)
	again, v := c2.expectKind(codec.KindDeliver)
	if !bytes.Equal(again, first) {
		t.Fatalf("resent %x, first %x", again, first)
	}
	c2.ackDeliver(again, v)
	st := waitStats(t, s, "acked", func(st Stats) bool { return st.ReportsAcked == 1 })
	if st.ReportsResent != 1 || st.Closes["kicked"] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSMGPReportGoesToReceivingConnection(t *testing.T) {
	s := startServer(t, codec.SMGP30, nil)
	send := dialClient(t, codec.SMGP30, s.Addr())
	send.mustLogin(smgp.LoginModeSend)
	recv := dialClient(t, codec.SMGP30, s.Addr())
	recv.mustLogin(smgp.LoginModeReceive)
	send.submit(submitSpec{dests: []string{"13800000001"}, report: true})
	_, resp := send.expectKind(codec.KindSubmitResp)
	f, v := recv.expectKind(codec.KindDeliver)
	if !v.IsReport || !bytes.Equal(v.ReportMsgID, resp.MsgID) {
		t.Fatalf("report %x", f)
	}
	recv.ackDeliver(f, v)
	waitStats(t, s, "acked", func(st Stats) bool { return st.ReportsAcked == 1 })

	t.Run("a receive-only connection cannot submit", func(t *testing.T) {
		recv.submit(submitSpec{dests: []string{"13800000001"}})
		if _, v := recv.expectKind(codec.KindSubmitResp); v.Result != uint32(smgp.StatusCommandError) {
			t.Fatalf("status %d", v.Result)
		}
	})
}

func TestMOGenerator(t *testing.T) {
	s := startServer(t, codec.CMPP30, func(c *Config) {
		c.MOTemplate = MO{User: "13800138000", SPNumber: "10655123", Text: "load"}
	})
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := c.read(waitLong)
			if err != nil {
				return
			}
			var v codec.View
			if cmpp.ParseView(f, cmpp.V30, &v) == nil && v.Kind == codec.KindDeliver {
				_, _ = c.nc.Write(cmpp.AppendDeliverResp(nil, cmpp.V30, cmpp.SequenceOf(f), msgID64(v.MsgID), 0))
			}
		}
	}()
	s.SetMORate(5000)
	waitStats(t, s, "generated", func(st Stats) bool { return st.MOAcked >= 100 })
	s.SetMORate(0)
	_ = c.nc.Close()
	<-done
}

func TestLoginTimeout(t *testing.T) {
	s := startServer(t, codec.CMPP30, func(c *Config) { c.LoginTimeout = 30 * time.Millisecond })
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.expectClosed()
	waitStats(t, s, "counted", func(st Stats) bool { return st.Closes["login timeout"] == 1 })
}

func TestProtocolErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto codec.Protocol
		frame []byte
	}{
		{"impossible length", codec.CMPP30, []byte{0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1}},
		{"Submit before login", codec.SMGP30, smgp.AppendActiveTestResp(nil, 1)},
		{"unknown command", codec.SGIP, append(binary.BigEndian.AppendUint32([]byte{0, 0, 0, 20}, 0x77), make([]byte, 12)...)},
	} {
		t.Run(tc.name+" closes the connection", func(t *testing.T) {
			s := startServer(t, tc.proto, nil)
			c := dialClient(t, tc.proto, s.Addr())
			c.send(tc.frame)
			c.expectClosed()
			waitStats(t, s, "counted", func(st Stats) bool { return st.Closes["protocol error"] == 1 })
		})
	}
}

// TestStop: Stop sends the protocol's logout, closes when the SP answers,
// and a new Server can take the same port.
func TestStop(t *testing.T) {
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			s := startServer(t, p, nil)
			addr := s.Addr()
			c := dialClient(t, p, addr)
			c.mustLogin(smgp.LoginModeTransmit)
			stopped := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), waitLong)
				defer cancel()
				stopped <- s.Stop(ctx)
			}()
			f, _ := c.expectKind(codec.KindLogout)
			switch p.Family().String() {
			case "cmpp":
				c.send(cmpp.Append(nil, c.cver(), cmpp.SequenceOf(f), &cmpp.TerminateResp{}))
			case "smgp":
				c.send(smgp.AppendExitResp(nil, smgp.SequenceOf(f)))
			case "smpp":
				c.send(smpp.AppendUnbindResp(nil, smpp.SequenceOf(f)))
			default:
				c.send(sgip.AppendResp(nil, sgip.CmdUnbind, sgip.SequenceOf(f), 0))
			}
			if err := <-stopped; err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); st.Closes["logout"] != 1 || st.Connections != 0 {
				t.Fatalf("stats %+v", st)
			}
			if err := s.InjectMO(MO{}); err != ErrServerClosed {
				t.Fatalf("InjectMO after Stop: %v", err)
			}

			s2 := startServer(t, p, func(c *Config) { c.Addr = addr })
			c2 := dialClient(t, p, s2.Addr())
			c2.mustLogin(smgp.LoginModeTransmit)
		})
	}
}

func TestSPLogout(t *testing.T) {
	s := startServer(t, codec.CMPP30, nil)
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	c.send(cmpp.Append(nil, cmpp.V30, 9, &cmpp.Terminate{}))
	f, _ := c.expectKind(codec.KindLogoutResp)
	if cmpp.SequenceOf(f) != 9 {
		t.Fatalf("sequence of %x", f)
	}
	c.expectClosed()
}

func TestStopDeadline(t *testing.T) {
	s := startServer(t, codec.CMPP30, nil)
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Stop with a silent SP: %v", err)
	}
	c.expectKind(codec.KindLogout)
	c.expectClosed()
}

func TestSGIPReceiverReconnects(t *testing.T) {
	r, mod := withReceiver(t, codec.SGIP, true)
	s := startServer(t, codec.SGIP, mod)
	c := dialClient(t, codec.SGIP, s.Addr())
	c.mustLogin(0)
	c.submit(submitSpec{dests: []string{"8613800000001"}, report: true})
	c.expectKind(codec.KindSubmitResp)
	r.next()
	waitStats(t, s, "acked", func(st Stats) bool { return st.ReportsAcked == 1 && st.ReceiverUp })
	r.dropConns() // the gateway's inbound side goes away
	waitStats(t, s, "down", func(st Stats) bool { return !st.ReceiverUp })
	if err := s.InjectMO(MO{User: "8613800000001", SPNumber: "10655123", Text: "Y"}); err != nil {
		t.Fatal(err)
	}
	_, v := r.next()
	if v.Kind != codec.KindDeliver || string(v.Content) != "Y" {
		t.Fatalf("after reconnect: %+v", v)
	}
	st := waitStats(t, s, "acked", func(st Stats) bool { return st.MOAcked == 1 })
	if st.ReceiverBinds != 2 {
		t.Fatalf("stats %+v", st)
	}

	t.Run("Stop unbinds the receiver connection", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		stopped := make(chan error, 1)
		go func() { stopped <- s.Stop(ctx) }()
		f, _ := c.expectKind(codec.KindLogout)
		c.send(sgip.AppendResp(nil, sgip.CmdUnbind, sgip.SequenceOf(f), 0))
		if _, v := r.next(); v.Kind != codec.KindLogout {
			t.Fatalf("receiver got %v", v.Kind)
		}
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.ReceiverUp || st.Closes["logout"] != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Protocol: codec.ProtocolUnknown},
		{Protocol: codec.CMPP30, GatewayCode: "12345"},
		{Protocol: codec.SGIP, Dialect: cmpp.NewDialect(cmpp.V30)},
		{Protocol: codec.SGIP, ReceiverAddr: "127.0.0.1:1"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestWaitingDeliversKeepTheirOrder: MOs injected while no SP is connected,
// and reports an SP lost with its connection, arrive in their original
// order on the next connection.
func TestWaitingDeliversKeepTheirOrder(t *testing.T) {
	const n = 300
	s := startServer(t, codec.CMPP30, func(c *Config) { c.ResendTimeout = time.Minute })
	for i := range n {
		if err := s.InjectMO(MO{User: "13800138000", SPNumber: "10655123", Text: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	for i := range n {
		f, v := c.expectKind(codec.KindDeliver)
		if string(v.Content) != strconv.Itoa(i) {
			t.Fatalf("MO %d carries %q", i, v.Content)
		}
		c.ackDeliver(f, v)
	}
	waitStats(t, s, "MO acked", func(st Stats) bool { return st.MOAcked == n && st.Pending == 0 })

	// The order that counts is the order the reports were first sent in
	// (a report is made after its Submit's response, not necessarily in
	// Submit order): record it as the client sees it.
	var ids [][]byte
	for range n {
		c.submit(submitSpec{dests: []string{"13800000001"}, report: true})
		_, resp := c.expectKind(codec.KindSubmitResp)
		_, rep := c.expectKind(codec.KindDeliver) // not acknowledged
		if !bytes.Equal(rep.ReportMsgID, resp.MsgID) {
			t.Fatalf("report names %x, the Submit was answered with %x", rep.ReportMsgID, resp.MsgID)
		}
		ids = append(ids, append([]byte(nil), rep.ReportMsgID...))
	}
	s.Kick()
	c.expectClosed()
	c2 := dialClient(t, codec.CMPP30, s.Addr())
	c2.mustLogin(0)
	for i := range n {
		f, v := c2.expectKind(codec.KindDeliver)
		if !bytes.Equal(v.ReportMsgID, ids[i]) {
			t.Fatalf("report %d names %x, want %x", i, v.ReportMsgID, ids[i])
		}
		c2.ackDeliver(f, v)
	}
	st := waitStats(t, s, "reports acked", func(st Stats) bool { return st.ReportsAcked == n && st.Pending == 0 })
	if st.ReportsResent != n || st.UnknownAcks != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestNackAndGiveUp(t *testing.T) {
	s := startServer(t, codec.CMPP30, func(c *Config) { c.MaxResends = 1 })
	c := dialClient(t, codec.CMPP30, s.Addr())
	c.mustLogin(0)
	if err := s.InjectMO(MO{User: "13800138000", SPNumber: "10655123", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	f, v := c.expectKind(codec.KindDeliver)
	// Flow control: not accepted, so it comes again after the timeout.
	c.send(cmpp.AppendDeliverResp(nil, cmpp.V30, cmpp.SequenceOf(f), msgID64(v.MsgID), cmpp.ResultFlowControl))
	again, _ := c.expectKind(codec.KindDeliver)
	if !bytes.Equal(again, f) {
		t.Fatalf("resent %x, first %x", again, f)
	}
	// Not answered at all: MaxResends 1 is spent, the SMG gives up.
	st := waitStats(t, s, "given up", func(st Stats) bool { return st.Expired == 1 && st.Pending == 0 })
	if st.Nacks != 1 || st.MOResent != 1 || st.MOAcked != 0 {
		t.Fatalf("stats %+v", st)
	}
	c.ackDeliver(again, c.view(again)) // too late
	waitStats(t, s, "late ack", func(st Stats) bool { return st.UnknownAcks == 1 })
}
