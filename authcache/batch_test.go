package authcache

import (
	"errors"
	"testing"
)

// TestWriteBatch: routes added to a batch are in memory at once and in the
// store once the batch is submitted, in the order added; Persist's done
// runs once committed.
func TestWriteBatch(t *testing.T) {
	h := newHarness(t, testConfig())
	var b WriteBatch
	id := []byte{0, 0, 0, 1, 0, 0, 0, 2}
	if err := h.e.PutRouteIn(&b, id, Route{SP: spA}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.PutRouteIn(&b, nil, Route{SP: spA}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutRouteIn of an empty id = %v, want ErrInvalid", err)
	}
	if r, ok := h.e.Route(id); !ok || r.SP != spA {
		t.Errorf("before Submit Route = %+v, %v; memory must have it at once", r, ok)
	}
	done := make(chan error, 1)
	if err := b.Persist(func(err error) { done <- err }, Mutation{Key: []byte("ob/a"), Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	if err := b.Persist(nil, Mutation{Key: []byte("ob/a"), Delete: true}); err != nil {
		t.Fatal(err)
	}
	if err := b.Persist(nil, Mutation{Key: []byte(KeyPrefix + "x")}); !errors.Is(err, ErrReservedKey) {
		t.Errorf("Persist under KeyPrefix = %v", err)
	}
	if b.Len() != 3 {
		t.Fatalf("Len = %d, want 3", b.Len())
	}
	if _, err := h.e.Store().Get(recordKey(nil, kindRoute, id)); !errors.Is(err, ErrNotFound) {
		t.Errorf("before Submit the store has the route: %v", err)
	}
	if err := h.e.Submit(&b); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("Len after Submit = %d", b.Len())
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := h.e.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Store().Get(recordKey(nil, kindRoute, id)); err != nil {
		t.Errorf("after Submit the store lacks the route: %v", err)
	}
	if _, err := h.e.Store().Get([]byte("ob/a")); !errors.Is(err, ErrNotFound) {
		t.Errorf("the delete added after the put did not win: %v", err)
	}
}

// TestWriteBatchQueueFull: a batch submitted to a full queue drops what
// does not fit, counts it, and tells each dropped write's done; a closed
// engine refuses the whole batch.
func TestWriteBatchQueueFull(t *testing.T) {
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(quietLogger()), WithQueueSize(2), WithFlushInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	fs.hold.Lock()
	e.Subscribe(spA, userA, "S0", SourceAPI) // taken by the writer, which blocks in Apply
	<-fs.entered
	var b WriteBatch
	var got []error
	for _, k := range []string{"ob/1", "ob/2", "ob/3"} {
		if err := b.Persist(func(err error) { got = append(got, err) }, Mutation{Key: []byte(k), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Submit(&b); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Submit to a queue with room for 2 of 3 = %v, want ErrQueueFull", err)
	}
	if len(got) != 1 || !errors.Is(got[0], ErrQueueFull) {
		t.Errorf("dones called at Submit: %v, want one ErrQueueFull", got)
	}
	if s := e.Stats(); s.Dropped != 1 || s.QueueDepth != 2 {
		t.Errorf("Stats = %+v, want 1 dropped, 2 queued", s)
	}
	fs.hold.Unlock()
	e.Close()
	got = nil
	b.Persist(func(err error) { got = append(got, err) }, Mutation{Key: []byte("ob/4"), Value: []byte("v")})
	if err := e.Submit(&b); !errors.Is(err, ErrStoreClosed) || len(got) != 1 || !errors.Is(got[0], ErrStoreClosed) {
		t.Errorf("Submit after Close = %v, dones %v; want ErrStoreClosed for both", err, got)
	}
}

// TestRouteBatch: routes added to a RouteBatch are nowhere until
// PutRoutes; once its done reports success the store and memory both have
// them (the proxy sends the Submits they belong to only then). A batch
// whose write fails leaves memory without them.
func TestRouteBatch(t *testing.T) {
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	o, _ := MakeOrigin([]byte("sp-seq-12byt"))
	ids := [][]byte{{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3}, {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 4}}
	var b RouteBatch
	for _, id := range ids {
		if err := e.AddRoute(&b, id, Route{SP: spA, Origin: o}); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, MaxBatchRouteID+1)} {
		if err := e.AddRoute(&b, bad, Route{SP: spA}); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddRoute of a %d-byte id = %v, want ErrInvalid", len(bad), err)
		}
	}
	if err := e.AddRoute(&b, ids[0], Route{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddRoute without an SP = %v, want ErrInvalid", err)
	}
	if b.Len() != 2 {
		t.Fatalf("Len = %d, want 2", b.Len())
	}
	if _, ok := e.Route(ids[0]); ok {
		t.Error("memory has a route before its batch was written")
	}
	done := make(chan error, 1)
	if err := e.PutRoutes(&b, func(err error) {
		// Whoever done releases must find the routes in memory.
		for _, id := range ids {
			if r, ok := e.Route(id); !ok || r.SP != spA || string(r.Origin.Bytes()) != "sp-seq-12byt" {
				t.Errorf("in done, Route(%x) = %+v, %v", id, r, ok)
			}
		}
		done <- err
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		r, ok, err := e.LookupRoute(id)
		if err != nil || !ok || r.SP != spA {
			t.Errorf("LookupRoute(%x) = %+v, %v, %v", id, r, ok, err)
		}
		if _, err := e.Store().Get(recordKey(nil, kindRoute, id)); err != nil {
			t.Errorf("the store lacks route %x: %v", id, err)
		}
	}

	b.Reset()
	lost := []byte{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 5}
	if err := e.AddRoute(&b, lost, Route{SP: spA}); err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	if err := e.PutRoutes(&b, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, errInjected) {
		t.Fatalf("done of a failed write = %v, want the store's error", err)
	}
	if _, ok := e.Route(lost); ok {
		t.Error("memory has a route whose write failed")
	}
	fs.fail.Store(false)

	e.Close()
	if err := e.PutRoutes(&b, func(error) { t.Error("done called for a batch that was not queued") }); !errors.Is(err, ErrStoreClosed) {
		t.Errorf("PutRoutes after Close = %v, want ErrStoreClosed", err)
	}
}
