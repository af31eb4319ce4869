package smpp

import (
	"encoding/binary"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// Options are the deployment choices ParseView depends on. The zero value
// reads plain SMPP 3.4.
type Options struct {
	// LinkIDTag names a TLV whose value is the LinkID slot of submit_sm,
	// deliver_sm and data_sm (View.LinkIDField, writable in place). SMPP
	// has no LinkID of its own, so 0, the default, leaves the slot nil; a
	// deployment whose SMSC carries the carrier's LinkID in a vendor TLV
	// (SMPP 3.4 reserves 0x1400–0x3FFF for them) names that tag here.
	LinkIDTag Tag
}

// ParseView is Options{}.ParseView: plain SMPP 3.4, no LinkID slot.
func ParseView(frame []byte, out *codec.View) error { return parseView(frame, out, 0) }

// ParseView fills out from one whole frame without copying or allocating:
// every slice is a sub-slice of frame (the writable ones, Sequence,
// DestField and LinkIDField, have their capacity cut). It reads only what
// the proxy needs:
//
//	every frame      Kind, Command, Length, Sequence (offset 12)
//	any response     Result = command_status (generic_nack included)
//	submit_sm        ServiceCode = service_type, SPNumber = source_addr,
//	data_sm          Dest(0) = destination_addr (DestCount 1, the slot is the
//	                 string and its NUL), UDHI = esm_class 0x40, Coding =
//	                 data_coding, Content = short_message, or message_payload
//	                 when short_message is empty (data_sm: always),
//	                 NeedReport = RegisteredDelivery.NeedReport
//	deliver_sm       ServiceCode, UserNumber = source_addr, SPNumber =
//	                 destination_addr, UDHI, Coding, Content as submit_sm;
//	                 IsReport = ESMClass.IsReport; for a report:
//	                 ReportMsgID = receipted_message_id (NUL cut), else the
//	                 text's id; ReportStat = the text's stat; ReportState =
//	                 message_state
//	segments         PkTotal/PkNumber/ConcatRef from the sar_* TLVs when all
//	                 three are there, else from the UDH when UDHI is set
//	LinkIDField      the value of the Options.LinkIDTag TLV (nil by default)
//	submit_sm_resp,  MsgID = message_id (NUL cut; nil when the body is left
//	data_sm_resp,    out)
//	deliver_sm_resp
//
// data_sm is read like submit_sm whichever way it travels (SPNumber =
// source_addr); a receipt data_sm also gets IsReport and ReportMsgID.
//
// Errors are *codec.FieldError naming the field that does not fit
// (ErrShortFrame), a C-string over its maximum or an impossible length
// (ErrBadValue), a command_length that disagrees with len(frame), or, with
// the header fields filled in and Kind KindUnknown, an undefined command_id
// (ErrUnknownCommand), or, with every field filled in, a submit_sm or
// data_sm with an empty destination_addr (ErrNoRecipients, see
// noRecipient). It never panics. out is reset first.
//
// Call it from the goroutine that owns frame and out.
func (o Options) ParseView(frame []byte, out *codec.View) error {
	return parseView(frame, out, o.LinkIDTag)
}

// parseView is Options.ParseView with the one option it reads as an
// argument: the Dialect's ParseView calls it through an interface, and a
// copy of the whole Dialect for every frame showed in profiles.
func parseView(frame []byte, out *codec.View, linkIDTag Tag) error {
	out.Reset()
	if len(frame) < HeaderLen {
		_, err := DecodeHeader(frame)
		return err
	}
	id := CommandID(binary.BigEndian.Uint32(frame[offCommandID:]))
	out.Kind = KindOf(id)
	out.Command = uint32(id)
	out.Length = int(binary.BigEndian.Uint32(frame))
	out.Sequence = frame[offSequence:HeaderLen:HeaderLen]
	if id.IsResponse() {
		out.Result = binary.BigEndian.Uint32(frame[offCommandStatus:])
	}
	if out.Length != len(frame) {
		h, err := DecodeHeader(frame)
		if err != nil {
			return err
		}
		return checkLength(frame, h)
	}
	switch id {
	case CmdSubmitSM, CmdDeliverSM:
		if !fastSM(frame, id, out, linkIDTag) {
			if err := viewSM(frame, id, out, linkIDTag); err != nil {
				return err
			}
		}
		if id == CmdDeliverSM || len(out.DestField(0)) > 1 {
			return nil
		}
		return noRecipient(frame, id, out)
	case CmdDataSM:
		if err := viewDataSM(frame, out, linkIDTag); err != nil {
			return err
		}
		return noRecipient(frame, id, out)
	case CmdSubmitSMResp, CmdDeliverSMResp, CmdDataSMResp:
		if len(frame) == HeaderLen {
			return nil // body left out (allowed on an error status)
		}
		// The common answer, message_id and nothing after it, in one
		// scan; anything else (TLVs, a message_id too long) is read
		// field by field by viewIDResp.
		if j := nulAt(frame, HeaderLen, MessageIDLen); j == len(frame)-1 {
			out.MsgID = frame[HeaderLen:j:j]
			return nil
		}
		return viewIDResp(frame, id, out)
	}
	if out.Kind == codec.KindUnknown {
		return &codec.FieldError{PDU: "smpp", Field: "command_id", Index: -1, Offset: offCommandID,
			Value: int64(id), Err: codec.ErrUnknownCommand}
	}
	return nil
}

// viewIDResp reads the body of a submit_sm_resp, deliver_sm_resp or
// data_sm_resp that has more than a message_id, or a bad one: MsgID, and
// the TLVs checked, the failure named.
func viewIDResp(frame []byte, id CommandID, out *codec.View) error {
	r := codec.NewReader(frame, id.label(), HeaderLen)
	out.MsgID = r.CString("message_id", MessageIDLen)
	if r.Failed() {
		return r.Err()
	}
	if !tlvsFit(frame[r.Offset():]) {
		readTLVs(&r) // names the TLV that does not fit
	}
	return r.Err()
}

// fastSM reads a well-formed submit_sm or deliver_sm in one forward pass
// by direct indexing, one bounds check per field instead of a Reader call:
// the submit_sm is the gateway's hot path. Each C-string is scanned once,
// for its NUL, within its maximum; the fixed fields in between are read
// at known offsets from the last NUL. Anything out of place returns false
// before out is touched beyond the header, and viewSM then names the field
// that does not fit.
func fastSM(b []byte, id CommandID, out *codec.View, linkIDTag Tag) bool {
	// service_type
	serviceEnd := nulAt(b, HeaderLen, ServiceTypeLen)
	// source_addr_ton, source_addr_npi, source_addr
	srcOff := serviceEnd + 3
	if serviceEnd < 0 || srcOff > len(b) {
		return false
	}
	srcEnd := nulAt(b, srcOff, AddrLen)
	// dest_addr_ton, dest_addr_npi, destination_addr
	destOff := srcEnd + 3
	if srcEnd < 0 || destOff > len(b) {
		return false
	}
	destEnd := nulAt(b, destOff, AddrLen)
	// esm_class, protocol_id, priority_flag, then the two times: empty
	// (one NUL) or 16 characters and a NUL
	i := destEnd + 4
	if destEnd < 0 || i > len(b) {
		return false
	}
	esm := ESMClass(b[destEnd+1])
	if i < len(b) && b[i] == 0 { // most Submits leave both times empty
		i++
	} else if i = timeEnd(b, i); i < 0 {
		return false
	}
	if i < len(b) && b[i] == 0 {
		i++
	} else if i = timeEnd(b, i); i < 0 {
		return false
	}
	if i+5 > len(b) {
		return false
	}
	// registered_delivery, replace_if_present_flag, data_coding,
	// sm_default_msg_id, sm_length, short_message
	rd, coding, n := RegisteredDelivery(b[i]), b[i+2], int(b[i+4])
	i += 5
	if n > MaxShortMessageLen || i+n > len(b) {
		return false
	}
	var f tlvFields
	if i+n < len(b) && !scanTLVs(b[i+n:], linkIDTag, &f) {
		return false
	}
	fillSM(out, b, id, b[HeaderLen:serviceEnd:serviceEnd], b[srcOff:srcEnd:srcEnd], b[destOff:destEnd:destEnd], destOff,
		esm, rd, coding, b[i:i+n:i+n])
	if i+n < len(b) || out.UDHI || (id == CmdDeliverSM && esm.IsReport()) {
		finishSM(id, out, esm, &f) // nothing to do for a plain short_message and no TLVs
	}
	return true
}

// nulAt is the offset of the first NUL in b[i:], looking at no more than
// max bytes: the end of the C-string at i of at most max bytes, NUL
// included. -1 when there is none, or i is outside b.
func nulAt(b []byte, i, max int) int {
	if i < 0 || i > len(b) {
		return -1
	}
	s := b[i:]
	if len(s) > max {
		s = s[:max]
	}
	for j, c := range s {
		if c == 0 {
			return i + j
		}
	}
	return -1
}

// timeEnd is the offset after the SMPP time C-string at b[i]:
// schedule_delivery_time and validity_period are empty (a lone NUL) or 16
// characters and a NUL. -1 when the field is neither or runs past b.
func timeEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	if b[i] == 0 {
		return i + 1
	}
	if nulAt(b, i, TimeLen) != i+TimeLen-1 {
		return -1
	}
	return i + TimeLen
}

