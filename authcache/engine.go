package authcache

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Maintenance defaults.
const (
	// DefaultSweepInterval: how often expired records are dropped from
	// memory (they read as absent before that: every lookup checks expiry).
	DefaultSweepInterval = time.Minute
	// DefaultGCInterval: how often Badger's value log is garbage-collected.
	DefaultGCInterval = 10 * time.Minute
	// DefaultFailAfter: consecutive failed write batches after which the
	// store counts as failed and the fail policy applies
	// (docs/authorization.md §6).
	DefaultFailAfter = 3
	// probeTTL: lifetime of the health-probe record.
	probeTTL = time.Minute
	// clockTick refreshes the coarse clock. Expiries are whole seconds; a
	// tenth of a second late is invisible, and time.Now costs 64 ns on the
	// test VM (13% of a LinkID decision).
	clockTick = 100 * time.Millisecond
)

// Option configures Open.
type Option func(*options)

type options struct {
	log       *slog.Logger
	now       func() time.Time
	queue     int
	maxBatch  int
	linger    time.Duration
	sweep     time.Duration
	gc        time.Duration
	failAfter int
	space     *SpaceGuard
}

// WithLogger sets the logger (default slog.Default()). Phone numbers are
// logged at debug level only: they are personal data.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock replaces the clock, for tests of expiry without sleeping; it
// is read on every decision that checks an expiry. Without it the engine
// reads a coarse clock refreshed every 100 ms.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithQueueSize bounds the write queue (default DefaultQueueSize).
func WithQueueSize(n int) Option { return func(o *options) { o.queue = n } }

// WithMaxBatch caps one write batch (default DefaultMaxBatch).
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// WithFlushInterval sets the writer's linger (default DefaultFlushInterval;
// 0 commits as soon as the queue is empty).
func WithFlushInterval(d time.Duration) Option { return func(o *options) { o.linger = d } }

// WithSweepInterval sets the in-memory expiry sweep period.
func WithSweepInterval(d time.Duration) Option { return func(o *options) { o.sweep = d } }

// WithGCInterval sets the value-log GC period.
func WithGCInterval(d time.Duration) Option { return func(o *options) { o.gc = d } }

// WithFailAfter sets how many consecutive failed write batches mark the
// store failed (default DefaultFailAfter).
func WithFailAfter(n int) Option { return func(o *options) { o.failAfter = n } }

// health bits; the engine answers while none is set.
const (
	healthClosed  uint32 = 1 << iota // Close called
	healthWrites                     // the store keeps failing writes
	healthMarked                     // SetAvailable(false)
	healthNoSpace                    // below the free-space reserve (space.go)
)

