package smpp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// The SMPP Dialect's rules, each against the specification's table it
// comes from. The builders and readers are checked with every other
// protocol's in codec/dialect.

func seq4(n uint32) []byte { return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)} }

func TestDialectRules(t *testing.T) {
	d := NewDialect(Options{})
	if d.Protocol() != codec.SMPP34 || d.Seq() != (codec.SeqLayout{Offset: 12, Len: 4}) || d.Version() != 0x34 {
		t.Errorf("identity %v, seq %+v, version %#x", d.Protocol(), d.Seq(), d.Version())
	}
	// interface_version: 3.4 and "3.3 or earlier" (0x00–0x33); nothing later.
	for v := 0; v < 256; v++ {
		if got := d.AcceptsVersion(uint8(v)); got != (v <= 0x34) {
			t.Errorf("AcceptsVersion(%#x) = %v", v, got)
		}
	}
	for m, want := range map[codec.LoginMode]bool{codec.LoginSubmit: true, codec.LoginDeliver: true, codec.LoginBoth: true,
		codec.LoginModeUnknown: false} {
		if d.AcceptsLoginMode(m) != want {
			t.Errorf("AcceptsLoginMode(%v) = %v", m, !want)
		}
	}
	if d.SplitConnections() || !d.HasActiveTest() || d.SubmitIDIsSeq() || d.LinkIDWidth() != 0 || d.MaxResult() != 1<<32-1 {
		t.Errorf("split %v active test %v submit id is seq %v LinkID width %d max result %d", d.SplitConnections(),
			d.HasActiveTest(), d.SubmitIDIsSeq(), d.LinkIDWidth(), d.MaxResult())
	}
	if NewDialect(Options{LinkIDTag: 0x1401}).LinkIDWidth() != LinkIDLen {
		t.Error("a LinkID TLV gives no slot")
	}
	if f, w := d.LoginField(); f != "SMPP system_id" || w != 15 {
		t.Errorf("LoginField %q %d", f, w)
	}
	if f, w := d.SecretField(); f != "SMPP password" || w != 8 {
		t.Errorf("SecretField %q %d", f, w)
	}
	if d.NotServedResult() != uint32(StatusInvBndSts) || d.ResultText(0x58) != "ESME_RTHROTTLED" ||
		d.LoginResultText(0x0E) != "ESME_RINVPASWD" {
		t.Errorf("not served %#x, texts %q %q", d.NotServedResult(), d.ResultText(0x58), d.LoginResultText(0x0E))
	}
}

// TestDialectResults: the default refusals, and that each one's class (as
// translation reads SMPP codes back) is the class the refusal means, so
// that the refusal table and the translation table never disagree.
func TestDialectResults(t *testing.T) {
	d := NewDialect(Options{})
	want := map[reason.Reason]struct {
		code  uint32
		class codec.ResultClass
	}{
		reason.NotSubscribed:       {0x046A, codec.ResultNotSubscribed},
		reason.LinkIDUnknown:       {0x046B, codec.ResultLinkID},
		reason.LinkIDExpired:       {0x046B, codec.ResultLinkID},
		reason.LinkIDWrongUser:     {0x046B, codec.ResultLinkID},
		reason.LinkIDWrongSP:       {0x046B, codec.ResultLinkID},
		reason.LinkIDWrongService:  {0x046B, codec.ResultLinkID},
		reason.NoticeUnmatched:     {0x046B, codec.ResultLinkID},
		reason.LinkIDUsedUp:        {0x0470, codec.ResultLinkID},
		reason.NoRecipients:        {0x0B, codec.ResultBadDest},
		reason.BadRecipient:        {0x0B, codec.ResultBadDest},
		reason.StoreUnavailable:    {0x14, codec.ResultBusy},
		reason.SubscriptionPaused:  {0x046C, codec.ResultUserBarred},
		reason.FlowControl:         {0x58, codec.ResultThrottled},
		reason.WindowFull:          {0x58, codec.ResultThrottled},
		reason.UpstreamUnavailable: {0x14, codec.ResultBusy},
		reason.UpstreamTimeout:     {0x14, codec.ResultBusy},
		reason.ServiceNotAllowed:   {0x15, codec.ResultBadService},
		reason.SPNumberNotAllowed:  {0x0A, codec.ResultBadSource},
		reason.Malformed:           {0x45, codec.ResultBadMessage},
		reason.TooManyRecipients:   {0x33, codec.ResultBadDest},
		reason.AccountSuspended:    {0x047D, codec.ResultSystem},
	}
	tab := d.DefaultResults()
	for _, r := range reason.Refusals() {
		w, ok := want[r]
		if !ok {
			t.Errorf("%s: no expectation", r)
			continue
		}
		if got := tab.Result(r); got != w.code || d.ResultClass(got) != w.class {
			t.Errorf("%s = %#x (class %v), want %#x (%v)", r, got, d.ResultClass(got), w.code, w.class)
		}
		// A retryable refusal must read as retryable to an SMPP client.
		if r.Retryable() != d.ResultClass(tab.Result(r)).Retryable() {
			t.Errorf("%s: retryable %v, its code's class %v", r, r.Retryable(), d.ResultClass(tab.Result(r)))
		}
	}
	for r := reason.Reason(0); r < reason.NotSubscribed; r++ {
		if tab.Result(r) != 0 {
			t.Errorf("allow reason %s has result %#x", r, tab.Result(r))
		}
	}
}

