package proxy

import (
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

// loopStats is written by one event loop only; atomics make scrape-time
// reads race-free without sharing a cache line with another loop.
type loopStats struct {
	packets     [2][2][kindCount]atomic.Uint64
	submitRTT   histogram // SMG round trip of Submits, forwarded and originated
	authLatency histogram // authorization decision time, sampled
	// deferLatency: a Submit deferred to a cluster decision (deferred.go),
	// from parked to decided, on the loop.
	deferLatency histogram
	inflight     atomic.Int64 // requests awaiting the SMG on this loop's binds
	_            [64]byte
}

func (s *loopStats) packet(side, dir int, k codec.Kind) {
	s.packets[side][dir][k].Add(1)
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

// histogram is a fixed-bucket histogram written by one goroutine.
type histogram struct {
	bounds []float64
	counts [24]atomic.Uint64 // len(bounds)+1 used; last is +Inf
	sumNS  atomic.Uint64
}

func (h *histogram) init(bounds []float64) {
	if len(bounds)+1 > len(h.counts) {
		panic("proxy: too many histogram buckets")
	}
	h.bounds = bounds
}

// observeNS records one duration in nanoseconds.
func (h *histogram) observeNS(ns int64) {
	if ns < 0 {
		ns = 0
	}
	s := float64(ns) / 1e9
	i := 0
	for i < len(h.bounds) && s > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNS.Add(uint64(ns))
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
