package sgip

import "github.com/spsmg/spsmg/codec"

// Deliver (0x4) is an MO from the SMG to the SP, on the SMG→SP connection
// (Login Type 2): body = 57 + MessageLength, packet 77 + L (§4).
// MessageLength is len(MessageContent).
type Deliver struct {
	UserNumber     string       `json:"UserNumber"` // 21, sender with 86
	SPNumber       string       `json:"SPNumber"`   // 21, access number dialled (may carry a suffix)
	TPPID          uint8        `json:"TP_pid,string"`
	TPUDHI         uint8        `json:"TP_udhi,string"`
	MessageCoding  uint8        `json:"MessageCoding,string"`
	MessageContent codec.Octets `json:"MessageContent"` // MessageLength (4 bytes) + content
	Reserve        codec.Octets `json:"Reserve"`        // 8, the LinkID slot (§8)
	// Trailer: bytes between the end of Reserve and Message Length, kept
	// and re-encoded unchanged (§8).
	Trailer codec.Octets `json:"Trailer,omitempty"`
}

// Command returns CmdDeliver.
func (*Deliver) Command() CommandID { return CmdDeliver }

// LinkID returns the Reserve field cut at its NUL padding (§8).
func (d *Deliver) LinkID() string { return string(codec.TrimNUL(d.Reserve)) }

// AppendBody appends the body, table order.
func (d *Deliver) AppendBody(dst []byte) []byte {
	dst = codec.AppendText(dst, d.UserNumber, NumberLen)
	dst = codec.AppendText(dst, d.SPNumber, NumberLen)
	dst = append(dst, d.TPPID, d.TPUDHI, d.MessageCoding)
	dst = codec.AppendUint32(dst, uint32(len(d.MessageContent)))
	dst = append(dst, d.MessageContent...)
	dst = codec.AppendFixed(dst, d.Reserve, LinkIDLen)
	return append(dst, d.Trailer...)
}

func (d *Deliver) decodeBody(r *codec.Reader) {
	d.UserNumber = r.Text("UserNumber", NumberLen)
	d.SPNumber = r.Text("SPNumber", NumberLen)
	d.TPPID = r.Uint8("TP_pid")
	d.TPUDHI = r.Uint8("TP_udhi")
	d.MessageCoding = r.Uint8("MessageCoding")
	d.MessageContent = octets(readContent(r))
	d.Reserve = readReserve(r, "Reserve")
	d.Trailer = octets(r.Rest())
}
