package cmpp

import "github.com/spsmg/spsmg/codec"

// Submit is CMPP_SUBMIT (0x00000004), an MT message SP → ISMG
// (docs/protocols/cmpp.md §7). One struct for both layouts: the fields marked
// 3.0 are not on the wire in 2.x (encoded nowhere, decoded as zero), and
// LinkID is the 3.0 LinkID (20 bytes) or the 2.x Reserve (8 bytes), where
// SPMS deployments carry their LinkID.
//
//	3.0 body: 151 + 32·N + L bytes     2.x body: 126 + 21·N + L bytes
type Submit struct {
	MsgID              uint64 `json:"Msg_Id,string"`              // SP fills 0; the ISMG assigns it
	PkTotal            uint8  `json:"Pk_total,string"`            // segments with this Msg_Id, from 1
	PkNumber           uint8  `json:"Pk_number,string"`           // segment number, from 1
	RegisteredDelivery uint8  `json:"Registered_Delivery,string"` // 1 = status report wanted (2.x: 2 = SMC bill only)
	MsgLevel           uint8  `json:"Msg_level,string"`
	ServiceID          string `json:"Service_Id"` // service code, the authorization key (10)
	FeeUserType        uint8  `json:"Fee_UserType,string"`
	FeeTerminalID      string `json:"Fee_terminal_Id"`          // 21 (2.x) / 32 (3.0)
	FeeTerminalType    uint8  `json:"Fee_terminal_type,string"` // 3.0 only
	TPPID              uint8  `json:"TP_pId,string"`
	TPUDHI             uint8  `json:"TP_udhi,string"` // UDH present iff udh.Flag(TPUDHI); forwarded as is
	MsgFmt             uint8  `json:"Msg_Fmt,string"` // coding, §13
	MsgSrc             string `json:"Msg_src"`        // SP_Id (6)
	FeeType            string `json:"FeeType"`        // "01"… (2)
	FeeCode            string `json:"FeeCode"`        // fen (6)
	ValIDTime          string `json:"ValId_Time"`     // SMPP 3.3 time (17)
	AtTime             string `json:"At_Time"`        // SMPP 3.3 time (17)
	SrcID              string `json:"Src_Id"`         // SP number shown as caller id (21)

	// DestTerminalID holds the recipients (DestUsr_tl = len, 1–100 on
	// decode), 21 (2.x) or 32 (3.0) bytes each on the wire.
	DestTerminalID   []string `json:"Dest_terminal_Id"`
	DestTerminalType uint8    `json:"Dest_terminal_type,string"` // 3.0 only

	// MsgContent is Msg_Content including any UDH; Msg_Length = len. On
	// encode, content beyond 255 bytes is cut (Msg_Length is one byte).
	MsgContent codec.Octets `json:"Msg_Content"`

	LinkID string `json:"LinkID"` // 3.0 LinkID (20); 2.x Reserve (8)
}

// Command returns CmdSubmit.
func (*Submit) Command() CommandID { return CmdSubmit }

// AppendBody appends the body in v's layout. It does not allocate when dst
// has room. Text fields are cut at their width; at most 255 recipients and
// 255 content bytes are written (Decode accepts 1–100 recipients).
func (p *Submit) AppendBody(dst []byte, v Version) []byte {
	f := v.Family()
	term := f.TerminalIDLen()
	dst = codec.AppendUint64(dst, p.MsgID)
	dst = codec.AppendUint8(dst, p.PkTotal)
	dst = codec.AppendUint8(dst, p.PkNumber)
	dst = codec.AppendUint8(dst, p.RegisteredDelivery)
	dst = codec.AppendUint8(dst, p.MsgLevel)
	dst = codec.AppendText(dst, p.ServiceID, 10)
	dst = codec.AppendUint8(dst, p.FeeUserType)
	dst = codec.AppendText(dst, p.FeeTerminalID, term)
	if f == Family30 {
		dst = codec.AppendUint8(dst, p.FeeTerminalType)
	}
	dst = codec.AppendUint8(dst, p.TPPID)
	dst = codec.AppendUint8(dst, p.TPUDHI)
	dst = codec.AppendUint8(dst, p.MsgFmt)
	dst = codec.AppendText(dst, p.MsgSrc, 6)
	dst = codec.AppendText(dst, p.FeeType, 2)
	dst = codec.AppendText(dst, p.FeeCode, 6)
	dst = codec.AppendText(dst, p.ValIDTime, 17)
	dst = codec.AppendText(dst, p.AtTime, 17)
	dst = codec.AppendText(dst, p.SrcID, 21)
	dests := p.DestTerminalID
	if len(dests) > 255 {
		dests = dests[:255]
	}
	dst = codec.AppendUint8(dst, uint8(len(dests)))
	for _, d := range dests {
		dst = codec.AppendText(dst, d, term)
	}
	if f == Family30 {
		dst = codec.AppendUint8(dst, p.DestTerminalType)
	}
	dst = appendContent(dst, p.MsgContent)
	return codec.AppendText(dst, p.LinkID, f.LinkIDLen())
}

