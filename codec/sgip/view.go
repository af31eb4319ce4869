package sgip

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// ParseView fills out from one raw frame for the proxy's hot path, without
// copying or allocating: every slice in out is a sub-slice of frame.
//
// It checks the frame as strictly as Decode does (the same errors, in the
// same places: a frame ParseView accepts decodes, and the other way round)
// but keeps only what the proxy reads:
//
//	Submit       SPNumber, ServiceCode (ServiceType), Dest(i) (stride 21),
//	             LinkIDField (the 8-byte Reserve, writable), UDHI (TP_udhi),
//	             PkTotal/PkNumber/ConcatRef (from the UDH; SGIP has no Pk
//	             fields), Coding, Content, NeedReport
//	Deliver      UserNumber (sender), SPNumber (dialled), LinkIDField
//	             (Reserve), UDHI, Coding, Content. SGIP Deliver has no MsgID:
//	             the Deliver_Resp echoes the header sequence.
//	Report       IsReport, ReportMsgID (the 12-byte SubmitSequenceNumber,
//	             writable: rewrite it with PutSequence), UserNumber (the MT's
//	             recipient), ReportState. ErrorCode has no View field.
//	UserRpt      SPNumber, UserNumber
//	*_Resp       Result (the 1-byte Result; 0 for Unbind_Resp, Trace_Resp
//	             and CheckUser_Resp, which have no generic body)
//
// NeedReport is ReportFlag != 2: flag 0 means "report on final error only",
// so a report may still come and the proxy must keep a route for it; only
// 2 means no report at all (§4). ReportOnError is flag 0.
//
// On error, out keeps Kind, Command, Length and Sequence when the header
// was readable (so the proxy can answer or log the frame) and nothing else.
// An id the spec does not define fails with codec.ErrUnknownCommand; the
// spec says to close the connection then (§2).
func ParseView(frame []byte, out *codec.View) error {
	// The hot path, a whole Submit or Submit_Resp, in a few instructions;
	// every other frame, and a Submit fastSubmit cannot read at fixed
	// offsets, goes through parseView.
	if len(frame) >= HeaderLen && uint64(binary.BigEndian.Uint32(frame[offLength:])) == uint64(len(frame)) {
		switch c := CommandID(binary.BigEndian.Uint32(frame[offCommand:])); {
		case c == CmdSubmit:
			*out = codec.View{}
			out.Kind, out.Command, out.Length = codec.KindSubmit, uint32(c), len(frame)
			out.Sequence = frame[offSequence:HeaderLen:HeaderLen]
			if fastSubmit(frame, out) {
				return nil
			}
		case c == CmdSubmitResp && len(frame) == RespLen:
			// The other half of the hot path: one per forwarded Submit.
			*out = codec.View{}
			out.Kind, out.Command, out.Length = codec.KindSubmitResp, uint32(c), len(frame)
			out.Sequence = frame[offSequence:HeaderLen:HeaderLen]
			out.Result = uint32(frame[HeaderLen])
			return nil
		}
	}
	return parseView(frame, out)
}

