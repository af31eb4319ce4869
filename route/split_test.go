package route

import (
	"slices"
	"testing"
)

func groups(s *Split) [][]int {
	var out [][]int
	for g := 0; g < s.Groups(); g++ {
		up, idx := s.Group(g)
		row := []int{up}
		for _, i := range idx {
			row = append(row, int(i))
		}
		out = append(out, row)
	}
	return out
}

func TestSplitGroupsInFirstSeenOrder(t *testing.T) {
	tb := defaultTable(t)
	var s Split
	// telecom, cmcc, telecom, unicom, cmcc, default, cmcc
	nums := []string{"13312345678", "13800138000", "8618912345678", "13012345678", "+8613900000000", "19212345678", "15012345678"}
	if !tb.SplitStrings(&s, nums) {
		t.Fatal("SplitStrings refused 7 recipients")
	}
	want := [][]int{{2, 0, 2}, {0, 1, 4, 6}, {1, 3}, {3, 5}}
	if got := groups(&s); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("groups %v, want %v (upstream, then recipient indexes)", got, want)
	}
	if s.Len() != 7 || s.Upstream(2) != 2 || s.Upstream(5) != 3 {
		t.Fatalf("Len %d, Upstream(2) %d, Upstream(5) %d", s.Len(), s.Upstream(2), s.Upstream(5))
	}
	if _, ok := s.Single(); ok {
		t.Fatal("four upstreams reported as one")
	}

	// Reused for a Submit to one carrier: the common case.
	b := [][]byte{[]byte("13800138000"), []byte("13900000000")}
	if !tb.SplitNumbers(&s, b) {
		t.Fatal("SplitNumbers")
	}
	if up, ok := s.Single(); !ok || up != 0 {
		t.Fatalf("Single() = %d, %v; want 0, true", up, ok)
	}
	if got := groups(&s); !slices.EqualFunc(got, [][]int{{0, 0, 1}}, slices.Equal) {
		t.Fatalf("after reuse: %v", got)
	}
}

func TestSplitNoRoute(t *testing.T) {
	tb := mustCompile(t, Options{Default: NoRoute}, Entry{"139", 5})
	var s Split
	tb.SplitStrings(&s, []string{"13800000000", "13900000000", "1"})
	if s.NoRoute() != 2 || s.Groups() != 1 {
		t.Fatalf("NoRoute %d Groups %d", s.NoRoute(), s.Groups())
	}
	if _, ok := s.Single(); ok {
		t.Fatal("Single with recipients that have no route")
	}
	if got := groups(&s); !slices.EqualFunc(got, [][]int{{5, 1}}, slices.Equal) {
		t.Fatalf("groups %v", got)
	}
}

func TestSplitBounds(t *testing.T) {
	var s Split
	for i := 0; i < MaxRecipients; i++ {
		if !s.Add(i % MaxUpstreams) {
			t.Fatalf("Add %d refused", i)
		}
	}
	if s.Add(0) {
		t.Fatal("recipient MaxRecipients+1 accepted")
	}
	if s.Groups() != MaxUpstreams {
		t.Fatalf("%d groups", s.Groups())
	}
	total := 0
	for g := 0; g < s.Groups(); g++ {
		up, idx := s.Group(g)
		for _, i := range idx {
			if s.Upstream(int(i)) != up {
				t.Fatalf("recipient %d in group of %d", i, up)
			}
		}
		total += len(idx)
	}
	if total != MaxRecipients {
		t.Fatalf("%d recipients in groups", total)
	}
	s.Reset()
	if s.Add(MaxUpstreams) || s.Add(-2) || s.Len() != 0 {
		t.Fatal("upstream outside the range accepted")
	}
	if !s.Add(3) || s.Groups() != 1 {
		t.Fatal("after Reset")
	}
}

func TestSplitDoesNotAllocate(t *testing.T) {
	tb := defaultTable(t)
	nums := make([][]byte, 100)
	for i := range nums {
		nums[i] = []byte([]string{"13800138000", "13012345678", "8613312345678"}[i%3])
	}
	var s Split
	var j Join
	if n := testing.AllocsPerRun(200, func() {
		tb.SplitNumbers(&s, nums)
		for g := 0; g < s.Groups(); g++ {
			s.Group(g)
		}
		j.Init(&s)
	}); n != 0 {
		t.Fatalf("Split allocates %v times", n)
	}
}
