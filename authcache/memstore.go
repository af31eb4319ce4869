package authcache

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemStore is the in-memory Store backend for tests and for running
// without persistence. Expired records read as absent, as in Badger.
type MemStore struct {
	now    func() time.Time
	mu     sync.RWMutex
	m      map[string]memEntry
	closed bool
}

type memEntry struct {
	val []byte
	exp int64 // Unix seconds, 0 = never
}

// NewMemStore returns an empty MemStore. now is the clock expiry is judged
// by (nil: time.Now).
func NewMemStore(now func() time.Time) *MemStore {
	if now == nil {
		now = time.Now
	}
	return &MemStore{now: now, m: make(map[string]memEntry)}
}

func (s *MemStore) live(e memEntry, now int64) bool { return e.exp == 0 || e.exp > now }

// Apply implements Store. Keys and values are copied.
func (s *MemStore) Apply(batch []Mutation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	for _, m := range batch {
		if m.Delete {
			delete(s.m, string(m.Key))
			continue
		}
		s.m[string(m.Key)] = memEntry{val: bytes.Clone(m.Value), exp: m.ExpiresAt}
	}
	return nil
}

// Get implements Store.
func (s *MemStore) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	e, ok := s.m[string(key)]
	if !ok || !s.live(e, s.now().Unix()) {
		return nil, ErrNotFound
	}
	return bytes.Clone(e.val), nil
}

// Scan implements Store. It snapshots the matching keys first, so fn may
// call other methods of the store.
func (s *MemStore) Scan(prefix []byte, fn func(key, value []byte) error) error {
	type kv struct {
		k string
		v []byte
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrStoreClosed
	}
	now := s.now().Unix()
	var snap []kv
	for k, e := range s.m {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) && s.live(e, now) {
			snap = append(snap, kv{k, e.val})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(snap, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	for _, e := range snap {
		if err := fn([]byte(e.k), e.v); err != nil {
			return err
		}
	}
	return nil
}

// Close implements Store.
func (s *MemStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	s.closed = true
	return nil
}
