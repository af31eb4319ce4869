package jsonsock

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MsgType is an A001 message's msgtype.
const (
	MsgTypeNotice       = "1" // a notice: spsmg retries it up to 3 times when the carrier fails it
	MsgTypeVerification = "2" // a verification code: never retried
)

// Status values of A002 (and, by the same convention, of B001 and B002).
const (
	StatusSuccess = "1"
	StatusFailure = "2"
)

// Limits of the bodies.
const (
	// MaxMessages in one A001 request ("a merchant may send several
	// messages at once": the body is then a JSON array).
	MaxMessages = 100
	// MaxPhoneLen: the carriers' recipient fields are 21 bytes.
	MaxPhoneLen = 21
	// MaxIDLen bounds msgid.
	MaxIDLen = 64
	// MaxStatLen bounds an A002 stat (the carriers' Stat is 7 characters;
	// room for longer vendor texts).
	MaxStatLen = 64
)

// Message is one short message of an A001 request.
type Message struct {
	Phone   string `json:"phone"`   // the recipient: digits, optionally a leading '+'
	Message string `json:"message"` // the text, UTF-8; a long text is split into parts by the gateway
	// SendTime is when the merchant sent it, milliseconds since the Unix
	// epoch as a decimal string ("1399176571278"); empty: not given. A
	// JSON number is accepted too.
	SendTime string `json:"sendtime"`
	MsgID    string `json:"msgid"`   // the merchant's id of the message, unique on its side
	MsgType  string `json:"msgtype"` // MsgTypeNotice or MsgTypeVerification; a JSON number is accepted too
}

// SendTimeMillis returns SendTime as a number (0 when not given).
func (m *Message) SendTimeMillis() int64 {
	v, _ := strconv.ParseInt(m.SendTime, 10, 64)
	return v
}

// StatusBody is the body of B001 and B002.
type StatusBody struct {
	Status string `json:"status"`
}

// Report is the body of an A002 push: the status report of one message.
type Report struct {
	MsgID  string `json:"msgid"`  // the merchant's msgid of the message
	Phone  string `json:"phone"`  // its recipient
	Status string `json:"status"` // StatusSuccess or StatusFailure
	// SendTime: milliseconds since the Unix epoch, a JSON number (a
	// string of digits is accepted too).
	SendTime int64  `json:"sendtime"`
	Stat     string `json:"stat"` // the carrier's report status, e.g. DELIVRD, UNDELIV
}

// bodyError names the command and the field.
func bodyError(c Command, field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s: %s", ErrBody, c, field, fmt.Sprintf(format, args...))
}

// members reads an object's members into fields by exact name: a string,
// a number (its text) or null (""). A member whose value is of another
// kind is an error unless a later member of the same name replaces it (a
// repeated member's last value wins); members not named are skipped.
func (r *reader) members(c Command, at string, names []string, fields []*string) error {
	var bad [8]error
	err := r.object(func(name []byte) error {
		for i, n := range names {
			if string(name) != n {
				continue
			}
			switch k := r.peek(); {
			case k == '{' || k == '[' || k == 't' || k == 'f':
				bad[i] = bodyError(c, at+n, "%s where a string was expected", r.kind())
				return r.skip()
			}
			v, err := r.scalar()
			if err != nil {
				return bodyError(c, "body", "%v", err)
			}
			*fields[i], bad[i] = v, nil
			return nil
		}
		return r.skip()
	})
	if err != nil {
		return bodyError(c, "body", "%v", err)
	}
	for _, e := range bad[:len(names)] {
		if e != nil {
			return e
		}
	}
	return nil
}

// start begins a top-level body: it checks UTF-8 and says what the first
// value is.
func start(c Command, body []byte) (*reader, error) {
	if !utf8.Valid(body) {
		return nil, bodyError(c, "body", "not UTF-8")
	}
	r := &reader{b: body}
	r.ws()
	if r.i >= len(r.b) {
		return nil, bodyError(c, "body", "empty")
	}
	return r, nil
}

var messageFields = []string{"phone", "message", "sendtime", "msgid", "msgtype"}

