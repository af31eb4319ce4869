package smpp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestCommandNamesAndKinds(t *testing.T) {
	cases := []struct {
		id   CommandID
		name string
		kind codec.Kind
	}{
		{CmdBindTransmitter, "bind_transmitter", codec.KindLogin},
		{CmdBindTransceiverResp, "bind_transceiver_resp", codec.KindLoginResp},
		{CmdSubmitSM, "submit_sm", codec.KindSubmit},
		{CmdSubmitSMResp, "submit_sm_resp", codec.KindSubmitResp},
		{CmdDataSM, "data_sm", codec.KindSubmit},
		{CmdSubmitMulti, "submit_multi", codec.KindSubmit},
		{CmdDeliverSM, "deliver_sm", codec.KindDeliver},
		{CmdDeliverSMResp, "deliver_sm_resp", codec.KindDeliverResp},
		{CmdEnquireLink, "enquire_link", codec.KindActiveTest},
		{CmdEnquireLinkResp, "enquire_link_resp", codec.KindActiveTestResp},
		{CmdUnbind, "unbind", codec.KindLogout},
		{CmdGenericNack, "generic_nack", codec.KindOtherResp},
		{CmdQuerySM, "query_sm", codec.KindOther},
		{CmdOutbind, "outbind", codec.KindOther},
		{CmdAlertNotification, "alert_notification", codec.KindOther},
		{0x00000099, "0x00000099", codec.KindUnknown},
		{0x80000099, "0x80000099", codec.KindUnknown},
	}
	for _, c := range cases {
		if c.id.String() != c.name || KindOf(c.id) != c.kind {
			t.Errorf("%08x: %s %s, want %s %s", uint32(c.id), c.id, KindOf(c.id), c.name, c.kind)
		}
	}
	if CmdSubmitSM.Response() != CmdSubmitSMResp || !CmdGenericNack.IsResponse() || CmdDataSM.IsResponse() {
		t.Error("response bit")
	}
	if n := testing.AllocsPerRun(100, func() { _ = CmdSubmitSM.String(); _ = StatusThrottled.String() }); n != 0 {
		t.Errorf("String allocates %v", n)
	}
}

func TestStatus(t *testing.T) {
	cases := []struct {
		s          Status
		name, text string
	}{
		{StatusOK, "ESME_ROK", "no error"},
		{StatusThrottled, "ESME_RTHROTTLED", "throttling error (ESME has exceeded allowed message limits)"},
		{StatusInvPaswd, "ESME_RINVPASWD", "invalid password"},
		{StatusXPAppn, "ESME_RX_P_APPN", "ESME receiver permanent app error code"},
		{StatusUnknownErr, "ESME_RUNKNOWNERR", "unknown error"},
		{0x09, "0x00000009", "reserved"},
		{0x0200, "0x00000200", "reserved for SMPP extension"},
		{0x0401, "0x00000401", "SMSC vendor-specific error"},
	}
	for _, c := range cases {
		if c.s.String() != c.name || c.s.Text() != c.text {
			t.Errorf("%d: %s %q", c.s, c.s, c.s.Text())
		}
	}
	var err error = StatusThrottled
	if err.Error() != "smpp: ESME_RTHROTTLED (0x00000058): throttling error (ESME has exceeded allowed message limits)" {
		t.Errorf("%q", err)
	}
	if (Status(0x0401)).Error() != "smpp: status 0x00000401: SMSC vendor-specific error" {
		t.Errorf("%q", Status(0x0401).Error())
	}
	var st Status
	if !errors.As(err, &st) || st != StatusThrottled || !Status(0x4ff).IsVendor() || Status(0x500).IsVendor() {
		t.Error("errors.As / IsVendor")
	}
}

// The decode tool prints PDUs as JSON: the spec's field names in table
// order, numbers as strings, bytes as hex, names for commands and statuses.
func TestJSON(t *testing.T) {
	h, p, err := Decode(codectest.ReadHex(t, "v01-bind-transmitter.hex"))
	if err != nil {
		t.Fatal(err)
	}
	_, s, _ := Decode(codectest.ReadHex(t, "v05-data-sm-tlv.hex"))
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"header", h, `{"command_length":"47","command_id":"bind_transmitter","command_status":"ESME_ROK","sequence_number":"1"}`},
		{"bind", p, `{"system_id":"SMPP3TEST","password":"secret08","system_type":"SUBMIT1","interface_version":"0","addr_ton":"1","addr_npi":"1","address_range":""}`},
		{"data_sm", s, `{"service_type":"abc","source_addr_ton":"28","source_addr_npi":"29","source_addr":"Alicer","dest_addr_ton":"30","dest_addr_npi":"31","destination_addr":"Bobo","esm_class":"77","registered_delivery":"83","data_coding":"91","tlvs":[{"tag":"0x0007","name":"dest_bearer_type","value":"5f"}]}`},
		{"submit_sm_resp", &SubmitResp{MessageID: "football"}, `{"message_id":"football"}`},
		{"receipt", Receipt{ID: "1", Stat: "DELIVRD", State: StateDelivered}, `{"id":"1","sub":"","dlvrd":"","submit_date":"","done_date":"","stat":"DELIVRD","err":"","text":"","message_state":"DELIVERED"}`},
	}
	_, rcpt, _ := Decode(codectest.ReadHex(t, "v07-deliver-sm-receipt.hex"))
	b, _ := json.Marshal(rcpt)
	if want := `,"receipt":{"id":"1234567890","sub":"001","dlvrd":"001","submit_date":"2607011200","done_date":"2607011201","stat":"DELIVRD","err":"000","text":"Hello from spsmg","message_state":"DELIVERED"}}`; !strings.HasSuffix(string(b), want) ||
		!strings.HasPrefix(string(b), `{"service_type":"","source_addr_ton":"1"`) {
		t.Errorf("receipt deliver_sm JSON %s", b)
	}
	_, mo, _ := Decode(codectest.ReadHex(t, "v04-deliver-sm-udh.hex"))
	if b, _ := json.Marshal(mo); strings.Contains(string(b), "receipt") {
		t.Errorf("an MO has a receipt: %s", b)
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%s: %s, %v\nwant %s", c.name, b, err, c.want)
		}
	}
}

func TestMessageOf(t *testing.T) {
	for _, c := range []struct {
		file    string
		coding  uint8
		udhi    bool
		content string
		ok      bool
	}{
		{"v03-submit-sm.hex", 8, false, string(ucs2Hello), true},
		{"v04-deliver-sm-udh.hex", 8, true, string(codectest.MustHex("050003fe0201")) + string(ucs2Hello), true},
		{"v08-submit-sm-sar-payload.hex", 8, false, string(codectest.MustHex("4f60597dff0c4e16754c")), true},
		{"v05-data-sm-tlv.hex", 91, true, "", true},
		{"v03b-submit-sm-resp.hex", 0, false, "", false},
	} {
		_, p, _ := Decode(codectest.ReadHex(t, c.file))
		coding, udhi, content, ok := MessageOf(p)
		if coding != c.coding || udhi != c.udhi || string(content) != c.content || ok != c.ok {
			t.Errorf("%s: %d %v %x %v", c.file, coding, udhi, content, ok)
		}
	}
}
