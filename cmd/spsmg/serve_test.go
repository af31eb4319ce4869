package main

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/rediscluster"
)

// TestOpenStoreRedis: with store.backend redis, the engine runs on the
// cluster — what one node records survives its restart.
func TestOpenStoreRedis(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{Password: "pw"})
	cfg, err := config.Parse(config.Demo)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Backend = config.StoreRedis
	cfg.Store.Redis = config.RedisStore{Addrs: c.Addrs()[:1], Password: "pw", KeyPrefix: "serve/"}
	one := 1
	cfg.Store.Redis.WaitReplicas = &one
	log := slog.New(slog.DiscardHandler)
	policy := authcache.Config{PortalNumber: "10655999"}

	st, err := openStore(cfg.Store, log)
	if err != nil {
		t.Fatal(err)
	}
	e, err := authcache.Open(policy, st, authcache.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Subscribe("sp1", "13800000001", "NEWS", authcache.SourceAPI); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil { // flushes the writer
		t.Fatal(err)
	}

	st, err = openStore(cfg.Store, log)
	if err != nil {
		t.Fatal(err)
	}
	e, err = authcache.Open(policy, st, authcache.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if subs := e.Subscriptions("sp1", "13800000001"); len(subs) != 1 || subs[0].ServiceCode != "NEWS" {
		t.Errorf("after reopening on the cluster: %+v", subs)
	}

	cfg.Store.Redis.Password = "wrong"
	cfg.Store.Redis.Timeout = 300 * time.Millisecond // fail fast
	if _, err := openStore(cfg.Store, log); err == nil {
		t.Error("a wrong password opened the store")
	}
}

// TestOpenStoreRedisTLS: store.redis.tls.ca reaches a cluster that speaks
// TLS only (clients, bus and replication); the nodes discovered through
// CLUSTER SHARDS are dialled on their TLS ports.
func TestOpenStoreRedisTLS(t *testing.T) {
	c := rediscluster.Start(t, rediscluster.Options{TLS: true})
	sc := config.Store{Backend: config.StoreRedis, Redis: config.RedisStore{
		Addrs: c.Addrs()[:1], KeyPrefix: "tls/", TLS: &config.RedisTLS{CA: c.CAFile()},
	}}
	st, err := openStore(sc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms := make([]authcache.Mutation, 64) // spread over every partition, so every master
	for i := range ms {
		ms[i] = authcache.Mutation{Key: fmt.Appendf(nil, "ac/s/%02d", i), Value: []byte("v")}
	}
	if err := st.Apply(ms); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := st.Scan([]byte("ac/s/"), func(k, v []byte) error { n++; return nil }); err != nil || n != len(ms) {
		t.Errorf("Scan over TLS: %d records, %v", n, err)
	}

	sc.Redis.TLS = &config.RedisTLS{} // the system roots do not know the test CA
	sc.Redis.Timeout = 300 * time.Millisecond
	if st, err := openStore(sc, slog.New(slog.DiscardHandler)); err == nil {
		st.Close()
		t.Error("a certificate from an unknown CA was accepted")
	}
}
