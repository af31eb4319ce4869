package smpp

import (
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// Wire is SMPP 3.4 as a codec.Wire: identity, framing, the View and the
// decode tool's typed decoding. It is not a codec.Dialect yet: spsmg does
// not serve SMPP on its faces. Options chooses what ParseView reads (the
// zero value: plain SMPP 3.4).
type Wire struct{ Options Options }

var _ codec.Wire = Wire{}

func (Wire) Protocol() codec.Protocol                      { return codec.SMPP34 }
func (Wire) Framer(maxFrameSize int) codec.Framer          { return NewFramer(maxFrameSize) }
func (w Wire) ParseView(frame []byte, v *codec.View) error { return w.Options.ParseView(frame, v) }

// Seq: sequence_number, after command_length, command_id and
// command_status (§3.2).
func (Wire) Seq() codec.SeqLayout { return codec.SeqLayout{Offset: offSequence, Len: 4} }

// Decode gives the typed PDU; the message is the user data of submit_sm,
// deliver_sm and data_sm, read with SMPP's data_coding (0 is GSM 7-bit),
// except for a delivery receipt, whose parsed text is in the body.
func (Wire) Decode(frame []byte) (codec.Decoded, error) {
	h, p, err := Decode(frame)
	if err != nil {
		return codec.Decoded{}, err
	}
	out := codec.Decoded{Command: h.CommandID.String(), Header: h, Body: p}
	if dc, udhi, content, ok := MessageOf(p); ok && !isReceipt(p) {
		out.Message = &codec.Message{Coding: dc, CodingName: text.NameSMPP(dc), Alphabet: text.AlphabetOfSMPP(dc),
			UDHI: udhi, Content: content}
	}
	return out, nil
}

func isReceipt(p PDU) bool {
	switch p := p.(type) {
	case *Deliver:
		return p.IsReport()
	case *DataSM:
		return p.IsReport()
	}
	return false
}

// DecodeReportBody reads a delivery receipt's text (id:… sub:… stat:…).
func (Wire) DecodeReportBody(body []byte) (any, error) {
	r, err := ParseReceipt(body)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (Wire) CommandOf(k codec.Kind) (uint32, bool) {
	for _, id := range [...]CommandID{CmdBindTransceiver, CmdBindTransceiverResp, CmdUnbind, CmdUnbindResp,
		CmdSubmitSM, CmdSubmitSMResp, CmdDeliverSM, CmdDeliverSMResp, CmdEnquireLink, CmdEnquireLinkResp} {
		if KindOf(id) == k {
			return uint32(id), true
		}
	}
	return 0, false
}
