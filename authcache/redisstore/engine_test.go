package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/internal/rediscluster"
	"github.com/spsmg/spsmg/reason"
)

// Engines of two nodes, A and B, on one cluster: what one node does, the
// other must see (following) and must not do twice (shared decisions).

const (
	engSP     = "sp1"
	engNumber = "1065501"
	engPortal = "10655999"
)

func engineConfig(uses int) authcache.Config {
	return authcache.Config{PortalNumber: engPortal, MOLinkIDUses: uses, WebCodeUses: uses}
}

// openEngine opens an engine on a store of node id, sharing prefix.
func openEngine(t testing.TB, c *rediscluster.Cluster, prefix, node string, cfg authcache.Config) *authcache.Engine {
	t.Helper()
	st := openStore(t, c, prefix, func(o *Options) {
		o.NodeID = node
		o.PublishPrefixes = authcache.Published()
	})
	e, err := authcache.Open(cfg, st, authcache.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func subMT(user, svc string) *authcache.MT {
	return &authcache.MT{SP: engSP, SPNumber: []byte(engNumber), ServiceCode: []byte(svc), Dests: [][]byte{[]byte(user)}}
}

func linkMT(user, svc, link string) *authcache.MT {
	mt := subMT(user, svc)
	mt.LinkID = []byte(link)
	return mt
}

// decide runs Authorize and, when it defers, AuthorizeDeferred, as the
// proxy does (the second part off the event loop).
func decide(e *authcache.Engine, mt *authcache.MT) authcache.Decision {
	d := e.Authorize(mt)
	if d.Deferred() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d = e.AuthorizeDeferred(ctx, mt)
	}
	return d
}

// mo issues an MO LinkID on e for user and returns it.
func mo(t testing.TB, e *authcache.Engine, user string) string {
	t.Helper()
	act := e.OnMO(&authcache.MO{User: []byte(user), SPNumber: []byte(engNumber), SP: engSP, ServiceCode: []byte("NEWS"), Text: "hello", LinkIDMax: 20})
	if act.LinkID == "" || !act.Forward {
		t.Fatalf("OnMO = %+v", act)
	}
	return act.LinkID
}

func TestEnginesOnCluster(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{})

	t.Run("a subscription made on A authorizes on B", func(t *testing.T) {
		a := openEngine(t, c, "sub/", "A", engineConfig(5))
		b := openEngine(t, c, "sub/", "B", engineConfig(5))
		const bound = 2 * time.Second // generous: the figure is BenchmarkCluster/EngineLag's
		var lags []time.Duration
		for i := range 20 {
			user := fmt.Sprintf("1380000%04d", i)
			if d := decide(b, subMT(user, "NEWS")); d.Allow {
				t.Fatalf("%s allowed on B before any subscription", user)
			}
			start := time.Now()
			if err := a.Subscribe(engSP, user, "NEWS", authcache.SourceAPI); err != nil {
				t.Fatal(err)
			}
			for !b.Authorize(subMT(user, "NEWS")).Allow {
				if time.Since(start) > bound {
					t.Fatalf("subscription %d made on A not seen on B within %v", i, bound)
				}
				time.Sleep(100 * time.Microsecond)
			}
			lags = append(lags, time.Since(start))
			// And the way back: B unsubscribes, A refuses.
			if n, err := b.Unsubscribe(engSP, user, "NEWS"); n != 1 || err != nil {
				t.Fatalf("Unsubscribe on B = %d, %v", n, err)
			}
			for a.Authorize(subMT(user, "NEWS")).Allow {
				if time.Since(start) > 2*bound {
					t.Fatalf("unsubscription %d made on B not seen on A", i)
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		slices.Sort(lags)
		t.Logf("subscribe on A → allowed on B: p50 %v, max %v (20 subscriptions)", lags[len(lags)/2], lags[len(lags)-1])
		if s := b.Stats(); s.FollowedChanges == 0 || !s.Following {
			t.Errorf("B's follower: %+v", s)
		}
		// Each node counts the changes it made, not those it followed.
		if got := a.SubscriptionChanges()[engSP]; got.Added != 20 || got.Cancelled != 0 {
			t.Errorf("A counted %+v, want 20 added and none cancelled", got)
		}
		if got := b.SubscriptionChanges()[engSP]; got.Added != 0 || got.Cancelled != 20 {
			t.Errorf("B counted %+v, want 20 cancelled and none added", got)
		}
	})

	t.Run("the last use of a LinkID, raced on A and B, lets exactly one through", func(t *testing.T) {
		a := openEngine(t, c, "race/", "A", engineConfig(1))
		b := openEngine(t, c, "race/", "B", engineConfig(1))
		rounds := 50
		if testing.Short() {
			rounds = 10
		}
		for i := range rounds {
			user := fmt.Sprintf("1390000%04d", i)
			link := mo(t, a, user)
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var ds [2]authcache.Decision
			for j, e := range []*authcache.Engine{a, b} {
				wg.Go(func() { ds[j] = decide(e, linkMT(user, "NEWS", link)) })
			}
			wg.Wait()
			allowed := 0
			for _, d := range ds {
				switch {
				case d.Allow && d.Reason == reason.MOLinkID:
					allowed++
				case !d.Allow && d.Reason == reason.LinkIDUsedUp:
				default:
					t.Fatalf("round %d: decision %+v", i, d)
				}
			}
			if allowed != 1 {
				t.Fatalf("round %d: %d of the two MTs spending the last use passed (A %v, B %v)", i, allowed, ds[0].Reason, ds[1].Reason)
			}
		}
	})

	t.Run("a LinkID issued on A a moment ago is read from the store on B", func(t *testing.T) {
		a := openEngine(t, c, "fresh/", "A", engineConfig(2))
		b := openEngine(t, c, "fresh/", "B", engineConfig(2))
		link := mo(t, a, "13700000001")
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		if d := decide(b, linkMT("13700000001", "NEWS", link)); !d.Allow {
			t.Fatalf("B: %+v", d)
		}
		if d := decide(a, linkMT("13700000001", "NEWS", link)); !d.Allow {
			t.Fatalf("A, second use: %+v", d)
		}
		if d := decide(b, linkMT("13700000001", "NEWS", link)); d.Allow || d.Reason != reason.LinkIDUsedUp {
			t.Fatalf("B, third use of two: %+v", d)
		}
		if d := decide(b, linkMT("13700000002", "NEWS", link)); d.Reason != reason.LinkIDWrongUser {
			t.Fatalf("B, another user: %+v", d)
		}
		if d := decide(b, linkMT("13700000001", "NEWS", "NOSUCH01")); d.Reason != reason.LinkIDUnknown {
			t.Fatalf("B, unknown LinkID: %+v", d)
		}
	})

	t.Run("the parts of a long message spend one use across nodes", func(t *testing.T) {
		a := openEngine(t, c, "parts/", "A", engineConfig(1))
		b := openEngine(t, c, "parts/", "B", engineConfig(1))
		user := "13600000001"
		link := mo(t, a, user)
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		part := func(e *authcache.Engine, ref uint16, seq uint8) authcache.Decision {
			mt := linkMT(user, "NEWS", link)
			mt.Segment = authcache.Segment{Ref: ref, Total: 3, Seq: seq}
			return decide(e, mt)
		}
		for i, step := range []struct {
			e     *authcache.Engine
			ref   uint16
			seq   uint8
			allow bool
		}{
			{b, 7, 2, true},  // the first part seen, on B: spends the only use
			{a, 7, 1, true},  // follows on A
			{b, 7, 2, true},  // a resend follows too
			{a, 7, 3, true},  // the last part: the message is complete
			{a, 7, 1, false}, // a new message with the same reference: no use left
			{b, 8, 1, false}, // another message: no use left
		} {
			if d := part(step.e, step.ref, step.seq); d.Allow != step.allow {
				t.Fatalf("step %d (ref %d part %d): %+v, want allow %v", i, step.ref, step.seq, d, step.allow)
			}
		}
		if s := a.Stats(); s.SharedFollowed < 2 {
			t.Errorf("A followed %d parts, want ≥ 2", s.SharedFollowed)
		}
	})

	t.Run("a node that lost changes loads the state again", func(t *testing.T) {
		b := openEngine(t, c, "reload/", "B", engineConfig(5))
		// A subscription written without an announcement (a store that
		// publishes nothing): B cannot follow it.
		silent := openStore(t, c, "reload/", func(o *Options) { o.NodeID = "A" })
		a, err := authcache.Open(engineConfig(5), silent, authcache.WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		const user = "13100000001"
		if err := a.Subscribe(engSP, user, "NEWS", authcache.SourceAPI); err != nil {
			t.Fatal(err)
		}
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.Authorize(subMT(user, "NEWS")).Allow {
			t.Fatal("B knows a subscription nobody announced")
		}
		// An entry of partition 3 is lost (its sequence number moves on
		// with nothing in the stream, as after a failover that lost it):
		// B must notice and load the state again, which brings the
		// subscription.
		ctx := context.Background()
		m, err := c.MasterOf(ctx, partitionSlot[3])
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Client(m).Incr(ctx, silent.seqKey(3)).Err(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !b.Authorize(subMT(user, "NEWS")).Allow {
			if time.Now().After(deadline) {
				t.Fatalf("B never reloaded: %+v", b.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if s := b.Stats(); s.FollowReloads != 1 || !s.Following {
			t.Errorf("B's follower after the gap: reloads %d, following %v", s.FollowReloads, s.Following)
		}
	})

	t.Run("a reply to a request this node has not followed yet is read from the store", func(t *testing.T) {
		// A publishes nothing here: B can know the request only from the
		// store, as in the moment before following brings it.
		st := openStore(t, c, "unfollowed/", func(o *Options) { o.NodeID = "A" })
		a, err := authcache.Open(engineConfig(5), st, authcache.WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		b := openEngine(t, c, "unfollowed/", "B", engineConfig(5))
		const user = "13500009999"
		id, err := a.RequestSubscription(authcache.SubscriptionRequest{SP: engSP, SPNumber: engNumber, ServiceCode: "NEWS", User: user, Text: "sub"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		if s := b.Stats(); s.Pending != 0 {
			t.Fatalf("B has %d pending requests in memory, want none", s.Pending)
		}
		other := &authcache.MO{User: []byte("13500008888"), SPNumber: []byte(engPortal + id), Text: "Y"}
		if act := b.OnMODeferred(context.Background(), other); act.Kind != authcache.MOConfirmUnknown {
			t.Fatalf("another user's Y: %+v", act)
		}
		reply := &authcache.MO{User: []byte(user), SPNumber: []byte(engPortal + id), Text: "Y"}
		if act := b.OnMODeferred(context.Background(), reply); act.Kind != authcache.MOConfirmYes || act.NotiSP == nil {
			t.Fatalf("the user's Y on B: %+v, want confirm_yes", act)
		}
		if act := a.OnMODeferred(context.Background(), reply); act.Kind != authcache.MOConfirmUnknown {
			t.Fatalf("the same Y again on A: %+v, want confirm_unknown (taken)", act)
		}
	})

	t.Run("a confirmation's Y counts once across nodes", func(t *testing.T) {
		a := openEngine(t, c, "confirm/", "A", engineConfig(5))
		b := openEngine(t, c, "confirm/", "B", engineConfig(5))
		for i := range 10 {
			user := fmt.Sprintf("1350000%04d", i)
			id, err := a.RequestSubscription(authcache.SubscriptionRequest{SP: engSP, SPNumber: engNumber, ServiceCode: "NEWS", User: user, Text: "sub"})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			// B may not have followed the request yet: it then reads it from
			// the store. Either way the reply counts once.
			reply := &authcache.MO{User: []byte(user), SPNumber: []byte(engPortal + id), Text: "Y"}
			if act := b.OnMO(reply); !act.Deferred {
				t.Fatalf("B did not defer the reply: %+v", act)
			}
			var wg sync.WaitGroup
			var acts [2]authcache.MOAction
			for j, e := range []*authcache.Engine{a, b} {
				wg.Go(func() {
					r := *reply
					acts[j] = e.OnMODeferred(context.Background(), &r)
				})
			}
			wg.Wait()
			yes := 0
			for _, act := range acts {
				switch act.Kind {
				case authcache.MOConfirmYes:
					yes++
					if act.NotiSP == nil || act.NotiSP.LinkID == "" {
						t.Fatalf("Y without a Noti_SP: %+v", act)
					}
				case authcache.MOConfirmUnknown:
				default:
					t.Fatalf("round %d: %+v", i, act)
				}
			}
			if yes != 1 {
				t.Fatalf("round %d: the reply counted %d times (A %v, B %v)", i, yes, acts[0].Kind, acts[1].Kind)
			}
		}
	})
}
