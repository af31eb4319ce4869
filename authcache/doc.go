// Package authcache is spsmg's authentication centre: the authorization
// rules of docs/authorization.md as a library the proxy calls on its hot
// path, with no sockets and no protocol code (it imports neither codec nor
// gnet; the proxy fills the small MT / MO views defined here).
//
// Design goals, in order: a decision never waits for disk; a hit allocates
// nothing and takes ≤ 200 ns whatever the number of records; every state
// change survives a restart and kill -9.
//
//	              ┌──────────── Engine ──────────────────┐
//	Authorize ───►│ catalog: (SP, service) → id, exempt  │
//	Route     ───►│ 256 shards, pointer-free:            │
//	OnMO      ───►│  subscriptions: flat table, seqlock  │──► write queue ──► writer ──► Store
//	API calls ───►│  LinkIDs, web codes: map [20]byte    │    (bounded)      (batches)  (Badger | memory)
//	              │   + long-message decisions (memory)  │
//	PutRoute  ───►│  routes: map [24]byte; pending       │
//	              └──────────────────────────────────────┘
//
// Open loads every live record of the Store into memory; from then on
// memory is authoritative and the Store is written behind by one goroutine
// (WriteBatch, coalesced by key). The Store interface hides Badger so a
// Redis Cluster backend can follow; another package can keep its own key
// prefix in the same Store (KeyPrefix, Engine.Persist).
//
// OpenBadger checks a store's files before Badger reads them and refuses a
// damaged one with a *DamageError naming the file and what to do
// (badgercheck.go); what Badger's log replay drops is logged and reported
// by Recovery (badgerwal.go). BadgerStore.Backup, OpenBackup, RestoreBadger
// and CheckRecord serve `spsmg store backup | restore | verify`.
//
// The rules are listed on Authorize and OnMO; the data model and what is
// persisted for how long are in the README's "Authorization" section. A bare §N in this
// package's comments is a section of docs/authorization.md (§3c: the DZTZ
// notice of the web subscription flow).
//
// To add a rule: give it a reason (package reason: a constant up to
// SubscriptionPaused, so that Reasons lists it) and a Flow if it is a new
// kind of decision (reason.go), decide it in Authorize without allocating,
// and add its steps to the flow table in flow_test.go. To add a record kind: a kind byte and an encoding in
// record.go, a sharded pointer-free map in tables.go, its load in
// Engine.load, its expiry in Engine.sweep, its check in CheckRecord.
package authcache
