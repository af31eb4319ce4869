package authcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchUser writes user i ("13" + 9 digits) into buf.
func benchUser(buf *[11]byte, i int) []byte {
	buf[0], buf[1] = '1', '3'
	for p := 10; p >= 2; p-- {
		buf[p] = byte('0' + i%10)
		i /= 10
	}
	return buf[:]
}

// bulkSubscribe is the bulk-load path of the benchmarks: n active
// subscriptions of users 0..n-1 to (sp, svc) straight into the shards,
// pre-sized, without the writer (Open's load from a Store does the same per
// record, after decoding it).
func bulkSubscribe(e *Engine, first, n int, sp, svc string) {
	id := e.names.pair(sp, []byte(svc))
	for i := range e.subs {
		s := &e.subs[i]
		s.mu.Lock()
		s.t.reserve(s.t.n + n/len(e.subs)*9/8)
		s.mu.Unlock()
	}
	var buf [11]byte
	for i := first; i < first+n; i++ {
		uk, _ := userKey(benchUser(&buf, i))
		s := &e.subs[subShardOf(uk)]
		s.mu.Lock()
		s.put(makeSubKey(uk, id), subVal{since: 1, updated: 1, state: SubActive, source: SourceImport})
		s.mu.Unlock()
	}
}

func benchEngine(b *testing.B, cfg Config, st Store) *Engine {
	b.Helper()
	if st == nil {
		st = NewMemStore(nil)
	}
	e, err := Open(cfg, st, WithLogger(quietLogger()), WithSweepInterval(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// stride walks routes in a scattered order (a prime coprime with the
// table sizes), so the 1M run pays the cache misses a real mix would.
const stride = 999983

// users lays out users first … first+n-1 back to back (11 bytes each), as
// recipients sit in a network buffer. The benchmarks walk it in order:
// sequential for the prefetcher, while the users land on scattered shards
// and slots (both are hashed), so the table lookups miss the cache like a
// real mix of users.
type users struct {
	buf []byte
	i   int
}

func newUsers(first, n int) *users {
	u := &users{buf: make([]byte, 0, 11*n)}
	var b [11]byte
	for i := range n {
		u.buf = append(u.buf, benchUser(&b, first+i)...)
	}
	return u
}

// next returns the next user, wrapping around.
func (u *users) next() []byte {
	if u.i == len(u.buf) {
		u.i = 0
	}
	u.i += 11
	return u.buf[u.i-11 : u.i : u.i]
}

func benchSizes() []int {
	sizes := []int{10_000, 1_000_000}
	if os.Getenv("AUTHCACHE_BENCH_10M") != "" {
		sizes = append(sizes, 10_000_000)
	}
	return sizes
}

// BenchmarkAuthorizeSubscriptionHit: a plain MT whose user is subscribed,
// the most common decision. Target ≤ 200 ns/op, 0 allocs/op, flat from 10k
// to 1M subscriptions.
func BenchmarkAuthorizeSubscriptionHit(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(sizeLabel(n), func(b *testing.B) {
			e := benchEngine(b, testConfig(), nil)
			bulkSubscribe(e, 0, n, spA, "MUSIC")
			u := newUsers(0, n)
			mt := MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{nil}}
			b.ReportAllocs()
			for b.Loop() {
				mt.Dests[0] = u.next()
				if !e.Authorize(&mt).Allow {
					b.Fatal("refused")
				}
			}
		})
	}
}

// BenchmarkAuthorizeMiss: a plain MT to a user with no subscription.
func BenchmarkAuthorizeMiss(b *testing.B) {
	const n = 1_000_000
	e := benchEngine(b, testConfig(), nil)
	bulkSubscribe(e, 0, n, spA, "MUSIC")
	u := newUsers(n, n)
	mt := MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{nil}}
	b.ReportAllocs()
	for b.Loop() {
		mt.Dests[0] = u.next()
		if e.Authorize(&mt).Allow {
			b.Fatal("allowed")
		}
	}
}

