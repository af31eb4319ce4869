package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/internal/cli"
)

const decodeUsage = `usage: spsmg decode --proto sgip|cmpp2|cmpp2.1|cmpp3|smgp|smgp1.3|smpp [--body submit|deliver|report] [HEX]

Decodes one PDU given as hex (spaces, newlines, a 0x prefix and # comments to
the end of a line allowed; read from standard input when HEX is absent) and prints it as JSON with every
field: numbers as strings, message text decoded, TLVs listed. Operators use
it on hex from logs and packet captures.

--body says the hex is only a body, as logs often print it: of a Submit or
Deliver (a header is put in front), or a status report (the CMPP report
struct of a Deliver's Msg_Content, an SMGP report text, or an SMPP receipt
text).`

// decodeCmd runs `spsmg decode`.
func decodeCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("spsmg decode", flag.ContinueOnError)
	proto := fs.String("proto", "", "protocol (required)")
	body := fs.String("body", "", "the hex is a body: submit, deliver or report")
	if err := cli.Parse(fs, args, decodeUsage, stdout); err != nil {
		return err
	}
	if *proto == "" {
		return cli.Misuse(fs, decodeUsage, "--proto is required")
	}
	w, err := dialect.ParseWire(*proto)
	if err != nil {
		return cli.Misuse(fs, decodeUsage, "--proto %q: want one of %v", *proto, wireNames())
	}
	src := strings.Join(fs.Args(), " ")
	if src == "" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		src = string(b)
	}
	frame, err := parseHex(src)
	if err != nil {
		return err
	}
	var out any
	switch *body {
	case "":
		out, err = decodeFrame(w, frame)
	case "report":
		out, err = decodeReport(w, frame)
	case "submit", "deliver":
		out, err = decodeFrame(w, withHeader(w, *body, frame))
	default:
		return cli.Misuse(fs, decodeUsage, "--body %q: want submit, deliver or report", *body)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// parseHex accepts hex with white space, '|' separators (as in the
// protocol notes), an optional 0x prefix and '#' comments to the end of a
// line (the testdata files name their source in them); an error names the
// offset of the first bad character in the input.
func parseHex(s string) ([]byte, error) {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#':
			for i+1 < len(s) && s[i+1] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '|':
		case len(clean) == 0 && c == '0' && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X'):
			i++ // the 0x prefix
		case (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
			clean = append(clean, c)
		default:
			return nil, fmt.Errorf("decode: input offset %d: %q is not a hex digit", i, c)
		}
	}
	if len(clean) == 0 {
		return nil, errors.New("decode: no hex input")
	}
	if len(clean)%2 != 0 {
		return nil, fmt.Errorf("decode: odd number of hex digits (%d): the last byte is incomplete", len(clean))
	}
	b := make([]byte, len(clean)/2)
	_, err := hex.Decode(b, clean)
	return b, err
}

// wireNames lists the protocols --proto takes.
func wireNames() []codec.Protocol {
	var ps []codec.Protocol
	for _, w := range dialect.Wires() {
		ps = append(ps, w.Protocol())
	}
	return ps
}

// withHeader puts a header (sequence 0) in front of a Submit or Deliver
// body, so that a body copied from a log decodes like a frame.
func withHeader(w codec.Wire, cmd string, body []byte) []byte {
	kind := codec.KindDeliver
	if cmd == "submit" {
		kind = codec.KindSubmit
	}
	id, _ := w.CommandOf(kind)
	hl := w.Framer(0).HeaderLen
	f := make([]byte, hl, hl+len(body))
	f[4], f[5], f[6], f[7] = byte(id>>24), byte(id>>16), byte(id>>8), byte(id)
	f = append(f, body...)
	codec.PutLength(f)
	return f
}

// decodeReport decodes a status report body: the CMPP report struct (60 or
// 71 bytes, docs/protocols/cmpp.md §9.3), an SMGP report text
// (docs/protocols/smgp30.md §9) or an SMPP
// receipt text.
func decodeReport(w codec.Wire, b []byte) (any, error) {
	p := w.Protocol()
	rep, err := w.DecodeReportBody(b)
	if errors.Is(err, codec.ErrNoReportBody) {
		return nil, fmt.Errorf("decode: %s has no report body: an SGIP Report is a command of its own (decode the frame)", p)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s report: %w", p, err)
	}
	return struct {
		Protocol string `json:"protocol"`
		Report   any    `json:"report"`
	}{p.String(), rep}, nil
}

// decoded is the JSON document the tool prints.
type decoded struct {
	Protocol string   `json:"protocol"`
	Command  string   `json:"command"`
	Header   any      `json:"header"`
	Body     any      `json:"body"`
	Message  *message `json:"message,omitempty"`
	Trailing string   `json:"trailing_bytes,omitempty"`
}

// message is the content of a Submit or Deliver made readable.
type message struct {
	Coding string   `json:"coding"`
	Text   string   `json:"text,omitempty"`
	Hex    string   `json:"hex,omitempty"`
	UDH    *udhJSON `json:"udh,omitempty"`
	Error  string   `json:"error,omitempty"`
}

type udhJSON struct {
	Length int    `json:"length,string"`
	Ref    uint16 `json:"ref,string"`
	Total  uint8  `json:"total,string"`
	Seq    uint8  `json:"seq,string"`
	Wide   bool   `json:"ref16"`
}

func decodeFrame(w codec.Wire, frame []byte) (*decoded, error) {
	if len(frame) >= codec.LengthFieldSize {
		// Say so when the input holds more or less than the frame it announces.
		total := int(uint32(frame[0])<<24 | uint32(frame[1])<<16 | uint32(frame[2])<<8 | uint32(frame[3]))
		if total < len(frame) && total > 0 {
			d, err := decodeFrame(w, frame[:total])
			if d != nil {
				d.Trailing = hex.EncodeToString(frame[total:])
			}
			return d, err
		}
	}
	p := w.Protocol()
	x, err := w.Decode(frame)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	out := &decoded{Protocol: p.String(), Command: x.Command, Header: x.Header, Body: x.Body}
	if x.Message != nil {
		out.Message = describeContent(x.Message)
	}
	return out, nil
}

// describeContent decodes the message content of a Submit or Deliver.
func describeContent(x *codec.Message) *message {
	m := &message{Coding: x.CodingName}
	body := x.Content
	if x.UDHI {
		if h, ok := udh.Parse(x.Content); ok {
			m.UDH = &udhJSON{Length: h.Len}
			if h.HasConcat {
				m.UDH.Ref, m.UDH.Total, m.UDH.Seq, m.UDH.Wide = h.Concat.Ref, h.Concat.Total, h.Concat.Seq, h.Concat.Wide
			}
			body = x.Content[h.Len:]
		}
	}
	s, err := text.DecodeAlphabet(x.Alphabet, body)
	switch {
	case errors.Is(err, text.ErrBinary):
		m.Hex = hex.EncodeToString(body)
	case err != nil:
		m.Hex = hex.EncodeToString(body)
		m.Error = err.Error()
	default:
		m.Text = s
	}
	return m
}
