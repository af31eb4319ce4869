package proxy_test

// The SMPP faces with an independent implementation as the SP:
// github.com/linxGnu/gosmpp binds to the gateway's SMPP listener, and the
// gateway binds to the simulated SMSC (sim/smg speaking SMPP). gosmpp
// shares no code with codec/smpp, so what it accepts and what it sends are
// a second opinion on both the gateway's answers and the codec.

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
)

// gosmppSP is one gosmpp session bound to the gateway, with what reached
// it sorted by kind: every submit_sm_resp, every deliver_sm (which gosmpp
// answers with deliver_sm_resp by itself) and anything else.
type gosmppSP struct {
	sess     *gosmpp.Session
	resps    chan *pdu.SubmitSMResp
	delivers chan *pdu.DeliverSM
	odd      chan string // what the session should not have seen
}

// gosmppBind binds as login/password with the connector kind ("tx", "rx",
// "trx") to the harness's SMPP listener.
func gosmppBind(t *testing.T, h *harness, kind, password string) (*gosmppSP, error) {
	t.Helper()
	login, _ := account(h.proto)
	auth := gosmpp.Auth{SMSC: h.spAddr, SystemID: login, Password: password}
	conn := map[string]gosmpp.Connector{
		"tx":  gosmpp.TXConnector(gosmpp.NonTLSDialer, auth),
		"rx":  gosmpp.RXConnector(gosmpp.NonTLSDialer, auth),
		"trx": gosmpp.TRXConnector(gosmpp.NonTLSDialer, auth),
	}[kind]
	s := &gosmppSP{resps: make(chan *pdu.SubmitSMResp, 16), delivers: make(chan *pdu.DeliverSM, 16), odd: make(chan string, 16)}
	oddity := func(what string) { // callbacks may run after the test: no t here
		select {
		case s.odd <- what:
		default:
		}
	}
	sess, err := gosmpp.NewSession(conn, gosmpp.Settings{
		ReadTimeout:  time.Minute,
		WriteTimeout: testWait,
		OnPDU: func(p pdu.PDU, _ bool) {
			switch p := p.(type) {
			case *pdu.SubmitSMResp:
				s.resps <- p
			case *pdu.DeliverSM:
				s.delivers <- p
			case *pdu.EnquireLinkResp, *pdu.UnbindResp:
			default:
				oddity(fmt.Sprintf("%s session received %T", kind, p))
			}
		},
		OnSubmitError:    func(p pdu.PDU, err error) { oddity(fmt.Sprintf("%s submit %T: %v", kind, p, err)) },
		OnReceivingError: func(err error) { oddity(fmt.Sprintf("%s receiving: %v", kind, err)) },
	}, 0)
	if err != nil {
		return nil, err
	}
	s.sess = sess
	t.Cleanup(func() { sess.Close() })
	return s, nil
}

// submit sends a submit_sm from the account's access number to user for
// service (in service_type), with linkID in the deployment's LinkID TLV
// when not empty, and returns its submit_sm_resp.
func (s *gosmppSP) submit(t *testing.T, service, to, linkID string, report bool) *pdu.SubmitSMResp {
	t.Helper()
	p := pdu.NewSubmitSM().(*pdu.SubmitSM)
	p.ServiceType = service
	src, _ := pdu.NewAddressWithTonNpiAddr(5, 0, access)
	dst, _ := pdu.NewAddressWithTonNpiAddr(1, 1, to)
	p.SourceAddr, p.DestAddr = src, dst
	p.Message, _ = pdu.NewShortMessageWithEncoding("hello "+service, data.GSM7BIT)
	if report {
		p.RegisteredDelivery = 1
	}
	if linkID != "" {
		p.RegisterOptionalParam(pdu.Field{Tag: pdu.Tag(smppLinkIDTag), Data: []byte(linkID)})
	}
	if err := s.sess.Transceiver().Submit(p); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(testWait)
	for {
		select {
		case r := <-s.resps:
			if r.GetSequenceNumber() == p.GetSequenceNumber() {
				return r
			}
		case o := <-s.odd:
			t.Fatal(o)
		case <-deadline:
			t.Fatalf("no submit_sm_resp for the %s submit_sm", service)
		}
	}
}

// deliver waits for the next deliver_sm.
func (s *gosmppSP) deliver(t *testing.T, what string) *pdu.DeliverSM {
	t.Helper()
	select {
	case d := <-s.delivers:
		return d
	case o := <-s.odd:
		t.Fatal(o)
	case <-time.After(testWait):
		t.Fatalf("waiting for %s: no deliver_sm", what)
	}
	return nil
}

// clean fails the test if the session received something it should not
// have, a deliver_sm included.
func (s *gosmppSP) clean(t *testing.T, name string) {
	t.Helper()
	select {
	case o := <-s.odd:
		t.Fatal(o)
	case d := <-s.delivers:
		t.Fatalf("%s received a deliver_sm: %+v", name, d)
	default:
	}
}

func status(c data.CommandStatusType) uint32 { return uint32(c) }

