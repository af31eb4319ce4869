package codec

// Kind classifies a command the same way in every protocol, so that the
// proxy can route a frame without knowing which protocol it came from.
type Kind uint8

const (
	KindUnknown        Kind = iota // a command id the protocol does not define
	KindLogin                      // SGIP Bind, CMPP Connect, SMGP Login
	KindLoginResp                  //
	KindLogout                     // SGIP Unbind, CMPP Terminate, SMGP Exit
	KindLogoutResp                 //
	KindSubmit                     // MT
	KindSubmitResp                 //
	KindDeliver                    // MO; in CMPP and SMGP also status reports (View.IsReport)
	KindDeliverResp                //
	KindReport                     // SGIP Report (0x5): status report on its own command
	KindReportResp                 //
	KindUserRpt                    // SGIP UserRpt (0x11)
	KindUserRptResp                //
	KindActiveTest                 // CMPP/SMGP Active_Test (SGIP has none)
	KindActiveTestResp             //
	KindOther                      // a defined request the proxy passes through (CMPP Query/Cancel, SGIP Trace, …)
	KindOtherResp                  // its response
)

var kindNames = [...]string{
	KindUnknown:        "unknown",
	KindLogin:          "login",
	KindLoginResp:      "login_resp",
	KindLogout:         "logout",
	KindLogoutResp:     "logout_resp",
	KindSubmit:         "submit",
	KindSubmitResp:     "submit_resp",
	KindDeliver:        "deliver",
	KindDeliverResp:    "deliver_resp",
	KindReport:         "report",
	KindReportResp:     "report_resp",
	KindUserRpt:        "userrpt",
	KindUserRptResp:    "userrpt_resp",
	KindActiveTest:     "active_test",
	KindActiveTestResp: "active_test_resp",
	KindOther:          "other",
	KindOtherResp:      "other_resp",
}

// String returns a short lower-case name, usable as a metric label.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// IsResponse reports whether k is the response half of a command.
func (k Kind) IsResponse() bool {
	switch k {
	case KindLoginResp, KindLogoutResp, KindSubmitResp, KindDeliverResp, KindReportResp,
		KindUserRptResp, KindActiveTestResp, KindOtherResp:
		return true
	}
	return false
}

// Response returns the response kind of a request kind (KindSubmit →
// KindSubmitResp), or k itself when k is a response or unknown.
func (k Kind) Response() Kind {
	if k == KindUnknown || k.IsResponse() {
		return k
	}
	return k + 1
}

