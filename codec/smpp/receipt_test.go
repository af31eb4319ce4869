package smpp

import (
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func TestParseReceipt(t *testing.T) {
	full := Receipt{ID: "1234567890", Sub: "001", Dlvrd: "001", SubmitDate: "2607011200", DoneDate: "2607011201",
		Stat: "DELIVRD", Err: "000", Text: "Hello from spsmg", State: StateDelivered}
	cases := []struct {
		name string
		text string
		want Receipt
	}{
		{"the form of SMPP 3.4 Appendix B", receiptText, full},
		{"upper-case labels, Text with a capital",
			"ID:1234567890 SUB:001 DLVRD:001 SUBMIT DATE:2607011200 DONE DATE:2607011201 STAT:DELIVRD ERR:000 Text:Hello from spsmg", full},
		{"underscores in the date labels", "id:1234567890 sub:001 dlvrd:001 submit_date:2607011200 done_date:2607011201 stat:DELIVRD err:000 text:Hello from spsmg", full},
		{"a long hex id and dates with seconds",
			"id:0a1b2c3d4e5f60718293a4b5 sub:001 dlvrd:000 submit date:260701120000 done date:260701130000 stat:UNDELIV err:034 text:",
			Receipt{ID: "0a1b2c3d4e5f60718293a4b5", Sub: "001", Dlvrd: "000", SubmitDate: "260701120000", DoneDate: "260701130000",
				Stat: "UNDELIV", Err: "034", State: StateUndeliverable}},
		{"a UUID id, no text part", "id:f81d4fae-7dec-11d0-a765-00a0c91e6bf6 sub:001 dlvrd:001 submit date:2607011200 done date:2607011201 stat:DELIVRD err:0",
			Receipt{ID: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", Sub: "001", Dlvrd: "001", SubmitDate: "2607011200",
				DoneDate: "2607011201", Stat: "DELIVRD", Err: "0", State: StateDelivered}},
		{"only id, stat and err", "id:77 stat:EXPIRED err:001", Receipt{ID: "77", Stat: "EXPIRED", Err: "001", State: StateExpired}},
		{"text holding label-like words is text", "id:9 stat:DELIVRD text:sub:999 stat:REJECTD",
			Receipt{ID: "9", Stat: "DELIVRD", Text: "sub:999 stat:REJECTD", State: StateDelivered}},
		{"a vendor stat has no state", "id:9 stat:ERR_NUM err:255", Receipt{ID: "9", Stat: "ERR_NUM", Err: "255"}},
		{"trailing NULs after the text", "id:9 stat:ACCEPTD text:ok\x00\x00", Receipt{ID: "9", Stat: "ACCEPTD", Text: "ok", State: StateAccepted}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseReceipt([]byte(c.text))
			if err != nil || got != c.want {
				t.Fatalf("ParseReceipt = %+v, %v\nwant %+v", got, err, c.want)
			}
			again, err := ParseReceipt(got.Append(nil))
			if err != nil || again != got {
				t.Fatalf("Append → ParseReceipt = %+v, %v", again, err)
			}
			id, stat := scanReceipt([]byte(c.text))
			if string(id) != c.want.ID || string(stat) != c.want.Stat {
				t.Fatalf("scanReceipt = %q %q", id, stat)
			}
		})
	}
	t.Run("Append writes the canonical form", func(t *testing.T) {
		if got := string(full.Append(nil)); got != receiptText {
			t.Fatalf("%q", got)
		}
	})
	t.Run("missing id or stat is an error naming it, with what was found", func(t *testing.T) {
		rc, err := ParseReceipt([]byte("sub:001 stat:DELIVRD"))
		if fe := codectest.WantFieldError(t, err, "id", -1, codec.ErrBadValue); fe.PDU != "smpp receipt" || rc.Stat != "DELIVRD" {
			t.Fatalf("%+v", rc)
		}
		_, err = ParseReceipt([]byte("id:5 err:000"))
		codectest.WantFieldError(t, err, "stat", -1, codec.ErrBadValue)
	})
}

func TestDeliverReceiptPrefersTLVs(t *testing.T) {
	d := &Deliver{ESMClass: ESMTypeReceipt, ShortMessage: []byte("id:123 stat:ENROUTE err:000"),
		TLVs: TLVs{TLVCString(TagReceiptedMessageID, "0x7B"), TLVUint8(TagMessageState, uint8(StateRejected))}}
	rc, err := d.Receipt()
	if err != nil || rc.ID != "0x7B" || rc.State != StateRejected || rc.Stat != "REJECTD" || rc.Err != "000" {
		t.Fatalf("%+v %v", rc, err)
	}
	t.Run("TLVs alone make a receipt", func(t *testing.T) {
		d := &DataSM{ESMClass: ESMTypeReceipt, TLVs: TLVs{TLVCString(TagReceiptedMessageID, "m1"), TLVUint8(TagMessageState, 2)}}
		rc, err := d.Receipt()
		if err != nil || rc.ID != "m1" || rc.Stat != "DELIVRD" {
			t.Fatalf("%+v %v", rc, err)
		}
	})
	t.Run("an MO is not a receipt", func(t *testing.T) {
		_, err := (&Deliver{ShortMessage: []byte("id:1 stat:DELIVRD")}).Receipt()
		codectest.WantFieldError(t, err, "esm_class", -1, codec.ErrBadValue)
	})
	t.Run("neither text nor TLV", func(t *testing.T) {
		_, err := (&Deliver{ESMClass: ESMTypeReceipt, ShortMessage: []byte("garbage")}).Receipt()
		if !errors.Is(err, codec.ErrBadValue) {
			t.Fatal(err)
		}
	})
}

func TestMessageState(t *testing.T) {
	for s, want := range map[MessageState][2]string{
		StateEnroute: {"ENROUTE", "ENROUTE"}, StateDelivered: {"DELIVERED", "DELIVRD"}, StateExpired: {"EXPIRED", "EXPIRED"},
		StateDeleted: {"DELETED", "DELETED"}, StateUndeliverable: {"UNDELIVERABLE", "UNDELIV"},
		StateAccepted: {"ACCEPTED", "ACCEPTD"}, StateUnknown: {"UNKNOWN", "UNKNOWN"}, StateRejected: {"REJECTED", "REJECTD"},
	} {
		if s.String() != want[0] || s.Stat() != want[1] {
			t.Errorf("%d: %s %s", s, s, s.Stat())
		}
		for _, spelling := range []string{want[0], want[1], "x"} {
			got, ok := StateOfStat([]byte(spelling))
			if spelling == "x" {
				if ok {
					t.Errorf("StateOfStat(x) = %v", got)
				}
				continue
			}
			if !ok || got != s {
				t.Errorf("StateOfStat(%s) = %v %v", spelling, got, ok)
			}
		}
		if s.Final() == (s == StateEnroute) {
			t.Errorf("%s Final = %v", s, s.Final())
		}
	}
	if st, ok := StateOfStat([]byte("delivrd")); !ok || st != StateDelivered {
		t.Error("stat is matched in any case")
	}
	if MessageState(9).Stat() != "" || MessageState(0).Final() || MessageState(9).String() != "0x00000009" {
		t.Error("undefined states")
	}
}
