package smgp

import "github.com/spsmg/spsmg/codec"

// Field sizes of Submit (docs/protocols/smgp30.md §5).
const (
	ServiceIDLen   = 10
	FeeTypeLen     = 2
	FeeCodeLen     = 6
	FixedFeeLen    = 6  // absent in V13
	TimeLen        = 17 // ValidTime, AtTime: SMPP 3.3+ time format
	TermIDLen      = 21 // SrcTermID, ChargeTermID, DestTermID (the View's dest stride)
	ReserveLen     = 8
	MaxDestTermIDs = 100 // DestTermIDCount ≤ 100
	submitFixedV30 = 114 // fixed body without recipients and content, 3.0 layout
	submitFixedV13 = submitFixedV30 - FixedFeeLen
)

// MsgType values (docs/protocols/smgp30.md §5).
const (
	MsgTypeMO  uint8 = 0
	MsgTypeMT  uint8 = 6 // SP → handset, including web-originated P2P
	MsgTypeP2P uint8 = 7
)

// Submit (0x00000002) is an MT from the SP (docs/protocols/smgp30.md §5).
// Fixed body = 114 + 21·N + MsgLength in the 3.0 layout (108 + … in V13,
// which has no FixedFee), followed by TLVs.
//
// The TLVs are kept in wire order, unknown tags included. A TLV area that
// ends in a truncated TLV (fewer than 4 bytes left, or a Length running past
// the packet; docs/protocols/smgp30.md §12, V8) does not fail the decode: the
// stray bytes are kept in TLVTrailer and re-emitted after the TLVs, so the
// frame re-encodes byte for byte, and TLVTruncated reports it.
type Submit struct {
	MsgType      uint8        `json:"MsgType,string"`    // 1: 6 MT
	NeedReport   uint8        `json:"NeedReport,string"` // 1: 0 no, 1 yes
	Priority     uint8        `json:"Priority,string"`   // 1: 0 low … 3 high
	ServiceID    string       `json:"ServiceID"`         // 10: service code, the authorization key
	FeeType      string       `json:"FeeType"`           // 2: "00" free, "01" per message, "02" monthly, "03" capped
	FeeCode      string       `json:"FeeCode"`           // 6: fen
	FixedFee     string       `json:"FixedFee"`          // 6: fen; not on the wire in V13
	MsgFormat    uint8        `json:"MsgFormat,string"`  // 1: 0 ASCII, 8 UCS2, 15 GB18030, ...
	ValidTime    string       `json:"ValidTime"`         // 17
	AtTime       string       `json:"AtTime"`            // 17
	SrcTermID    string       `json:"SrcTermID"`         // 21: SP access number (+ suffix)
	ChargeTermID string       `json:"ChargeTermID"`      // 21: empty ⇒ the receiver pays
	DestTermID   []string     `json:"DestTermID"`        // DestTermIDCount (1) × 21
	MsgContent   codec.Octets `json:"MsgContent"`        // MsgLength (1) + content, UDH included
	Reserve      codec.Octets `json:"Reserve"`           // 8
	TLVs         []TLV        `json:"TLVs,omitempty"`    // optional parameters, in wire order
	TLVTrailer   codec.Octets `json:"TLVTrailer,omitempty"`
}

// Command returns CmdSubmit.
func (*Submit) Command() CommandID { return CmdSubmit }

// AppendBody appends the body in the layout of v. DestTermIDCount and
// MsgLength are taken from the slices and capped at 255 (their one-byte
// fields), writing only that many recipients and content bytes, so the
// frame is always self-consistent; keeping to the spec's limits (100
// recipients, 140 bytes of MT content) is the caller's business.
func (p *Submit) AppendBody(dst []byte, v Version) []byte {
	dst = codec.AppendUint8(dst, p.MsgType)
	dst = codec.AppendUint8(dst, p.NeedReport)
	dst = codec.AppendUint8(dst, p.Priority)
	dst = codec.AppendText(dst, p.ServiceID, ServiceIDLen)
	dst = codec.AppendText(dst, p.FeeType, FeeTypeLen)
	dst = codec.AppendText(dst, p.FeeCode, FeeCodeLen)
	if v.hasFixedFee() {
		dst = codec.AppendText(dst, p.FixedFee, FixedFeeLen)
	}
	dst = codec.AppendUint8(dst, p.MsgFormat)
	dst = codec.AppendText(dst, p.ValidTime, TimeLen)
	dst = codec.AppendText(dst, p.AtTime, TimeLen)
	dst = codec.AppendText(dst, p.SrcTermID, TermIDLen)
	dst = codec.AppendText(dst, p.ChargeTermID, TermIDLen)
	dests := p.DestTermID[:min(len(p.DestTermID), 255)]
	dst = codec.AppendUint8(dst, uint8(len(dests)))
	for _, d := range dests {
		dst = codec.AppendText(dst, d, TermIDLen)
	}
	content := p.MsgContent[:min(len(p.MsgContent), 255)]
	dst = codec.AppendUint8(dst, uint8(len(content)))
	dst = append(dst, content...)
	dst = codec.AppendFixed(dst, p.Reserve, ReserveLen)
	return appendTLVs(dst, p.TLVs, p.TLVTrailer)
}

