package cmpp

import "github.com/spsmg/spsmg/codec"

// Deliver is CMPP_DELIVER (0x00000005), ISMG → SP on the same connection: an
// MO message (Registered_Delivery 0) or a status report (Registered_Delivery
// 1, the report body in Msg_Content) (docs/protocols/cmpp.md §9).
//
//	3.0 body: 77 + L + 20 bytes        2.x body: 65 + L + 8 bytes
//
// MsgContent is what goes on the wire. Report is a decoded view of it: Decode
// fills it when Registered_Delivery is 1 and the content is a 60- or 71-byte
// report body; AppendBody ignores it. Build a report Deliver with SetReport.
type Deliver struct {
	MsgID              uint64 `json:"Msg_Id,string"`              // id of this Deliver; Deliver_Resp echoes it
	DestID             string `json:"Dest_Id"`                    // SP number the user dialled (21)
	ServiceID          string `json:"Service_Id"`                 // (10)
	TPPID              uint8  `json:"TP_pid,string"`              //
	TPUDHI             uint8  `json:"TP_udhi,string"`             // UDH present iff udh.Flag(TPUDHI)
	MsgFmt             uint8  `json:"Msg_Fmt,string"`             // coding, §13
	SrcTerminalID      string `json:"Src_terminal_Id"`            // MO sender; for a report the MT's recipient; 21 / 32
	SrcTerminalType    uint8  `json:"Src_terminal_type,string"`   // 3.0 only
	RegisteredDelivery uint8  `json:"Registered_Delivery,string"` // 0 MO, 1 status report

	// MsgContent is Msg_Content (Msg_Length = len, cut to 255 on encode).
	MsgContent codec.Octets `json:"Msg_Content"`

	LinkID string `json:"LinkID"` // 3.0 LinkID (20); 2.x Reserved (8)

	// Report is the parsed report body (not a wire field of its own).
	Report *Report `json:"Report,omitempty"`
}

// Command returns CmdDeliver.
func (*Deliver) Command() CommandID { return CmdDeliver }

// IsReport reports whether the Deliver carries a status report.
func (p *Deliver) IsReport() bool { return p.RegisteredDelivery == 1 }

// SetReport makes p a status report carrying rep: Registered_Delivery 1,
// Msg_Content the report body in rep.Form (or v's default form), Report
// a copy of rep with the form it was written in. The caller sets
// SrcTerminalID to the MT's recipient (§9.1). p must then be appended with
// a version of the same family as v.
func (p *Deliver) SetReport(rep Report, v Version) {
	rep.Form = rep.Form.resolve(v)
	p.RegisteredDelivery = 1
	p.MsgContent = rep.Append(nil, v)
	p.Report = &rep
}

// AppendBody appends the body in v's layout. Does not allocate when dst has
// room.
func (p *Deliver) AppendBody(dst []byte, v Version) []byte {
	f := v.Family()
	dst = codec.AppendUint64(dst, p.MsgID)
	dst = codec.AppendText(dst, p.DestID, 21)
	dst = codec.AppendText(dst, p.ServiceID, 10)
	dst = codec.AppendUint8(dst, p.TPPID)
	dst = codec.AppendUint8(dst, p.TPUDHI)
	dst = codec.AppendUint8(dst, p.MsgFmt)
	dst = codec.AppendText(dst, p.SrcTerminalID, f.TerminalIDLen())
	if f == Family30 {
		dst = codec.AppendUint8(dst, p.SrcTerminalType)
	}
	dst = codec.AppendUint8(dst, p.RegisteredDelivery)
	dst = appendContent(dst, p.MsgContent)
	return codec.AppendText(dst, p.LinkID, f.LinkIDLen())
}

func (p *Deliver) decodeBody(r *codec.Reader, v Version, _ Header) {
	f := v.Family()
	p.MsgID = r.Uint64("Msg_Id")
	p.DestID = r.Text("Dest_Id", 21)
	p.ServiceID = r.Text("Service_Id", 10)
	p.TPPID = r.Uint8("TP_pid")
	p.TPUDHI = r.Uint8("TP_udhi")
	p.MsgFmt = r.Uint8("Msg_Fmt")
	p.SrcTerminalID = r.Text("Src_terminal_Id", f.TerminalIDLen())
	if f == Family30 {
		p.SrcTerminalType = r.Uint8("Src_terminal_type")
	}
	p.RegisteredDelivery = r.Uint8("Registered_Delivery")
	content := r.Bytes("Msg_Content", int(r.Uint8("Msg_Length")))
	p.LinkID = r.Text(linkIDField(f, "Reserved"), f.LinkIDLen())
	if r.Failed() {
		return
	}
	p.MsgContent = octets(content)
	if p.RegisteredDelivery == 1 {
		if rep, err := DecodeReport(content); err == nil {
			p.Report = &rep
		}
	}
}