// BenchmarkAuthorizeParallel: subscription hits from every core at once
// (the proxy's event loops), 1M subscriptions.
func BenchmarkAuthorizeParallel(b *testing.B) {
	const n = 1_000_000
	e := benchEngine(b, testConfig(), nil)
	bulkSubscribe(e, 0, n, spA, "MUSIC")
	all := newUsers(0, n)
	var loop atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		u := &users{buf: all.buf, i: int(loop.Add(1)*104729%n) * 11} // loops start apart
		mt := MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{nil}}
		for pb.Next() {
			mt.Dests[0] = u.next()
			if !e.Authorize(&mt).Allow {
				panic("refused")
			}
		}
	})
}

// discardStore accepts every write and keeps nothing: benchmarks of the
// callers' side of the write path (the writer's side is
// BenchmarkWriteBatch).
type discardStore struct{ MemStore }

func (*discardStore) Apply([]Mutation) error { return nil }

func newDiscardStore() Store { return &discardStore{*NewMemStore(nil)} }

// BenchmarkAuthorizeMOLinkID: an MT with a live MO LinkID (one use
// consumed and queued for the writer per op). B/op includes what the writer
// goroutine allocates encoding the queued records.
func BenchmarkAuthorizeMOLinkID(b *testing.B) {
	cfg := testConfig()
	cfg.MOLinkIDUses = 65535
	e := benchEngine(b, cfg, newDiscardStore())
	const links = 256
	var ids [links][]byte
	for i := range ids {
		ids[i] = []byte(e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(spANumber), SP: spA, LinkIDMax: 8}).LinkID)
	}
	mt := MT{SP: spA, ServiceCode: []byte("NEWS"), Dests: [][]byte{[]byte(userA)}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		mt.LinkID = ids[i%links]
		i++
		if i == links*65535 {
			b.Fatal("LinkIDs used up; raise links")
		}
		if !e.Authorize(&mt).Allow {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAuthorizeLongSMSPart: the parts of six-part replies on MO
// LinkIDs, in order, one op per part: one part in six decides and spends a
// use, five follow its decision. uses/msg proves the one use per message.
func BenchmarkAuthorizeLongSMSPart(b *testing.B) {
	cfg := testConfig()
	cfg.MOLinkIDUses = 65535
	e := benchEngine(b, cfg, newDiscardStore())
	const links, total = 256, 6
	var ids [links][]byte
	for i := range ids {
		ids[i] = []byte(e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(spANumber), SP: spA, LinkIDMax: 8}).LinkID)
	}
	mt := MT{SP: spA, ServiceCode: []byte("NEWS"), Dests: [][]byte{[]byte(userA)}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		msg := i / total
		mt.LinkID = ids[msg%links]
		mt.Segment = Segment{Ref: uint16(msg / links), Total: total, Seq: uint8(i%total + 1)}
		i++
		if msg/links == 65535 {
			b.Fatal("LinkIDs used up; raise links")
		}
		if !e.Authorize(&mt).Allow {
			b.Fatal("refused")
		}
	}
	spent := 0
	for _, id := range ids {
		var k linkKey
		copy(k[:], id)
		s := &e.links[linkShardOf(&k)]
		s.mu.Lock()
		spent += 65535 - int(s.m[k].uses)
		s.mu.Unlock()
	}
	b.ReportMetric(float64(spent)/float64((i+total-1)/total), "uses/msg")
}

// BenchmarkRoute: report routing lookups among 1M routes.
func BenchmarkRoute(b *testing.B) {
	const n = 1_000_000
	e := benchEngine(b, testConfig(), nil)
	bulkRoutes(e, n)
	var id [8]byte
	b.ReportAllocs()
	j := 0
	for b.Loop() {
		j = (j + stride) % n
		binary.BigEndian.PutUint64(id[:], uint64(j))
		if _, ok := e.Route(id[:]); !ok {
			b.Fatal("no route")
		}
	}
}