func (p *Submit) decodeBody(r *codec.Reader, v Version, _ Header) {
	f := v.Family()
	term := f.TerminalIDLen()
	p.MsgID = r.Uint64("Msg_Id")
	p.PkTotal = r.Uint8("Pk_total")
	p.PkNumber = r.Uint8("Pk_number")
	p.RegisteredDelivery = r.Uint8("Registered_Delivery")
	p.MsgLevel = r.Uint8("Msg_level")
	p.ServiceID = r.Text("Service_Id", 10)
	p.FeeUserType = r.Uint8("Fee_UserType")
	p.FeeTerminalID = r.Text("Fee_terminal_Id", term)
	if f == Family30 {
		p.FeeTerminalType = r.Uint8("Fee_terminal_type")
	}
	p.TPPID = r.Uint8("TP_pId")
	p.TPUDHI = r.Uint8("TP_udhi")
	p.MsgFmt = r.Uint8("Msg_Fmt")
	p.MsgSrc = r.Text("Msg_src", 6)
	p.FeeType = r.Text("FeeType", 2)
	p.FeeCode = r.Text("FeeCode", 6)
	p.ValIDTime = r.Text("ValId_Time", 17)
	p.AtTime = r.Text("At_Time", 17)
	p.SrcID = r.Text("Src_Id", 21)
	n := int(r.Uint8("DestUsr_tl"))
	if n < 1 || n > MaxDestUsr {
		failBack(r, "DestUsr_tl", 1, int64(n), codec.RecipientCountError(n, MaxDestUsr))
		return
	}
	p.DestTerminalID = make([]string, n)
	for i := range p.DestTerminalID {
		p.DestTerminalID[i] = r.TextAt("Dest_terminal_Id", i, term)
	}
	if f == Family30 {
		p.DestTerminalType = r.Uint8("Dest_terminal_type")
	}
	p.MsgContent = octets(r.Bytes("Msg_Content", int(r.Uint8("Msg_Length"))))
	p.LinkID = r.Text(linkIDField(f, "Reserve"), f.LinkIDLen())
}

// linkIDField is the spec's name of the trailer: LinkID in 3.0, Reserve
// (Submit) or Reserved (Deliver) in 2.x.
func linkIDField(f Family, reserve string) string {
	if f == Family30 {
		return "LinkID"
	}
	return reserve
}

// appendContent appends Msg_Length and Msg_Content, cut to 255 bytes.
func appendContent(dst, content []byte) []byte {
	if len(content) > 255 {
		content = content[:255]
	}
	dst = codec.AppendUint8(dst, uint8(len(content)))
	return append(dst, content...)
}

// SubmitResp is CMPP_SUBMIT_RESP (0x80000004), ISMG → SP (§8): packet 21
// bytes in 2.x, 24 in 3.0.
type SubmitResp struct {
	// MsgID is the id the ISMG assigned (§11). For N recipients it covers
	// MsgID … MsgID+N−1, one per recipient (MsgIDAdd); reports carry those.
	MsgID  uint64 `json:"Msg_Id,string"`
	Result Result `json:"Result,string"` // 1 byte (2.x) / 4 bytes (3.0)
}

// Command returns CmdSubmitResp.
func (*SubmitResp) Command() CommandID { return CmdSubmitResp }

// AppendBody appends Msg_Id and Result in v's width.
func (p *SubmitResp) AppendBody(dst []byte, v Version) []byte {
	dst = codec.AppendUint64(dst, p.MsgID)
	return appendResult(dst, v.Family(), uint32(p.Result))
}

func (p *SubmitResp) decodeBody(r *codec.Reader, v Version, _ Header) {
	p.MsgID = r.Uint64("Msg_Id")
	p.Result = Result(readResult(r, v.Family(), "Result"))
}

// AppendSubmitResp appends a whole CMPP_SUBMIT_RESP frame (21 bytes in 2.x,
// 24 in 3.0), the proxy's answer on its hot path. Does not allocate when dst
// has room.
func AppendSubmitResp(dst []byte, v Version, seq uint32, msgID uint64, result Result) []byte {
	return appendIDResult(dst, v, CmdSubmitResp, seq, msgID, uint32(result))
}

// appendIDResult appends a frame whose body is Msg_Id 8 + result (1 or 4).
func appendIDResult(dst []byte, v Version, id CommandID, seq uint32, msgID uint64, result uint32) []byte {
	f := v.Family()
	dst = AppendHeader(dst, Header{TotalLength: uint32(HeaderLen + 8 + f.ResultLen()), CommandID: id, SequenceID: seq})
	dst = codec.AppendUint64(dst, msgID)
	return appendResult(dst, f, result)
}
