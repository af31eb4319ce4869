package proxy

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// What differs between protocols is a codec.Dialect. Each side has its
// own: every SP protocol the gateway serves has its face (spFace, face.go:
// SP connections of its listener, SGIP receivers, deliveries to accounts
// of that protocol) and each upstream its Dialect (upstream.d, for its
// binds and SGIP inbound connections). Where an SP's face and an upstream
// are the same protocol and version, frames are forwarded untranslated;
// where they differ, the face's Pair toward that upstream translates
// (translated.go). The sequence layouts, read on every forwarded frame,
// are copied out of the Dialects once, at New (spFace.seqOff and seqLen,
// upstream.seqOff and seqLen).

// wireSeq holds a sequence as it appears on the wire: CMPP and SMGP use the
// first 4 bytes, SGIP all 12. The last 4 bytes of the used part are always
// a counter, which indexes a bind's in-flight ring.
type wireSeq [codec.MaxSeqLen]byte

// counterOf reads the counter: the last 4 bytes of a sequence field.
func counterOf(seq []byte) uint32 {
	return binary.BigEndian.Uint32(seq[len(seq)-4:])
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