// Engine is the authorization cache: the rules of docs/authorization.md over an
// in-memory layer loaded from a Store at Open and kept durable by one
// writer goroutine.
//
//	proxy event loops ──Authorize/Route──► sharded maps (no disk, no alloc on a hit)
//	         │ OnMO / API / PutRoute                 │ state changes
//	         └──────────────► memory first ──────────┴──► write queue ──► writer ──► Store (Badger)
//
// All methods are safe for concurrent use from any goroutine.
type Engine struct {
	o      options
	log    *slog.Logger
	now    func() time.Time
	st     Store
	policy atomic.Pointer[policy]
	names  *interner
	w      *writer
	health atomic.Uint32
	space  *spaceWatch // nil without WithSpaceGuard

	subs   [1 << subShardBits]subShard
	links  [1 << linkShardBits]linkShard
	routes [1 << routeShardBits]routeShard
	pend   pendingTable

	changes changeCounts // subscription changes by SP (changes.go)

	// On a store several nodes share: shared spends LinkID uses and takes
	// pending confirmations (shared.go; nil on Badger), the follower keeps
	// memory in step with the other nodes (follow.go).
	shared       SharedStore
	sharedDown   atomic.Bool // the shared store is unreachable (MarkSharedDown, failing writes)
	followCancel context.CancelFunc
	follows      followStats
	sharedStats  sharedStats
	probing      atomic.Bool

	rngMu sync.Mutex
	rng   *mrand.ChaCha8

	coarse bool          // no WithClock: nowSec reads sec
	sec    atomic.Uint32 // Unix seconds, refreshed every clockTick

	writeFails                        atomic.Int64 // consecutive failed batches
	failClosed, failOpen              atomic.Uint64
	reports, swept, corrupt, conflict atomic.Uint64
	gcRuns, gcErrors                  atomic.Uint64
	recovery                          Recovery // the store's, at open; read-only after
	routeEvictions                    atomic.Uint64

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open compiles cfg, loads every live record of st into memory, and starts
// the writer and the maintenance goroutine (expiry sweep, value-log GC,
// store health probe), and with WithSpaceGuard the free-space watch. Open
// blocks until the load is done (see the README
// for the time per million records). On success the Engine owns st and
// Close closes it; on error st is left open.
func Open(cfg Config, st Store, opts ...Option) (*Engine, error) {
	p, err := compilePolicy(cfg)
	if err != nil {
		return nil, err
	}
	o := options{
		log:   slog.Default(),
		queue: DefaultQueueSize, maxBatch: DefaultMaxBatch, linger: DefaultFlushInterval,
		sweep: DefaultSweepInterval, gc: DefaultGCInterval, failAfter: DefaultFailAfter,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.queue < 1 || o.maxBatch < 1 || o.sweep <= 0 || o.gc <= 0 || o.failAfter < 1 {
		return nil, fmt.Errorf("%w: options (queue %d, batch %d, sweep %v, gc %v, failAfter %d)",
			ErrConfig, o.queue, o.maxBatch, o.sweep, o.gc, o.failAfter)
	}
	coarse := o.now == nil
	if coarse {
		o.now = time.Now
	}
	var seed [32]byte
	crand.Read(seed[:]) // never fails (crypto/rand, Go ≥ 1.24)
	e := &Engine{
		o: o, log: o.log, now: o.now, coarse: coarse, st: st,
		names: newInterner(p),
		rng:   mrand.NewChaCha8(seed),
		stop:  make(chan struct{}),
	}
	e.policy.Store(p)
	e.sec.Store(uint32(time.Now().Unix()))
	perShard := (p.cfg.LongSMSCapacity + len(e.links) - 1) / len(e.links)
	if r, ok := st.(RecoveryReporter); ok {
		e.recovery = r.Recovery()
	}
	if o.space != nil {
		if e.space, err = newSpaceWatch(*o.space, o.log, &e.health); err != nil {
			return nil, err
		}
		e.space.check() // known before the first decision
	}
	for i := range e.links {
		e.links[i].m = make(map[linkKey]linkVal)
		e.links[i].parts = newPartsTable(perShard)
	}
	for i := range e.routes {
		e.routes[i].m = make(map[routeKey]routeVal)
	}
	e.pend.m = make(map[string]*pendingEntry)
	e.pend.latest = make(map[pendingKey]string)

	// A store other nodes write too: take the change stream's head before
	// the load, so that whatever they write meanwhile is followed.
	cs, follow := st.(ChangeStore)
	var head ChangeCursor
	if follow {
		if head, err = cs.ChangesHead(); err != nil {
			return nil, fmt.Errorf("authcache: change stream: %w", err)
		}
	}
	if sh, ok := st.(SharedStore); ok {
		e.shared = sh
	}
	start := time.Now()
	if err := e.load(); err != nil {
		return nil, fmt.Errorf("authcache: load: %w", err)
	}
	s := e.Stats()
	e.log.Info("authcache: loaded", "subscriptions", s.Subscriptions, "linkids", s.MOLinkIDs+s.NoticeLinkIDs,
		"web_codes", s.WebCodes, "pending", s.Pending, "routes", s.Routes, "corrupt", s.Corrupt, "took", time.Since(start))

	e.w = newWriter(st, e.names, e.log, o.queue, o.maxBatch, o.linger, e.onBatch, e.putRoutesMem, e.space)
	e.wg.Add(1)
	go e.maintain()
	if e.space != nil {
		e.wg.Add(1)
		go e.watchSpace()
	}
	if follow {
		e.startFollowing(cs, head)
	}
	return e, nil
}

// Close stops the maintenance goroutine, commits everything queued, and
// closes the store. Later Authorize calls answer store_unavailable.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.health.Or(healthClosed)
		close(e.stop)
		if e.followCancel != nil {
			e.followCancel()
		}
		e.wg.Wait()
		e.w.close()
		e.closeErr = e.st.Close()
	})
	return e.closeErr
}