// bulkRoutes records n routes with 8-byte ids (CMPP Msg_Id) in memory.
func bulkRoutes(e *Engine, n int) {
	sp := e.names.sp(spA)
	exp := expiry(e.nowSec(), DefaultRouteTTL)
	for i := range e.routes {
		e.routes[i].m = make(map[routeKey]routeVal, n/len(e.routes)*9/8+8)
	}
	var id [8]byte
	for i := range n {
		binary.BigEndian.PutUint64(id[:], uint64(i))
		k := makeRouteKey(id[:])
		s := &e.routes[routeShardOf(&k)]
		s.m[k] = routeVal{sp: sp, expires: exp, n: 12}
	}
}

// BenchmarkPutRoute: the per-Submit route write (memory + a queued typed
// op), into a growing route table. B/op includes the writer's encoding.
func BenchmarkPutRoute(b *testing.B) {
	e := benchEngine(b, testConfig(), newDiscardStore())
	o, _ := MakeOrigin([]byte("123456789012"))
	var id [8]byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		binary.BigEndian.PutUint64(id[:], uint64(i))
		e.PutRoute(id[:], Route{SP: spA, Origin: o})
	}
}

// BenchmarkGatedRoutes: the SGIP report routes of GOMAXPROCS event loops,
// 256 Submits per callback, each callback waiting until its routes are
// written (as the gated Submits do): per route (a PutRoute per Submit, a
// Persist barrier per callback, as the proxy did) against a RouteBatch
// per loop handed over with one PutRoutes per callback. ns/route includes
// the writer's part (memory, encoding).
func BenchmarkGatedRoutes(b *testing.B) {
	const perCallback = 256
	o, _ := MakeOrigin([]byte("123456789012"))
	run := func(b *testing.B, callback func(e *Engine, rb *RouteBatch, next func() []byte, wait chan error)) {
		e := benchEngine(b, testConfig(), newDiscardStore())
		var seq atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var id [12]byte
			next := func() []byte {
				binary.BigEndian.PutUint64(id[4:], seq.Add(1))
				return id[:]
			}
			var rb RouteBatch
			wait := make(chan error, 1)
			for pb.Next() {
				callback(e, &rb, next, wait)
			}
		})
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perCallback), "ns/route")
	}
	b.Run("PutRoute", func(b *testing.B) {
		run(b, func(e *Engine, _ *RouteBatch, next func() []byte, wait chan error) {
			for range perCallback {
				_ = e.PutRoute(next(), Route{SP: spA, Origin: o})
			}
			if err := e.Persist(func(err error) { wait <- err }); err == nil {
				<-wait
			}
		})
	})
	b.Run("RouteBatch", func(b *testing.B) {
		run(b, func(e *Engine, rb *RouteBatch, next func() []byte, wait chan error) {
			rb.Reset()
			for range perCallback {
				_ = e.AddRoute(rb, next(), Route{SP: spA, Origin: o})
			}
			if err := e.PutRoutes(rb, func(err error) { wait <- err }); err == nil {
				<-wait
			}
		})
	})
}

