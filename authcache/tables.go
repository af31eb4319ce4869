package authcache

import (
	"hash/maphash"
	"sync"
	"unsafe"
)

// The in-memory layer: sharded tables with compact, pointer-free keys and
// values, so a million subscriptions are 50 MB the garbage collector never
// scans, and lookups by a []byte view do not allocate. Shards are a power
// of two, each padded to its own cache lines so event loops on different
// cores do not contend: subscriptions in flat tables read lock-free
// (subtable.go), LinkIDs in maps under a Mutex (a decision consumes uses),
// routes in maps under an RWMutex.
const (
	subShardBits   = 8
	linkShardBits  = 6
	routeShardBits = 8

	// cacheLinePad: two 64-byte lines, as adjacent-line prefetch pairs them.
	cacheLinePad = 128
)

// SubState is the state of a subscription.
type SubState uint8

const (
	SubActive    SubState = 1 // MTs without LinkID pass (§3d)
	SubCancelled SubState = 2 // ended by TD/0000 or the API; kept for CancelledRetention
	// SubPaused: the carrier paused the relation (subscription sync);
	// MTs are refused subscription_paused until it is resumed. It is
	// still a subscription: kept without expiry, cancelled by TD/0000 and
	// the API like an active one, and not re-activated by a local
	// subscribe (only the carrier resumes it).
	SubPaused SubState = 3
)

// live reports whether the relation exists: active or paused.
func (s SubState) live() bool { return s == SubActive || s == SubPaused }

func (s SubState) String() string {
	switch s {
	case SubActive:
		return "active"
	case SubCancelled:
		return "cancelled"
	case SubPaused:
		return "paused"
	}
	return "unknown"
}

// Source is how a subscription came about.
type Source uint8

const (
	SourceWeb    Source = 1 // web subscription: Y reply + DZTZ notice (§3)
	SourceSMS    Source = 2 // SMS subscription: DZTZ notice on an MO LinkID (§5)
	SourceAPI    Source = 3 // Engine.Subscribe (operator API)
	SourceImport Source = 4 // bulk import / migration
	SourceSync   Source = 5 // pushed by a carrier platform (ApplySync)
)

func (s Source) String() string {
	switch s {
	case SourceWeb:
		return "web"
	case SourceSMS:
		return "sms"
	case SourceAPI:
		return "api"
	case SourceImport:
		return "import"
	case SourceSync:
		return "sync"
	}
	return "unknown"
}

// ---- subscriptions: (user, svc) → state ----

// subKey is a user key and a svc id.
type subKey struct {
	user uint64
	svc  uint32
}

func makeSubKey(user uint64, svc uint32) subKey { return subKey{user: user, svc: svc} }

// subVal times are Unix seconds (uint32 lasts until 2106). A cancelled
// subscription expires at updated + Config.CancelledRetention (the store
// record carries the expiry it was written with).
type subVal struct {
	since, updated uint32
	state          SubState // 0 marks an empty subTable slot
	source         Source
}

type subShardData struct {
	mu        sync.Mutex // writers; readers use t.get (lock-free)
	t         subTable
	active    int
	cancelled int
	paused    int
	// syncAt holds, for the relations a carrier platform has changed, the
	// version (the platform's time, Unix ms) of the last change applied
	// (sync.go). Kept apart from the slots so that they stay 24 bytes;
	// nil until the shard's first synced change. Under mu.
	syncAt map[subKey]int64
}

type subShard struct {
	subShardData
	_ [cacheLinePad - unsafe.Sizeof(subShardData{})%cacheLinePad]byte
}

// subShardOf spreads users over shards with a Fibonacci hash (consecutive
// numbers land on different shards). All subscriptions of a user share a
// shard, so listing or cancelling them scans one shard.
func subShardOf(user uint64) uint64 { return (user * 0x9E3779B97F4A7C15) >> (64 - subShardBits) }

// put stores v under k and keeps the counters; the caller holds mu.
func (s *subShardData) put(k subKey, v subVal) {
	if old, ok := s.t.put(k, v); ok {
		s.count(old.state, -1)
	}
	s.count(v.state, 1)
}

func (s *subShardData) del(k subKey) {
	if old, ok := s.t.del(k); ok {
		s.count(old.state, -1)
	}
	delete(s.syncAt, k)
}

func (s *subShardData) count(st SubState, d int) {
	switch st {
	case SubActive:
		s.active += d
	case SubPaused:
		s.paused += d
	default:
		s.cancelled += d
	}
}

// setSyncAt records the version of the last synced change of k.
func (s *subShardData) setSyncAt(k subKey, version int64) {
	if s.syncAt == nil {
		s.syncAt = make(map[subKey]int64)
	}
	s.syncAt[k] = version
}

// ---- LinkIDs and web codes: LinkID → user, svc, expiry, uses ----

// linkKey is a LinkID padded with NULs to the widest slot.
type linkKey [MaxLinkIDLen]byte

// linkKind tells the three kinds of LinkID records apart.
type linkKind uint8

const (
	linkMO     linkKind = 1 // assigned to (or kept from) an MO (§1)
	linkWeb    linkKind = 2 // web on-demand code (§2)
	linkNotice linkKind = 3 // carried by a Noti_SP; matched by the DZTZ notice (§3c)
)

func (k linkKind) flow() Flow {
	if k == linkWeb {
		return FlowWebOnDemand
	}
	return FlowMOOnDemand
}

