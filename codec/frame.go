package codec

import "encoding/binary"

// Frame limits shared by every protocol. Each protocol package names its own
// header length; the limits on a whole frame are a deployment setting.
const (
	// LengthFieldSize: every protocol here starts a frame with a 4-byte
	// big-endian total length that counts the header too.
	LengthFieldSize = 4

	// DefaultMaxFrameSize caps a frame when the configuration says nothing.
	// SGIP's "≤ 2 KB" is contradicted by a 100-recipient Submit (≥ 2 243 B,
	// docs/protocols/sgip12.md §1) and SMGP names no maximum
	// (docs/protocols/smgp30.md §1), so the cap is 4 KB: above any legal
	// Submit with 100 recipients and 255 bytes of content in every protocol.
	DefaultMaxFrameSize = 4096
)

// Framer splits a byte stream into frames of one protocol.
//
// It is a value type with no state: the caller keeps the unconsumed tail
// (gnet keeps it for us). Safe for concurrent use.
type Framer struct {
	Protocol     string // for error messages, e.g. "cmpp3"
	HeaderLen    int    // 12 for CMPP/SMGP, 20 for SGIP
	MaxFrameSize int    // 0 means DefaultMaxFrameSize
}

// Split looks at the start of buf and reports one of three outcomes:
//
//   - n == 0, err == nil: more bytes are needed (a partial frame);
//   - n > 0: buf[:n] is exactly one frame;
//   - err != nil: the length field is impossible; the stream cannot be
//     resynchronised and the connection should be closed.
//
// The length is checked as soon as its 4 bytes are in, before the body
// arrives, so a peer cannot make us buffer a frame we would reject.
func (f Framer) Split(buf []byte) (n int, err error) {
	if len(buf) < LengthFieldSize {
		return 0, nil
	}
	total := binary.BigEndian.Uint32(buf)
	max := f.MaxFrameSize
	if max <= 0 {
		max = DefaultMaxFrameSize
	}
	if total < uint32(f.HeaderLen) {
		return 0, &FieldError{PDU: f.Protocol, Field: "Total_Length", Index: -1, Value: int64(total), Err: ErrFrameTooSmall}
	}
	if total > uint32(max) {
		return 0, &FieldError{PDU: f.Protocol, Field: "Total_Length", Index: -1, Value: int64(total), Err: ErrFrameTooLarge}
	}
	if uint32(len(buf)) < total {
		return 0, nil
	}
	return int(total), nil
}

// PutLength writes the total length into the first 4 bytes of frame. Encoders
// append a placeholder, append the body, then call PutLength(frame).
func PutLength(frame []byte) {
	binary.BigEndian.PutUint32(frame, uint32(len(frame)))
}
