package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// topology is what the store knows of the cluster: its live masters and
// which of them serves each partition's slot. It is replaced whole, never
// changed in place.
type topology struct {
	masters []master
	part    [Partitions]int // index into masters; -1: no live master
	at      time.Time
}

type master struct {
	addr string
}

func (t *topology) complete() error {
	if len(t.masters) == 0 {
		return errors.New("no cluster topology")
	}
	for p, m := range t.part {
		if m < 0 {
			return fmt.Errorf("partition %d (slot %d): %w", p, partitionSlot[p], errNoMaster)
		}
	}
	return nil
}

// refresh reads the topology with CLUSTER SHARDS from the first node that
// answers, trying the known masters before the configured addresses.
// Concurrent callers share one refresh; one that finished less than 50 ms
// ago is reused.
func (s *Store) refresh(ctx context.Context) (*topology, error) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	cur := s.topo.Load()
	if time.Since(cur.at) < 50*time.Millisecond {
		return cur, nil
	}
	seen := make(map[string]bool)
	var candidates []string
	for _, m := range cur.masters {
		candidates = append(candidates, m.addr)
		seen[m.addr] = true
	}
	for _, a := range s.opt.Addrs {
		if !seen[a] {
			candidates = append(candidates, a)
			seen[a] = true
		}
	}
	var errs []error
	for _, addr := range candidates {
		shards, err := s.client(addr).ClusterShards(ctx).Result()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: CLUSTER SHARDS: %w", addr, err))
			continue
		}
		t := s.topologyOf(shards)
		s.topo.Store(t)
		return t, nil
	}
	return cur, errors.Join(errs...)
}

func (s *Store) topologyOf(shards []redis.ClusterShard) *topology {
	t := &topology{at: time.Now()}
	for p := range t.part {
		t.part[p] = -1
	}
	for _, sh := range shards {
		mi := -1
		for _, n := range sh.Nodes {
			// Health is "online", "fail" ("failed" in the documentation)
			// or "loading". Replicas do not matter here: how many a write
			// waits for is asked of the master itself (replication.go).
			if n.Health == "fail" || n.Health == "failed" || n.Role != "master" {
				continue
			}
			if mi < 0 {
				mi = len(t.masters)
				t.masters = append(t.masters, master{addr: s.nodeAddr(n)})
			}
		}
		if mi < 0 {
			continue
		}
		for _, r := range sh.Slots {
			for p, slot := range partitionSlot {
				if int64(slot) >= r.Start && int64(slot) <= r.End {
					t.part[p] = mi
				}
			}
		}
	}
	return t
}

// nodeAddr is where to reach a node: its announced endpoint (else IP), on
// its TLS port when TLS is configured.
func (s *Store) nodeAddr(n redis.Node) string {
	host := n.Endpoint
	if host == "" || host == "?" {
		host = n.IP
	}
	port := n.Port
	if s.opt.TLS != nil && n.TLSPort != 0 {
		port = n.TLSPort
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}