// View is what the proxy reads from one raw frame, without copying or
// allocating: every []byte is a sub-slice of the frame and is valid only as
// long as the frame is (in gnet: until Discard or the handler returns).
// Text fields are already cut at their NUL padding. Fields that do not apply
// to the frame's Kind are left zero.
//
// A protocol package fills it with its ParseView(frame, …, *View); the proxy
// keeps one View per event loop and reuses it for every frame.
//
//	SP ──Submit──▶ ParseView ─▶ View{SPNumber, ServiceCode, Dest(i), LinkID} ─▶ authorize
//	              SetSequence(frame, gwSeq) ─▶ SMG
type View struct {
	Kind     Kind
	Command  uint32 // raw command id from the header
	Length   int    // Total_Length
	Sequence []byte // the header's sequence field (4 bytes; 12 in SGIP; at offset 12 in SMPP), writable in place

	// Submit (MT): source and recipients.
	//   SPNumber: CMPP Src_Id, SGIP SPNumber, SMGP SrcTermID.
	// Deliver (MO): the SP access number the user dialled.
	//   SPNumber: CMPP Dest_Id, SGIP SPNumber, SMGP DestTermID.
	SPNumber []byte

	// ServiceCode: CMPP Service_Id, SGIP ServiceType, SMGP ServiceID (Submit;
	// CMPP Deliver also carries one).
	ServiceCode []byte

	// DestCount recipients of a Submit; read them with Dest(i).
	DestCount  int
	destOff    int
	destStride int
	frame      []byte

	// LinkIDField is the whole fixed-width LinkID slot, NUL padding
	// included, so that the proxy can write a LinkID into it in place:
	// CMPP 3.0 LinkID (20), CMPP 2.x and SGIP Reserve (8), SMGP TLV 0x0003
	// value. nil when the PDU has no slot (an SMGP Deliver without the TLV).
	// LinkID() is the same bytes cut at the first NUL.
	LinkIDField []byte

	// UDH and segments: UDHI is the TP_udhi flag ((v & 0x41) != 0, see
	// docs/protocols/long-sms.md §2). PkTotal/PkNumber come from CMPP
	// Pk_total/Pk_number, SMGP TLVs 0x0009/0x000A, or the concatenation IE of
	// the UDH.
	UDHI      bool
	PkTotal   uint8
	PkNumber  uint8
	ConcatRef uint16 // reference of the concatenation IE, when the UDH has one
	// HasConcat: the UDH has a concatenation element (IEI 0x00 or 0x08);
	// ConcatTotal and ConcatSeq are its total and part number, which may
	// differ from PkTotal/PkNumber when an SP fills the Pk fields with 1/1.
	HasConcat   bool
	ConcatTotal uint8
	ConcatSeq   uint8

	Coding     uint8  // Msg_Fmt / MessageCoding / MsgFormat
	Content    []byte // message content including any UDH; a report body for a report Deliver
	NeedReport bool   // Registered_Delivery / ReportFlag / NeedReport asks for a status report
	// ReportOnError: the report is wanted only when delivery fails (SGIP
	// ReportFlag 0); NeedReport is set too.
	ReportOnError bool

	// Responses: Result (Status) of any *_Resp; MsgID of a Submit_Resp
	// (CMPP 8 bytes, SMGP 10 bytes; nil for SGIP, where the Submit's
	// sequence is the message identity). For a Deliver, MsgID is the
	// Deliver's own id, which its Deliver_Resp must echo (CMPP, SMGP).
	Result uint32
	MsgID  []byte

	// Deliver / Report.
	//   IsReport: a CMPP/SMGP Deliver that carries a status report, or an SGIP Report.
	//   UserNumber: MO sender; for a report, the MT's recipient.
	//   ReportMsgID: the message identity the report refers to: the Msg_Id
	//   in a CMPP report body, the Id of an SMGP report text, the 12-byte
	//   SubmitSequenceNumber of an SGIP Report (writable in place).
	//   ReportStat: CMPP/SMGP Stat (7 chars), SMPP receipt text's stat;
	//   empty for SGIP (see ReportState).
	//   ReportState: SGIP State (0 delivered, 1 waiting, 2 failed); SMPP
	//   message_state TLV (1 ENROUTE … 8 REJECTED, 0 when absent).
	IsReport    bool
	UserNumber  []byte
	ReportMsgID []byte
	ReportStat  []byte
	ReportState uint8
}

// Reset clears v for the next frame.
func (v *View) Reset() { *v = View{} }

// SetDests records where the recipients of a Submit are: count entries of
// stride bytes starting at offset off of frame, each NUL-padded.
// Protocol packages call it from ParseView.
func (v *View) SetDests(frame []byte, off, stride, count int) {
	v.frame, v.destOff, v.destStride, v.DestCount = frame, off, stride, count
}

// Dest returns recipient i (0 ≤ i < DestCount) with its NUL padding cut.
func (v *View) Dest(i int) []byte {
	if i < 0 || i >= v.DestCount {
		return nil
	}
	o := v.destOff + i*v.destStride
	return TrimNUL(v.frame[o : o+v.destStride])
}

// DestField returns the whole fixed-width slot of recipient i, writable.
func (v *View) DestField(i int) []byte {
	if i < 0 || i >= v.DestCount {
		return nil
	}
	o := v.destOff + i*v.destStride
	return v.frame[o : o+v.destStride : o+v.destStride]
}

// Segment says which part of a concatenated (long) message a Submit is:
// the UDH's concatenation element when there is one (the handset
// reassembles by it), else the protocol's own part fields (CMPP
// Pk_total/Pk_number, SMGP TLVs 0x0009/0x000A) with reference 0. ok is
// false for a message of its own: no part fields, a total of 1, or a part
// number outside 1…total.
func (v *View) Segment() (ref uint16, total, seq uint8, ok bool) {
	if v.HasConcat {
		ref, total, seq = v.ConcatRef, v.ConcatTotal, v.ConcatSeq
	} else {
		total, seq = v.PkTotal, v.PkNumber
	}
	return ref, total, seq, total > 1 && seq >= 1 && seq <= total
}

// LinkID returns the LinkID with its NUL padding cut (empty when none).
func (v *View) LinkID() []byte { return TrimNUL(v.LinkIDField) }
