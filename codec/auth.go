package codec

import (
	"crypto/md5"
	"strconv"
)

// LoginDigest computes the MD5 login authenticator that CMPP and SMGP share:
//
//	MD5( id | zeros × 0x00 | secret | ts10 )
//
// with ts10 the MMDDHHMMSS timestamp as exactly 10 ASCII digits, zero-padded
// on the left. CMPP's AuthenticatorSource uses 9 zeros
// (docs/protocols/cmpp.md §5), SMGP's AuthenticatorClient 7
// (docs/protocols/smgp30.md §3). id is hashed as given: callers that accept
// both the raw account and its NUL-padded wire field call this twice (the
// sources disagree, docs/protocols/README.md §5).
func LoginDigest(id []byte, zeros int, secret []byte, timestamp uint32) [16]byte {
	var buf [128]byte
	b := append(buf[:0], id...)
	b = AppendZeros(b, zeros)
	b = append(b, secret...)
	b = AppendTimestamp10(b, timestamp)
	return md5.Sum(b)
}

// ResponseDigest computes the server's answer authenticator that CMPP
// (AuthenticatorISMG) and SMGP (AuthenticatorServer) share:
//
//	MD5( status | client authenticator | secret )
//
// status is the status field in the width the caller chooses (1 or 4 bytes,
// see the disagreements in docs/protocols/README.md §5).
func ResponseDigest(status []byte, clientAuth []byte, secret []byte) [16]byte {
	var buf [128]byte
	b := append(buf[:0], status...)
	b = append(b, clientAuth...)
	b = append(b, secret...)
	return md5.Sum(b)
}

// AppendTimestamp10 appends ts as exactly 10 decimal digits ("%010d").
func AppendTimestamp10(dst []byte, ts uint32) []byte {
	var d [10]byte
	s := strconv.AppendUint(d[:0], uint64(ts), 10)
	for i := len(s); i < 10; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
