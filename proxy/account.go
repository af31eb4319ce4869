package proxy

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

// account is the runtime side of one configured SP: its limits, its live
// connections and its delivery queue. An account outlives reloads: the
// config is swapped in place (credential rotation keeps connections,
// docs/product.md §5.4), so sessions may hold *account for their whole life.
type account struct {
	id  string
	cfg atomic.Pointer[accountConfig]

	// limiter enforces the account's TPS over all its connections. Its
	// mutex is per account: only this SP's connections touch it.
	limiter *rate.Limiter

	conns atomic.Int32 // logged-in SP connections

	// suspended: an operator suspended the account (admin.go). Read with
	// one atomic load per Submit; written under Gateway.suspMu.
	suspended atomic.Bool

	mu               sync.Mutex
	all              []*spConn      // logged-in connections (and SGIP receivers)
	receivers        []*spConn      // those that take MO and reports, in login order
	decisions        decisionCounts // of closed connections, folded in at close
	upstreamFailures uint64         // of closed connections

	reports reportCounts // status reports relayed to this SP, by status

	queue *deliveryQueue

	// ctok: TPS tokens taken from the account's bucket in the cluster
	// (several nodes; limiter is then used only while the cluster is
	// unreachable, at this node's share).
	ctok clusterTokens
}

// accountConfig is the immutable part of an account, swapped on reload.
type accountConfig struct {
	config.Account
	allowIPs []netip.Prefix
	// Allowed service codes; both nil = any. A short list is scanned
	// (serviceList): hashing the code for the map cost more than the
	// comparisons (profile: the map lookup was 4.6 % of the gateway's CPU
	// at window 1024); a long one is a map.
	serviceList []string
	services    map[string]bool
	// tokenChunk: how many TPS tokens a connection takes from the
	// account's limiter at once (see spConn.takeToken).
	tokenChunk int
}

func newAccountConfig(a config.Account) *accountConfig {
	ac := &accountConfig{Account: a, tokenChunk: min(max(burst(a.TPS)/8, 1), 64)}
	for _, s := range a.AllowIPs {
		if p, err := config.ParseIPRule(s); err == nil {
			ac.allowIPs = append(ac.allowIPs, p)
		}
	}
	switch n := len(a.ServiceCodes); {
	case n == 0:
	case n <= maxServiceList:
		ac.serviceList = a.ServiceCodes
	default:
		ac.services = make(map[string]bool, n)
		for _, s := range a.ServiceCodes {
			ac.services[s] = true
		}
	}
	return ac
}

// allowsIP reports whether addr may log in; an empty list allows any.
func (ac *accountConfig) allowsIP(addr netip.Addr) bool {
	if len(ac.allowIPs) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range ac.allowIPs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// maxServiceList: up to this many service codes are compared one by one.
const maxServiceList = 8

// allowsService reports whether the SP may use service code b.
func (ac *accountConfig) allowsService(b []byte) bool {
	if ac.services != nil {
		return ac.services[string(b)]
	}
	if ac.serviceList == nil {
		return true
	}
	for _, s := range ac.serviceList {
		if s == string(b) {
			return true
		}
	}
	return false
}

// allowsSPNumber reports whether an MT's source number starts with one of
// the account's access numbers.
func (ac *accountConfig) allowsSPNumber(b []byte) bool {
	for _, n := range ac.AccessNumbers {
		if len(b) >= len(n) && string(b[:len(n)]) == n {
			return true
		}
	}
	return false
}

// accountTable indexes the accounts of one config generation. It is
// immutable; a reload builds a new one and swaps the pointer.
type accountTable struct {
	byID      map[string]*account
	byLogin   map[string]*account
	byPrefix  map[string]*account // access number → account, for MO routing
	maxPrefix int
}

// route finds the account whose access number is the longest prefix of the
// number a user dialled (docs/authorization.md §1, MO routing). No allocation: map lookups
// with string(b[:n]) do not copy.
func (t *accountTable) route(spNumber []byte) *account {
	n := len(spNumber)
	if n > t.maxPrefix {
		n = t.maxPrefix
	}
	for ; n > 0; n-- {
		if a := t.byPrefix[string(spNumber[:n])]; a != nil {
			return a
		}
	}
	return nil
}

// buildAccounts makes the table for cfg, reusing the runtime accounts of
// prev (by id) so that live connections, limiters and queues carry over.
func buildAccounts(cfg *config.Config, prev *accountTable, newQueue func(*account) *deliveryQueue) (t *accountTable, removed []*account) {
	t = &accountTable{
		byID:     make(map[string]*account, len(cfg.Accounts)),
		byLogin:  make(map[string]*account, len(cfg.Accounts)),
		byPrefix: make(map[string]*account),
	}
	for _, ac := range cfg.Accounts {
		var a *account
		if prev != nil {
			a = prev.byID[ac.ID]
		}
		if a == nil {
			a = &account{id: ac.ID, limiter: rate.NewLimiter(rate.Limit(ac.TPS), burst(ac.TPS))}
			a.queue = newQueue(a)
		} else {
			a.limiter.SetLimitAt(time.Now(), rate.Limit(ac.TPS))
			a.limiter.SetBurstAt(time.Now(), burst(ac.TPS))
		}
		a.cfg.Store(newAccountConfig(ac))
		t.byID[ac.ID] = a
		if external(ac.Protocol) {
			continue // an ingress's account: no login here, no MO (ingress.go)
		}
		t.byLogin[ac.Login] = a
		for _, n := range ac.AccessNumbers {
			t.byPrefix[n] = a
			if len(n) > t.maxPrefix {
				t.maxPrefix = len(n)
			}
		}
	}
	if prev != nil {
		for id, a := range prev.byID {
			if t.byID[id] == nil {
				removed = append(removed, a)
			}
		}
	}
	return t, removed
}

// burst lets an SP send a tenth of a second's worth at once: clients write
// their whole window in one go, and a burst of 1 would refuse most of it.
func burst(tps int) int {
	if b := tps / 10; b > 1 {
		return b
	}
	return 1
}

// addConn registers a logged-in connection.
func (a *account) addConn(s *spConn) {
	a.mu.Lock()
	a.all = append(a.all, s)
	if s.receives {
		a.receivers = append(a.receivers, s)
	}
	a.mu.Unlock()
	if c := s.g.cl; c != nil {
		if s.receives {
			c.watch(a) // read the account's queue in the cluster
		}
		a.ctok.refill(c, a)
	}
}

// removeConn forgets s and folds its counters into the account's.
func (a *account) removeConn(s *spConn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.all = without(a.all, s)
	a.receivers = without(a.receivers, s)
	if a.decisions == nil {
		a.decisions = newDecisionCounts()
	}
	for i := range s.decisions {
		a.decisions[i].Add(s.decisions[i].Load())
	}
	a.upstreamFailures += s.upstreamFailures.Load()
	s.folded = true
	if s.role == roleServer {
		a.conns.Add(-1)
	}
}

// settleFor counts outcome o of s's Submit from another loop than s's, or
// after s closed: in s's counters while they are live, in the account's
// once removeConn has folded them. Any goroutine.
func (a *account) settleFor(s *spConn, o reason.Reason) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.folded {
		a.decisions[o].Add(1)
		return
	}
	s.decisions[o].Add(1)
}

func without(list []*spConn, s *spConn) []*spConn {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}
