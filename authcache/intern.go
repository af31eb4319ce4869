package authcache

import (
	"maps"
	"sync"
	"sync/atomic"
)

// interner gives every SP account an sp id and every (SP, service code)
// pair a svc id, so the in-memory tables hold small pointer-free keys
// (user, svc) instead of strings. It also carries the policy's exempt flags
// per account and per pair, so Authorize resolves an MT's SP and service
// with two map lookups (the account, then its service code).
//
// Reads are lock-free on an immutable snapshot (names); adding a name or
// swapping the policy builds a new snapshot (copy-on-write) under mu. Both
// are rare: the set of SPs and services is small and only grows. Ids are
// never reused.
//
// A pair with service "" stands for "service not recorded" (SGIP MOs carry
// no service code; web codes are per SP).
type interner struct {
	mu  sync.Mutex // serialises writers
	pol *policy    // the policy the flags were computed from; under mu
	cur atomic.Pointer[names]
}

type names struct {
	sps     map[string]*spNames // by SP account id
	spNames []string            // sp id → account id
	pairs   []svcPair           // svc id → pair
	// refs is keyed by SP + "\x00" + service code, so Authorize resolves a
	// subscription MT with one lookup; exempt there includes the account's.
	refs map[string]svcRef
}

// refKey builds the refs key into buf (no allocation while it fits).
func refKey(buf []byte, sp string, service []byte) []byte {
	buf = append(buf[:0], sp...)
	buf = append(buf, 0)
	return append(buf, service...)
}

type spNames struct {
	id     uint32
	exempt bool              // Config.ExemptSPs
	svcs   map[string]svcRef // service code → svc id
}

// svcRef is what Authorize needs of a (SP, service code).
type svcRef struct {
	id     uint32
	exempt bool // Config.ExemptServices, for this SP or all
}

type svcPair struct {
	sp      uint32
	spName  string
	service string
}

func newInterner(p *policy) *interner {
	in := &interner{}
	in.cur.Store(&names{sps: map[string]*spNames{}, refs: map[string]svcRef{}})
	in.setPolicy(p)
	return in
}

func (in *interner) load() *names { return in.cur.Load() }

// lookup returns the svc id of (sp, service) without allocating.
func (n *names) lookup(sp string, service []byte) (uint32, bool) {
	s := n.sps[sp]
	if s == nil {
		return 0, false
	}
	r, ok := s.svcs[string(service)]
	return r.id, ok
}

// pair interns (sp, service) and returns its svc id.
func (in *interner) pair(sp, service string) uint32 {
	if id, ok := in.load().lookup(sp, []byte(service)); ok {
		return id
	}
	return in.add(sp, service)
}

// pairBytes is pair for a service code field; it allocates only for a new
// pair.
func (in *interner) pairBytes(sp string, service []byte) uint32 {
	if id, ok := in.load().lookup(sp, service); ok {
		return id
	}
	return in.add(sp, string(service))
}

// pairKey interns (sp, service) given as byte fields (the load path); no
// allocation for a known pair.
func (in *interner) pairKey(sp, service []byte) uint32 {
	var kb [maxRefKey]byte
	k := append(append(append(kb[:0], sp...), 0), service...)
	if r, ok := in.load().refs[string(k)]; ok {
		return r.id
	}
	return in.add(string(sp), string(service))
}

// sp interns an SP account and returns its sp id.
func (in *interner) sp(sp string) uint32 {
	if s := in.load().sps[sp]; s != nil {
		return s.id
	}
	in.pair(sp, "")
	return in.load().sps[sp].id
}

func (in *interner) add(sp, service string) uint32 {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := in.load().clone()
	id := in.ensure(n, sp, service)
	in.cur.Store(n)
	return id
}

// setPolicy recomputes the exempt flags for p, interning every exempt
// account and pair so Authorize finds them in the snapshot.
func (in *interner) setPolicy(p *policy) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.pol = p
	n := in.load().clone()
	for sp := range p.exemptSP {
		in.ensure(n, sp, "")
	}
	for sp, codes := range p.exemptSPSvc {
		for code := range codes {
			in.ensure(n, sp, code)
		}
	}
	for name, s := range n.sps {
		_, s.exempt = p.exemptSP[name]
		for code := range p.exemptAnySvc {
			in.ensure(n, name, code)
		}
		for code, r := range s.svcs {
			r.exempt = p.exemptService(name, code)
			s.svcs[code] = r
			n.refs[name+"\x00"+code] = svcRef{id: r.id, exempt: r.exempt || s.exempt}
		}
	}
	in.cur.Store(n)
}

// clone copies the snapshot deeply enough to modify its maps. Appending to
// spNames and pairs may share the old backing arrays: harmless, readers of
// the old snapshot never index past their own length.
func (n *names) clone() *names {
	c := &names{sps: make(map[string]*spNames, len(n.sps)+1), spNames: n.spNames, pairs: n.pairs, refs: maps.Clone(n.refs)}
	for name, s := range n.sps {
		c.sps[name] = &spNames{id: s.id, exempt: s.exempt, svcs: maps.Clone(s.svcs)}
	}
	return c
}

// ensure adds (sp, service) to n if missing, with flags from in.pol; a new
// account also gets the policy's global free services.
func (in *interner) ensure(n *names, sp, service string) uint32 {
	s := n.sps[sp]
	if s == nil {
		_, exempt := in.pol.exemptSP[sp]
		s = &spNames{id: uint32(len(n.spNames)), exempt: exempt, svcs: map[string]svcRef{}}
		n.spNames = append(n.spNames, sp)
		n.sps[sp] = s
		for code := range in.pol.exemptAnySvc {
			in.ensure(n, sp, code)
		}
	}
	if r, ok := s.svcs[service]; ok {
		return r.id
	}
	id := uint32(len(n.pairs))
	r := svcRef{id: id, exempt: service != "" && in.pol.exemptService(sp, service)}
	s.svcs[service] = r
	n.refs[sp+"\x00"+service] = svcRef{id: id, exempt: r.exempt || s.exempt}
	n.pairs = append(n.pairs, svcPair{sp: s.id, spName: sp, service: service})
	return id
}
