package proxy

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// What differs between protocols is a codec.Dialect. Each side has its
// own: the SPs' (Gateway.d, for SP connections and SGIP receivers) and each
// upstream's (upstream.d, for its binds and SGIP inbound connections).
// Frames are forwarded untranslated, so today both are the same protocol
// and version: config refuses a listener that is not the upstream's. The
// sequence layouts, read on every forwarded frame, are copied out of the
// Dialects once, at New (Gateway.seqOff and seqLen, upstream.seqOff and
// seqLen).

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
