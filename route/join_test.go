package route

import (
	"slices"
	"sync"
	"testing"

	"github.com/spsmg/spsmg/codec"
)

// split3 is a Submit to recipients on upstreams 2, 0, 2, 1, 0: groups
// 0 (upstream 2: recipients 0, 2), 1 (upstream 0: 1, 4), 2 (upstream 1: 3).
func split3() *Split {
	var s Split
	for _, u := range []int{2, 0, 2, 1, 0} {
		s.Add(u)
	}
	return &s
}

func TestJoinResult(t *testing.T) {
	const (
		ok   = codec.ResultOK
		busy = codec.ResultBusy
		thr  = codec.ResultThrottled
		dest = codec.ResultBadDest
		svc  = codec.ResultBadService
	)
	cases := []struct {
		name     string
		answers  [3]codec.ResultClass
		want     codec.ResultClass
		failures []int
	}{
		{"all accepted", [3]codec.ResultClass{ok, ok, ok}, ok, nil},
		{"one refused: success, its recipients get failure reports", [3]codec.ResultClass{ok, dest, ok}, ok, []int{1, 4}},
		{"only the last accepted", [3]codec.ResultClass{svc, busy, ok}, ok, []int{0, 1, 2, 4}},
		{"all refused: the first retryable", [3]codec.ResultClass{dest, thr, busy}, thr, nil},
		{"all refused, none retryable: the first group's", [3]codec.ResultClass{svc, dest, dest}, svc, nil},
	}
	for _, c := range cases {
		var j Join
		j.Init(split3())
		// Answers arrive in another order than the groups'.
		for _, g := range []int{2, 0, 1} {
			last := j.Answer(g, c.answers[g])
			if last != (g == 1) {
				t.Fatalf("%s: Answer(%d) = %v", c.name, g, last)
			}
		}
		if !j.Done() {
			t.Fatalf("%s: not Done", c.name)
		}
		if got := j.Result(); got != c.want {
			t.Errorf("%s: Result %v, want %v", c.name, got, c.want)
		}
		if got := j.Failures(nil); !slices.Equal(got, c.failures) {
			t.Errorf("%s: Failures %v, want %v", c.name, got, c.failures)
		}
	}
}

func TestJoinIgnoresRepeatedAndUnknownAnswers(t *testing.T) {
	var j Join
	j.Init(split3())
	if j.Answer(0, codec.ResultOK) {
		t.Fatal("the first answer of three completed the join")
	}
	if j.Answer(0, codec.ResultBusy) || j.Answer(3, codec.ResultOK) || j.Answer(-1, codec.ResultOK) {
		t.Fatal("a repeated or unknown answer counted")
	}
	if c, ok := j.Class(0); !ok || c != codec.ResultOK {
		t.Fatalf("group 0: %v %v; the second answer replaced the first", c, ok)
	}
	if j.Done() {
		t.Fatal("Done with two groups unanswered")
	}
	j.Answer(1, codec.ResultOK)
	if !j.Answer(2, codec.ResultOK) || !j.Done() {
		t.Fatal("the last answer did not complete the join")
	}
}

func TestJoinNoRoute(t *testing.T) {
	var s Split
	s.Add(NoRoute)
	s.Add(0)
	s.Add(NoRoute)
	var j Join
	j.Init(&s)
	j.Answer(0, codec.ResultOK)
	if j.Result() != codec.ResultOK || !slices.Equal(j.Failures(nil), []int{0, 2}) {
		t.Fatalf("Result %v Failures %v", j.Result(), j.Failures(nil))
	}
	s.Reset()
	s.Add(NoRoute)
	j.Init(&s)
	if !j.Done() || j.Result() != codec.ResultBadDest {
		t.Fatalf("no recipient routed: Done %v Result %v", j.Done(), j.Result())
	}
}

// TestJoinAcrossGoroutines: the groups' answers come from different event
// loops; exactly one completes the join. Run under -race.
func TestJoinAcrossGoroutines(t *testing.T) {
	var s Split
	for i := 0; i < MaxRecipients; i++ {
		s.Add(i % MaxUpstreams)
	}
	for round := 0; round < 50; round++ {
		var j Join
		j.Init(&s)
		var wg sync.WaitGroup
		lasts := make(chan int, 2*MaxUpstreams)
		for g := 0; g < MaxUpstreams; g++ {
			for range 2 { // each answer twice: the second must be ignored
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := codec.ResultBusy
					if g == 40 {
						c = codec.ResultOK
					}
					if j.Answer(g, c) {
						lasts <- g
					}
				}()
			}
		}
		wg.Wait()
		close(lasts)
		n := 0
		for range lasts {
			n++
		}
		if n != 1 || !j.Done() || j.Result() != codec.ResultOK {
			t.Fatalf("round %d: %d answers completed the join; Result %v", round, n, j.Result())
		}
		if f := j.Failures(nil); len(f) != MaxRecipients-4 { // 40, 104, 168, 232 were accepted
			t.Fatalf("round %d: %d failures", round, len(f))
		}
	}
}