// noRecipient fails an MT (submit_sm, data_sm) whose destination_addr is
// empty with codec.ErrNoRecipients: SMPP has no recipient count, and an
// empty destination_addr is how it names no recipient, which the other
// protocols say with a count of 0. The View stays filled, so that the
// Submit can be answered.
func noRecipient(frame []byte, id CommandID, out *codec.View) error {
	if id == CmdDeliverSM || len(out.DestField(0)) > 1 { // the slot is the string and its NUL
		return nil
	}
	return &codec.FieldError{PDU: id.label(), Field: "destination_addr", Index: -1,
		Offset: offsetIn(frame, out.DestField(0)), Err: codec.ErrNoRecipients}
}

// fillSM writes the fields fastSM and viewSM read before the TLVs: dst
// is destination_addr's string, at destOff in frame.
func fillSM(out *codec.View, frame []byte, id CommandID, service, src, dst []byte, destOff int,
	esm ESMClass, rd RegisteredDelivery, coding uint8, sm []byte) {
	out.ServiceCode = service
	out.Coding = coding
	out.UDHI = esm.UDHI()
	out.Content = sm
	if id == CmdSubmitSM {
		out.SPNumber = src
		out.SetDests(frame, destOff, len(dst)+1, 1)
		out.NeedReport = rd.NeedReport()
	} else {
		out.UserNumber = src
		out.SPNumber = dst
	}
}

