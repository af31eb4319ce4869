package authcache

import "hash/maphash"

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
		var v uint64
		for _, c := range norm {
			if c < '0' || c > '9' {
				return maphash.Bytes(userSeed, norm) | hashedUser, true
			}
			v = v*10 + uint64(c-'0')
		}
		return uint64(len(norm))<<57 | v, true
	}
	return maphash.Bytes(userSeed, norm) | hashedUser, true
}

// userKeyOf normalises a raw recipient field and packs it.
func userKeyOf(raw []byte) (uint64, bool) { return userKey(NormalizeMSISDN(raw)) }
