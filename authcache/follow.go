package authcache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Following the other nodes. On a store that several nodes share
// (ChangeStore), every node keeps the whole authorization state in memory
// and decides from it, as with Badger; what another node changes reaches
// this one through the store's change stream:
//
//	node A: Subscribe ─▶ memory ─▶ writer ─▶ Apply (record + change entry, atomically)
//	node B: follower goroutine ◀── FollowChanges ◀── change entry
//	          └─▶ the same decoding as Open's load ─▶ memory ─▶ Authorize sees it
//
// Open takes the stream's head before it scans the store, so that nothing
// written during the load is missed (a change applied twice is harmless:
// every change is an absolute put or delete). The follower skips the
// node's own changes: its memory had them first. It never runs on an
// event loop; the tables it writes are the same ones the API and OnMO
// write, under the same shard locks, and the event loops read them as
// always (lock-free for subscriptions).
//
// A follower that fell behind the stream's retention (ErrChangesTrimmed)
// loads the state again from a new head. The reload overwrites what
// memory holds with what the store holds and adds what it lacks; it does
// not remove records deleted meanwhile (only pending confirmations are
// ever deleted, and taking one asks the store, which knows).
//
// Conflicts. Changes to one key reach every node in the order the store
// applied them. Two nodes that change the same relation within the few
// milliseconds before either change is written (say, a user's TD on A and
// a carrier's push on B in the same instant) each keep their own change
// in memory, and the store keeps the one written last, until the relation
// changes again. Subscription changes are counted (SubscriptionChanges)
// by the node that made them only, so that the nodes' counts add up.

// Published lists the key prefixes a shared store must publish on its
// change stream for the engines that share it to follow one another:
// subscriptions, LinkIDs and web codes, pending confirmations. Routes are
// not published (a report arriving at another node reads its route from
// the store, LookupRoute), nor LinkID uses (on a SharedStore they are
// spent in the store, TakeUses).
func Published() [][]byte {
	return [][]byte{keyPrefixOf(kindSub), keyPrefixOf(kindLink), keyPrefixOf(kindPending)}
}

// followLagBounds are the upper bounds of the follow-lag buckets
// (Stats.FollowLag), in seconds.
var followLagBounds = [...]float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5}

// FollowLagBounds returns the upper bounds (seconds) of Stats.FollowLag's
// buckets; the last bucket of FollowLag counts what is above them all.
func FollowLagBounds() []float64 { return followLagBounds[:] }

// followStats are the follower's counters.
type followStats struct {
	changes, mutations, reloads, errors atomic.Uint64
	lag                                 [len(followLagBounds) + 1]atomic.Uint64
	lagSumMicros                        atomic.Uint64
	following                           atomic.Bool
}

func (f *followStats) observe(lag time.Duration) {
	if lag < 0 {
		lag = 0 // the origin's clock ahead of ours
	}
	s := lag.Seconds()
	i := 0
	for i < len(followLagBounds) && s > followLagBounds[i] {
		i++
	}
	f.lag[i].Add(1)
	f.lagSumMicros.Add(uint64(lag.Microseconds()))
}

// startFollowing starts the follower from cursor (taken before the load).
func (e *Engine) startFollowing(cs ChangeStore, from ChangeCursor) {
	ctx, cancel := context.WithCancel(context.Background())
	e.followCancel = cancel
	e.wg.Add(1)
	go e.follow(ctx, cs, from)
}

