package authcache

import (
	"bytes"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Writer defaults.
const (
	// DefaultQueueSize bounds the mutations waiting for the writer. At the
	// 200 k records/s the writer sustains, 65536 absorbs a third of a
	// second of Badger stall before mutations are dropped.
	DefaultQueueSize = 65536
	// DefaultMaxBatch caps one WriteBatch.
	DefaultMaxBatch = 4096
	// DefaultFlushInterval is how long the writer lingers for more
	// mutations once one is queued, trading a millisecond of durability
	// latency for fewer, larger commits at low load. Under load batches
	// fill while the previous one commits.
	DefaultFlushInterval = time.Millisecond
)

// writer is the single goroutine that turns queued state changes into
// Store.Apply batches:
//
//	Authorize / OnMO / API / PutRoute / Persist
//	      │ append under mu (full → dropped, counted); wake the writer if idle
//	      ▼
//	  pending (bounded) ──swap whole──► run: ≤ maxBatch per Apply, coalesced by key ──► Store.Apply ──► done(err)
//
// Decisions never wait for it: the in-memory layer is updated first and
// stays authoritative. The queue is a slice the writer takes in one swap,
// not a channel: a channel would cost the writer a lock round trip per
// item, contending with every producer (measured: PutRoute 2.5 µs/op
// against a busy writer, from ~0.1 µs).
//
// With a free-space watch the writer measures free space before every
// batch and writes nothing below the reserve (space.go): it answers the
// ops that wait for durability with ErrNoSpace, keeps the others queued,
// and sleeps until the watch sees space again.
type writer struct {
	st       Store
	names    *interner
	log      *slog.Logger
	limit    int
	maxBatch int
	linger   time.Duration
	onBatch  func(n int, err error) // engine hook: stats and health
	onRoutes func([]typedOp)        // engine hook: a RouteBatch's routes, written, go into memory
	space    *spaceWatch            // nil: no free-space watch

	mu      sync.Mutex
	pending []op
	closed  bool
	wake    chan struct{} // cap 1: pending went from empty to non-empty, or closed
	exited  chan struct{}

	// owned by run
	lastErr error // of the last Apply: what a barrier alone in a batch reports
	spare   []op
	muts    []Mutation
	idx     map[uint64]int
	arena   []byte

	written, batches, failed, dropped atomic.Uint64
}

// op is one queue element: a raw mutation (plus more of them, for a
// multi-record Persist), or a typed hot-path change the writer encodes
// itself so that Authorize and PutRoute do not allocate.
type op struct {
	m    Mutation
	more []Mutation
	done func(error)
	t    typedOp
	// routes: a RouteBatch's records (Engine.PutRoutes), borrowed until
	// done is called; they go into memory once written, before done.
	routes []typedOp
}

type typedKind uint8

const (
	typedNone        typedKind = iota
	typedUses                  // ac/u/<id>: uses left of a LinkID
	typedRoute                 // ac/r/<id>: a route
	typedRouteDelete           // ac/r/<id>: a route deleted
)

type typedOp struct {
	kind             typedKind
	n, on            uint8 // id and origin lengths
	uses             uint16
	sp               uint32
	created, expires uint32
	id               [24]byte
	origin           [MaxOriginLen]byte
}

func newWriter(st Store, names *interner, log *slog.Logger, queue, maxBatch int, linger time.Duration, onBatch func(int, error), onRoutes func([]typedOp), space *spaceWatch) *writer {
	w := &writer{
		st: st, names: names, log: log,
		limit:    queue,
		maxBatch: maxBatch,
		linger:   linger,
		onBatch:  onBatch,
		onRoutes: onRoutes,
		space:    space,
		wake:     make(chan struct{}, 1),
		exited:   make(chan struct{}),
		idx:      make(map[uint64]int),
	}
	if space != nil {
		space.wake = w.signal
	}
	go w.run()
	return w
}

// enqueue never blocks: a full queue drops the op (ErrQueueFull). Below
// the free-space reserve an op that waits for durability is refused
// (ErrNoSpace): its caller must not acknowledge what it carries.
func (w *writer) enqueue(o *op) error {
	if o.done != nil && w.space.low() {
		return ErrNoSpace
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrStoreClosed
	}
	if len(w.pending) >= w.limit {
		w.mu.Unlock()
		w.dropped.Add(1)
		return ErrQueueFull
	}
	w.pending = append(w.pending, *o)
	first := len(w.pending) == 1
	w.mu.Unlock()
	if first {
		w.signal()
	}
	return nil
}

// enqueueAll queues ops in order, under one lock, each as enqueue would:
// an op that waits for durability while the store is below its reserve
// is refused ErrNoSpace, ops beyond a full queue ErrQueueFull (counted in
// dropped), all of them ErrStoreClosed once closed. The done of every op
// refused is called with its error once the lock is released; the first
// error is returned.
func (w *writer) enqueueAll(ops []op, refused *[]refusedOp) error {
	low := w.space.low()
	var first error
	w.mu.Lock()
	wasEmpty := len(w.pending) == 0
	for i := range ops {
		o := &ops[i]
		var err error
		switch {
		case w.closed:
			err = ErrStoreClosed
		case o.done != nil && low:
			err = ErrNoSpace
		case len(w.pending) >= w.limit:
			w.dropped.Add(1)
			err = ErrQueueFull
		default:
			w.pending = append(w.pending, *o)
			continue
		}
		if first == nil {
			first = err
		}
		if o.done != nil {
			*refused = append(*refused, refusedOp{done: o.done, err: err})
		}
	}
	wake := wasEmpty && len(w.pending) > 0
	w.mu.Unlock()
	if wake {
		w.signal()
	}
	for i, r := range *refused {
		r.done(r.err)
		(*refused)[i] = refusedOp{}
	}
	*refused = (*refused)[:0]
	return first
}

// refusedOp is an op enqueueAll could not queue, to be told so.
type refusedOp struct {
	done func(error)
	err  error
}

func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // already signalled
	}
}

