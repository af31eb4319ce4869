package authcache_test

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	. "github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/authcache/redisstore"
	"github.com/spsmg/spsmg/internal/rediscluster"
)

// The conformance suite is an external test package so that it can run
// against the Redis Cluster backend, which imports authcache.

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

type storeBackend struct {
	name string
	open func(t testing.TB) Store // a fresh, empty store
}

// storeBackends returns every backend. The Redis one runs on a real 3+3
// cluster started once for t (where redis-server is installed; otherwise
// its subtests skip, or fail under CI), each store under its own key
// prefix so that it starts empty.
func storeBackends(t *testing.T) []storeBackend {
	var cluster *rediscluster.Cluster
	if rediscluster.Installed() {
		cluster = rediscluster.Start(t, rediscluster.Options{Password: "conformance"})
	}
	stores := 0
	return []storeBackend{
		{"memory", func(testing.TB) Store { return NewMemStore(nil) }},
		{"badger", func(t testing.TB) Store {
			st, err := OpenBadger(t.TempDir(), BadgerOptions{Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
		{"redis-cluster", func(t testing.TB) Store {
			if cluster == nil {
				rediscluster.Start(t, rediscluster.Options{}) // skips (or fails under CI) with the reason
			}
			stores++
			st, err := redisstore.Open(redisstore.Options{
				Addrs:        cluster.Addrs()[:1], // the rest is discovered
				Password:     cluster.Password(),
				KeyPrefix:    fmt.Sprintf("conformance%d/", stores),
				WaitReplicas: 1,
				Logger:       quietLogger(),
			})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
	}
}

// testAllStores runs one conformance test against every backend (nats
// testAllStoreAllPermutations).
func testAllStores(t *testing.T, backends []storeBackend, f func(t *testing.T, st Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			defer st.Close()
			f(t, st)
		})
	}
}

func put(k, v string) Mutation { return Mutation{Key: []byte(k), Value: []byte(v)} }
func putExp(k, v string, exp time.Time) Mutation {
	return Mutation{Key: []byte(k), Value: []byte(v), ExpiresAt: exp.Unix()}
}
func del(k string) Mutation { return Mutation{Key: []byte(k), Delete: true} }

func mustApply(t *testing.T, st Store, ms ...Mutation) {
	t.Helper()
	if err := st.Apply(ms); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func wantGet(t *testing.T, st Store, k, want string) {
	t.Helper()
	v, err := st.Get([]byte(k))
	if want == "" {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %q, %v; want ErrNotFound", k, v, err)
		}
		return
	}
	if err != nil || string(v) != want {
		t.Errorf("Get(%q) = %q, %v; want %q", k, v, err, want)
	}
}

func scanAll(t *testing.T, st Store, prefix string) []string {
	t.Helper()
	var out []string
	if err := st.Scan([]byte(prefix), func(k, v []byte) error {
		out = append(out, string(k)+"="+string(v))
		return nil
	}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

func TestStoreConformance(t *testing.T) {
	backends := storeBackends(t)
	t.Run("a put reads back and a missing key is ErrNotFound", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			mustApply(t, st, put("ac/s/1", "one"))
			wantGet(t, st, "ac/s/1", "one")
			wantGet(t, st, "ac/s/2", "")
		})
	})
	t.Run("a later put overwrites and a delete removes", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			mustApply(t, st, put("k", "1"), put("k", "2"))
			wantGet(t, st, "k", "2")
			mustApply(t, st, del("k"))
			wantGet(t, st, "k", "")
			mustApply(t, st, del("never-there"))
		})
	})
	t.Run("mutations of one batch apply in order", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			mustApply(t, st, put("a", "1"), del("a"), put("b", "1"))
			wantGet(t, st, "a", "")
			wantGet(t, st, "b", "1")
		})
	})
	t.Run("an expired record reads as absent and is not scanned", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			now := time.Now()
			mustApply(t, st, putExp("x/past", "p", now.Add(-time.Second)),
				putExp("x/future", "f", now.Add(time.Hour)), put("x/never", "n"))
			wantGet(t, st, "x/past", "")
			wantGet(t, st, "x/future", "f")
			if got, want := scanAll(t, st, "x/"), []string{"x/future=f", "x/never=n"}; !slices.Equal(got, want) {
				t.Errorf("Scan = %v, want %v", got, want)
			}
		})
	})
	t.Run("a scan returns only its prefix, in key order", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			mustApply(t, st, put("ac/r/b", "2"), put("ob/1", "o"), put("ac/r/a", "1"), put("ac/s/a", "s"), put("ac/r/\xff", "3"))
			if got, want := scanAll(t, st, "ac/r/"), []string{"ac/r/a=1", "ac/r/b=2", "ac/r/\xff=3"}; !slices.Equal(got, want) {
				t.Errorf("Scan = %q, want %q", got, want)
			}
			if got := scanAll(t, st, "ob/"); len(got) != 1 {
				t.Errorf("other package's prefix: %v", got)
			}
		})
	})
	t.Run("an error from the scan callback stops the scan and is returned", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			mustApply(t, st, put("p/1", ""), put("p/2", ""), put("p/3", ""))
			stop := errors.New("stop")
			n := 0
			err := st.Scan([]byte("p/"), func(k, v []byte) error { n++; return stop })
			if !errors.Is(err, stop) || n != 1 {
				t.Errorf("Scan = %v after %d calls", err, n)
			}
		})
	})
	t.Run("the store does not retain the caller's slices", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			k, v := []byte("k1"), []byte("value")
			mustApply(t, st, Mutation{Key: k, Value: v})
			copy(k, "zz")
			copy(v, "XXXXX")
			wantGet(t, st, "k1", "value")
			got, _ := st.Get([]byte("k1"))
			got[0] = 'Y'
			wantGet(t, st, "k1", "value")
		})
	})
	t.Run("a large batch is applied whole", func(t *testing.T) {
		testAllStores(t, backends, func(t *testing.T, st Store) {
			ms := make([]Mutation, 20000)
			for i := range ms {
				ms[i] = put(fmt.Sprintf("big/%06d", i), fmt.Sprintf("value-%d", i))
			}
			mustApply(t, st, ms...)
			if n := len(scanAll(t, st, "big/")); n != len(ms) {
				t.Errorf("scanned %d of %d", n, len(ms))
			}
			wantGet(t, st, "big/019999", "value-19999")
		})
	})
	t.Run("after Close every method returns ErrStoreClosed", func(t *testing.T) {
		for _, b := range backends {
			t.Run(b.name, func(t *testing.T) {
				st := b.open(t)
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
				_, getErr := st.Get([]byte("k"))
				for name, err := range map[string]error{
					"Apply": st.Apply([]Mutation{put("k", "v")}),
					"Get":   getErr,
					"Scan":  st.Scan(nil, func(k, v []byte) error { return nil }),
					"Close": st.Close(),
				} {
					if !errors.Is(err, ErrStoreClosed) {
						t.Errorf("%s after Close = %v", name, err)
					}
				}
			})
		}
	})
}

func TestBadgerGC(t *testing.T) {
	st, err := OpenBadger(t.TempDir(), BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mustApply(t, st, put("k", "v"), del("k"))
	if err := st.RunGC(); err != nil {
		t.Errorf("RunGC with nothing to collect = %v", err)
	}
	mem, err := OpenBadger("", BadgerOptions{InMemory: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.RunGC(); err != nil {
		t.Errorf("RunGC in memory = %v", err)
	}
}

func TestBadgerDirectoryLock(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st2, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()}); err == nil {
		st2.Close()
		t.Error("a second OpenBadger of the same directory succeeded")
	}
}
