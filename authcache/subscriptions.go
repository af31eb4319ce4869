package authcache

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Subscription is one (user, SP, service) relation as the API lists it.
type Subscription struct {
	User        string // normalised
	SP          string
	ServiceCode string
	State       SubState
	Source      Source
	Since       time.Time // last activation
	Updated     time.Time
	Expires     time.Time // zero while active; end of retention once cancelled
}

// maxKeyField bounds each field of a persisted key (one length byte).
const maxKeyField = 255

// normUser normalises an API user number and packs it.
func normUser(user string) ([]byte, uint64, error) {
	norm := NormalizeMSISDN([]byte(user))
	uk, ok := userKey(norm)
	if !ok || len(norm) > maxKeyField {
		return nil, 0, fmt.Errorf("%w: user number", ErrInvalid)
	}
	return norm, uk, nil
}

func checkNames(sp, service string) error {
	if sp == "" || len(sp) > maxKeyField || len(service) > maxKeyField {
		return fmt.Errorf("%w: SP %q / service code %q", ErrInvalid, sp, service)
	}
	return nil
}

func (e *Engine) checkAvailable() error {
	if h := e.health.Load(); h != 0 {
		if h&healthClosed != 0 {
			return ErrStoreClosed
		}
		if h&healthNoSpace != 0 {
			return fmt.Errorf("%w: %w", ErrUnavailable, ErrNoSpace)
		}
		return ErrUnavailable
	}
	if e.shared != nil && e.sharedDown.Load() {
		// A change made now would stay in this node's memory: the other
		// nodes learn it only through the store.
		return ErrUnavailable
	}
	return nil
}

// Subscribe records an active subscription directly (operator API, bulk
// import, an SP-confirmed SMS subscription). Web subscriptions go through
// RequestSubscription, the Y reply and the DZTZ notice instead.
func (e *Engine) Subscribe(sp, user, service string, src Source) error {
	if err := e.checkAvailable(); err != nil {
		return err
	}
	if err := checkNames(sp, service); err != nil {
		return err
	}
	if service == "" {
		return fmt.Errorf("%w: empty service code", ErrInvalid)
	}
	norm, uk, err := normUser(user)
	if err != nil {
		return err
	}
	if src == 0 {
		src = SourceAPI
	}
	return e.subscribe(norm, uk, e.names.pair(sp, []byte(service)), sp, service, src)
}

// subscribe makes (user, svc) active. Already active: nothing changes and
// nothing is written. Paused: nothing changes either — only the carrier
// that paused a relation resumes it (ApplySync).
func (e *Engine) subscribe(user []byte, uk uint64, svc uint32, sp, service string, src Source) error {
	now := e.nowSec()
	k := makeSubKey(uk, svc)
	s := &e.subs[subShardOf(uk)]
	s.mu.Lock()
	old, had := s.t.lookup(k)
	if had && old.state.live() {
		s.mu.Unlock()
		return nil
	}
	v := subVal{since: now, updated: now, state: SubActive, source: src}
	s.put(k, v)
	syncAt := s.syncAt[k]
	s.mu.Unlock()
	e.changes.record(sp, old.state, SubActive)
	e.log.Debug("authcache: subscribed", "user", string(user), "sp", sp, "service", service, "source", src)
	return e.persistSub(user, sp, service, v, 0, syncAt)
}

// persistSub queues a subscription record; expires is 0 for an active or
// paused one; syncAt is the version of its last synced change (0: never
// synced).
func (e *Engine) persistSub(user []byte, sp, service string, v subVal, expires uint32, syncAt int64) error {
	r := subRecord{State: v.state, Source: v.source, Since: int64(v.since), Updated: int64(v.updated), Expires: int64(expires), SyncAt: syncAt}
	return e.w.enqueue(&op{m: Mutation{Key: subKeyBytes(user, sp, service), Value: r.encode(), ExpiresAt: int64(expires)}})
}