// Available reports whether the engine answers (docs/authorization.md §6):
// loaded, not closed, the store not failing, not below its free-space
// reserve, not marked unavailable.
func (e *Engine) Available() bool { return e.health.Load() == 0 }

// SetAvailable marks the engine unavailable (false) or clears that mark
// (true), e.g. from an external health check of a remote store. While
// unavailable, MTs are refused with the retryable store_unavailable and
// MOs are forwarded untouched (fail-closed / fail-open).
func (e *Engine) SetAvailable(ok bool) {
	if ok {
		e.health.And(^healthMarked)
	} else {
		e.health.Or(healthMarked)
	}
}

// SetPolicy swaps in a new Config (SIGHUP reload). State is untouched;
// new TTLs and use counts apply to records created afterwards.
func (e *Engine) SetPolicy(cfg Config) error {
	p, err := compilePolicy(cfg)
	if err != nil {
		return err
	}
	e.names.setPolicy(p)
	e.policy.Store(p)
	e.log.Info("authcache: policy reloaded", "exempt_sps", len(p.cfg.ExemptSPs), "exempt_services", len(p.cfg.ExemptServices))
	return nil
}

// Store returns the engine's store, for reads by other packages keeping
// their own key prefix (see KeyPrefix). Write through Enqueue / Persist.
func (e *Engine) Store() Store { return e.st }

// Enqueue queues mutations for the writer without waiting. Keys must not be
// under KeyPrefix. The writer owns Key and Value until they are committed:
// do not modify them.
func (e *Engine) Enqueue(ms ...Mutation) error { return e.Persist(nil, ms...) }

// Persist queues mutations like Enqueue and calls done from the writer
// goroutine once the batch holding them is committed (nil) or failed.
// Batches commit in queue order, so done(nil) also means everything queued
// earlier was attempted. done must not block. With no mutations, done
// marks a barrier: it runs once everything queued before was written, with
// the error of the last write attempted.
// When Persist returns an error, done is not called. While the store is
// below its free-space reserve, Persist with a done returns ErrNoSpace and
// queues nothing; without one the mutations are queued and written once
// space is back.
func (e *Engine) Persist(done func(error), ms ...Mutation) error {
	if err := checkMutations(ms); err != nil {
		return err
	}
	return e.enqueueRaw(done, ms)
}

// checkMutations refuses what Persist may not write: an empty key, or one
// under KeyPrefix (the engine's own records).
func checkMutations(ms []Mutation) error {
	for i := range ms {
		if len(ms[i].Key) == 0 {
			return fmt.Errorf("%w: empty key", ErrInvalid)
		}
		if len(ms[i].Key) >= len(KeyPrefix) && string(ms[i].Key[:len(KeyPrefix)]) == KeyPrefix {
			return ErrReservedKey
		}
	}
	return nil
}

// Flush waits until everything queued so far has been written and returns
// the error of the last write attempted (nil: the store took it).
func (e *Engine) Flush() error {
	ch := make(chan error, 1)
	if err := e.enqueueRaw(func(err error) { ch <- err }, nil); err != nil {
		return err
	}
	return <-ch
}

func (e *Engine) enqueueRaw(done func(error), ms []Mutation) error {
	return e.w.enqueue(rawOp(done, ms))
}

// rawOp is the writer op of Persist's arguments. It keeps no reference to
// ms itself (the rest are copied), so that a caller's variadic slice stays
// on its stack: Persist and Enqueue of one mutation do not allocate.
func rawOp(done func(error), ms []Mutation) *op {
	o := &op{done: done}
	if len(ms) > 0 {
		o.m = ms[0]
	}
	if len(ms) > 1 {
		o.more = append([]Mutation(nil), ms[1:]...)
	}
	return o
}

// onBatch runs on the writer goroutine after every Apply.
func (e *Engine) onBatch(_ int, err error) {
	if err == nil {
		e.writeFails.Store(0)
		if e.health.Load()&healthWrites != 0 {
			e.health.And(^healthWrites)
			e.log.Info("authcache: store writes recovered")
		}
		return
	}
	if e.writeFails.Add(1) == int64(e.o.failAfter) {
		e.health.Or(healthWrites)
		e.log.Error("authcache: store failing, fail policy in force (MT refused, MO forwarded)", "err", err)
	}
}

