package proxy

import (
	"net/netip"
	"sync"

	"github.com/spsmg/spsmg/config"
)

// admission holds the accept-time rules of one config generation, read by
// the acceptors for every new connection and swapped whole on reload:
//
//	accept ─▶ address allowed? ─▶ under max_prelogin_per_ip? ─▶ under max_connections? ─▶ gnet
type admission struct {
	// spAllow is the union of every account's allow_ips when every
	// account has one: an address outside all of them can log in as
	// nobody and is closed at accept. nil when any account takes any
	// address (then nothing is filtered before the login).
	spAllow *ipSet
	// inboundAllow is each upstream's inbound.allow_ips (SGIP), indexed
	// like Gateway.upstreams: only that SMG binds to its inbound listener.
	// nil (or a nil entry): any address.
	inboundAllow []*ipSet
	// maxPrelogin caps the connections one source (sourceKey) holds open
	// before logging in.
	maxPrelogin int
}

func newAdmission(cfg *config.Config) *admission {
	ad := &admission{maxPrelogin: cfg.Gateway.MaxPreloginPerIP}
	if ad.maxPrelogin <= 0 { // a Config built in code, not by Load
		ad.maxPrelogin = config.DefaultMaxPreloginPerIP
	}
	every := len(cfg.Accounts) > 0
	var union []netip.Prefix
	for _, a := range cfg.Accounts {
		if external(a.Protocol) {
			continue // an ingress's account never connects here (ingress.go)
		}
		rules, _ := config.ParseIPRules(a.AllowIPs) // checked by config.Validate
		if len(rules) == 0 {
			every = false
			break
		}
		union = append(union, rules...)
	}
	if every {
		ad.spAllow = newIPSet(union)
	}
	ups := cfg.Upstreams()
	ad.inboundAllow = make([]*ipSet, len(ups))
	for i, u := range ups {
		if in := u.Inbound; in != nil && len(in.AllowIPs) > 0 {
			rules, _ := config.ParseIPRules(in.AllowIPs)
			ad.inboundAllow[i] = newIPSet(rules)
		}
	}
	return ad
}

// allows reports whether a connection from addr to an SP listener (up
// -1) or the SGIP inbound listener of upstream up may be accepted.
func (ad *admission) allows(addr netip.Addr, up int) bool {
	set := ad.spAllow
	if up >= 0 {
		set = nil
		if up < len(ad.inboundAllow) {
			set = ad.inboundAllow[up]
		}
	}
	return set == nil || set.contains(addr)
}

// ipSet is an allow list made quick to test: single addresses (most
// entries) in a map, networks scanned, duplicates dropped.
type ipSet struct {
	hosts map[netip.Addr]struct{}
	nets  []netip.Prefix
}

func newIPSet(rules []netip.Prefix) *ipSet {
	s := &ipSet{hosts: make(map[netip.Addr]struct{})}
	seen := make(map[netip.Prefix]bool)
	for _, p := range rules {
		switch {
		case p.IsSingleIP():
			s.hosts[p.Addr()] = struct{}{}
		case !seen[p]:
			seen[p] = true
			s.nets = append(s.nets, p)
		}
	}
	return s
}

func (s *ipSet) contains(addr netip.Addr) bool {
	if _, ok := s.hosts[addr]; ok {
		return true
	}
	for _, p := range s.nets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// sourceKey is the unit that per-address limits count (the pre-login cap
// and the login lock-out): an IPv4 address as it is, an IPv6 address by its
// /64. One IPv6 host is usually given a whole /64 and can pick any address
// in it, so counting single IPv6 addresses would limit nothing.
func sourceKey(addr netip.Addr) netip.Addr {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.Addr()
	}
	return addr
}

// preloginCounts counts the accepted connections that have not logged in
// yet, per source (sourceKey). The acceptors acquire (one goroutine per
// listener), the event loops release at login or close: a mutex, taken
// once per connection and never on the message path. Its map holds only
// sources with connections open, so it is bounded by max_connections.
type preloginCounts struct {
	mu sync.Mutex
	n  map[netip.Addr]int32
}

// acquire counts one more connection from src unless it already has max.
// Any goroutine.
func (p *preloginCounts) acquire(src netip.Addr, max int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = make(map[netip.Addr]int32)
	}
	c := p.n[src]
	if int(c) >= max {
		return false
	}
	p.n[src] = c + 1
	return true
}

// release forgets one connection from src (logged in or closed). Any
// goroutine.
func (p *preloginCounts) release(src netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.n[src] - 1; c > 0 {
		p.n[src] = c
	} else {
		delete(p.n, src)
	}
}

// preloginSlot is a session's share of listeners.prelogin, from OnOpen until
// it logs in or closes. Its session's loop only.
type preloginSlot struct {
	src  netip.Addr
	held bool
}

func (p *preloginSlot) release(g *Gateway) {
	if p.held {
		p.held = false
		g.listeners.prelogin.release(p.src)
	}
}
