package authcache

import (
	"errors"
	"time"
)

// Route tells where a status report goes: the SP account that sent the
// Submit, and an opaque value the proxy needs to rewrite the report (e.g.
// the SP's own 12-byte SGIP sequence number that it replaced).
type Route struct {
	SP      string
	Origin  Origin
	Expires time.Time // zero in PutRoute: now + Config.RouteTTL
}

// Origin is an opaque value of at most MaxOriginLen bytes kept with a
// route. It is a fixed-size value, not a slice, so Engine.Route returns it
// without allocating.
type Origin struct {
	n uint8
	b [MaxOriginLen]byte
}

// MakeOrigin copies b into an Origin; ok is false when b is longer than
// MaxOriginLen.
func MakeOrigin(b []byte) (o Origin, ok bool) {
	if len(b) > MaxOriginLen {
		return o, false
	}
	o.n = uint8(copy(o.b[:], b))
	return o, true
}

// Bytes returns the origin's bytes (a view into o).
func (o *Origin) Bytes() []byte { return o.b[:o.n] }

// Len is the number of bytes in o.
func (o Origin) Len() int { return int(o.n) }

// PutRoute records the route of a message id (msgID is copied). Memory is
// updated at once; the record is queued for the writer as a fixed-size op,
// so the call does not allocate for ids of up to 24 bytes. Called for every
// Submit that asks for a report. The error is ErrQueueFull or
// ErrStoreClosed when the record could not be queued (memory has it all
// the same), ErrInvalid for an empty id or SP or an id over 255 bytes.
//
// Memory keeps routes for Config.RouteCacheTTL and within
// Config.RouteCacheBytes; the store keeps them for RouteTTL.
func (e *Engine) PutRoute(msgID []byte, r Route) error {
	o, err := e.routeOp(msgID, r)
	if err != nil {
		return err
	}
	return e.w.enqueue(&o) // a full queue is counted in Stats.Dropped
}

// PutRouteIn is PutRoute with the store record queued in b instead of
// the writer's queue: memory is updated at once, the record joins the
// writer's queue with the rest of b (Engine.Submit). The error is
// ErrInvalid; a full queue is Submit's.
func (e *Engine) PutRouteIn(b *WriteBatch, msgID []byte, r Route) error {
	o, err := e.routeOp(msgID, r)
	if err != nil {
		return err
	}
	b.ops = append(b.ops, o)
	return nil
}

// routeOp puts a route into memory and returns its store record as a
// writer op.
func (e *Engine) routeOp(msgID []byte, r Route) (op, error) {
	if len(msgID) == 0 || r.SP == "" || len(msgID) > maxKeyField {
		return op{}, ErrInvalid
	}
	p := e.policy.Load()
	now := e.nowSec()
	exp := expiry(now, p.cfg.RouteTTL)
	if !r.Expires.IsZero() {
		exp = uint32(max(r.Expires.Unix(), 0))
	}
	sp := e.names.sp(r.SP)
	e.putRouteMem(makeRouteKey(msgID), routeVal{sp: sp, expires: min(exp, expiry(now, p.cfg.RouteCacheTTL)), n: r.Origin.n, origin: r.Origin.b}, p)

	o := op{}
	if len(msgID) <= len(o.t.id) {
		o.t = typedOp{kind: typedRoute, n: uint8(len(msgID)), on: r.Origin.n, sp: sp, created: now, expires: exp, origin: r.Origin.b}
		copy(o.t.id[:], msgID)
	} else {
		o.m = Mutation{Key: recordKey(nil, kindRoute, msgID),
			Value: appendRoute(nil, r.SP, r.Origin.Bytes(), int64(now), int64(exp)), ExpiresAt: int64(exp)}
	}
	return o, nil
}

// putRouteMem puts a route into its shard within the memory budget.
func (e *Engine) putRouteMem(k routeKey, v routeVal, p *policy) {
	s := &e.routes[routeShardOf(&k)]
	s.mu.Lock()
	n := s.put(k, v, p.routeGen)
	s.mu.Unlock()
	if n > 0 {
		e.routeEvictions.Add(uint64(n))
	}
}

// DeleteRoute forgets the route of a message id, in memory and in the
// store: for a Submit the SMG refused, whose report will never come. It
// does not allocate for ids of up to 24 bytes. The error is as PutRoute's.
func (e *Engine) DeleteRoute(msgID []byte) error {
	if len(msgID) == 0 || len(msgID) > maxKeyField {
		return ErrInvalid
	}
	k := makeRouteKey(msgID)
	s := &e.routes[routeShardOf(&k)]
	s.mu.Lock()
	delete(s.m, k)
	delete(s.old, k)
	s.mu.Unlock()
	o := op{}
	if len(msgID) <= len(o.t.id) {
		o.t = typedOp{kind: typedRouteDelete, n: uint8(len(msgID))}
		copy(o.t.id[:], msgID)
	} else {
		o.m = Mutation{Key: recordKey(nil, kindRoute, msgID), Delete: true}
	}
	return e.w.enqueue(&o)
}

