package redisstore

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spsmg/spsmg/authcache"
)

// Defaults of Options.
const (
	DefaultWaitTimeout = time.Second
	// DefaultTimeout outlasts a failover under Redis's default
	// cluster-node-timeout of 15 s: the writer does not retry a failed
	// batch, so giving up early would leave those writes unpersisted.
	DefaultTimeout         = 20 * time.Second
	DefaultChangeRetention = 10 * time.Minute
)

// chunkSize bounds the records one script call writes: a script blocks its
// master while it runs (~1 µs a record), so a 4096-record batch becomes
// several short calls instead of one long one.
const chunkSize = 512

// scanChunk is how many sorted keys Scan fetches values for at a time.
const scanChunk = 1024

// Options configures Open.
type Options struct {
	// Addrs are some of the cluster's nodes (host:port); the rest is
	// discovered with CLUSTER SHARDS.
	Addrs    []string
	Username string // ACL user; "" = default
	Password string
	// TLS, when set, is used for every connection; nodes are then reached
	// on the TLS port they announce.
	TLS *tls.Config
	// KeyPrefix starts every Redis key this store writes, so that several
	// deployments (or tests) can share one cluster. It must not contain
	// '{' or '}': the layout places its own hash tag after it.
	KeyPrefix string
	// WaitReplicas: Apply returns only once every master it wrote to has
	// had the writes acknowledged by this many replicas (WAIT), capped at
	// the replicas that master itself reports online (ROLE, read in the
	// same pipeline as the writes; never another node's view). Redis
	// replicates asynchronously: without it a master killed right after
	// acknowledging loses the writes its replica had not received, and the
	// promoted replica serves without them. 0 turns it off.
	WaitReplicas int
	// WaitTimeout bounds one WAIT (default 1 s). A replica that does not
	// acknowledge in time fails the attempt, which is then retried.
	WaitTimeout time.Duration
	// Timeout bounds one Apply, Get or Scan step, retries across a
	// failover included (default 20 s; keep it above the cluster's
	// cluster-node-timeout plus a few seconds).
	Timeout time.Duration
	// PublishPrefixes: mutations whose keys start with one of them are
	// announced on the change stream (FollowChanges), atomically with
	// their write. None by default.
	PublishPrefixes [][]byte
	// ChangeRetention: how long change entries are kept (default 10 min).
	// A follower further behind gets ErrChangesTrimmed.
	ChangeRetention time.Duration
	// NodeID names this node in the changes it publishes (default
	// hostname:pid), so that a follower can skip its own.
	NodeID string
	// Logger receives warnings (nil: slog.Default()). Keys hold phone
	// numbers and are never logged.
	Logger *slog.Logger
}

// Store is the Redis Cluster backend of authcache.Store and
// authcache.ChangeStore. Methods are safe for concurrent use.
type Store struct {
	opt     Options
	prefix  string
	log     *slog.Logger
	publish [][]byte

	mu     sync.RWMutex // operations hold it shared; Close exclusively
	closed bool
	done   chan struct{} // closed by Close: aborts retries and followers
	stop   sync.Once     // closes done

	topo      atomic.Pointer[topology]
	refreshMu sync.Mutex

	clientsMu sync.Mutex
	clients   map[string]*redis.Client

	// online: master addr → *atomic.Int32, the replicas that master last
	// reported online (ROLE); replication.go.
	online          sync.Map
	warnedNoReplica sync.Map // master addr → struct{}: logged once
}

var _ authcache.ChangeStore = (*Store)(nil)

