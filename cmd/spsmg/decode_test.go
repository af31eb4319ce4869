package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/sgip"
)

// vectorCase picks the protocol and body flag for a golden vector file of
// the codec packages (each file names its source in docs/protocols).
func vectorCase(path string) (proto, body string) {
	name := filepath.Base(path)
	switch filepath.Base(filepath.Dir(filepath.Dir(path))) {
	case "sgip":
		return "sgip", ""
	case "smpp":
		return "smpp", ""
	case "smgp":
		proto = "smgp"
		if strings.Contains(name, "v13") {
			proto = "smgp1.3"
		}
		if strings.HasPrefix(name, "v9") {
			body = "report"
		}
		return proto, body
	}
	proto = "cmpp3"
	if strings.Contains(name, "2x") || strings.Contains(name, "-60.") {
		proto = "cmpp2"
	}
	switch {
	case strings.Contains(name, "report-body"):
		body = "report"
	case strings.HasSuffix(name, ".body.hex"):
		body = "deliver"
	}
	return proto, body
}

func readVector(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " ")
}

// TestDecodeEveryVector runs the decode tool on every golden vector of
// docs/protocols (the golden files under codec/*/testdata) for all four
// protocol variants.
func TestDecodeEveryVector(t *testing.T) {
	files, _ := filepath.Glob("../../codec/*/testdata/*.hex")
	if len(files) < 30 {
		t.Fatalf("found only %d vectors", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		proto, body := vectorCase(f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			args := []string{"decode", "--proto", proto}
			if body != "" {
				args = append(args, "--body", body)
			}
			var out bytes.Buffer
			if err := run(append(args, readVector(t, f)), nil, &out); err != nil {
				t.Fatalf("decode %v: %v", args, err)
			}
			var doc map[string]any
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			if body != "report" && doc["command"] == "" {
				t.Fatalf("no command in %s", out.String())
			}
			seen[proto] = true
		})
	}
	for _, p := range []string{"sgip", "cmpp2", "cmpp3", "smgp", "smpp"} {
		if !seen[p] {
			t.Errorf("no vector decoded as %s", p)
		}
	}
}