// close commits everything queued before it and stops the goroutine.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
	<-w.exited
}

func (w *writer) depth() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

func (w *writer) run() {
	defer close(w.exited)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	idle := true
	for {
		w.mu.Lock()
		for (len(w.pending) == 0 || w.space.low()) && !w.closed {
			w.mu.Unlock()
			<-w.wake
			idle = true
			w.mu.Lock()
		}
		if len(w.pending) == 0 { // closed and drained
			w.mu.Unlock()
			return
		}
		if idle && w.linger > 0 && len(w.pending) < w.maxBatch && !w.closed {
			// Woken from idle by a first op: linger for company. Under load
			// the writer never idles and commits back to back.
			w.mu.Unlock()
			timer.Reset(w.linger)
			<-timer.C
			w.mu.Lock()
		}
		taken := w.pending
		w.pending = w.spare[:0]
		w.mu.Unlock()
		idle = false
		for batch := taken; len(batch) > 0; {
			if !w.space.check() {
				w.holdBack(batch)
				break
			}
			n := min(len(batch), w.maxBatch)
			w.commit(batch[:n])
			batch = batch[n:]
		}
		clear(taken) // drop references to committed keys and callbacks
		w.spare = taken[:0]
	}
}

// holdBack runs when the store went below its free-space reserve with
// batch still to write. Ops that wait for durability are answered
// ErrNoSpace and dropped, as a failed write would be; the rest (state that
// memory already holds) goes back to the head of the queue, to be written
// once space is back. At close nothing can wait any longer: they are
// dropped and counted in the log.
func (w *writer) holdBack(batch []op) {
	kept := make([]op, 0, len(batch))
	var answer []func(error)
	for i := range batch {
		if batch[i].done != nil {
			answer = append(answer, batch[i].done)
			continue
		}
		kept = append(kept, batch[i])
	}
	w.mu.Lock()
	closed := w.closed
	if !closed {
		w.pending = append(kept, w.pending...)
	}
	w.mu.Unlock()
	// Answered once the rest is back in the queue: a caller that looks at
	// the queue when told sees it.
	for _, done := range answer {
		done(ErrNoSpace)
	}
	if !closed {
		return
	}
	n := 0
	for i := range kept {
		n += len(kept[i].more)
		n += len(kept[i].routes)
		if kept[i].m.Key != nil || kept[i].t.kind != typedNone {
			n++
		}
	}
	if n > 0 {
		w.log.Error("authcache: closing below the free-space reserve: queued mutations not written (lost at exit)", "mutations", n)
	}
}

