package udh

import (
	"encoding/hex"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name   string
		hex    string
		ok     bool
		concat bool
		want   Concat
		length int
	}{
		// docs/protocols/long-sms.md §5 worked examples.
		{"cmpp V11 8-bit ref 0 one part", "050003000101", true, true, Concat{Ref: 0, Total: 1, Seq: 1}, 6},
		{"smgp V8 8-bit ref 0x34", "050003340101" + "3010", true, true, Concat{Ref: 0x34, Total: 1, Seq: 1}, 6},
		{"gosmpp two parts first", "050003fe0201", true, true, Concat{Ref: 0xfe, Total: 2, Seq: 1}, 6},
		{"16-bit reference", "06080412340302", true, true, Concat{Ref: 0x1234, Total: 3, Seq: 2, Wide: true}, 7},
		{"port element only", "060504c34f0000", true, false, Concat{}, 7},
		{"port then concat", "0b0504c34f0000" + "0003070201", true, true, Concat{Ref: 7, Total: 2, Seq: 1}, 12},
		{"repeated concat: last wins", "0a000301020100030902" + "02", true, true, Concat{Ref: 9, Total: 2, Seq: 2}, 11},
		// negative vectors from linxGnu/gosmpp pdu/UDH_test.go: wrong IEDL is not concatenation.
		{"8-bit IEI with IEDL 2", "0400020201", true, false, Concat{}, 5},
		{"16-bit IEI with IEDL 2", "0408020201", true, false, Concat{}, 5},
		{"total zero ignored", "050003010001", true, false, Concat{}, 6},
		{"seq zero ignored", "050003010200", true, false, Concat{}, 6},
		{"seq above total ignored", "050003010203", true, false, Concat{}, 6},
		{"UDHL beyond content", "0600030102", false, false, Concat{}, 0},
		{"IEs overrun UDHL", "04000301", false, false, Concat{}, 0},
		{"empty", "", false, false, Concat{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := hex.DecodeString(c.hex)
			if err != nil {
				t.Fatal(err)
			}
			h, ok := Parse(b)
			if ok != c.ok || h.HasConcat != c.concat || h.Concat != c.want || (ok && h.Len != c.length) {
				t.Fatalf("Parse(%s) = %+v, %v; want concat=%v %+v len %d ok=%v", c.hex, h, ok, c.concat, c.want, c.length, c.ok)
			}
		})
	}
}

func TestAppendRoundTrip(t *testing.T) {
	for _, c := range []Concat{{Ref: 0x34, Total: 1, Seq: 1}, {Ref: 0xbeef, Total: 255, Seq: 255, Wide: true}} {
		b := Append(nil, c)
		h, ok := Parse(b)
		if !ok || !h.HasConcat || h.Concat != c || h.Len != len(b) {
			t.Fatalf("round trip of %+v: got %+v ok=%v", c, h, ok)
		}
	}
	if got := hex.EncodeToString(Append(nil, Concat{Ref: 0xfe, Total: 2, Seq: 1})); got != "050003fe0201" {
		t.Fatalf("Append = %s, want 050003fe0201", got)
	}
}

func TestFlag(t *testing.T) {
	for v, want := range map[uint8]bool{0: false, 1: true, 0x40: true, 0x41: true, 0x02: false, 0x80: false} {
		if Flag(v) != want {
			t.Errorf("Flag(%#x) = %v, want %v", v, !want, want)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	b, _ := hex.DecodeString("0b0504c34f00000003070201")
	if n := testing.AllocsPerRun(100, func() { Parse(b) }); n > 0 {
		t.Fatalf("Parse allocates %v times", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"050003000101", "06080412340302", "0b0504c34f00000003070201", "0400020201", ""} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := Parse(b)
		if !ok {
			return
		}
		if h.Len > len(b) || h.Len < 1 {
			t.Fatalf("header length %d outside content of %d", h.Len, len(b))
		}
		if h.HasConcat {
			c := h.Concat
			if c.Total == 0 || c.Seq == 0 || c.Seq > c.Total {
				t.Fatalf("invalid concat accepted: %+v", c)
			}
			h2, ok2 := Parse(Append(nil, c))
			if !ok2 || h2.Concat != c {
				t.Fatalf("re-encoded %+v parses as %+v", c, h2)
			}
		}
	})
}
