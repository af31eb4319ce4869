package smgp

import "github.com/spsmg/spsmg/codec"

// RecvTimeLen is the size of Deliver's RecvTime, YYYYMMDDHHMMSS
// (docs/protocols/smgp30.md §7).
const RecvTimeLen = 14

// Deliver (0x00000003) carries an MO message (IsReport 0) or a status report
// (IsReport 1) from the SMGW to the SP (docs/protocols/smgp30.md §7). Fixed
// body = 77 + MsgLength, followed by TLVs, kept like Submit's (TLVTrailer
// included).
//
// MsgContent is always the raw content, so the frame re-encodes byte for
// byte whatever spelling the gateway used for a report. Report is derived
// from it by Decode when IsReport = 1 and the text parses (nil otherwise);
// AppendBody writes MsgContent, or, when MsgContent is nil and Report is
// set, the canonical 122-byte report text.
type Deliver struct {
	MsgID      MsgID        `json:"MsgID"`            // 10: id of this Deliver, echoed by Deliver_Resp
	IsReport   uint8        `json:"IsReport,string"`  // 1: 0 MO, 1 status report
	MsgFormat  uint8        `json:"MsgFormat,string"` // 1: as Submit; reports 0
	RecvTime   string       `json:"RecvTime"`         // 14: YYYYMMDDHHMMSS
	SrcTermID  string       `json:"SrcTermID"`        // 21: MO sender; for a report, the MT's recipient
	DestTermID string       `json:"DestTermID"`       // 21: the SP access number dialled
	MsgContent codec.Octets `json:"MsgContent"`       // MsgLength (1) + content or report text
	Reserve    codec.Octets `json:"Reserve"`          // 8
	TLVs       []TLV        `json:"TLVs,omitempty"`   // optional parameters, in wire order
	TLVTrailer codec.Octets `json:"TLVTrailer,omitempty"`

	Report *Report `json:"Report,omitempty"` // parsed MsgContent of a report; not a wire field
}

// Command returns CmdDeliver.
func (*Deliver) Command() CommandID { return CmdDeliver }

// AppendBody appends the body. MsgLength comes from the content, capped at
// 255 bytes.
func (p *Deliver) AppendBody(dst []byte, _ Version) []byte {
	dst = append(dst, p.MsgID[:]...)
	dst = codec.AppendUint8(dst, p.IsReport)
	dst = codec.AppendUint8(dst, p.MsgFormat)
	dst = codec.AppendText(dst, p.RecvTime, RecvTimeLen)
	dst = codec.AppendText(dst, p.SrcTermID, TermIDLen)
	dst = codec.AppendText(dst, p.DestTermID, TermIDLen)
	if p.MsgContent == nil && p.Report != nil {
		dst = codec.AppendUint8(dst, ReportLen)
		dst = p.Report.Append(dst)
	} else {
		content := p.MsgContent[:min(len(p.MsgContent), 255)]
		dst = codec.AppendUint8(dst, uint8(len(content)))
		dst = append(dst, content...)
	}
	dst = codec.AppendFixed(dst, p.Reserve, ReserveLen)
	return appendTLVs(dst, p.TLVs, p.TLVTrailer)
}

func (p *Deliver) decodeBody(r *codec.Reader, _ Version) {
	copy(p.MsgID[:], r.Bytes("MsgID", MsgIDLen))
	p.IsReport = r.Uint8("IsReport")
	p.MsgFormat = r.Uint8("MsgFormat")
	p.RecvTime = r.Text("RecvTime", RecvTimeLen)
	p.SrcTermID = r.Text("SrcTermID", TermIDLen)
	p.DestTermID = r.Text("DestTermID", TermIDLen)
	p.MsgContent = r.Bytes("MsgContent", int(r.Uint8("MsgLength")))
	p.Reserve = r.Bytes("Reserve", ReserveLen)
	if r.Failed() {
		return
	}
	p.TLVs, p.TLVTrailer = parseTLVs(r.Rest())
	if p.IsReport == 1 {
		if rep, err := ParseReport(p.MsgContent); err == nil {
			p.Report = &rep
		}
	}
}

// TLV returns the raw value of the first TLV with tag.
func (p *Deliver) TLV(tag uint16) ([]byte, bool) { return findTLV(p.TLVs, tag) }

// SetTLV replaces the value of the first TLV with tag, or appends a new one.
func (p *Deliver) SetTLV(tag uint16, value []byte) { p.TLVs = setTLV(p.TLVs, tag, value) }

// LinkID returns the LinkID TLV (0x0003) with trailing NULs trimmed; empty
// when absent.
func (p *Deliver) LinkID() string { return tlvText(p.TLVs, TagLinkID) }

// TPUDHI returns the TP_udhi TLV (0x0002), 0 when absent.
func (p *Deliver) TPUDHI() uint8 { return tlvByte(p.TLVs, TagTPUdhi) }

// PkTotal returns the PkTotal TLV (0x0009), 0 when absent.
func (p *Deliver) PkTotal() uint8 { return tlvByte(p.TLVs, TagPkTotal) }

// PkNumber returns the PkNumber TLV (0x000A), 0 when absent.
func (p *Deliver) PkNumber() uint8 { return tlvByte(p.TLVs, TagPkNumber) }

// TLVTruncated reports whether the TLV area ended in a truncated TLV.
func (p *Deliver) TLVTruncated() bool { return len(p.TLVTrailer) > 0 }

// DeliverResp (0x80000003) acknowledges a Deliver: the Deliver's MsgID and
// a Status, body 14 B, packet 26 B (docs/protocols/smgp30.md §7).
type DeliverResp struct {
	MsgID  MsgID  `json:"MsgID"`         // 10: the Deliver's MsgID
	Status Status `json:"Status,string"` // 4
}

// Command returns CmdDeliverResp.
func (*DeliverResp) Command() CommandID { return CmdDeliverResp }

// AppendBody appends the 14-byte body.
func (p *DeliverResp) AppendBody(dst []byte, _ Version) []byte {
	dst = append(dst, p.MsgID[:]...)
	return codec.AppendUint32(dst, uint32(p.Status))
}

func (p *DeliverResp) decodeBody(r *codec.Reader, _ Version) {
	copy(p.MsgID[:], r.Bytes("MsgID", MsgIDLen))
	p.Status = Status(r.Uint32("Status"))
}

// AppendDeliverResp appends a whole Deliver_Resp frame (26 bytes) to dst;
// msgID is the Deliver's (View.MsgID), written at its 10-byte width. Does
// not allocate when dst has room.
func AppendDeliverResp(dst []byte, seq uint32, msgID []byte, status Status) []byte {
	return appendResp(dst, CmdDeliverResp, seq, msgID, status)
}
