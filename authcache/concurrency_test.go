package authcache

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentReadersSeeConsistentState: event loops authorize while the
// API subscribes and cancels other users in the same shards (inserts,
// backward-shift deletes, resizes) and the sweep runs. A user subscribed
// before the readers start must always pass, one never subscribed must
// never pass: the lock-free reads may retry, never misread.
func TestConcurrentReadersSeeConsistentState(t *testing.T) {
	h := newHarness(t, testConfig(), WithQueueSize(1<<20))
	const stable = 2000
	user := func(i int) string { return "139" + strconv.Itoa(10000000+i) }
	for i := range stable {
		if err := h.e.Subscribe(spA, user(i), "MUSIC", SourceAPI); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var churners, readers sync.WaitGroup
	for w := range 2 { // churn: other users come and go
		churners.Add(1)
		go func() {
			defer churners.Done()
			for i := 0; !stop.Load(); i++ {
				u := user(stable + 1 + (w*1_000_000+i)%20000)
				h.e.Subscribe(spA, u, "MUSIC", SourceAPI)
				if i%3 == 0 {
					h.e.Unsubscribe(spA, u, "MUSIC")
				}
				if i%2000 == 0 { // cancelled entries expire: backward-shift deletes
					h.clock.Advance(DefaultCancelledRetention + time.Second)
					h.e.sweep()
				}
			}
		}()
	}
	errs := make(chan string, 4)
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			in := &MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{nil}}
			out := &MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{[]byte("13700000000")}}
			for i := range 10000 {
				in.Dests[0] = []byte(user((i*7919 + r) % stable))
				if d := h.e.Authorize(in); !d.Allow {
					errs <- "stable subscriber refused: " + d.Reason.String()
					return
				}
				if d := h.e.Authorize(out); d.Allow {
					errs <- "never-subscribed user allowed"
					return
				}
			}
		}()
	}
	readers.Wait()
	stop.Store(true)
	churners.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if s := h.e.Stats(); s.Subscriptions < stable {
		t.Errorf("Subscriptions = %d", s.Subscriptions)
	}
}
