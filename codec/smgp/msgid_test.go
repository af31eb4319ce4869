package smgp

import (
	"encoding/json"
	"testing"
)

func TestMsgIDText(t *testing.T) {
	id := mustID("01006101161700012345")
	if id.String() != "01006101161700012345" {
		t.Fatal(id.String())
	}
	b, err := json.Marshal(struct{ ID MsgID }{id})
	if err != nil || string(b) != `{"ID":"01006101161700012345"}` {
		t.Fatalf("%s %v", b, err)
	}
	var back struct{ ID MsgID }
	if err := json.Unmarshal(b, &back); err != nil || back.ID != id {
		t.Fatalf("%v %v", back, err)
	}
	for _, bad := range []string{"", "0100610116170001234", "010061011617000123456", "zz006101161700012345"} {
		if _, err := ParseMsgID(bad); err == nil {
			t.Errorf("ParseMsgID(%q) accepted", bad)
		}
	}
	t.Run("0x00 bytes are kept", func(t *testing.T) {
		id := mustID("0000ff06121423277475")
		var sr SubmitResp
		frame := Append(nil, V30, 1, &SubmitResp{MsgID: id})
		_, p, err := Decode(frame, V30)
		if err != nil {
			t.Fatal(err)
		}
		sr = *p.(*SubmitResp)
		if sr.MsgID != id || sr.MsgID.String() != "0000ff06121423277475" {
			t.Fatalf("%s", sr.MsgID)
		}
	})
}

func TestMsgIDAdd(t *testing.T) {
	cases := []struct {
		name string
		id   string
		n    int
		want string
	}{
		{"BCD +1", "01006101161700012345", 1, "01006101161700012346"},
		{"BCD group range", "01006101161700012345", 99, "01006101161700012444"},
		{"BCD carries across bytes", "01006101161700009999", 1, "01006101161700010000"},
		{"BCD wraps at 999999 without touching the time", "01006101161700999999", 1, "01006101161700000000"},
		{"BCD wraps by more", "01006101161700999998", 5, "01006101161700000003"},
		{"BCD negative", "01006101161700000000", -1, "01006101161700999999"},
		{"BCD large n", "01006101161700000001", 2000001, "01006101161700000002"},
		{"BCD sequence in a non-BCD id stays decimal", "0000ff06121423277475", 525, "0000ff06121423278000"},
		{"non-BCD sequence adds in binary", "6495c36ac4ea6b00000b", 1, "6495c36ac4ea6b00000c"},
		{"non-BCD carries in binary", "6495c36ac4ea6b0000ff", 1, "6495c36ac4ea6b000100"},
		{"non-BCD wraps at 2^24", "6495c36ac4ea6bffffff", 1, "6495c36ac4ea6b000000"},
		{"non-BCD negative", "6495c36ac4ea6b00000a", -11, "6495c36ac4ea6bffffff"},
		{"zero", "01006101161700012345", 0, "01006101161700012345"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := mustID(c.id)
			if got := MsgIDAdd(in, c.n); got.String() != c.want {
				t.Fatalf("MsgIDAdd(%s, %d) = %s, want %s", c.id, c.n, got, c.want)
			}
			if in.String() != c.id {
				t.Fatal("MsgIDAdd changed its argument")
			}
		})
	}
}

func TestMsgIDParts(t *testing.T) {
	p, ok := mustID("01006101161700012345").Parts()
	if !ok || p != (MsgIDParts{SMGW: "010061", Time: "01161700", Sequence: 12345}) {
		t.Fatalf("%+v %v", p, ok)
	}
	for _, s := range []string{"0000ff06121423277475", "6495c36ac4ea6b00000b"} {
		if _, ok := mustID(s).Parts(); ok {
			t.Errorf("%s split as BCD", s)
		}
	}
	if got := MsgIDFrom([]byte{1, 2}); got != (MsgID{1, 2}) {
		t.Fatal(got)
	}
}
