package sgip

import (
	"github.com/spsmg/spsmg/codec"
)

// Field widths shared by Submit, Deliver, Report, UserRpt and Trace (§4).
const (
	NumberLen      = 21 // SPNumber, ChargeNumber, UserNumber
	CorpIDLen      = 5
	ServiceTypeLen = 10
	FeeValueLen    = 6  // FeeValue, GivenValue
	TimeLen        = 16 // ExpireTime, ScheduleTime: yymmddhhmmsstnnp
	LinkIDLen      = 8  // the Reserve that carries a LinkID (§8)
)

// MaxUserCount is the largest UserCount of a Submit (§4: 1–100).
const MaxUserCount = 100

// ChargeSP is the ChargeNumber that makes the SP pay: 21 × '0' (§4).
const ChargeSP = "000000000000000000000"

// ReportFlag values of Submit (§4).
const (
	ReportFlagOnError = 0 // report only on final error (default) — a report may still come
	ReportFlagAlways  = 1 // always report
	ReportFlagNone    = 2 // no report
	ReportFlagMonthly = 3 // monthly-fee record, not delivered, report required
)

// FeeType values of Submit (§7).
const (
	FeeTypeSend    = 0 // "send" record: no information fee
	FeeTypeFree    = 1
	FeeTypeMessage = 2 // per-message information fee
	FeeTypeMonthly = 3 // monthly information fee
	FeeTypeSP      = 4 // collected by the SP
)

// MorelatetoMTFlag values of Submit (§4).
const (
	MTFirstOnDemand  = 0 // first MT caused by an MO on-demand
	MTNextOnDemand   = 1 // subsequent MT of an MO on-demand
	MTNotCausedByMO  = 2 // push / subscription
	MTSystemFeedback = 3 // caused by system feedback; SPs may not send it (1.3 code 40)
)

// Submit (0x3) is an MT: body = 123 + 21·UserCount + MessageLength, packet
// 143 + 21·N + L (§4). Its header sequence is the message's identity: the
// Reports on it quote it as SubmitSequenceNumber.
//
// UserCount is len(UserNumber) and MessageLength is len(MessageContent);
// neither is a field of its own, so they cannot disagree. The decoder
// rejects a UserCount outside 1–MaxUserCount; AppendBody writes at most
// 255 numbers (the count is one byte) and does not check the range.
type Submit struct {
	SPNumber         string       `json:"SPNumber"`     // 21, SP access number the user sees
	ChargeNumber     string       `json:"ChargeNumber"` // 21, payer; empty: each user; ChargeSP: the SP
	UserNumber       []string     `json:"UserNumber"`   // UserCount × 21, recipients with 86
	CorpID           string       `json:"CorpId"`       // 5
	ServiceType      string       `json:"ServiceType"`  // 10, the SP's service code
	FeeType          uint8        `json:"FeeType,string"`
	FeeValue         string       `json:"FeeValue"`   // 6, fen
	GivenValue       string       `json:"GivenValue"` // 6, fen
	AgentFlag        uint8        `json:"AgentFlag,string"`
	MorelatetoMTFlag uint8        `json:"MorelatetoMTFlag,string"`
	Priority         uint8        `json:"Priority,string"`
	ExpireTime       string       `json:"ExpireTime"`   // 16
	ScheduleTime     string       `json:"ScheduleTime"` // 16
	ReportFlag       uint8        `json:"ReportFlag,string"`
	TPPID            uint8        `json:"TP_pid,string"`
	TPUDHI           uint8        `json:"TP_udhi,string"` // UDH present when udh.Flag(TPUDHI)
	MessageCoding    uint8        `json:"MessageCoding,string"`
	MessageType      uint8        `json:"MessageType,string"`
	MessageContent   codec.Octets `json:"MessageContent"` // MessageLength (4 bytes) + content
	Reserve          codec.Octets `json:"Reserve"`        // 8, the LinkID slot (§8)
	// Trailer holds bytes between the end of Reserve and Message Length
	// (a carrier variant's extension, §8), re-encoded unchanged.
	Trailer codec.Octets `json:"Trailer,omitempty"`
}

// Command returns CmdSubmit.
func (*Submit) Command() CommandID { return CmdSubmit }

