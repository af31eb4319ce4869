package sgip

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
)

func TestSequenceString(t *testing.T) {
	if got := spSeq.String(); got != "3075512345-1120203225-1" {
		t.Errorf("String = %q", got)
	}
	if got := (Sequence{Node: 0, Time: 301151218, Counter: 1857753309}).String(); got != "0-301151218-1857753309" {
		t.Errorf("V1 sequence = %q", got)
	}
	b := AppendSequence(nil, spSeq)
	if got := codec.Octets(b).String(); got != "b750981942c4f1d900000001" {
		t.Errorf("wire bytes %s (§9)", got)
	}
	if DecodeSequence(b) != spSeq {
		t.Error("DecodeSequence(AppendSequence(s)) != s")
	}
}

func TestNodeID(t *testing.T) {
	for _, c := range []struct {
		area string
		corp int
		want uint32
	}{
		{"0755", 12345, 3075512345}, // §3 example
		{"010", 12345, 3010012345},  // 3-digit code right-padded: 010 → 0100
		{"020", 0, 3020000000},
		{"0999", 99999, 3099999999},
	} {
		got, err := NodeID(c.area, c.corp)
		if err != nil || got != c.want {
			t.Errorf("NodeID(%q, %d) = %d, %v; want %d", c.area, c.corp, got, err, c.want)
		}
		// boxtsecond/gosgip's rule (§10).
		var alt uint32
		if len(c.area) == 3 {
			alt = 3000000000 + uint32(atoi(c.area[1:]))*1000000 + uint32(c.corp)
		} else {
			alt = 3000000000 + uint32(atoi(c.area[1:]))*100000 + uint32(c.corp)
		}
		if alt != c.want {
			t.Errorf("gosgip rule gives %d for %q", alt, c.area)
		}
	}
	for _, c := range []struct {
		area string
		corp int
	}{{"755", 1}, {"07555", 1}, {"07a5", 1}, {"", 1}, {"0755", 100000}, {"0755", -1}} {
		if _, err := NodeID(c.area, c.corp); !errors.Is(err, codec.ErrBadValue) {
			t.Errorf("NodeID(%q, %d) error = %v, want ErrBadValue", c.area, c.corp, err)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestSequenceGenerator(t *testing.T) {
	clock := time.Date(2026, 11, 20, 20, 32, 25, 0, time.Local)
	g := NewSequenceGenerator(3075512345, func() time.Time { return clock })
	if s := g.Next(); s != (Sequence{3075512345, 1120203225, 0}) {
		t.Errorf("first = %v, want counter 0", s)
	}
	if s := g.Next(); s != spSeq {
		t.Errorf("second = %v, want %v", s, spSeq)
	}
	clock = clock.Add(time.Second)
	if s := g.Next(); s.Time != 1120203226 || s.Counter != 2 {
		t.Errorf("after a second = %v", s)
	}
	g.counter = math.MaxUint32
	if a, b := g.Next(), g.Next(); a.Counter != math.MaxUint32 || b.Counter != 0 {
		t.Errorf("wrap: %v then %v", a, b)
	}
	if s := NewSequenceGenerator(1, nil).Next(); s.Time == 0 || s.Node != 1 {
		t.Errorf("default clock: %v", s)
	}
}
