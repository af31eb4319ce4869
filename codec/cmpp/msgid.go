package cmpp

import "strconv"

// MsgIDAdd returns the id of recipient n (0-based) of a Submit answered with
// id: for N recipients the Submit_Resp Msg_Id covers the range Msg_Id …
// Msg_Id+N−1, one id per recipient in Dest_terminal_Id order, and the status
// reports carry those ids (docs/protocols/cmpp.md §8). Plain 64-bit addition:
// a carry out of the 16-bit sequence part runs into the gateway part, as it
// does at the ISMG.
func MsgIDAdd(id uint64, n int) uint64 { return id + uint64(n) }

// MsgIDParts is Msg_Id split into the fields of §11 (bit 63 = MSB):
//
//	month 4 | day 5 | hour 5 | minute 6 | second 6 | gateway 22 | sequence 16
//
// Gateways that do not follow the layout exist: correlate on the whole
// 8 bytes and use this for display only.
type MsgIDParts struct {
	Month   uint8  `json:"month"`
	Day     uint8  `json:"day"`
	Hour    uint8  `json:"hour"`
	Minute  uint8  `json:"minute"`
	Second  uint8  `json:"second"`
	Gateway uint32 `json:"gateway"` // ISMG code as an integer, e.g. "079101" → 79101
	Seq     uint16 `json:"seq"`
}

// DecodeMsgID splits id (§11). Example: 0xb2b9da8000010000 → month 11,
// day 5, 14:29:42, gateway 1, seq 0.
func DecodeMsgID(id uint64) MsgIDParts {
	return MsgIDParts{
		Month:   uint8(id >> 60 & 0xf),
		Day:     uint8(id >> 55 & 0x1f),
		Hour:    uint8(id >> 50 & 0x1f),
		Minute:  uint8(id >> 44 & 0x3f),
		Second:  uint8(id >> 38 & 0x3f),
		Gateway: uint32(id >> 16 & 0x3fffff),
		Seq:     uint16(id),
	}
}

// MsgID packs p back into an id; out-of-range parts are cut to their width.
func (p MsgIDParts) MsgID() uint64 {
	return uint64(p.Month&0xf)<<60 | uint64(p.Day&0x1f)<<55 | uint64(p.Hour&0x1f)<<50 |
		uint64(p.Minute&0x3f)<<44 | uint64(p.Second&0x3f)<<38 | uint64(p.Gateway&0x3fffff)<<16 | uint64(p.Seq)
}

// String renders the common text form of §11, fixed width: MMDDHHMMSS,
// the gateway as 7 digits, the sequence as 5, e.g.
// "1105142942000000100000" for 0xb2b9da8000010000.
func (p MsgIDParts) String() string {
	b := make([]byte, 0, 22)
	for _, v := range [...]uint8{p.Month, p.Day, p.Hour, p.Minute, p.Second} {
		b = append(b, '0'+v/10%10, '0'+v%10)
	}
	b = appendPadded(b, uint64(p.Gateway), 7)
	b = appendPadded(b, uint64(p.Seq), 5)
	return string(b)
}

func appendPadded(b []byte, v uint64, width int) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
