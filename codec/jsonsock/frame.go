// Package jsonsock is the wire format of the JSON socket protocol that
// merchant systems use to send short messages through spsmg and to receive
// their status reports: a short text header (a 6-digit length, a 4-letter
// command, and on requests a 15-byte appid and appsecret) followed by a
// JSON body. README.md in this directory describes the format in full and
// the choices made where the protocol's own description contradicts
// itself.
//
//	request:  LLLLLL CCCC AAAAAAAAAAAAAAA SSSSSSSSSSSSSSS {json}
//	response: LLLLLL CCCC {json}
//
// Split cuts one frame from a byte stream; AppendRequest and AppendResponse
// write one; DecodeSend / DecodeReport / DecodeStatus read the bodies into
// explicit structs and check every field, and AppendSend / AppendReport /
// AppendStatus write them. Like the other codecs it does no I/O, no
// logging and no metrics.
package jsonsock

import (
	"crypto/subtle"
	"errors"
	"fmt"
)

// Sizes of the header fields.
const (
	LengthSize  = 6  // Total_length: ASCII decimal digits, zero-padded on the left
	CommandSize = 4  // Command_Id: A001, B001, A002, B002
	FieldSize   = 15 // appid and appsecret, each
	// RequestHeaderSize: length, command, appid, appsecret.
	RequestHeaderSize = LengthSize + CommandSize + 2*FieldSize
	// ResponseHeaderSize: length, command.
	ResponseHeaderSize = LengthSize + CommandSize
	// MaxLength is the largest length six digits can say.
	MaxLength = 999999
	// DefaultMaxBody is the body limit a listener should start from: a
	// request of 100 messages of 500 characters is under 64 KB.
	DefaultMaxBody = 64 << 10
)

// Command is a Command_Id.
type Command uint8

const (
	CmdUnknown    Command = iota
	CmdSend               // A001: the merchant sends messages (request)
	CmdSendResp           // B001: spsmg's answer to A001
	CmdReport             // A002: spsmg pushes a status report to the merchant (request)
	CmdReportResp         // B002: the merchant's answer to A002
)

var commandIDs = [...]string{CmdUnknown: "????", CmdSend: "A001", CmdSendResp: "B001", CmdReport: "A002", CmdReportResp: "B002"}

// String is the 4-character Command_Id.
func (c Command) String() string {
	if int(c) < len(commandIDs) {
		return commandIDs[c]
	}
	return "????"
}

// IsRequest: A-commands are requests and carry appid and appsecret;
// B-commands are responses and do not.
func (c Command) IsRequest() bool { return c == CmdSend || c == CmdReport }

// Response is the command that answers c (A001 → B001, A002 → B002).
func (c Command) Response() Command {
	switch c {
	case CmdSend:
		return CmdSendResp
	case CmdReport:
		return CmdReportResp
	}
	return CmdUnknown
}

func parseCommand(b []byte) Command {
	if len(b) == CommandSize {
		for c := CmdSend; c <= CmdReportResp; c++ {
			if string(b) == commandIDs[c] {
				return c
			}
		}
	}
	return CmdUnknown
}

// Errors. Those of Split wrap ErrFrame (the connection cannot go on); a
// body's errors wrap ErrBody and name the field.
var (
	// ErrIncomplete: more bytes are needed; not an error of the peer.
	ErrIncomplete   = errors.New("jsonsock: incomplete frame")
	ErrFrame        = errors.New("jsonsock: bad frame")
	ErrBadLength    = fmt.Errorf("%w: Total_length is not %d decimal digits", ErrFrame, LengthSize)
	ErrTooLarge     = fmt.Errorf("%w: Total_length above the limit", ErrFrame)
	ErrCommand      = fmt.Errorf("%w: unknown Command_Id", ErrFrame)
	ErrBody         = errors.New("jsonsock: bad body")
	ErrFieldTooLong = errors.New("jsonsock: value longer than its 15-byte field")
)

// Field is an appid or appsecret as it travels: 15 bytes.
type Field [FieldSize]byte

// PadField writes s as the protocol writes a short string in a fixed
// field: right-aligned, padded on the left with '0'.
func PadField(s string) (Field, error) {
	var f Field
	if len(s) > FieldSize {
		return f, fmt.Errorf("%w: %d bytes", ErrFieldTooLong, len(s))
	}
	n := FieldSize - len(s)
	for i := 0; i < n; i++ {
		f[i] = '0'
	}
	copy(f[n:], s)
	return f, nil
}

// Match reports, in time that does not depend on where they differ,
// whether f holds want: left-padded with '0' (the protocol's rule) or with
// spaces, or left-aligned and padded with spaces or NULs (what clients
// that ignore the rule send). A value of more than 15 bytes never matches.
// Values that differ only by leading zeros are the same value under the
// protocol's rule.
func (f *Field) Match(want string) bool {
	if len(want) > FieldSize {
		return false
	}
	var forms [4]Field
	n := FieldSize - len(want)
	for i := 0; i < FieldSize; i++ {
		if i < n {
			forms[0][i], forms[1][i] = '0', ' '
		}
		if i >= len(want) {
			forms[2][i], forms[3][i] = ' ', 0
		}
	}
	copy(forms[0][n:], want)
	copy(forms[1][n:], want)
	copy(forms[2][:], want)
	copy(forms[3][:], want)
	ok := 0
	for i := range forms {
		ok |= subtle.ConstantTimeCompare(f[:], forms[i][:])
	}
	return ok == 1
}

