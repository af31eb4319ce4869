package smgp

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// ParseView fills out from one whole frame without copying or allocating:
// every slice is a sub-slice of frame (the writable ones, Sequence and
// LinkIDField, have their capacity cut). It reads only what the proxy
// needs:
//
//	all          Kind, Command, Length, Sequence
//	Submit       SPNumber = SrcTermID, ServiceCode = ServiceID, Dest(i)
//	             (stride 21), LinkIDField = value of TLV 0x0003 (nil when
//	             absent), UDHI = udh.Flag(TLV 0x0002), PkTotal/PkNumber from
//	             TLVs 0x0009/0x000A else from the UDH when UDHI, ConcatRef
//	             from the UDH, Coding = MsgFormat, Content, NeedReport
//	Deliver      MsgID (10 B), UserNumber = SrcTermID, SPNumber = DestTermID,
//	             LinkIDField, UDHI/PkTotal/PkNumber/ConcatRef as Submit,
//	             Coding, Content, IsReport (IsReport == 1); for a report also
//	             ReportMsgID (the 10 raw bytes after "id:") and ReportStat
//	             (the 7 after "stat:"), found by a cheap label scan, left
//	             nil when the text has no such label
//	Submit_Resp  MsgID (10 B), Result = Status
//	Deliver_Resp MsgID (the Deliver's), Result = Status
//	Login_Resp   Result = Status
//
// A truncated TLV area is not an error (docs/protocols/smgp30.md §12, V8):
// the walk stops there, as in Decode. Errors are *codec.FieldError naming the
// field that does not fit (ErrShortFrame), a PacketLength that disagrees with
// len(frame), an impossible DestTermIDCount (ErrNoRecipients,
// ErrTooManyRecipients), or, with the header fields filled in and Kind
// KindUnknown, an undefined RequestID (ErrUnknownCommand). It never panics.
// out is reset first.
func ParseView(frame []byte, v Version, out *codec.View) error {
	// The hot path, a whole Submit or Submit_Resp (and the SP's
	// Deliver_Resp), in a few instructions; every other frame, and a
	// Submit fastSubmit cannot read at fixed offsets, goes through
	// parseView.
	if len(frame) >= HeaderLen && uint64(binary.BigEndian.Uint32(frame[offPacketLength:])) == uint64(len(frame)) {
		switch c := CommandID(binary.BigEndian.Uint32(frame[offRequestID:])); {
		case c == CmdSubmit:
			out.Reset()
			out.Kind, out.Command, out.Length = codec.KindSubmit, uint32(c), len(frame)
			out.Sequence = frame[offSequenceID:HeaderLen:HeaderLen]
			if fastSubmit(frame, v, out) {
				return nil
			}
		case (c == CmdSubmitResp || c == CmdDeliverResp) && len(frame) >= HeaderLen+MsgIDLen+4:
			// The other half of the hot path: one per forwarded Submit.
			out.Reset()
			out.Kind, out.Command, out.Length = codec.KindSubmitResp, uint32(c), len(frame)
			if c == CmdDeliverResp {
				out.Kind = codec.KindDeliverResp
			}
			out.Sequence = frame[offSequenceID:HeaderLen:HeaderLen]
			out.MsgID = frame[HeaderLen : HeaderLen+MsgIDLen : HeaderLen+MsgIDLen]
			out.Result = binary.BigEndian.Uint32(frame[HeaderLen+MsgIDLen:])
			return nil
		}
	}
	return parseView(frame, v, out)
}

// parseView is ParseView for every frame but the hot path's.
func parseView(frame []byte, v Version, out *codec.View) error {
	out.Reset()
	h, err := DecodeHeader(frame)
	if err != nil {
		return err
	}
	out.Kind = KindOf(h.RequestID)
	out.Command = uint32(h.RequestID)
	out.Length = int(h.PacketLength)
	out.Sequence = frame[offSequenceID:HeaderLen:HeaderLen]
	if err := checkLength(frame, h); err != nil {
		return err
	}
	switch h.RequestID {
	case CmdSubmit:
		if fastSubmit(frame, v, out) {
			return nil
		}
		return viewSubmit(frame, v, out)
	case CmdDeliver:
		return viewDeliver(frame, out)
	case CmdSubmitResp, CmdDeliverResp:
		if len(frame) >= HeaderLen+MsgIDLen+4 {
			// The other half of the hot path: one per forwarded Submit.
			out.MsgID = frame[HeaderLen : HeaderLen+MsgIDLen : HeaderLen+MsgIDLen]
			out.Result = binary.BigEndian.Uint32(frame[HeaderLen+MsgIDLen:])
			return nil
		}
		r := codec.NewReader(frame, h.RequestID.label(), HeaderLen)
		out.MsgID = r.Bytes("MsgID", MsgIDLen)
		out.Result = r.Uint32("Status")
		return r.Err()
	case CmdLoginResp:
		r := codec.NewReader(frame, h.RequestID.label(), HeaderLen)
		out.Result = r.Uint32("Status")
		return r.Err()
	}
	if !h.RequestID.Defined() {
		return &codec.FieldError{PDU: "smgp", Field: "RequestID", Index: -1,
			Offset: offRequestID, Value: int64(h.RequestID), Err: codec.ErrUnknownCommand}
	}
	return nil
}

