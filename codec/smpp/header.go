package smpp

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
)

// HeaderLen is the size of the SMPP header: command_length, command_id,
// command_status and sequence_number, 4 bytes each (SMPP 3.4 §3.2). Unlike
// CMPP and SMGP (12 bytes, sequence at offset 8) the sequence is at offset
// 12, after the status.
const HeaderLen = 16

// Offsets of the header fields inside a frame.
const (
	offCommandLength = 0
	offCommandID     = 4
	offCommandStatus = 8
	offSequence      = 12
)

// MaxSequence is the highest sequence_number SMPP 3.4 §3.2 allows; numbers
// run 0x00000001–0x7FFFFFFF. Decoders do not enforce it (peers wrap
// differently); SequenceGenerator-style callers wrap below it.
const MaxSequence = 0x7FFFFFFF

// Header is the 16-byte SMPP header (SMPP 3.4 §3.2).
type Header struct {
	CommandLength  uint32    `json:"command_length,string"`  // header + body + TLVs
	CommandID      CommandID `json:"command_id"`             // a response is the request's id | 0x80000000
	CommandStatus  Status    `json:"command_status"`         // 0 in requests; the result in responses
	SequenceNumber uint32    `json:"sequence_number,string"` // echoed by the response
}

// DecodeHeader reads the header at the start of frame. It fails when frame
// is shorter than HeaderLen or command_length is below HeaderLen; it does
// not compare command_length with len(frame) (Decode and ParseView do).
func DecodeHeader(frame []byte) (Header, error) {
	r := codec.NewReader(frame, "smpp", 0)
	var h Header
	h.CommandLength = r.Uint32("command_length")
	h.CommandID = CommandID(r.Uint32("command_id"))
	h.CommandStatus = Status(r.Uint32("command_status"))
	h.SequenceNumber = r.Uint32("sequence_number")
	if err := r.Err(); err != nil {
		return Header{}, err
	}
	if h.CommandLength < HeaderLen {
		return Header{}, &codec.FieldError{PDU: "smpp", Field: "command_length", Index: -1,
			Offset: offCommandLength, Value: int64(h.CommandLength), Err: codec.ErrFrameTooSmall}
	}
	return h, nil
}

// Append appends the header as it is (command_length included) to dst.
func (h Header) Append(dst []byte) []byte {
	dst = codec.AppendUint32(dst, h.CommandLength)
	dst = codec.AppendUint32(dst, uint32(h.CommandID))
	dst = codec.AppendUint32(dst, uint32(h.CommandStatus))
	return codec.AppendUint32(dst, h.SequenceNumber)
}

// checkLength compares the header's command_length with the frame it came
// in: a strict prefix fails with ErrShortFrame, a frame with bytes beyond
// command_length with ErrTrailingBytes.
func checkLength(frame []byte, h Header) error {
	switch n := int64(h.CommandLength); {
	case n > int64(len(frame)):
		return &codec.FieldError{PDU: h.CommandID.label(), Field: "command_length", Index: -1,
			Offset: offCommandLength, Value: n, Err: codec.ErrShortFrame}
	case n < int64(len(frame)):
		return &codec.FieldError{PDU: h.CommandID.label(), Field: "command_length", Index: -1,
			Offset: offCommandLength, Value: n, Err: codec.ErrTrailingBytes}
	}
	return nil
}

// NewFramer returns the frame splitter for SMPP streams. maxFrameSize 0
// means codec.DefaultMaxFrameSize (4 KB): a submit_sm with every C-string
// at its maximum and 254 octets of short_message is under 450 bytes, and a
// message_payload TLV may carry up to 64 KB, so a deployment that accepts
// long payloads raises it.
func NewFramer(maxFrameSize int) codec.Framer {
	return codec.Framer{Protocol: "smpp", HeaderLen: HeaderLen, MaxFrameSize: maxFrameSize}
}

// SetSequence rewrites the sequence_number of frame in place (the proxy
// renumbers frames between the SP and the SMSC). A frame shorter than
// HeaderLen is left alone. Does not allocate.
func SetSequence(frame []byte, seq uint32) {
	if len(frame) >= HeaderLen {
		binary.BigEndian.PutUint32(frame[offSequence:], seq)
	}
}

// SequenceOf returns the sequence_number of frame, 0 when frame is shorter
// than HeaderLen.
func SequenceOf(frame []byte) uint32 {
	if len(frame) < HeaderLen {
		return 0
	}
	return binary.BigEndian.Uint32(frame[offSequence:])
}

// appendHeader starts a frame: a length placeholder, the command id, the
// status and the sequence. finish fixes the length once the body is in.
func appendHeader(dst []byte, id CommandID, status Status, seq uint32) []byte {
	dst = codec.AppendUint32(dst, 0)
	dst = codec.AppendUint32(dst, uint32(id))
	dst = codec.AppendUint32(dst, uint32(status))
	return codec.AppendUint32(dst, seq)
}

// finish writes the command_length of the frame that starts at dst[start].
func finish(dst []byte, start int) []byte {
	codec.PutLength(dst[start:])
	return dst
}
