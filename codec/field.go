package codec

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
)

// Reader walks the fields of one frame in order, the way the spec's field
// tables read: one call per row. The first failure sticks: later calls
// return zero values and Err reports the field where decoding stopped. The
// happy path does not allocate; byte fields are sub-slices of the frame.
//
//	r := codec.NewReader(frame, "cmpp3 CMPP_SUBMIT", cmpp.HeaderLen)
//	p.MsgID = r.Uint64("Msg_Id")
//	p.PkTotal = r.Uint8("Pk_total")
//	...
//	return r.Err()
type Reader struct {
	b   []byte
	off int
	pdu string
	err *FieldError
}

// NewReader starts reading frame at offset start (usually the header length).
func NewReader(frame []byte, pdu string, start int) Reader {
	return Reader{b: frame, off: start, pdu: pdu}
}

// Offset is the position of the next field inside the frame.
func (r *Reader) Offset() int { return r.off }

// Len is the number of unread bytes.
func (r *Reader) Len() int {
	if r.err != nil || r.off > len(r.b) {
		return 0
	}
	return len(r.b) - r.off
}

// Err returns the first failure as a *FieldError, or nil.
func (r *Reader) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// Failed reports whether a field has failed.
func (r *Reader) Failed() bool { return r.err != nil }

// Fail records err for field (index -1 when not repeated) at the current
// offset unless an earlier failure is already recorded.
func (r *Reader) Fail(field string, index int, value int64, err error) {
	if r.err == nil {
		r.err = &FieldError{PDU: r.pdu, Field: field, Index: index, Offset: r.off, Value: value, Err: err}
	}
}

func (r *Reader) need(field string, index, n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b)-r.off < n {
		r.Fail(field, index, int64(n), ErrShortFrame)
		return false
	}
	return true
}

