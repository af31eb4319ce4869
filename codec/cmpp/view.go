package cmpp

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// ParseView fills out from one frame for the proxy's hot path, without
// copying or allocating: every slice in out is a sub-slice of frame, valid as
// long as frame is. It reads only what routing and authorization need:
//
//	every frame    Kind, Command, Length (Total_Length), Sequence (writable)
//	Submit         SPNumber = Src_Id, ServiceCode = Service_Id, Dest(i) (stride 21 / 32),
//	               LinkIDField = Reserve 8 (2.x) / LinkID 20 (3.0), UDHI, PkTotal, PkNumber,
//	               ConcatRef (UDH), Coding = Msg_Fmt, Content, NeedReport = Registered_Delivery == 1
//	Deliver        MsgID (8), SPNumber = Dest_Id, ServiceCode, UserNumber = Src_terminal_Id,
//	               UDHI, Coding, Content, LinkIDField = Reserved / LinkID, IsReport;
//	               for a report: ReportMsgID (8), ReportStat, UserNumber = report Dest_terminal_Id
//	Submit_Resp,   MsgID (8), Result (1 / 4 bytes)
//	Deliver_Resp
//	Connect_Resp   Result = Status (width told by Total_Length, 30 / 33)
//	Cancel         MsgID;   Cancel_Resp: Result = Success_Id
//
// A fixed field that does not fit in frame fails with a *codec.FieldError
// naming it (ErrShortFrame); a DestUsr_tl outside 1–100 with
// ErrNoRecipients or ErrTooManyRecipients (both ErrBadValue). A report body
// that is neither 60 nor 71 bytes is not an error: ReportMsgID and
// ReportStat are filled when it holds them, UserNumber stays
// Src_terminal_Id (which a report sets to the MT's recipient as well).
// Total_Length is not checked against len(frame): the Framer did that.
//
// Command ids the spec does not define fail with codec.ErrUnknownCommand
// after the header part of out is filled; CMPP_FWD and the GNS commands are
// KindOther/KindOtherResp and succeed.
//
// Call it from the goroutine that owns frame and out.
func ParseView(frame []byte, v Version, out *codec.View) error {
	*out = codec.View{}
	if len(frame) < HeaderLen {
		_, err := DecodeHeader(frame)
		return err
	}
	id := CommandID(binary.BigEndian.Uint32(frame[4:]))
	switch id { // the hot pair first, without KindOf's call
	case CmdSubmit:
		out.Kind = codec.KindSubmit
	case CmdSubmitResp:
		out.Kind = codec.KindSubmitResp
	default:
		out.Kind = KindOf(id)
	}
	out.Command = uint32(id)
	out.Length = int(binary.BigEndian.Uint32(frame))
	out.Sequence = frame[8:HeaderLen:HeaderLen]
	f := v.Family()
	switch {
	case id == CmdSubmit && fastSubmit(frame, f, out):
		return nil
	case id == CmdSubmitResp && len(frame) >= HeaderLen+8+f.ResultLen():
		// The other half of the hot path: one response per forwarded Submit.
		out.MsgID = frame[HeaderLen : HeaderLen+8 : HeaderLen+8]
		if f == Family30 {
			out.Result = binary.BigEndian.Uint32(frame[HeaderLen+8:])
		} else {
			out.Result = uint32(frame[HeaderLen+8])
		}
		return nil
	}
	r := codec.NewReader(frame, pduName(id, f), HeaderLen)
	switch id {
	case CmdSubmit:
		viewSubmit(&r, frame, f, out)
	case CmdDeliver:
		viewDeliver(&r, f, out)
	case CmdSubmitResp, CmdDeliverResp:
		out.MsgID = r.Bytes("Msg_Id", 8)
		out.Result = readResult(&r, f, "Result")
	case CmdConnectResp:
		switch out.Length {
		case HeaderLen + 18:
			f = Family2x
		case HeaderLen + 21:
			f = Family30
		}
		out.Result = readResult(&r, f, "Status")
	case CmdCancel:
		out.MsgID = r.Bytes("Msg_Id", 8)
	case CmdCancelResp:
		out.Result = readResult(&r, f, "Success_Id")
	default:
		if out.Kind == codec.KindUnknown {
			return &codec.FieldError{PDU: pduName(id, f), Field: "Command_Id", Index: -1, Offset: 4,
				Value: int64(id), Err: codec.ErrUnknownCommand}
		}
	}
	return r.Err()
}

