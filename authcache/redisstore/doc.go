// Package redisstore is the Redis Cluster backend of authcache.Store: the
// records that Badger keeps in one directory, kept instead in a cluster
// that several spsmg nodes can share, with a change stream
// (authcache.ChangeStore) through which each node can follow the others.
// docs/cluster.md in the repository is the long version of what follows.
//
// Client. go-redis v9, used as one plain client per master, with the
// store's own view of the topology (CLUSTER SHARDS). WAIT counts the
// replicas that have the writes of its own connection; a single-node
// pipeline is one connection, so writes and their WAIT travel together.
// rueidis's strengths, automatic pipelining and client-side caching, buy
// nothing here: the authcache writer batches, and decisions read spsmg's
// own memory. Living in a sub-package keeps go-redis out of authcache.
//
// Layout. Store keys are spread over Partitions hash-tagged partitions; a
// partition's records, its change stream and its sequence counter share
// one slot, so one Lua script writes a chunk of records and announces them
// atomically (layout.go).
//
// Durability. Redis replicates asynchronously; Options.WaitReplicas makes
// Apply wait (WAIT) until a replica has the writes, so that a master
// killed after acknowledging loses nothing acknowledged.
//
// Order. Scan returns keys in order by collecting them from every master
// with SCAN and sorting them (Redis Cluster has no ordered iteration).
package redisstore
