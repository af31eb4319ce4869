package proxy

import (
	"fmt"
	"testing"

	"github.com/spsmg/spsmg/codec"
)

// TestHistogramBucketsAsFloat: observeNS compares integer nanoseconds with
// bounds converted once; every duration must land in the bucket the float
// comparison with the exposition's bounds (seconds) puts it in, including
// the nanoseconds either side of each bound.
func TestHistogramBucketsAsFloat(t *testing.T) {
	for _, bounds := range [][]float64{latencyBounds, authBounds} {
		var h histogram
		h.init(bounds)
		for _, b := range bounds {
			c := int64(b * 1e9)
			for ns := c - 3; ns <= c+3; ns++ {
				want := 0
				for want < len(bounds) && float64(ns)/1e9 > bounds[want] {
					want++
				}
				h.observeNS(ns)
				h.publish()
				for i := range h.counts {
					got := h.counts[i].Swap(0)
					if (i == want) != (got == 1) {
						t.Errorf("bound %g, %d ns: bucket %d holds %d; the float comparison says bucket %d", b, ns, i, got, want)
					}
				}
			}
		}
	}
}

// TestLoopStatsPublish: what the loop counts reaches the collector's side
// only when published, all of it, once.
func TestLoopStatsPublish(t *testing.T) {
	var s loopStats
	s.submitRTT.init(latencyBounds)
	for range 3 {
		s.packet(sideSP, dirIn, codec.KindSubmit)
	}
	s.packet(sideSMG, dirOut, codec.KindOtherResp)
	s.packet(sideSP, dirOut, codec.KindUnknown)
	s.submitRTT.observeNS(2_000_000) // 2 ms: the 2.5 ms bucket
	s.submitRTT.observeNS(-5)        // a clock step back counts as 0
	s.inflight.Add(2)
	s.inflight.Add(-1)
	if got := s.packets[sideSP][dirIn][codec.KindSubmit].Load(); got != 0 {
		t.Fatalf("before publish: %d submits published", got)
	}
	if got := s.inflight.Load(); got != 0 {
		t.Fatalf("before publish: in-flight %d", got)
	}
	for range 2 { // the second publish has nothing left to add
		s.publish()
		want := map[[3]int]uint64{
			{sideSP, dirIn, int(codec.KindSubmit)}:      3,
			{sideSMG, dirOut, int(codec.KindOtherResp)}: 1,
			{sideSP, dirOut, int(codec.KindUnknown)}:    1,
		}
		for side := range 2 {
			for dir := range 2 {
				for k := range kindCount {
					if got := s.packets[side][dir][k].Load(); got != want[[3]int{side, dir, k}] {
						t.Errorf("packets[%d][%d][%v] = %d, want %d", side, dir, codec.Kind(k), got, want[[3]int{side, dir, k}])
					}
				}
			}
		}
		if got := s.inflight.Load(); got != 1 {
			t.Errorf("in-flight %d, want 1", got)
		}
		if got := s.submitRTT.counts[0].Load(); got != 1 {
			t.Errorf("first bucket %d, want 1 (the negative duration)", got)
		}
		if got := s.submitRTT.counts[7].Load(); got != 1 { // 0.0025
			t.Errorf("2.5 ms bucket %d, want 1", got)
		}
		if got := s.submitRTT.sumNS.Load(); got != 2_000_000 {
			t.Errorf("sum %d ns, want 2000000", got)
		}
	}
}

// BenchmarkLoopStats: what a forwarded Submit counts on its loop (the
// Submit in from the SP and out to the SMG, the response in and out, the
// in-flight gauge up and down, the round trip), published once per 16
// messages as a window-16 read would be (per=1024: a deep window).
func BenchmarkLoopStats(b *testing.B) {
	for _, per := range []int{16, 1024} {
		b.Run(fmt.Sprintf("per=%d", per), func(b *testing.B) {
			var s loopStats
			s.submitRTT.init(latencyBounds)
			i := 0
			for b.Loop() {
				s.packet(sideSP, dirIn, codec.KindSubmit)
				s.packet(sideSMG, dirOut, codec.KindSubmit)
				s.inflight.Add(1)
				s.packet(sideSMG, dirIn, codec.KindSubmitResp)
				s.inflight.Add(-1)
				s.submitRTT.observeNS(int64(150_000 + i&0xFFFF))
				s.packet(sideSP, dirOut, codec.KindSubmitResp)
				if i++; i%per == 0 {
					s.publish()
				}
			}
		})
	}
}
