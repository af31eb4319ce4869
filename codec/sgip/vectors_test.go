package sgip

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// Every vector of docs/protocols/sgip12.md §9, decoded into the struct
// written out field by field and encoded back to the same bytes.
func TestVectors(t *testing.T) {
	cases := []struct {
		file string
		seq  Sequence
		want PDU
	}{
		{"v1-submit-smsgate.hex", Sequence{Node: 0, Time: 301151218, Counter: 1857753309}, &Submit{
			SPNumber:         "106559125028",
			ChargeNumber:     "",
			UserNumber:       []string{"8618657118636"},
			CorpID:           "61118",
			ServiceType:      "",
			FeeType:          FeeTypeMessage,
			FeeValue:         "",
			GivenValue:       "",
			AgentFlag:        0,
			MorelatetoMTFlag: 0,
			Priority:         9,
			ExpireTime:       "",
			ScheduleTime:     "",
			ReportFlag:       ReportFlagAlways,
			TPPID:            0,
			TPUDHI:           0,
			MessageCoding:    0,
			MessageType:      0,
			MessageContent:   codec.Octets("233a"),
			Reserve:          nil,
		}},
		{"v2-bind.hex", spSeq, &Bind{
			LoginType:     LoginSPToSMG,
			LoginName:     "sp12345",
			LoginPassword: "pwd12345",
		}},
		{"v3-bind-resp.hex", spSeq, &Resp{ID: CmdBindResp, Result: OK}},
		{"v4-submit-linkid.hex", spSeq, &Submit{
			SPNumber:         "1065512345",
			ChargeNumber:     "",
			UserNumber:       []string{"8613800138000"},
			CorpID:           "12345",
			ServiceType:      "HELP",
			FeeType:          FeeTypeMessage,
			FeeValue:         "10",
			GivenValue:       "0",
			AgentFlag:        0,
			MorelatetoMTFlag: 0,
			Priority:         0,
			ReportFlag:       ReportFlagAlways,
			TPPID:            0,
			TPUDHI:           0,
			MessageCoding:    8,
			MessageType:      0,
			MessageContent:   codec.Octets{0x4f, 0x60, 0x59, 0x7d}, // UCS2 "你好"
			Reserve:          codec.Octets("12345678"),
		}},
		{"v5-deliver.hex", smgSeq, &Deliver{
			UserNumber:     "8613800138000",
			SPNumber:       "1065512345",
			TPPID:          0,
			TPUDHI:         0,
			MessageCoding:  0,
			MessageContent: codec.Octets("DZ HELP"),
		}},
		{"v6-report.hex", smgSeq, &Report{
			SubmitSequenceNumber: spSeq,
			ReportType:           ReportTypeSubmit,
			UserNumber:           "8613800138000",
			State:                StateDelivered,
			ErrorCode:            OK,
		}},
		{"v7a-unbind.hex", spSeq, &Unbind{}},
		{"v7b-unbind-resp.hex", spSeq, &UnbindResp{}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) { checkVector(t, c.file, c.seq, c.want) })
		seen[c.file] = true
	}
	for _, name := range vectorFiles(t) {
		if !seen[name] {
			t.Errorf("testdata/%s has no expected struct", name)
		}
	}
}

// V1 is the only vector taken from a published test file; V4 carries a
// LinkID in Reserve (§8) and V6 reports on V4.
func TestVectorRelations(t *testing.T) {
	v4, v6 := codectest.ReadHex(t, "v4-submit-linkid.hex"), codectest.ReadHex(t, "v6-report.hex")
	var sub, rep codec.View
	if err := ParseView(v4, &sub); err != nil {
		t.Fatal(err)
	}
	if err := ParseView(v6, &rep); err != nil {
		t.Fatal(err)
	}
	if string(sub.Sequence) != string(rep.ReportMsgID) {
		t.Errorf("V6 ReportMsgID %x is not V4's sequence %x", rep.ReportMsgID, sub.Sequence)
	}
	if string(sub.LinkID()) != "12345678" {
		t.Errorf("V4 LinkID = %q", sub.LinkID())
	}
	if got := SequenceOf(v4).String(); got != "3075512345-1120203225-1" {
		t.Errorf("V4 sequence = %s", got)
	}
}

func TestHeader(t *testing.T) {
	v4 := codectest.ReadHex(t, "v4-submit-linkid.hex")
	h, err := DecodeHeader(v4)
	if err != nil || h != (Header{Length: 168, Command: CmdSubmit, Sequence: spSeq}) {
		t.Fatalf("DecodeHeader = %+v, %v", h, err)
	}
	if got := AppendHeader(nil, h); string(got) != string(v4[:HeaderLen]) {
		t.Errorf("AppendHeader = %x, want %x", got, v4[:HeaderLen])
	}
	if CommandOf(v4) != CmdSubmit {
		t.Errorf("CommandOf = %v", CommandOf(v4))
	}
	fr := NewFramer(0)
	if n, err := fr.Split(append(v4, 0, 0)); n != len(v4) || err != nil {
		t.Errorf("Split = %d, %v", n, err)
	}
	if _, err := fr.Split([]byte{0, 0, 0, 19}); err == nil {
		t.Error("Split accepted a length below the 20-byte header")
	}
}
