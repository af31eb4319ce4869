package redisstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/internal/rediscluster"
)

// BenchmarkCluster runs on one real 3+3 cluster on loopback:
//
//	go test -run '^$' -bench Cluster -benchtime 2000x ./authcache/redisstore
func BenchmarkCluster(b *testing.B) {
	c := rediscluster.Start(b, rediscluster.Options{})

	// ChangeLag: one record applied on node A (WAIT 1 included), the time
	// until node B's follower has it. p50/p99 of that lag and of A's Apply.
	b.Run("ChangeLag", func(b *testing.B) {
		a := openStore(b, c, "lag/", func(o *Options) { o.PublishPrefixes = [][]byte{[]byte("ac/")}; o.NodeID = "A" })
		f := openStore(b, c, "lag/", func(o *Options) { o.NodeID = "B" })
		head, err := f.ChangesHead()
		if err != nil {
			b.Fatal(err)
		}
		got := make(chan time.Time, 1)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			errc <- f.FollowChanges(ctx, head, func(ch authcache.Change) error {
				got <- time.Now()
				return nil
			})
		}()
		lags := make([]time.Duration, 0, b.N)
		applies := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			k := fmt.Appendf(nil, "ac/s/1380000%04d", i%10000)
			begin := time.Now()
			if err := a.Apply([]authcache.Mutation{{Key: k, Value: []byte("sub")}}); err != nil {
				b.Fatal(err)
			}
			applies = append(applies, time.Since(begin))
			select {
			case at := <-got:
				lags = append(lags, at.Sub(begin))
			case err := <-errc:
				b.Fatal(err)
			case <-time.After(10 * time.Second):
				b.Fatal("change not seen within 10 s")
			}
		}
		b.StopTimer()
		cancel()
		<-errc
		b.ReportMetric(percentileMs(lags, 50), "lag-p50-ms")
		b.ReportMetric(percentileMs(lags, 99), "lag-p99-ms")
		b.ReportMetric(percentileMs(applies, 50), "apply-p50-ms")
		b.ReportMetric(percentileMs(applies, 99), "apply-p99-ms")
	})

	// EngineLag: a subscription made through node A's engine (memory, the
	// writer's linger and batch, the script) until node B's Authorize
	// allows it (B's follower applied the change): the figure the README
	// quotes.
	b.Run("EngineLag", func(b *testing.B) {
		a := openEngine(b, c, "englag/", "A", engineConfig(5))
		f := openEngine(b, c, "englag/", "B", engineConfig(5))
		lags := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			user := fmt.Sprintf("1380%07d", i)
			mt := subMT(user, "NEWS")
			begin := time.Now()
			if err := a.Subscribe(engSP, user, "NEWS", authcache.SourceAPI); err != nil {
				b.Fatal(err)
			}
			for !f.Authorize(mt).Allow {
				if time.Since(begin) > 10*time.Second {
					b.Fatal("not seen on B within 10 s")
				}
				time.Sleep(20 * time.Microsecond)
			}
			lags = append(lags, time.Since(begin))
			// A's write done (WAIT included) before the next: each
			// subscription finds A's writer idle, as a lone one does, and
			// waits its linger (1 ms) for company.
			if err := a.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(percentileMs(lags, 50), "lag-p50-ms")
		b.ReportMetric(percentileMs(lags, 99), "lag-p99-ms")
	})

	// LinkIDDecision: the added latency of a LinkID MT on a cluster: its
	// deferred decision (memory checks, then the uses spent by one script
	// with WAIT) on a node other than the one that issued the LinkID.
	b.Run("LinkIDDecision", func(b *testing.B) {
		a := openEngine(b, c, "linkdec/", "A", engineConfig(1<<15))
		f := openEngine(b, c, "linkdec/", "B", engineConfig(1<<15))
		const user = "13800000001"
		link := mo(b, a, user)
		if err := a.Flush(); err != nil {
			b.Fatal(err)
		}
		took := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			mt := linkMT(user, "NEWS", link)
			begin := time.Now()
			if d := decide(f, mt); !d.Allow {
				b.Fatalf("decision %+v", d)
			}
			took = append(took, time.Since(begin))
		}
		b.StopTimer()
		b.ReportMetric(percentileMs(took, 50), "decision-p50-ms")
		b.ReportMetric(percentileMs(took, 99), "decision-p99-ms")
	})

	// Apply: batches of 1024 records (the writer's batches are up to 4096),
	// WAIT 1 on each master, no change published.
	b.Run("Apply1024", func(b *testing.B) {
		st := openStore(b, c, "apply/", nil)
		batch := make([]authcache.Mutation, 1024)
		exp := time.Now().Add(time.Hour).Unix()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			for j := range batch {
				batch[j] = authcache.Mutation{Key: fmt.Appendf(nil, "ac/r/%08d", (i*len(batch)+j)%200000), Value: []byte("route-value-of-some-40-bytes-0123456789"), ExpiresAt: exp}
			}
			if err := st.Apply(batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "records/s")
	})
}

func percentileMs(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100]) / float64(time.Millisecond)
}