// maintain runs the expiry sweep, the value-log GC and, while writes fail,
// a probe write that clears the failure once the store accepts it again.
func (e *Engine) maintain() {
	defer e.wg.Done()
	sweep := time.NewTicker(e.o.sweep)
	defer sweep.Stop()
	gc := time.NewTicker(e.o.gc)
	defer gc.Stop()
	clock := time.NewTicker(clockTick)
	defer clock.Stop()
	probe := time.NewTicker(time.Second)
	defer probe.Stop()
	for {
		select {
		case <-e.stop:
			return
		case now := <-clock.C:
			if e.coarse {
				e.sec.Store(uint32(now.Unix()))
			}
		case <-sweep.C:
			e.sweep()
			if e.health.Load()&healthWrites != 0 && !e.space.low() {
				e.probeAsync()
			}
		case <-probe.C:
			// A shared store is probed every second while writes fail:
			// its outage stops LinkID MTs, so recovery must be seen soon.
			if e.shared != nil && e.health.Load()&healthWrites != 0 {
				e.probeAsync()
			}
		case <-gc.C:
			if !e.space.low() { // GC rewrites value-log files
				e.runGC()
			}
		}
	}
}

func (e *Engine) runGC() {
	g, ok := e.st.(GCStore)
	if !ok {
		return
	}
	if err := g.RunGC(); err != nil {
		e.gcErrors.Add(1)
		e.log.Warn("authcache: value-log gc", "err", err)
		return
	}
	e.gcRuns.Add(1)
}

// probeAsync probes on its own goroutine, one probe at a time: a remote
// store may take its whole timeout to fail, and the maintenance goroutine
// keeps the coarse clock.
func (e *Engine) probeAsync() {
	if !e.probing.CompareAndSwap(false, true) {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer e.probing.Store(false)
		e.probe()
	}()
}

func (e *Engine) probe() {
	m := Mutation{Key: []byte(KeyPrefix + string(kindProbe)), Value: []byte{recordVersion},
		ExpiresAt: e.now().Add(probeTTL).Unix()}
	if err := e.st.Apply([]Mutation{m}); err == nil {
		e.onBatch(1, nil)
	}
}

// nowSec is the engine clock in Unix seconds, the unit of every in-memory
// expiry.
func (e *Engine) nowSec() uint32 {
	if e.coarse {
		return e.sec.Load()
	}
	return uint32(e.now().Unix())
}

// cancelledExpiry is when a cancelled subscription leaves memory.
func cancelledExpiry(v subVal, retention time.Duration) uint32 {
	return expiry(v.updated, retention)
}

// expiry returns now+ttl in Unix seconds.
func expiry(now uint32, ttl time.Duration) uint32 {
	return now + uint32((ttl+time.Second-1)/time.Second)
}

// sweep drops expired records from memory. The store expires them by TTL
// on its own.
func (e *Engine) sweep() {
	now := e.nowSec()
	retention := e.policy.Load().cfg.CancelledRetention
	var n uint64
	for i := range e.subs {
		s := &e.subs[i]
		s.mu.Lock()
		idle := s.cancelled == 0
		s.mu.Unlock()
		if idle {
			continue
		}
		s.mu.Lock()
		var gone []subKey
		s.t.each(func(k subKey, v subVal) {
			if v.state == SubCancelled && now >= cancelledExpiry(v, retention) {
				gone = append(gone, k)
			}
		})
		for _, k := range gone {
			s.del(k)
		}
		s.mu.Unlock()
		n += uint64(len(gone))
	}
	for i := range e.links {
		s := &e.links[i]
		s.mu.Lock()
		for k, v := range s.m {
			if now >= v.expires {
				s.del(k)
				n++
			}
		}
		n += uint64(s.parts.sweep(now))
		s.mu.Unlock()
	}
	for i := range e.routes {
		s := &e.routes[i]
		s.mu.Lock()
		for _, m := range [2]map[routeKey]routeVal{s.m, s.old} {
			for k, v := range m {
				if now >= v.expires {
					delete(m, k)
					n++
				}
			}
		}
		s.mu.Unlock()
	}
	e.pend.mu.Lock()
	for id, p := range e.pend.m {
		if int64(now) >= p.rec.Expires {
			e.pend.deleteLocked(id, p)
			n++
		}
	}
	e.pend.mu.Unlock()
	e.swept.Add(n)
}

