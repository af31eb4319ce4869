package proxy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/config"
)

// outboxRecord is an outbox key and value as outbox.put writes them.
func outboxRecord(t testing.TB, d codec.Dialect, account string, n uint64) (key, value []byte) {
	t.Helper()
	var seq wireSeq
	frame := d.AppendDeliver(nil, seq[:d.Seq().Len], &codec.Deliver{MsgID: []byte{7}, User: "13800138000", SPNumber: "10655123",
		ServiceCode: "HELP", Content: []byte("HELP"), LinkID: "AB12CD34"})
	return outboxKey(account, n), append([]byte{byte(codec.KindDeliver)}, frame...)
}

func TestCheckOutboxRecord(t *testing.T) {
	for _, d := range dialect.All() {
		p := d.Protocol()
		t.Run(p.String(), func(t *testing.T) {
			k, v := outboxRecord(t, d, "sp1", 42)
			for _, proto := range []codec.Protocol{codec.ProtocolUnknown, p} {
				account, kind, err := CheckOutboxRecord(proto, k, v)
				if err != nil || account != "sp1" || kind != "deliver" {
					t.Fatalf("protocol %q: %q %q %v", proto, account, kind, err)
				}
			}
			report := append([]byte{byte(codec.KindReport)}, v[1:]...)
			for _, c := range []struct {
				name, says string
				key, value []byte
			}{
				{"no arrival number", "ob/<account>/<8-byte", []byte("ob/sp1/1"), v},
				{"not the outbox", "outside", []byte("ac/r/1"), v},
				{"empty value", "empty value", k, nil},
				{"unknown kind", "delivery kind", k, append([]byte{99}, v[1:]...)},
				{"cut frame", "its own length", k, v[:len(v)-3]},
				{"kind and frame disagree", "the frame is a deliver", k, report},
			} {
				if _, _, err := CheckOutboxRecord(p, c.key, c.value); err == nil || !strings.Contains(err.Error(), c.says) {
					t.Errorf("%s: %v, want an error saying %q", c.name, err, c.says)
				}
			}
		})
	}
}

func FuzzCheckOutboxRecord(f *testing.F) {
	ds := dialect.All()
	for i, d := range ds {
		k, v := outboxRecord(f, d, "sp1", uint64(i))
		f.Add(uint8(i), k, v)
	}
	f.Fuzz(func(t *testing.T, pi uint8, key, value []byte) {
		p := ds[int(pi)%len(ds)].Protocol()
		account, kind, err := CheckOutboxRecord(p, key, value)
		if err == nil && (account == "" || kind == "") {
			t.Fatalf("accepted with account %q kind %q", account, kind)
		}
	})
}

// outboxIDs are account ids the config accepts (any non-empty string),
// chosen to trip a parser that looks for '/'.
var outboxIDs = []string{"sp1", "a/b", "/", "a/", "/a", "x/y/z", strings.Repeat("/", 9), "sp//x/", "ob/"}

// everyByteNumbers is every number with one byte set to each value 0..255
// in each of the 8 positions, over each background: 8 × 256 numbers per
// background, 0x2F among them in every position, and 0x2F2F2F2F2F2F2F2F.
func everyByteNumbers(bases ...uint64) []uint64 {
	var ns []uint64
	for _, base := range bases {
		for pos := 0; pos < 8; pos++ {
			for b := 0; b < 256; b++ {
				shift := 8 * uint(pos)
				ns = append(ns, base&^(0xff<<shift)|uint64(b)<<shift)
			}
		}
	}
	return append(ns, 0x2f2f2f2f2f2f2f2f)
}

// TestOutboxKeyEveryByteValue: a key made by outboxKey reads back as the
// same account and number, whatever byte the number holds in whatever
// position, and whatever the account id holds.
func TestOutboxKeyEveryByteValue(t *testing.T) {
	for _, id := range outboxIDs {
		for _, n := range everyByteNumbers(0, ^uint64(0), 0x0102030405060708) {
			key := outboxKey(id, n)
			gotID, gotN, ok := parseOutboxKey(key)
			if !ok || string(gotID) != id || gotN != n {
				t.Fatalf("outboxKey(%q, %#016x) = %q reads back as (%q, %#016x, %v)", id, n, key, gotID, gotN, ok)
			}
		}
	}
	for _, bad := range []string{"", "ob/", "ob/a/1234567", "ob//12345678", "ob/a-12345678", "xx/a/12345678"} {
		if id, n, ok := parseOutboxKey([]byte(bad)); ok {
			t.Errorf("parseOutboxKey(%q) = (%q, %d, true), want not ok", bad, id, n)
		}
	}
}

