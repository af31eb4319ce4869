package proxy

import (
	"encoding/binary"
	"fmt"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/config"
)

// What differs between protocols is a codec.Dialect. Each side has its
// own: the SPs' (Gateway.d, for SP connections and SGIP receivers) and each
// upstream's (upstream.d, for its binds and SGIP inbound connections).
// Where they are the same protocol and version, frames are forwarded
// untranslated; where they differ, the upstream translates
// (translated.go). The sequence layouts, read on every forwarded frame,
// are copied out of the Dialects once, at New (Gateway.seqOff and seqLen,
// upstream.seqOff and seqLen).

// spDialect is the Dialect of the gateway's SPs: the protocol of its SP
// listeners (the JSON listener aside), which must all be one; without one,
// the default upstream's. An SMPP SP face takes the LinkID TLV of the
// SMPP listener's smpp: section, else of the first SMPP upstream's.
func spDialect(cfg *config.Config) (codec.Dialect, error) {
	ups := cfg.Upstreams()
	proto := ups[cfg.DefaultUpstream()].Protocol
	seen := false
	for _, l := range cfg.Listeners {
		if external(l.Protocol) {
			continue
		}
		if seen && l.Protocol != proto {
			return nil, fmt.Errorf("proxy: SP listeners speak %s and %s: one gateway serves one SP protocol", proto, l.Protocol)
		}
		proto, seen = l.Protocol, true
	}
	if proto == codec.SMPP34 {
		for _, l := range cfg.Listeners {
			if l.Protocol == codec.SMPP34 && l.SMPP != nil {
				return config.SMPPDialect(l.SMPP), nil
			}
		}
		for _, u := range ups {
			if u.Protocol == codec.SMPP34 {
				return u.Dialect(), nil
			}
		}
	}
	up := config.Upstream{Protocol: proto}
	if d := up.Dialect(); d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("proxy: unknown SP protocol %q", proto)
}

// wireSeq holds a sequence as it appears on the wire: CMPP and SMGP use the
// first 4 bytes, SGIP all 12. The last 4 bytes of the used part are always
// a counter, which indexes a bind's in-flight ring.
type wireSeq [codec.MaxSeqLen]byte

// counterOf reads the counter: the last 4 bytes of a sequence field.
func counterOf(seq []byte) uint32 {
	return binary.BigEndian.Uint32(seq[len(seq)-4:])
}

// putSeq writes into dst the sequence of a request spsmg sends to an SP
// with counter: SGIP puts spsmg's node id and the loop's MMDDhhmmss time
// before it. dst must already be on the heap (a connection's field): a
// stack array handed to the Dialect through its interface would escape
// (upstream.putSeq is the same for the SMG side).
func (g *Gateway) putSeq(dst *wireSeq, mmddhhmmss, counter uint32) {
	g.d.PutSeq(dst[:g.seqLen], g.node, mmddhhmmss, counter)
}

// encodeText picks the coding of a message spsmg writes itself: ASCII when
// it can, UCS2 otherwise (every handset reads it).
func encodeText(s string) (uint8, []byte) {
	if b, err := text.Encode(text.ASCII, s); err == nil {
		return text.ASCII, b
	}
	b, _ := text.Encode(text.UCS2, s)
	return text.UCS2, b
}