// Route finds the route of a message id in memory (report routing). It does
// not allocate and never touches disk; safe from any goroutine. Expires is
// when the route leaves memory.
func (e *Engine) Route(msgID []byte) (Route, bool) {
	k := makeRouteKey(msgID)
	s := &e.routes[routeShardOf(&k)]
	s.mu.RLock()
	v, ok := s.get(k)
	s.mu.RUnlock()
	if !ok || e.nowSec() >= v.expires {
		return Route{}, false
	}
	return Route{SP: e.names.load().spNames[v.sp], Origin: Origin{n: v.n, b: v.origin},
		Expires: time.Unix(int64(v.expires), 0)}, true
}

// LookupRoute is Route with a fall-back to the store, for routes that left
// memory (Config.RouteCacheTTL shorter than RouteTTL). It may block on disk:
// call it from a worker goroutine, never from an event loop.
func (e *Engine) LookupRoute(msgID []byte) (Route, bool, error) {
	if r, ok := e.Route(msgID); ok {
		return r, true, nil
	}
	v, err := e.st.Get(recordKey(nil, kindRoute, msgID))
	if errors.Is(err, ErrNotFound) {
		return Route{}, false, nil
	}
	if err != nil {
		return Route{}, false, err
	}
	sp, origin, _, exp, err := decodeRoute(v)
	if err != nil {
		return Route{}, false, errors.Join(ErrCorruptRecord, err)
	}
	o, ok := MakeOrigin(origin)
	if !ok || int64(e.nowSec()) >= exp {
		return Route{}, false, nil
	}
	return Route{SP: sp, Origin: o, Expires: time.Unix(exp, 0)}, true, nil
}

// RouteBatch gathers the report routes that one goroutine (an event loop)
// records for requests held back until their routes are durable: an SGIP
// report names the Submit by the sequence the proxy gave it, so the
// Submit may leave only once its route is written. Adding a route
// (Engine.AddRoute) takes no lock and writes nothing another goroutine
// reads; Engine.PutRoutes hands the whole batch to the store writer in one
// queue operation, and the writer puts the routes into memory once they
// are written, before it says so. The zero value is ready to use; it is
// not safe for concurrent use.
type RouteBatch struct {
	ops []typedOp
	// Per batch rather than per route: the time (a batch is one
	// callback's), the policy's TTL and the last SP account interned.
	now    uint32
	ttl    time.Duration
	spName string
	sp     uint32
}

// Len is the number of routes in b.
func (b *RouteBatch) Len() int { return len(b.ops) }

// Reset empties b for reuse. Not while the writer holds it (between
// PutRoutes and its done).
func (b *RouteBatch) Reset() {
	b.ops = b.ops[:0]
	b.spName = ""
}

// MaxBatchRouteID is the longest message id a RouteBatch takes (an SGIP
// sequence is 12 bytes); longer ones go through PutRoute.
const MaxBatchRouteID = 24

// AddRoute records the route of a message id in b (msgID is copied).
// Nothing is shared until PutRoutes: neither memory nor the store has the
// route before b is written. Does not allocate once b has grown to its
// callback's size. The error is ErrInvalid for an empty id or SP or an id
// over MaxBatchRouteID bytes. Runs on b's goroutine.
func (e *Engine) AddRoute(b *RouteBatch, msgID []byte, r Route) error {
	if len(msgID) == 0 || len(msgID) > MaxBatchRouteID || r.SP == "" {
		return ErrInvalid
	}
	if len(b.ops) == 0 {
		b.now, b.ttl = e.nowSec(), e.policy.Load().cfg.RouteTTL
	}
	if r.SP != b.spName {
		b.spName, b.sp = r.SP, e.names.sp(r.SP)
	}
	exp := expiry(b.now, b.ttl)
	if !r.Expires.IsZero() {
		exp = uint32(max(r.Expires.Unix(), 0))
	}
	b.ops = append(b.ops, typedOp{kind: typedRoute, n: uint8(len(msgID)), on: r.Origin.n, sp: b.sp,
		created: b.now, expires: exp, origin: r.Origin.b})
	copy(b.ops[len(b.ops)-1].id[:], msgID)
	return nil
}

// PutRoutes hands b's routes to the store writer with one queue operation:
// they are written together, then put into memory (where Route finds
// them), and then done (which must not block) runs on the writer
// goroutine with the write's error; on an error memory does not get them.
// b belongs to the writer until done runs: do not add to it or Reset it
// before. An empty b is a barrier: done runs once everything queued before
// it is written. The error is ErrQueueFull, ErrNoSpace or ErrStoreClosed
// when the batch could not be queued; done is then not called and b is the
// caller's again.
func (e *Engine) PutRoutes(b *RouteBatch, done func(error)) error {
	if done == nil {
		return ErrInvalid
	}
	return e.w.enqueue(&op{routes: b.ops, done: done})
}

// putRoutesMem puts a written RouteBatch into memory. Runs on the writer
// goroutine.
func (e *Engine) putRoutesMem(ts []typedOp) {
	p := e.policy.Load()
	for i := range ts {
		t := &ts[i]
		e.putRouteMem(makeRouteKey(t.id[:t.n]), routeVal{sp: t.sp, expires: min(t.expires, expiry(t.created, p.cfg.RouteCacheTTL)), n: t.on, origin: t.origin}, p)
	}
}
