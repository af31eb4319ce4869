package authcache

import (
	"math/rand/v2"
	"testing"
)

// TestSubTableMatchesMap drives random puts and deletes on a small key
// space (long probe runs, wrap-around, backward shifts) against a Go map.
func TestSubTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tab subTable
	ref := map[subKey]subVal{}
	for i := range 200000 {
		k := makeSubKey(uint64(r.IntN(300)), uint32(r.IntN(3)))
		switch r.IntN(3) {
		case 0, 1:
			v := subVal{since: uint32(i), state: SubState(1 + r.IntN(2))}
			old, had := tab.put(k, v)
			if rold, rhad := ref[k]; had != rhad || old != rold {
				t.Fatalf("step %d put %v: got %v %v, want %v %v", i, k, old, had, rold, rhad)
			}
			ref[k] = v
		case 2:
			old, had := tab.del(k)
			if rold, rhad := ref[k]; had != rhad || old != rold {
				t.Fatalf("step %d del %v: got %v %v, want %v %v", i, k, old, had, rold, rhad)
			}
			delete(ref, k)
		}
		if tab.n != len(ref) {
			t.Fatalf("step %d: n = %d, want %d", i, tab.n, len(ref))
		}
		if i%1000 == 0 {
			for k, want := range ref {
				if got, ok := tab.get(k); !ok || got != want {
					t.Fatalf("step %d get %v = %v %v, want %v", i, k, got, ok, want)
				}
			}
			seen := 0
			tab.each(func(k subKey, v subVal) {
				if ref[k] != v {
					t.Fatalf("each: %v = %v, want %v", k, v, ref[k])
				}
				seen++
			})
			if seen != len(ref) {
				t.Fatalf("each saw %d of %d", seen, len(ref))
			}
		}
	}
	for k := range ref {
		tab.del(k)
	}
	if tab.n != 0 {
		t.Errorf("n = %d after deleting everything", tab.n)
	}
	if _, ok := tab.get(makeSubKey(1, 1)); ok {
		t.Error("found a key in an empty table")
	}
}
