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
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
)

const decodeUsage = `usage: spsmg decode --proto sgip|cmpp2|cmpp2.1|cmpp3|smgp|smgp1.3 [--body submit|deliver|report] [HEX]

Decodes one PDU given as hex (spaces, newlines, a 0x prefix and # comments to
the end of a line allowed; read from standard input when HEX is absent) and prints it as JSON with every
field: numbers as strings, message text decoded, TLVs listed. Operators use
it on hex from logs and packet captures.

--body says the hex is only a body, as logs often print it: of a Submit or
Deliver (a header is put in front), or a status report (the CMPP report
struct of a Deliver's Msg_Content, or an SMGP report text).`

// decodeCmd runs `spsmg decode`.
func decodeCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("spsmg decode", flag.ContinueOnError)
	proto := fs.String("proto", "", "protocol (required)")
	body := fs.String("body", "", "the hex is a body: submit, deliver or report")
	if err := cli.Parse(fs, args, decodeUsage, stdout); err != nil {
		return err
	}
	p := config.Protocol(*proto)
	if *proto == "" {
		return cli.Misuse(fs, decodeUsage, "--proto is required")
	}
	if !p.Valid() {
		return cli.Misuse(fs, decodeUsage, "--proto %q: want one of %v", *proto, config.Protocols)
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
		out, err = decodeFrame(p, frame)
	case "report":
		out, err = decodeReport(p, frame)
	case "submit", "deliver":
		out, err = decodeFrame(p, withHeader(p, *body, frame))
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

// withHeader puts a header (sequence 0) in front of a Submit or Deliver
// body, so that a body copied from a log decodes like a frame.
func withHeader(p config.Protocol, cmd string, body []byte) []byte {
	var id uint32
	hl := cmpp.HeaderLen
	switch p.Family() {
	case "cmpp":
		id = uint32(cmpp.CmdDeliver)
		if cmd == "submit" {
			id = uint32(cmpp.CmdSubmit)
		}
	case "smgp":
		id = uint32(smgp.CmdDeliver)
		if cmd == "submit" {
			id = uint32(smgp.CmdSubmit)
		}
	case "sgip":
		hl = sgip.HeaderLen
		id = uint32(sgip.CmdDeliver)
		if cmd == "submit" {
			id = uint32(sgip.CmdSubmit)
		}
	}
	f := make([]byte, hl, hl+len(body))
	f[4], f[5], f[6], f[7] = byte(id>>24), byte(id>>16), byte(id>>8), byte(id)
	f = append(f, body...)
	codec.PutLength(f)
	return f
}

// decodeReport decodes a status report body: the CMPP report struct (60 or
// 71 bytes, cmpp.md §9.3) or an SMGP report text (smgp30.md §9).
func decodeReport(p config.Protocol, b []byte) (any, error) {
	var (
		rep any
		err error
	)
	switch p.Family() {
	case "cmpp":
		var r cmpp.Report
		r, err = cmpp.DecodeReport(b)
		rep = r
	case "smgp":
		var r smgp.Report
		r, err = smgp.ParseReport(b)
		rep = r
	default:
		return nil, fmt.Errorf("decode: %s has no report body: an SGIP Report is a command of its own (decode the frame)", p)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s report: %w", p, err)
	}
	return struct {
		Protocol string `json:"protocol"`
		Report   any    `json:"report"`
	}{string(p), rep}, nil
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

func decodeFrame(p config.Protocol, frame []byte) (*decoded, error) {
	if len(frame) >= codec.LengthFieldSize {
		// Say so when the input holds more or less than the frame it announces.
		total := int(uint32(frame[0])<<24 | uint32(frame[1])<<16 | uint32(frame[2])<<8 | uint32(frame[3]))
		if total < len(frame) && total > 0 {
			d, err := decodeFrame(p, frame[:total])
			if d != nil {
				d.Trailing = hex.EncodeToString(frame[total:])
			}
			return d, err
		}
	}
	out := &decoded{Protocol: string(p)}
	var (
		pdu any
		err error
	)
	switch p.Family() {
	case "cmpp":
		var h cmpp.Header
		var x cmpp.PDU
		h, x, err = cmpp.Decode(frame, cmpp.Version(p.Version()))
		out.Header, out.Command, pdu = h, h.CommandID.String(), x
	case "sgip":
		var h sgip.Header
		var x sgip.PDU
		h, x, err = sgip.Decode(frame)
		out.Header, out.Command, pdu = h, h.Command.String(), x
	case "smgp":
		var h smgp.Header
		var x smgp.PDU
		h, x, err = smgp.Decode(frame, smgp.Version(p.Version()))
		out.Header, out.Command, pdu = h, h.RequestID.String(), x
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", p, err)
	}
	out.Body = pdu
	switch x := pdu.(type) {
	case *sgip.Submit:
		out.Body = sgipSubmitJSON{x, printableLinkID(x.Reserve)}
	case *sgip.Deliver:
		out.Body = sgipDeliverJSON{x, printableLinkID(x.Reserve)}
	}
	out.Message = describeContent(pdu)
	return out, nil
}

// SGIP carries the LinkID in the 8-byte Reserve, a field the protocol
// leaves opaque, so the codec prints it as hex. The tool adds it as text,
// as it prints CMPP 2.x's Reserve LinkID, when it reads as one.
type (
	sgipSubmitJSON struct {
		*sgip.Submit
		LinkID string `json:"LinkID,omitempty"`
	}
	sgipDeliverJSON struct {
		*sgip.Deliver
		LinkID string `json:"LinkID,omitempty"`
	}
)

// printableLinkID returns reserve cut at its NUL padding when that is
// printable ASCII, and "" otherwise (the hex Reserve then says it all).
func printableLinkID(reserve []byte) string {
	id := codec.TrimNUL(reserve)
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(id)
}

// describeContent decodes the message content of the PDUs that carry one.
func describeContent(pdu any) *message {
	var (
		coding  uint8
		udhi    bool
		content []byte
	)
	switch x := pdu.(type) {
	case *cmpp.Submit:
		coding, udhi, content = x.MsgFmt, udh.Flag(x.TPUDHI), x.MsgContent
	case *cmpp.Deliver:
		if x.IsReport() {
			return nil // the parsed report is in the body
		}
		coding, udhi, content = x.MsgFmt, udh.Flag(x.TPUDHI), x.MsgContent
	case *sgip.Submit:
		coding, udhi, content = x.MessageCoding, udh.Flag(x.TPUDHI), x.MessageContent
	case *sgip.Deliver:
		coding, udhi, content = x.MessageCoding, udh.Flag(x.TPUDHI), x.MessageContent
	case *smgp.Submit:
		coding, udhi, content = x.MsgFormat, udh.Flag(x.TPUDHI()), x.MsgContent
	case *smgp.Deliver:
		if x.IsReport == 1 {
			return nil
		}
		coding, udhi, content = x.MsgFormat, udh.Flag(x.TPUDHI()), x.MsgContent
	default:
		return nil
	}
	m := &message{Coding: text.Name(coding)}
	body := content
	if udhi {
		if h, ok := udh.Parse(content); ok {
			m.UDH = &udhJSON{Length: h.Len}
			if h.HasConcat {
				m.UDH.Ref, m.UDH.Total, m.UDH.Seq, m.UDH.Wide = h.Concat.Ref, h.Concat.Total, h.Concat.Seq, h.Concat.Wide
			}
			body = content[h.Len:]
		}
	}
	s, err := text.Decode(coding, body)
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
