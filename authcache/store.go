package authcache

// KeyPrefix starts every key authcache writes. Another package sharing the
// Store (the proxy's MO/report outbox) keeps its own prefix, e.g. "ob/",
// and writes through Engine.Enqueue / Engine.Persist, which refuse keys
// under KeyPrefix. A Badger directory can be opened once per process, so
// there is one Store for everything.
const KeyPrefix = "ac/"

// Mutation is one write to a Store: a put (with an optional absolute
// expiry) or a delete.
type Mutation struct {
	Key   []byte
	Value []byte
	// ExpiresAt is the absolute expiry in Unix seconds; 0 = never. Absolute
	// rather than a duration so the write queue's delay does not stretch
	// it, and because it is what both backends store (Badger's
	// Entry.ExpiresAt, which WithTTL only computes from time.Now; Redis
	// EXPIREAT).
	ExpiresAt int64
	Delete    bool
}

// Store is the durable key/value store behind the in-memory layer: Badger
// embedded today, Redis Cluster later. Every backend passes the conformance
// suite in store_test.go. The engine reads it only at Open (Scan) and from
// LookupRoute (Get); all writes come from the single writer goroutine, in
// batches. Methods are safe for concurrent use.
type Store interface {
	// Apply writes the mutations in order. It is not atomic across the
	// batch; once it returns nil every mutation is as durable as the
	// backend makes it (Badger with SyncWrites off: survives kill -9, not
	// power loss). Apply does not retain the slices after it returns.
	Apply(batch []Mutation) error
	// Get returns a copy of the live value of key, or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Scan calls fn for every live key with the prefix, in key order. key
	// and value are valid only during the call. An error from fn stops the
	// scan and is returned.
	Scan(prefix []byte, fn func(key, value []byte) error) error
	// Close releases the store; later calls return ErrStoreClosed.
	Close() error
}

// GCStore is implemented by stores that need periodic garbage collection
// (Badger's value log). The engine calls RunGC on its GC ticker.
type GCStore interface {
	RunGC() error
}

// RecoveryReporter is implemented by stores that report what their own
// recovery at open dropped (BadgerStore: the log replay). The engine
// copies it into Stats.
type RecoveryReporter interface {
	Recovery() Recovery
}