// finishSM fills what submit_sm and deliver_sm take from their TLVs and
// their user data, once fastSM or viewSM has filled the fields before
// them: message_payload when short_message is empty, a receipt's report
// fields, the segments, the LinkID slot.
func finishSM(id CommandID, out *codec.View, esm ESMClass, f *tlvFields) {
	if len(out.Content) == 0 && f.hasPayload {
		out.Content = f.payload
	}
	if id == CmdDeliverSM && esm.IsReport() {
		viewReport(f, out)
	}
	viewSegments(f, out)
	out.LinkIDField = f.linkID
}

// viewSM follows the submit_sm / deliver_sm table.
func viewSM(frame []byte, id CommandID, out *codec.View, linkIDTag Tag) error {
	r := codec.NewReader(frame, id.label(), HeaderLen)
	service := r.CString("service_type", ServiceTypeLen)
	r.Uint8("source_addr_ton")
	r.Uint8("source_addr_npi")
	src := r.CString("source_addr", AddrLen)
	r.Uint8("dest_addr_ton")
	r.Uint8("dest_addr_npi")
	destOff := r.Offset()
	dst := r.CString("destination_addr", AddrLen)
	esm := ESMClass(r.Uint8("esm_class"))
	r.Uint8("protocol_id")
	r.Uint8("priority_flag")
	timeBytes(&r, "schedule_delivery_time")
	timeBytes(&r, "validity_period")
	rd := RegisteredDelivery(r.Uint8("registered_delivery"))
	r.Uint8("replace_if_present_flag")
	coding := r.Uint8("data_coding")
	r.Uint8("sm_default_msg_id")
	sm := shortMessage(&r)
	if r.Failed() {
		return r.Err()
	}
	var f tlvFields
	if !scanTLVs(frame[r.Offset():], linkIDTag, &f) {
		readTLVs(&r)
		return r.Err()
	}
	fillSM(out, frame, id, service, src, dst, destOff, esm, rd, coding, sm)
	finishSM(id, out, esm, &f)
	return nil
}