// Stats is a snapshot of the engine's counters.
type Stats struct {
	// Records in memory by kind (expired but not yet swept included).
	Subscriptions          int // active
	CancelledSubscriptions int
	PausedSubscriptions    int // paused by a carrier platform (subscription sync)
	MOLinkIDs              int
	NoticeLinkIDs          int
	WebCodes               int
	Pending                int
	Routes                 int
	LongSMSDecisions       int // decisions on long LinkID messages still being sent

	// The route cache (Config.RouteCacheBytes): routes that left memory to
	// stay within it (they remain in the store), and the budget.
	RouteEvictions  uint64
	RouteCacheBytes int64

	// Write path.
	QueueDepth    int
	QueueCapacity int
	Written       uint64 // mutations committed
	Batches       uint64 // batches committed
	WriteErrors   uint64 // batches that failed
	Dropped       uint64 // mutations refused by a full queue

	// Free space (zero without WithSpaceGuard).
	SpaceLow     bool   // below the reserve: nothing is written
	FreeBytes    uint64 // at the last measurement
	ReserveBytes uint64

	// Fail policy (docs/authorization.md §6).
	Available    bool
	FailClosedMT uint64 // MTs refused store_unavailable
	FailOpenMO   uint64 // MOs forwarded untouched

	// Long LinkID messages (longsms.go): first parts decided, later parts
	// that followed a decision without spending, decisions evicted by a
	// full set and decisions that expired before their message was
	// complete (the later parts of both were decided anew); the capacity
	// Open allocated (Config.LongSMSCapacity rounded up).
	LongSMSDecided  uint64
	LongSMSFollowed uint64
	LongSMSEvicted  uint64
	LongSMSExpired  uint64
	LongSMSCapacity int

	ReportsSeen uint64
	Swept       uint64 // expired records dropped from memory
	Corrupt     uint64 // records skipped at load
	// What the store's own recovery dropped at open (RecoveryReporter):
	// log entries that came after damage in a write-ahead log.
	ReplayDroppedEntries uint64
	ReplayDroppedBytes   uint64

	LinkIDConflicts uint64 // SMG LinkIDs not recorded: a live web code has the same bytes
	GCRuns          uint64
	GCErrors        uint64

	// Following the other nodes on a shared store (follow.go): whether
	// the follower runs, the changes and mutations it applied, its reloads
	// after falling behind the stream, its failures, and the lag from the
	// origin's write to this node's memory (FollowLag: counts per bucket
	// of FollowLagBounds, the last one above them all; FollowLagSum in
	// seconds).
	Following                                                       bool
	FollowedChanges, FollowedMutations, FollowReloads, FollowErrors uint64
	FollowLag                                                       []uint64
	FollowLagSum                                                    float64

	// Decisions through a SharedStore (shared.go): MTs deferred, LinkID
	// uses spent, refused used-up, long-message parts that followed
	// another part's decision, failed store calls; confirmations taken
	// and failed takes; whether the store is marked unreachable.
	SharedDeferred, SharedSpent, SharedUsedUp, SharedFollowed, SharedErrors uint64
	SharedConfirms, SharedConfirmErrors                                     uint64
	SharedDown                                                              bool
}

