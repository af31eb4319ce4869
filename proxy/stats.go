package proxy

import (
	"math"
	"math/bits"
	"sync/atomic"

	"github.com/spsmg/spsmg/codec"
)

// Counters on the hot path live with the goroutine that writes them: one set
// per event loop (packets, latency histograms) or per SP connection
// (decisions), so that no cache line is shared between loops. The metrics
// collector sums them at scrape time (node_exporter style).

const (
	sideSP  = 0
	sideSMG = 1
	dirIn   = 0
	dirOut  = 1
)

var sideNames = [2]string{"sp", "smg"}
var dirNames = [2]string{"in", "out"}

const kindCount = int(codec.KindOtherResp) + 1

// loopStats is written by one event loop only. The hot path counts into
// plain fields of its own (pend, and the histograms' and the gauge's
// pending parts); publish adds them to the atomics the metrics collector
// reads, once per callback (loop.flush) instead of once per frame: a
// forwarded Submit touches four packet counters, a histogram and the
// in-flight gauge, and each atomic add is a locked instruction (the
// proxy benchmark's profile had them at 6 % of the gateway's CPU).
type loopStats struct {
	packets     [2][2][kindCount]atomic.Uint64 // published
	submitRTT   histogram                      // SMG round trip of Submits, forwarded and originated
	authLatency histogram                      // authorization decision time, sampled
	// deferLatency: a Submit deferred to a cluster decision (deferred.go),
	// from parked to decided, on the loop.
	deferLatency histogram
	inflight     loopGauge // requests awaiting the SMG on this loop's binds

	// The loop's own, not yet published: counts by packets' index and a
	// bit per index counted since the last publish.
	pend  [2][2][kindCount]uint32
	dirty [(2*2*kindCount + 63) / 64]uint64
	_     [64]byte
}

func (s *loopStats) packet(side, dir int, k codec.Kind) {
	s.pend[side][dir][k]++
	i := (side*2+dir)*kindCount + int(k)
	s.dirty[i/64] |= 1 << (i % 64)
}

// publish makes what the loop counted since the last publish visible to
// the collector. Loop only: every flush starts and ends with it, and the
// sweep flushes each second, so a count is published before the output
// of its callback is written, or within a second of a count made outside
// a callback.
func (s *loopStats) publish() {
	for w, m := range s.dirty {
		if m == 0 {
			continue
		}
		s.dirty[w] = 0
		for ; m != 0; m &= m - 1 {
			i := w*64 + bits.TrailingZeros64(m)
			side, dir, k := i/(2*kindCount), i/kindCount%2, i%kindCount
			s.packets[side][dir][k].Add(uint64(s.pend[side][dir][k]))
			s.pend[side][dir][k] = 0
		}
	}
	s.submitRTT.publish()
	s.authLatency.publish()
	s.deferLatency.publish()
	s.inflight.publish()
}

// loopGauge is a gauge one loop changes (Add) and the collector reads
// (Load); the changes reach Load at the loop's next publish.
type loopGauge struct {
	v    atomic.Int64 // published
	pend int64        // the loop's, since the last publish
}

// Add changes the gauge; loop only.
func (g *loopGauge) Add(d int64) { g.pend += d }

// Load reads the published value; any goroutine.
func (g *loopGauge) Load() int64 { return g.v.Load() }

func (g *loopGauge) publish() {
	if g.pend != 0 {
		g.v.Add(g.pend)
		g.pend = 0
	}
}

// Latency buckets in seconds: loopback sub-millisecond to carrier timeouts.
var latencyBounds = []float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// authBounds: an authorization decision is a memory lookup.
var authBounds = []float64{
	0.0000001, 0.00000025, 0.0000005, 0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.0001, 0.001,
}

const maxBuckets = 24 // len(bounds)+1 at most; the last is +Inf

// histogram is a fixed-bucket histogram written by one goroutine (its
// loop) and read by any: observeNS counts into the loop's own pending
// part, publish adds that to the atomics (see loopStats).
type histogram struct {
	bounds   []float64
	boundsNS [maxBuckets - 1]int64     // bounds in ns, rounded up: v ≤ bound s ⇔ ns ≤ boundNS
	counts   [maxBuckets]atomic.Uint64 // published
	sumNS    atomic.Uint64             // published

	pend      [maxBuckets]uint32
	pendSumNS uint64
	pendMask  uint32 // a bit per bucket counted since the last publish
}

func (h *histogram) init(bounds []float64) {
	if len(bounds)+1 > len(h.counts) {
		panic("proxy: too many histogram buckets")
	}
	h.bounds = bounds
	for i, b := range bounds {
		h.boundsNS[i] = boundNS(b)
	}
}

// boundNS is the largest whole number of nanoseconds ns with
// float64(ns)/1e9 ≤ b, so that comparing integers puts every duration in
// the bucket the float comparison of the exposition's bounds would.
func boundNS(b float64) int64 {
	ns := int64(math.Ceil(b * 1e9))
	for ns > 0 && float64(ns)/1e9 > b {
		ns--
	}
	for float64(ns+1)/1e9 <= b {
		ns++
	}
	return ns
}

// observeNS records one duration in nanoseconds; loop only.
func (h *histogram) observeNS(ns int64) {
	if ns < 0 {
		ns = 0
	}
	n := len(h.bounds)
	i := 0
	for i < n && ns > h.boundsNS[i] {
		i++
	}
	h.pend[i]++
	h.pendMask |= 1 << i
	h.pendSumNS += uint64(ns)
}

// publish adds the pending counts to the published ones; loop only.
func (h *histogram) publish() {
	m := h.pendMask
	if m == 0 {
		return
	}
	h.pendMask = 0
	for ; m != 0; m &= m - 1 {
		i := bits.TrailingZeros32(m)
		h.counts[i].Add(uint64(h.pend[i]))
		h.pend[i] = 0
	}
	h.sumNS.Add(h.pendSumNS)
	h.pendSumNS = 0
}

// snapshot adds h into the cumulative bucket map and totals.
func (h *histogram) snapshot(buckets map[float64]uint64, count *uint64, sum *float64) {
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		buckets[b] += cum
	}
	cum += h.counts[len(h.bounds)].Load()
	*count += cum
	*sum += float64(h.sumNS.Load()) / 1e9
}