// Uint8 reads a 1-byte integer.
func (r *Reader) Uint8(field string) uint8 {
	if !r.need(field, -1, 1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

// Uint16 reads a 2-byte big-endian integer.
func (r *Reader) Uint16(field string) uint16 {
	if !r.need(field, -1, 2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

// Uint32 reads a 4-byte big-endian integer.
func (r *Reader) Uint32(field string) uint32 {
	if !r.need(field, -1, 4) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// Uint64 reads an 8-byte big-endian integer.
func (r *Reader) Uint64(field string) uint64 {
	if !r.need(field, -1, 8) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

// Bytes returns the next n bytes as a sub-slice of the frame (no copy).
func (r *Reader) Bytes(field string, n int) []byte {
	return r.BytesAt(field, -1, n)
}

// BytesAt is Bytes for element index of a repeated field.
func (r *Reader) BytesAt(field string, index, n int) []byte {
	if !r.need(field, index, n) {
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

// Text reads a fixed-width Octet String of n bytes and returns it with the
// NUL padding removed, as a new string (this allocates; the hot path uses
// Bytes and TrimNUL instead).
func (r *Reader) Text(field string, n int) string {
	return string(TrimNUL(r.Bytes(field, n)))
}

// TextAt is Text for element index of a repeated field.
func (r *Reader) TextAt(field string, index, n int) string {
	return string(TrimNUL(r.BytesAt(field, index, n)))
}

// Rest returns every unread byte (no copy) and moves to the end.
func (r *Reader) Rest() []byte {
	if r.err != nil || r.off >= len(r.b) {
		return nil
	}
	v := r.b[r.off:len(r.b):len(r.b)]
	r.off = len(r.b)
	return v
}

// CString reads a C-Octet String, SMPP's variable-width text field: the
// bytes up to a NUL terminator, at most max bytes in all, NUL included (the
// "max" of SMPP 3.4's tables counts the NUL, so an empty value is the one
// byte 0x00). It returns the bytes before the NUL as a sub-slice of the
// frame (no copy) and moves past the NUL. A string that runs past the end
// of the frame fails with ErrShortFrame; one with no NUL within max bytes
// with ErrBadValue, its length (NUL included, or the bytes scanned when
// there is no NUL) as the value. Either failure names the field at its
// first byte.
func (r *Reader) CString(field string, max int) []byte {
	if r.err != nil {
		return nil
	}
	rest := r.b[r.off:]
	// A plain loop: these strings are a few bytes to 65, where
	// bytes.IndexByte's setup costs more than it saves (measured with
	// codec/smpp's BenchmarkParseViewSubmit: 5 strings a submit_sm).
	for i, c := range rest[:min(len(rest), max)] {
		if c == 0 {
			r.off += i + 1
			return rest[:i:i]
		}
	}
	if len(rest) < max {
		r.Fail(field, -1, int64(len(rest)), ErrShortFrame)
		return nil
	}
	n := len(rest)
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		n = i + 1
	}
	r.Fail(field, -1, int64(n), ErrBadValue)
	return nil
}

// TrimNUL cuts a fixed-width text field at its first NUL byte. Carrier fields
// are left-aligned and NUL-padded on the right, and not necessarily
// NUL-terminated when full (docs/protocols/sgip12.md §1,
// docs/protocols/cmpp.md §1).
//
// The fields are short (6 to 32 bytes) and read for every Submit: they are
// scanned a word at a time here, where bytes.IndexByte's call and set-up
// for vector loads cost more than the scan.
func TrimNUL(b []byte) []byte {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// The lowest byte set in z is w's first zero byte (a zero byte
		// can only make bytes above it look zero too).
		if z := (w - 0x0101010101010101) &^ w & 0x8080808080808080; z != 0 {
			return b[:i+bits.TrailingZeros64(z)/8]
		}
	}
	for ; i < len(b); i++ {
		if b[i] == 0 {
			return b[:i]
		}
	}
	return b
}

// AppendUint8 appends a 1-byte integer.
func AppendUint8(dst []byte, v uint8) []byte { return append(dst, v) }

// AppendUint16 appends a 2-byte big-endian integer.
func AppendUint16(dst []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(dst, v) }

// AppendUint32 appends a 4-byte big-endian integer.
func AppendUint32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

// AppendUint64 appends an 8-byte big-endian integer.
func AppendUint64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

// AppendText appends s as a fixed-width Octet String of n bytes: left-aligned,
// NUL-padded on the right, cut at n when longer. Does not allocate.
func AppendText(dst []byte, s string, n int) []byte {
	if len(s) > n {
		s = s[:n]
	}
	dst = append(dst, s...)
	return AppendZeros(dst, n-len(s))
}

// AppendFixed is AppendText for a byte slice.
func AppendFixed(dst []byte, b []byte, n int) []byte {
	if len(b) > n {
		b = b[:n]
	}
	dst = append(dst, b...)
	return AppendZeros(dst, n-len(b))
}

var zeros [256]byte

// AppendZeros appends n zero bytes.
func AppendZeros(dst []byte, n int) []byte {
	for n > len(zeros) {
		dst = append(dst, zeros[:]...)
		n -= len(zeros)
	}
	if n > 0 {
		dst = append(dst, zeros[:n]...)
	}
	return dst
}

// AppendCString appends s as a C-Octet String of at most max bytes, NUL
// included: s is cut at its first NUL and at max-1 bytes, so the field is
// always one a decoder can read back. Does not allocate.
func AppendCString(dst []byte, s string, max int) []byte {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if max > 0 && len(s) > max-1 {
		s = s[:max-1]
	}
	dst = append(dst, s...)
	return append(dst, 0)
}

// Hex32 formats v as "0x" and eight hex digits: how the protocol packages
// print a command id or status their spec does not define.
func Hex32(v uint32) string {
	var b [10]byte
	s := strconv.AppendUint(b[:0], uint64(v), 16)
	out := make([]byte, 0, 10)
	out = append(out, "0x"...)
	for i := len(s); i < 8; i++ {
		out = append(out, '0')
	}
	return string(append(out, s...))
}
