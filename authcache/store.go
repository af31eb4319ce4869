package authcache

import (
	"context"
	"errors"
	"time"
)

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
// embedded (one node), or a Redis Cluster (authcache/redisstore). Every backend passes the conformance
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

// ChangeStore is implemented by stores that several spsmg nodes share (the
// Redis Cluster backend). Besides the Store methods it carries a change
// stream: the mutations a node's Apply writes under the store's published
// prefixes are announced, atomically with the write, and every node can
// follow them to keep its in-memory tables in step without reading the
// store on the decision path.
type ChangeStore interface {
	Store
	// NodeID names this node in the changes it publishes (Change.Origin),
	// so that the engine can skip its own.
	NodeID() string
	// ChangesHead returns a cursor at the current end of the stream:
	// following from it yields only changes applied after the call. Take
	// it before loading state with Scan, so nothing falls between the two.
	ChangesHead() (ChangeCursor, error)
	// FollowChanges calls fn for every change after from, one call at a
	// time, from one goroutine, in the order the changes were applied for
	// any one key (changes to different keys may interleave differently
	// on different nodes). An empty from starts at the oldest change kept.
	// It reconnects by itself across failures and failovers and returns
	// only when ctx ends (ctx.Err()), fn fails (that error), the store is
	// closed (ErrStoreClosed), or changes after from were already trimmed
	// (ErrChangesTrimmed: load the state again, from a new head).
	FollowChanges(ctx context.Context, from ChangeCursor, fn func(Change) error) error
}

// ChangeCursor is an opaque position in a change stream.
type ChangeCursor string

// Change is one atomically applied group of mutations as a follower sees
// it. Mutations and their slices are valid only during the callback.
type Change struct {
	Origin    string    // the node that applied it (its store's node ID)
	Published time.Time // the origin's clock when it applied the change
	Mutations []Mutation
	// After is the cursor just past this change: resume from it.
	After ChangeCursor
}

// ErrChangesTrimmed is returned by FollowChanges when changes after the
// cursor are no longer kept (the follower fell behind the stream's
// retention): its state can no longer be brought up to date by following.
var ErrChangesTrimmed = errors.New("authcache: changes after the cursor were trimmed")

// SharedStore is implemented by stores that several spsmg nodes share and
// that can do what memory alone cannot do exactly across nodes (the Redis
// Cluster backend). An engine on a SharedStore spends LinkID uses and takes
// pending confirmations through it, atomically across nodes, instead of in
// its own memory; everything else is still decided from memory.
type SharedStore interface {
	ChangeStore
	// TakeUses spends uses of a LinkID, exactly once across every node
	// sharing the store: of two nodes spending its last use at once, one
	// gets UsesTaken and the other UsesUsedUp. It blocks on the network:
	// never call it from an event loop.
	TakeUses(ctx context.Context, r UsesRequest) (UsesResult, error)
	// Take deletes key and returns the value it held, or ErrNotFound: of
	// several nodes taking one key at once, exactly one gets the value.
	// The deletion is published on the change stream. Blocks on the
	// network.
	Take(ctx context.Context, key []byte) ([]byte, error)
}

// UsesRequest asks a SharedStore for uses of a LinkID.
type UsesRequest struct {
	LinkID []byte
	// Generation tells issues of the same LinkID bytes apart (the
	// record's expiry, Unix seconds): a re-issued LinkID starts afresh.
	Generation int64
	// Allowed is the number of uses the LinkID record grants; N the uses
	// this MT takes (one per recipient).
	Allowed, N int
	// ExpiresAt is when the counter may be forgotten (Unix seconds).
	ExpiresAt int64
	// Expired: the LinkID record has expired. Nothing is spent; a part of
	// a long message still follows a decision made before the expiry.
	Expired bool
	// Part, for a part of a long message: the message is decided once,
	// by its first part on any node; the other parts follow that
	// decision and spend nothing (longsms.go). The decision is forgotten
	// when every part number has been seen, or after PartTTL.
	Part    bool
	Ref     uint16
	Total   uint8
	Seq     uint8
	Dests   uint8
	PartTTL time.Duration
}

// UsesVerdict is a SharedStore's answer to a UsesRequest.
type UsesVerdict uint8

const (
	UsesTaken   UsesVerdict = 1 // the uses were spent (or a part followed a message that spent them)
	UsesUsedUp  UsesVerdict = 2 // fewer uses left than asked: nothing spent
	UsesExpired UsesVerdict = 3 // the LinkID had expired (a part following a message refused so)
)

// UsesResult is what TakeUses did.
type UsesResult struct {
	Verdict UsesVerdict
	// Left is the uses left after the call (-1 when a part followed a
	// decision and nothing was counted).
	Left int
	// Followed: a part of a long message took the decision of an earlier
	// part and spent nothing.
	Followed bool
}
