package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spsmg/spsmg/authcache"
)

var _ authcache.SharedStore = (*Store)(nil)

// What several nodes must do exactly once (authcache.SharedStore): spend a
// LinkID's uses, decide a long message once, take a pending confirmation.
// Each is one Lua script on one master, so it is atomic across every node;
// each is followed by ROLE and WAIT like a write (replication.go).
//
// Keys (a partition's hash tag, so that the node's topology routes them):
//
//	<prefix>u{<tag>}<linkid>/<generation>                    uses spent (an integer), EXPIREAT the LinkID's expiry
//	<prefix>m{<tag>}<linkid>/<generation>/<ref>/<total>/<dests> a long message's decision (a hash), PEXPIRE the decision's TTL
//
// The tag is the partition of the LinkID's record (ac/l/<linkid>). The
// generation is the record's expiry: a LinkID issued again with the same
// bytes (an SMG that reuses its LinkIDs, a web code drawn again) counts
// from zero. Counting uses spent rather than uses left means the script
// needs nothing from the LinkID record, which the issuing node writes
// behind: the MT answering an MO may reach the script before the record
// reaches the store.
//
// Retries. A script is sent again only when it certainly did not run (no
// master for the slot, a refused dial, MOVED, CLUSTERDOWN, NOSCRIPT and
// the like). After a timeout or a broken connection it may have run, and
// running it again would spend twice: the call fails instead, and the MT
// is refused with a retryable result (a use may have been spent for an MT
// that did not pass — never the other way round).

// takeUsesScript spends uses of a LinkID; for a part of a long message it
// follows the message's decision when one exists (spending nothing) and
// records it otherwise. It returns {verdict, left, followed}: verdict 1
// taken, 2 used up, 3 expired (authcache.UsesVerdict).
var takeUsesScript = redis.NewScript(`
local part = #KEYS > 1
if part then
  local v = redis.call('HGET', KEYS[2], 'v')
  if v then
    if redis.call('HSETNX', KEYS[2], 'p' .. ARGV[5], 1) == 1 then
      if redis.call('HINCRBY', KEYS[2], 'n', 1) >= tonumber(ARGV[6]) then
        redis.call('DEL', KEYS[2])
      end
    end
    return {tonumber(v), -1, 1}
  end
end
local n, allowed = tonumber(ARGV[1]), tonumber(ARGV[2])
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local verdict = 1
if ARGV[4] == '1' then
  verdict = 3
elseif spent + n > allowed then
  verdict = 2
else
  spent = redis.call('INCRBY', KEYS[1], n)
  redis.call('EXPIREAT', KEYS[1], ARGV[3])
end
if part then
  redis.call('HSET', KEYS[2], 'v', verdict, 'p' .. ARGV[5], 1, 'n', 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
return {verdict, allowed - spent, 0}
`)

// TakeUses implements authcache.SharedStore.
func (s *Store) TakeUses(ctx context.Context, r authcache.UsesRequest) (authcache.UsesResult, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return authcache.UsesResult{}, authcache.ErrStoreClosed
	}
	p := partitionOf(append([]byte("ac/l/"), r.LinkID...))
	gen := strconv.FormatInt(r.Generation, 10)
	var b strings.Builder
	b.WriteString(s.prefix)
	b.WriteString("u{")
	b.WriteString(partitionTag[p])
	b.WriteByte('}')
	b.Write(r.LinkID)
	b.WriteByte('/')
	b.WriteString(gen)
	keys := []string{b.String()}
	if r.Part {
		keys = append(keys, fmt.Sprintf("%sm{%s}%s/%s/%d/%d/%d", s.prefix, partitionTag[p], r.LinkID, gen, r.Ref, r.Total, r.Dests))
	}
	expired := "0"
	if r.Expired {
		expired = "1"
	}
	ttl := max(r.PartTTL.Milliseconds(), 1)
	args := []any{r.N, r.Allowed, r.ExpiresAt, expired, int(r.Seq), int(r.Total), ttl}
	var res authcache.UsesResult
	err := s.once(ctx, "take uses", p, takeUsesScript, keys, args, func(v any) error {
		out, ok := v.([]any)
		if !ok || len(out) != 3 {
			return fmt.Errorf("take uses: unexpected reply %v", v)
		}
		verdict, _ := out[0].(int64)
		left, _ := out[1].(int64)
		followed, _ := out[2].(int64)
		res = authcache.UsesResult{Verdict: authcache.UsesVerdict(verdict), Left: int(left), Followed: followed == 1}
		if res.Verdict < authcache.UsesTaken || res.Verdict > authcache.UsesExpired {
			return fmt.Errorf("take uses: verdict %d", verdict)
		}
		return nil
	})
	return res, err
}

