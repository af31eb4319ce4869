package proxy

import (
	"net/netip"
	"testing"
	"time"
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
	lo := newLockout(3, time.Minute)
	now := time.Now()
	ip, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	t.Run("failures from outside the white-list lock the address, not the account", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			lo.failIP(ip, now)
		}
		if !lo.locked("sp1", ip, now) || lo.locked("sp1", other, now) {
			t.Fatal("want ip locked, account free from another address")
		}
	})
	t.Run("wrong secrets lock the account everywhere", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			lo.fail("sp2", other, now)
		}
		if !lo.locked("sp2", netip.MustParseAddr("192.0.2.9"), now) {
			t.Fatal("account not locked")
		}
		if lo.locked("sp2", netip.MustParseAddr("192.0.2.9"), now.Add(2*time.Minute)) {
			t.Fatal("lock-out did not expire")
		}
	})
}