// ReportForm is the layout of a status report body (§9.3): the spec gives
// 2.x a 21-byte and 3.0 a 32-byte Dest_terminal_Id, but real 3.0 gateways
// send both (§14 V9, V10), so the form travels with the report.
type ReportForm uint8

const (
	// ReportDefault: the form of the version the report is appended with
	// (71 for 3.0, 60 for 2.x).
	ReportDefault ReportForm = 0
	// Report60: 60 bytes, 21-byte Dest_terminal_Id (2.x; gocmpp and zysms
	// in 3.0 too).
	Report60 ReportForm = 60
	// Report71: 71 bytes, 32-byte Dest_terminal_Id (3.0 spec, SMSGate,
	// Wireshark).
	Report71 ReportForm = 71
)

func (f ReportForm) resolve(v Version) ReportForm {
	if f == Report60 || f == Report71 {
		return f
	}
	if v.Family() == Family30 {
		return Report71
	}
	return Report60
}

// Report is the status report body carried in a Deliver's Msg_Content when
// Registered_Delivery is 1 (§9.3).
type Report struct {
	MsgID          uint64 `json:"Msg_Id,string"` // the Submit_Resp Msg_Id (plus recipient index): the correlation key
	Stat           string `json:"Stat"`          // DELIVRD, UNDELIV, …, §9.4 (7)
	SubmitTime     string `json:"Submit_time"`   // YYMMDDHHMM (10)
	DoneTime       string `json:"Done_time"`     // YYMMDDHHMM (10)
	DestTerminalID string `json:"Dest_terminal_Id"`
	SMSCSequence   uint32 `json:"SMSC_sequence,string"`

	// Form is the layout it was read in (Report60 or Report71) or is to be
	// written in; ReportDefault follows the version.
	Form ReportForm `json:"-"`
}

// DecodeReport reads a report body, telling the form by its length: 71 bytes
// → 32-byte Dest_terminal_Id, 60 → 21-byte (§9.3, §15). Any other length
// fails with codec.ErrBadValue.
func DecodeReport(body []byte) (Report, error) {
	var rep Report
	r := codec.NewReader(body, "cmpp report", 0)
	switch len(body) {
	case int(Report71):
		rep.Form = Report71
	case int(Report60):
		rep.Form = Report60
	default:
		r.Fail("Msg_Length", -1, int64(len(body)), codec.ErrBadValue)
		return Report{}, r.Err()
	}
	rep.MsgID = r.Uint64("Msg_Id")
	rep.Stat = r.Text("Stat", 7)
	rep.SubmitTime = r.Text("Submit_time", 10)
	rep.DoneTime = r.Text("Done_time", 10)
	rep.DestTerminalID = r.Text("Dest_terminal_Id", rep.Form.destLen())
	rep.SMSCSequence = r.Uint32("SMSC_sequence")
	return rep, r.Err()
}

func (f ReportForm) destLen() int {
	if f == Report71 {
		return 32
	}
	return 21
}

// Append appends the report body in rep.Form, or in v's default form when
// Form is ReportDefault.
func (rep *Report) Append(dst []byte, v Version) []byte {
	dst = codec.AppendUint64(dst, rep.MsgID)
	dst = codec.AppendText(dst, rep.Stat, 7)
	dst = codec.AppendText(dst, rep.SubmitTime, 10)
	dst = codec.AppendText(dst, rep.DoneTime, 10)
	dst = codec.AppendText(dst, rep.DestTerminalID, rep.Form.resolve(v).destLen())
	return codec.AppendUint32(dst, rep.SMSCSequence)
}

// DeliverResp is CMPP_DELIVER_RESP (0x80000005), SP → ISMG (§9.5): packet 21
// bytes in 2.x, 24 in 3.0.
type DeliverResp struct {
	MsgID  uint64 `json:"Msg_Id,string"` // the Deliver's Msg_Id
	Result Result `json:"Result,string"` // 0–8 as Submit_Resp, ≥ 9 other error
}

// Command returns CmdDeliverResp.
func (*DeliverResp) Command() CommandID { return CmdDeliverResp }

// AppendBody appends Msg_Id and Result in v's width.
func (p *DeliverResp) AppendBody(dst []byte, v Version) []byte {
	dst = codec.AppendUint64(dst, p.MsgID)
	return appendResult(dst, v.Family(), uint32(p.Result))
}

func (p *DeliverResp) decodeBody(r *codec.Reader, v Version, _ Header) {
	p.MsgID = r.Uint64("Msg_Id")
	p.Result = Result(readResult(r, v.Family(), "Result"))
}

// AppendDeliverResp appends a whole CMPP_DELIVER_RESP frame (21 bytes in
// 2.x, 24 in 3.0). msgID is the Deliver's Msg_Id; from a View use
// binary.BigEndian.Uint64(view.MsgID). Does not allocate when dst has room.
func AppendDeliverResp(dst []byte, v Version, seq uint32, msgID uint64, result Result) []byte {
	return appendIDResult(dst, v, CmdDeliverResp, seq, msgID, uint32(result))
}
