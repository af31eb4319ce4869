package sp

import (
	"math/bits"
	"time"
)

// Histogram layout: log-linear buckets over nanoseconds, HDR-style. Values
// below 2·histSub fall in buckets of 1 ns; above, every power of two is cut
// into histSub equal buckets, so a bucket is at most 1/histSub (1.6 %) of its
// value wide: 16 ns at 1 µs, 0.5 µs at 30 µs, 16 µs at 1 ms. That is the
// "~1 µs at the low end" resolution a loopback round trip needs, in 19 KB.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histMaxBits = 42 // values up to 2^42 ns ≈ 73 min; above are clamped
	histBuckets = (histMaxBits-histSubBits+1)*histSub + histSub
)

// Histogram records latencies in fixed buckets. Recording does not allocate
// and takes a few nanoseconds. It is not safe for concurrent use: each
// goroutine records into its own and Merge combines them.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64 // ns
	min    uint64
	max    uint64
}

// histIndex returns the bucket of v nanoseconds.
func histIndex(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	if v >= 1<<histMaxBits {
		v = 1<<histMaxBits - 1
	}
	exp := bits.Len64(v) - histSubBits - 1 // ≥ 1 here
	return exp*histSub + int(v>>uint(exp))
}

// histUpper returns the largest value that falls in bucket i.
func histUpper(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	exp := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return (m+1)<<uint(exp) - 1
}

// Record adds one latency; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.recordNs(v)
}

func (h *Histogram) recordNs(v uint64) {
	h.counts[histIndex(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest value recorded, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min is the smallest value recorded, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean is the average of the values recorded.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}

// Quantile returns the value below which a fraction q (0–1) of the
// recordings fall: the upper edge of the bucket holding it, clamped to the
// exact minimum and maximum (q ≤ 0 is the minimum, q ≥ 1 the maximum). 0
// when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	switch {
	case h.n == 0:
		return 0
	case q <= 0:
		return time.Duration(h.min)
	case q >= 1:
		return time.Duration(h.max)
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(max(histUpper(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