// fastSubmit reads a well-formed Submit at fixed offsets, with one length
// check per variable part (DestTermIDCount, MsgLength) instead of one per
// field: the Submit is the gateway's hot path. Anything out of place
// returns false and viewSubmit then names the field that does not fit.
func fastSubmit(frame []byte, v Version, out *codec.View) bool {
	b := frame[HeaderLen:]
	fx := 21 // MsgFormat, after MsgType … FeeCode
	if v.hasFixedFee() {
		fx += FixedFeeLen
	}
	dests := fx + 78 // after MsgFormat … ChargeTermID and DestTermIDCount
	if len(b) < dests {
		return false
	}
	n := int(b[dests-1])
	if n < 1 || n > MaxDestTermIDs {
		return false
	}
	m := dests + n*TermIDLen // MsgLength
	if len(b) < m+1 {
		return false
	}
	end := m + 1 + int(b[m])
	if len(b) < end+ReserveLen {
		return false
	}
	out.NeedReport = b[1] != 0
	out.ServiceCode = codec.TrimNUL(b[3 : 3+ServiceIDLen : 3+ServiceIDLen])
	out.Coding = b[fx]
	out.SPNumber = codec.TrimNUL(b[fx+35 : fx+56 : fx+56])
	out.SetDests(frame, HeaderLen+dests, TermIDLen, n)
	out.Content = b[m+1 : end : end]
	viewTLVs(b[end+ReserveLen:], out.Content, out)
	return true
}

func viewSubmit(frame []byte, v Version, out *codec.View) error {
	r := codec.NewReader(frame, pduLabel(CmdSubmit, v), HeaderLen)
	r.Uint8("MsgType")
	needReport := r.Uint8("NeedReport")
	r.Uint8("Priority")
	serviceID := r.Bytes("ServiceID", ServiceIDLen)
	r.Bytes("FeeType", FeeTypeLen)
	r.Bytes("FeeCode", FeeCodeLen)
	if v.hasFixedFee() {
		r.Bytes("FixedFee", FixedFeeLen)
	}
	coding := r.Uint8("MsgFormat")
	r.Bytes("ValidTime", TimeLen)
	r.Bytes("AtTime", TimeLen)
	src := r.Bytes("SrcTermID", TermIDLen)
	r.Bytes("ChargeTermID", TermIDLen)
	n := readDestCount(&r)
	destOff := r.Offset()
	for i := 0; i < n; i++ {
		r.BytesAt("DestTermID", i, TermIDLen)
	}
	content := r.Bytes("MsgContent", int(r.Uint8("MsgLength")))
	r.Bytes("Reserve", ReserveLen)
	if err := r.Err(); err != nil {
		return err
	}
	out.SPNumber = codec.TrimNUL(src)
	out.ServiceCode = codec.TrimNUL(serviceID)
	out.SetDests(frame, destOff, TermIDLen, n)
	out.Coding = coding
	out.Content = content
	out.NeedReport = needReport != 0
	viewTLVs(r.Rest(), content, out)
	return nil
}

func viewDeliver(frame []byte, out *codec.View) error {
	r := codec.NewReader(frame, pduLabel(CmdDeliver, 0), HeaderLen)
	msgID := r.Bytes("MsgID", MsgIDLen)
	isReport := r.Uint8("IsReport")
	coding := r.Uint8("MsgFormat")
	r.Bytes("RecvTime", RecvTimeLen)
	src := r.Bytes("SrcTermID", TermIDLen)
	dst := r.Bytes("DestTermID", TermIDLen)
	content := r.Bytes("MsgContent", int(r.Uint8("MsgLength")))
	r.Bytes("Reserve", ReserveLen)
	if err := r.Err(); err != nil {
		return err
	}
	out.MsgID = msgID
	out.IsReport = isReport == 1
	out.Coding = coding
	out.UserNumber = codec.TrimNUL(src)
	out.SPNumber = codec.TrimNUL(dst)
	out.Content = content
	if out.IsReport {
		out.ReportMsgID, out.ReportStat = scanReport(content)
	}
	viewTLVs(r.Rest(), content, out)
	return nil
}

// viewTLVs fills LinkIDField, UDHI, PkTotal, PkNumber and ConcatRef from the
// TLV area and, when TP_udhi is set, the UDH. Content is not re-interpreted
// without the flag (docs/protocols/smgp30.md §15, V8).
func viewTLVs(area, content []byte, out *codec.View) {
	// scanTLVs' walk, writing into out as it goes (a tlvFields returned
	// and copied cost a fifth of an SMGP Submit's ParseView). out was
	// reset: LinkIDField is nil until the first LinkID TLV.
	var udhi uint8
	var hasUDHI, hasTotal, hasNumbr bool
	for len(area) >= TLVHeaderLen {
		tag := binary.BigEndian.Uint16(area)
		end := TLVHeaderLen + int(binary.BigEndian.Uint16(area[2:]))
		if end > len(area) {
			break // truncated: the walk stops, as in Decode
		}
		value := area[TLVHeaderLen:end:end]
		switch {
		case tag == TagLinkID && out.LinkIDField == nil:
			out.LinkIDField = value
		case tag == TagTPUdhi && !hasUDHI:
			udhi, hasUDHI = tlvUint8(value), true
		case tag == TagPkTotal && !hasTotal:
			out.PkTotal, hasTotal = tlvUint8(value), true
		case tag == TagPkNumber && !hasNumbr:
			out.PkNumber, hasNumbr = tlvUint8(value), true
		}
		area = area[end:]
	}
	out.UDHI = hasUDHI && udh.Flag(udhi)
	if out.UDHI {
		if h, ok := udh.Parse(content); ok && h.HasConcat {
			out.ConcatRef = h.Concat.Ref
			out.HasConcat, out.ConcatTotal, out.ConcatSeq = true, h.Concat.Total, h.Concat.Seq
			if !hasTotal {
				out.PkTotal = h.Concat.Total
			}
			if !hasNumbr {
				out.PkNumber = h.Concat.Seq
			}
		}
	}
}
