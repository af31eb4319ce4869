package jsonsock

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The bodies are flat objects of strings and numbers, so they are read by
// this small JSON reader rather than encoding/json: one pass, no
// reflection, no map, one string per field read (a sixth of the time of
// encoding/json on the benchmark). It accepts exactly RFC 8259 JSON (the
// tests check it against encoding/json): members are matched by their exact
// (lower-case) names, a repeated member's last value wins, members not
// named are skipped (any JSON value, nested up to maxDepth).

// maxDepth bounds the nesting of skipped values (encoding/json's limit).
const maxDepth = 10000

var errEOF = errors.New("unexpected end of JSON input")

type reader struct {
	b []byte
	i int
}

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		default:
			return
		}
	}
}

func (r *reader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *reader) errAt(format string, args ...any) error {
	return fmt.Errorf("%s at offset %d", fmt.Sprintf(format, args...), r.i)
}

// end checks that nothing but white space follows.
func (r *reader) end() error {
	r.ws()
	if r.i != len(r.b) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// kind names the JSON value starting at r.i, for errors.
func (r *reader) kind() string {
	switch c := r.peek(); {
	case c == '"':
		return "JSON string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "JSON bool"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "JSON number"
	}
	return "invalid JSON"
}

// object reads an object, calling member with each name (valid until the
// next read) positioned at its value; member must consume the value.
func (r *reader) object(member func(name []byte) error) error {
	if r.peek() != '{' {
		return r.errAt("want an object")
	}
	r.i++
	r.ws()
	if r.peek() == '}' {
		r.i++
		return nil
	}
	var nameBuf [16]byte
	for {
		name, err := r.memberName(nameBuf[:0])
		if err != nil {
			return err
		}
		r.ws()
		if err := member(name); err != nil {
			return err
		}
		r.ws()
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		case 0:
			if r.i >= len(r.b) {
				return errEOF
			}
			fallthrough
		default:
			return r.errAt("want ',' or '}'")
		}
	}
}

// scalar reads a string, or a number as its text; null is "". Other values
// are an error that says what was found (and are not consumed).
func (r *reader) scalar() (string, error) {
	switch c := r.peek(); {
	case c == '"':
		s, err := r.str(nil)
		return string(s), err
	case c == '-' || c >= '0' && c <= '9':
		start := r.i
		if err := r.number(); err != nil {
			return "", err
		}
		return string(r.b[start:r.i]), nil
	case c == 'n':
		return "", r.literal("null")
	case c == 0 && r.i >= len(r.b):
		return "", errEOF
	}
	if k := r.kind(); k != "invalid JSON" {
		return "", fmt.Errorf("%s where a string was expected", k)
	}
	return "", r.errAt("invalid character %q", r.peek())
}