func (w *writer) commit(batch []op) {
	w.muts, w.arena = w.muts[:0], w.arena[:0]
	clear(w.idx)
	for i := range batch {
		o := &batch[i]
		switch o.t.kind {
		case typedUses, typedRoute, typedRouteDelete:
			w.add(w.encode(&o.t))
		default:
			if o.m.Key != nil {
				w.add(o.m)
			}
			for _, m := range o.more {
				w.add(m)
			}
		}
		for j := range o.routes {
			w.add(w.encode(&o.routes[j]))
		}
	}
	err := w.lastErr
	if len(w.muts) > 0 {
		err = w.st.Apply(w.muts)
		w.lastErr = err
		if err != nil {
			w.failed.Add(1)
			// Keys hold phone numbers: log the count and the error only.
			w.log.Warn("authcache: write batch failed", "mutations", len(w.muts), "err", err)
		} else {
			w.written.Add(uint64(len(w.muts)))
			w.batches.Add(1)
		}
		w.onBatch(len(w.muts), err)
	}
	for i := range batch {
		if err == nil && len(batch[i].routes) > 0 && w.onRoutes != nil {
			w.onRoutes(batch[i].routes) // before done: whoever done releases finds them
		}
		if batch[i].done != nil {
			batch[i].done(err)
		}
	}
	clear(w.muts)
}

// add appends m, replacing an earlier mutation of the same key in this
// batch (the writer coalesces: ten uses of one LinkID are one write). The
// index is keyed by a hash of the key; when two keys collide the second is
// simply appended (mutations apply in order, so the last still wins).
func (w *writer) add(m Mutation) {
	h := maphash.Bytes(coalesceSeed, m.Key)
	if i, ok := w.idx[h]; ok && bytes.Equal(w.muts[i].Key, m.Key) {
		w.muts[i] = m
		return
	} else if !ok {
		w.idx[h] = len(w.muts)
	}
	w.muts = append(w.muts, m)
}

var coalesceSeed = maphash.MakeSeed()

// encode turns a typed op into a mutation whose bytes live in the arena
// (reused after the batch commits; Apply does not retain them).
func (w *writer) encode(t *typedOp) Mutation {
	start := len(w.arena)
	switch t.kind {
	case typedUses:
		w.arena = recordKey(w.arena, kindUses, t.id[:t.n])
		k := len(w.arena)
		w.arena = appendUses(w.arena, t.uses)
		return Mutation{Key: w.arena[start:k:k], Value: w.arena[k:len(w.arena):len(w.arena)], ExpiresAt: int64(t.expires)}
	case typedRouteDelete:
		w.arena = recordKey(w.arena, kindRoute, t.id[:t.n])
		return Mutation{Key: w.arena[start:len(w.arena):len(w.arena)], Delete: true}
	default: // typedRoute
		w.arena = recordKey(w.arena, kindRoute, t.id[:t.n])
		k := len(w.arena)
		sp := w.names.load().spNames[t.sp]
		w.arena = appendRoute(w.arena, sp, t.origin[:t.on], int64(t.created), int64(t.expires))
		return Mutation{Key: w.arena[start:k:k], Value: w.arena[k:len(w.arena):len(w.arena)], ExpiresAt: int64(t.expires)}
	}
}
