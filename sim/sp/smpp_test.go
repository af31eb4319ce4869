package sp_test

// The simulated SP speaking SMPP to the simulated SMSC (sim/smg), both on
// the SMPP Dialect with a LinkID TLV: the three binds, a Submit with its
// LinkID, the message_id, the receipt, an MO, enquire_link and unbind.
// The codec's own wire behaviour is checked against gosmpp in codec/smpp.

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smpp"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

func TestSMPPWithTheSimulatedSMSC(t *testing.T) {
	d := smpp.NewDialect(smpp.Options{LinkIDTag: 0x1401})
	s := startSMSC(t, d, 16)
	dial := func(mode int, secret string) (*sp.Client, error) {
		return sp.Dial(testCtx(t), sp.ClientConfig{Dialect: d, Addr: s.Addr(), Login: testLogin, Secret: secret,
			SMGPLoginMode: mode})
	}
	var le *sp.LoginError
	if _, err := dial(sp.SMGPModeDefault, "wrong"); !errors.As(err, &le) || le.Status != uint32(smpp.StatusInvPaswd) {
		t.Fatalf("bad password: %v, want ESME_RINVPASWD", err)
	}

	trx, err := dial(sp.SMGPModeDefault, testSecret) // bind_transceiver
	if err != nil {
		t.Fatal(err)
	}
	defer trx.Close()
	r, err := trx.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, ServiceCode: "HELP",
		LinkID: "LNK00001", Text: "hello", NeedReport: true})
	if err != nil || r.Result != 0 {
		t.Fatalf("submit: %+v, %v", r, err)
	}
	if _, err := strconv.ParseUint(string(r.MsgID), 16, 64); err != nil || len(r.MsgID) != 16 {
		t.Errorf("message_id %q: want 16 hex digits", r.MsgID)
	}
	subs, err := s.WaitSubmits(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if si := subs[0]; si.LinkID != "LNK00001" || si.ServiceCode != "HELP" || si.Recipients[0] != "13800138000" || si.Text != "hello" {
		t.Errorf("the SMSC saw %+v", si)
	}
	rep := next(t, trx.Deliveries())
	if !rep.IsReport || string(rep.ReportMsgID) != string(r.MsgID) || rep.Stat != "DELIVRD" {
		t.Errorf("receipt %+v, want one naming %q", rep, r.MsgID)
	}
	if err := s.InjectMO(smg.MO{User: "13800138000", SPNumber: "1065512301", Text: "TD", LinkID: "LNK00002"}); err != nil {
		t.Fatal(err)
	}
	mo := next(t, trx.Deliveries())
	if mo.IsReport || mo.User != "13800138000" || mo.LinkID != "LNK00002" || mo.Text != "TD" {
		t.Errorf("MO %+v", mo)
	}
	if err := trx.ActiveTest(testCtx(t)); err != nil {
		t.Errorf("enquire_link: %v", err)
	}

	// A receiver takes deliveries and no Submits: ESME_RINVBNDSTS.
	rx, err := dial(sp.SMGPModeReceive, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if r, err := rx.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, Text: "x"}); err != nil ||
		r.Result != uint32(smpp.StatusInvBndSts) {
		t.Errorf("submit on a receiver: %+v, %v", r, err)
	}
	// A transmitter submits.
	tx, err := dial(sp.SMGPModeSend, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := tx.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, Text: "x"}); err != nil || r.Result != 0 {
		t.Errorf("submit on a transmitter: %+v, %v", r, err)
	}
	if err := tx.Close(); err != nil { // unbind, unbind_resp
		t.Errorf("unbind: %v", err)
	}
	if st := s.Stats(); st.LoginsOK != 3 || st.LoginsRefused != 1 {
		t.Errorf("stats %+v", st)
	}
}

// startSMSC starts the simulated SMSC speaking d, keeping the last
// submitLog Submits, until the test ends.
func startSMSC(t *testing.T, d codec.Dialect, submitLog int) *smg.Server {
	t.Helper()
	s, err := smg.Start(smg.Config{Dialect: d, Accounts: map[string]string{testLogin: testSecret}, SubmitLog: submitLog,
		ResendTimeout: time.Second, MaxResends: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func next(t *testing.T, ch <-chan sp.Delivery) sp.Delivery {
	t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery")
	}
	return sp.Delivery{}
}

// TestSMPPLoadSpreadsOverUsers: the load generator spreads SMPP Submits
// over users. SMPP's destination_addr is a string as long as the number,
// so the recipient slot is the users' length; it was the length of "1",
// and 11-digit users were refused ("longer than 2"): spsim could not load
// an SMPP gateway.
func TestSMPPLoadSpreadsOverUsers(t *testing.T) {
	d := smpp.NewDialect(smpp.Options{})
	s := startSMSC(t, d, 100)
	users := []string{"13800000001", "13800000002", "13800000003", "13800000004"}
	rep, err := sp.Run(testCtx(t), sp.LoadConfig{Dialect: d, Addr: s.Addr(), Login: testLogin, Secret: testSecret,
		Conns: 1, Window: 8, Total: 40,
		Mix: []sp.MTTemplate{{Spread: true, MT: sp.MT{SPNumber: "10655123", Users: users, Text: "s"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Answered() != 40 {
		t.Fatalf("%d answered, want 40", rep.Answered())
	}
	subs, err := s.WaitSubmits(40, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, sub := range subs {
		count[strings.Join(sub.Recipients, ",")]++
	}
	for _, u := range users {
		if count[u] != 10 {
			t.Errorf("user %s got %d Submits, want 10 (%v)", u, count[u], count)
		}
	}
}