func TestDialectLogin(t *testing.T) {
	d := NewDialect(Options{})
	for mode, cmd := range map[codec.LoginMode]CommandID{codec.LoginSubmit: CmdBindTransmitter,
		codec.LoginDeliver: CmdBindReceiver, codec.LoginBoth: CmdBindTransceiver} {
		f := d.AppendLogin(nil, seq4(7), &codec.Login{Name: "sp1", Secret: "secret08", Mode: mode})
		h, p, err := Decode(f)
		if err != nil || h.CommandID != cmd || h.SequenceNumber != 7 {
			t.Fatalf("%v: %v %v %v", mode, h.CommandID, h.SequenceNumber, err)
		}
		if b := p.(*Bind); b.SystemID != "sp1" || b.Password != "secret08" || b.InterfaceVersion != 0x34 {
			t.Errorf("%v: bind %+v", mode, b)
		}
		l, err := d.DecodeLogin(f)
		if err != nil || l.Mode != mode || l.Name != "sp1" || l.Version != 0x34 {
			t.Fatalf("%v: login %+v, %v", mode, l, err)
		}
		// The answer is the bind's own response.
		r := d.AppendLoginResp(nil, seq4(7), &l, codec.LoginOK, "secret08")
		if h, _, err := Decode(r); err != nil || h.CommandID != cmd.Response() || h.SequenceNumber != 7 {
			t.Errorf("%v: answered %v seq %d, %v", mode, h.CommandID, h.SequenceNumber, err)
		}
		lr, err := d.DecodeLoginResp(r)
		if err != nil || lr.Status != 0 || lr.Version != 0x34 {
			t.Errorf("%v: login response %+v, %v", mode, lr, err)
		}
	}
	l, _ := d.DecodeLogin(d.AppendLogin(nil, seq4(1), &codec.Login{Name: "sp1", Secret: "pw", Mode: codec.LoginBoth}))
	for secret, ok := range map[string]bool{"pw": true, "pw\x00": false, "p": false, "pwx": false, "PW": false, "": false,
		"pw-longer-than-8": false} {
		if d.VerifyLogin(&l, secret) != ok {
			t.Errorf("VerifyLogin(%q) = %v", secret, !ok)
		}
	}
	// An eight-character password is the longest; a ninth is cut off when
	// sent, so a nine-character secret can never match.
	l8, _ := d.DecodeLogin(d.AppendLogin(nil, seq4(1), &codec.Login{Name: "sp1", Secret: "12345678", Mode: codec.LoginBoth}))
	if !d.VerifyLogin(&l8, "12345678") || d.VerifyLogin(&l8, "123456789") {
		t.Error("eight-character password")
	}
	statuses := map[codec.LoginStatus]Status{codec.LoginUnknownAccount: StatusInvSysID, codec.LoginBadCredentials: StatusInvPaswd,
		codec.LoginRepeated: StatusAlyBnd, codec.LoginBadIP: StatusBindFail, codec.LoginTooManyConnections: StatusBindFail}
	for st, want := range statuses {
		lr, err := d.DecodeLoginResp(d.AppendLoginResp(nil, seq4(2), &l, st, ""))
		if err != nil || lr.Status != uint32(want) {
			t.Errorf("%v: status %#x, %v; want %v", st, lr.Status, err, want)
		}
	}
	if _, err := d.DecodeLogin(AppendUnbind(nil, 3)); !errors.Is(err, codec.ErrWrongCommand) {
		t.Errorf("DecodeLogin(unbind): %v", err)
	}
}

