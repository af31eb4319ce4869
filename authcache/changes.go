package authcache

import "sync"

// SubChanges counts the changes of subscription relations of one SP
// account, by the transition each made, whatever caused it (web or SMS
// subscription, TD/0000, the HTTP API, a carrier's sync push). A replayed
// or stale sync push and a subscribe of a live relation change nothing and
// count nothing.
type SubChanges struct {
	// Added: a relation became live (active or paused) that was not:
	// new, or cancelled before.
	Added uint64
	// Cancelled: a live relation (active or paused) was cancelled.
	Cancelled uint64
	// Paused: a relation became paused (one that did not exist counts in
	// Added too).
	Paused uint64
	// Resumed: a paused relation became active again.
	Resumed uint64
}

// changeCounts holds SubChanges by SP. Subscription changes are rare (a
// user's confirmation, an unsubscription, a carrier push), so one mutex
// serves; the MT path never touches it.
type changeCounts struct {
	mu sync.Mutex
	m  map[string]*SubChanges
}

// record counts the transition of one relation of sp from old to now
// (old 0: there was none).
func (c *changeCounts) record(sp string, old, now SubState) {
	if old == now {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*SubChanges)
	}
	x := c.m[sp]
	if x == nil {
		x = &SubChanges{}
		c.m[sp] = x
	}
	if !old.live() && now.live() {
		x.Added++
	}
	if old.live() && now == SubCancelled {
		x.Cancelled++
	}
	if now == SubPaused {
		x.Paused++
	}
	if old == SubPaused && now == SubActive {
		x.Resumed++
	}
}

// SubscriptionChanges returns the changes counted since Open, by SP
// account id (accounts with none are absent). Any goroutine.
func (e *Engine) SubscriptionChanges() map[string]SubChanges {
	e.changes.mu.Lock()
	defer e.changes.mu.Unlock()
	out := make(map[string]SubChanges, len(e.changes.m))
	for sp, x := range e.changes.m {
		out[sp] = *x
	}
	return out
}
