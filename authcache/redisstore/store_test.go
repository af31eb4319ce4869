package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/internal/rediscluster"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openStore(t testing.TB, c *rediscluster.Cluster, prefix string, mod func(*Options)) *Store {
	t.Helper()
	o := Options{
		Addrs: c.Addrs()[:1], Password: c.Password(), KeyPrefix: prefix,
		WaitReplicas: 1, Logger: quietLogger(),
	}
	if mod != nil {
		mod(&o)
	}
	st, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func put(k, v string) authcache.Mutation {
	return authcache.Mutation{Key: []byte(k), Value: []byte(v)}
}

func TestSlot(t *testing.T) {
	if got := crc16("123456789"); got != 0x31C3 {
		t.Errorf("crc16(123456789) = %#x, want 0x31c3 (CRC-16/XMODEM check value)", got)
	}
	for _, tc := range []struct {
		key  string
		same string
	}{
		{"{user1000}.following", "user1000"},
		{"foo{bar}{zap}", "bar"},           // the first tag only
		{"foo{{bar}}zap", "{bar"},          // from the first '{' to the next '}'
		{"foo{}{bar}", "foo{}{bar}"},       // an empty tag hashes the whole key
		{"no tag at all", "no tag at all"}, // no braces
		{"half{open", "half{open"},         // no closing brace
	} {
		if got, want := Slot(tc.key), int(crc16(tc.same)%SlotCount); got != want {
			t.Errorf("Slot(%q) = %d, want %d (the slot of %q)", tc.key, got, want, tc.same)
		}
	}
}

