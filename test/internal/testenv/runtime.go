package testenv

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// RuntimeSample is the process's goroutines and live heap after a GC.
type RuntimeSample struct {
	Goroutines int
	HeapBytes  uint64 // /memory/classes/heap/objects:bytes after runtime.GC
}

// SampleRuntime collects garbage twice and reads the goroutine count and
// the bytes of live heap objects (runtime/metrics).
func SampleRuntime() RuntimeSample {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return RuntimeSample{Goroutines: runtime.NumGoroutine(), HeapBytes: s[0].Value.Uint64()}
}

// SettleRuntime polls until the goroutines are at most maxGoroutines and
// the live heap at most maxHeap, or timeout passes, and returns the sample
// with the smallest heap seen. Objects that outlive a connection for a
// moment (a reader goroutine unwinding, a timer) are then not mistaken for
// a leak.
func SettleRuntime(maxGoroutines int, maxHeap uint64, timeout time.Duration) RuntimeSample {
	var best RuntimeSample
	first := true
	start := time.Now()
	Poll(timeout, func() bool {
		s := SampleRuntime()
		if first || s.HeapBytes < best.HeapBytes || (s.HeapBytes == best.HeapBytes && s.Goroutines < best.Goroutines) {
			best, first = s, false
		}
		// Sample for half a second at least: the smallest is the level.
		return time.Since(start) > 500*time.Millisecond && best.Goroutines <= maxGoroutines && best.HeapBytes <= maxHeap
	})
	return best
}
