package sp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	t.Run("indexes are contiguous and monotonic", func(t *testing.T) {
		prev := -1
		for v := uint64(0); v < 1<<20; v++ {
			i := histIndex(v)
			if i != prev && i != prev+1 {
				t.Fatalf("value %d: bucket %d after %d", v, i, prev)
			}
			if histUpper(i) < v {
				t.Fatalf("value %d above the upper edge %d of its bucket %d", v, histUpper(i), i)
			}
			prev = i
		}
	})
	t.Run("every value within 1/64 of its bucket's upper edge", func(t *testing.T) {
		for _, v := range []uint64{1, 127, 128, 1000, 12345, 1e6, 3e9, 1 << 41} {
			u := histUpper(histIndex(v))
			if float64(u-v) > float64(v)/histSub {
				t.Errorf("value %d: upper edge %d", v, u)
			}
		}
	})
	t.Run("huge values are clamped into the last bucket", func(t *testing.T) {
		if i := histIndex(1 << 62); i >= histBuckets {
			t.Errorf("index %d of %d", i, histBuckets)
		}
	})
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 {
		t.Error("empty histogram not zero")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var vals []time.Duration
	for range 100000 {
		// log-uniform between 1 µs and 100 ms
		d := time.Duration(float64(time.Microsecond) * math.Pow(10, rng.Float64()*5))
		vals = append(vals, d)
		h.Record(d)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vals[int(q*float64(len(vals)))-1]
		got := h.Quantile(q)
		if diff := float64(got-want) / float64(want); diff < -0.001 || diff > 0.02 {
			t.Errorf("q%.3f = %v, exact %v (%.2f%%)", q, got, want, 100*diff)
		}
	}
	if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] || h.Count() != 100000 {
		t.Errorf("max %v min %v count %d", h.Max(), h.Min(), h.Count())
	}
	if h.Quantile(1) != h.Max() || h.Quantile(0) != h.Min() {
		t.Errorf("q0 %v q1 %v", h.Quantile(0), h.Quantile(1))
	}

	var a, b Histogram
	for i, v := range vals {
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	if a.Count() != h.Count() || a.Quantile(0.99) != h.Quantile(0.99) || a.Max() != h.Max() || a.Min() != h.Min() {
		t.Errorf("merged histogram differs: %v/%v", a.Quantile(0.99), h.Quantile(0.99))
	}
	if n := testing.AllocsPerRun(100, func() { h.Record(1234) }); n != 0 {
		t.Errorf("Record allocates %v", n)
	}
}

func TestSmoothWheel(t *testing.T) {
	for _, tc := range []struct {
		weights []int
		want    []uint16
	}{
		{[]int{1, 1}, []uint16{0, 1}},
		{[]int{50, 50}, []uint16{0, 1}},
		{[]int{3, 1}, []uint16{0, 0, 1, 0}},
		{[]int{1, 2, 1}, []uint16{1, 0, 2, 1}},
	} {
		if got := smoothWheel(slices.Clone(tc.weights)); !slices.Equal(got, tc.want) {
			t.Errorf("weights %v: wheel %v, want %v", tc.weights, got, tc.want)
		}
	}
}

func TestPacer(t *testing.T) {
	p := newPacer(1000) // 1 per ms, burst 10
	p.reset(0)
	if n := p.allowed(0); n != 0 {
		t.Errorf("allowed at start: %d", n)
	}
	if n := p.allowed(int64(5 * time.Millisecond)); n != 5 {
		t.Errorf("allowed after 5 ms: %d", n)
	}
	p.take(5)
	if n := p.allowed(int64(5 * time.Millisecond)); n != 0 {
		t.Errorf("allowed after taking: %d", n)
	}
	// A stall of a second earns only the 10 ms burst.
	if n := p.allowed(int64(time.Second)); n != 10 {
		t.Errorf("allowed after a stall: %d, want the burst 10", n)
	}
}
