package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spsmg/spsmg/cluster"
)

var _ cluster.Backend = (*Store)(nil)

// The cluster beyond the records (cluster.Backend): node liveness, the
// accounts' delivery queues, their connection counts and TPS buckets.
//
//	<prefix>r{<tag 0>}nodes      sorted set: node ID → alive until (ms, the cluster's clock)
//	<prefix>q{<tag>}<account>    stream: the account's deliveries; consumer group "spsmg", one consumer per node ID
//	<prefix>k{<tag>}<account>    hash: node ID → "<connections>:<until ms>"
//	<prefix>t{<tag>}<account>    hash: tok, ts: the account's token bucket
//
// An account's keys share the partition of "q/<account>", so the queues of
// one partition share a slot and one XREADGROUP reads them all (a node
// holds one waiting read per partition). Times come from the cluster's own
// clock (TIME inside the scripts), never from the nodes', so clock skew
// between spsmg nodes does not move leases.

// group is the consumer group of every queue.
const group = "spsmg"

// Partitions implements cluster.Backend.
func (s *Store) Partitions() int { return Partitions }

// Partition implements cluster.Backend.
func (s *Store) Partition(account string) int { return partitionOf([]byte("q/" + account)) }

func (s *Store) accountKey(kind byte, account string) (int, string) {
	p := s.Partition(account)
	return p, s.prefix + string(kind) + "{" + partitionTag[p] + "}" + account
}

func (s *Store) nodesKey() string { return s.prefix + "r{" + partitionTag[0] + "}nodes" }

