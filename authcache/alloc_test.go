package authcache

import (
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// TestHotPathAllocs guards the hot path: Authorize on a hit (subscription,
// MO LinkID, web code, exempt), the common refusal, Route and PutRoute
// allocate nothing. AllocsPerRun counts the whole process, so the writer
// is held inside Apply (it would allocate encoding the queued records).
func TestHotPathAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	clock := newFakeClock()
	fs := newFaultStore(NewMemStore(clock.Now))
	cfg := testConfig()
	cfg.MOLinkIDUses, cfg.WebCodeUses = 65535, 65535
	e, err := Open(cfg, fs, WithClock(clock.Now), WithLogger(quietLogger()), WithFlushInterval(0), WithSweepInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	defer fs.hold.Unlock()

	e.Subscribe(spA, userA, "MUSIC", SourceAPI)
	link := e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(spANumber), SP: spA, ServiceCode: []byte("NEWS"), LinkIDMax: 8}).LinkID
	code, _ := e.IssueWebCode(spA, userA)
	o, _ := MakeOrigin([]byte("123456789012"))
	msgID := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	e.PutRoute(msgID, Route{SP: spB, Origin: o})
	if _, err := e.ApplySync(SyncChange{SP: spA, User: userB, ServiceCode: "PAUSED", Op: SyncPause, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	fs.hold.Lock()
	e.Subscribe(spA, userC, "HOLD", SourceAPI) // the writer takes it and blocks in Apply
	<-fs.entered

	dests := [][]byte{[]byte(userA)}
	for _, c := range []struct {
		name string
		mt   MT
		want reason.Reason
	}{
		{"subscription hit", MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: dests}, reason.Subscription},
		{"MO LinkID hit", MT{SP: spA, ServiceCode: []byte("NEWS\x00\x00"), LinkID: []byte(link + "\x00"), Dests: dests}, reason.MOLinkID},
		{"web code hit", MT{SP: spA, ServiceCode: []byte("NEWS"), LinkID: []byte(code), Dests: dests}, reason.WebLinkID},
		{"exempt account", MT{SP: exemptAcc, ServiceCode: []byte("X"), Dests: dests}, reason.Exempt},
		{"free service", MT{SP: spA, ServiceCode: []byte("FREE"), Dests: dests}, reason.Exempt},
		{"not subscribed", MT{SP: spA, ServiceCode: []byte("MUSIC"), Dests: [][]byte{[]byte(userB)}}, reason.NotSubscribed},
		{"subscription paused", MT{SP: spA, ServiceCode: []byte("PAUSED"), Dests: [][]byte{[]byte(userB)}}, reason.SubscriptionPaused},
	} {
		t.Run(c.name+" does not allocate", func(t *testing.T) {
			mt := c.mt
			if d := e.Authorize(&mt); d.Reason != c.want {
				t.Fatalf("Authorize = %+v, want %s", d, c.want)
			}
			if n := testing.AllocsPerRun(1000, func() { e.Authorize(&mt) }); n != 0 {
				t.Errorf("%v allocs per Authorize", n)
			}
		})
	}
	t.Run("long message parts do not allocate", func(t *testing.T) {
		// Each run sends a whole six-part message: the first part decides
		// and spends a use, the five others follow the decision.
		mt := MT{SP: spA, ServiceCode: []byte("NEWS"), LinkID: []byte(link), Dests: dests}
		ref := uint16(0)
		if n := testing.AllocsPerRun(1000, func() {
			ref++
			for seq := uint8(1); seq <= 6; seq++ {
				mt.Segment = Segment{Ref: ref, Total: 6, Seq: seq}
				if d := e.Authorize(&mt); d.Reason != reason.MOLinkID {
					t.Fatalf("part %d: %+v", seq, d)
				}
			}
		}); n != 0 {
			t.Errorf("%v allocs per six-part message", n)
		}
	})
	t.Run("Route does not allocate", func(t *testing.T) {
		if n := testing.AllocsPerRun(1000, func() {
			if r, ok := e.Route(msgID); !ok || r.SP != spB {
				t.Fatal("route missing")
			}
		}); n != 0 {
			t.Errorf("%v allocs per Route", n)
		}
	})
	t.Run("PutRoute does not allocate", func(t *testing.T) {
		id := []byte("0123456789")
		if n := testing.AllocsPerRun(1000, func() { e.PutRoute(id, Route{SP: spB, Origin: o}) }); n != 0 {
			t.Errorf("%v allocs per PutRoute", n)
		}
	})
}

// TestRouteBatchAllocs: a reused RouteBatch records routes without
// allocating (one per SGIP Submit that asks for a report).
func TestRouteBatchAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	e, err := Open(testConfig(), newDiscardStore(), WithLogger(quietLogger()), WithSweepInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	o, _ := MakeOrigin([]byte("123456789012"))
	var b RouteBatch
	id := []byte("0123456789ab")
	for range 64 { // grow b to a callback's size
		_ = e.AddRoute(&b, id, Route{SP: spB, Origin: o})
	}
	b.Reset()
	n := testing.AllocsPerRun(1000, func() {
		if b.Len() == 64 {
			b.Reset()
		}
		_ = e.AddRoute(&b, id, Route{SP: spB, Origin: o})
	})
	if n != 0 {
		t.Errorf("%v allocs per AddRoute", n)
	}
}