// BenchmarkWriteBatch: records/s through the writer into Badger (WriteBatch,
// SyncWrites off): subscription-sized records (40-byte key, 16-byte value
// with a TTL), each enqueued on its own. Target ≥ 200k records/s.
func BenchmarkWriteBatch(b *testing.B) {
	st, err := OpenBadger(b.TempDir(), BadgerOptions{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	e := benchEngine(b, testConfig(), st)
	exp := time.Now().Add(time.Hour).Unix()
	b.ReportAllocs()
	start := time.Now()
	i := 0
	for b.Loop() {
		k := make([]byte, 40)
		copy(k, "ob/bench/")
		binary.BigEndian.PutUint64(k[32:], uint64(i))
		i++
		m := Mutation{Key: k, Value: k[24:40], ExpiresAt: exp}
		for {
			err := e.Enqueue(m)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrQueueFull) {
				b.Fatal(err)
			}
			runtime.Gosched() // the benchmark wants every record written: wait for room
		}
	}
	if err := e.Flush(); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.ReportMetric(float64(i)/el.Seconds(), "records/s")
	s := e.Stats()
	if s.Batches > 0 {
		b.ReportMetric(float64(s.Written)/float64(s.Batches), "records/batch")
	}
}

// BenchmarkSubscriptionMemory reports the heap held per subscription with
// 1M loaded (runtime.MemStats after GC).
func BenchmarkSubscriptionMemory(b *testing.B) {
	const n = 1_000_000
	var per float64
	for b.Loop() {
		e := benchEngine(b, testConfig(), nil)
		before := heapAfterGC()
		bulkSubscribe(e, 0, n, spA, "MUSIC")
		per = float64(heapAfterGC()-before) / n
		runtime.KeepAlive(e)
		e.Close()
	}
	b.ReportMetric(per, "bytes/subscription")
}

// BenchmarkRouteMemory reports the heap held per in-memory route with 1M.
func BenchmarkRouteMemory(b *testing.B) {
	const n = 1_000_000
	var per float64
	for b.Loop() {
		e := benchEngine(b, testConfig(), nil)
		before := heapAfterGC()
		bulkRoutes(e, n)
		per = float64(heapAfterGC()-before) / n
		runtime.KeepAlive(e)
		e.Close()
	}
	b.ReportMetric(per, "bytes/route")
}

// BenchmarkRouteCacheBudget puts 2M routes into route caches of several
// budgets (Config.RouteCacheBytes) and reports the heap the routes in memory
// hold against the budget (heap/budget must stay below 1: the figure behind
// RouteEntryBytes) and per route held. It fills the memory layer as
// PutRoute does, without the writer, whose queue is bounded on its own.
func BenchmarkRouteCacheBudget(b *testing.B) {
	const n = 2_000_000
	for _, mib := range []int64{1, 16, 28, 64, 256} {
		b.Run(fmt.Sprintf("budget=%dMiB", mib), func(b *testing.B) {
			cfg := testConfig()
			cfg.RouteCacheBytes = mib << 20
			var perRoute, ofBudget, inMemory float64
			for b.Loop() {
				e := benchEngine(b, cfg, newDiscardStore())
				p := e.policy.Load()
				v := routeVal{sp: e.names.sp(spA), expires: expiry(e.nowSec(), DefaultRouteTTL), n: 12}
				before := heapAfterGC()
				var id [12]byte
				for i := range n {
					binary.BigEndian.PutUint64(id[4:], uint64(i))
					e.putRouteMem(makeRouteKey(id[:]), v, p)
				}
				held := float64(heapAfterGC() - before)
				routes := e.Stats().Routes
				perRoute, ofBudget, inMemory = held/float64(routes), held/float64(cfg.RouteCacheBytes), float64(routes)
				runtime.KeepAlive(e)
				e.Close()
			}
			b.ReportMetric(ofBudget, "heap/budget")
			b.ReportMetric(perRoute, "bytes/route")
			b.ReportMetric(inMemory, "routes")
		})
	}
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkOpenLoad: Open of a Badger store holding 1M subscriptions (the
// restart path): records/s loaded into memory.
func BenchmarkOpenLoad(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	var buf [11]byte
	batch := make([]Mutation, 0, 10000)
	r := subRecord{State: SubActive, Source: SourceImport, Since: 1, Updated: 1}
	val := r.encode()
	for i := range n {
		batch = append(batch, Mutation{Key: subKeyBytes(benchUser(&buf, i), spA, "MUSIC"), Value: val})
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.Apply(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	st.Close()
	var took, checked time.Duration
	for b.Loop() {
		// The checks OpenBadger makes before Badger opens the directory
		// (every table read and its checksums verified), alone.
		start := time.Now()
		w, err := checkBadgerDir(dir, true, false, quietLogger())
		if err != nil {
			b.Fatal(err)
		}
		w.close()
		checked = time.Since(start)
		st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		e, err := Open(testConfig(), st, WithLogger(quietLogger()))
		if err != nil {
			b.Fatal(err)
		}
		took = time.Since(start)
		if got := e.Stats().Subscriptions; got != n {
			b.Fatalf("loaded %d", got)
		}
		e.Close()
	}
	b.ReportMetric(float64(n)/took.Seconds(), "records/s")
	b.ReportMetric(float64(checked.Microseconds())/1000, "check-ms")
}