// LinkID returns the Reserve field cut at its NUL padding: the LinkID in
// deployments that carry one there (§8).
func (s *Submit) LinkID() string { return string(codec.TrimNUL(s.Reserve)) }

// AppendBody appends the body, table order.
func (s *Submit) AppendBody(dst []byte) []byte {
	users := s.UserNumber
	if len(users) > 255 {
		users = users[:255]
	}
	dst = codec.AppendText(dst, s.SPNumber, NumberLen)
	dst = codec.AppendText(dst, s.ChargeNumber, NumberLen)
	dst = append(dst, uint8(len(users)))
	for _, u := range users {
		dst = codec.AppendText(dst, u, NumberLen)
	}
	dst = codec.AppendText(dst, s.CorpID, CorpIDLen)
	dst = codec.AppendText(dst, s.ServiceType, ServiceTypeLen)
	dst = append(dst, s.FeeType)
	dst = codec.AppendText(dst, s.FeeValue, FeeValueLen)
	dst = codec.AppendText(dst, s.GivenValue, FeeValueLen)
	dst = append(dst, s.AgentFlag, s.MorelatetoMTFlag, s.Priority)
	dst = codec.AppendText(dst, s.ExpireTime, TimeLen)
	dst = codec.AppendText(dst, s.ScheduleTime, TimeLen)
	dst = append(dst, s.ReportFlag, s.TPPID, s.TPUDHI, s.MessageCoding, s.MessageType)
	dst = codec.AppendUint32(dst, uint32(len(s.MessageContent)))
	dst = append(dst, s.MessageContent...)
	dst = codec.AppendFixed(dst, s.Reserve, LinkIDLen)
	return append(dst, s.Trailer...)
}

func (s *Submit) decodeBody(r *codec.Reader) {
	s.SPNumber = r.Text("SPNumber", NumberLen)
	s.ChargeNumber = r.Text("ChargeNumber", NumberLen)
	n := readUserCount(r)
	if n > 0 {
		s.UserNumber = make([]string, n)
		for i := range s.UserNumber {
			s.UserNumber[i] = r.TextAt("UserNumber", i, NumberLen)
		}
	}
	s.CorpID = r.Text("CorpId", CorpIDLen)
	s.ServiceType = r.Text("ServiceType", ServiceTypeLen)
	s.FeeType = r.Uint8("FeeType")
	s.FeeValue = r.Text("FeeValue", FeeValueLen)
	s.GivenValue = r.Text("GivenValue", FeeValueLen)
	s.AgentFlag = r.Uint8("AgentFlag")
	s.MorelatetoMTFlag = r.Uint8("MorelatetoMTFlag")
	s.Priority = r.Uint8("Priority")
	s.ExpireTime = r.Text("ExpireTime", TimeLen)
	s.ScheduleTime = r.Text("ScheduleTime", TimeLen)
	s.ReportFlag = r.Uint8("ReportFlag")
	s.TPPID = r.Uint8("TP_pid")
	s.TPUDHI = r.Uint8("TP_udhi")
	s.MessageCoding = r.Uint8("MessageCoding")
	s.MessageType = r.Uint8("MessageType")
	s.MessageContent = octets(readContent(r))
	s.Reserve = readReserve(r, "Reserve")
	s.Trailer = octets(r.Rest())
}

// readUserCount reads UserCount and rejects 0 and values above
// MaxUserCount with codec.ErrNoRecipients / codec.ErrTooManyRecipients,
// both codec.ErrBadValue (§4: 1–100).
func readUserCount(r *codec.Reader) int {
	n := r.Uint8("UserCount")
	if r.Failed() {
		return 0
	}
	if err := codec.RecipientCountError(int(n), MaxUserCount); err != nil {
		r.Fail("UserCount", -1, int64(n), err)
		return 0
	}
	return int(n)
}

// readContent reads the 4-byte MessageLength and the content it announces
// (sub-slice of the frame). The length is 4 bytes in SGIP (zysms writes 1
// byte, which is not interoperable, §10).
func readContent(r *codec.Reader) []byte {
	l := r.Uint32("MessageLength")
	if r.Failed() {
		return nil
	}
	if uint64(l) > uint64(r.Len()) {
		r.Fail("MessageContent", -1, int64(l), codec.ErrShortFrame)
		return nil
	}
	return r.Bytes("MessageContent", int(l))
}