// DecodeSend reads an A001 body: one message object, or an array of 1 to
// MaxMessages of them, and checks every field.
func DecodeSend(body []byte) ([]Message, error) {
	r, err := start(CmdSend, body)
	if err != nil {
		return nil, err
	}
	one := func(at string) (Message, error) {
		var m Message
		switch r.peek() {
		case '{':
		case 'n':
			if err := r.literal("null"); err != nil {
				return m, bodyError(CmdSend, "body", "%v", err)
			}
			where := strings.TrimSuffix(at, ".")
			if where == "" {
				where = "body"
			}
			return m, bodyError(CmdSend, where, "null where a message object was expected")
		default:
			if r.kind() == "invalid JSON" {
				return m, bodyError(CmdSend, "body", "%v", r.errAt("invalid character %q", r.peek()))
			}
			return m, bodyError(CmdSend, "body", "%s where a message object was expected", r.kind())
		}
		return m, r.members(CmdSend, at, messageFields, []*string{&m.Phone, &m.Message, &m.SendTime, &m.MsgID, &m.MsgType})
	}
	var out []Message
	array := r.peek() == '['
	if !array {
		m, err := one("")
		if err != nil {
			return nil, err
		}
		out = []Message{m}
	} else {
		r.i++
		r.ws()
		if r.peek() == ']' {
			r.i++
		} else {
			for {
				if len(out) == MaxMessages {
					return nil, bodyError(CmdSend, "body", "more than %d messages", MaxMessages)
				}
				r.ws()
				m, err := one("[" + strconv.Itoa(len(out)) + "].")
				if err != nil {
					return nil, err
				}
				out = append(out, m)
				r.ws()
				if r.peek() == ',' {
					r.i++
					continue
				}
				if r.peek() == ']' {
					r.i++
					break
				}
				if r.i >= len(r.b) {
					return nil, bodyError(CmdSend, "body", "%v", errEOF)
				}
				return nil, bodyError(CmdSend, "body", "%v", r.errAt("want ',' or ']'"))
			}
		}
		if len(out) == 0 {
			if err := r.end(); err != nil {
				return nil, bodyError(CmdSend, "body", "%v", err)
			}
			return nil, bodyError(CmdSend, "body", "0 messages; send 1 to %d", MaxMessages)
		}
	}
	if err := r.end(); err != nil {
		return nil, bodyError(CmdSend, "body", "%v", err)
	}
	for i := range out {
		at := ""
		if array {
			at = "[" + strconv.Itoa(i) + "]."
		}
		if err := out[i].check(at); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeObject reads a top-level object body into the named fields.
func decodeObject(c Command, body []byte, names []string, fields []*string) error {
	r, err := start(c, body)
	if err != nil {
		return err
	}
	switch r.peek() {
	case '{':
	case 'n':
		if err := r.literal("null"); err != nil {
			return bodyError(c, "body", "%v", err)
		}
		return bodyError(c, "body", "null where an object was expected")
	default:
		if r.kind() == "invalid JSON" {
			return bodyError(c, "body", "%v", r.errAt("invalid character %q", r.peek()))
		}
		return bodyError(c, "body", "%s where an object was expected", r.kind())
	}
	if err := r.members(c, "", names, fields); err != nil {
		return err
	}
	if err := r.end(); err != nil {
		return bodyError(c, "body", "%v", err)
	}
	return nil
}

func (m *Message) check(at string) error {
	if err := checkPhone(CmdSend, at+"phone", m.Phone); err != nil {
		return err
	}
	switch {
	case m.Message == "":
		return bodyError(CmdSend, at+"message", "missing")
	case !utf8.ValidString(m.Message):
		return bodyError(CmdSend, at+"message", "not UTF-8")
	}
	if err := checkID(CmdSend, at+"msgid", m.MsgID); err != nil {
		return err
	}
	if m.MsgType != MsgTypeNotice && m.MsgType != MsgTypeVerification {
		return bodyError(CmdSend, at+"msgtype", "%q: want \"1\" (notice) or \"2\" (verification code)", clip(m.MsgType))
	}
	if m.SendTime != "" && !millis(m.SendTime) {
		return bodyError(CmdSend, at+"sendtime", "%q is not milliseconds since 1970 (up to 13 digits)", clip(m.SendTime))
	}
	return nil
}

// DecodeReport reads an A002 body and checks every field.
func DecodeReport(body []byte) (Report, error) {
	var r Report
	var sendTime string
	if err := decodeObject(CmdReport, body, []string{"msgid", "phone", "status", "sendtime", "stat"},
		[]*string{&r.MsgID, &r.Phone, &r.Status, &sendTime, &r.Stat}); err != nil {
		return Report{}, err
	}
	if err := checkID(CmdReport, "msgid", r.MsgID); err != nil {
		return Report{}, err
	}
	if err := checkPhone(CmdReport, "phone", r.Phone); err != nil {
		return Report{}, err
	}
	if r.Status != StatusSuccess && r.Status != StatusFailure {
		return Report{}, bodyError(CmdReport, "status", "%q: want \"1\" (success) or \"2\" (failure)", clip(r.Status))
	}
	if sendTime != "" {
		if !millis(sendTime) {
			return Report{}, bodyError(CmdReport, "sendtime", "%q is not milliseconds since 1970", clip(sendTime))
		}
		r.SendTime, _ = strconv.ParseInt(sendTime, 10, 64)
	}
	if len(r.Stat) > MaxStatLen {
		return Report{}, bodyError(CmdReport, "stat", "at most %d bytes of UTF-8", MaxStatLen)
	}
	return r, nil
}

// DecodeStatus reads a B001 or B002 body.
func DecodeStatus(c Command, body []byte) (StatusBody, error) {
	var st StatusBody
	if err := decodeObject(c, body, []string{"status"}, []*string{&st.Status}); err != nil {
		return StatusBody{}, err
	}
	switch {
	case st.Status == "":
		return StatusBody{}, bodyError(c, "status", "missing")
	case len(st.Status) > MaxIDLen:
		return StatusBody{}, bodyError(c, "status", "longer than %d bytes", MaxIDLen)
	}
	return st, nil
}

func checkPhone(c Command, field, s string) error {
	if s == "" {
		return bodyError(c, field, "missing")
	}
	digits := s
	if digits[0] == '+' {
		digits = digits[1:]
	}
	if len(s) > MaxPhoneLen || digits == "" || !allDigits(digits) {
		return bodyError(c, field, "%q: digits (optionally after a '+'), at most %d", clip(s), MaxPhoneLen)
	}
	return nil
}

func checkID(c Command, field, s string) error {
	switch {
	case s == "":
		return bodyError(c, field, "missing")
	case len(s) > MaxIDLen:
		return bodyError(c, field, "%d bytes, at most %d", len(s), MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return bodyError(c, field, "printable ASCII only")
		}
	}
	return nil
}

func millis(s string) bool { return len(s) <= 13 && allDigits(s) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// clip bounds a value quoted in an error.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// AppendSend appends an A001 body: an object for one message, an array for
// several. The messages are written as given (check them with DecodeSend's
// rules on the other side).
func AppendSend(dst []byte, msgs ...Message) []byte {
	if len(msgs) != 1 {
		dst = append(dst, '[')
	}
	for i := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		m := &msgs[i]
		dst = append(dst, `{"phone":`...)
		dst = appendString(dst, m.Phone)
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, m.Message)
		dst = append(dst, `,"sendtime":`...)
		dst = appendString(dst, m.SendTime)
		dst = append(dst, `,"msgid":`...)
		dst = appendString(dst, m.MsgID)
		dst = append(dst, `,"msgtype":`...)
		dst = appendString(dst, m.MsgType)
		dst = append(dst, '}')
	}
	if len(msgs) != 1 {
		dst = append(dst, ']')
	}
	return dst
}

// AppendReport appends an A002 body.
func AppendReport(dst []byte, r *Report) []byte {
	dst = append(dst, `{"msgid":`...)
	dst = appendString(dst, r.MsgID)
	dst = append(dst, `,"phone":`...)
	dst = appendString(dst, r.Phone)
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, r.Status)
	dst = append(dst, `,"sendtime":`...)
	dst = strconv.AppendInt(dst, r.SendTime, 10)
	dst = append(dst, `,"stat":`...)
	dst = appendString(dst, r.Stat)
	return append(dst, '}')
}

// AppendStatus appends a B001 / B002 body.
func AppendStatus(dst []byte, status string) []byte {
	dst = append(dst, `{"status":`...)
	dst = appendString(dst, status)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, the rest
// as UTF-8.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
