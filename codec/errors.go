package codec

import (
	"errors"
	"strconv"
)

// Sentinel errors. Callers act on them with errors.Is; every error a
// protocol decoder returns wraps one of these in a *FieldError that names
// the PDU, the field and its offset.
var (
	// ErrShortFrame: the bytes end before a field does (truncated body,
	// truncated TLV, a count that runs past the frame).
	ErrShortFrame = errors.New("codec: short frame")

	// ErrFrameTooLarge: a Total_Length above the configured MaxFrameSize.
	// Checked as soon as the 4 length bytes are in, before the body is
	// buffered (nats overMaxControlLineLimit).
	ErrFrameTooLarge = errors.New("codec: frame too large")

	// ErrFrameTooSmall: a Total_Length below the protocol's header length.
	ErrFrameTooSmall = errors.New("codec: frame length below header length")

	// ErrUnknownCommand: a command id the protocol package does not decode.
	ErrUnknownCommand = errors.New("codec: unknown command")

	// ErrBadValue: a field holds a value outside what the protocol allows
	// (a recipient count of 0, a length that disagrees with the frame).
	ErrBadValue = errors.New("codec: bad field value")

	// ErrTrailingBytes: the frame is longer than its body layout. Decoders
	// that must preserve trailing bytes (SGIP carrier variants) do not use it.
	ErrTrailingBytes = errors.New("codec: trailing bytes after body")

	// ErrNoRecipients and ErrTooManyRecipients: a Submit's recipient count
	// (CMPP DestUsr_tl, SGIP UserCount, SMGP DestTermIDCount) is 0, or above
	// the 100 every protocol allows. Both are ErrBadValue too (errors.Is
	// holds for either), and tell the proxy to answer with a recipient
	// result rather than "malformed".
	ErrNoRecipients      error = badValue("codec: bad field value: no recipients")
	ErrTooManyRecipients error = badValue("codec: bad field value: more than 100 recipients")

	// ErrWrongCommand: a Dialect reader was handed a frame of another
	// command (DecodeLogin given a Submit, DecodeDelivery given a Submit_Resp).
	ErrWrongCommand = errors.New("codec: not the command expected")

	// ErrNoReportBody: the protocol carries status reports in a command of
	// their own (SGIP Report), not as a body inside a Deliver.
	ErrNoReportBody = errors.New("codec: the protocol has no report body")
)

// badValue is a sentinel that is also ErrBadValue.
type badValue string

func (e badValue) Error() string      { return string(e) }
func (badValue) Is(target error) bool { return target == ErrBadValue }

// RecipientCountError returns the sentinel for a Submit's recipient count
// n: ErrNoRecipients for 0, ErrTooManyRecipients above max, nil otherwise.
// Protocol decoders fail the count field with it.
func RecipientCountError(n, max int) error {
	switch {
	case n <= 0:
		return ErrNoRecipients
	case n > max:
		return ErrTooManyRecipients
	}
	return nil
}

// FieldError says where decoding stopped: which PDU, which field, at which
// offset inside the frame. It unwraps to one of the sentinels above, so
// errors.Is(err, codec.ErrShortFrame) holds.
//
// Example message:
//
//	cmpp3 CMPP_SUBMIT: Dest_terminal_Id[2] at offset 205: codec: short frame
type FieldError struct {
	PDU    string // protocol and command, e.g. "cmpp3 CMPP_SUBMIT"
	Field  string // the spec's field name, e.g. "Dest_terminal_Id"
	Index  int    // element index for repeated fields, -1 otherwise
	Offset int    // offset of the field inside the frame (header included)
	Value  int64  // the offending value when Err is ErrBadValue / length errors
	Err    error  // one of the sentinels
}

func (e *FieldError) Error() string {
	b := make([]byte, 0, 96)
	if e.PDU != "" {
		b = append(b, e.PDU...)
		b = append(b, ": "...)
	}
	b = append(b, e.Field...)
	if e.Index >= 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(e.Index), 10)
		b = append(b, ']')
	}
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	if errors.Is(e.Err, ErrBadValue) || e.Err == ErrFrameTooLarge || e.Err == ErrFrameTooSmall {
		b = append(b, " (value "...)
		b = strconv.AppendInt(b, e.Value, 10)
		b = append(b, ')')
	}
	b = append(b, ": "...)
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

func (e *FieldError) Unwrap() error { return e.Err }
