package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spsmg/spsmg/authcache"
)

// followBlock is how long one XREAD waits for entries; a follower notices
// a cancelled context within it.
const followBlock = 500 * time.Millisecond

// followCount is the most entries one XREAD returns.
const followCount = 256

// ChangesHead implements authcache.ChangeStore: every partition's last
// entry ID and sequence number, read together in one MULTI ("0-0" and 0
// for a partition that never published).
func (s *Store) ChangesHead() (authcache.ChangeCursor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return "", authcache.ErrStoreClosed
	}
	var pos [Partitions]position
	err := s.retry("changes head", func(ctx context.Context, topo *topology) error {
		for p := range pos {
			m := topo.part[p]
			if m < 0 {
				return fmt.Errorf("partition %d (slot %d): %w", p, partitionSlot[p], errNoMaster)
			}
			tx := s.client(topo.masters[m].addr).TxPipeline()
			seq := tx.Get(ctx, s.seqKey(p))
			info := tx.XInfoStream(ctx, s.streamKey(p))
			_, _ = tx.Exec(ctx)
			n, err := seq.Uint64()
			if errors.Is(err, redis.Nil) {
				n, err = 0, nil
			}
			if err != nil {
				return err
			}
			inf, err := info.Result()
			switch {
			case err == nil:
				pos[p] = position{inf.LastGeneratedID, n}
			case redis.HasErrorPrefix(err, "no such key"):
				pos[p] = position{"0-0", n}
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return encodeCursor(&pos), nil
}

// FollowChanges implements authcache.ChangeStore with one blocking XREAD
// loop per partition (a partition's stream lives on its slot's master, and
// XREAD cannot span slots), funnelled into one goroutine that calls fn.
// Order is kept within a partition, hence for every key.
func (s *Store) FollowChanges(ctx context.Context, from authcache.ChangeCursor, fn func(authcache.Change) error) error {
	pos, oldest, err := parseCursor(from)
	if err != nil {
		return err
	}
	select {
	case <-s.done:
		return authcache.ErrStoreClosed
	default:
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	ch := make(chan streamEntry, 64)
	for p := range Partitions {
		wg.Go(func() { s.followPartition(ctx, p, pos[p], oldest, ch) })
	}
	var ms []authcache.Mutation
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return authcache.ErrStoreClosed
		case e := <-ch:
			if e.err != nil {
				return e.err
			}
			origin, published, muts, err := decodeEntry([]byte(e.blob), ms)
			if err != nil {
				return fmt.Errorf("redisstore: partition %d entry %s: %w", e.part, e.id, err)
			}
			ms = muts
			pos[e.part] = position{e.id, e.seq}
			if err := fn(authcache.Change{Origin: origin, Published: published, Mutations: muts, After: encodeCursor(&pos)}); err != nil {
				return err
			}
			clear(ms)
		}
	}
}

type streamEntry struct {
	part int
	id   string
	seq  uint64
	blob string
	err  error
}

// position is where a follower stands in one partition's stream: the last
// entry read and its sequence number.
type position struct {
	id  string
	seq uint64
}

// followPartition reads partition p's stream after pos, sending each
// entry to ch, until ctx ends. Every entry carries the partition's sequence
// number; one that is not the next means entries were trimmed (the
// follower fell behind the retention) or lost (a failover promoted a
// replica that lacked them), and the follower gets ErrChangesTrimmed. The
// sequence counter is read before each blocking XREAD, in the same
// pipeline: if it is past the position and XREAD still finds nothing, the
// entries in between are gone. (From the oldest entry, the first one read
// sets the sequence.) Errors — a dead master, a failover — are retried
// with backoff and a fresh topology.
func (s *Store) followPartition(ctx context.Context, p int, pos position, fromOldest bool, ch chan<- streamEntry) {
	key, seqKey := s.streamKey(p), s.seqKey(p)
	backoff := 20 * time.Millisecond
	send := func(e streamEntry) bool {
		select {
		case ch <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	gap := func(what string) {
		send(streamEntry{err: fmt.Errorf("redisstore: partition %d: %w (at entry %s, sequence %d: %s)",
			p, authcache.ErrChangesTrimmed, pos.id, pos.seq, what)})
	}
	for ctx.Err() == nil {
		err := func() error {
			topo := s.topo.Load()
			m := topo.part[p]
			if m < 0 {
				return errNoMaster
			}
			pipe := s.client(topo.masters[m].addr).Pipeline()
			counter := pipe.Get(ctx, seqKey)
			rd := pipe.XRead(ctx, &redis.XReadArgs{Streams: []string{key, pos.id}, Count: followCount, Block: followBlock})
			_, _ = pipe.Exec(ctx)
			last, err := counter.Uint64()
			if errors.Is(err, redis.Nil) {
				last, err = 0, nil
			}
			if err != nil {
				return err
			}
			streams, err := rd.Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			read := 0
			for _, st := range streams {
				for _, msg := range st.Messages {
					seq, err := strconv.ParseUint(fmt.Sprint(msg.Values["n"]), 10, 64)
					if err != nil {
						return fmt.Errorf("entry %s: sequence %q: %w", msg.ID, msg.Values["n"], err)
					}
					if !fromOldest && seq != pos.seq+1 {
						gap(fmt.Sprintf("the next entry has sequence %d", seq))
						return errStop
					}
					blob, _ := msg.Values["m"].(string)
					if !send(streamEntry{part: p, id: msg.ID, seq: seq, blob: blob}) {
						return errStop
					}
					pos, fromOldest = position{msg.ID, seq}, false
					read++
				}
			}
			if read == 0 && !fromOldest && last > pos.seq {
				gap(fmt.Sprintf("the stream counts %d and has nothing after", last))
				return errStop
			}
			return nil
		}()
		switch {
		case errors.Is(err, errStop):
			return
		case err == nil:
			backoff = 20 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		_, _ = s.refresh(ctx)
	}
}

var errStop = errors.New("stop")

// A cursor is the partitions' positions, "<entry id>/<sequence>" each,
// comma-separated.
func encodeCursor(pos *[Partitions]position) authcache.ChangeCursor {
	var b strings.Builder
	for p, x := range pos {
		if p > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x.id)
		b.WriteByte('/')
		b.WriteString(strconv.FormatUint(x.seq, 10))
	}
	return authcache.ChangeCursor(b.String())
}

// parseCursor reads a cursor; the empty cursor means the oldest entries.
func parseCursor(c authcache.ChangeCursor) (pos [Partitions]position, oldest bool, err error) {
	if c == "" {
		for p := range pos {
			pos[p] = position{"0-0", 0}
		}
		return pos, true, nil
	}
	parts := strings.Split(string(c), ",")
	if len(parts) != Partitions {
		return pos, false, fmt.Errorf("redisstore: cursor has %d positions, want %d", len(parts), Partitions)
	}
	for p, x := range parts {
		id, seq, ok := strings.Cut(x, "/")
		n, err := strconv.ParseUint(seq, 10, 64)
		if _, _, idErr := parseID(id); !ok || err != nil || idErr != nil {
			return pos, false, fmt.Errorf("redisstore: cursor position %d: %q is not <entry id>/<sequence>", p, x)
		}
		pos[p] = position{id, n}
	}
	return pos, false, nil
}

// parseID splits a stream entry ID, "<ms>-<seq>".
func parseID(id string) (ms, seq uint64, err error) {
	a, b, ok := strings.Cut(id, "-")
	if !ok {
		return 0, 0, fmt.Errorf("stream id %q is not <ms>-<seq>", id)
	}
	if ms, err = strconv.ParseUint(a, 10, 64); err == nil {
		seq, err = strconv.ParseUint(b, 10, 64)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("stream id %q is not <ms>-<seq>", id)
	}
	return ms, seq, nil
}
