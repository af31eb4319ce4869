package authcache

import "fmt"

// SyncOp is what a carrier platform's subscription-relation sync asks for
// one (user, SP, service).
type SyncOp uint8

const (
	SyncSubscribe SyncOp = 1 // the relation is active
	SyncCancel    SyncOp = 2 // the relation ended (kept as cancelled for CancelledRetention)
	SyncPause     SyncOp = 3 // the relation is paused: its MTs are refused subscription_paused
	SyncResume    SyncOp = 4 // the relation is active again
)

func (o SyncOp) String() string {
	switch o {
	case SyncSubscribe:
		return "subscribe"
	case SyncCancel:
		return "cancel"
	case SyncPause:
		return "pause"
	case SyncResume:
		return "resume"
	}
	return "unknown"
}

// state is the state the operation leaves the relation in.
func (o SyncOp) state() SubState {
	switch o {
	case SyncSubscribe, SyncResume:
		return SubActive
	case SyncCancel:
		return SubCancelled
	case SyncPause:
		return SubPaused
	}
	return 0
}

// SyncChange is one change pushed by a carrier platform.
type SyncChange struct {
	SP          string // SP account id
	User        string // the user's number (normalised like any other)
	ServiceCode string
	Op          SyncOp
	// Version orders the changes of one relation: the platform's time of
	// the change, Unix milliseconds. A change is applied only when it is
	// newer than the last one applied to the relation.
	Version int64
}

// SyncResult says what ApplySync did.
type SyncResult uint8

const (
	SyncApplied   SyncResult = 1 // the relation changed state
	SyncUnchanged SyncResult = 2 // it already was in that state; the newer version is recorded
	SyncStale     SyncResult = 3 // not newer than the last change applied: nothing done (a replay, or overtaken)
)

func (r SyncResult) String() string {
	switch r {
	case SyncApplied:
		return "applied"
	case SyncUnchanged:
		return "unchanged"
	case SyncStale:
		return "stale"
	}
	return "unknown"
}

// ApplySync applies a carrier platform's change to a subscription relation
// through the same path as the HTTP API: memory first, then the store
// through the writer.
//
// The relation is a last-writer-wins register ordered by Version: each
// operation sets an absolute state (subscribe and resume: active; cancel:
// cancelled; pause: paused), and only a change newer than the last one
// applied to the relation takes effect. So a replayed push changes
// nothing, a push overtaken by a newer one is ignored when it arrives
// late, and any order of arrival ends in the state of the newest change.
// To remember the order, a cancel or pause of a relation spsmg did not
// know is recorded too (a cancel as a cancelled relation, kept for
// CancelledRetention). Changes made here locally (TD/0000, the API, a
// subscription notice) carry no version and do not take part in the order:
// a push not newer than the last push is ignored even when a local change
// came in between.
//
// A change whose version equals the last one applied (the same change
// sent again) is stale too, but the relation's record is written again: a
// platform resending after an error gets its change stored.
//
// The version of each synced relation is kept with it (memory and store)
// for as long as the relation is; a cancelled one is forgotten after
// CancelledRetention, so the caller must refuse pushes older than that.
func (e *Engine) ApplySync(c SyncChange) (SyncResult, error) {
	if err := e.checkAvailable(); err != nil {
		return 0, err
	}
	if err := checkNames(c.SP, c.ServiceCode); err != nil {
		return 0, err
	}
	if c.ServiceCode == "" {
		return 0, fmt.Errorf("%w: empty service code", ErrInvalid)
	}
	target := c.Op.state()
	if target == 0 {
		return 0, fmt.Errorf("%w: sync operation %d", ErrInvalid, c.Op)
	}
	if c.Version <= 0 {
		return 0, fmt.Errorf("%w: sync version %d", ErrInvalid, c.Version)
	}
	norm, uk, err := normUser(c.User)
	if err != nil {
		return 0, err
	}
	svc := e.names.pair(c.SP, []byte(c.ServiceCode))
	now := e.nowSec()
	exp := uint32(0)
	if target == SubCancelled {
		exp = expiry(now, e.policy.Load().cfg.CancelledRetention)
	}
	k := makeSubKey(uk, svc)
	s := &e.subs[subShardOf(uk)]
	s.mu.Lock()
	if prev, ok := s.syncAt[k]; ok && c.Version <= prev {
		cur, had := s.t.lookup(k)
		s.mu.Unlock()
		if c.Version < prev || !had {
			return SyncStale, nil
		}
		// The same change again: write the relation once more, so that a
		// platform resending it after an error (a full write queue) gets
		// it stored.
		if cur.state == SubCancelled {
			exp = cancelledExpiry(cur, e.policy.Load().cfg.CancelledRetention)
		} else {
			exp = 0
		}
		return SyncStale, e.persistSub(norm, c.SP, c.ServiceCode, cur, exp, prev)
	}
	old, had := s.t.lookup(k)
	res := SyncApplied
	v := old
	if had && old.state == target {
		res = SyncUnchanged
		if target == SubCancelled {
			exp = cancelledExpiry(old, e.policy.Load().cfg.CancelledRetention)
		}
	} else {
		v.state, v.updated = target, now
		if !old.state.live() {
			// A new relation (or one cancelled before): it begins now and
			// came from the carrier. Pause and resume keep both.
			v.since, v.source = now, SourceSync
		}
		s.put(k, v)
	}
	s.setSyncAt(k, c.Version)
	s.mu.Unlock()
	if res == SyncApplied {
		e.changes.record(c.SP, old.state, target)
	}
	e.log.Debug("authcache: sync", "user", string(norm), "sp", c.SP, "service", c.ServiceCode,
		"op", c.Op.String(), "version", c.Version, "result", res.String())
	return res, e.persistSub(norm, c.SP, c.ServiceCode, v, exp, c.Version)
}