// viewDataSM follows the data_sm table.
func viewDataSM(frame []byte, out *codec.View, linkIDTag Tag) error {
	r := codec.NewReader(frame, CmdDataSM.label(), HeaderLen)
	service := r.CString("service_type", ServiceTypeLen)
	r.Uint8("source_addr_ton")
	r.Uint8("source_addr_npi")
	src := r.CString("source_addr", DataSMAddrLen)
	r.Uint8("dest_addr_ton")
	r.Uint8("dest_addr_npi")
	destOff := r.Offset()
	dst := r.CString("destination_addr", DataSMAddrLen)
	esm := ESMClass(r.Uint8("esm_class"))
	rd := RegisteredDelivery(r.Uint8("registered_delivery"))
	coding := r.Uint8("data_coding")
	if r.Failed() {
		return r.Err()
	}
	var f tlvFields
	if !scanTLVs(frame[r.Offset():], linkIDTag, &f) {
		readTLVs(&r)
		return r.Err()
	}
	out.ServiceCode = service
	out.SPNumber = src
	out.SetDests(frame, destOff, len(dst)+1, 1)
	out.Coding = coding
	out.UDHI = esm.UDHI()
	out.Content = f.payload
	out.NeedReport = rd.NeedReport()
	if esm.IsReport() {
		viewReport(&f, out)
	}
	viewSegments(&f, out)
	out.LinkIDField = f.linkID
	return nil
}

// viewReport fills the report fields of a receipt: the TLVs first, the
// receipt text for what they lack.
func viewReport(f *tlvFields, out *codec.View) {
	out.IsReport = true
	id, stat := scanReceipt(out.Content)
	out.ReportMsgID = id
	if f.receipted != nil {
		out.ReportMsgID = f.receipted
	}
	out.ReportStat = stat
	if f.hasState {
		out.ReportState = f.state
	}
}

// viewSegments takes the segment numbers from the sar_* TLVs, or from the
// UDH's concatenation element when UDHI is set. SMPP 3.4 forbids using both;
// the TLVs win when a sender does.
//
// Both fill the concatenation fields too (HasConcat, ConcatTotal,
// ConcatSeq): sar_* is SMPP's concatenation element outside the UDH, and
// View.Segment returns the reference only from them.
func viewSegments(f *tlvFields, out *codec.View) {
	if f.hasSAR {
		out.PkTotal, out.PkNumber, out.ConcatRef = f.sarTotal, f.sarSeq, f.sarRef
		out.HasConcat, out.ConcatTotal, out.ConcatSeq = true, f.sarTotal, f.sarSeq
		return
	}
	if !out.UDHI || out.IsReport {
		return
	}
	if h, ok := udh.Parse(out.Content); ok && h.HasConcat {
		out.PkTotal, out.PkNumber, out.ConcatRef = h.Concat.Total, h.Concat.Seq, h.Concat.Ref
		out.HasConcat, out.ConcatTotal, out.ConcatSeq = true, h.Concat.Total, h.Concat.Seq
	}
}
