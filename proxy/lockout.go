package proxy

import (
	"net/netip"
	"sync"
	"time"

	"github.com/spsmg/spsmg/config"
)

// lockout refuses logins after repeated failures. It counts two kinds of
// key, both by source (sourceKey: an IPv4 address, an IPv6 /64):
//
//   - (login, source): a wrong secret or a stale authenticator for a known
//     account, from an address the account allows. At
//     gateway.login_failures the account is refused from that source only.
//   - source alone: every failure from the source, unknown login names and
//     addresses outside the account's allow_ips included. At
//     gateway.login_failures_per_ip the source is refused for every account
//     (password spraying, name guessing).
//
// A key locks until login_lockout has passed since its last failure. No
// failure counts against an account everywhere: whoever can reach the
// listener could then lock a real SP out from its own address. A login
// refused as locked out is not a failure (it does not extend the lock), and
// a login that succeeds clears its (login, source) key only, so that a
// sprayer cannot reset its address's count with one account it owns.
type lockout struct {
	mu      sync.Mutex
	perPair int // gateway.login_failures
	perAddr int // gateway.login_failures_per_ip
	period  time.Duration
	byKey   map[lockKey]*failures
}

// lockKey is a (login, source) pair, or a source alone when login is "".
type lockKey struct {
	login string
	src   netip.Addr
}

type failures struct {
	n    int
	last time.Time
}

// maxLockKeys bounds the table against a flood of names and addresses.
const maxLockKeys = 100000

func newLockout() *lockout {
	return &lockout{byKey: make(map[lockKey]*failures)}
}

// configure applies the limits of a (re)loaded config. Any goroutine.
func (lo *lockout) configure(g config.Gateway) {
	lo.mu.Lock()
	defer lo.mu.Unlock()
	lo.perPair, lo.perAddr, lo.period = g.LoginFailures, g.LoginFailuresPerIP, g.LoginLockout
	if lo.perPair <= 0 { // a Config built in code, not by Load
		lo.perPair = 5
	}
	if lo.perAddr <= 0 {
		lo.perAddr = 4 * lo.perPair
	}
	if lo.period <= 0 {
		lo.period = time.Minute
	}
}

// locked reports whether a login as name from ip is refused now. Any
// goroutine.
func (lo *lockout) locked(name string, ip netip.Addr, now time.Time) bool {
	src := sourceKey(ip)
	lo.mu.Lock()
	defer lo.mu.Unlock()
	return lo.over(lockKey{src: src}, lo.perAddr, now) || (name != "" && lo.over(lockKey{name, src}, lo.perPair, now))
}

func (lo *lockout) over(k lockKey, max int, now time.Time) bool {
	f := lo.byKey[k]
	if f == nil {
		return false
	}
	if now.Sub(f.last) > lo.period {
		delete(lo.byKey, k)
		return false
	}
	return f.n >= max
}

// fail counts a wrong secret for a known account: against the pair and the
// source. Any goroutine.
func (lo *lockout) fail(name string, ip netip.Addr, now time.Time) {
	src := sourceKey(ip)
	lo.mu.Lock()
	defer lo.mu.Unlock()
	lo.count(lockKey{src: src}, now)
	if name != "" {
		lo.count(lockKey{name, src}, now)
	}
}

// failIP counts a failure against the source only. Any goroutine.
func (lo *lockout) failIP(ip netip.Addr, now time.Time) {
	src := sourceKey(ip)
	lo.mu.Lock()
	defer lo.mu.Unlock()
	lo.count(lockKey{src: src}, now)
}

func (lo *lockout) count(k lockKey, now time.Time) {
	if len(lo.byKey) >= maxLockKeys {
		lo.shed(now)
	}
	f := lo.byKey[k]
	if f == nil {
		f = &failures{}
		lo.byKey[k] = f
	}
	f.n++
	f.last = now
}

// shed makes room in a full table: expired keys first, then the older
// half, then any. Forgetting a count only lets its owner try again; the
// table never grows past maxLockKeys.
func (lo *lockout) shed(now time.Time) {
	for _, age := range []time.Duration{lo.period, lo.period / 2, -1} {
		for k, f := range lo.byKey {
			if len(lo.byKey) < maxLockKeys*3/4 {
				return
			}
			if now.Sub(f.last) > age {
				delete(lo.byKey, k)
			}
		}
	}
}

// succeed clears the (login, source) key of a login that passed. Any
// goroutine.
func (lo *lockout) succeed(name string, ip netip.Addr) {
	src := sourceKey(ip)
	lo.mu.Lock()
	defer lo.mu.Unlock()
	delete(lo.byKey, lockKey{name, src})
}