func (r *reader) literal(lit string) error {
	if len(r.b)-r.i < len(lit) {
		if strings.HasPrefix(lit, string(r.b[r.i:])) {
			return errEOF
		}
		return r.errAt("invalid literal")
	}
	if string(r.b[r.i:r.i+len(lit)]) != lit {
		return r.errAt("invalid literal")
	}
	r.i += len(lit)
	return nil
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *reader) number() error {
	digits := func() int {
		n := 0
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.peek() == '-' {
		r.i++
	}
	switch c := r.peek(); {
	case c == '0':
		r.i++
	case c >= '1' && c <= '9':
		digits()
	case r.i >= len(r.b):
		return errEOF
	default:
		return r.errAt("invalid number")
	}
	if r.peek() == '.' {
		r.i++
		if digits() == 0 {
			if r.i >= len(r.b) {
				return errEOF
			}
			return r.errAt("invalid number")
		}
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.i++
		if c := r.peek(); c == '+' || c == '-' {
			r.i++
		}
		if digits() == 0 {
			if r.i >= len(r.b) {
				return errEOF
			}
			return r.errAt("invalid number")
		}
	}
	return nil
}

// str reads a string at r.i ('"'), unescaped, appended to dst. The input
// is valid UTF-8 (checked once for the whole body).
func (r *reader) str(dst []byte) ([]byte, error) {
	r.i++ // the quote
	if dst == nil {
		// Without escapes the string is a slice of the input: no copy.
		start := r.i
		for r.i < len(r.b) && r.b[r.i] != '"' && r.b[r.i] != '\\' && r.b[r.i] >= 0x20 {
			r.i++
		}
		if r.i < len(r.b) && r.b[r.i] == '"' {
			r.i++
			return r.b[start : r.i-1 : r.i-1], nil
		}
		r.i = start
	}
	for {
		start := r.i
		for r.i < len(r.b) && r.b[r.i] != '"' && r.b[r.i] != '\\' && r.b[r.i] >= 0x20 {
			r.i++
		}
		dst = append(dst, r.b[start:r.i]...)
		if r.i >= len(r.b) {
			return nil, errEOF
		}
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			return dst, nil
		case c < 0x20:
			return nil, r.errAt("control character %#02x in a string", c)
		}
		// A backslash.
		r.i++
		if r.i >= len(r.b) {
			return nil, errEOF
		}
		e := r.b[r.i]
		r.i++
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			c, err := r.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(c) {
				// A pair, as encoding/json reads it: a high surrogate
				// followed by \u and a low one; anything else is U+FFFD.
				if len(r.b)-r.i >= 6 && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					c2, err := r.hex4()
					if err == nil {
						if d := utf16.DecodeRune(c, c2); d != utf8.RuneError {
							dst = utf8.AppendRune(dst, d)
							continue
						}
					}
					r.i = save
				}
				c = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, c)
		default:
			r.i--
			return nil, r.errAt("invalid escape \\%c", e)
		}
	}
}

func (r *reader) hex4() (rune, error) {
	if len(r.b)-r.i < 4 {
		return 0, errEOF
	}
	var v rune
	for _, c := range r.b[r.i : r.i+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, r.errAt("invalid \\u escape")
		}
	}
	r.i += 4
	return v, nil
}

// skip reads any value without keeping it; nesting is bounded by
// maxDepth and handled without recursion.
func (r *reader) skip() error {
	var stack []byte // '{' or '[' per open level
	for {
		r.ws()
		switch c := r.peek(); {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return r.errAt("nesting deeper than %d", maxDepth)
			}
			stack = append(stack, c)
			r.i++
			r.ws()
			if c == '{' && r.peek() == '}' || c == '[' && r.peek() == ']' {
				r.i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if _, err := r.memberName(nil); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if _, err := r.str(nil); err != nil {
				return err
			}
		case c == '-' || c >= '0' && c <= '9':
			if err := r.number(); err != nil {
				return err
			}
		case c == 't':
			if err := r.literal("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := r.literal("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := r.literal("null"); err != nil {
				return err
			}
		case r.i >= len(r.b):
			return errEOF
		default:
			return r.errAt("invalid character %q", c)
		}
		// After a value: close levels or go on to the next element.
		for {
			if len(stack) == 0 {
				return nil
			}
			r.ws()
			top := stack[len(stack)-1]
			switch c := r.peek(); {
			case c == ',':
				r.i++
				if top == '{' {
					r.ws()
					if _, err := r.memberName(nil); err != nil {
						return err
					}
				}
			case top == '{' && c == '}' || top == '[' && c == ']':
				r.i++
				stack = stack[:len(stack)-1]
				continue
			case r.i >= len(r.b):
				return errEOF
			default:
				return r.errAt("invalid character %q after a value", c)
			}
			break
		}
	}
}

// memberName reads `"name" :` and returns the name appended to dst (as
// str does).
func (r *reader) memberName(dst []byte) ([]byte, error) {
	r.ws()
	if r.peek() != '"' {
		if r.i >= len(r.b) {
			return nil, errEOF
		}
		return nil, r.errAt("want a member name")
	}
	name, err := r.str(dst)
	if err != nil {
		return nil, err
	}
	r.ws()
	if r.peek() != ':' {
		if r.i >= len(r.b) {
			return nil, errEOF
		}
		return nil, r.errAt("want ':'")
	}
	r.i++
	return name, nil
}
