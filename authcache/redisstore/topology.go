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
	addr     string
	replicas int // replicas the cluster reports online
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
		replicas := 0
		for _, n := range sh.Nodes {
			// Health is "online", "fail" or "loading"; Redis 7.0 reports a
			// replica "loading" until its master has written anything
			// (replication offset 0), so only "fail" rules a node out. A
			// replica really still syncing just fails WAIT until it is done.
			if n.Health == "fail" {
				continue
			}
			switch n.Role {
			case "master":
				if mi < 0 {
					mi = len(t.masters)
					t.masters = append(t.masters, master{addr: s.nodeAddr(n)})
				}
			case "replica", "slave":
				replicas++
			}
		}
		if mi < 0 {
			continue
		}
		t.masters[mi].replicas = replicas
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