func TestPartitions(t *testing.T) {
	seen := map[string]bool{}
	for p := range Partitions {
		if lo, hi := p*SlotCount/Partitions, (p+1)*SlotCount/Partitions; partitionSlot[p] < lo || partitionSlot[p] >= hi {
			t.Errorf("partition %d: slot %d outside [%d, %d)", p, partitionSlot[p], lo, hi)
		}
		if seen[partitionTag[p]] {
			t.Errorf("partition %d: tag %q used twice", p, partitionTag[p])
		}
		seen[partitionTag[p]] = true
		s := &Store{prefix: "pre/"}
		if got := Slot(s.recordKey(p, []byte("ac/s/{x}"))); got != partitionSlot[p] {
			t.Errorf("partition %d: a record key hashes to slot %d, want %d", p, got, partitionSlot[p])
		}
		if got := Slot(s.streamKey(p)); got != partitionSlot[p] {
			t.Errorf("partition %d: its stream hashes to slot %d, want %d", p, got, partitionSlot[p])
		}
	}
	var count [Partitions]int
	const n = 16000
	for i := range n {
		count[partitionOf(fmt.Appendf(nil, "ac/s/138%08d", i))]++
	}
	for p, c := range count {
		if c < n/Partitions*8/10 || c > n/Partitions*12/10 {
			t.Errorf("partition %d holds %d of %d keys: uneven", p, c, n)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no address", Options{}, "no cluster address"},
		{"a brace in the prefix", Options{Addrs: []string{"127.0.0.1:1"}, KeyPrefix: "a{b}"}, `key prefix "a{b}"`},
		{"negative replicas", Options{Addrs: []string{"127.0.0.1:1"}, WaitReplicas: -1}, "wait replicas -1"},
		{"nothing answers", Options{Addrs: []string{"127.0.0.1:1"}, Timeout: 200 * time.Millisecond}, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Open(tc.o)
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestOnCluster runs the checks that leave the cluster whole on one 3+3
// cluster.
func TestOnCluster(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{Password: "s3cret"})
	ctx := context.Background()

	t.Run("the server agrees on every slot", func(t *testing.T) {
		s := &Store{prefix: "x/"}
		cl := c.Client(c.Addrs()[0])
		for p := range Partitions {
			for _, k := range []string{s.recordKey(p, []byte("ac/s/1")), s.streamKey(p), "plain" + partitionTag[p]} {
				got, err := cl.ClusterKeySlot(ctx, k).Result()
				if err != nil {
					t.Fatal(err)
				}
				if int(got) != Slot(k) {
					t.Errorf("CLUSTER KEYSLOT %q = %d, Slot = %d", k, got, Slot(k))
				}
			}
		}
	})

	t.Run("an expiry is stored as the key's EXPIRETIME", func(t *testing.T) {
		st := openStore(t, c, "expiry/", nil)
		exp := time.Now().Add(time.Hour).Unix()
		if err := st.Apply([]authcache.Mutation{
			{Key: []byte("ac/l/A"), Value: []byte("v"), ExpiresAt: exp},
			put("ac/s/B", "w"),
		}); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]int64{"ac/l/A": exp, "ac/s/B": -1} {
			rk := st.recordKey(partitionOf([]byte(key)), []byte(key))
			m, err := c.MasterOf(ctx, Slot(rk))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Client(m).Do(ctx, "EXPIRETIME", rk).Int64()
			if err != nil || got != want {
				t.Errorf("EXPIRETIME of %s = %d, %v; want %d", key, got, err, want)
			}
		}
	})

	t.Run("a write is not acknowledged until a replica has it", func(t *testing.T) {
		// Freeze the replica of partition 0's master: WAIT cannot be
		// satisfied, so Apply must fail rather than acknowledge a write that
		// a failover would lose. Thawed before the cluster's node timeout,
		// so that the replica is never declared failed.
		st := openStore(t, c, "wait/", func(o *Options) {
			o.WaitTimeout = 50 * time.Millisecond
			o.Timeout = 300 * time.Millisecond
		})
		key := keyInPartition(0)
		master, err := c.MasterOf(ctx, partitionSlot[0])
		if err != nil {
			t.Fatal(err)
		}
		replicas, err := c.ReplicasOf(ctx, master)
		if err != nil || len(replicas) != 1 {
			t.Fatalf("replicas of %s: %v, %v", master, replicas, err)
		}
		c.Freeze(replicas[0])
		err = st.Apply([]authcache.Mutation{put(key, "1")})
		c.Thaw(replicas[0])
		if !errors.Is(err, errNotReplicated) {
			t.Fatalf("Apply with the replica frozen = %v, want errNotReplicated", err)
		}
		if err := st.Apply([]authcache.Mutation{put(key, "2")}); err != nil {
			t.Fatalf("Apply after the thaw: %v", err)
		}
		if v, err := st.Get([]byte(key)); err != nil || string(v) != "2" {
			t.Errorf("Get = %q, %v", v, err)
		}
	})

	t.Run("a stale view of the topology does not skip WAIT", func(t *testing.T) {
		// The node the store reads its topology from has forgotten the
		// replica of partition 0's master (CLUSTER FORGET: as a node that
		// has not yet learnt by gossip that the replica replicates it), so
		// its CLUSTER SHARDS shows that master without replicas. The
		// master still has the replica: with the replica frozen, Apply
		// must fail, not acknowledge a single copy.
		master, err := c.MasterOf(ctx, partitionSlot[0])
		if err != nil {
			t.Fatal(err)
		}
		replicas, err := c.ReplicasOf(ctx, master)
		if err != nil || len(replicas) != 1 {
			t.Fatalf("replicas of %s: %v, %v", master, replicas, err)
		}
		id, err := c.Client(replicas[0]).Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Client(master).Do(ctx, "CLUSTER", "FORGET", id).Err(); err != nil {
			t.Fatal(err)
		}
		shards, err := c.Client(master).ClusterShards(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range shards {
			for _, n := range sh.Nodes {
				if n.ID == id {
					t.Fatalf("%s still lists the forgotten replica %s", master, replicas[0])
				}
			}
		}
		st := openStore(t, c, "stale/", func(o *Options) {
			o.Addrs = []string{master}
			o.WaitTimeout = 50 * time.Millisecond
			o.Timeout = 300 * time.Millisecond
		})
		c.Freeze(replicas[0])
		err = st.Apply([]authcache.Mutation{put(keyInPartition(0), "1")})
		c.Thaw(replicas[0])
		if !errors.Is(err, errNotReplicated) {
			t.Fatalf("Apply with the replica frozen, topology from a node that forgot it = %v, want errNotReplicated", err)
		}
		if err := st.Apply([]authcache.Mutation{put(keyInPartition(0), "2")}); err != nil {
			t.Fatalf("Apply after the thaw: %v", err)
		}
	})

	t.Run("a follower sees another node's write", func(t *testing.T) {
		pub := func(o *Options) { o.PublishPrefixes = [][]byte{[]byte("ac/")}; o.NodeID = "A" }
		a := openStore(t, c, "follow/", pub)
		b := openStore(t, c, "follow/", func(o *Options) { o.NodeID = "B" })
		head, err := b.ChangesHead()
		if err != nil {
			t.Fatal(err)
		}
		got := follow(t, b, head)
		exp := time.Now().Add(time.Hour).Unix()
		start := time.Now()
		if err := a.Apply([]authcache.Mutation{
			{Key: []byte("ac/s/13800000001"), Value: []byte("sub"), ExpiresAt: exp},
			put("ob/not-published", "x"),
			{Key: []byte("ac/l/gone"), Delete: true},
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{"A put ac/s/13800000001=sub exp", "A del ac/l/gone"}
		seen := got.waitFor(t, len(want), 5*time.Second)
		t.Logf("write on A seen by B %v after Apply began", time.Since(start).Round(time.Microsecond))
		if !slices.Equal(sorted(seen), sorted(want)) {
			t.Errorf("B saw %q, want %q", seen, want)
		}
	})

	t.Run("changes to a key arrive in order, and following resumes from a cursor", func(t *testing.T) {
		pub := func(o *Options) { o.PublishPrefixes = [][]byte{[]byte("k")} }
		a := openStore(t, c, "order/", pub)
		b := openStore(t, c, "order/", nil)
		head, err := b.ChangesHead()
		if err != nil {
			t.Fatal(err)
		}
		got := follow(t, b, head)
		for i := range 50 {
			if err := a.Apply([]authcache.Mutation{put("k1", fmt.Sprint(i)), put("k2", fmt.Sprint(i))}); err != nil {
				t.Fatal(err)
			}
		}
		seen := got.waitFor(t, 100, 10*time.Second)
		next := map[string]int{}
		for _, s := range seen {
			var origin, key string
			var v int
			if _, err := fmt.Sscanf(s, "%s put %2s=%d", &origin, &key, &v); err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			if v != next[key] {
				t.Fatalf("%s: value %d arrived when %d was due (order lost)", key, v, next[key])
			}
			next[key]++
		}
		got.stop()
		cursor := got.lastCursor()
		if err := a.Apply([]authcache.Mutation{put("k1", "50")}); err != nil {
			t.Fatal(err)
		}
		again := follow(t, b, cursor)
		if s := again.waitFor(t, 1, 5*time.Second); !strings.HasSuffix(s[0], "put k1=50") {
			t.Errorf("resumed follower saw %q first, want k1=50", s[0])
		}
	})

	t.Run("a follower behind the trimmed part is told", func(t *testing.T) {
		a := openStore(t, c, "trim/", func(o *Options) { o.PublishPrefixes = [][]byte{[]byte("")} })
		head, err := a.ChangesHead()
		if err != nil {
			t.Fatal(err)
		}
		key := keyInPartition(3)
		if err := a.Apply([]authcache.Mutation{put(key, "1")}); err != nil {
			t.Fatal(err)
		}
		master, err := c.MasterOf(ctx, partitionSlot[3])
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Client(master).XTrimMaxLen(ctx, a.streamKey(3), 0).Err(); err != nil {
			t.Fatal(err)
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		err = a.FollowChanges(fctx, head, func(authcache.Change) error { return nil })
		if !errors.Is(err, authcache.ErrChangesTrimmed) {
			t.Errorf("FollowChanges from before the trim = %v, want ErrChangesTrimmed", err)
		}
	})

	t.Run("Close ends FollowChanges", func(t *testing.T) {
		a := openStore(t, c, "close/", nil)
		errc := make(chan error, 1)
		go func() { errc <- a.FollowChanges(ctx, "", func(authcache.Change) error { return nil }) }()
		a.Close()
		select {
		case err := <-errc:
			if !errors.Is(err, authcache.ErrStoreClosed) {
				t.Errorf("FollowChanges after Close = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("FollowChanges still running 5 s after Close")
		}
	})
}

// TestFailover kills the master of partition 0 with SIGKILL while a writer
// applies batches, waits for its replica's promotion, restarts the killed
// node, and checks that every acknowledged write is still there and that
// writes resumed.
func TestFailover(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	st := openStore(t, c, "failover/", func(o *Options) { o.Timeout = 20 * time.Second })
	ctx := context.Background()

	var (
		mu      sync.Mutex
		acked   []string
		failed  atomic.Int64
		slowest atomic.Int64
		stop    = make(chan struct{})
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			batch := make([]authcache.Mutation, 8)
			keys := make([]string, len(batch))
			for j := range batch {
				keys[j] = fmt.Sprintf("ac/s/%06d-%d", i, j)
				batch[j] = put(keys[j], keys[j])
			}
			begin := time.Now()
			err := st.Apply(batch)
			if d := time.Since(begin).Nanoseconds(); d > slowest.Load() {
				slowest.Store(d)
			}
			if err != nil {
				failed.Add(1)
				continue
			}
			mu.Lock()
			acked = append(acked, keys...)
			mu.Unlock()
		}
	}()
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitAcked := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for ackedNow() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d writes acknowledged by the deadline", ackedNow(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	waitAcked(800)
	killedAt := time.Now()
	killed := c.KillMaster(partitionSlot[0])
	atKill := ackedNow()
	promoted := c.Failover(partitionSlot[0], killed, 20*time.Second)
	waitAcked(atKill + 800)
	t.Logf("master %s killed after %d acknowledged records; %s promoted; writes resumed %v after the kill",
		killed, atKill, promoted, time.Since(killedAt).Round(time.Millisecond))
	c.Restart(killed)
	waitAcked(ackedNow() + 800)
	close(stop)
	<-done
	t.Logf("%d records acknowledged, %d batches failed, slowest Apply %v",
		len(acked), failed.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))

	lost := 0
	for _, k := range acked {
		v, err := st.Get([]byte(k))
		if err != nil || string(v) != k {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged %s: Get = %q, %v", k, v, err)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged records lost", lost, len(acked))
	}
	n := 0
	if err := st.Scan([]byte("ac/s/"), func(k, v []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n < len(acked) {
		t.Errorf("Scan found %d records, %d were acknowledged", n, len(acked))
	}

	// The whole cluster gone: Apply retries (for up to 20 s here); Close
	// must not wait for it, and Apply must report the store closed.
	c.Stop()
	applied := make(chan error, 1)
	go func() { applied <- st.Apply([]authcache.Mutation{put("ac/s/last", "x")}) }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if !st.mu.TryLock() {
			break // Apply holds the lock shared: it is retrying
		}
		st.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("Apply never started")
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waiting for a retrying Apply after 5 s")
	}
	if err := <-applied; !errors.Is(err, authcache.ErrStoreClosed) {
		t.Errorf("Apply interrupted by Close = %v, want ErrStoreClosed", err)
	}
	_ = ctx
}

// keyInPartition returns a store key that falls in partition p.
func keyInPartition(p int) string {
	for i := 0; ; i++ {
		k := fmt.Sprintf("ac/s/p%d-%d", p, i)
		if partitionOf([]byte(k)) == p {
			return k
		}
	}
}

// follower collects what FollowChanges delivers, as "origin op key=value".
type follower struct {
	cancel context.CancelFunc
	errc   chan error
	mu     sync.Mutex
	seen   []string
	cursor authcache.ChangeCursor
}

func follow(t *testing.T, st *Store, from authcache.ChangeCursor) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{cancel: cancel, errc: make(chan error, 1)}
	go func() {
		f.errc <- st.FollowChanges(ctx, from, func(c authcache.Change) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, m := range c.Mutations {
				switch {
				case m.Delete:
					f.seen = append(f.seen, fmt.Sprintf("%s del %s", c.Origin, m.Key))
				case m.ExpiresAt != 0:
					f.seen = append(f.seen, fmt.Sprintf("%s put %s=%s exp", c.Origin, m.Key, m.Value))
				default:
					f.seen = append(f.seen, fmt.Sprintf("%s put %s=%s", c.Origin, m.Key, m.Value))
				}
			}
			f.cursor = c.After
			return nil
		})
	}()
	t.Cleanup(f.stop)
	return f
}

func (f *follower) stop() {
	f.cancel()
	if f.errc != nil {
		<-f.errc
		f.errc = nil
	}
}

func (f *follower) lastCursor() authcache.ChangeCursor {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursor
}

// waitFor polls until n mutations were seen or the deadline passes.
func (f *follower) waitFor(t *testing.T, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		f.mu.Lock()
		seen := slices.Clone(f.seen)
		f.mu.Unlock()
		if len(seen) >= n {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("saw %d of %d changes within %v: %q", len(seen), n, within, seen)
		}
		time.Sleep(time.Millisecond)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