func (p *Submit) decodeBody(r *codec.Reader, v Version) {
	p.MsgType = r.Uint8("MsgType")
	p.NeedReport = r.Uint8("NeedReport")
	p.Priority = r.Uint8("Priority")
	p.ServiceID = r.Text("ServiceID", ServiceIDLen)
	p.FeeType = r.Text("FeeType", FeeTypeLen)
	p.FeeCode = r.Text("FeeCode", FeeCodeLen)
	if v.hasFixedFee() {
		p.FixedFee = r.Text("FixedFee", FixedFeeLen)
	}
	p.MsgFormat = r.Uint8("MsgFormat")
	p.ValidTime = r.Text("ValidTime", TimeLen)
	p.AtTime = r.Text("AtTime", TimeLen)
	p.SrcTermID = r.Text("SrcTermID", TermIDLen)
	p.ChargeTermID = r.Text("ChargeTermID", TermIDLen)
	n := readDestCount(r)
	if r.Failed() {
		return
	}
	p.DestTermID = make([]string, n)
	for i := range p.DestTermID {
		p.DestTermID[i] = r.TextAt("DestTermID", i, TermIDLen)
	}
	p.MsgContent = r.Bytes("MsgContent", int(r.Uint8("MsgLength")))
	p.Reserve = r.Bytes("Reserve", ReserveLen)
	if r.Failed() {
		return
	}
	p.TLVs, p.TLVTrailer = parseTLVs(r.Rest())
}

// readDestCount reads DestTermIDCount and rejects 0 and counts above
// MaxDestTermIDs: a Submit to nobody cannot be authorized, and more than 100
// is outside the spec (docs/protocols/smgp30.md §5).
func readDestCount(r *codec.Reader) int {
	n := int(r.Uint8("DestTermIDCount"))
	if err := codec.RecipientCountError(n, MaxDestTermIDs); !r.Failed() && err != nil {
		r.Fail("DestTermIDCount", -1, int64(n), err)
	}
	return n
}

// TLV returns the raw value of the first TLV with tag.
func (p *Submit) TLV(tag uint16) ([]byte, bool) { return findTLV(p.TLVs, tag) }

// SetTLV replaces the value of the first TLV with tag, or appends a new one.
func (p *Submit) SetTLV(tag uint16, value []byte) { p.TLVs = setTLV(p.TLVs, tag, value) }

// LinkID returns the LinkID TLV (0x0003) with trailing NULs trimmed; empty
// when absent.
func (p *Submit) LinkID() string { return tlvText(p.TLVs, TagLinkID) }

// TPUDHI returns the TP_udhi TLV (0x0002), 0 when absent. Test it with
// udh.Flag: gateways send 0x40 as well as 1.
func (p *Submit) TPUDHI() uint8 { return tlvByte(p.TLVs, TagTPUdhi) }

// PkTotal returns the PkTotal TLV (0x0009), 0 when absent.
func (p *Submit) PkTotal() uint8 { return tlvByte(p.TLVs, TagPkTotal) }

// PkNumber returns the PkNumber TLV (0x000A), 0 when absent.
func (p *Submit) PkNumber() uint8 { return tlvByte(p.TLVs, TagPkNumber) }

// TLVTruncated reports whether the TLV area ended in a truncated TLV (the
// bytes are in TLVTrailer). The proxy forwards such frames and counts them.
func (p *Submit) TLVTruncated() bool { return len(p.TLVTrailer) > 0 }

func tlvText(tlvs []TLV, tag uint16) string {
	v, _ := findTLV(tlvs, tag)
	return string(trimTrailingNUL(v))
}

func tlvByte(tlvs []TLV, tag uint16) uint8 {
	v, _ := findTLV(tlvs, tag)
	return tlvUint8(v)
}

// SubmitResp (0x80000002) answers a Submit: body 14 B, packet 26 B
// (docs/protocols/smgp30.md §6). For a group send MsgID stands for MsgID …
// MsgID+(n−1) (MsgIDAdd).
type SubmitResp struct {
	MsgID  MsgID  `json:"MsgID"`         // 10: the key of the status report
	Status Status `json:"Status,string"` // 4: § 11
}

// Command returns CmdSubmitResp.
func (*SubmitResp) Command() CommandID { return CmdSubmitResp }

// AppendBody appends the 14-byte body.
func (p *SubmitResp) AppendBody(dst []byte, _ Version) []byte {
	dst = append(dst, p.MsgID[:]...)
	return codec.AppendUint32(dst, uint32(p.Status))
}

func (p *SubmitResp) decodeBody(r *codec.Reader, _ Version) {
	copy(p.MsgID[:], r.Bytes("MsgID", MsgIDLen))
	p.Status = Status(r.Uint32("Status"))
}

// AppendSubmitResp appends a whole Submit_Resp frame (26 bytes) to dst: the
// proxy's answer to a refused Submit. msgID is written at its 10-byte width
// (NUL-padded, cut); pass nil for an all-zero id. Does not allocate when dst
// has room.
func AppendSubmitResp(dst []byte, seq uint32, msgID []byte, status Status) []byte {
	return appendResp(dst, CmdSubmitResp, seq, msgID, status)
}

// appendResp writes the MsgID + Status response shared by Submit_Resp and
// Deliver_Resp.
func appendResp(dst []byte, id CommandID, seq uint32, msgID []byte, status Status) []byte {
	start := len(dst)
	dst = appendHeader(dst, id, seq)
	dst = codec.AppendFixed(dst, msgID, MsgIDLen)
	dst = codec.AppendUint32(dst, uint32(status))
	return finish(dst, start)
}