// Open connects to the cluster and reads its topology. It fails if no
// address answers, or if some partition's slot has no master.
func Open(opt Options) (*Store, error) {
	if len(opt.Addrs) == 0 {
		return nil, errors.New("redisstore: no cluster address")
	}
	if strings.ContainsAny(opt.KeyPrefix, "{}") {
		return nil, fmt.Errorf("redisstore: key prefix %q contains '{' or '}'", opt.KeyPrefix)
	}
	if opt.WaitReplicas < 0 {
		return nil, fmt.Errorf("redisstore: wait replicas %d is negative", opt.WaitReplicas)
	}
	opt.WaitTimeout = cmp.Or(opt.WaitTimeout, DefaultWaitTimeout)
	opt.Timeout = cmp.Or(opt.Timeout, DefaultTimeout)
	opt.ChangeRetention = cmp.Or(opt.ChangeRetention, DefaultChangeRetention)
	if opt.NodeID == "" {
		host, _ := os.Hostname()
		opt.NodeID = host + ":" + strconv.Itoa(os.Getpid())
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Store{
		opt: opt, prefix: opt.KeyPrefix, log: log.With("component", "redisstore"),
		done:    make(chan struct{}),
		clients: make(map[string]*redis.Client),
	}
	for _, p := range opt.PublishPrefixes {
		s.publish = append(s.publish, slices.Clone(p))
	}
	quietClientLog.Do(func() { redis.SetLogger(clientLogger{s.log}) })
	s.topo.Store(&topology{})
	ctx, cancel := context.WithTimeout(context.Background(), opt.Timeout)
	defer cancel()
	topo, err := s.refresh(ctx)
	if err == nil {
		err = topo.complete()
	}
	if err != nil {
		s.closeClients()
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	return s, nil
}

// Apply implements authcache.Store. The batch is split by partition, in
// order, into script calls of at most chunkSize records; each call writes
// its records and appends their change entry atomically. Calls to one
// master go in one pipeline, ended by WAIT; masters are written in
// parallel. A failed attempt is retried (after re-reading the topology)
// until Options.Timeout, re-sending only the partitions not yet
// acknowledged: puts with absolute expiries and deletes are idempotent,
// and a partition's calls are re-sent in order. Not atomic across
// partitions.
func (s *Store) Apply(batch []authcache.Mutation) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return authcache.ErrStoreClosed
	}
	for i := range batch {
		if len(batch[i].Key) == 0 {
			return fmt.Errorf("redisstore: mutation %d: %w: empty key", i, authcache.ErrInvalid)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	calls := s.plan(batch, time.Now())
	var done [Partitions]bool
	return s.retry("apply", func(ctx context.Context, topo *topology) error {
		// Partitions whose master is gone wait for the next attempt; the
		// others are written now.
		var errs []error
		byMaster := make(map[int][]*call)
		for i := range calls {
			c := &calls[i]
			if done[c.part] {
				continue
			}
			m := topo.part[c.part]
			if m < 0 {
				errs = append(errs, fmt.Errorf("partition %d (slot %d): %w", c.part, partitionSlot[c.part], errNoMaster))
				continue
			}
			byMaster[m] = append(byMaster[m], c)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for m, cs := range byMaster {
			wg.Go(func() {
				err := s.applyOnMaster(ctx, topo.masters[m], cs)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				for _, c := range cs {
					done[c.part] = true
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
}

// call is one script invocation: a chunk of one partition's records.
type call struct {
	part int
	keys []string // change stream, its sequence, then the records
	args []any    // ops, entry, trim id, then value and expiry per record
}

// plan turns a batch into script calls, partition by partition, keeping
// the batch's order within each partition.
func (s *Store) plan(batch []authcache.Mutation, now time.Time) []call {
	var byPart [Partitions][]int
	for i := range batch {
		p := partitionOf(batch[i].Key)
		byPart[p] = append(byPart[p], i)
	}
	trimID := strconv.FormatInt(now.Add(-s.opt.ChangeRetention).UnixMilli(), 10)
	var calls []call
	var pub []authcache.Mutation
	for p, idx := range byPart {
		for len(idx) > 0 {
			n := min(len(idx), chunkSize)
			c := call{part: p, keys: make([]string, 2, n+2), args: make([]any, 3, 3+2*n)}
			c.keys[0], c.keys[1] = s.streamKey(p), s.seqKey(p)
			ops := make([]byte, 0, n)
			pub = pub[:0]
			for _, i := range idx[:n] {
				m := &batch[i]
				c.keys = append(c.keys, s.recordKey(p, m.Key))
				switch {
				case m.Delete:
					ops = append(ops, 'd')
					c.args = append(c.args, "", "0")
				case m.ExpiresAt > 0:
					ops = append(ops, 'x')
					c.args = append(c.args, m.Value, strconv.FormatInt(m.ExpiresAt, 10))
				default:
					ops = append(ops, 's')
					c.args = append(c.args, m.Value, "0")
				}
				if s.published(m.Key) {
					pub = append(pub, *m)
				}
			}
			var entry []byte
			if len(pub) > 0 {
				entry = encodeEntry(s.opt.NodeID, now, pub)
			}
			c.args[0], c.args[1], c.args[2] = string(ops), entry, trimID
			calls = append(calls, c)
			idx = idx[n:]
		}
	}
	return calls
}

func (s *Store) published(key []byte) bool {
	for _, p := range s.publish {
		if len(key) >= len(p) && string(key[:len(p)]) == string(p) {
			return true
		}
	}
	return false
}

// applyScript writes one chunk of a partition and appends its change
// entry, atomically (a script runs alone on its master, and is replicated
// as the commands it ran). The entry carries the partition's next sequence
// number, so that a follower can tell a missing entry (trimmed, or lost in
// a failover) from the next one. An expiry already past makes SET delete
// the key, as Redis does for any EXAT in the past.
var applyScript = redis.NewScript(`
local ops = ARGV[1]
for i = 1, #ops do
  local op, k, a = string.sub(ops, i, i), KEYS[i + 2], 2 + 2 * i
  if op == 'd' then
    redis.call('DEL', k)
  elseif op == 's' then
    redis.call('SET', k, ARGV[a])
  else
    redis.call('SET', k, ARGV[a], 'EXAT', ARGV[a + 1])
  end
end
if ARGV[2] ~= '' then
  local n = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[3], '*', 'n', n, 'm', ARGV[2])
end
return #ops
`)

var (
	errNoMaster      = errors.New("no live master serves the slot")
	errNotReplicated = errors.New("not acknowledged by enough replicas")
)

// applyOnMaster sends one master its calls in one pipeline, ended by ROLE
// and WAIT on the same connection (WAIT counts the writes of its own
// connection; see replication.go for how many replicas it waits for).
func (s *Store) applyOnMaster(ctx context.Context, m master, cs []*call) error {
	cl := s.client(m.addr)
attempts:
	for attempt := 0; ; attempt++ {
		pipe := cl.Pipeline()
		cmds := make([]*redis.Cmd, len(cs))
		for i, c := range cs {
			cmds[i] = applyScript.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		w := s.addWait(ctx, pipe, m.addr)
		_, _ = pipe.Exec(ctx)
		for _, cmd := range cmds {
			err := cmd.Err()
			if err == nil {
				continue
			}
			if redis.HasErrorPrefix(err, "NOSCRIPT") && attempt == 0 {
				// A fresh or restarted master: load the script and resend
				// (EVALSHA of a missing script writes nothing).
				if err := applyScript.Load(ctx, cl).Err(); err != nil {
					return fmt.Errorf("%s: load script: %w", m.addr, err)
				}
				continue attempts
			}
			return fmt.Errorf("%s: %w", m.addr, err)
		}
		return s.checkWait(m.addr, w)
	}
}

// Get implements authcache.Store, reading the master (a replica may not
// have the latest write yet).
func (s *Store) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, authcache.ErrStoreClosed
	}
	p := partitionOf(key)
	rk := s.recordKey(p, key)
	var v []byte
	err := s.retry("get", func(ctx context.Context, topo *topology) error {
		m := topo.part[p]
		if m < 0 {
			return fmt.Errorf("partition %d (slot %d): %w", p, partitionSlot[p], errNoMaster)
		}
		var err error
		v, err = s.client(topo.masters[m].addr).Get(ctx, rk).Bytes()
		if errors.Is(err, redis.Nil) {
			v = nil
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, authcache.ErrNotFound
	}
	return v, nil
}

// Scan implements authcache.Store. Redis Cluster has no ordered iteration:
// SCAN walks each master's whole keyspace in hash order. Scan therefore
// collects the matching keys from every master, sorts them, and fetches
// the values chunk by chunk in that order (pipelined GETs per master), so
// it holds every key but only one chunk of values. Cost: one pass over
// every key of the cluster (the MATCH filter runs on the server), O(n log
// n) to sort, memory for the n matching keys. The engine scans once, at
// start. A key that expires between SCAN and GET is skipped.
func (s *Store) Scan(prefix []byte, fn func(key, value []byte) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return authcache.ErrStoreClosed
	}
	type entry struct {
		part int
		key  string // store key
	}
	pattern := s.scanPattern(prefix)
	var keys []entry
	err := s.retry("scan", func(ctx context.Context, topo *topology) error {
		keys = keys[:0]
		if err := topo.complete(); err != nil {
			return err
		}
		for _, m := range topo.masters {
			cl := s.client(m.addr)
			var cursor uint64
			for {
				page, next, err := cl.Scan(ctx, cursor, pattern, 1000).Result()
				if err != nil {
					return fmt.Errorf("%s: SCAN: %w", m.addr, err)
				}
				for _, rk := range page {
					if p, k, ok := s.storeKey(rk); ok && strings.HasPrefix(k, string(prefix)) {
						keys = append(keys, entry{p, k})
					}
				}
				if cursor = next; cursor == 0 {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	keys = slices.CompactFunc(keys, func(a, b entry) bool { return a.key == b.key })

	vals := make([][]byte, scanChunk)
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), scanChunk)]
		keys = keys[len(chunk):]
		err := s.retry("scan", func(ctx context.Context, topo *topology) error {
			byMaster := make(map[int][]int)
			for i, e := range chunk {
				m := topo.part[e.part]
				if m < 0 {
					return fmt.Errorf("partition %d (slot %d): %w", e.part, partitionSlot[e.part], errNoMaster)
				}
				byMaster[m] = append(byMaster[m], i)
			}
			errs := make([]error, 0, len(byMaster))
			var mu sync.Mutex
			var wg sync.WaitGroup
			for m, idx := range byMaster {
				wg.Go(func() {
					pipe := s.client(topo.masters[m].addr).Pipeline()
					cmds := make([]*redis.StringCmd, len(idx))
					for j, i := range idx {
						cmds[j] = pipe.Get(ctx, s.recordKey(chunk[i].part, []byte(chunk[i].key)))
					}
					_, _ = pipe.Exec(ctx)
					for j, i := range idx {
						v, err := cmds[j].Bytes()
						if errors.Is(err, redis.Nil) {
							v, err = nil, nil
						}
						if err != nil {
							mu.Lock()
							errs = append(errs, fmt.Errorf("%s: GET: %w", topo.masters[m].addr, err))
							mu.Unlock()
							return
						}
						vals[i] = v
					}
				})
			}
			wg.Wait()
			return errors.Join(errs...)
		})
		if err != nil {
			return err
		}
		for i, e := range chunk {
			if vals[i] == nil {
				continue
			}
			if err := fn([]byte(e.key), vals[i]); err != nil {
				return err
			}
		}
		clear(vals)
	}
	return nil
}

// NodeID implements authcache.ChangeStore: the name this node's changes
// carry (Options.NodeID).
func (s *Store) NodeID() string { return s.opt.NodeID }

// Close implements authcache.Store: it stops retries and followers, waits
// for running calls, and closes the connections.
func (s *Store) Close() error {
	// Before the lock: a call retrying through an outage holds the lock
	// shared and gives up only when done closes.
	s.stop.Do(func() { close(s.done) })
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return authcache.ErrStoreClosed
	}
	s.closed = true
	s.mu.Unlock()
	s.closeClients()
	return nil
}

// retry runs f until it succeeds, Options.Timeout passes, or the store
// closes. Between attempts it backs off (20 ms doubling to 500 ms) and
// re-reads the topology: a failed attempt is most often a master that died
// or a slot that moved, and the cluster needs its node timeout to promote
// a replica.
func (s *Store) retry(what string, f func(ctx context.Context, topo *topology) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
	defer cancel()
	backoff := 20 * time.Millisecond
	var prev error
	for {
		err := f(ctx, s.topo.Load())
		if err == nil {
			return nil
		}
		var ne net.Error
		if prev != nil && (ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout()) {
			// The deadline cut this attempt short: the previous attempt's
			// error says what is wrong (a missing replica, a dead master)
			// better than an i/o timeout does.
			err = prev
		}
		prev = err
		t := time.NewTimer(backoff)
		select {
		case <-s.done:
			t.Stop()
			return authcache.ErrStoreClosed
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("redisstore: %s: %w (gave up after %v)", what, err, s.opt.Timeout)
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		_, _ = s.refresh(ctx)
	}
}

// client returns the pooled client of one node.
func (s *Store) client(addr string) *redis.Client {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if cl, ok := s.clients[addr]; ok {
		return cl
	}
	cl := redis.NewClient(&redis.Options{
		Addr:      addr,
		Username:  s.opt.Username,
		Password:  s.opt.Password,
		TLSConfig: s.opt.TLS,
		Protocol:  2, // RESP2: nothing here needs RESP3's push messages
		// CLIENT SETINFO appeared in Redis 7.2; Debian 12 ships 7.0.
		DisableIdentity:       true,
		DialTimeout:           time.Second,
		ReadTimeout:           max(3*time.Second, s.opt.WaitTimeout+time.Second),
		WriteTimeout:          3 * time.Second,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1, // retry decides, after re-reading the topology
		// Followers hold a blocking XREAD per partition on its master.
		PoolSize: 2*Partitions + 8,
	})
	s.clients[addr] = cl
	return cl
}

func (s *Store) closeClients() {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	for addr, cl := range s.clients {
		_ = cl.Close()
		delete(s.clients, addr)
	}
}

// go-redis logs dial failures of its pools through a process-wide logger
// to standard error. The store already reports what it could not do, so
// that chatter goes to the first store's logger at debug level.
var quietClientLog sync.Once

type clientLogger struct{ l *slog.Logger }

func (c clientLogger) Printf(ctx context.Context, format string, v ...any) {
	c.l.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
