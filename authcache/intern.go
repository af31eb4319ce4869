package authcache

import (
	"maps"
	"sync"
	"sync/atomic"
)

// interner gives every SP account an sp id and every (SP, service code)
// pair a svc id, so the in-memory tables hold small pointer-free keys
// (user, svc) instead of strings. It also carries the policy's exempt
// flags, so Authorize resolves an MT's SP and service, exemption included,
// with one map lookup.
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
	pol *policy    // the policy the flags come from; under mu
	cur atomic.Pointer[names]
}

type names struct {
	sps     map[string]*spNames // by SP account id
	spNames []string            // sp id → account id
	pairs   []svcPair           // svc id → pair
	refs    map[string]svcRef   // by refKey(SP, service code)
}

type spNames struct {
	id     uint32
	exempt bool // Config.ExemptSPs
}

// svcRef is what Authorize needs of a (SP, service code).
type svcRef struct {
	id     uint32
	exempt bool // the account is exempt, or the service is free for it
}

type svcPair struct {
	sp      uint32
	spName  string
	service string
}

// maxRefKey sizes the stack buffer for a refs key; a longer SP + service
// code (none in practice) still works, with an allocation.
const maxRefKey = 96

// refKey builds SP + "\x00" + service code into buf.
func refKey(buf []byte, sp string, service []byte) []byte {
	buf = append(buf[:0], sp...)
	buf = append(buf, 0)
	return append(buf, service...)
}

func newInterner(p *policy) *interner {
	in := &interner{}
	in.cur.Store(&names{sps: map[string]*spNames{}, refs: map[string]svcRef{}})
	in.setPolicy(p)
	return in
}

func (in *interner) load() *names { return in.cur.Load() }

// ref finds (sp, service) with one map lookup, without allocating.
func (n *names) ref(sp string, service []byte) (svcRef, bool) {
	var kb [maxRefKey]byte
	r, ok := n.refs[string(refKey(kb[:], sp, service))]
	return r, ok
}

// pair interns (sp, service) and returns its svc id.
func (in *interner) pair(sp string, service []byte) uint32 {
	if r, ok := in.load().ref(sp, service); ok {
		return r.id
	}
	return in.add(sp, string(service))
}

// spName returns an account id given as bytes as the interned string, so
// the load path does not allocate one per record.
func (in *interner) spName(sp []byte) string {
	n := in.load()
	if s := n.sps[string(sp)]; s != nil {
		return n.spNames[s.id]
	}
	return string(sp)
}

// sp interns an SP account and returns its sp id.
func (in *interner) sp(sp string) uint32 {
	if s := in.load().sps[sp]; s != nil {
		return s.id
	}
	in.add(sp, "")
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
// account and pair (and every global free service for every account) so
// Authorize finds them in the snapshot.
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
	for _, sp := range n.spNames {
		for code := range p.exemptAnySvc {
			in.ensure(n, sp, code)
		}
	}
	for name, s := range n.sps {
		_, s.exempt = p.exemptSP[name]
	}
	for id, pr := range n.pairs {
		n.refs[pr.spName+"\x00"+pr.service] = in.refOf(n, uint32(id))
	}
	in.cur.Store(n)
}

// clone copies the snapshot deeply enough to modify it. Appending to
// spNames and pairs may share the old backing arrays: harmless, readers of
// the old snapshot never index past their own length.
func (n *names) clone() *names {
	c := &names{sps: make(map[string]*spNames, len(n.sps)+1), spNames: n.spNames, pairs: n.pairs, refs: maps.Clone(n.refs)}
	for name, s := range n.sps {
		c.sps[name] = &spNames{id: s.id, exempt: s.exempt}
	}
	return c
}

// ensure adds (sp, service) to n if missing; a new account also gets the
// policy's global free services.
func (in *interner) ensure(n *names, sp, service string) uint32 {
	s := n.sps[sp]
	if s == nil {
		_, exempt := in.pol.exemptSP[sp]
		s = &spNames{id: uint32(len(n.spNames)), exempt: exempt}
		n.spNames = append(n.spNames, sp)
		n.sps[sp] = s
		for code := range in.pol.exemptAnySvc {
			in.ensure(n, sp, code)
		}
	}
	key := sp + "\x00" + service
	if r, ok := n.refs[key]; ok {
		return r.id
	}
	id := uint32(len(n.pairs))
	n.pairs = append(n.pairs, svcPair{sp: s.id, spName: sp, service: service})
	n.refs[key] = in.refOf(n, id)
	return id
}

func (in *interner) refOf(n *names, id uint32) svcRef {
	pr := &n.pairs[id]
	exempt := n.sps[pr.spName].exempt || (pr.service != "" && in.pol.exemptService(pr.spName, pr.service))
	return svcRef{id: id, exempt: exempt}
}
