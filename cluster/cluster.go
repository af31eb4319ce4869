// Package cluster names what spsmg nodes sharing one Redis Cluster share
// beyond the authorization records (authcache.SharedStore): which nodes are
// alive, the per-account delivery queues for MO and status reports, and
// the account limits that hold for the account as a whole
// (max_connections, tps). The proxy uses a Backend; authcache/redisstore
// implements it. docs/cluster.md describes the design.
package cluster

import (
	"context"
	"time"
)

// Backend is the cluster as the proxy uses it. Every method may block on
// the network: never call one from an event loop. Methods are safe for
// concurrent use.
type Backend interface {
	// NodeID names this node: its consumer in the delivery queues, its
	// lease of connections, its heartbeat.
	NodeID() string

	// Heartbeat says this node is alive for ttl more, records its
	// logged-in connections per account (an account at 0 is dropped),
	// and returns the nodes alive now (this one included), judged by the
	// cluster's clock.
	Heartbeat(ctx context.Context, ttl time.Duration, conns map[string]int) (live []string, err error)

	// Enqueue appends deliveries to their accounts' queues, durably (a
	// replica has them when it returns), and fills in each item's result.
	// The error is for the whole call (nothing was appended).
	Enqueue(ctx context.Context, items []Item) error
	// Partition says which partition an account's queue lives in: the
	// queues of one partition are read together (Read), so that a node
	// holds one waiting read per partition, not one per account.
	Partition(account string) int
	// Partitions is the number of partitions.
	Partitions() int
	// Read takes up to count deliveries of each of accounts' queues (all
	// of one partition) that no node has taken yet, waiting up to block
	// for one. They stay pending for this node until Ack or Release.
	Read(ctx context.Context, accounts []string, count int, block time.Duration) ([]Entry, error)
	// ReadOwn returns the deliveries already pending for this node's ID
	// (taken before a restart with the same ID).
	ReadOwn(ctx context.Context, account string, count int) ([]Entry, error)
	// Ack removes delivered entries from the queue.
	Ack(ctx context.Context, account string, ids ...string) error
	// Release puts entries this node took back into the queue for any
	// node to take (appended again at its end), durably.
	Release(ctx context.Context, account string, entries []Entry) error
	// ClaimDead takes over up to count entries pending for nodes not in
	// live and idle for at least minIdle (a node killed with kill -9):
	// they become this node's.
	ClaimDead(ctx context.Context, account string, live []string, minIdle time.Duration, count int) ([]Entry, error)

	// AcquireConn counts one more connection of account on this node if
	// the account's connections on every live node stay within max.
	AcquireConn(ctx context.Context, account string, max int, ttl time.Duration) (ok bool, err error)
	// ReleaseConn counts one connection fewer.
	ReleaseConn(ctx context.Context, account string, ttl time.Duration) error
	// TakeTokens takes up to want tokens from the account's bucket
	// (rate per second, at most burst held) and returns how many it got.
	TakeTokens(ctx context.Context, account string, rate float64, burst, want int) (int, error)
}

// Item is one delivery to append to an account's queue.
type Item struct {
	Account string
	Payload []byte // the delivery: its kind byte and frame
	// Claim: take the entry for this node at once (it has a connection
	// of the account to deliver it on), when the queue holds nothing
	// older that no node has taken; else it waits its turn.
	Claim bool
	// Limit refuses the item when the queue already holds this many
	// entries (0: no limit).
	Limit int

	// Results.
	ID      string // the entry's ID in the queue
	Claimed bool   // taken for this node
	Full    bool   // refused: the queue held Limit entries
	// Err: this item was not appended for certain, or not acknowledged by
	// a replica in time (it may be in the queue after all).
	Err error
}

// Entry is one delivery read from a queue.
type Entry struct {
	Account string
	ID      string
	Payload []byte
}
