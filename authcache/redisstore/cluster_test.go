package redisstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spsmg/spsmg/cluster"
	"github.com/spsmg/spsmg/internal/rediscluster"
)

func TestClusterBackend(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})
	ctx := context.Background()
	node := func(prefix, id string) *Store {
		return openStore(t, c, prefix, func(o *Options) { o.NodeID = id })
	}

	t.Run("a delivery is claimed at once only when nothing older waits", func(t *testing.T) {
		a, b := node("q1/", "A"), node("q1/", "B")
		items := []cluster.Item{{Account: "sp1", Payload: []byte("one"), Claim: true}}
		if err := a.Enqueue(ctx, items); err != nil || items[0].Err != nil || !items[0].Claimed {
			t.Fatalf("first item: %+v, %v", items[0], err)
		}
		// Not claimed: waits for any node.
		items = []cluster.Item{{Account: "sp1", Payload: []byte("two")}, {Account: "sp1", Payload: []byte("three"), Claim: true}}
		if err := a.Enqueue(ctx, items); err != nil || items[0].Claimed || items[1].Claimed || items[1].Err != nil {
			t.Fatalf("items: %+v, %v", items, err)
		}
		got, err := b.Read(ctx, []string{"sp1"}, 10, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || string(got[0].Payload) != "two" || string(got[1].Payload) != "three" || got[0].Account != "sp1" {
			t.Fatalf("B read %+v, want two and three", got)
		}
		own, err := a.ReadOwn(ctx, "sp1", 10)
		if err != nil || len(own) != 1 || string(own[0].Payload) != "one" {
			t.Fatalf("A's own: %+v, %v", own, err)
		}
		// A is dead (not in live): B claims its entry.
		claimed, err := b.ClaimDead(ctx, "sp1", []string{"B"}, 0, 100)
		if err != nil || len(claimed) != 1 || string(claimed[0].Payload) != "one" {
			t.Fatalf("claimed %+v, %v", claimed, err)
		}
		if err := b.Ack(ctx, "sp1", got[0].ID, claimed[0].ID); err != nil {
			t.Fatal(err)
		}
		// Release puts "three" back for anyone.
		if err := b.Release(ctx, "sp1", got[1:]); err != nil {
			t.Fatal(err)
		}
		again, err := a.Read(ctx, []string{"sp1"}, 10, 100*time.Millisecond)
		if err != nil || len(again) != 1 || string(again[0].Payload) != "three" {
			t.Fatalf("after release A read %+v, %v", again, err)
		}
		if err := a.Ack(ctx, "sp1", again[0].ID); err != nil {
			t.Fatal(err)
		}
		items = []cluster.Item{{Account: "sp1", Payload: []byte("four"), Claim: true}}
		if err := b.Enqueue(ctx, items); err != nil || !items[0].Claimed {
			t.Fatalf("after everything was taken, a new item is claimed: %+v, %v", items[0], err)
		}
	})

	t.Run("a full queue refuses", func(t *testing.T) {
		a := node("q2/", "A")
		for i := range 3 {
			items := []cluster.Item{{Account: "sp", Payload: fmt.Appendf(nil, "%d", i), Limit: 2}}
			if err := a.Enqueue(ctx, items); err != nil || items[0].Err != nil {
				t.Fatal(items[0].Err, err)
			}
			if full := i == 2; items[0].Full != full {
				t.Fatalf("item %d: full %v", i, items[0].Full)
			}
		}
	})

	t.Run("one read serves every queue of a partition", func(t *testing.T) {
		a := node("q3/", "A")
		var accounts []string
		for i := 0; len(accounts) < 3; i++ {
			if acc := fmt.Sprintf("acc%d", i); a.Partition(acc) == 5 {
				accounts = append(accounts, acc)
			}
		}
		for _, acc := range accounts {
			if err := a.Enqueue(ctx, []cluster.Item{{Account: acc, Payload: []byte(acc)}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := a.Read(ctx, accounts, 10, 100*time.Millisecond)
		if err != nil || len(got) != 3 {
			t.Fatalf("read %+v, %v", got, err)
		}
		for _, e := range got {
			if string(e.Payload) != e.Account {
				t.Errorf("entry %+v of the wrong account", e)
			}
		}
	})

	t.Run("connections are counted across nodes and lapse with a dead node", func(t *testing.T) {
		a, b := node("k/", "A"), node("k/", "B")
		const ttl = 500 * time.Millisecond
		for i, want := range []bool{true, true, false} {
			n := a
			if i == 1 {
				n = b
			}
			ok, err := n.AcquireConn(ctx, "sp1", 2, ttl)
			if err != nil || ok != want {
				t.Fatalf("acquire %d = %v, %v; want %v", i, ok, err, want)
			}
		}
		if err := a.ReleaseConn(ctx, "sp1", ttl); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.AcquireConn(ctx, "sp1", 2, ttl); err != nil || !ok {
			t.Fatalf("after a release: %v, %v", ok, err)
		}
		// A and B now hold 0 and 2. B stops renewing (killed): its
		// connections lapse after ttl and A may take both places.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := a.Heartbeat(ctx, ttl, map[string]int{"sp1": 0}); err != nil {
				t.Fatal(err)
			}
			ok, err := a.AcquireConn(ctx, "sp1", 2, ttl)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("B's connections never lapsed")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("heartbeats list the live nodes", func(t *testing.T) {
		a, b := node("hb/", "A"), node("hb/", "B")
		if _, err := a.Heartbeat(ctx, 300*time.Millisecond, nil); err != nil {
			t.Fatal(err)
		}
		live, err := b.Heartbeat(ctx, time.Minute, nil)
		if err != nil || !slices.Contains(live, "A") || !slices.Contains(live, "B") {
			t.Fatalf("live %v, %v", live, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for slices.Contains(live, "A") {
			if time.Now().After(deadline) {
				t.Fatal("A still alive after its lease")
			}
			time.Sleep(50 * time.Millisecond)
			live, _ = b.Heartbeat(ctx, time.Minute, nil)
		}
	})

	t.Run("the token bucket grants the rate across nodes", func(t *testing.T) {
		a, b := node("tok/", "A"), node("tok/", "B")
		// A burst of 100: A takes 60, B gets the 40 left.
		if got, err := a.TakeTokens(ctx, "sp1", 10, 100, 60); err != nil || got != 60 {
			t.Fatalf("A got %d, %v", got, err)
		}
		if got, err := b.TakeTokens(ctx, "sp1", 10, 100, 60); err != nil || got < 40 || got > 41 {
			t.Fatalf("B got %d, %v; want the 40 left (41 if a tenth of a second passed)", got, err)
		}
	})
}
