package codec

import "time"

// Timestamp renders t as the MMDDHHMMSS decimal integer that CMPP Connect,
// SMGP Login and the SGIP sequence use (e.g. Oct 21 08:05:10 → 1021080510).
func Timestamp(t time.Time) uint32 {
	_, mo, d := t.Date()
	h, mi, s := t.Clock()
	return uint32(mo)*100000000 + uint32(d)*1000000 + uint32(h)*10000 + uint32(mi)*100 + uint32(s)
}
