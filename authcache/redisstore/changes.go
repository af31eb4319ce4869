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

// ChangesHead implements authcache.ChangeStore: the last entry ID of every
// partition's stream ("0-0" for a stream not yet created).
func (s *Store) ChangesHead() (authcache.ChangeCursor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return "", authcache.ErrStoreClosed
	}
	var ids [Partitions]string
	err := s.retry("changes head", func(ctx context.Context, topo *topology) error {
		for p := range ids {
			m := topo.part[p]
			if m < 0 {
				return fmt.Errorf("partition %d (slot %d): %w", p, partitionSlot[p], errNoMaster)
			}
			info, err := s.client(topo.masters[m].addr).XInfoStream(ctx, s.streamKey(p)).Result()
			switch {
			case err == nil:
				ids[p] = info.LastGeneratedID
			case redis.HasErrorPrefix(err, "ERR no such key"):
				ids[p] = "0-0"
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return encodeCursor(&ids), nil
}

// FollowChanges implements authcache.ChangeStore with one blocking XREAD
// loop per partition (a partition's stream lives on its slot's master, and
// XREAD cannot span slots), funnelled into one goroutine that calls fn.
// Order is kept within a partition, hence for every key.
func (s *Store) FollowChanges(ctx context.Context, from authcache.ChangeCursor, fn func(authcache.Change) error) error {
	pos, err := parseCursor(from)
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
		wg.Go(func() { s.followPartition(ctx, p, pos[p], from == "", ch) })
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
			pos[e.part] = e.id
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
	blob string
	err  error
}

// followPartition reads partition p's stream from id on, sending each
// entry to ch, until ctx ends. After every read, in the same pipeline, it
// checks the stream's max-deleted-entry-id: if trimming removed an entry
// after the position read from, the follower has missed changes and gets
// ErrChangesTrimmed. (From an empty cursor the first read takes whatever
// is oldest, so that check starts with the second read.) Errors — a dead
// master, a failover — are retried with backoff and a fresh topology.
func (s *Store) followPartition(ctx context.Context, p int, id string, fromOldest bool, ch chan<- streamEntry) {
	key := s.streamKey(p)
	backoff := 20 * time.Millisecond
	send := func(e streamEntry) bool {
		select {
		case ch <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		err := func() error {
			topo := s.topo.Load()
			m := topo.part[p]
			if m < 0 {
				return errNoMaster
			}
			pipe := s.client(topo.masters[m].addr).Pipeline()
			rd := pipe.XRead(ctx, &redis.XReadArgs{Streams: []string{key, id}, Count: followCount, Block: followBlock})
			info := pipe.XInfoStream(ctx, key)
			_, _ = pipe.Exec(ctx)
			streams, err := rd.Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if inf, err := info.Result(); err == nil && !fromOldest && compareIDs(inf.MaxDeletedEntryID, id) > 0 {
				send(streamEntry{err: fmt.Errorf("redisstore: partition %d: %w (read from %s, trimmed up to %s)",
					p, authcache.ErrChangesTrimmed, id, inf.MaxDeletedEntryID)})
				return errStop
			}
			for _, st := range streams {
				for _, msg := range st.Messages {
					blob, _ := msg.Values["m"].(string)
					if !send(streamEntry{part: p, id: msg.ID, blob: blob}) {
						return errStop
					}
					id, fromOldest = msg.ID, false
				}
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

// A cursor is the partitions' stream positions, comma-separated.
func encodeCursor(ids *[Partitions]string) authcache.ChangeCursor {
	return authcache.ChangeCursor(strings.Join(ids[:], ","))
}

func parseCursor(c authcache.ChangeCursor) ([Partitions]string, error) {
	var ids [Partitions]string
	if c == "" {
		for p := range ids {
			ids[p] = "0-0"
		}
		return ids, nil
	}
	parts := strings.Split(string(c), ",")
	if len(parts) != Partitions {
		return ids, fmt.Errorf("redisstore: cursor has %d positions, want %d", len(parts), Partitions)
	}
	for p, id := range parts {
		if _, _, err := parseID(id); err != nil {
			return ids, fmt.Errorf("redisstore: cursor position %d: %w", p, err)
		}
		ids[p] = id
	}
	return ids, nil
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

// compareIDs orders two stream IDs; an unparsable one counts as 0-0.
func compareIDs(a, b string) int {
	am, as, _ := parseID(a)
	bm, bs, _ := parseID(b)
	switch {
	case am != bm:
		if am < bm {
			return -1
		}
		return 1
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}