// TestGosmppThroughTheGateway: gosmpp → spsmg (SMPP listener) → the
// simulated SMSC. A subscription MT passes and reaches the SMSC, an
// unsubscribed one is refused with SMPP's not_subscribed command_status and
// never does; an MO reaches the SP with a LinkID in the deployment's TLV,
// and the MT answering it with that LinkID passes; the receipt for an MT
// reaches the SP. MO and receipts go to a session that can receive: the
// transceiver itself, or the receiver bind beside a transmitter (never the
// transmitter, which takes none), and a submit_sm on a receiver bind is
// refused with ESME_RINVBNDSTS.
func TestGosmppThroughTheGateway(t *testing.T) {
	for _, split := range []bool{false, true} {
		name := map[bool]string{false: "transceiver", true: "transmitter and receiver"}[split]
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, codec.SMPP34, harnessOpt{})
			if err := h.engine.Subscribe("sp1", user, "NEWS", authcache.SourceAPI); err != nil {
				t.Fatal(err)
			}
			_, secret := account(h.proto)
			for _, kind := range []string{"tx", "rx", "trx"} {
				_, err := gosmppBind(t, h, kind, "wrong")
				var be gosmpp.BindError
				if !errors.As(err, &be) || be.CommandStatus != data.ESME_RINVPASWD {
					t.Fatalf("%s bind with a wrong password: %v, want ESME_RINVPASWD", kind, err)
				}
			}
			var tx, rx *gosmppSP // rx gets the MO and receipts
			var err error
			if split {
				if tx, err = gosmppBind(t, h, "tx", secret); err != nil {
					t.Fatal(err)
				}
				if rx, err = gosmppBind(t, h, "rx", secret); err != nil {
					t.Fatal(err)
				}
			} else {
				if tx, err = gosmppBind(t, h, "trx", secret); err != nil {
					t.Fatal(err)
				}
				rx = tx
			}

			before := h.smg.Stats().Submits
			if r := tx.submit(t, "HELP", user, "", false); r.CommandStatus != data.CommandStatusType(h.refusal(reason.NotSubscribed)) {
				t.Fatalf("unsubscribed MT: command_status %#x, want not_subscribed %#x", status(r.CommandStatus), h.refusal(reason.NotSubscribed))
			}
			if h.refusal(reason.NotSubscribed) != 0x046A {
				t.Fatalf("not_subscribed is %#x, the README's table says 0x046A", h.refusal(reason.NotSubscribed))
			}
			if got := h.smg.Stats().Submits; got != before {
				t.Fatalf("the refused MT reached the SMSC (%d submits)", got-before)
			}
			r := tx.submit(t, "NEWS", user, "", true)
			if r.CommandStatus != data.ESME_ROK || r.MessageID == "" {
				t.Fatalf("subscription MT: command_status %#x, message_id %q", status(r.CommandStatus), r.MessageID)
			}
			h.eventually("the SMSC receives the subscription MT", func() bool {
				subs := h.smg.Submits()
				return len(subs) > 0 && subs[len(subs)-1].Text == "hello NEWS" && subs[len(subs)-1].ServiceCode == "NEWS"
			})

			// Its receipt, naming the message_id the SP was given.
			d := rx.deliver(t, "the receipt")
			id, ok := d.OptionalParameters[pdu.TagReceiptedMessageID]
			if d.EsmClass != data.SM_SMSC_DLV_RCPT_TYPE || !ok || id.String() != r.MessageID {
				t.Fatalf("receipt deliver_sm esm_class %#x, receipted_message_id %v, want %q", d.EsmClass, id, r.MessageID)
			}
			txt, _ := d.Message.GetMessageData()
			if rc, err := smpp.ParseReceipt(txt); err != nil || rc.ID != r.MessageID || rc.Stat != "DELIVRD" {
				t.Fatalf("receipt text %q (%v), want id %q and DELIVRD", txt, err, r.MessageID)
			}
			h.eventually("the SMSC sees the receipt acknowledged", func() bool { return h.smg.Stats().ReportsAcked == 1 })

			// An MO, with the LinkID spsmg gave it; the answer with it passes.
			if err := h.smg.InjectMO(smg.MO{User: user, SPNumber: access, Text: "HELP me"}); err != nil {
				t.Fatal(err)
			}
			d = rx.deliver(t, "the MO")
			mo, _ := d.Message.GetMessage()
			linkID, ok := d.OptionalParameters[pdu.Tag(smppLinkIDTag)]
			if d.EsmClass != 0 || mo != "HELP me" || d.SourceAddr.Address() != user || !ok || len(linkID.Data) == 0 {
				t.Fatalf("MO deliver_sm: esm_class %#x, text %q, from %q, LinkID TLV %v", d.EsmClass, mo, d.SourceAddr.Address(), linkID)
			}
			h.eventually("the SMSC sees the MO acknowledged", func() bool { return h.smg.Stats().MOAcked == 1 })
			if r := tx.submit(t, "HELP", user, string(linkID.Data), false); r.CommandStatus != data.ESME_ROK {
				t.Fatalf("MT with the MO's LinkID: command_status %#x", status(r.CommandStatus))
			}
			if r := tx.submit(t, "HELP", otherUser, string(linkID.Data), false); r.CommandStatus != data.CommandStatusType(h.refusal(reason.LinkIDWrongUser)) {
				t.Fatalf("the LinkID for another user: command_status %#x, want %#x", status(r.CommandStatus), h.refusal(reason.LinkIDWrongUser))
			}

			if split {
				// A receiver bind carries no MT: ESME_RINVBNDSTS, nothing forwarded.
				before := h.smg.Stats().Submits
				if r := rx.submit(t, "FREE", user, "", false); r.CommandStatus != data.ESME_RINVBNDSTS {
					t.Fatalf("submit_sm on a receiver bind: command_status %#x, want ESME_RINVBNDSTS", status(r.CommandStatus))
				}
				if got := h.smg.Stats().Submits; got != before {
					t.Fatal("a receiver bind's submit_sm reached the SMSC")
				}
				tx.clean(t, "the transmitter")
			}
			rx.clean(t, name)
		})
	}
}
