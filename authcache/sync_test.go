package authcache

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// syncT0 is a platform time (Unix ms) the sync tests count from.
const syncT0 = int64(1767225600000) // 2026-01-01T00:00:00Z

func (h *harness) sync(op SyncOp, version int64) SyncResult {
	h.t.Helper()
	r, err := h.e.ApplySync(SyncChange{SP: spA, User: userA, ServiceCode: "NEWS", Op: op, Version: version})
	if err != nil {
		h.t.Fatalf("ApplySync(%s, %d): %v", op, version, err)
	}
	return r
}

func (h *harness) decide() reason.Reason {
	return h.e.Authorize(&MT{SP: spA, ServiceCode: []byte("NEWS"), Dests: [][]byte{[]byte(userA11)}}).Reason
}

// TestSyncStates: each operation sets its state, and the MT rule follows it.
func TestSyncStates(t *testing.T) {
	h := newHarness(t, testConfig())
	steps := []struct {
		op   SyncOp
		res  SyncResult
		want reason.Reason
		subs int // active, paused, cancelled in Stats
	}{
		{SyncSubscribe, SyncApplied, reason.Subscription, 100},
		{SyncPause, SyncApplied, reason.SubscriptionPaused, 10},
		{SyncPause, SyncUnchanged, reason.SubscriptionPaused, 10},
		{SyncResume, SyncApplied, reason.Subscription, 100},
		{SyncCancel, SyncApplied, reason.NotSubscribed, 1},
		{SyncResume, SyncApplied, reason.Subscription, 100},
	}
	for i, s := range steps {
		if got := h.sync(s.op, syncT0+int64(i)); got != s.res {
			t.Errorf("step %d %s: %s, want %s", i, s.op, got, s.res)
		}
		if got := h.decide(); got != s.want {
			t.Errorf("step %d %s: MT decided %s, want %s", i, s.op, got, s.want)
		}
		st := h.e.Stats()
		if got := st.Subscriptions*100 + st.PausedSubscriptions*10 + st.CancelledSubscriptions; got != s.subs {
			t.Errorf("step %d %s: active/paused/cancelled = %d/%d/%d", i, s.op, st.Subscriptions, st.PausedSubscriptions, st.CancelledSubscriptions)
		}
	}
	if subs := h.e.Subscriptions(spA, userA); len(subs) != 1 || subs[0].Source != SourceSync || subs[0].State != SubActive {
		t.Errorf("Subscriptions = %+v", subs)
	}
	c := h.e.SubscriptionChanges()[spA]
	// subscribe (added), pause, resume, cancel, resume of a cancelled one (added).
	if want := (SubChanges{Added: 2, Cancelled: 1, Paused: 1, Resumed: 1}); c != want {
		t.Errorf("SubscriptionChanges = %+v, want %+v", c, want)
	}
}

// TestSyncOrderIndependent: whatever order the pushes of one relation
// arrive in, and however often each is replayed, the relation ends in the
// state of the newest, and a replay changes nothing.
func TestSyncOrderIndependent(t *testing.T) {
	ops := []SyncOp{SyncSubscribe, SyncPause, SyncResume, SyncCancel}
	for newest := range ops {
		// The pushes: every op once, versions in list order, the newest last.
		var pushes []SyncChange
		for i, op := range ops {
			if i != newest {
				pushes = append(pushes, SyncChange{Op: op})
			}
		}
		pushes = append(pushes, SyncChange{Op: ops[newest]})
		for i := range pushes {
			pushes[i].SP, pushes[i].User, pushes[i].ServiceCode = spA, userA, "NEWS"
			pushes[i].Version = syncT0 + int64(i)*1000
		}
		want := ops[newest].state()
		permute(len(pushes), func(order []int) {
			name := fmt.Sprintf("newest %s, order %v", ops[newest], order)
			h := newHarness(t, testConfig())
			for _, i := range order {
				for range 2 { // each push is also replayed at once
					if _, err := h.e.ApplySync(pushes[i]); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
			}
			subs := h.e.Subscriptions(spA, userA)
			if len(subs) != 1 || subs[0].State != want {
				t.Errorf("%s: %+v, want state %s", name, subs, want)
			}
			// A final replay of everything is stale and changes nothing.
			for _, p := range pushes {
				if r, err := h.e.ApplySync(p); err != nil || r != SyncStale {
					t.Errorf("%s: replay of %s = %v, %v; want stale", name, p.Op, r, err)
				}
			}
			if again := h.e.Subscriptions(spA, userA); len(again) != 1 || again[0] != subs[0] {
				t.Errorf("%s: replays changed %+v into %+v", name, subs, again)
			}
		})
	}
}

// permute calls fn with every permutation of 0..n-1.
func permute(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			fn(append([]int(nil), p...))
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// TestPausedRelation: what the rest of the engine does with a paused
// relation.
func TestPausedRelation(t *testing.T) {
	h := newHarness(t, testConfig())
	h.sync(SyncPause, syncT0)
	if got := h.decide(); got != reason.SubscriptionPaused {
		t.Fatalf("MT on a relation paused without a known subscription: %s", got)
	}
	// A local subscribe does not undo the carrier's pause.
	if err := h.e.Subscribe(spA, userA, "NEWS", SourceAPI); err != nil {
		t.Fatal(err)
	}
	if got := h.decide(); got != reason.SubscriptionPaused {
		t.Errorf("MT after a local subscribe of a paused relation: %s", got)
	}
	// Nor does a web request start over.
	_, err := h.e.RequestSubscription(SubscriptionRequest{SP: spA, SPNumber: spANumber, ServiceCode: "NEWS", User: userA, Text: "DZ"})
	if !errors.Is(err, ErrAlreadySubscribed) {
		t.Errorf("RequestSubscription on a paused relation: %v, want ErrAlreadySubscribed", err)
	}
	// A paused relation is still the user's to end: TD cancels it.
	act := h.e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(spANumber), SP: spA, Text: "TDNEWS", LinkIDMax: 8})
	if act.Cancelled != 1 {
		t.Errorf("TD of a paused relation cancelled %d", act.Cancelled)
	}
	if got := h.decide(); got != reason.NotSubscribed {
		t.Errorf("MT after TD: %s", got)
	}
	// A push older than the pause is stale even after the local cancel.
	if r := h.sync(SyncResume, syncT0-1); r != SyncStale {
		t.Errorf("older resume: %s", r)
	}
	if got := h.decide(); got != reason.NotSubscribed {
		t.Errorf("MT after a stale resume: %s", got)
	}
	c := h.e.SubscriptionChanges()[spA]
	if want := (SubChanges{Added: 1, Paused: 1, Cancelled: 1}); c != want {
		t.Errorf("SubscriptionChanges = %+v, want %+v", c, want)
	}
}

