package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
)

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
	err = serve(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err == nil {
		t.Fatal("serve opened a store below its reserve")
	}
	for _, want := range []string{"store.path " + dir, "free on its filesystem, below store.min_free_space 1.0 PiB", "not opening the store", "free space there or lower the reserve"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

type fakeDisk struct{ free atomic.Uint64 }

func (d *fakeDisk) Free() (uint64, error) { return d.free.Load(), nil }

// TestReadiness: /readyz names the full disk first, then the other
// reasons, and is ready again once space is back.
func TestReadiness(t *testing.T) {
	disk := &fakeDisk{}
	disk.free.Store(1 << 30)
	e, err := authcache.Open(authcache.Config{}, authcache.NewMemStore(nil), authcache.WithLogger(slog.New(slog.DiscardHandler)),
		authcache.WithSpaceGuard(authcache.SpaceGuard{Reserve: 64 << 20, Free: disk.Free, Interval: time.Millisecond, Path: "/var/lib/spsmg"}))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	binds := 1
	ready := readiness(e, func() int { return binds })
	if ok, why := ready(); !ok {
		t.Fatalf("not ready: %s", why)
	}
	binds = 0
	if ok, why := ready(); ok || why != "no SMG bind logged in" {
		t.Fatalf("without binds: %t %q", ok, why)
	}
	disk.free.Store(10 << 20)
	waitUntil(t, func() bool { return !e.Writable() })
	ok, why := ready()
	if ok || why != "store below its free-space reserve: 10.0 MiB free under /var/lib/spsmg, store.min_free_space 64.0 MiB (ready again at 80.0 MiB)" {
		t.Fatalf("below the reserve: %t %q", ok, why)
	}
	binds = 1
	disk.free.Store(80 << 20)
	waitUntil(t, func() bool { return e.Writable() })
	if ok, why := ready(); !ok {
		t.Fatalf("space back: not ready: %s", why)
	}
	e.SetAvailable(false)
	if ok, why := ready(); ok || why != "authorization store unavailable" {
		t.Fatalf("marked unavailable: %t %q", ok, why)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
