package proxy

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
)

func TestLoginFresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC)
	cases := []struct {
		name string
		ts   uint32
		skew time.Duration
		want bool
	}{
		{"check off", 101000000, 0, true},
		{"now", 101000500, time.Minute, true},
		{"across new year", 1231235900, 10 * time.Minute, true},
		{"too old", 1231230000, 10 * time.Minute, false},
		{"a month ago", 1201000500, time.Hour, false},
		{"not a date", 1399999999, time.Hour, false},
		{"SGIP has none", 0, time.Minute, true},
	}
	for _, c := range cases {
		if got := loginFresh(c.ts, now, c.skew); got != c.want {
			t.Errorf("%s: loginFresh(%d) = %v, want %v", c.name, c.ts, got, c.want)
		}
	}
}

func TestLockout(t *testing.T) {
	newLO := func() *lockout {
		lo := newLockout()
		lo.configure(config.Gateway{LoginFailures: 3, LoginFailuresPerIP: 6, LoginLockout: time.Minute})
		return lo
	}
	now := time.Now()
	ip, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	t.Run("wrong secrets lock the account from that address only", func(t *testing.T) {
		lo := newLO()
		for i := 0; i < 3; i++ {
			lo.fail("sp1", ip, now)
		}
		if !lo.locked("sp1", ip, now) {
			t.Fatal("sp1 not locked from the failing address")
		}
		if lo.locked("sp1", other, now) {
			t.Fatal("sp1 locked from another address: anyone could lock an SP out of its own address")
		}
		if lo.locked("sp2", ip, now) {
			t.Fatal("3 failures of sp1 locked the address for sp2 (the per-address limit is 6)")
		}
		if lo.locked("sp1", ip, now.Add(2*time.Minute)) {
			t.Fatal("lock-out did not expire")
		}
	})
	t.Run("failures of any name add up per address", func(t *testing.T) {
		lo := newLO()
		for i := 0; i < 2; i++ {
			lo.fail("sp1", ip, now)
			lo.fail("sp2", ip, now)
			lo.failIP(ip, now) // unknown name, or outside allow_ips
		}
		if !lo.locked("sp3", ip, now) || !lo.locked("", ip, now) {
			t.Fatal("6 failures from one address did not lock it")
		}
		if lo.locked("sp3", other, now) {
			t.Fatal("another address is locked")
		}
	})
	t.Run("failures from outside the white-list lock the address, not the account", func(t *testing.T) {
		lo := newLO()
		for i := 0; i < 10; i++ {
			lo.failIP(ip, now)
		}
		if !lo.locked("sp1", ip, now) || lo.locked("sp1", other, now) {
			t.Fatal("want ip locked, account free from another address")
		}
	})
	t.Run("success clears the pair, not the address", func(t *testing.T) {
		lo := newLO()
		for i := 0; i < 5; i++ {
			lo.failIP(ip, now)
		}
		lo.fail("sp1", ip, now)
		lo.succeed("sp1", ip)
		if !lo.locked("sp2", ip, now) {
			t.Fatal("a success reset the address's count")
		}
	})
	t.Run("IPv6 counts by /64", func(t *testing.T) {
		lo := newLO()
		for i := 0; i < 3; i++ {
			lo.fail("sp1", netip.MustParseAddr(fmt.Sprintf("2001:db8:1:2::%x", i+1)), now)
		}
		if !lo.locked("sp1", netip.MustParseAddr("2001:db8:1:2:ffff::9"), now) {
			t.Fatal("another address of the same /64 is not locked")
		}
		if lo.locked("sp1", netip.MustParseAddr("2001:db8:1:3::1"), now) {
			t.Fatal("another /64 is locked")
		}
	})
	t.Run("the table stays bounded", func(t *testing.T) {
		lo := newLO()
		for i := 0; i < maxLockKeys+1000; i++ {
			lo.failIP(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
		}
		if n := len(lo.byKey); n > maxLockKeys {
			t.Fatalf("%d keys, bound %d", n, maxLockKeys)
		}
	})
}

func TestSourceKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::",
		"2001:db8:1:2::1":      "2001:db8:1:2::",
		"::1":                  "::",
	} {
		if got := sourceKey(netip.MustParseAddr(in)); got.String() != want {
			t.Errorf("sourceKey(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestAdmission(t *testing.T) {
	acct := func(allow ...string) config.Account { return config.Account{ID: "a", AllowIPs: allow} }
	in := netip.MustParseAddr("203.0.113.9")
	out := netip.MustParseAddr("198.51.100.1")
	cases := []struct {
		name     string
		accounts []config.Account
		inbound  *config.Inbound
		addr     netip.Addr
		sp, smg  bool
	}{
		{"every account has a list: inside", []config.Account{acct("203.0.113.0/24"), acct("192.0.2.1")}, nil, in, true, true},
		{"every account has a list: outside", []config.Account{acct("203.0.113.0/24"), acct("192.0.2.1")}, nil, out, false, true},
		{"one account takes any address", []config.Account{acct("203.0.113.0/24"), acct()}, nil, out, true, true},
		{"no accounts", nil, nil, out, true, true},
		{"inbound list", []config.Account{acct()}, &config.Inbound{AllowIPs: []string{"203.0.113.9"}}, out, true, false},
	}
	for _, c := range cases {
		cfg := &config.Config{Accounts: c.accounts}
		cfg.Upstream.Inbound = c.inbound
		ad := newAdmission(cfg)
		if got := ad.allows(c.addr, -1); got != c.sp {
			t.Errorf("%s: SP listener allows %s: %v, want %v", c.name, c.addr, got, c.sp)
		}
		if got := ad.allows(c.addr, 0); got != c.smg {
			t.Errorf("%s: inbound listener allows %s: %v, want %v", c.name, c.addr, got, c.smg)
		}
	}
}

func TestPreloginCounts(t *testing.T) {
	var p preloginCounts
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for i := 0; i < 4; i++ {
		if !p.acquire(a, 4) {
			t.Fatalf("connection %d from a refused under a cap of 4", i+1)
		}
	}
	if p.acquire(a, 4) {
		t.Fatal("a 5th connection from a passed a cap of 4")
	}
	if !p.acquire(b, 4) {
		t.Fatal("b is refused because of a")
	}
	p.release(a)
	if !p.acquire(a, 4) {
		t.Fatal("a released slot is not reusable")
	}
	for i := 0; i < 4; i++ {
		p.release(a)
	}
	p.release(b)
	if len(p.n) != 0 {
		t.Fatalf("released sources stay in the map: %v", p.n)
	}
}

// BenchmarkAdmission is what the acceptor adds per connection: the allow
// list (100 accounts, each with a /16 and a single address), the
// per-source count at accept and its release at login.
func BenchmarkAdmission(b *testing.B) {
	cfg := &config.Config{}
	for i := 0; i < 100; i++ {
		cfg.Accounts = append(cfg.Accounts, config.Account{AllowIPs: []string{fmt.Sprintf("10.%d.0.0/16", i), fmt.Sprintf("192.0.2.%d", i)}})
	}
	ad := newAdmission(cfg)
	var p preloginCounts
	addr := netip.MustParseAddr("10.99.1.1") // in the last network: every network is tested
	b.ReportAllocs()
	for b.Loop() {
		if !ad.allows(addr, -1) || !p.acquire(sourceKey(addr), 64) {
			b.Fatal("refused")
		}
		p.release(sourceKey(addr))
	}
}

func TestCheckPayload(t *testing.T) {
	frame := make([]byte, 16)
	binary.BigEndian.PutUint32(frame, 16)
	good := append([]byte{byte(codec.KindDeliver)}, frame...)
	if err := checkPayload(good); err != nil {
		t.Errorf("a delivery: %v", err)
	}
	for name, p := range map[string][]byte{
		"empty":        nil,
		"submit kind":  append([]byte{byte(codec.KindSubmit)}, frame...),
		"short frame":  {byte(codec.KindReport), 0, 0, 0, 4},
		"wrong length": append([]byte{byte(codec.KindDeliver)}, append(frame, 0)...),
	} {
		if checkPayload(p) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAllowsService covers both forms of the allowed list: a short one
// compared code by code, a long one in a map, and no list (any code).
func TestAllowsService(t *testing.T) {
	codes := func(n int) []string {
		var cs []string
		for i := range n {
			cs = append(cs, fmt.Sprintf("SVC%02d", i))
		}
		return cs
	}
	for _, n := range []int{0, 1, maxServiceList, maxServiceList + 1, 40} {
		ac := newAccountConfig(config.Account{ServiceCodes: codes(n)})
		for _, c := range codes(n) {
			if !ac.allowsService([]byte(c)) {
				t.Errorf("%d codes: %q refused", n, c)
			}
		}
		for _, c := range []string{"SVC99", "SVC0", "SVC000", ""} {
			if got := ac.allowsService([]byte(c)); got != (n == 0) {
				t.Errorf("%d codes: allowsService(%q) = %v", n, c, got)
			}
		}
	}
}
