package sgip

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
)

// HeaderLen is the SGIP header: Message Length 4, Command ID 4, Sequence
// Number 12 (docs/protocols/sgip12.md §3).
const HeaderLen = 20

// Offsets of the header fields inside a frame (docs/protocols/sgip12.md §3).
const (
	offLength   = 0
	offCommand  = 4
	offSequence = 8
)

// Header is the 20-byte SGIP header.
type Header struct {
	Length   uint32    `json:"Message Length,string"` // total length, header included
	Command  CommandID `json:"Command ID,string"`
	Sequence Sequence  `json:"Sequence Number"`
}

// DecodeHeader reads the header at the start of frame. It checks only that
// the 20 bytes are there; Decode checks Message Length against the frame.
func DecodeHeader(frame []byte) (Header, error) {
	if len(frame) >= HeaderLen {
		// Every frame from the Framer: read at fixed offsets, no per-field
		// checks (the field reader cost a tenth of the gateway's SGIP
		// forwarding in the proxy benchmark's profile).
		return Header{
			Length:   binary.BigEndian.Uint32(frame[offLength:]),
			Command:  CommandID(binary.BigEndian.Uint32(frame[offCommand:])),
			Sequence: DecodeSequence(frame[offSequence:HeaderLen]),
		}, nil
	}
	r := codec.NewReader(frame, "SGIP header", 0)
	var h Header
	h.Length = r.Uint32("Message Length")
	h.Command = CommandID(r.Uint32("Command ID"))
	h.Sequence = readSequence(&r, "Sequence Number")
	return h, r.Err()
}

// AppendHeader appends h as it is; Append writes the header itself and
// fixes Message Length after the body.
func AppendHeader(dst []byte, h Header) []byte {
	dst = codec.AppendUint32(dst, h.Length)
	dst = codec.AppendUint32(dst, uint32(h.Command))
	return AppendSequence(dst, h.Sequence)
}

// NewFramer returns the frame splitter for SGIP: 20-byte header, frames
// capped at maxFrameSize (0: codec.DefaultMaxFrameSize). The spec's "≤ 2 KB"
// is not enforced: a 100-recipient Submit is already 2 243 B
// (docs/protocols/sgip12.md §1).
func NewFramer(maxFrameSize int) codec.Framer {
	return codec.Framer{Protocol: "sgip", HeaderLen: HeaderLen, MaxFrameSize: maxFrameSize}
}

// SetSequence rewrites the sequence number of frame in place. frame must
// hold at least HeaderLen bytes (as every frame from the Framer does); a
// shorter slice panics, like binary.BigEndian.PutUint32.
//
// Called on the proxy's hot path; does not allocate.
func SetSequence(frame []byte, seq Sequence) {
	PutSequence(frame[offSequence:HeaderLen], seq)
}

// SequenceOf reads the sequence number of frame. frame must hold at least
// HeaderLen bytes.
func SequenceOf(frame []byte) Sequence {
	return DecodeSequence(frame[offSequence:HeaderLen])
}

// CommandOf reads the Command ID of frame (at least 8 bytes).
func CommandOf(frame []byte) CommandID {
	return CommandID(binary.BigEndian.Uint32(frame[offCommand:]))
}