// parseView is ParseView for every frame but the hot path's.
func parseView(frame []byte, out *codec.View) error {
	*out = codec.View{}
	if len(frame) < HeaderLen {
		_, err := checkHeader(frame)
		return err
	}
	// The header at fixed offsets; the Sequence stays a slice of the frame,
	// so it is not decoded here.
	h := Header{
		Length:  binary.BigEndian.Uint32(frame[offLength:]),
		Command: CommandID(binary.BigEndian.Uint32(frame[offCommand:])),
	}
	out.Kind = KindOf(h.Command)
	out.Command = uint32(h.Command)
	out.Length = int(h.Length)
	out.Sequence = frame[offSequence:HeaderLen:HeaderLen]
	if h.Length < HeaderLen || uint64(h.Length) < uint64(len(frame)) {
		_, err := checkHeader(frame) // names the field, as Decode does
		return err
	}
	if out.Kind == codec.KindUnknown {
		return unknownCommand(h.Command)
	}
	r := codec.NewReader(frame, h.Command.String(), HeaderLen)
	switch c := h.Command; {
	case c == CmdSubmit:
		viewSubmit(&r, frame, out)
	case c == CmdDeliver:
		viewDeliver(&r, out)
	case c == CmdReport:
		out.IsReport = true
		out.ReportMsgID = r.Bytes("SubmitSequenceNumber", SequenceLen)
		r.Uint8("ReportType")
		out.UserNumber = codec.TrimNUL(r.Bytes("UserNumber", NumberLen))
		out.ReportState = r.Uint8("State")
		r.Uint8("ErrorCode")
		r.Bytes("Reserve", reserveLen)
	case c == CmdUserRpt:
		out.SPNumber = codec.TrimNUL(r.Bytes("SPNumber", NumberLen))
		out.UserNumber = codec.TrimNUL(r.Bytes("UserNumber", NumberLen))
		r.Uint8("UserCondition")
		r.Bytes("Reserve", reserveLen)
	case c == CmdBind:
		r.Uint8("Login Type")
		r.Bytes("Login Name", LoginNameLen)
		r.Bytes("Login Password", LoginPasswordLen)
		r.Bytes("Reserve", reserveLen)
	case c == CmdTrace:
		r.Bytes("SubmitSequenceNumber", SequenceLen)
		r.Bytes("UserNumber", NumberLen)
		r.Bytes("Reserve", reserveLen)
	case c == CmdTraceResp:
		viewTraceResp(&r)
	case c == CmdUnbind, c == CmdUnbindResp: // no body
	case c == CmdCheckUser, c == CmdCheckUserResp, isGNS(c):
		r.Rest() // Raw: any body
	case c.IsResponse() && isGNS(c&^RespBit), c == CmdBindResp, c == CmdSubmitResp,
		c == CmdDeliverResp, c == CmdReportResp, c == CmdUserRptResp:
		out.Result = uint32(r.Uint8("Result"))
		r.Bytes("Reserve", reserveLen)
	default:
		return unknownCommand(c)
	}
	if err := endBody(&r, h); err != nil {
		*out = codec.View{Kind: out.Kind, Command: out.Command, Length: out.Length, Sequence: out.Sequence}
		return err
	}
	return nil
}

// fastSubmit reads a well-formed Submit at fixed offsets, with one length
// check per variable part (UserCount, MessageLength) instead of one per
// field: the Submit is the gateway's hot path. Anything out of place
// returns false and viewSubmit then names the field that does not fit.
// frame's Message Length is already known to equal len(frame).
func fastSubmit(frame []byte, out *codec.View) bool {
	b := frame[HeaderLen:]
	const users = 2*NumberLen + 1 // after SPNumber, ChargeNumber, UserCount
	if len(b) < users {
		return false
	}
	n := int(b[users-1])
	if n == 0 || n > MaxUserCount {
		return false
	}
	u := users + n*NumberLen // CorpId
	if len(b) < u+72 {
		return false
	}
	l := binary.BigEndian.Uint32(b[u+68:])
	c := u + 72 // MessageContent
	if uint64(l) > uint64(len(b)-c) || len(b)-c-int(l) < LinkIDLen {
		return false
	}
	end := c + int(l)
	out.SPNumber = codec.TrimNUL(b[0:NumberLen:NumberLen])
	out.SetDests(frame, HeaderLen+users, NumberLen, n)
	out.ServiceCode = codec.TrimNUL(b[u+5 : u+15 : u+15])
	out.NeedReport = b[u+63] != ReportFlagNone
	out.ReportOnError = b[u+63] == ReportFlagOnError
	out.UDHI = udh.Flag(b[u+65])
	out.Coding = b[u+66]
	out.Content = b[c:end:end]
	out.LinkIDField = b[end : end+LinkIDLen : end+LinkIDLen]
	if out.UDHI {
		if h, ok := udh.Parse(out.Content); ok && h.HasConcat {
			out.PkTotal, out.PkNumber, out.ConcatRef = h.Concat.Total, h.Concat.Seq, h.Concat.Ref
			out.HasConcat, out.ConcatTotal, out.ConcatSeq = true, h.Concat.Total, h.Concat.Seq
		}
	}
	return true
}

