package smgp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// reportText builds a report text with the labels and separator of one
// spelling; id is the raw 10 bytes.
func reportText(id MsgID, sep string, labels [8]string, text string) []byte {
	vals := [...]string{string(id[:]), "001", "001", "2607011200", "2607011201", "UNDELIV", "004", text}
	var b []byte
	for i, l := range labels {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, l...)
		b = append(b, ':')
		b = append(b, vals[i]...)
	}
	return b
}

func TestParseReportSpellings(t *testing.T) {
	id := mustID("01006101161700012345")
	want := Report{ID: id, Sub: "001", Dlvrd: "001", SubmitDate: "2607011200", DoneDate: "2607011201",
		Stat: StatUndeliverable, Err: "004", Text: "012hello"}
	cases := []struct {
		name    string
		content []byte
	}{
		{"spec prose and go_smgp (V5): Submit date, Text", reportText(id, " ",
			[8]string{"id", "sub", "dlvrd", "Submit date", "done date", "stat", "err", "Text"}, "012hello")},
		{"mixed capitals: Done Date, Stat", reportText(id, " ",
			[8]string{"Id", "Sub", "Dlvrd", "Submit Date", "Done Date", "Stat", "Err", "Text"}, "012hello")},
		{"SMSGate: lower case", reportText(id, " ",
			[8]string{"id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text"}, "012hello")},
		{"gosmgp: submit_date, done_date", reportText(id, " ",
			[8]string{"id", "sub", "dlvrd", "submit_date", "done_date", "stat", "err", "text"}, "012hello")},
		{"gateway: s separator, capitalised", reportText(id, "s",
			[8]string{"id", "Sub", "Dlvrd", "Submit_Date", "Done_Date", "Stat", "Err", "Text"}, "012hello")},
		{"SMSGate gateway sample: no separator after the id, txt", append(
			append([]byte("id:"), id[:]...),
			[]byte("sub:001 dlvrd:001 submit_date:2607011200 done_date:2607011201 stat:UNDELIV err:004 txt:012hello")...)},
		{"upper case labels", reportText(id, " ",
			[8]string{"ID", "SUB", "DLVRD", "SUBMIT DATE", "DONE DATE", "STAT", "ERR", "TEXT"}, "012hello")},
		{"text NUL-padded to 20", reportText(id, " ",
			[8]string{"id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text"}, "012hello\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseReport(c.content)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("got %+v", got)
			}
			gotID, stat := scanReport(c.content)
			if !bytes.Equal(gotID, id[:]) || string(stat) != StatUndeliverable {
				t.Fatalf("scanReport %x %q", gotID, stat)
			}
		})
	}
}

func TestReportCanonicalForm(t *testing.T) {
	canon := v5Report().Append(nil)
	// V5 differs from the canonical form only in go_smgp's two capitals.
	want := bytes.Replace(bytes.Replace(v5Content, []byte(" Submit date:"), []byte(" submit date:"), 1),
		[]byte(" Text:"), []byte(" text:"), 1)
	if !bytes.Equal(canon, want) {
		t.Fatalf("canonical\n%q\nwant\n%q", canon, want)
	}
	// Value offsets of docs/protocols/smgp30.md §9.
	for off, v := range map[int]string{18: "001", 28: "001", 44: "0301161700", 65: "0301161701", 81: "DELIVRD", 93: "000"} {
		if got := string(canon[off : off+len(v)]); got != v {
			t.Errorf("offset %d: %q, want %q", off, got, v)
		}
	}
	if string(canon[3:13]) != string(codectest.MustHex("01006101161700012345")) || len(canon) != ReportLen {
		t.Error("id or length")
	}
	t.Run("values are cut and padded to their widths", func(t *testing.T) {
		r := Report{Sub: "1", Stat: "DELIVERED", Text: strings.Repeat("x", 30)}
		b := r.Append(nil)
		if len(b) != ReportLen || string(b[81:88]) != "DELIVER" || string(b[18:21]) != "1\x00\x00" {
			t.Fatalf("%q", b)
		}
	})
	t.Run("id bytes are never cut at 0x00", func(t *testing.T) {
		r := Report{ID: mustID("00000000000000000001"), Stat: StatDelivered}
		got, err := ParseReport(r.Append(nil))
		if err != nil || got.ID != r.ID {
			t.Fatalf("%+v %v", got, err)
		}
	})
}

func TestParseReportErrors(t *testing.T) {
	full := v5Content
	cases := []struct {
		name     string
		content  []byte
		field    string
		sentinel error
	}{
		{"empty", nil, "id", codec.ErrBadValue},
		{"no id label", []byte("sub:001"), "id", codec.ErrBadValue},
		{"id cut short", full[:8], "id", codec.ErrShortFrame},
		{"stat missing", bytes.Replace(full, []byte("stat:"), []byte("xxxx:"), 1), "stat", codec.ErrBadValue},
		{"done date cut short", full[:70], "done_date", codec.ErrShortFrame},
		{"cut after the id", full[:13], "sub", codec.ErrBadValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseReport(c.content)
			codectest.WantFieldError(t, err, c.field, -1, c.sentinel)
		})
	}
	t.Run("text label is optional", func(t *testing.T) {
		r, err := ParseReport(full[:96])
		if err != nil || r.Text != "" || r.Err != "000" {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("every prefix fails or parses without panicking", func(t *testing.T) {
		for n := range len(full) {
			r, err := ParseReport(full[:n])
			if err == nil && n < 96 {
				t.Fatalf("prefix %d parsed: %+v", n, r)
			}
			var fe *codec.FieldError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("prefix %d: %v", n, err)
			}
		}
	})
}

func TestFindLabel(t *testing.T) {
	cases := []struct {
		b     string
		label string
		want  int
	}{
		{"stat:X", "stat", 5},
		{"sStat:X", "stat", 6},
		{"submitdate:1", "submit_date", 11},
		{"Submit_Date:1", "submit_date", 12},
		{"submit  date:1", "submit_date", -1}, // one separator at most
		{"sub 001", "sub", -1},                // no colon
		{"st", "stat", -1},
		{"", "id", -1},
	}
	for _, c := range cases {
		if got := findLabel([]byte(c.b), 0, c.label); got != c.want {
			t.Errorf("findLabel(%q, %q) = %d, want %d", c.b, c.label, got, c.want)
		}
	}
}
