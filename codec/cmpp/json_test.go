package cmpp

import (
	"encoding/json"
	"testing"

	"github.com/spsmg/spsmg/internal/codectest"
)

// The decode tool prints PDUs as JSON: spec field names, numbers as
// strings, bytes as hex, names for versions and commands.
func TestJSON(t *testing.T) {
	h, p, err := Decode(codectest.ReadHex(t, "v01-connect.hex"), V21)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"header", h, `{"Total_Length":"39","Command_Id":"CMPP_CONNECT","Sequence_Id":"23"}`},
		{"connect", p, `{"Source_Addr":"900001","AuthenticatorSource":"90d00c1d517abd0b4f65f6bcf8535d16","Version":"cmpp2.1","Timestamp":"1021080510"}`},
		{"submit resp", &SubmitResp{MsgID: 0xb2b9da8000010000, Result: 8}, `{"Msg_Id":"12878564852733378560","Result":"8"}`},
		{"report", &Report{MsgID: 1, Stat: "DELIVRD", DestTerminalID: "13800138000", SMSCSequence: 2, Form: Report71},
			`{"Msg_Id":"1","Stat":"DELIVRD","Submit_time":"","Done_time":"","Dest_terminal_Id":"13800138000","SMSC_sequence":"2"}`},
		{"msg id parts", DecodeMsgID(0xb2b9da8000010000), `{"month":11,"day":5,"hour":14,"minute":29,"second":42,"gateway":1,"seq":0}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%s: %s, %v\nwant %s", c.name, b, err, c.want)
		}
	}
}