// takeScript deletes a record and returns its value, announcing the
// deletion on the partition's change stream when it is published.
var takeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[3])
if not v then
  return false
end
redis.call('DEL', KEYS[3])
if ARGV[1] ~= '' then
  local n = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[2], '*', 'n', n, 'm', ARGV[1])
end
return v
`)

// Take implements authcache.SharedStore.
func (s *Store) Take(ctx context.Context, key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, authcache.ErrStoreClosed
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("redisstore: take: %w: empty key", authcache.ErrInvalid)
	}
	p := partitionOf(key)
	now := time.Now()
	var entry []byte
	if s.published(key) {
		entry = encodeEntry(s.opt.NodeID, now, []authcache.Mutation{{Key: key, Delete: true}})
	}
	keys := []string{s.streamKey(p), s.seqKey(p), s.recordKey(p, key)}
	trimID := strconv.FormatInt(now.Add(-s.opt.ChangeRetention).UnixMilli(), 10)
	var val []byte
	err := s.once(ctx, "take", p, takeScript, keys, []any{entry, trimID}, func(v any) error {
		switch x := v.(type) {
		case nil:
			val = nil
		case string:
			val = []byte(x)
		default:
			return fmt.Errorf("take: unexpected reply %T", v)
		}
		return nil
	})
	switch {
	case errors.Is(err, errNotReplicated) && val != nil:
		// The record is taken on the master and a replica may not know:
		// failing now would lose the take for good (a retry finds
		// nothing). Only a failover before the replica catches up could
		// let the record be taken again.
		s.log.Warn("a take was not acknowledged by a replica in time", "err", err)
	case err != nil:
		return nil, err
	case val == nil:
		return nil, authcache.ErrNotFound
	}
	return val, nil
}

// once runs a script that must not run twice on partition p's master,
// followed by ROLE and WAIT, and hands its reply to read. It retries while
// the script certainly did not run (mayHaveRun), until ctx ends or
// Options.Timeout passes.
func (s *Store) once(ctx context.Context, what string, p int, script *redis.Script, keys []string, args []any, read func(any) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	backoff := 20 * time.Millisecond
	for {
		retry, err := s.onceAttempt(ctx, p, script, keys, args, read)
		if err == nil || !retry {
			if err != nil {
				return fmt.Errorf("redisstore: %s: %w", what, err)
			}
			return nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-s.done:
			t.Stop()
			return authcache.ErrStoreClosed
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("redisstore: %s: %w (gave up: %v)", what, err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		_, _ = s.refresh(ctx)
	}
}

// onceAttempt is one attempt of once; retry says whether the script
// certainly did not run.
func (s *Store) onceAttempt(ctx context.Context, p int, script *redis.Script, keys []string, args []any, read func(any) error) (retry bool, err error) {
	topo := s.topo.Load()
	m := topo.part[p]
	if m < 0 {
		return true, fmt.Errorf("partition %d (slot %d): %w", p, partitionSlot[p], errNoMaster)
	}
	addr := topo.masters[m].addr
	cl := s.client(addr)
	for loaded := false; ; loaded = true {
		pipe := cl.Pipeline()
		cmd := script.EvalSha(ctx, pipe, keys, args...)
		w := s.addWait(ctx, pipe, addr)
		_, _ = pipe.Exec(ctx)
		v, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			v, err = nil, nil
		}
		if err != nil {
			if redis.HasErrorPrefix(err, "NOSCRIPT") && !loaded {
				if lerr := script.Load(ctx, cl).Err(); lerr != nil {
					return !mayHaveRun(lerr), fmt.Errorf("%s: load script: %w", addr, lerr)
				}
				continue
			}
			return !mayHaveRun(err), fmt.Errorf("%s: %w", addr, err)
		}
		if err := read(v); err != nil {
			return false, err
		}
		if err := s.checkWait(addr, w); err != nil {
			// The script ran on the master; a replica may not have it.
			return false, err
		}
		return false, nil
	}
}

// mayHaveRun reports whether a command that failed with err may still have
// run on the server: anything but an error reply from the server (which
// refuses a command before running it: MOVED, CLUSTERDOWN, NOSCRIPT, ...)
// or a connection that was never made.
func mayHaveRun(err error) bool {
	var re redis.Error
	if errors.As(err, &re) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || errors.Is(err, redis.ErrPoolTimeout) {
		return false
	}
	return true
}
