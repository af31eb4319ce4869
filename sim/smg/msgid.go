package smg

import (
	"strconv"
	"time"

	"github.com/spsmg/spsmg/codec/smgp"
)

// idBlock is how many id counter values a connection takes from the
// server at a time, so that two connections on two cores do not contend
// on one atomic for every Submit.
const idBlock = 4096

// cmppGatewayMask covers the gateway and sequence parts of a Msg_Id
// (bits 37–0, cmpp.md §11).
const cmppGatewayMask = 1<<38 - 1

// cmppTimeBits renders t as the month…second bits of a Msg_Id (§11).
func cmppTimeBits(t time.Time) uint64 {
	_, mon, day := t.Date()
	h, m, s := t.Clock()
	return uint64(mon)<<60 | uint64(day)<<55 | uint64(h)<<50 | uint64(m)<<44 | uint64(s)<<38
}

// cmppID makes a Msg_Id from the time bits and a counter value:
// time | gateway<<16 | counter. The counter's low 16 bits are the spec's
// sequence; above 65,536 ids it carries into the gateway part, as
// cmpp.MsgIDAdd does, so ids stay unique at benchmark rates (a real ISMG
// never goes that fast).
func (s *Server) cmppID(timeBits, ctr uint64) uint64 {
	return timeBits | (s.gwBits+ctr)&cmppGatewayMask
}

// smgpPrefix renders the first 7 bytes of an SMGP MsgID: the SMGW code and
// the receive time MMDDHHMM, packed BCD (smgp30.md §8).
func (s *Server) smgpPrefix(t time.Time) (p [7]byte) {
	copy(p[:3], s.smgwBCD[:])
	_, mon, day := t.Date()
	h, m, _ := t.Clock()
	p[3], p[4], p[5], p[6] = bcd2(int(mon)), bcd2(day), bcd2(h), bcd2(m)
	return p
}

// smgpID completes a MsgID with the counter as its 6-digit sequence,
// which wraps at 999999 (smgp30.md §8): ids are unique for a million a
// minute, the format's own limit.
func smgpID(prefix [7]byte, ctr uint64) (id smgp.MsgID) {
	copy(id[:7], prefix[:])
	seq := int(ctr % 1_000_000)
	id[7], id[8], id[9] = bcd2(seq/10000), bcd2(seq/100%100), bcd2(seq%100)
	return id
}

// bcd2 packs 0–99 into one BCD byte.
func bcd2(v int) byte { return byte(v/10)<<4 | byte(v%10) }

// bcdCode packs a 6-digit code into 3 BCD bytes.
func bcdCode(code string) (b [3]byte) {
	for i := range 3 {
		b[i] = (code[2*i]-'0')<<4 | (code[2*i+1] - '0')
	}
	return b
}

// gatewayBits is a 6-digit code as the gateway part of a Msg_Id.
func gatewayBits(code string) uint64 {
	n, _ := strconv.Atoi(code) // normalize checked the digits
	return uint64(n) << 16
}

// reportTime renders t as YYMMDDhhmm (CMPP Submit_time/Done_time, SMGP
// submit date/done date).
func reportTime(t time.Time) string {
	return t.Format("0601021504")
}