// TestDialectAnswers: every request the gateway answers itself gets its
// own response with the request's sequence; a command spsmg does not know
// or serve gets generic_nack ESME_RINVCMDID.
func TestDialectAnswers(t *testing.T) {
	d := NewDialect(Options{})
	view := func(f []byte) (codec.View, error) {
		var v codec.View
		err := d.ParseView(f, &v)
		return v, err
	}
	for _, c := range []struct {
		req  []byte
		resp CommandID
	}{
		{d.AppendSubmit(nil, seq4(9), &codec.Submit{Dests: []string{"13800138000"}}), CmdSubmitSMResp},
		{Append(nil, 9, StatusOK, &DataSM{DestinationAddr: "13800138000"}), CmdDataSMResp},
		{d.AppendDeliver(nil, seq4(9), &codec.Deliver{User: "13800138000"}), CmdDeliverSMResp},
		{AppendEnquireLink(nil, 9), CmdEnquireLinkResp},
		{AppendUnbind(nil, 9), CmdUnbindResp},
		{Append(nil, 9, StatusOK, &Raw{ID: CmdQuerySM, Body: codec.Octets{'1', 0, 0, 0, 0}}), CmdQuerySMResp},
		{Append(nil, 9, StatusOK, &Raw{ID: CmdCancelSM, Body: codec.Octets{0}}), CmdCancelSMResp},
	} {
		v, err := view(c.req)
		if err != nil {
			t.Fatal(err)
		}
		for _, result := range []uint32{0, 0x14} {
			h, _, err := Decode(d.AppendResp(nil, &v, result))
			if err != nil || h.CommandID != c.resp || h.SequenceNumber != 9 || uint32(h.CommandStatus) != result {
				t.Errorf("%v → %v seq %d status %v, %v; want %v", CommandID(v.Command), h.CommandID, h.SequenceNumber,
					h.CommandStatus, err, c.resp)
			}
		}
	}
	// Unknown and not served: generic_nack, ESME_RINVCMDID, the request's sequence.
	multi := Append(nil, 11, StatusOK, &Raw{ID: CmdSubmitMulti, Body: codec.Octets{0, 0, 0, '1', 0, 1}})
	for name, f := range map[string][]byte{
		"unknown":            appendEmpty(nil, 0x0000_0099, StatusOK, 11),
		"submit_multi":       multi,
		"outbind":            Append(nil, 11, StatusOK, &Raw{ID: CmdOutbind, Body: codec.Octets{'s', 0, 0}}),
		"alert_notification": Append(nil, 11, StatusOK, &Raw{ID: CmdAlertNotification, Body: codec.Octets{0, 0, 0, 0, 0, 0}}),
	} {
		v, err := view(f)
		if !errors.Is(err, codec.ErrUnknownCommand) || v.Kind != codec.KindUnknown {
			t.Errorf("%s: kind %v, %v", name, v.Kind, err)
		}
		h, _, err := Decode(d.AppendNack(nil, &v))
		if err != nil || h.CommandID != CmdGenericNack || h.CommandStatus != StatusInvCmdID || h.SequenceNumber != 11 {
			t.Errorf("%s: nack %+v, %v", name, h, err)
		}
	}
	// The Wire (the decode tool) still reads submit_multi as a Submit.
	var v codec.View
	if err := ParseView(multi, &v); err != nil || v.Kind != codec.KindSubmit {
		t.Errorf("Wire view of submit_multi: %v %v", v.Kind, err)
	}
	if got := d.AppendNack(nil, &codec.View{}); len(got) != 0 {
		t.Errorf("nack without a header: %x", got)
	}
	// No response exists for a response.
	if got := d.AppendResp(nil, &codec.View{Kind: codec.KindSubmitResp, Command: uint32(CmdSubmitSMResp), Sequence: seq4(1)}, 0); len(got) != 0 {
		t.Errorf("answered a response: %x", got)
	}
}

// TestDialectSequences: SMPP sequences are 0x00000001–0x7FFFFFFF.
func TestDialectSequences(t *testing.T) {
	d := NewDialect(Options{})
	for in, want := range map[uint32]uint32{1: 1, 0x7fffffff: 0x7fffffff, 0x80000005: 5, 0x81000000: 0x01000000, 0: 1, 0x80000000: 1} {
		b := make([]byte, 4)
		d.PutSeq(b, 3000000001, 1010101, in)
		if got := codec.Uint32Of(b); got != want {
			t.Errorf("PutSeq(%#x) wrote %#x, want %#x", in, got, want)
		}
	}
}

// TestDialectSetLinkIDAmongTLVs: the LinkID TLV is rewritten where it is,
// between others, and the frame stays whole.
func TestDialectSetLinkIDAmongTLVs(t *testing.T) {
	d := NewDialect(Options{LinkIDTag: 0x1401})
	p := &Deliver{SourceAddr: "13800138000", DestinationAddr: "10655123", ShortMessage: []byte("hi"),
		TLVs: TLVs{TLVUint16(TagSourcePort, 7), {Tag: 0x1401, Value: codec.Octets("OLD")}, TLVUint16(TagDestinationPort, 9)}}
	frame := Append(nil, 5, StatusOK, p)
	var v codec.View
	if err := d.ParseView(frame, &v); err != nil || string(v.LinkID()) != "OLD" {
		t.Fatalf("%q %v", v.LinkID(), err)
	}
	out := d.SetLinkID(frame, &v, "NEW00002")
	_, q, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	got := q.(*Deliver).TLVs
	if len(got) != 3 || got[0].Tag != TagSourcePort || got[1].Tag != TagDestinationPort || got[2].Tag != 0x1401 ||
		!bytes.Equal(got[2].Value, []byte("NEW00002")) {
		t.Errorf("TLVs %+v", got)
	}
	// Same length: in place, the same frame.
	var w codec.View
	_ = d.ParseView(out, &w)
	if again := d.SetLinkID(out, &w, "NEW00003"); &again[0] != &out[0] || !bytes.Contains(out, []byte("NEW00003")) {
		t.Error("a LinkID of the slot's length was not written in place")
	}
}