// Stats returns the current counters. It takes each shard's lock briefly.
func (e *Engine) Stats() Stats {
	var s Stats
	for i := range e.subs {
		sh := &e.subs[i]
		sh.mu.Lock()
		s.Subscriptions += sh.active
		s.CancelledSubscriptions += sh.cancelled
		s.PausedSubscriptions += sh.paused
		sh.mu.Unlock()
	}
	for i := range e.links {
		sh := &e.links[i]
		sh.mu.Lock()
		s.MOLinkIDs += sh.n[linkMO]
		s.WebCodes += sh.n[linkWeb]
		s.NoticeLinkIDs += sh.n[linkNotice]
		t := &sh.parts
		s.LongSMSDecisions += t.n
		s.LongSMSDecided += t.decided
		s.LongSMSFollowed += t.followed
		s.LongSMSEvicted += t.evicted
		s.LongSMSExpired += t.expired
		s.LongSMSCapacity += len(t.ways)
		sh.mu.Unlock()
	}
	for i := range e.routes {
		sh := &e.routes[i]
		sh.mu.RLock()
		s.Routes += sh.len()
		sh.mu.RUnlock()
	}
	e.pend.mu.Lock()
	s.Pending = len(e.pend.m)
	e.pend.mu.Unlock()
	if e.w != nil {
		s.QueueDepth, s.QueueCapacity = e.w.depth(), e.w.limit
		s.Written, s.Batches = e.w.written.Load(), e.w.batches.Load()
		s.WriteErrors, s.Dropped = e.w.failed.Load(), e.w.dropped.Load()
	}
	s.Available = e.Available()
	if sp := e.Space(); sp.Guarded {
		s.SpaceLow, s.FreeBytes, s.ReserveBytes = sp.Low, sp.Free, sp.Reserve
	}
	s.FailClosedMT, s.FailOpenMO = e.failClosed.Load(), e.failOpen.Load()
	s.ReportsSeen, s.Swept, s.Corrupt = e.reports.Load(), e.swept.Load(), e.corrupt.Load()
	s.LinkIDConflicts = e.conflict.Load()
	s.GCRuns, s.GCErrors = e.gcRuns.Load(), e.gcErrors.Load()
	s.ReplayDroppedEntries, s.ReplayDroppedBytes = e.recovery.DroppedEntries, e.recovery.DroppedBytes
	s.RouteEvictions = e.routeEvictions.Load()
	f := &e.follows
	s.Following = f.following.Load()
	s.FollowedChanges, s.FollowedMutations = f.changes.Load(), f.mutations.Load()
	s.FollowReloads, s.FollowErrors = f.reloads.Load(), f.errors.Load()
	s.FollowLag = make([]uint64, len(f.lag))
	for i := range f.lag {
		s.FollowLag[i] = f.lag[i].Load()
	}
	s.FollowLagSum = float64(f.lagSumMicros.Load()) / 1e6
	sh := &e.sharedStats
	s.SharedDeferred, s.SharedSpent, s.SharedUsedUp = sh.deferred.Load(), sh.spent.Load(), sh.usedUp.Load()
	s.SharedFollowed, s.SharedErrors = sh.followed.Load(), sh.errors.Load()
	s.SharedConfirms, s.SharedConfirmErrors = sh.confirms.Load(), sh.confirmErrors.Load()
	s.SharedDown = e.sharedDown.Load()
	s.RouteCacheBytes = e.policy.Load().cfg.RouteCacheBytes
	return s
}

// ReportSeen counts a status report relayed for sp (docs/authorization.md §4:
// reports always pass; logged, not stored).
func (e *Engine) ReportSeen(sp string) {
	e.reports.Add(1)
	if e.log.Enabled(context.Background(), slog.LevelDebug) { // once per report: no boxing when off
		e.log.Debug("authcache: report seen", "sp", sp)
	}
}