type linkVal struct {
	user    uint64
	svc     uint32 // (SP, service); service "" = not recorded
	expires uint32
	uses    uint16 // left
	kind    linkKind
}

type linkShardData struct {
	mu    sync.Mutex // decisions on a LinkID consume uses: always exclusive
	m     map[linkKey]linkVal
	n     [4]int     // by kind
	parts partsTable // decisions on long messages with these LinkIDs (longsms.go)
}

type linkShard struct {
	linkShardData
	_ [cacheLinePad - unsafe.Sizeof(linkShardData{})%cacheLinePad]byte
}

var linkSeed = maphash.MakeSeed()

func linkHash(k *linkKey) uint64 { return maphash.Bytes(linkSeed, k[:]) }

func linkShardOf(k *linkKey) uint64 { return linkHash(k) >> (64 - linkShardBits) }

func (s *linkShardData) put(k linkKey, v linkVal) {
	if old, ok := s.m[k]; ok {
		s.n[old.kind]--
	}
	s.m[k] = v
	s.n[v.kind]++
}

func (s *linkShardData) del(k linkKey) {
	if old, ok := s.m[k]; ok {
		s.n[old.kind]--
		delete(s.m, k)
	}
}

// ---- routes: message id → SP, origin ----

// MaxOriginLen bounds Route.Origin: the largest opaque value the proxy keeps
// with a route is the SP's own 12-byte SGIP sequence number.
const MaxOriginLen = 16

// routeKey holds a message id of up to 23 bytes verbatim with its length in
// the last byte (CMPP Msg_Id 8, SMGP MsgID 10, SGIP sequence 12); a longer
// id (SMPP message_id strings) is replaced by a 128-bit hash marked by
// length byte 0xFF.
type routeKey [24]byte

const routeKeyHashed = 0xFF

var routeSeedA, routeSeedB = maphash.MakeSeed(), maphash.MakeSeed()

func makeRouteKey(id []byte) (k routeKey) {
	if len(id) < len(k) {
		copy(k[:], id)
		k[len(k)-1] = byte(len(id))
		return k
	}
	a, b := maphash.Bytes(routeSeedA, id), maphash.Bytes(routeSeedB, id)
	for i := range 8 {
		k[i], k[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	k[len(k)-1] = routeKeyHashed
	return k
}

func routeShardOf(k *routeKey) uint64 {
	return maphash.Bytes(linkSeed, k[:]) >> (64 - routeShardBits)
}

type routeVal struct {
	sp      uint32
	expires uint32
	n       uint8
	origin  [MaxOriginLen]byte
}

// routeShardData holds a shard's routes in two generations: new routes go
// into m; when m holds policy.routeGen routes it becomes old and the
// previous old generation is dropped whole (Config.RouteCacheBytes). A
// lookup reads m, then old. Dropping a whole map gives its memory back to
// the garbage collector, which deleting entries one by one would not (Go
// maps do not shrink); the routes dropped are the oldest in the shard, and
// they stay in the store (LookupRoute).
type routeShardData struct {
	mu  sync.RWMutex
	m   map[routeKey]routeVal
	old map[routeKey]routeVal // nil until the first turn
}

type routeShard struct {
	routeShardData
	_ [cacheLinePad - unsafe.Sizeof(routeShardData{})%cacheLinePad]byte
}

// put stores v under k, turning the generations first when m is full;
// returns how many routes left memory. The caller holds mu.
func (s *routeShardData) put(k routeKey, v routeVal, gen int) (evicted int) {
	if _, ok := s.m[k]; !ok && len(s.m) >= gen {
		evicted = len(s.old)
		s.old, s.m = s.m, make(map[routeKey]routeVal, gen)
	}
	s.m[k] = v
	return evicted
}

// get finds k in either generation. The caller holds mu (shared).
func (s *routeShardData) get(k routeKey) (routeVal, bool) {
	if v, ok := s.m[k]; ok {
		return v, true
	}
	v, ok := s.old[k]
	return v, ok
}

func (s *routeShardData) len() int { return len(s.m) + len(s.old) }

// ---- pending subscriptions: few, so one mutex-guarded map ----

type pendingTable struct {
	mu sync.Mutex
	m  map[string]*pendingEntry
	// latest is the newest request of each (user, SP, service) whose
	// Noti_User counts as sent, for PendingRepeatWindow.
	latest map[pendingKey]string
}

type pendingEntry struct {
	rec  pendingRecord
	user uint64
}

type pendingKey struct {
	user        uint64
	sp, service string
}

func (pe *pendingEntry) key() pendingKey {
	return pendingKey{user: pe.user, sp: pe.rec.SP, service: pe.rec.Service}
}

// putLocked adds pe as the newest request of its key.
func (t *pendingTable) putLocked(pe *pendingEntry) {
	t.m[pe.rec.ID] = pe
	if cur, ok := t.latest[pe.key()]; ok && cur != pe.rec.ID {
		if old := t.m[cur]; old != nil && old.rec.Created > pe.rec.Created {
			return // loading: a newer one of the same key is in already
		}
	}
	t.latest[pe.key()] = pe.rec.ID
}

// deleteLocked removes request id.
func (t *pendingTable) deleteLocked(id string, pe *pendingEntry) {
	delete(t.m, id)
	t.unmarkLocked(id, pe)
}

// unmarkLocked stops pe (request id) from answering repeats.
func (t *pendingTable) unmarkLocked(id string, pe *pendingEntry) {
	if k := pe.key(); t.latest[k] == id {
		delete(t.latest, k)
	}
}
