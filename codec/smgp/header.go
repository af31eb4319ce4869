package smgp

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
)

// HeaderLen is the size of the SMGP header: PacketLength, RequestID,
// SequenceID, 4 bytes each (docs/protocols/smgp30.md §2).
const HeaderLen = 12

// Offsets of the header fields inside a frame.
const (
	offPacketLength = 0
	offRequestID    = 4
	offSequenceID   = 8
)

// Header is the 12-byte SMGP header (docs/protocols/smgp30.md §2).
type Header struct {
	PacketLength uint32    `json:"PacketLength,string"` // header + body + TLVs
	RequestID    CommandID `json:"RequestID,string"`    // § 10
	SequenceID   uint32    `json:"SequenceID,string"`   // echoed by the response
}

// DecodeHeader reads the header at the start of frame. It fails when frame
// is shorter than HeaderLen or PacketLength is below HeaderLen; it does not
// compare PacketLength with len(frame) (Decode and ParseView do).
func DecodeHeader(frame []byte) (Header, error) {
	var h Header
	if len(frame) >= HeaderLen {
		// Every frame from the Framer, ParseView's on the hot path: fixed
		// offsets, no field reader.
		h.PacketLength = binary.BigEndian.Uint32(frame[offPacketLength:])
		h.RequestID = CommandID(binary.BigEndian.Uint32(frame[offRequestID:]))
		h.SequenceID = binary.BigEndian.Uint32(frame[offSequenceID:])
	} else {
		r := codec.NewReader(frame, "smgp", 0)
		h.PacketLength = r.Uint32("PacketLength")
		h.RequestID = CommandID(r.Uint32("RequestID"))
		h.SequenceID = r.Uint32("SequenceID")
		if err := r.Err(); err != nil {
			return Header{}, err
		}
	}
	if h.PacketLength < HeaderLen {
		return Header{}, &codec.FieldError{PDU: "smgp", Field: "PacketLength", Index: -1,
			Offset: offPacketLength, Value: int64(h.PacketLength), Err: codec.ErrFrameTooSmall}
	}
	return h, nil
}

// Append appends the header as it is (PacketLength included) to dst.
func (h Header) Append(dst []byte) []byte {
	dst = codec.AppendUint32(dst, h.PacketLength)
	dst = codec.AppendUint32(dst, uint32(h.RequestID))
	return codec.AppendUint32(dst, h.SequenceID)
}

// checkLength compares the header's PacketLength with the frame it came in.
// A strict prefix of a frame fails with ErrShortFrame, a frame with bytes
// beyond PacketLength with ErrTrailingBytes.
func checkLength(frame []byte, h Header) error {
	switch n := int64(h.PacketLength); {
	case n > int64(len(frame)):
		return &codec.FieldError{PDU: h.RequestID.label(), Field: "PacketLength", Index: -1,
			Offset: offPacketLength, Value: n, Err: codec.ErrShortFrame}
	case n < int64(len(frame)):
		return &codec.FieldError{PDU: h.RequestID.label(), Field: "PacketLength", Index: -1,
			Offset: offPacketLength, Value: n, Err: codec.ErrTrailingBytes}
	}
	return nil
}

// NewFramer returns the frame splitter for SMGP streams. maxFrameSize 0 means
// codec.DefaultMaxFrameSize; SMGP names no maximum
// (docs/protocols/smgp30.md §1), a 100-recipient Submit is at least 2 226
// bytes.
func NewFramer(maxFrameSize int) codec.Framer {
	return codec.Framer{Protocol: "smgp", HeaderLen: HeaderLen, MaxFrameSize: maxFrameSize}
}

// SetSequence rewrites the SequenceID of frame in place (the proxy renumbers
// frames between the SP and the SMG). A frame shorter than HeaderLen is left
// alone. Does not allocate.
func SetSequence(frame []byte, seq uint32) {
	if len(frame) >= HeaderLen {
		binary.BigEndian.PutUint32(frame[offSequenceID:], seq)
	}
}

// SequenceOf returns the SequenceID of frame, 0 when frame is shorter than
// HeaderLen.
func SequenceOf(frame []byte) uint32 {
	if len(frame) < HeaderLen {
		return 0
	}
	return binary.BigEndian.Uint32(frame[offSequenceID:])
}

// appendHeader starts a frame: a length placeholder, the RequestID and the
// sequence. finish fixes the length once the body is appended.
func appendHeader(dst []byte, id CommandID, seq uint32) []byte {
	dst = codec.AppendUint32(dst, 0)
	dst = codec.AppendUint32(dst, uint32(id))
	return codec.AppendUint32(dst, seq)
}

// finish writes the PacketLength of the frame that starts at dst[start].
func finish(dst []byte, start int) []byte {
	codec.PutLength(dst[start:])
	return dst
}
