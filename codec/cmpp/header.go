package cmpp

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
)

// Sizes from the protocol file.
const (
	// HeaderLen: Total_Length, Command_Id, Sequence_Id, 4 bytes each (§3).
	HeaderLen = 12

	// MaxDestUsr is the most recipients a Submit may carry. The CMPP text
	// says "< 100", SGIP/SMGP "≤ 100"; we accept 1–100 (§7.1, §15).
	MaxDestUsr = 100

	// MaxSubmitLen2x and MaxSubmitLen30 are the largest legal Submit
	// packets, 138 + 21·N + L (§7.2) and 163 + 32·N + L (§7.1) with
	// N = 100 recipients and L = 255 bytes: 2493 and 3618, both below
	// codec.DefaultMaxFrameSize.
	MaxSubmitLen2x = 138 + 21*MaxDestUsr + 255
	MaxSubmitLen30 = 163 + 32*MaxDestUsr + 255
)

// Header is the 12-byte CMPP header (§3).
type Header struct {
	TotalLength uint32    `json:"Total_Length,string"`
	CommandID   CommandID `json:"Command_Id"`
	SequenceID  uint32    `json:"Sequence_Id,string"`
}

// DecodeHeader reads the header at the start of frame. It fails with a
// *codec.FieldError naming the field when frame is shorter than HeaderLen;
// it does not check Total_Length against len(frame) (Decode does).
func DecodeHeader(frame []byte) (Header, error) {
	r := codec.NewReader(frame, "cmpp", 0)
	h := Header{
		TotalLength: r.Uint32("Total_Length"),
		CommandID:   CommandID(r.Uint32("Command_Id")),
		SequenceID:  r.Uint32("Sequence_Id"),
	}
	return h, r.Err()
}

// AppendHeader appends h as 12 bytes.
func AppendHeader(dst []byte, h Header) []byte {
	dst = codec.AppendUint32(dst, h.TotalLength)
	dst = codec.AppendUint32(dst, uint32(h.CommandID))
	return codec.AppendUint32(dst, h.SequenceID)
}

// NewFramer returns the frame splitter for a CMPP connection. maxFrameSize
// 0 means codec.DefaultMaxFrameSize (above MaxSubmitLen30).
func NewFramer(maxFrameSize int) codec.Framer {
	return codec.Framer{Protocol: "cmpp", HeaderLen: HeaderLen, MaxFrameSize: maxFrameSize}
}

// SetSequence rewrites the header's Sequence_Id in place. frame must hold at
// least HeaderLen bytes (every frame the Framer returns does). Does not
// allocate. Call it from the goroutine that owns frame.
func SetSequence(frame []byte, seq uint32) {
	binary.BigEndian.PutUint32(frame[8:HeaderLen], seq)
}

// SequenceOf reads the header's Sequence_Id. frame must hold at least
// HeaderLen bytes.
func SequenceOf(frame []byte) uint32 {
	return binary.BigEndian.Uint32(frame[8:HeaderLen])
}
