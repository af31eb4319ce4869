package redisstore

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// How many replicas a write waits for.
//
// Options.WaitReplicas asks for that many copies beyond the master, but a
// master that has fewer replicas online (after a failover the promoted
// replica has none until the dead node returns) could never satisfy it,
// and waiting would stop every write until an operator intervened. The
// wait is therefore capped at the replicas online — as the master itself
// reports them. An earlier version took that count from CLUSTER SHARDS,
// i.e. from whichever node answered the topology query; a node whose
// view was momentarily stale (it had not yet learnt, by gossip, that a
// node replicates this master) reported the master without replicas, and
// writes were acknowledged without WAIT while a replica existed. A master
// killed then loses them.
//
// So every write's pipeline ends with ROLE and WAIT on the master's own
// connection: ROLE lists the replicas whose link the master holds online
// at that instant (a stalled replica stays listed until the master's
// repl-timeout drops it), and the write is acknowledged when WAIT counted
// at least min(WaitReplicas, online) of them. WAIT is sent with the count
// that master reported last time (so that a master without replicas costs
// no WAIT timeout on every write); when ROLE now lists more replicas than
// WAIT waited for and too few acknowledged, the attempt fails and is
// retried with the new count.

// waitCheck holds the replies of the ROLE and WAIT appended to a pipeline.
type waitCheck struct {
	role *redis.Cmd
	wait *redis.Cmd
	sent int // the replica count WAIT was sent with
}

// onlineOf returns the cached online-replica count of a master (-1: not
// known yet).
func (s *Store) onlineOf(addr string) *atomic.Int32 {
	if v, ok := s.online.Load(addr); ok {
		return v.(*atomic.Int32)
	}
	n := new(atomic.Int32)
	n.Store(-1)
	v, _ := s.online.LoadOrStore(addr, n)
	return v.(*atomic.Int32)
}

// addWait appends ROLE and WAIT to pipe (nil when WaitReplicas is 0).
func (s *Store) addWait(ctx context.Context, pipe redis.Pipeliner, addr string) *waitCheck {
	if s.opt.WaitReplicas <= 0 {
		return nil
	}
	want := s.opt.WaitReplicas
	if n := int(s.onlineOf(addr).Load()); n >= 0 && n < want {
		want = n
	}
	w := &waitCheck{sent: want}
	w.role = pipe.Do(ctx, "ROLE")
	w.wait = pipe.Do(ctx, "WAIT", want, s.opt.WaitTimeout.Milliseconds())
	return w
}

// checkWait reads the replies of addWait after the pipeline ran: nil when
// enough replicas acknowledged, errNotReplicated (wrapped) when not.
func (s *Store) checkWait(addr string, w *waitCheck) error {
	if w == nil {
		return nil
	}
	acked, err := w.wait.Int64()
	if err != nil {
		return fmt.Errorf("%s: WAIT: %w", addr, err)
	}
	online, err := onlineReplicas(w.role)
	switch {
	case redis.HasErrorPrefix(err, "NOPERM"):
		// An ACL user without ROLE: wait for the full count, as if every
		// replica were online (writes then fail while one is not).
		online = s.opt.WaitReplicas
	case err != nil:
		return fmt.Errorf("%s: ROLE: %w", addr, err)
	}
	s.onlineOf(addr).Store(int32(online))
	need := min(s.opt.WaitReplicas, online)
	if need < s.opt.WaitReplicas {
		if _, warned := s.warnedNoReplica.LoadOrStore(addr, struct{}{}); !warned {
			s.log.Warn("master has fewer online replicas than store.redis.wait_replicas: its writes are acknowledged with fewer copies",
				"master", addr, "online_replicas", online, "wait_replicas", s.opt.WaitReplicas)
		}
	} else {
		s.warnedNoReplica.Delete(addr)
	}
	if int(acked) < need {
		return fmt.Errorf("%s: %w: %d of %d within %v (WAIT %d)", addr, errNotReplicated, acked, need, s.opt.WaitTimeout, w.sent)
	}
	return nil
}

// onlineReplicas counts the replicas in a master's ROLE reply:
// ["master", offset, [[ip, port, offset], ...]], which lists only the
// replicas whose link is online.
func onlineReplicas(role *redis.Cmd) (int, error) {
	v, err := role.Slice()
	if err != nil {
		return 0, err
	}
	if len(v) < 3 || fmt.Sprint(v[0]) != "master" {
		return 0, fmt.Errorf("not a master: %v", v)
	}
	list, ok := v[2].([]any)
	if !ok {
		return 0, fmt.Errorf("unexpected replica list %T", v[2])
	}
	return len(list), nil
}