func viewSubmit(r *codec.Reader, frame []byte, out *codec.View) {
	out.SPNumber = codec.TrimNUL(r.Bytes("SPNumber", NumberLen))
	r.Bytes("ChargeNumber", NumberLen)
	n := readUserCount(r)
	destOff := r.Offset()
	for i := range n {
		r.BytesAt("UserNumber", i, NumberLen)
	}
	r.Bytes("CorpId", CorpIDLen)
	out.ServiceCode = codec.TrimNUL(r.Bytes("ServiceType", ServiceTypeLen))
	r.Uint8("FeeType")
	r.Bytes("FeeValue", FeeValueLen)
	r.Bytes("GivenValue", FeeValueLen)
	r.Uint8("AgentFlag")
	r.Uint8("MorelatetoMTFlag")
	r.Uint8("Priority")
	r.Bytes("ExpireTime", TimeLen)
	r.Bytes("ScheduleTime", TimeLen)
	flag := r.Uint8("ReportFlag")
	out.NeedReport = flag != ReportFlagNone
	out.ReportOnError = flag == ReportFlagOnError && !r.Failed()
	r.Uint8("TP_pid")
	out.UDHI = udh.Flag(r.Uint8("TP_udhi"))
	out.Coding = r.Uint8("MessageCoding")
	r.Uint8("MessageType")
	out.Content = readContent(r)
	out.LinkIDField = r.Bytes("Reserve", LinkIDLen)
	r.Rest() // trailer, see TrailingBytes
	if r.Failed() {
		return
	}
	out.SetDests(frame, destOff, NumberLen, n) // only once the recipients are known to fit
	if out.UDHI {
		if h, ok := udh.Parse(out.Content); ok && h.HasConcat {
			out.PkTotal, out.PkNumber, out.ConcatRef = h.Concat.Total, h.Concat.Seq, h.Concat.Ref
			out.HasConcat, out.ConcatTotal, out.ConcatSeq = true, h.Concat.Total, h.Concat.Seq
		}
	}
}

func viewDeliver(r *codec.Reader, out *codec.View) {
	out.UserNumber = codec.TrimNUL(r.Bytes("UserNumber", NumberLen))
	out.SPNumber = codec.TrimNUL(r.Bytes("SPNumber", NumberLen))
	r.Uint8("TP_pid")
	out.UDHI = udh.Flag(r.Uint8("TP_udhi"))
	out.Coding = r.Uint8("MessageCoding")
	out.Content = readContent(r)
	out.LinkIDField = r.Bytes("Reserve", LinkIDLen)
	r.Rest() // trailer, see TrailingBytes
}

func viewTraceResp(r *codec.Reader) {
	count := int(r.Uint8("Count"))
	for i := range count {
		r.BytesAt("Result", i, 1)
		r.BytesAt("NodeId", i, NodeIDLen)
		r.BytesAt("ReceiveTime", i, traceTimeLen)
		r.BytesAt("SendTime", i, traceTimeLen)
		r.BytesAt("Reserve", i, reserveLen)
	}
}

// TrailingBytes returns the bytes of a Submit or Deliver frame that follow
// its 8-byte Reserve (docs/protocols/sgip12.md §8: a carrier variant may
// append a longer LinkID there), as a sub-slice of frame; nil when there are
// none, for other commands and for frames that do not parse. codec.View has
// no field for them, so the proxy calls this to count them. Does not
// allocate.
func TrailingBytes(frame []byte) []byte {
	if len(frame) < HeaderLen || uint64(binary.BigEndian.Uint32(frame)) != uint64(len(frame)) {
		return nil
	}
	var lenOff int // offset of MessageLength
	switch CommandOf(frame) {
	case CmdSubmit:
		const userCountOff = HeaderLen + 2*NumberLen
		if len(frame) <= userCountOff {
			return nil
		}
		n := int(frame[userCountOff])
		if n == 0 || n > MaxUserCount {
			return nil
		}
		// UserNumber×n, CorpId, ServiceType, FeeType, FeeValue, GivenValue,
		// AgentFlag, MorelatetoMTFlag, Priority, ExpireTime, ScheduleTime,
		// ReportFlag, TP_pid, TP_udhi, MessageCoding, MessageType.
		lenOff = userCountOff + 1 + NumberLen*n + CorpIDLen + ServiceTypeLen + 1 + 2*FeeValueLen + 3 + 2*TimeLen + 5
	case CmdDeliver:
		lenOff = HeaderLen + 2*NumberLen + 3 // UserNumber, SPNumber, TP_pid, TP_udhi, MessageCoding
	default:
		return nil
	}
	if len(frame) < lenOff+4 {
		return nil
	}
	end := uint64(lenOff) + 4 + uint64(binary.BigEndian.Uint32(frame[lenOff:])) + LinkIDLen
	if end >= uint64(len(frame)) {
		return nil
	}
	return frame[end:len(frame):len(frame)]
}
