package sgip

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// SequenceLen is the size of an SGIP sequence number on the wire.
const SequenceLen = 12

// Sequence is the 12-byte SGIP sequence number (docs/protocols/sgip12.md §3):
// the node id of the command's source, the decimal MMDDhhmmss time it was
// made, and a counter. A response carries its request's sequence unchanged, a
// command forwarded along a path keeps it, and a Submit's sequence is the
// message's identity: the Report on it quotes it as SubmitSequenceNumber.
type Sequence struct {
	Node    uint32 `json:"NodeId,string"`  // e.g. 3075512345: SP, area 0755, corp 12345
	Time    uint32 `json:"Time,string"`    // MMDDhhmmss as a decimal number, e.g. 1120203225
	Counter uint32 `json:"Counter,string"` // starts at 0, wraps
}

// String renders s as "node-time-counter", e.g. "3075512345-1120203225-1".
func (s Sequence) String() string {
	var b [32]byte
	return string(s.AppendString(b[:0]))
}

// AppendString appends the "node-time-counter" rendering of s to dst without
// allocating (for logs written into a reused buffer).
func (s Sequence) AppendString(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(s.Node), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, uint64(s.Time), 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, uint64(s.Counter), 10)
}

// AppendSequence appends the 12 wire bytes of s: three big-endian uint32.
func AppendSequence(dst []byte, s Sequence) []byte {
	dst = codec.AppendUint32(dst, s.Node)
	dst = codec.AppendUint32(dst, s.Time)
	return codec.AppendUint32(dst, s.Counter)
}

// PutSequence writes s into b[:12] in place, e.g. into the header slot
// codec.View.Sequence or a Report's SubmitSequenceNumber
// (codec.View.ReportMsgID). b shorter than 12 bytes panics.
func PutSequence(b []byte, s Sequence) {
	_ = b[SequenceLen-1]
	binary.BigEndian.PutUint32(b[0:], s.Node)
	binary.BigEndian.PutUint32(b[4:], s.Time)
	binary.BigEndian.PutUint32(b[8:], s.Counter)
}

// DecodeSequence reads a sequence from b[:12] (b shorter than 12 panics).
func DecodeSequence(b []byte) Sequence {
	_ = b[SequenceLen-1]
	return Sequence{
		Node:    binary.BigEndian.Uint32(b[0:]),
		Time:    binary.BigEndian.Uint32(b[4:]),
		Counter: binary.BigEndian.Uint32(b[8:]),
	}
}

// readSequence reads the three integers of a sequence field.
func readSequence(r *codec.Reader, field string) Sequence {
	b := r.Bytes(field, SequenceLen)
	if b == nil {
		return Sequence{}
	}
	return DecodeSequence(b)
}

// SequenceGenerator makes the sequence numbers of the commands one node
// originates: [Node, MMDDhhmmss from Now, counter]. The counter starts at 0,
// increments by one per Next and wraps at 2³² (docs/protocols/sgip12.md §3).
//
// A generator is not safe for concurrent use: one goroutine (one event
// loop) owns it. Two generators with the same Node running side by side can
// hand out the same sequence within one second; give each its own Node or
// share one generator behind the owner's lock.
type SequenceGenerator struct {
	Node    uint32
	Now     func() time.Time // the clock; nil means time.Now
	counter uint32
}

// NewSequenceGenerator returns a generator for node (see NodeID) reading
// the time from now (nil: time.Now).
func NewSequenceGenerator(node uint32, now func() time.Time) *SequenceGenerator {
	return &SequenceGenerator{Node: node, Now: now}
}

// Next returns the next sequence. It does not allocate.
func (g *SequenceGenerator) Next() Sequence {
	now := g.Now
	if now == nil {
		now = time.Now
	}
	s := Sequence{Node: g.Node, Time: codec.Timestamp(now()), Counter: g.counter}
	g.counter++
	return s
}

// NodeID builds the node id of an SP (docs/protocols/sgip12.md §3 and the
// rule of boxtsecond/gosgip, §10): "3" + the long-distance area code
// left-aligned in 4 digits, right-padded with 0 + the 5-digit corp id.
//
//	NodeID("0755", 12345) = 3075512345   // 3 0755 12345
//	NodeID("010", 12345)  = 3010012345   // 3 0100 12345
//
// areaCode must be 3 or 4 decimal digits starting with 0; corpID 0–99999.
// Otherwise the error is a *codec.FieldError wrapping codec.ErrBadValue.
func NodeID(areaCode string, corpID int) (uint32, error) {
	if corpID < 0 || corpID > 99999 {
		return 0, &codec.FieldError{PDU: "sgip NodeID", Field: "corpID", Index: -1, Value: int64(corpID), Err: codec.ErrBadValue}
	}
	if len(areaCode) < 3 || len(areaCode) > 4 || areaCode[0] != '0' {
		return 0, &codec.FieldError{PDU: "sgip NodeID", Field: "areaCode " + strconv.Quote(areaCode), Index: -1, Value: int64(len(areaCode)), Err: codec.ErrBadValue}
	}
	area := uint32(0)
	for i := range 4 {
		d := uint32(0) // right-padded with 0 when the code has 3 digits
		if i < len(areaCode) {
			c := areaCode[i]
			if c < '0' || c > '9' {
				return 0, &codec.FieldError{PDU: "sgip NodeID", Field: "areaCode " + strconv.Quote(areaCode), Index: i, Value: int64(c), Err: codec.ErrBadValue}
			}
			d = uint32(c - '0')
		}
		area = area*10 + d
	}
	return 3_000_000_000 + area*100_000 + uint32(corpID), nil
}
