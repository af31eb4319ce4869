package jsonclient

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec/jsonsock"
)

// The two independent implementations of the protocol agree: this
// client's frames split and decode with codec/jsonsock, and jsonsock's
// frames read here.

func TestRequestMatchesTheCodec(t *testing.T) {
	body := []byte(`{"phone":"13800138000","message":"你好","sendtime":"1399176571278","msgid":"m1","msgtype":"2"}`)
	raw := Request("A001", "app001", "secret01", body)
	f, n, err := jsonsock.Splitter{}.Split(raw)
	if err != nil || n != len(raw) || f.Command != jsonsock.CmdSend || !f.AppID.Match("app001") || !f.AppSecret.Match("secret01") {
		t.Fatalf("%+v, %d, %v", f, n, err)
	}
	msgs, err := jsonsock.DecodeSend(f.Body)
	if err != nil || len(msgs) != 1 || msgs[0].Message != "你好" || msgs[0].MsgType != "2" {
		t.Fatalf("%+v, %v", msgs, err)
	}
	codec, _ := jsonsock.AppendRequest(nil, jsonsock.CmdSend, "app001", "secret01", body)
	if string(codec) != string(raw) {
		t.Errorf("the codec writes\n%q\nthe client\n%q", codec, raw)
	}
}

// server answers every A001 with B001 {"status":"1"} and closes, using
// the codec.
func server(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 0, 4096)
				tmp := make([]byte, 4096)
				for {
					n, err := c.Read(tmp)
					if err != nil {
						return
					}
					buf = append(buf, tmp[:n]...)
					f, _, err := jsonsock.Splitter{}.Split(buf)
					if err == jsonsock.ErrIncomplete {
						continue
					}
					st := jsonsock.StatusSuccess
					if err != nil {
						st = jsonsock.StatusFailure
					} else if _, err := jsonsock.DecodeSend(f.Body); err != nil || !f.AppSecret.Match("secret01") {
						st = jsonsock.StatusFailure
					}
					out, _ := jsonsock.AppendResponse(nil, jsonsock.CmdSendResp, jsonsock.AppendStatus(nil, st))
					c.Write(out)
					return
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestSendAgainstACodecServer(t *testing.T) {
	addr := server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &Client{Addr: addr, AppID: "app001", AppSecret: "secret01"}
	st, a, err := c.Send(ctx, Message{Phone: "13800138000", Message: "hi", MsgID: "1", MsgType: "1"},
		Message{Phone: "13900139000", Message: "hi", MsgID: "2", MsgType: "2"})
	if err != nil || st != "1" || !a.Closed {
		t.Fatalf("%q %+v %v", st, a, err)
	}
	c.AppSecret = "wrong"
	if st, _, err := c.Send(ctx, Message{Phone: "13800138000", Message: "hi", MsgID: "1", MsgType: "1"}); err != nil || st != "2" {
		t.Fatalf("wrong secret: %q %v", st, err)
	}
	a, err = Exchange(ctx, addr, []byte("00a001A001"))
	if err != nil || a.Command != "B001" {
		t.Fatalf("hostile: %+v %v", a, err)
	}
}

func TestReportServer(t *testing.T) {
	var silent atomic.Bool
	s, err := StartReportServer(func(p Push) (string, bool) { return "1", !silent.Load() })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := jsonsock.Report{MsgID: "m1", Phone: "13800138000", Status: jsonsock.StatusSuccess, SendTime: 1399176571278, Stat: "DELIVRD"}
	frame, _ := jsonsock.AppendRequest(nil, jsonsock.CmdReport, "app001", "secret01", jsonsock.AppendReport(nil, &r))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write(frame)
	p := <-s.Pushes()
	if p.Err != nil || p.Report.MsgID != "m1" || p.Report.SendTime != 1399176571278 || p.AppID != Pad("app001") {
		t.Fatalf("push %+v", p)
	}
	buf := make([]byte, 256)
	n, _ := c.Read(buf)
	f, _, err := jsonsock.Splitter{}.Split(buf[:n])
	if err != nil || f.Command != jsonsock.CmdReportResp {
		t.Fatalf("B002: %q %v", buf[:n], err)
	}
	if st, err := jsonsock.DecodeStatus(f.Command, f.Body); err != nil || st.Status != "1" {
		t.Fatalf("B002 status %+v %v", st, err)
	}
	// Silent: the push is taken and never answered.
	silent.Store(true)
	c2, _ := net.Dial("tcp", s.Addr())
	defer c2.Close()
	c2.Write(frame)
	<-s.Pushes()
	c2.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c2.Read(buf); n != 0 || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a silent receiver answered: %q %v", buf[:n], err)
	}
}