// Frame is one split frame. Body aliases the input of Split.
type Frame struct {
	Command   Command
	AppID     Field // requests only
	AppSecret Field // requests only
	Body      []byte
}

// Splitter cuts frames from a stream.
type Splitter struct {
	// MaxBody bounds the JSON body (at most MaxLength); checked as soon as
	// the six length digits are in, before the body is waited for. 0 means
	// DefaultMaxBody.
	MaxBody int
	// LengthCoversHeader: Total_length counts the command, appid and
	// appsecret too, not only the JSON (for clients that read the
	// protocol's field name literally; the default follows its text, which
	// counts the JSON only).
	LengthCoversHeader bool
}

// Split reads one frame from the start of b and returns it with the number
// of bytes it took. With too few bytes it returns ErrIncomplete (consumed
// 0); a frame that can never be read returns an error wrapping ErrFrame
// that names the field and the value.
func (s Splitter) Split(b []byte) (f Frame, n int, err error) {
	if len(b) < LengthSize {
		return f, 0, ErrIncomplete
	}
	length := 0
	for _, c := range b[:LengthSize] {
		if c < '0' || c > '9' {
			return f, 0, fmt.Errorf("%w: %q", ErrBadLength, b[:LengthSize])
		}
		length = length*10 + int(c-'0')
	}
	max := s.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	// The limit is checked on the six digits alone: a stranger cannot make
	// a listener wait for (and buffer) a body it will refuse.
	slack := 0
	if s.LengthCoversHeader {
		slack = RequestHeaderSize - LengthSize
	}
	if length > max+slack {
		return f, 0, fmt.Errorf("%w: %06d bytes, limit %d", ErrTooLarge, length, max)
	}
	if len(b) < ResponseHeaderSize {
		return f, 0, ErrIncomplete
	}
	f.Command = parseCommand(b[LengthSize:ResponseHeaderSize])
	if f.Command == CmdUnknown {
		return f, 0, fmt.Errorf("%w: %q", ErrCommand, b[LengthSize:ResponseHeaderSize])
	}
	header := ResponseHeaderSize
	if f.Command.IsRequest() {
		header = RequestHeaderSize
	}
	body := length
	if s.LengthCoversHeader {
		body = length - (header - LengthSize)
		if body < 0 {
			return f, 0, fmt.Errorf("%w: %06d is shorter than the %s header that it covers", ErrBadLength, length, f.Command)
		}
	}
	if body > max {
		return f, 0, fmt.Errorf("%w: %06d bytes of %s body, limit %d", ErrTooLarge, length, f.Command, max)
	}
	if len(b) < header+body {
		return f, 0, ErrIncomplete
	}
	if f.Command.IsRequest() {
		copy(f.AppID[:], b[ResponseHeaderSize:ResponseHeaderSize+FieldSize])
		copy(f.AppSecret[:], b[ResponseHeaderSize+FieldSize:RequestHeaderSize])
	}
	f.Body = b[header : header+body : header+body]
	return f, header + body, nil
}

// AppendRequest appends an A-command frame.
func AppendRequest(dst []byte, c Command, appID, appSecret string, body []byte) ([]byte, error) {
	if !c.IsRequest() {
		return dst, fmt.Errorf("jsonsock: %s is not a request", c)
	}
	id, err := PadField(appID)
	if err != nil {
		return dst, fmt.Errorf("appid: %w", err)
	}
	secret, err := PadField(appSecret)
	if err != nil {
		return dst, fmt.Errorf("appsecret: %w", err)
	}
	if len(body) > MaxLength {
		return dst, fmt.Errorf("%w: a %d-byte body does not fit six digits", ErrTooLarge, len(body))
	}
	dst = appendLength(dst, len(body))
	dst = append(dst, c.String()...)
	dst = append(dst, id[:]...)
	dst = append(dst, secret[:]...)
	return append(dst, body...), nil
}

// AppendResponse appends a B-command frame.
func AppendResponse(dst []byte, c Command, body []byte) ([]byte, error) {
	if c.IsRequest() || c == CmdUnknown {
		return dst, fmt.Errorf("jsonsock: %s is not a response", c)
	}
	if len(body) > MaxLength {
		return dst, fmt.Errorf("%w: a %d-byte body does not fit six digits", ErrTooLarge, len(body))
	}
	dst = appendLength(dst, len(body))
	dst = append(dst, c.String()...)
	return append(dst, body...), nil
}

func appendLength(dst []byte, n int) []byte {
	var d [LengthSize]byte
	for i := LengthSize - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, d[:]...)
}