// follow runs FollowChanges until the engine closes, reloading when the
// stream was trimmed past the cursor and retrying after other failures
// (FollowChanges itself rides out failovers and outages).
func (e *Engine) follow(ctx context.Context, cs ChangeStore, from ChangeCursor) {
	defer e.wg.Done()
	self := cs.NodeID()
	cursor := from
	e.follows.following.Store(true)
	defer e.follows.following.Store(false)
	backoff := 100 * time.Millisecond
	for {
		err := cs.FollowChanges(ctx, cursor, func(c Change) error {
			e.applyChange(self, &c)
			cursor = c.After
			backoff = 100 * time.Millisecond
			return nil
		})
		if ctx.Err() != nil || errors.Is(err, ErrStoreClosed) {
			return
		}
		e.follows.errors.Add(1)
		if errors.Is(err, ErrChangesTrimmed) {
			e.log.Warn("authcache: this node fell behind the change stream; loading the state again", "err", err)
			head, herr := cs.ChangesHead()
			if herr == nil {
				herr = e.load()
			}
			if herr == nil {
				cursor = head
				e.follows.reloads.Add(1)
				e.log.Info("authcache: state loaded again; following from the new head")
				continue
			}
			err = herr
		}
		e.log.Warn("authcache: following the other nodes' changes failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// applyChange brings memory in step with one change of another node.
func (e *Engine) applyChange(self string, c *Change) {
	if c.Origin == self {
		return
	}
	e.follows.changes.Add(1)
	now := e.nowSec()
	for i := range c.Mutations {
		if err := e.applyRemote(&c.Mutations[i], now); err != nil {
			e.corrupt.Add(1)
			e.log.Warn("authcache: skipping a corrupt record from another node", "err", err)
		}
	}
	e.follows.mutations.Add(uint64(len(c.Mutations)))
	e.follows.observe(time.Since(c.Published))
}

// applyRemote applies one mutation another node made, through the same
// decoding as Open's load.
func (e *Engine) applyRemote(m *Mutation, now uint32) error {
	k := m.Key
	if len(k) < len(KeyPrefix)+2 || string(k[:len(KeyPrefix)]) != KeyPrefix || k[len(KeyPrefix)+1] != '/' {
		return nil
	}
	kind, id := k[len(KeyPrefix)], k[len(KeyPrefix)+2:]
	switch kind {
	case kindSub:
		if m.Delete {
			return e.dropSub(k)
		}
		return e.loadSub(k, m.Value, now)
	case kindLink:
		if m.Delete {
			e.dropLink(id)
			return nil
		}
		return e.loadLink(id, m.Value, now)
	case kindUses:
		if m.Delete || e.shared != nil || len(id) > MaxLinkIDLen {
			return nil // on a SharedStore, uses are counted in the store
		}
		n, err := decodeUses(m.Value)
		if err != nil {
			return err
		}
		var lk linkKey
		copy(lk[:], id)
		s := &e.links[linkShardOf(&lk)]
		s.mu.Lock()
		if v, ok := s.m[lk]; ok {
			v.uses = uint16(n)
			s.m[lk] = v
		}
		s.mu.Unlock()
	case kindPending:
		if m.Delete {
			e.pend.mu.Lock()
			if pe := e.pend.m[string(id)]; pe != nil {
				e.pend.deleteLocked(string(id), pe)
			}
			e.pend.mu.Unlock()
			return nil
		}
		return e.loadPending(id, m.Value, now)
	}
	return nil
}

// dropSub removes a subscription deleted by another node.
func (e *Engine) dropSub(k []byte) error {
	user, sp, svc, err := parseSubKey(k)
	if err != nil {
		return err
	}
	uk, ok := userKey(user)
	if !ok {
		return nil
	}
	sk := makeSubKey(uk, e.names.pair(e.names.spName(sp), svc))
	sh := &e.subs[subShardOf(uk)]
	sh.mu.Lock()
	sh.del(sk)
	sh.mu.Unlock()
	return nil
}

// dropLink removes a LinkID deleted by another node.
func (e *Engine) dropLink(id []byte) {
	if len(id) == 0 || len(id) > MaxLinkIDLen {
		return
	}
	var lk linkKey
	copy(lk[:], id)
	s := &e.links[linkShardOf(&lk)]
	s.mu.Lock()
	s.del(lk)
	s.mu.Unlock()
}
