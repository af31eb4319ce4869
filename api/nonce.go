package api

import (
	"container/heap"
	"hash/maphash"
	"sync"
)

// Replay-cache bounds. An entry is a 64-bit nonce hash and its timestamp
// (a map slot and a heap slot, about 50 bytes), so the cap holds the cache
// under ~13 MB however many requests arrive.
const (
	// MaxNoncesPerKey caps the nonces remembered for one app key: 65,536
	// within a 5-minute window is 218 signed requests per second, far above
	// what an SP website's on-demand and subscription traffic needs.
	MaxNoncesPerKey = 1 << 16
	// MaxNonces caps the whole cache (all app keys).
	MaxNonces = 1 << 18
)

// nonceCache remembers the nonces of authenticated requests while their
// timestamp is inside the signature window, so a replay is refused.
//
// Only requests whose signature verified are recorded: an attacker without
// the secret cannot fill the cache. At a cap the request is refused with
// too_many_requests (429, Retry-After: when the oldest entry leaves the
// window) — never by forgetting a live nonce, which would reopen replays.
// Per-key caps keep one SP's flood from locking out the others.
//
// An entry expires when ts + window < now, judged with the window in force
// at the time of the check, so a reload that widens the window also keeps
// the entries longer. Nonces are kept as a keyed 64-bit hash (a collision
// between two live nonces of one key, ~2^-33 at the per-key cap, refuses
// a legitimate request as a replay; the client retries with a new nonce).
type nonceCache struct {
	seed   maphash.Seed
	perKey int
	max    int

	mu    sync.Mutex
	total int
	keys  map[string]*keyNonces
}

type keyNonces struct {
	seen map[uint64]int64 // nonce hash → timestamp
	byTS tsHeap           // the same entries, oldest timestamp first
}

type tsEntry struct {
	ts int64
	h  uint64
}

type tsHeap []tsEntry

func (h tsHeap) Len() int           { return len(h) }
func (h tsHeap) Less(i, j int) bool { return h[i].ts < h[j].ts }
func (h tsHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *tsHeap) Push(x any)        { *h = append(*h, x.(tsEntry)) }
func (h *tsHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func newNonceCache(perKey, max int) *nonceCache {
	return &nonceCache{seed: maphash.MakeSeed(), perKey: perKey, max: max, keys: make(map[string]*keyNonces)}
}

// nonceResult is the outcome of nonceCache.add.
type nonceResult uint8

const (
	nonceFresh    nonceResult = iota // recorded
	nonceReplayed                    // seen within the window
	nonceFull                        // a cap is reached; retryAfter says when room frees
)

// add records nonce for appKey with its request timestamp ts, now and
// window in Unix seconds. Safe for concurrent use.
func (c *nonceCache) add(appKey, nonce string, ts, now, window int64) (r nonceResult, retryAfter int64) {
	h := maphash.String(c.seed, nonce)
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.keys[appKey]
	if k == nil {
		k = &keyNonces{seen: make(map[uint64]int64)}
		c.keys[appKey] = k
	}
	c.expire(k, now, window)
	if _, ok := k.seen[h]; ok {
		return nonceReplayed, 0
	}
	if len(k.seen) >= c.perKey {
		return nonceFull, k.byTS[0].ts + window - now + 1
	}
	if c.total >= c.max {
		oldest := int64(-1)
		for _, o := range c.keys {
			c.expire(o, now, window)
			if len(o.byTS) > 0 && (oldest < 0 || o.byTS[0].ts < oldest) {
				oldest = o.byTS[0].ts
			}
		}
		if c.total >= c.max {
			return nonceFull, oldest + window - now + 1
		}
	}
	k.seen[h] = ts
	heap.Push(&k.byTS, tsEntry{ts, h})
	c.total++
	return nonceFresh, 0
}

// expire drops k's entries whose timestamp has left the window.
func (c *nonceCache) expire(k *keyNonces, now, window int64) {
	for len(k.byTS) > 0 && k.byTS[0].ts+window < now {
		e := heap.Pop(&k.byTS).(tsEntry)
		delete(k.seen, e.h)
		c.total--
	}
}

// retain forgets the nonces of app keys no longer configured (SetConfig).
func (c *nonceCache) retain(keep func(appKey string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, k := range c.keys {
		if !keep(key) {
			c.total -= len(k.seen)
			delete(c.keys, key)
		}
	}
}

// len is the number of nonces remembered (the cache-entries gauge).
func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