func TestSyncValidation(t *testing.T) {
	h := newHarness(t, testConfig())
	for _, c := range []SyncChange{
		{SP: "", User: userA, ServiceCode: "NEWS", Op: SyncSubscribe, Version: syncT0},
		{SP: spA, User: "", ServiceCode: "NEWS", Op: SyncSubscribe, Version: syncT0},
		{SP: spA, User: userA, ServiceCode: "", Op: SyncSubscribe, Version: syncT0},
		{SP: spA, User: userA, ServiceCode: "NEWS", Op: 9, Version: syncT0},
		{SP: spA, User: userA, ServiceCode: "NEWS", Op: SyncSubscribe, Version: 0},
	} {
		if _, err := h.e.ApplySync(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("ApplySync(%+v) = %v, want ErrInvalid", c, err)
		}
	}
	h.e.SetAvailable(false)
	if _, err := h.e.ApplySync(SyncChange{SP: spA, User: userA, ServiceCode: "NEWS", Op: SyncSubscribe, Version: syncT0}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("unavailable engine: %v", err)
	}
}

// TestSyncCancelledForgotten: a cancelled relation and its version leave
// memory after CancelledRetention, like any cancelled subscription.
func TestSyncCancelledForgotten(t *testing.T) {
	h := newHarness(t, testConfig(), WithSweepInterval(time.Hour))
	h.sync(SyncCancel, syncT0)
	if s := h.e.Stats(); s.CancelledSubscriptions != 1 {
		t.Fatalf("a cancel of an unknown relation is remembered: %+v", s)
	}
	h.clock.Advance(DefaultCancelledRetention + time.Second)
	h.e.sweep()
	if s := h.e.Stats(); s.CancelledSubscriptions != 0 {
		t.Fatalf("swept: %+v", s)
	}
	for i := range h.e.subs {
		if n := len(h.e.subs[i].syncAt); n != 0 {
			t.Errorf("shard %d keeps %d versions after the sweep", i, n)
		}
	}
}

// TestSubRecordWithoutSyncAt: records written before the sync version
// existed still load.
func TestSubRecordWithoutSyncAt(t *testing.T) {
	old := []byte{recordVersion, byte(SubActive), byte(SourceWeb), 10, 20, 0}
	r, err := decodeSub(old)
	if err != nil || r.State != SubActive || r.Since != 10 || r.Updated != 20 || r.SyncAt != 0 {
		t.Fatalf("decodeSub(old) = %+v, %v", r, err)
	}
	r.SyncAt = syncT0
	back, err := decodeSub(r.encode())
	if err != nil || back != r {
		t.Fatalf("round trip %+v → %+v, %v", r, back, err)
	}
	r.SyncAt = 0
	if got := r.encode(); string(got) != string(old) {
		t.Errorf("a record never synced encodes as before: %x, want %x", got, old)
	}
}

// TestSyncResendAfterQueueFull: a change whose write the full queue
// dropped (answered as an error, so the platform sends it again) is
// written by the resend, although the resend itself is stale.
func TestSyncResendAfterQueueFull(t *testing.T) {
	clock := newFakeClock()
	mem := NewMemStore(clock.Now)
	fs := newFaultStore(keepOpen{mem}) // the second engine reads what the first wrote
	e, err := Open(testConfig(), fs, WithClock(clock.Now), WithLogger(quietLogger()), WithQueueSize(1), WithFlushInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	fs.hold.Lock()
	e.Subscribe(spA, userB, "S0", SourceAPI) // taken by the writer, which blocks in Apply
	<-fs.entered
	e.Subscribe(spA, userB, "S1", SourceAPI) // the queue is full
	change := SyncChange{SP: spA, User: userA, ServiceCode: "NEWS", Op: SyncPause, Version: syncT0}
	if _, err := e.ApplySync(change); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("ApplySync on a full queue = %v", err)
	}
	fs.hold.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for err := e.Flush(); err != nil; err = e.Flush() { // the writer drains the queue
		if !errors.Is(err, ErrQueueFull) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if r, err := e.ApplySync(change); r != SyncStale || err != nil {
		t.Fatalf("resend = %v, %v", r, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, err := Open(testConfig(), mem, WithClock(clock.Now), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if d := e2.Authorize(&MT{SP: spA, ServiceCode: []byte("NEWS"), Dests: [][]byte{[]byte(userA)}}); d.Reason != reason.SubscriptionPaused {
		t.Errorf("after a restart: %+v", d)
	}
}
