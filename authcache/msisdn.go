package authcache

import (
	"encoding/binary"
	"hash/maphash"
)

// NormalizeMSISDN returns the canonical form of a terminal number, the one
// every key uses, as a sub-slice of b (no copy, no allocation):
//
//  1. fixed-width padding is trimmed (trailing NULs and spaces, leading
//     spaces), as the protocols' octet-string fields carry it;
//  2. leading '+' (and spaces after it) are removed;
//  3. a leading "86" is removed when exactly 11 digits starting with '1'
//     remain (a mainland mobile number).
//
// SGIP numbers carry 86, CMPP/SMGP usually not, some peers send +86: all
// three forms of a user normalise to the same 11 digits. Other numbers
// (fixed lines, pseudo terminal ids) pass through unchanged after step 2.
// Normalising twice changes nothing (FuzzNormalizeMSISDN).
func NormalizeMSISDN(b []byte) []byte {
	b = trimField(b)
	for len(b) > 0 && (b[0] == '+' || b[0] == ' ') {
		b = b[1:]
	}
	if len(b) == 13 && b[0] == '8' && b[1] == '6' && b[2] == '1' && allDigits(b[2:]) {
		b = b[2:]
	}
	return b
}

// trimField removes the padding fixed-width protocol fields carry: trailing
// NULs and spaces, leading spaces.
func trimField(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// maxNumericUser is the longest all-digit number packed exactly into a
// userKey: 10^17 < 2^57, leaving 5 bits for the length (leading zeros
// matter) and the top bit free to mark hashed keys.
const maxNumericUser = 17

const hashedUser = 1 << 63

// userSeed hashes the rare non-numeric or over-long user ids. The in-memory
// layer is rebuilt from the store (which keeps the full number) at every
// Open, so a per-process seed is fine.
var userSeed = maphash.MakeSeed()

// userKey packs a normalised number into the compact, pointer-free uint64 the
// in-memory maps are keyed by: all-digit numbers of up to 17 digits exactly
// (length<<57 | value), anything else by a 63-bit hash with the top bit set.
// ok is false for an empty number.
func userKey(norm []byte) (k uint64, ok bool) {
	if len(norm) == 0 {
		return 0, false
	}
	if len(norm) <= maxNumericUser {
		if v, ok := decimal(norm); ok {
			return uint64(len(norm))<<57 | v, true
		}
	}
	return maphash.Bytes(userSeed, norm) | hashedUser, true
}

// decimal is the value of an all-digit b of at most 17 digits (ok false
// when b holds anything else). The first 8 digits of a longer number are
// converted at once (eight8): a digit at a time, the 11–13 digits of
// every recipient were one dependent multiply-add chain per Submit.
func decimal(b []byte) (v uint64, ok bool) {
	if len(b) > 8 {
		if v, ok = eight8(binary.LittleEndian.Uint64(b)); !ok {
			return 0, false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// eight8 converts 8 ASCII digits loaded little-endian (the first digit in
// the low byte) with three multiplications: pairs of digits, then pairs
// of pairs, then the two halves (the SWAR method for parsing integers
// described by Lemire and Mula).
func eight8(w uint64) (uint64, bool) {
	const hi, zeros, six = 0xF0F0F0F0F0F0F0F0, 0x3030303030303030, 0x0606060606060606
	// Every byte is '0'..'9': its high nibble is 3, and adding 6 keeps it 3.
	if w&hi != zeros || (w+six)&hi != zeros {
		return 0, false
	}
	w -= zeros
	w = (w * 10) + (w >> 8) // bytes 0,2,4,6: two digits each
	w = ((w & 0x000000FF000000FF) * (100 + (1000000 << 32))) + (((w >> 16) & 0x000000FF000000FF) * (1 + (10000 << 32)))
	return w >> 32, true
}

// userKeyOf normalises a raw recipient field and packs it.
func userKeyOf(raw []byte) (uint64, bool) { return userKey(NormalizeMSISDN(raw)) }