// The testdata files start with '#' comment lines naming their source:
// decode reads them as they are, from standard input or an argument.
func TestDecodeSkipsCommentLines(t *testing.T) {
	files, _ := filepath.Glob("../../codec/*/testdata/*.hex")
	for _, f := range files {
		proto, body := vectorCase(f)
		if proto == "smpp" {
			continue // the decode tool learns SMPP with the protocol layer
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(raw, []byte("#")) {
			continue
		}
		args := []string{"decode", "--proto", proto}
		if body != "" {
			args = append(args, "--body", body)
		}
		var want, fromStdin, fromArg bytes.Buffer
		if err := run(append(args, readVector(t, f)), nil, &want); err != nil {
			t.Fatalf("%s without comments: %v", f, err)
		}
		if err := run(args, bytes.NewReader(raw), &fromStdin); err != nil {
			t.Fatalf("%s on standard input: %v", f, err)
		}
		if err := run(append(args, string(raw)), nil, &fromArg); err != nil {
			t.Fatalf("%s as an argument: %v", f, err)
		}
		if fromStdin.String() != want.String() || fromArg.String() != want.String() {
			t.Fatalf("%s: output with comments differs:\n%s\nwant\n%s", f, fromStdin.String(), want.String())
		}
	}
	// A comment after the hex on a line, and an error offset that still
	// counts the comment's bytes.
	var out bytes.Buffer
	if err := run([]string{"decode", "--proto", "cmpp3", "0000000d 80000008 00000001 # CMPP_ACTIVE_TEST_RESP\n00"}, nil, &out); err != nil {
		t.Fatalf("trailing comment: %v", err)
	}
	err := run([]string{"decode", "--proto", "cmpp3", "# header\n0000000c 8000000Z"}, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "input offset 25: 'Z'") {
		t.Fatalf("bad digit after a comment: %v", err)
	}
}

func TestDecodeOutput(t *testing.T) {
	cases := []struct {
		name, proto, body, file string
		want                    []string
	}{
		{"CMPP 3.0 Submit text decoded", "cmpp3", "", "cmpp/testdata/v05-submit-30.hex",
			[]string{`"command": "CMPP_SUBMIT"`, `"text": "测试gocmpp submit"`, `"coding": "UCS2"`, `"Sequence_Id": "23"`}},
		{"SGIP Submit LinkID in Reserve", "sgip", "", "sgip/testdata/v4-submit-linkid.hex",
			[]string{`"text": "你好"`, `"Reserve": "3132333435363738"`, `"LinkID": "12345678"`, `"UserNumber": [`}},
		{"SMGP Submit TLV listed", "smgp", "", "smgp/testdata/v2_submit_linkid.hex",
			[]string{`"TLVs": [`, `LINK0000000000000001`}},
		{"SMGP report text by label", "smgp", "report", "smgp/testdata/v9b_report_gateway.hex",
			[]string{`"stat": "DELIVRD"`, `05701305301550567501`}},
		{"CMPP 60-byte report body", "cmpp2", "report", "cmpp/testdata/v08b-report-body-60.hex",
			[]string{`"Stat": "DELIVRD"`, `"Dest_terminal_Id": "13412340000"`}},
		{"CMPP MO with 0x40 UDH", "cmpp3", "deliver", "cmpp/testdata/v11-deliver-mo-udhi40-30.body.hex",
			[]string{`"total": "1"`, `"seq": "1"`}},
		{"SMPP submit_sm in the GSM 7-bit default alphabet", "smpp", "", "smpp/testdata/v09-submit-sm-gsm7.hex",
			[]string{`"command": "submit_sm"`, `"coding": "GSM7"`, `"text": "Price: 5€ @ shop"`, `"sequence_number": "`}},
		{"SMPP deliver_sm with a UDH", "smpp", "", "smpp/testdata/v04-deliver-sm-udh.hex",
			[]string{`"command": "deliver_sm"`, `"udh": {`}},
		{"SMPP receipt parsed in the body, no message", "smpp", "", "smpp/testdata/v07-deliver-sm-receipt.hex",
			[]string{`"receipt": {`, `"stat": "DELIVRD"`, `"message_state": "DELIVERED"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"decode", "--proto", c.proto}
			if c.body != "" {
				args = append(args, "--body", c.body)
			}
			var out bytes.Buffer
			in := strings.NewReader(readVector(t, "../../codec/"+c.file)) // from standard input
			if err := run(args, in, &out); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %s:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad hex digit names its offset", []string{"decode", "--proto", "cmpp3", "0000000cZZ"}, `input offset 8: 'Z' is not a hex digit`},
		{"odd digits", []string{"decode", "--proto", "cmpp3", "000"}, "odd number of hex digits"},
		{"truncated Submit names the field and offset", []string{"decode", "--proto", "cmpp3", "000000e1 00000004 00000017 0000000000000000 01 01"},
			"Registered_Delivery at offset 22"},
		{"unknown command", []string{"decode", "--proto", "smgp", "0000000c 00000099 00000001"}, "unknown command"},
		{"unknown protocol", []string{"decode", "--proto", "cmpp4", "00"}, `--proto "cmpp4": want one of [sgip cmpp2 cmpp2.1 cmpp3 smgp smgp1.3 smpp]`},
		{"report for SGIP", []string{"decode", "--proto", "sgip", "--body", "report", "00"}, "SGIP Report is a command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := run(c.args, strings.NewReader(""), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestDecodeSGIPLinkID: an SGIP Submit or Deliver shows its Reserve as the
// LinkID text beside the hex, as CMPP 2.x shows its Reserve LinkID; a
// Reserve that does not read as text stays hex only.
func TestDecodeSGIPLinkID(t *testing.T) {
	var seq sgip.Sequence
	cases := []struct {
		name    string
		pdu     sgip.PDU
		want    []string
		notWant string
	}{
		{"Submit", &sgip.Submit{SPNumber: "1065512345", UserNumber: []string{"8613800138000"}, ServiceType: "HELP",
			Reserve: codec.Octets("LNK00042")},
			[]string{`"Reserve": "4c4e4b3030303432"`, `"LinkID": "LNK00042"`}, ""},
		{"Deliver, LinkID shorter than the slot", &sgip.Deliver{UserNumber: "8613800138000", SPNumber: "1065512345",
			Reserve: codec.Octets("AB12")},
			[]string{`"Reserve": "4142313200000000"`, `"LinkID": "AB12"`}, ""},
		{"Submit, binary Reserve", &sgip.Submit{SPNumber: "1065512345", UserNumber: []string{"8613800138000"},
			Reserve: codec.Octets{0x01, 0xff, 0x41, 0, 0, 0, 0, 0}},
			[]string{`"Reserve": "01ff410000000000"`}, `"LinkID"`},
		{"Submit, empty Reserve", &sgip.Submit{SPNumber: "1065512345", UserNumber: []string{"8613800138000"}},
			[]string{`"Reserve": ""`}, `"LinkID"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			frame := hex.EncodeToString(sgip.Append(nil, seq, c.pdu))
			if err := run([]string{"decode", "--proto", "sgip", frame}, nil, &out); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %s:\n%s", w, out.String())
				}
			}
			if c.notWant != "" && strings.Contains(out.String(), c.notWant) {
				t.Errorf("output has %s:\n%s", c.notWant, out.String())
			}
		})
	}
}

// TestDecodeSMPPReceipt: a delivery receipt is shown parsed in its body, not
// as a message text, and its text alone decodes with --body report.
func TestDecodeSMPPReceipt(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"decode", "--proto", "smpp", readVector(t, "../../codec/smpp/testdata/v07-deliver-sm-receipt.hex")}, nil, &out); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["message"]; ok {
		t.Errorf("a receipt shown as a message:\n%s", out.String())
	}
	out.Reset()
	receipt := hex.EncodeToString([]byte("id:1234567890 sub:001 dlvrd:001 submit date:2607011200 done date:2607011201 stat:UNDELIV err:006 text:x"))
	if err := run([]string{"decode", "--proto", "smpp", "--body", "report", receipt}, nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"protocol": "smpp"`, `"stat": "UNDELIV"`, `"id": "1234567890"`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %s:\n%s", w, out.String())
		}
	}
}
