package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
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

// TestServeRefusesAStoreBelowItsReserve: on a filesystem with less free
// space than store.min_free_space, serve does not open Badger (whose first
// write would die of SIGBUS) and says why, with the path, the free space
// and the reserve.
func TestServeRefusesAStoreBelowItsReserve(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg, err := config.Parse([]byte(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:0"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:1", login: "901234", secret: s}
http: {addr: "127.0.0.1:0"}
store: {path: "` + dir + `", min_free_space: 1024TiB}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err == nil {
		t.Fatal("serve opened a store below its reserve")
	}
	for _, want := range []string{"store.path " + dir, "free on its filesystem, below store.min_free_space 1.0 PiB", "not opening the store", "free space there or lower the reserve"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestServeWithSeveralUpstreams: a file written with upstreams: (an SGIP
// carrier with its inbound listener, a CMPP one as the default route)
// serves: the SP listener and both SGIP listeners accept, and serve stops
// cleanly. It failed at start before ("unknown protocol").
func TestServeWithSeveralUpstreams(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg, err := config.Parse([]byte(`
listeners: [{protocol: cmpp3, addr: "127.0.0.1:0"}]
upstreams:
  - {name: cmcc, protocol: cmpp3, addr: "127.0.0.1:1", login: "901234", secret: s, carrier: cmcc}
  - name: unicom
    protocol: sgip
    addr: "127.0.0.1:1"
    login: "901235"
    secret: s
    carrier: unicom
    inbound: {addr: "127.0.0.1:0", login: smg, secret: t}
routing: {default: cmcc}
http: {addr: "127.0.0.1:0"}
store: {path: "` + dir + `"}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up := make(chan listening, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, func(at listening) { up <- at })
	}()
	select {
	case <-up:
	case err := <-done:
		t.Fatalf("serve did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30 s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s")
	}
}
