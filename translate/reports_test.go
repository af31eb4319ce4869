package translate

import (
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/smpp"
)

// smppReceipt decodes an SMPP receipt frame into its text and TLVs.
func smppReceipt(t *testing.T, frame []byte) (*smpp.Deliver, smpp.Receipt) {
	t.Helper()
	_, pdu, err := smpp.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := pdu.(*smpp.Deliver)
	if !ok || d.ESMClass != smpp.ESMTypeReceipt {
		t.Fatalf("%T esm_class %#x, want a receipt deliver_sm", pdu, d.ESMClass)
	}
	rc, err := smpp.ParseReceipt(d.ShortMessage)
	if err != nil {
		t.Fatal(err)
	}
	return d, rc
}

// TestReceiptFromEveryForm: a CMPP report Deliver, an SGIP Report and an
// SMGP report become an SMPP receipt: the id: text and the
// receipted_message_id TLV name the SP's id, stat: and message_state say
// the same state, err: carries the upstream's error where it has one.
func TestReceiptFromEveryForm(t *testing.T) {
	spID := idGen(smppFace).Append(nil, 1)
	cases := []struct {
		up       Face
		in       codec.Report
		stat     string
		state    smpp.MessageState
		err      string
		dates    [2]string
		sgipCode uint8
	}{
		{cmpp3, codec.Report{Stat: "DELIVRD", SubmitTime: "2603141500", DoneTime: "2603141501"}, "DELIVRD", smpp.StateDelivered, "000", [2]string{"2603141500", "2603141501"}, 0},
		{cmpp3, codec.Report{Stat: "MA:0054", SubmitTime: "2603141500", DoneTime: "2603141501"}, "UNDELIV", smpp.StateUndeliverable, "006", [2]string{"2603141500", "2603141501"}, 0},
		{cmpp.NewDialect(cmpp.V20), codec.Report{Stat: "EXPIRED", SubmitTime: "2603141500", DoneTime: "2603150900"}, "EXPIRED", smpp.StateExpired, "001", [2]string{"2603141500", "2603150900"}, 0},
		{smgp.NewDialect(smgp.V30), codec.Report{Stat: "UNDELIV", Err: "005", SubmitTime: "2603141500", DoneTime: "2603141501"}, "UNDELIV", smpp.StateUndeliverable, "005", [2]string{"2603141500", "2603141501"}, 0},
		{sgip.Dialect{}, codec.Report{Stat: "UNDELIV"}, "UNDELIV", smpp.StateUndeliverable, "029", [2]string{"2603141509", "2603141509"}, 29},
		{sgip.Dialect{}, codec.Report{Stat: "DELIVRD"}, "DELIVRD", smpp.StateDelivered, "000", [2]string{"2603141509", "2603141509"}, 0},
	}
	for _, c := range cases {
		in := c.in
		in.SubmitID, in.User, in.SPNumber, in.MsgID = upstreamID(t, c.up, 0), "13800138000", "10655123", upstreamID(t, c.up, 2)
		frame := c.up.AppendReport(nil, spSeq(c.up, 1), &in)
		if c.sgipCode != 0 { // SGIP's builder derives ErrorCode; put the carrier's own
			frame[len(frame)-9] = c.sgipCode
		}
		out, err := NewPair(smppFace, c.up, testOptions).Report(frame, spID, nil, testNow)
		if err != nil {
			t.Fatal(err)
		}
		d, rc := smppReceipt(t, out)
		id, _ := d.TLVs.ReceiptedMessageID()
		state, _ := d.TLVs.MessageState()
		if rc.ID != string(spID) || id != string(spID) {
			t.Errorf("%s: id: %q receipted_message_id %q, want %q", c.up.Protocol(), rc.ID, id, spID)
		}
		if rc.Stat != c.stat || state != c.state || rc.Err != c.err {
			t.Errorf("%s %s: stat:%s message_state %v err:%s, want %s %v %s", c.up.Protocol(), c.in.Stat, rc.Stat, state, rc.Err,
				c.stat, c.state, c.err)
		}
		if rc.SubmitDate != c.dates[0] || rc.DoneDate != c.dates[1] {
			t.Errorf("%s: dates %s %s, want %v", c.up.Protocol(), rc.SubmitDate, rc.DoneDate, c.dates)
		}
		if d.SourceAddr != "8613800138000" || d.SourceAddrTON != 1 || d.DestinationAddr != in.SPNumber && c.up.Protocol() != codec.SGIP {
			t.Errorf("%s: source %d/%q dest %q", c.up.Protocol(), d.SourceAddrTON, d.SourceAddr, d.DestinationAddr)
		}
		if want := "id:" + string(spID) + " sub:001 dlvrd:"; !strings.HasPrefix(string(d.ShortMessage), want) {
			t.Errorf("receipt text %q", d.ShortMessage)
		}
	}
}

