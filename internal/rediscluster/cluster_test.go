package rediscluster

import (
	"context"
	"testing"
	"time"
)

func TestClusterStartKillFailoverRestart(t *testing.T) {
	begin := time.Now()
	c := Start(t, Options{Password: "pw"})
	t.Logf("3+3 cluster ready in %v", time.Since(begin).Round(time.Millisecond))
	if n := len(c.Addrs()); n != 6 {
		t.Fatalf("%d nodes, want 6", n)
	}
	ctx := context.Background()
	const slot = 100
	master, err := c.MasterOf(ctx, slot)
	if err != nil {
		t.Fatal(err)
	}
	if master != c.Addrs()[0] {
		t.Errorf("slot %d served by %s, want the first master %s", slot, master, c.Addrs()[0])
	}
	killed := c.KillMaster(slot)
	if killed != master {
		t.Fatalf("killed %s, want %s", killed, master)
	}
	begin = time.Now()
	promoted := c.Failover(slot, killed, 20*time.Second)
	t.Logf("replica %s promoted in %v", promoted, time.Since(begin).Round(time.Millisecond))
	begin = time.Now()
	c.Restart(killed)
	t.Logf("%s rejoined in %v", killed, time.Since(begin).Round(time.Millisecond))
	if m, err := c.MasterOf(ctx, slot); err != nil || m != promoted {
		t.Errorf("after restart slot %d on %s, %v; want the promoted %s", slot, m, err, promoted)
	}
}

func TestClusterTLS(t *testing.T) {
	c := Start(t, Options{TLS: true, ReplicasPerMaster: -1})
	ctx := context.Background()
	if err := c.Client(c.Addrs()[0]).Ping(ctx).Err(); err != nil {
		t.Fatalf("PING over TLS: %v", err)
	}
	if _, err := c.MasterOf(ctx, 0); err != nil {
		t.Fatal(err)
	}
}