// call runs f on partition p's master until it succeeds, ctx ends,
// Options.Timeout passes or the store closes, re-reading the topology
// between attempts. Only for commands that may safely run twice.
func (s *Store) call(ctx context.Context, what string, p int, f func(ctx context.Context, cl *redis.Client, addr string) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	backoff := 20 * time.Millisecond
	for {
		topo := s.topo.Load()
		var err error
		if m := topo.part[p]; m < 0 {
			err = fmt.Errorf("partition %d (slot %d): %w", p, partitionSlot[p], errNoMaster)
		} else {
			addr := topo.masters[m].addr
			err = f(ctx, s.client(addr), addr)
		}
		if err == nil {
			return nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-s.done:
			t.Stop()
			return errClosed
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("redisstore: %s: %w (gave up: %v)", what, err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		_, _ = s.refresh(ctx)
	}
}

var errClosed = errors.New("redisstore: store closed")

// heartbeatScript marks a node alive until now+ttl and returns the nodes
// alive now; nodes dead for an hour are dropped.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600000)
return redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
`)

// connsScript keeps an account's connections per node: "set" this node's
// count, "release" one, or "acquire" one if the live nodes' counts stay
// within the maximum. A node's count lapses with its lease (ttl), so a
// node killed with kill -9 holds its connections' places only until then.
var connsScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[4])
local function put(n)
  if n <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
  else
    redis.call('HSET', KEYS[1], ARGV[1], n .. ':' .. (now + ttl))
  end
  redis.call('PEXPIRE', KEYS[1], ttl * 10)
end
local function count(v)
  if not v then return 0 end
  local c, e = string.match(v, '^(%d+):(%d+)$')
  if not c or tonumber(e) <= now then return 0 end
  return tonumber(c)
end
local op = ARGV[2]
if op == 'set' then
  put(tonumber(ARGV[3]))
  return 1
elseif op == 'release' then
  put(count(redis.call('HGET', KEYS[1], ARGV[1])) - 1)
  return 1
end
local total, own = 0, 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local c = count(all[i + 1])
  if c == 0 then
    redis.call('HDEL', KEYS[1], all[i])
  end
  total = total + c
  if all[i] == ARGV[1] then own = c end
end
if total + 1 > tonumber(ARGV[3]) then
  return 0
end
put(own + 1)
return 1
`)

// Heartbeat implements cluster.Backend.
func (s *Store) Heartbeat(ctx context.Context, ttl time.Duration, conns map[string]int) ([]string, error) {
	var live []string
	err := s.call(ctx, "heartbeat", 0, func(ctx context.Context, cl *redis.Client, _ string) error {
		v, err := evalRetryLoad(ctx, cl, heartbeatScript, []string{s.nodesKey()}, s.opt.NodeID, ttl.Milliseconds())
		if err != nil {
			return err
		}
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("heartbeat: unexpected reply %T", v)
		}
		live = live[:0]
		for _, x := range list {
			live = append(live, fmt.Sprint(x))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The connection counts, one script per account, pipelined per master.
	byPart := map[int][]string{}
	for a := range conns {
		p := s.Partition(a)
		byPart[p] = append(byPart[p], a)
	}
	var errs []error
	for p, accounts := range byPart {
		err := s.call(ctx, "connections", p, func(ctx context.Context, cl *redis.Client, _ string) error {
			pipe := cl.Pipeline()
			cmds := make([]*redis.Cmd, len(accounts))
			for i, a := range accounts {
				_, key := s.accountKey('k', a)
				cmds[i] = connsScript.EvalSha(ctx, pipe, []string{key}, s.opt.NodeID, "set", conns[a], ttl.Milliseconds())
			}
			_, _ = pipe.Exec(ctx)
			for _, c := range cmds {
				if err := c.Err(); err != nil {
					if redis.HasErrorPrefix(err, "NOSCRIPT") {
						_ = connsScript.Load(ctx, cl).Err()
					}
					return err
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return live, errors.Join(errs...)
}

// AcquireConn implements cluster.Backend.
func (s *Store) AcquireConn(ctx context.Context, account string, max int, ttl time.Duration) (bool, error) {
	p, key := s.accountKey('k', account)
	var ok bool
	err := s.once(ctx, "acquire connection", p, connsScript, []string{key}, []any{s.opt.NodeID, "acquire", max, ttl.Milliseconds()}, func(v any) error {
		n, _ := v.(int64)
		ok = n == 1
		return nil
	})
	if errors.Is(err, errNotReplicated) {
		err = nil // a lease, refreshed every heartbeat: no need for a replica
	}
	return ok, err
}

// ReleaseConn implements cluster.Backend.
func (s *Store) ReleaseConn(ctx context.Context, account string, ttl time.Duration) error {
	p, key := s.accountKey('k', account)
	err := s.once(ctx, "release connection", p, connsScript, []string{key}, []any{s.opt.NodeID, "release", 0, ttl.Milliseconds()}, func(any) error { return nil })
	if errors.Is(err, errNotReplicated) {
		err = nil
	}
	return err
}

// tokensScript is a token bucket on the cluster's clock: it refills at
// ARGV[1] tokens a second up to ARGV[2], and grants up to ARGV[3].
var tokensScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tok', 'ts')
local tok, ts = tonumber(v[1]), tonumber(v[2])
if not tok or not ts then
  tok, ts = burst, now
end
tok = math.min(burst, tok + math.max(0, now - ts) * rate)
local grant = math.min(want, math.floor(tok))
tok = tok - grant
redis.call('HSET', KEYS[1], 'tok', string.format('%.6f', tok), 'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], 60000)
return grant
`)

// TakeTokens implements cluster.Backend. Tokens granted by an attempt
// whose reply was lost are lost with it (fewer MT pass, never more).
func (s *Store) TakeTokens(ctx context.Context, account string, rate float64, burst, want int) (int, error) {
	p, key := s.accountKey('t', account)
	var got int
	err := s.once(ctx, "take tokens", p, tokensScript, []string{key}, []any{strconv.FormatFloat(rate, 'f', -1, 64), burst, want}, func(v any) error {
		n, _ := v.(int64)
		got = int(n)
		return nil
	})
	if errors.Is(err, errNotReplicated) {
		err = nil
	}
	return got, err
}

// enqueueScript appends a delivery to an account's queue, creating the
// queue and its group on first use. With a consumer named, and when no
// entry older than this one waits untaken, it takes the entry for that
// consumer at once (the node that appends it can deliver it). It returns
// {id, claimed}, or {”, 0} when the queue is full.
var enqueueScript = redis.NewScript(`
local q = KEYS[1]
if redis.call('EXISTS', q) == 0 then
  redis.call('XGROUP', 'CREATE', q, 'spsmg', '0', 'MKSTREAM')
end
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('XLEN', q) >= limit then
  return {'', 0}
end
local idle = false
if ARGV[2] ~= '' then
  local info = redis.call('XINFO', 'STREAM', q)
  local last
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', q)) do
    local name, delivered
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then delivered = g[i + 1] end
    end
    if name == 'spsmg' then idle = delivered == last end
  end
end
local id = redis.call('XADD', q, '*', 'd', ARGV[1])
if idle then
  redis.call('XREADGROUP', 'GROUP', 'spsmg', ARGV[2], 'COUNT', 1, 'STREAMS', q, '>')
  return {id, 1}
end
return {id, 0}
`)

// Enqueue implements cluster.Backend: one pipeline per master, ended by
// ROLE and WAIT, masters in parallel. An item whose script certainly did
// not run (MOVED, a dead master) is sent again after re-reading the
// topology; one that may have run is not (its error says so, and the SMG
// sends the delivery again: at least once).
func (s *Store) Enqueue(ctx context.Context, items []cluster.Item) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	todo := make([]int, len(items))
	for i := range items {
		todo[i] = i
		items[i].ID, items[i].Claimed, items[i].Full, items[i].Err = "", false, false, nil
	}
	backoff := 20 * time.Millisecond
	for len(todo) > 0 {
		topo := s.topo.Load()
		byMaster := map[int][]int{}
		var retry []int
		for _, i := range todo {
			p := s.Partition(items[i].Account)
			if m := topo.part[p]; m >= 0 {
				byMaster[m] = append(byMaster[m], i)
			} else {
				retry = append(retry, i)
			}
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for m, idx := range byMaster {
			wg.Go(func() {
				again := s.enqueueOn(ctx, topo.masters[m].addr, items, idx)
				mu.Lock()
				retry = append(retry, again...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(retry) == 0 {
			return nil
		}
		todo = retry
		t := time.NewTimer(backoff)
		select {
		case <-s.done:
			t.Stop()
			return errClosed
		case <-ctx.Done():
			t.Stop()
			for _, i := range todo {
				if items[i].Err == nil {
					items[i].Err = fmt.Errorf("redisstore: enqueue: no master for partition %d", s.Partition(items[i].Account))
				}
				items[i].Err = fmt.Errorf("%w (gave up: %v)", items[i].Err, ctx.Err())
			}
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		_, _ = s.refresh(ctx)
	}
	return nil
}

// enqueueOn sends items idx to one master and returns those to send again.
func (s *Store) enqueueOn(ctx context.Context, addr string, items []cluster.Item, idx []int) (retry []int) {
	cl := s.client(addr)
	for loaded := false; ; loaded = true {
		pipe := cl.Pipeline()
		cmds := make([]*redis.Cmd, len(idx))
		for j, i := range idx {
			it := &items[i]
			_, key := s.accountKey('q', it.Account)
			consumer := ""
			if it.Claim {
				consumer = s.opt.NodeID
			}
			cmds[j] = enqueueScript.EvalSha(ctx, pipe, []string{key}, it.Payload, consumer, it.Limit)
		}
		w := s.addWait(ctx, pipe, addr)
		_, _ = pipe.Exec(ctx)
		if !loaded && redis.HasErrorPrefix(cmds[0].Err(), "NOSCRIPT") {
			if err := enqueueScript.Load(ctx, cl).Err(); err != nil {
				for _, i := range idx {
					items[i].Err = fmt.Errorf("%s: load script: %w", addr, err)
				}
				return idx
			}
			continue
		}
		ran := false
		for j, i := range idx {
			it := &items[i]
			v, err := cmds[j].Slice()
			if err != nil {
				it.Err = fmt.Errorf("%s: %w", addr, err)
				if !mayHaveRun(err) {
					retry = append(retry, i)
				}
				continue
			}
			ran = true
			if len(v) != 2 {
				it.Err = fmt.Errorf("%s: enqueue: unexpected reply %v", addr, v)
				continue
			}
			it.ID = fmt.Sprint(v[0])
			n, _ := v[1].(int64)
			it.Claimed = n == 1
			it.Full = it.ID == ""
		}
		if ran {
			if err := s.checkWait(addr, w); err != nil {
				for j, i := range idx {
					if cmds[j].Err() == nil {
						items[i].Err = err
					}
				}
			}
		}
		return retry
	}
}

// Read implements cluster.Backend with one XREADGROUP over the queues of
// one partition (a missing queue or group is created, then read again).
func (s *Store) Read(ctx context.Context, accounts []string, count int, block time.Duration) ([]cluster.Entry, error) {
	if len(accounts) == 0 {
		return nil, nil
	}
	p := s.Partition(accounts[0])
	keys := make([]string, 0, 2*len(accounts))
	for _, a := range accounts {
		if s.Partition(a) != p {
			return nil, fmt.Errorf("redisstore: read: accounts %q and %q are in different partitions", accounts[0], a)
		}
		_, key := s.accountKey('q', a)
		keys = append(keys, key)
	}
	for range accounts {
		keys = append(keys, ">")
	}
	if block <= 0 {
		block = -1 // go-redis sends BLOCK 0, wait forever, for 0
	}
	var out []cluster.Entry
	err := s.call(ctx, "read queue", p, func(ctx context.Context, cl *redis.Client, _ string) error {
		res, err := cl.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: s.opt.NodeID, Streams: keys, Count: int64(count), Block: block}).Result()
		if redis.HasErrorPrefix(err, "NOGROUP") {
			for _, k := range keys[:len(accounts)] {
				if err := cl.XGroupCreateMkStream(ctx, k, group, "0").Err(); err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
					return err
				}
			}
			return errors.New("queue created")
		}
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		out = s.entries(res, accounts, keys)
		return nil
	})
	return out, err
}

func (s *Store) entries(res []redis.XStream, accounts, keys []string) []cluster.Entry {
	var out []cluster.Entry
	for _, st := range res {
		account := ""
		for i, k := range keys[:len(accounts)] {
			if k == st.Stream {
				account = accounts[i]
			}
		}
		for _, m := range st.Messages {
			d, _ := m.Values["d"].(string)
			out = append(out, cluster.Entry{Account: account, ID: m.ID, Payload: []byte(d)})
		}
	}
	return out
}

// ReadOwn implements cluster.Backend: XREADGROUP from 0 returns the
// entries pending for this consumer.
func (s *Store) ReadOwn(ctx context.Context, account string, count int) ([]cluster.Entry, error) {
	p, key := s.accountKey('q', account)
	var out []cluster.Entry
	err := s.call(ctx, "read own", p, func(ctx context.Context, cl *redis.Client, _ string) error {
		res, err := cl.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: s.opt.NodeID, Streams: []string{key, "0"}, Count: int64(count), Block: -1}).Result()
		if errors.Is(err, redis.Nil) || redis.HasErrorPrefix(err, "NOGROUP") {
			return nil
		}
		if err != nil {
			return err
		}
		out = s.entries(res, []string{account}, []string{key})
		return nil
	})
	return out, err
}

// Ack implements cluster.Backend: XACK and XDEL in one pipeline. Not
// waited for: an acknowledgement lost in a failover makes the entry be
// delivered again (at least once), nothing is lost.
func (s *Store) Ack(ctx context.Context, account string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	p, key := s.accountKey('q', account)
	return s.call(ctx, "ack", p, func(ctx context.Context, cl *redis.Client, _ string) error {
		pipe := cl.Pipeline()
		pipe.XAck(ctx, key, group, ids...)
		pipe.XDel(ctx, key, ids...)
		_, err := pipe.Exec(ctx)
		return err
	})
}

// releaseScript moves entries this node took back to the end of the queue,
// untaken: acknowledged and deleted, then appended again, atomically.
var releaseScript = redis.NewScript(`
for i = 1, #ARGV, 2 do
  redis.call('XACK', KEYS[1], 'spsmg', ARGV[i])
  redis.call('XDEL', KEYS[1], ARGV[i])
  redis.call('XADD', KEYS[1], '*', 'd', ARGV[i + 1])
end
return #ARGV / 2
`)

// Release implements cluster.Backend.
func (s *Store) Release(ctx context.Context, account string, entries []cluster.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	p, key := s.accountKey('q', account)
	args := make([]any, 0, 2*len(entries))
	for _, e := range entries {
		args = append(args, e.ID, e.Payload)
	}
	err := s.once(ctx, "release", p, releaseScript, []string{key}, args, func(any) error { return nil })
	return err
}

// ClaimDead implements cluster.Backend: XPENDING lists the entries pending
// per consumer; those of consumers not alive are claimed (XCLAIM with a
// minimum idle time, so that of two nodes claiming at once one gets each
// entry), and consumers left with nothing are deleted.
func (s *Store) ClaimDead(ctx context.Context, account string, live []string, minIdle time.Duration, count int) ([]cluster.Entry, error) {
	alive := make(map[string]bool, len(live))
	for _, n := range live {
		alive[n] = true
	}
	p, key := s.accountKey('q', account)
	var out []cluster.Entry
	err := s.call(ctx, "claim", p, func(ctx context.Context, cl *redis.Client, _ string) error {
		out = out[:0]
		pend, err := cl.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: group, Start: "-", End: "+", Count: int64(count), Idle: minIdle}).Result()
		if redis.HasErrorPrefix(err, "NOGROUP") || errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		var ids []string
		dead := map[string]bool{}
		for _, e := range pend {
			if !alive[e.Consumer] {
				ids = append(ids, e.ID)
				dead[e.Consumer] = true
			}
		}
		if len(ids) > 0 {
			msgs, err := cl.XClaim(ctx, &redis.XClaimArgs{Stream: key, Group: group, Consumer: s.opt.NodeID, MinIdle: minIdle, Messages: ids}).Result()
			if err != nil {
				return err
			}
			for _, m := range msgs {
				d, _ := m.Values["d"].(string)
				out = append(out, cluster.Entry{Account: account, ID: m.ID, Payload: []byte(d)})
			}
		}
		// Consumers of dead nodes that hold nothing more are forgotten.
		consumers, err := cl.XInfoConsumers(ctx, key, group).Result()
		if err != nil {
			return nil
		}
		for _, c := range consumers {
			if !alive[c.Name] && c.Pending == 0 && c.Name != s.opt.NodeID {
				_ = cl.XGroupDelConsumer(ctx, key, group, c.Name).Err()
			}
		}
		return nil
	})
	return out, err
}

// evalRetryLoad runs a script by its SHA, loading it once when the node
// does not have it.
func evalRetryLoad(ctx context.Context, cl *redis.Client, sc *redis.Script, keys []string, args ...any) (any, error) {
	v, err := sc.EvalSha(ctx, cl, keys, args...).Result()
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := sc.Load(ctx, cl).Err(); err != nil {
			return nil, err
		}
		v, err = sc.EvalSha(ctx, cl, keys, args...).Result()
	}
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return v, err
}

// QueueKey is the Redis key of an account's delivery queue under a key
// prefix, for operators and tests (redis-cli XPENDING <key> spsmg).
func QueueKey(prefix, account string) string {
	s := &Store{prefix: prefix}
	_, key := s.accountKey('q', account)
	return key
}
