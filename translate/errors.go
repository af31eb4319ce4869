package translate

import (
	"errors"
	"strconv"

	"github.com/spsmg/spsmg/codec"
)

// Error is why a message cannot be translated. Class is how the SP is
// answered (Pair.RefusalResult).
type Error struct {
	Class codec.ResultClass
	// Field names the neutral field and the protocols, Value the value
	// that does not fit.
	Field string
	Value string
	Err   error
}

func (e *Error) Error() string {
	s := "translate: " + e.Field
	if e.Value != "" {
		s += " " + strconv.Quote(e.Value)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// The reasons a message cannot be translated.
var (
	// ErrTooLong: a part of a long message does not fit one short message
	// in the target's coding, or a message needs more than 255 parts.
	ErrTooLong = errors.New("does not fit")
	// ErrNoEquivalent: the target protocol has no way to say it (an SGIP
	// UserRpt, a Japanese SMPP coding).
	ErrNoEquivalent = errors.New("no equivalent in the target protocol")
)

// ClassOf is the result class of a translation error: an *Error's Class,
// ResultBadMessage for anything else (a frame the reader rejects).
func ClassOf(err error) codec.ResultClass {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	if err == nil {
		return codec.ResultOK
	}
	return codec.ResultBadMessage
}