// Unsubscribe ends sp's active or paused subscriptions of user for service
// ("" = all of sp's services) and returns how many ended (HTTP API cancel).
func (e *Engine) Unsubscribe(sp, user, service string) (int, error) {
	if err := e.checkAvailable(); err != nil {
		return 0, err
	}
	if err := checkNames(sp, service); err != nil {
		return 0, err
	}
	norm, uk, err := normUser(user)
	if err != nil {
		return 0, err
	}
	return e.cancel(norm, uk, func(p *svcPair) bool {
		return p.spName == sp && (service == "" || p.service == service)
	})
}

// cancel ends every active or paused subscription of the user that match
// selects, keeping each as cancelled for CancelledRetention.
func (e *Engine) cancel(user []byte, uk uint64, match func(*svcPair) bool) (int, error) {
	now := e.nowSec()
	exp := expiry(now, e.policy.Load().cfg.CancelledRetention)
	type ended struct {
		k      subKey
		pair   *svcPair
		old    SubState
		v      subVal
		syncAt int64
	}
	var done []ended
	s := &e.subs[subShardOf(uk)]
	s.mu.Lock()
	n := e.names.load()
	s.t.each(func(k subKey, v subVal) {
		if k.user == uk && v.state.live() && match(&n.pairs[k.svc]) {
			done = append(done, ended{k: k, pair: &n.pairs[k.svc], old: v.state})
		}
	})
	for i := range done {
		d := &done[i]
		v, _ := s.t.lookup(d.k)
		v.state, v.updated = SubCancelled, now
		s.put(d.k, v)
		d.v, d.syncAt = v, s.syncAt[d.k]
	}
	s.mu.Unlock()
	var err error
	for _, d := range done {
		e.changes.record(d.pair.spName, d.old, SubCancelled)
		e.log.Debug("authcache: unsubscribed", "user", string(user), "sp", d.pair.spName, "service", d.pair.service)
		if werr := e.persistSub(user, d.pair.spName, d.pair.service, d.v, exp, d.syncAt); werr != nil {
			err = werr
		}
	}
	return len(done), err
}

// Subscriptions lists user's subscriptions with sp ("" = every SP: for
// operators; the SP-facing API passes the caller's own account), active,
// paused and cancelled-but-retained, sorted by SP and service code.
func (e *Engine) Subscriptions(sp, user string) []Subscription {
	norm, uk, err := normUser(user)
	if err != nil {
		return nil
	}
	now := e.nowSec()
	retention := e.policy.Load().cfg.CancelledRetention
	var out []Subscription
	s := &e.subs[subShardOf(uk)]
	s.mu.Lock()
	n := e.names.load()
	s.t.each(func(k subKey, v subVal) {
		p := &n.pairs[k.svc]
		if k.user != uk || (sp != "" && p.spName != sp) {
			return
		}
		sub := Subscription{User: string(norm), SP: p.spName, ServiceCode: p.service, State: v.state, Source: v.source,
			Since: time.Unix(int64(v.since), 0), Updated: time.Unix(int64(v.updated), 0)}
		if v.state == SubCancelled {
			exp := cancelledExpiry(v, retention)
			if now >= exp {
				return
			}
			sub.Expires = time.Unix(int64(exp), 0)
		}
		out = append(out, sub)
	})
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Subscription) int {
		return cmp.Or(strings.Compare(a.SP, b.SP), strings.Compare(a.ServiceCode, b.ServiceCode))
	})
	return out
}

// subscribed reports whether (user, sp, service) exists: active, or paused
// (a web request cannot replace a relation the carrier paused).
func (e *Engine) subscribed(uk uint64, sp, service string) bool {
	r, ok := e.names.load().ref(sp, []byte(service))
	if !ok {
		return false
	}
	v, ok := e.subs[subShardOf(uk)].t.get(makeSubKey(uk, r.id))
	return ok && v.state.live()
}
