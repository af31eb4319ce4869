package proxy

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/translate"
)

// spFace is one SP protocol as the gateway serves it: the Dialect of an SP
// listener (with the listener's options, an SMPP LinkID TLV), its result
// codes, its translation toward every upstream, and the source of the
// message ids spsmg gives SPs of that protocol. A gateway has one face per
// SP protocol it serves, at most one per listener (config refuses two
// listeners of one protocol). An SP connection takes its listener's face;
// an account its protocol's (an SGIP receiver spsmg dials, a delivery
// queued for the account), and a login on a listener of another protocol
// is refused (spConn.login). Built at New, never changed but for results.
type spFace struct {
	idx int // in Gateway.faces, and in every loop's ids
	// d is the protocol's Dialect; seqOff and seqLen its sequence layout,
	// read on every frame an SP is sent (copied out of d once).
	d              codec.Dialect
	seqOff, seqLen int
	results        atomic.Pointer[codec.ResultTable] // swapped on reload (Gateway.applyConfig)
	// tf is d as translation sees it; nil for a Dialect that is not a
	// Face (a test's): nothing translates then.
	tf translate.Face
	// pairs[i] translates between this protocol and upstream i's; nil
	// where upstream i speaks this protocol and version: frames pass
	// untranslated (translated.go). same is the identity Pair a split
	// Submit's same-protocol groups are rebuilt with (routing.go); nil
	// with one upstream.
	pairs []*translate.Pair
	same  *translate.Pair
	// ids is the source of this protocol's SP-side message ids (each
	// loop has its IDGen, loop.ids[idx]; offLoopIDs, under offLoopMu,
	// serves the goroutines off the loops). nil when nothing translates or
	// splits for this protocol, and for SGIP (its ids are the SP's own
	// sequences).
	ids        *translate.IDSource
	idKey      []byte // its persisted limit's key (idmark.go)
	offLoopMu  sync.Mutex
	offLoopIDs *translate.IDGen
}

// resultOf is the protocol's result code for a refusal. Any goroutine.
func (f *spFace) resultOf(o reason.Reason) uint32 { return (*f.results.Load())[o] }

// pair is the translation toward upstream u; nil: untranslated.
func (f *spFace) pair(u *upstream) *translate.Pair { return f.pairs[u.idx] }

// pairFor is the Pair a group of recipients routed to u is rebuilt with:
// u's translation, or the identity Pair when u speaks this protocol.
func (f *spFace) pairFor(u *upstream) *translate.Pair {
	if p := f.pairs[u.idx]; p != nil {
		return p
	}
	return f.same
}

// reportKind is the kind of the frame a status report reaches SPs of this
// protocol in: SGIP's Report, the others' Deliver.
func (f *spFace) reportKind() codec.Kind {
	if f.d.SubmitIDIsSeq() {
		return codec.KindReport
	}
	return codec.KindDeliver
}

// putSeq writes into dst the sequence of a request spsmg sends to an SP
// of this protocol with counter: SGIP puts spsmg's node id and the loop's
// MMDDhhmmss time before it. dst must already be on the heap (a
// connection's field): a stack array handed to the Dialect through its
// interface would escape (upstream.putSeq is the same for the SMG side).
func (f *spFace) putSeq(dst *wireSeq, node, mmddhhmmss, counter uint32) {
	f.d.PutSeq(dst[:f.seqLen], node, mmddhhmmss, counter)
}

// faceSpec is a face to build: its protocol and Dialect.
type faceSpec struct {
	proto codec.Protocol
	d     codec.Dialect
}

// faceSpecs lists the SP protocols of cfg, each with its Dialect: every
// SP listener's (the JSON listener aside), with its options; then the
// protocol of every account no listener speaks (it may still take MO and
// reports: an SGIP receiver); without any, the default upstream's. An
// SMPP face without a listener smpp: section takes the LinkID TLV of the
// first SMPP upstream.
func faceSpecs(cfg *config.Config) ([]faceSpec, error) {
	ups := cfg.Upstreams()
	var specs []faceSpec
	has := func(p codec.Protocol) bool {
		for _, s := range specs {
			if s.proto == p {
				return true
			}
		}
		return false
	}
	dialectOf := func(p codec.Protocol, m *config.SMPP) (codec.Dialect, error) {
		if p == codec.SMPP34 {
			if m != nil {
				return config.SMPPDialect(m), nil
			}
			for _, u := range ups {
				if u.Protocol == codec.SMPP34 {
					return u.Dialect(), nil
				}
			}
		}
		up := config.Upstream{Protocol: p}
		if d := up.Dialect(); d != nil {
			return d, nil
		}
		return nil, fmt.Errorf("proxy: unknown SP protocol %q", p)
	}
	add := func(p codec.Protocol, m *config.SMPP) error {
		if has(p) {
			return nil
		}
		d, err := dialectOf(p, m)
		if err != nil {
			return err
		}
		specs = append(specs, faceSpec{proto: p, d: d})
		return nil
	}
	for _, l := range cfg.Listeners {
		if external(l.Protocol) {
			continue
		}
		if err := add(l.Protocol, l.SMPP); err != nil {
			return nil, err
		}
	}
	for _, ac := range cfg.Accounts {
		if external(ac.Protocol) || ac.Protocol == codec.ProtocolUnknown {
			continue
		}
		if err := add(ac.Protocol, nil); err != nil {
			return nil, err
		}
	}
	if len(specs) == 0 {
		if err := add(ups[cfg.DefaultUpstream()].Protocol, nil); err != nil {
			return nil, err
		}
	}
	return specs, nil
}

// newFace makes the face of Dialect d, number idx.
func newFace(idx int, d codec.Dialect) *spFace {
	f := &spFace{idx: idx, d: d, seqOff: d.Seq().Offset, seqLen: d.Seq().Len}
	f.tf, _ = d.(translate.Face)
	return f
}

// faceOf is the face of SP protocol p; the first face when the gateway has
// none of p (an account a reload gave a protocol no listener speaks: it
// cannot log in; Reload says a restart is needed). Any goroutine.
func (g *Gateway) faceOf(p codec.Protocol) *spFace {
	for _, f := range g.faces {
		if f.d.Protocol() == p {
			return f
		}
	}
	return g.faces[0]
}

// hasFace reports whether the gateway serves SP protocol p.
func (g *Gateway) hasFace(p codec.Protocol) bool {
	for _, f := range g.faces {
		if f.d.Protocol() == p {
			return true
		}
	}
	return false
}

// spProtocols names the SP protocols served, joined by "+": the protocol
// label of the SP side's packet counters.
func (g *Gateway) spProtocols() string {
	s := ""
	for i, f := range g.faces {
		if i > 0 {
			s += "+"
		}
		s += f.d.Protocol().String()
	}
	return s
}
