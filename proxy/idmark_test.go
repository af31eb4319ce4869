package proxy

import (
	"errors"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/translate"
)

// idGateway is a gateway whose SMGP SPs are translated toward a CMPP 3.0
// upstream (so it makes SP-side ids), on store st; nothing listens.
func idGateway(t *testing.T, st authcache.Store) *Gateway {
	t.Helper()
	cfg, err := config.Parse([]byte(`listeners: [{protocol: smgp, addr: "127.0.0.1:0"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:1", login: "901234", secret: x}
node: {gateway_code: "059106"}
accounts:
  - {id: sp1, login: "900001", secret: x, access_numbers: ["10655123"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return newBuiltGateway(t, cfg, st)
}

// TestIDsAfterRestartAhead: a node that handed out SMGP ids faster than
// the layout's 16,666 a second ran ahead of the clock; a node started on
// its store right after (a restart) hands out none of them again: the
// source continues above the limit persisted before those ids were taken.
func TestIDsAfterRestartAhead(t *testing.T) {
	st := authcache.NewMemStore(nil)
	first := idGateway(t, st).faces[0]
	if first.ids == nil {
		t.Fatal("no SP-side id source for a translated SMGP face")
	}
	seen := map[string]bool{}
	for first.ids.Lead() < 3*time.Second {
		id, err := first.offLoopIDs.Take(nil, 1)
		if err != nil {
			t.Fatalf("after %d ids, %v ahead: %v", len(seen), first.ids.Lead(), err)
		}
		seen[string(id)] = true
	}
	next := idGateway(t, st).faces[0]
	for i := range 20000 {
		id, err := next.offLoopIDs.Take(nil, 1)
		if err != nil {
			t.Fatalf("id %d after the restart: %v", i, err)
		}
		if seen[string(id)] {
			t.Fatalf("id %x handed out again after a restart (the first node ran %v ahead)", id, first.ids.Lead())
		}
	}
}

// TestIDsStopAtThePersistedLimit: ids are never taken past the limit in
// the store; the keeper moves it ahead as they are used.
func TestIDsStopAtThePersistedLimit(t *testing.T) {
	st := authcache.NewMemStore(nil)
	g := idGateway(t, st)
	f := g.faces[0]
	floor, err := g.idMarkFloor(f.idKey)
	if err != nil || floor.IsZero() || !floor.Equal(f.ids.Limit()) {
		t.Fatalf("persisted limit %v (%v), want the source's %v", floor, err, f.ids.Limit())
	}
	var last string
	for {
		id, err := f.offLoopIDs.Take(nil, 1)
		if errors.Is(err, translate.ErrNoIDs) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = string(id)
	}
	if f.ids.HighWater().After(floor) {
		t.Fatalf("ids taken in %v, past the persisted limit %v (last %x)", f.ids.HighWater(), floor, last)
	}
	// The keeper moves the limit once it runs (at boot).
	done := make(chan error, 1)
	g.reserveIDs(f, time.Now(), func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := g.idMarkFloor(f.idKey); err != nil || !got.After(floor) || !got.Equal(f.ids.Limit()) {
		t.Fatalf("after a reservation: persisted %v (%v), source %v; want both past %v", got, err, f.ids.Limit(), floor)
	}
	if _, err := f.offLoopIDs.Take(nil, 1); err != nil {
		t.Fatalf("after the limit moved: %v", err)
	}
}