// TestOutboxLoadEveryByteValue: a gateway started on a store holding a
// delivery under every such number, for accounts whose ids hold '/', queues
// every one of them, in number order, and numbers the next delivery above
// them all.
func TestOutboxLoadEveryByteValue(t *testing.T) {
	st := authcache.NewMemStore(nil)
	// Backgrounds below 1<<63: the numbering counts up from the highest
	// number found (64 bits do not wrap at any real rate).
	nums := everyByteNumbers(0, 0x0102030405060708, 0x2f2f2f2f2f2f2f2f)
	var muts []authcache.Mutation
	for _, id := range outboxIDs {
		for _, n := range nums {
			v := append([]byte{byte(codec.KindDeliver)}, fmt.Sprintf("%s %d", id, n)...)
			muts = append(muts, authcache.Mutation{Key: outboxKey(id, n), Value: v})
		}
	}
	// A record of an account that is not configured: not loaded, but its
	// number is never given out again.
	muts = append(muts, authcache.Mutation{Key: outboxKey("gone", 1<<63), Value: []byte{byte(codec.KindDeliver), 'x'}})
	if err := st.Apply(muts); err != nil {
		t.Fatal(err)
	}
	g := newOutboxTestGateway(t, st, outboxIDs)

	want := map[uint64]bool{}
	for _, n := range nums {
		want[n] = true
	}
	for _, id := range outboxIDs {
		q := g.accounts.Load().byID[id].queue
		if got := q.Len(); got != len(want) {
			t.Errorf("account %q: %d deliveries loaded, the store holds %d", id, got, len(want))
		}
		var prev uint64
		for i, d := range q.items[q.head:] {
			if i > 0 && d.key <= prev {
				t.Fatalf("account %q: delivery %#x queued after %#x", id, d.key, prev)
			}
			prev = d.key
			if wantFrame := fmt.Sprintf("%s %d", id, d.key); string(d.frame) != wantFrame || !d.persisted || d.kind != codec.KindDeliver {
				t.Fatalf("account %q: delivery %#x holds %q (%v, persisted %v)", id, d.key, d.frame, d.kind, d.persisted)
			}
		}
	}
	if n := g.deliver.outbox.next(); n <= 1<<63 {
		t.Errorf("next number %#x: not above every number in the store", n)
	}
}

// TestOutboxReloadAddsAccountWithItsDeliveries: an account added by a
// reload gets the deliveries the store kept for it, and only its own (an
// account whose id extends it with '/' shares the key prefix).
func TestOutboxReloadAddsAccountWithItsDeliveries(t *testing.T) {
	st := authcache.NewMemStore(nil)
	var muts []authcache.Mutation
	for _, id := range []string{"late", "late/x"} {
		for n := uint64(40); n < 50; n++ { // 47 is '/'
			muts = append(muts, authcache.Mutation{Key: outboxKey(id, n), Value: []byte{byte(codec.KindDeliver), byte(n)}})
		}
	}
	if err := st.Apply(muts); err != nil {
		t.Fatal(err)
	}
	g := newOutboxTestGateway(t, st, []string{"sp1"})
	cfg := *g.cfgLoad()
	cfg.Accounts = append(append([]config.Account(nil), cfg.Accounts...), config.Account{ID: "late", Login: "late", Secret: "s", AccessNumbers: []string{"106559"}})
	if err := g.Reload(&cfg); err != nil {
		t.Fatal(err)
	}
	q := g.accounts.Load().byID["late"].queue
	if q.Len() != 10 {
		t.Fatalf("the added account has %d deliveries queued, the store holds 10 of its own", q.Len())
	}
	for i, d := range q.items[q.head:] {
		if d.key != uint64(40+i) || !bytes.Equal(d.frame, []byte{byte(40 + i)}) {
			t.Fatalf("delivery %d: number %d, frame %x", i, d.key, d.frame)
		}
	}
}

// newOutboxTestGateway builds (does not start) a gateway over st with one
// CMPP 3.0 account per id.
func newOutboxTestGateway(t *testing.T, st authcache.Store, ids []string) *Gateway {
	t.Helper()
	var b strings.Builder
	b.WriteString("listeners: [{protocol: cmpp3, addr: \"127.0.0.1:0\"}]\n")
	b.WriteString("upstream: {protocol: cmpp3, addr: \"127.0.0.1:1\", login: \"901234\", secret: x}\n")
	b.WriteString("accounts:\n")
	for i, id := range ids {
		fmt.Fprintf(&b, "  - {id: %q, login: \"%06d\", secret: x, access_numbers: [\"1065%d\"]}\n", id, 900000+i, 5000+i)
	}
	cfg, err := config.Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return newBuiltGateway(t, cfg, st)
}

// TestCheckOutboxRecordEveryByteValue: `spsmg store verify` reads outbox
// keys as the outbox does, so a record whose number holds a '/' byte, or
// whose account id holds '/', is not reported as damaged.
func TestCheckOutboxRecordEveryByteValue(t *testing.T) {
	_, v := outboxRecord(t, dialect.For(codec.CMPP30), "sp1", 1)
	for _, id := range outboxIDs {
		for _, n := range everyByteNumbers(0, 0x2f2f2f2f2f2f2f2f) {
			account, _, err := CheckOutboxRecord(codec.CMPP30, outboxKey(id, n), v)
			if err != nil || account != id {
				t.Fatalf("account %q number %#x: got %q, %v", id, n, account, err)
			}
		}
	}
}