// fastSubmit reads a well-formed Submit at fixed offsets after one length
// check per variable part, instead of one bounds check per field: the Submit
// is the hot path (an early CPU profile of the end-to-end benchmark:
// ParseView was a third of the gateway's CPU). Anything out of place returns
// false, and viewSubmit then reads field by field and names the field that
// does not fit.
func fastSubmit(frame []byte, f Family, out *codec.View) bool {
	term := f.TerminalIDLen()
	b := frame[HeaderLen:]
	p := 23 + term // TP_pId: after Msg_Id … Fee_terminal_Id
	if f == Family30 {
		p++ // Fee_terminal_type
	}
	dests := p + 73 // after TP_pId … Src_Id (51 + 21 bytes) and DestUsr_tl
	if len(b) < dests {
		return false
	}
	n := int(b[p+72])
	if n < 1 || n > MaxDestUsr {
		return false
	}
	d := dests + n*term
	if f == Family30 {
		d++ // Dest_terminal_type
	}
	if len(b) < d+1 {
		return false
	}
	l := int(b[d])
	link := f.LinkIDLen()
	end := d + 1 + l + link
	if len(b) < end {
		return false
	}
	out.PkTotal, out.PkNumber = b[8], b[9]
	out.NeedReport = b[10] == 1
	out.ServiceCode = codec.TrimNUL(b[12:22:22])
	out.UDHI = udh.Flag(b[p+1])
	out.Coding = b[p+2]
	out.SPNumber = codec.TrimNUL(b[p+51 : p+72 : p+72])
	out.SetDests(frame, HeaderLen+dests, term, n)
	out.Content = b[d+1 : d+1+l : d+1+l]
	out.LinkIDField = b[d+1+l : end : end]
	viewUDH(out)
	return true
}

// viewSubmit follows the Submit table (§7.1, §7.2), skipping what the proxy
// does not read.
func viewSubmit(r *codec.Reader, frame []byte, f Family, out *codec.View) {
	term := f.TerminalIDLen()
	r.Bytes("Msg_Id", 8)
	out.PkTotal = r.Uint8("Pk_total")
	out.PkNumber = r.Uint8("Pk_number")
	out.NeedReport = r.Uint8("Registered_Delivery") == 1
	r.Bytes("Msg_level", 1)
	out.ServiceCode = codec.TrimNUL(r.Bytes("Service_Id", 10))
	r.Bytes("Fee_UserType", 1)
	r.Bytes("Fee_terminal_Id", term)
	if f == Family30 {
		r.Bytes("Fee_terminal_type", 1)
	}
	r.Bytes("TP_pId", 1)
	out.UDHI = udh.Flag(r.Uint8("TP_udhi"))
	out.Coding = r.Uint8("Msg_Fmt")
	r.Bytes("Msg_src", 6)
	r.Bytes("FeeType", 2)
	r.Bytes("FeeCode", 6)
	r.Bytes("ValId_Time", 17)
	r.Bytes("At_Time", 17)
	out.SPNumber = codec.TrimNUL(r.Bytes("Src_Id", 21))
	n := int(r.Uint8("DestUsr_tl"))
	if n < 1 || n > MaxDestUsr {
		failBack(r, "DestUsr_tl", 1, int64(n), codec.RecipientCountError(n, MaxDestUsr))
		return
	}
	off := r.Offset()
	for i := range n {
		r.BytesAt("Dest_terminal_Id", i, term)
	}
	if r.Failed() {
		return
	}
	out.SetDests(frame, off, term, n)
	if f == Family30 {
		r.Bytes("Dest_terminal_type", 1)
	}
	out.Content = r.Bytes("Msg_Content", int(r.Uint8("Msg_Length")))
	out.LinkIDField = r.Bytes(linkIDField(f, "Reserve"), f.LinkIDLen())
	viewUDH(out)
}

// viewUDH takes the concatenation reference from the UDH, and the segment
// numbers too when Pk_total/Pk_number were left 0.
func viewUDH(out *codec.View) {
	if !out.UDHI {
		return
	}
	h, ok := udh.Parse(out.Content)
	if !ok || !h.HasConcat {
		return
	}
	out.ConcatRef = h.Concat.Ref
	out.HasConcat, out.ConcatTotal, out.ConcatSeq = true, h.Concat.Total, h.Concat.Seq
	if out.PkTotal == 0 && out.PkNumber == 0 {
		out.PkTotal, out.PkNumber = h.Concat.Total, h.Concat.Seq
	}
}

// viewDeliver follows the Deliver table (§9.1, §9.2) and, for a report, the
// report body by its length (§9.3).
func viewDeliver(r *codec.Reader, f Family, out *codec.View) {
	out.MsgID = r.Bytes("Msg_Id", 8)
	out.SPNumber = codec.TrimNUL(r.Bytes("Dest_Id", 21))
	out.ServiceCode = codec.TrimNUL(r.Bytes("Service_Id", 10))
	r.Bytes("TP_pid", 1)
	out.UDHI = udh.Flag(r.Uint8("TP_udhi"))
	out.Coding = r.Uint8("Msg_Fmt")
	out.UserNumber = codec.TrimNUL(r.Bytes("Src_terminal_Id", f.TerminalIDLen()))
	if f == Family30 {
		r.Bytes("Src_terminal_type", 1)
	}
	out.IsReport = r.Uint8("Registered_Delivery") == 1
	out.Content = r.Bytes("Msg_Content", int(r.Uint8("Msg_Length")))
	out.LinkIDField = r.Bytes(linkIDField(f, "Reserved"), f.LinkIDLen())
	if r.Failed() {
		return
	}
	if !out.IsReport {
		viewUDH(out)
		return
	}
	body := out.Content
	if len(body) >= 15 {
		out.ReportMsgID = body[0:8:8]
		out.ReportStat = codec.TrimNUL(body[8:15:15])
	}
	switch len(body) {
	case int(Report71):
		out.UserNumber = codec.TrimNUL(body[35 : 35+32 : 35+32])
	case int(Report60):
		out.UserNumber = codec.TrimNUL(body[35 : 35+21 : 35+21])
	}
}
