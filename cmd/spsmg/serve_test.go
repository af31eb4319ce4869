package main

import (
	"log/slog"
	"testing"

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
	cfg.Store.Redis.Timeout = 300_000_000 // 300 ms: fail fast
	if _, err := openStore(cfg.Store, log); err == nil {
		t.Error("a wrong password opened the store")
	}
}
