package smpp

// An SMSC of a few dozen lines built on this codec, with
// github.com/linxGnu/gosmpp v0.3.1 binding to it as an SP (ESME): as a
// transmitter and as a transceiver, submitting, receiving a receipt, and
// exchanging enquire_link both ways. It proves the wire behaviour of bind,
// submit_sm, deliver_sm, enquire_link and unbind end to end at codec level;
// the gateway's own SMPP faces are tested in proxy.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// testSMSC accepts binds with password "secret08", answers every
// submit_sm with message id "msg-N", sends a transceiver a receipt for
// each submit that asks for one and an enquire_link after its bind, and
// reports what it saw on events.
type testSMSC struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	nextID  int
	events  []string      // what the SMSC saw, in order; waitEvent takes them out
	changed chan struct{} // signalled after each event
	conns   []net.Conn    // closed at cleanup
}

func startSMSC(t *testing.T) *testSMSC {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSMSC{ln: ln, changed: make(chan struct{}, 1)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *testSMSC) event(e string) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// waitEvent waits until the SMSC has seen want (taking it out of the log),
// failing the test after a deadline. Events that arrive meanwhile stay in
// the log for later waits.
func (s *testSMSC) waitEvent(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for i, e := range s.events {
			if e == want {
				s.events = append(s.events[:i], s.events[i+1:]...)
				s.mu.Unlock()
				return
			}
		}
		seen := append([]string(nil), s.events...)
		s.mu.Unlock()
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %q; the SMSC saw %q", want, seen)
		}
	}
}

// serve reads frames with the Framer, decodes each with both Decode and
// ParseView, and answers with the package's builders.
func (s *testSMSC) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // bounds a test that goes wrong
	r := bufio.NewReader(c)
	fr := NewFramer(0)
	var (
		buf, out []byte
		view     codec.View
		bound    CommandID
		seq      uint32 = 1000
	)
	for {
		n, err := fr.Split(buf)
		if err != nil {
			s.event("framing: " + err.Error())
			return
		}
		if n == 0 {
			chunk := make([]byte, 512)
			k, err := r.Read(chunk)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					s.event("read error: " + err.Error())
				}
				return
			}
			buf = append(buf, chunk[:k]...)
			continue
		}
		frame := buf[:n]
		out = out[:0]
		h, p, err := Decode(frame)
		if err == nil {
			err = ParseView(frame, &view)
		}
		if err != nil {
			s.event("bad frame: " + err.Error())
			out = AppendGenericNack(out, SequenceOf(frame), StatusInvCmdLen)
		}
		switch p := p.(type) {
		case *Bind:
			status := StatusOK
			if p.Password != "secret08" {
				status = StatusInvPaswd
			} else {
				bound = p.Command()
			}
			out = AppendBindResp(out, p.Command(), h.SequenceNumber, status, "testsmsc")
			s.event(p.Command().String() + " " + p.SystemID + " " + status.String())
			if status == StatusOK && p.CanReceive() {
				seq++
				out = AppendEnquireLink(out, seq)
			}
		case *Submit:
			s.mu.Lock()
			s.nextID++
			id := "msg-" + strconv.Itoa(s.nextID)
			s.mu.Unlock()
			msg, _ := text.DecodeSMPP(p.DataCoding, p.Message())
			if p.ESMClass.UDHI() {
				msg = "udh " + strconv.Itoa(int(view.PkNumber)) + "/" + strconv.Itoa(int(view.PkTotal))
			}
			s.event("submit_sm " + string(view.SPNumber) + ">" + string(view.Dest(0)) + " " + msg + " " + id)
			out = AppendSubmitResp(out, h.SequenceNumber, StatusOK, []byte(id))
			if bound == CmdBindTransceiver && view.NeedReport {
				seq++
				rc := Receipt{ID: id, Sub: "001", Dlvrd: "001", SubmitDate: "2607011200", DoneDate: "2607011201",
					Stat: "DELIVRD", Err: "000", Text: "x"}
				out = Append(out, seq, StatusOK, &Deliver{
					SourceAddrTON: p.DestAddrTON, SourceAddrNPI: p.DestAddrNPI, SourceAddr: p.DestinationAddr,
					DestinationAddr: p.SourceAddr, ESMClass: ESMTypeReceipt, ShortMessage: rc.Append(nil),
					TLVs: TLVs{TLVCString(TagReceiptedMessageID, id), TLVUint8(TagMessageState, uint8(StateDelivered))},
				})
			}
		case *EnquireLink:
			out = AppendEnquireLinkResp(out, h.SequenceNumber)
			s.event("enquire_link")
		case *EnquireLinkResp:
			s.event("enquire_link_resp")
		case *DeliverResp:
			s.event("deliver_sm_resp " + h.CommandStatus.String())
		case *Unbind:
			// Answer, then let the ESME close: it reads the unbind_resp first.
			s.event("unbind")
			out = AppendUnbindResp(out, h.SequenceNumber)
		case nil:
		default:
			out = AppendGenericNack(out, h.SequenceNumber, StatusInvCmdID)
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
		buf = buf[n:]
	}
}

