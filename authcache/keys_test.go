package authcache

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/spsmg/spsmg/reason"
)

// keepOpen lets a test reopen an engine on the same store (Engine.Close
// closes its store).
type keepOpen struct{ Store }

func (keepOpen) Close() error { return nil }

// TestKeysHoldAnyByte: every key layout reads back whatever bytes its
// variable fields hold, across a reopen: message ids with every byte value
// in every position (0x2F '/' included, which follows the kind in every
// key), SP ids and service codes made of '/', and an SMG LinkID full of
// '/'. No layout finds its fields by searching for a separator; this
// guards that.
func TestKeysHoldAnyByte(t *testing.T) {
	st := keepOpen{NewMemStore(nil)}
	open := func() *Engine {
		e, err := Open(testConfig(), st, WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := open()

	var ids [][]byte
	for _, n := range []int{8, 10, 12} { // CMPP Msg_Id, SMGP MsgID, SGIP sequence
		for pos := 0; pos < n; pos++ {
			for b := 0; b < 256; b++ {
				if b == 0x2F && pos > 0 {
					continue // the all-'/' id, once per length
				}
				id := bytes.Repeat([]byte{0x2F}, n)
				id[pos] = byte(b)
				ids = append(ids, id)
			}
		}
	}
	ids = append(ids, bytes.Repeat([]byte{'/'}, 23), bytes.Repeat([]byte{'/'}, 24), bytes.Repeat([]byte{'/'}, 40))
	for i, id := range ids {
		o, _ := MakeOrigin([]byte{byte(i), '/', byte(i >> 8)})
		if err := e.PutRoute(id, Route{SP: "sp/" + fmt.Sprint(i%3), Origin: o}); err != nil {
			t.Fatal(err)
		}
	}
	names := []struct{ sp, svc string }{{"/", "/"}, {"a/b", "x/"}, {"//", string([]byte{2, '/', 0x2F})}}
	for _, n := range names {
		if err := e.Subscribe(n.sp, userA, n.svc, SourceAPI); err != nil {
			t.Fatalf("Subscribe(%q, %q): %v", n.sp, n.svc, err)
		}
	}
	link := "L/I/N/K//"
	if act := e.OnMO(&MO{User: []byte(userB), SPNumber: []byte(spANumber), SP: spA, Text: "hi", LinkID: []byte(link), LinkIDMax: 20}); act.LinkID != link {
		t.Fatalf("the SMG's LinkID %q became %q", link, act.LinkID)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = open()
	defer e.Close()
	if s := e.Stats(); s.Corrupt != 0 {
		t.Errorf("%d records skipped as corrupt at the reopen", s.Corrupt)
	}
	for i, id := range ids {
		r, ok := e.Route(id)
		if !ok || r.SP != "sp/"+fmt.Sprint(i%3) || !bytes.Equal(r.Origin.Bytes(), []byte{byte(i), '/', byte(i >> 8)}) {
			t.Fatalf("route %x after the reopen: %+v, %v", id, r, ok)
		}
	}
	for _, n := range names {
		if d := e.Authorize(&MT{SP: n.sp, ServiceCode: []byte(n.svc), Dests: [][]byte{[]byte(userA)}}); !d.Allow || d.Reason != reason.Subscription {
			t.Errorf("subscription (%q, %q) after the reopen: %+v", n.sp, n.svc, d)
		}
	}
	if d := e.Authorize(&MT{SP: spA, ServiceCode: []byte("NEWS"), LinkID: []byte(link), Dests: [][]byte{[]byte(userB)}}); !d.Allow {
		t.Errorf("the SMG's LinkID %q after the reopen: %+v", link, d)
	}
}
