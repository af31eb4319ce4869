package smgp

import (
	"encoding/hex"
	"errors"
	"strconv"
)

// MsgIDLen is the size of an SMGP MsgID (docs/protocols/smgp30.md §8).
const MsgIDLen = 10

// MsgID is the 10-byte message identity of Submit_Resp, Deliver, Deliver_Resp
// and of the Id inside a status report (docs/protocols/smgp30.md §8). It is
// meant to be packed BCD (SMGW code, MMDDHHMM, sequence), but field ids that
// are not BCD occur (0000ff06121423277475, 6495c36ac4ea6b00000b), so it is
// kept, compared and stored as the raw 10 bytes: never parsed as a decimal
// number and never cut at a 0x00 byte. It prints as 20 hex digits.
type MsgID [MsgIDLen]byte

// String renders id as 20 lower-case hex digits (for a BCD id: its digits).
func (id MsgID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText renders id as 20 hex digits (JSON, logs).
func (id MsgID) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, id[:]), nil }

// UnmarshalText reads 20 hex digits.
func (id *MsgID) UnmarshalText(b []byte) error { return unhexFixed(id[:], b, "smgp: MsgID") }

// ParseMsgID reads a MsgID from its 20 hex digits.
func ParseMsgID(s string) (MsgID, error) {
	var id MsgID
	err := id.UnmarshalText([]byte(s))
	return id, err
}

// MsgIDFrom copies a 10-byte slice (a View.MsgID, a report Id) into a MsgID.
// A shorter slice is NUL-padded, a longer one cut.
func MsgIDFrom(b []byte) MsgID {
	var id MsgID
	copy(id[:], b)
	return id
}

func unhexFixed(dst, src []byte, what string) error {
	if hex.DecodedLen(len(src)) != len(dst) {
		return errors.New(what + ": want " + strconv.Itoa(2*len(dst)) + " hex digits")
	}
	_, err := hex.Decode(dst, src)
	return err
}

// bcd reads packed BCD digits from b; ok is false when a nibble is above 9.
func bcd(b []byte) (v uint64, ok bool) {
	for _, x := range b {
		hi, lo := x>>4, x&0x0f
		if hi > 9 || lo > 9 {
			return 0, false
		}
		v = v*100 + uint64(hi)*10 + uint64(lo)
	}
	return v, true
}

// MsgIDAdd returns id with n added to its sequence part, the last 3 bytes.
// docs/protocols/smgp30.md §5: a group-send Submit_Resp MsgID stands for the
// range MsgID … MsgID+(count−1), one id per recipient, the sequence
// wrapping at 999999. Only the sequence changes: the SMGW code and MMDDHHMM
// stay.
//
// When the sequence part is packed BCD (6 digits) the addition is decimal,
// modulo 1 000 000. When it is not (ids seen in the field), the 3 bytes are
// added to as a 24-bit big-endian binary number, modulo 2^24, so that a
// gateway that counts in binary still gets consecutive ids. n may be
// negative.
func MsgIDAdd(id MsgID, n int) MsgID {
	seq := id[7:10]
	if v, ok := bcd(seq); ok {
		s := (int64(v) + int64(n%1000000) + 1000000) % 1000000
		for i := 2; i >= 0; i-- {
			d := s % 100
			s /= 100
			seq[i] = byte(d/10)<<4 | byte(d%10)
		}
		return id
	}
	v := uint32(seq[0])<<16 | uint32(seq[1])<<8 | uint32(seq[2])
	v = (v + uint32(n)) & 0xffffff
	seq[0], seq[1], seq[2] = byte(v>>16), byte(v>>8), byte(v)
	return id
}

// MsgIDParts are the three parts of a packed-BCD MsgID
// (docs/protocols/smgp30.md §8), for the decode tool.
type MsgIDParts struct {
	SMGW     string `json:"SMGWCode"` // 6 digits: area code (3) + device type (2, "06" = SMGW) + index (1)
	Time     string `json:"Time"`     // 8 digits: MMDDHHMM the SMGW received the message
	Sequence uint32 `json:"Sequence"` // 000000–999999
}

// Parts splits id into its SMGW code, receive time and sequence; ok is false
// when id is not 20 BCD digits (then only the raw bytes mean anything).
func (id MsgID) Parts() (p MsgIDParts, ok bool) {
	if _, ok := bcd(id[:]); !ok {
		return MsgIDParts{}, false
	}
	digits := id.String() // BCD digits are their own hex rendering
	seq, _ := bcd(id[7:])
	return MsgIDParts{SMGW: digits[0:6], Time: digits[6:14], Sequence: uint32(seq)}, true
}