// load fills memory from the store, skipping expired and corrupt records.
func (e *Engine) load() error {
	now := e.nowSec()
	uses := make(map[linkKey]uint16)
	err := e.st.Scan([]byte(KeyPrefix), func(k, v []byte) error {
		if len(k) < len(KeyPrefix)+2 || k[len(KeyPrefix)+1] != '/' {
			return nil // the probe record
		}
		kind, id := k[len(KeyPrefix)], k[len(KeyPrefix)+2:]
		var err error
		switch kind {
		case kindSub:
			err = e.loadSub(k, v, now)
		case kindLink:
			err = e.loadLink(id, v, now)
		case kindUses:
			var n int
			if n, err = decodeUses(v); err == nil && len(id) <= MaxLinkIDLen {
				var lk linkKey
				copy(lk[:], id)
				uses[lk] = uint16(n)
			}
		case kindPending:
			err = e.loadPending(id, v, now)
		case kindRoute:
			err = e.loadRoute(id, v, now)
		}
		if err != nil {
			e.corrupt.Add(1)
			e.log.Warn("authcache: skipping corrupt record", "kind", string(kind), "err", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Uses left are written apart from their LinkID (writer typedUses).
	// On a shared store they are counted in the store (TakeUses) and
	// memory keeps the uses the record grants.
	if e.shared == nil {
		for k, n := range uses {
			s := &e.links[linkShardOf(&k)]
			s.mu.Lock()
			if v, ok := s.m[k]; ok {
				v.uses = n
				s.m[k] = v
			}
			s.mu.Unlock()
		}
	}
	return nil
}

func (e *Engine) loadSub(k, v []byte, now uint32) error {
	user, sp, svc, err := parseSubKey(k)
	if err != nil {
		return err
	}
	r, err := decodeSub(v)
	if err != nil {
		return err
	}
	if r.State != SubActive && r.State != SubCancelled && r.State != SubPaused {
		return fmt.Errorf("%w: subscription state %d", ErrCorruptRecord, r.State)
	}
	if r.State == SubCancelled && r.Expires != 0 && int64(now) >= r.Expires {
		return nil
	}
	uk, ok := userKey(user)
	if !ok {
		return fmt.Errorf("%w: empty user", ErrCorruptRecord)
	}
	sk := makeSubKey(uk, e.names.pair(e.names.spName(sp), svc))
	sh := &e.subs[subShardOf(uk)]
	sh.mu.Lock() // uncontended at Open; the follower shares the tables with the API
	sh.put(sk, subVal{since: uint32(r.Since), updated: uint32(r.Updated), state: r.State, source: r.Source})
	if r.SyncAt > 0 {
		sh.setSyncAt(sk, r.SyncAt)
	}
	sh.mu.Unlock()
	return nil
}

func (e *Engine) loadLink(id, v []byte, now uint32) error {
	r, err := decodeLink(v)
	if err != nil {
		return err
	}
	if len(id) == 0 || len(id) > MaxLinkIDLen || r.Kind < linkMO || r.Kind > linkNotice {
		return fmt.Errorf("%w: link id length %d kind %d", ErrCorruptRecord, len(id), r.Kind)
	}
	if int64(now) >= r.Expires {
		return nil
	}
	uk, ok := userKey([]byte(r.User))
	if !ok {
		return fmt.Errorf("%w: empty user", ErrCorruptRecord)
	}
	var lk linkKey
	copy(lk[:], id)
	lv := linkVal{user: uk, svc: e.names.pair(r.SP, []byte(r.Service)),
		expires: uint32(r.Expires), uses: uint16(r.Uses), kind: r.Kind}
	s := &e.links[linkShardOf(&lk)]
	s.mu.Lock()
	s.put(lk, lv)
	s.mu.Unlock()
	return nil
}

func (e *Engine) loadPending(id, v []byte, now uint32) error {
	r, err := decodePending(string(id), v)
	if err != nil {
		return err
	}
	if int64(now) >= r.Expires {
		return nil
	}
	uk, ok := userKey([]byte(r.User))
	if !ok {
		return fmt.Errorf("%w: empty user", ErrCorruptRecord)
	}
	e.pend.mu.Lock()
	e.pend.putLocked(&pendingEntry{rec: r, user: uk})
	e.pend.mu.Unlock()
	return nil
}

func (e *Engine) loadRoute(id, v []byte, now uint32) error {
	sp, origin, created, expires, err := decodeRoute(v)
	if err != nil {
		return err
	}
	if len(origin) > MaxOriginLen || sp == "" || len(id) == 0 {
		return fmt.Errorf("%w: route", ErrCorruptRecord)
	}
	memExp := min(expires, created+int64(e.policy.Load().cfg.RouteCacheTTL/time.Second))
	if int64(now) >= memExp {
		return nil // live on disk only (LookupRoute)
	}
	rv := routeVal{sp: e.names.sp(sp), expires: uint32(memExp), n: uint8(len(origin))}
	copy(rv.origin[:], origin)
	e.putRouteMem(makeRouteKey(id), rv, e.policy.Load())
	return nil
}

// randUint64 draws from the engine's ChaCha8 stream (seeded from
// crypto/rand): LinkIDs and codes must not be guessable.
func (e *Engine) randUint64() uint64 {
	e.rngMu.Lock()
	defer e.rngMu.Unlock()
	return e.rng.Uint64()
}
