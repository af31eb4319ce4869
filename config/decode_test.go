package config

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// kib reads itself (yaml.Unmarshaler), as a key another package adds
// might: "64KiB".
type kib int

func (k *kib) UnmarshalYAML(n *yaml.Node) error {
	v, ok := strings.CutSuffix(n.Value, "KiB")
	i, err := strconv.Atoi(v)
	if !ok || err != nil {
		return errors.New("want a size like 64KiB")
	}
	*k = kib(i)
	return nil
}

type decodeTarget struct {
	Addr    netip.Addr               `yaml:"addr"`
	Prefix  *netip.Prefix            `yaml:"prefix"`
	Size    kib                      `yaml:"size"`
	Timers  map[string]time.Duration `yaml:"timers"`
	Ratio   float64                  `yaml:"ratio"`
	Small   int8                     `yaml:"small"`
	Untyped string
	Inlined `yaml:",inline"`
	Skipped int `yaml:"-"`
}

type Inlined struct {
	Depth int `yaml:"depth"`
}

// TestDecoderIsGenericOverTheStructs: keys other packages add with their
// own types (netip, a yaml.Unmarshaler, maps of durations) are read
// without changes to the decoder, and their mistakes carry the path.
func TestDecoderIsGenericOverTheStructs(t *testing.T) {
	read := func(src string) (decodeTarget, []string) {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatal(err)
		}
		var v decodeTarget
		d := newDecoder()
		d.decode(n.Content[0], reflect.ValueOf(&v).Elem(), "x")
		var ps []string
		for _, p := range d.problems {
			ps = append(ps, p.String())
		}
		return v, ps
	}
	v, ps := read(`{addr: 10.1.2.3, prefix: 10.0.0.0/8, size: 64KiB, timers: {a: 1s, b: 2m}, ratio: 1, small: -128, untyped: u, depth: 3}`)
	if len(ps) > 0 || v.Addr != netip.MustParseAddr("10.1.2.3") || v.Prefix.Bits() != 8 || v.Size != 64 ||
		v.Timers["b"] != 2*time.Minute || v.Ratio != 1 || v.Small != -128 || v.Untyped != "u" || v.Depth != 3 {
		t.Fatalf("%+v %v", v, ps)
	}
	_, ps = read(`{addr: 10.1.2, prefix: [1], size: lots, timers: {a: 1}, ratio: x, small: 128, skipped: 1, depht: 2}`)
	want := []string{
		`x.addr: ParseAddr("10.1.2"): IPv4 address too short`,
		`x.prefix: want a single value, not a list`,
		`x.size: want a size like 64KiB`,
		`x.timers.a: 1 is not a duration (write 1s)`,
		`x.ratio: "x" is not a number`,
		`x.small: 128 is outside -128–127`,
		`x.skipped: unknown key (known: addr, prefix, size, timers, ratio, small, untyped, depth)`,
		`x.depht: unknown key (did you mean depth?)`,
	}
	if !slices.Equal(ps, want) {
		t.Fatalf("problems\n%s\nwant\n%s", strings.Join(ps, "\n"), strings.Join(want, "\n"))
	}
}
