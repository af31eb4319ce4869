package smg

// Interop with github.com/bigwhite/gocmpp (e611134), an independent CMPP
// 2.x/3.0 client: it logs in with its own authenticator, submits, and reads
// the Submit_Resp, the status report (its CmppReceiptPkt only knows the
// 60-byte body, so the 3.0 server is configured for Report60, docs/protocols/cmpp.md §9.3)
// and an MO with a LinkID.

import (
	"testing"

	gocmpp "github.com/bigwhite/gocmpp"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/dialect"
)

func TestGocmppClient(t *testing.T) {
	for _, tc := range []struct {
		proto codec.Protocol
		typ   gocmpp.Type
	}{
		{codec.CMPP30, gocmpp.V30},
		{codec.CMPP20, gocmpp.V20},
		{codec.CMPP21, gocmpp.V21},
	} {
		t.Run(tc.proto.String(), func(t *testing.T) {
			s := startServer(t, tc.proto, func(c *Config) {
				c.Dialect = cmpp.NewDialect(cmpp.Version(dialect.For(tc.proto).Version())).WithReportForm(cmpp.Report60)
			})
			cli := gocmpp.NewClient(tc.typ)
			if err := cli.Connect(s.Addr(), testLogin, testSecret, waitLong); err != nil {
				t.Fatalf("gocmpp connect: %v", err)
			}
			defer cli.Disconnect()

			t.Run("wrong password is refused", func(t *testing.T) {
				bad := gocmpp.NewClient(tc.typ)
				if err := bad.Connect(s.Addr(), testLogin, "wrong", waitLong); err == nil {
					bad.Disconnect()
					t.Fatal("connected with a wrong password")
				}
			})

			recv := func() any {
				t.Helper()
				p, err := cli.RecvAndUnpackPkt(waitLong)
				if err != nil {
					t.Fatalf("gocmpp receive: %v", err)
				}
				return p
			}

			var sent uint32
			var err error
			if tc.typ == gocmpp.V30 {
				sent, err = cli.SendReqPkt(&gocmpp.Cmpp3SubmitReqPkt{PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1,
					ServiceId: "HELP", FeeUserType: 2, MsgSrc: testLogin, FeeType: "01", SrcId: "10655123",
					DestUsrTl: 1, DestTerminalId: []string{"13500002696"}, MsgLength: 5, MsgContent: "hello",
					LinkId: "LINK0001"})
			} else {
				sent, err = cli.SendReqPkt(&gocmpp.Cmpp2SubmitReqPkt{PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1,
					ServiceId: "HELP", FeeUserType: 2, MsgSrc: testLogin, FeeType: "01", SrcId: "10655123",
					DestUsrTl: 1, DestTerminalId: []string{"13500002696"}, MsgLength: 5, MsgContent: "hello"})
			}
			if err != nil {
				t.Fatal(err)
			}

			var msgID uint64
			switch p := recv().(type) {
			case *gocmpp.Cmpp3SubmitRspPkt:
				if p.SeqId != sent || p.Result != 0 {
					t.Fatalf("submit response %+v for sequence %d", p, sent)
				}
				msgID = p.MsgId
			case *gocmpp.Cmpp2SubmitRspPkt:
				if p.SeqId != sent || p.Result != 0 {
					t.Fatalf("submit response %+v for sequence %d", p, sent)
				}
				msgID = p.MsgId
			default:
				t.Fatalf("got %T, want a submit response", p)
			}
			if g := cmpp.DecodeMsgID(msgID).Gateway; g != 10061 {
				t.Fatalf("Msg_Id %x has gateway %d", msgID, g)
			}

			// The report, read with gocmpp's own receipt decoder.
			var content string
			var deliverID uint64
			var seq uint32
			switch p := recv().(type) {
			case *gocmpp.Cmpp3DeliverReqPkt:
				if p.RegisterDelivery != 1 || p.SrcTerminalId != "13500002696" {
					t.Fatalf("report deliver %+v", p)
				}
				content, deliverID, seq = p.MsgContent, p.MsgId, p.SeqId
			case *gocmpp.Cmpp2DeliverReqPkt:
				if p.RegisterDelivery != 1 || p.SrcTerminalId != "13500002696" {
					t.Fatalf("report deliver %+v", p)
				}
				content, deliverID, seq = p.MsgContent, p.MsgId, p.SeqId
			default:
				t.Fatalf("got %T, want a report", p)
			}
			var rcpt gocmpp.CmppReceiptPkt
			if err := rcpt.Unpack([]byte(content)); err != nil {
				t.Fatal(err)
			}
			if rcpt.MsgId != msgID || rcpt.Stat != "DELIVRD" || rcpt.DestTerminalId != "13500002696" {
				t.Fatalf("receipt %+v, want Msg_Id %x", rcpt, msgID)
			}
			if tc.typ == gocmpp.V30 {
				err = cli.SendRspPkt(&gocmpp.Cmpp3DeliverRspPkt{MsgId: deliverID}, seq)
			} else {
				err = cli.SendRspPkt(&gocmpp.Cmpp2DeliverRspPkt{MsgId: deliverID}, seq)
			}
			if err != nil {
				t.Fatal(err)
			}
			waitStats(t, s, "report acked", func(st Stats) bool { return st.ReportsAcked == 1 })

			// Keep-alive.
			if _, err := cli.SendReqPkt(&gocmpp.CmppActiveTestReqPkt{}); err != nil {
				t.Fatal(err)
			}
			if p, ok := recv().(*gocmpp.CmppActiveTestRspPkt); !ok {
				t.Fatalf("got %T, want an active test response", p)
			}

			// An MO, with its LinkID in 3.0.
			if err := s.InjectMO(MO{User: "13500002696", SPNumber: "106551231", Text: "DZ", LinkID: "LINK0002", ServiceCode: "HELP"}); err != nil {
				t.Fatal(err)
			}
			switch p := recv().(type) {
			case *gocmpp.Cmpp3DeliverReqPkt:
				if p.RegisterDelivery != 0 || p.MsgContent != "DZ" || p.LinkId != "LINK0002" || p.DestId != "106551231" {
					t.Fatalf("MO %+v", p)
				}
				err = cli.SendRspPkt(&gocmpp.Cmpp3DeliverRspPkt{MsgId: p.MsgId}, p.SeqId)
			case *gocmpp.Cmpp2DeliverReqPkt:
				if p.RegisterDelivery != 0 || p.MsgContent != "DZ" || p.SrcTerminalId != "13500002696" {
					t.Fatalf("MO %+v", p)
				}
				err = cli.SendRspPkt(&gocmpp.Cmpp2DeliverRspPkt{MsgId: p.MsgId}, p.SeqId)
			default:
				t.Fatalf("got %T, want an MO", p)
			}
			if err != nil {
				t.Fatal(err)
			}
			st := waitStats(t, s, "MO acked", func(st Stats) bool { return st.MOAcked == 1 })
			if st.LoginsOK != 1 || st.LoginsRefused != 1 || st.Submits != 1 || st.MOResent != 0 {
				t.Fatalf("stats %+v", st)
			}
			if subs := s.Submits(); len(subs) != 1 || subs[0].Text != "hello" ||
				(tc.typ == gocmpp.V30 && subs[0].LinkID != "LINK0001") {
				t.Fatalf("submits %+v", subs)
			}
		})
	}
}