// await waits for want on ch, failing the test after a deadline.
func await[T any](t *testing.T, ch <-chan T, what string, match func(T) bool) T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case v := <-ch:
			if match(v) {
				return v
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// oddity records what a gosmpp callback saw that it should not have; a
// callback may run after the test returns, so it must not call t.
func oddity(odd chan<- string, s string) {
	select {
	case odd <- s:
	default:
	}
}

func newSession(odd chan<- string, s *testSMSC, trx bool, password string, onPDU func(pdu.PDU)) (*gosmpp.Session, error) {
	auth := gosmpp.Auth{SMSC: s.ln.Addr().String(), SystemID: "sp1", Password: password, SystemType: ""}
	conn := gosmpp.TXConnector(gosmpp.NonTLSDialer, auth)
	if trx {
		conn = gosmpp.TRXConnector(gosmpp.NonTLSDialer, auth)
	}
	return gosmpp.NewSession(conn, gosmpp.Settings{
		ReadTimeout:  15 * time.Second,
		WriteTimeout: 5 * time.Second,
		OnPDU:        func(p pdu.PDU, _ bool) { onPDU(p) },
		OnSubmitError: func(p pdu.PDU, err error) {
			oddity(odd, fmt.Sprintf("gosmpp submit %T: %v", p, err))
		},
	}, 0)
}

func gosmppSubmit(t *testing.T, dest, msg string, enc data.Encoding, report bool) *pdu.SubmitSM {
	p := pdu.NewSubmitSM().(*pdu.SubmitSM)
	p.SourceAddr = gosmppAddr(5, 0, "10655123")
	p.DestAddr = gosmppAddr(1, 1, dest)
	var err error
	if p.Message, err = pdu.NewShortMessageWithEncoding(msg, enc); err != nil {
		t.Fatal(err)
	}
	if report {
		p.RegisteredDelivery = 1
	}
	return p
}

func TestGosmppBindsAndSubmits(t *testing.T) {
	for _, trx := range []bool{false, true} {
		name := "transmitter"
		if trx {
			name = "transceiver"
		}
		t.Run(name, func(t *testing.T) {
			s := startSMSC(t)
			// One channel per kind, so that waiting for one never drops another.
			resps, links, delivers := make(chan pdu.PDU, 16), make(chan pdu.PDU, 16), make(chan pdu.PDU, 16)
			odd := make(chan string, 8)
			sess, err := newSession(odd, s, trx, "secret08", func(p pdu.PDU) {
				switch p.(type) {
				case *pdu.SubmitSMResp:
					resps <- p
				case *pdu.EnquireLinkResp:
					links <- p
				case *pdu.DeliverSM:
					delivers <- p
				case *pdu.UnbindResp:
					// may or may not arrive before gosmpp closes
				default:
					oddity(odd, fmt.Sprintf("gosmpp received %T", p))
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			bindCmd := "bind_transmitter"
			if trx {
				bindCmd = "bind_transceiver"
			}
			s.waitEvent(t, bindCmd+" sp1 ESME_ROK")
			if trx {
				// the SMSC's enquire_link, answered by gosmpp
				s.waitEvent(t, "enquire_link_resp")
			}
			out := sess.Transceiver()
			if err := out.Submit(gosmppSubmit(t, "8613800138000", "Price: 5€ @ shop", data.GSM7BIT, trx)); err != nil {
				t.Fatal(err)
			}
			s.waitEvent(t, "submit_sm 10655123>8613800138000 Price: 5€ @ shop msg-1")
			resp := await(t, resps, "submit_sm_resp", func(pdu.PDU) bool { return true })
			if r := resp.(*pdu.SubmitSMResp); r.MessageID != "msg-1" || !r.IsOk() {
				t.Fatalf("submit_sm_resp %+v", r)
			}
			if err := out.Submit(gosmppSubmit(t, "8613900139000", "你好", data.UCS2, false)); err != nil {
				t.Fatal(err)
			}
			s.waitEvent(t, "submit_sm 10655123>8613900139000 你好 msg-2")
			long := gosmppSubmit(t, "8613900139000", "", data.UCS2, false)
			long.Message, _ = pdu.NewShortMessageWithEncoding("第一段", data.UCS2)
			long.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(3, 1, 9)})
			long.EsmClass = data.SM_UDH_GSM
			if err := out.Submit(long); err != nil {
				t.Fatal(err)
			}
			s.waitEvent(t, "submit_sm 10655123>8613900139000 udh 1/3 msg-3")
			if err := out.Submit(pdu.NewEnquireLink()); err != nil {
				t.Fatal(err)
			}
			s.waitEvent(t, "enquire_link")
			await(t, links, "enquire_link_resp", func(pdu.PDU) bool { return true })
			if trx {
				// The receipt for msg-1 reaches gosmpp, which answers deliver_sm_resp.
				d := await(t, delivers, "the receipt deliver_sm", func(pdu.PDU) bool { return true }).(*pdu.DeliverSM)
				id, ok := d.OptionalParameters[pdu.TagReceiptedMessageID]
				if !ok || id.String() != "msg-1" || d.EsmClass != data.SM_SMSC_DLV_RCPT_TYPE || d.SourceAddr.Address() != "8613800138000" {
					t.Fatalf("receipt %+v", d)
				}
				txt, _ := d.Message.GetMessageData()
				if rc, err := ParseReceipt(txt); err != nil || rc.ID != "msg-1" || rc.Stat != "DELIVRD" {
					t.Fatalf("receipt text %q: %v", txt, err)
				}
				s.waitEvent(t, "deliver_sm_resp ESME_ROK")
			}
			if err := sess.Close(); err != nil {
				t.Fatal(err)
			}
			// gosmpp sends unbind and closes without waiting for the
			// unbind_resp, so only the SMSC's side is checked.
			s.waitEvent(t, "unbind")
			select {
			case o := <-odd:
				t.Fatal(o)
			default:
			}
		})
	}
}

func TestGosmppBindRefused(t *testing.T) {
	for _, trx := range []bool{false, true} {
		s := startSMSC(t)
		_, err := newSession(make(chan string, 1), s, trx, "wrong", func(pdu.PDU) {})
		var be gosmpp.BindError
		if !errors.As(err, &be) || be.CommandStatus != data.ESME_RINVPASWD {
			t.Fatalf("transceiver %v: bind error %v, want ESME_RINVPASWD", trx, err)
		}
	}
}