// TestReceiptToEveryForm: an SMPP receipt (text and TLVs) becomes a CMPP
// report Deliver, an SGIP Report (State, ErrorCode) and an SMGP report
// (err kept), naming the SP's id.
func TestReceiptToEveryForm(t *testing.T) {
	receipt := smpp.Receipt{ID: "a1b2c3d4e5", Sub: "001", Dlvrd: "000", SubmitDate: "260314150026",
		DoneDate: "260314150312", Stat: "UNDELIV", Err: "013", Text: "hello"}
	frame := smpp.Append(nil, 9, 0, &smpp.Deliver{SourceAddr: "+8613800138000", DestinationAddr: "10655123",
		ESMClass: smpp.ESMTypeReceipt, ShortMessage: receipt.Append(nil),
		TLVs: smpp.TLVs{smpp.TLVCString(smpp.TagReceiptedMessageID, receipt.ID), smpp.TLVUint8(smpp.TagMessageState, 5)}})
	for _, sp := range []Face{cmpp3, cmpp.NewDialect(cmpp.V20), sgip.Dialect{}, smgp.NewDialect(smgp.V30)} {
		spID := spIDOf(sp)
		out, err := NewPair(sp, smppFace, testOptions).Report(frame, spID, idGen(sp), testNow)
		if err != nil {
			t.Fatal(err)
		}
		r := decodeDelivery(t, sp, out).Report
		if string(r.SubmitID) != string(spID) || National(r.User) != "13800138000" || r.Stat != "UNDELIV" {
			t.Errorf("%s: %+v", sp.Protocol(), r)
		}
		switch sp.Protocol().Family() {
		case codec.FamilySGIP:
			if r.State != sgip.StateFailed || r.ErrorCode == 0 {
				t.Errorf("SGIP State %d ErrorCode %d", r.State, r.ErrorCode)
			}
		case codec.FamilySMGP:
			if r.Err != "013" || r.SubmitTime != "2603141500" || r.DoneTime != "2603141503" {
				t.Errorf("SMGP err %q dates %q %q", r.Err, r.SubmitTime, r.DoneTime)
			}
		case codec.FamilyCMPP:
			if r.SubmitTime != "2603141500" || r.DoneTime != "2603141503" || r.SPNumber != "10655123" {
				t.Errorf("CMPP dates %q %q Dest_Id %q", r.SubmitTime, r.DoneTime, r.SPNumber)
			}
		}
	}
}

// TestVendorStatWithinFamily: CMPP 3.0 and 2.0 share the gateways' vendor
// stats (MA:0054), so a report between them keeps it.
func TestVendorStatWithinFamily(t *testing.T) {
	cmpp2 := cmpp.NewDialect(cmpp.V20)
	in := codec.Report{MsgID: []byte{1}, SubmitID: []byte{0, 0, 0, 0, 0, 0, 0, 9}, User: "13800138000", Stat: "MA:0054"}
	frame := cmpp3.AppendReport(nil, spSeq(cmpp3, 1), &in)
	out, err := NewPair(cmpp2, cmpp3, testOptions).Report(frame, spIDOf(cmpp2), idGen(cmpp2), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeDelivery(t, cmpp2, out).Report; r.Stat != "MA:0054" {
		t.Errorf("stat %q", r.Stat)
	}
}

// TestNotAReport: Report refuses an MO and MO refuses a report; an SGIP
// UserRpt has no equivalent.
func TestNotAReport(t *testing.T) {
	mo := cmpp3.AppendDeliver(nil, spSeq(cmpp3, 1), &codec.Deliver{MsgID: []byte{1}, User: "13800138000", SPNumber: "1065"})
	p := NewPair(smppFace, cmpp3, testOptions)
	if _, err := p.Report(mo, []byte("x"), nil, testNow); err == nil {
		t.Error("an MO read as a report")
	}
	rep := cmpp3.AppendReport(nil, spSeq(cmpp3, 1), &codec.Report{MsgID: []byte{1}, SubmitID: []byte{2}, Stat: "DELIVRD"})
	if _, err := p.MO(rep, nil, testNow); err == nil {
		t.Error("a report read as an MO")
	}
	userRpt := sgip.Append(nil, sgip.Sequence{Node: 1}, &sgip.UserRpt{SPNumber: "1065", UserNumber: "8613800138000", UserCondition: 1})
	if _, err := NewPair(cmpp3, sgip.Dialect{}, testOptions).MO(userRpt, nil, testNow); !isNoEquivalent(err) {
		t.Errorf("UserRpt: %v", err)
	}
}

func isNoEquivalent(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Err == ErrNoEquivalent
}
