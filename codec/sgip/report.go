package sgip

import "github.com/spsmg/spsmg/codec"

// ReportType values (§4 Report).
const (
	ReportTypeSubmit  = 0 // on a previous Submit
	ReportTypeDeliver = 1 // on a previous forwarded Deliver
)

// State values of a Report (§4). SMSC final states: 0 = DELIVERED;
// 1 = ENROUTE, ACCEPTED; 2 = EXPIRED, DELETED, UNDELIVERABLE, UNKNOWN,
// REJECTED.
const (
	StateDelivered = 0
	StateWaiting   = 1
	StateFailed    = 2
)

// Report (0x5) is a status report on the SMG→SP connection: 44-byte body,
// 64-byte packet (§4). One Report per recipient: a Submit with UserCount N
// yields up to N Reports with the same SubmitSequenceNumber.
type Report struct {
	SubmitSequenceNumber Sequence     `json:"SubmitSequenceNumber"` // 12, the reported Submit's header sequence
	ReportType           uint8        `json:"ReportType,string"`
	UserNumber           string       `json:"UserNumber"` // 21, the MT's recipient
	State                uint8        `json:"State,string"`
	ErrorCode            Result       `json:"ErrorCode,string"` // when State is 2: a §6 code (21–33 typical)
	Reserve              codec.Octets `json:"Reserve"`          // 8
}

// Command returns CmdReport.
func (*Report) Command() CommandID { return CmdReport }

// AppendBody appends the 44-byte body.
func (p *Report) AppendBody(dst []byte) []byte {
	dst = AppendSequence(dst, p.SubmitSequenceNumber)
	dst = append(dst, p.ReportType)
	dst = codec.AppendText(dst, p.UserNumber, NumberLen)
	dst = append(dst, p.State, uint8(p.ErrorCode))
	return codec.AppendFixed(dst, p.Reserve, reserveLen)
}

func (p *Report) decodeBody(r *codec.Reader) {
	p.SubmitSequenceNumber = readSequence(r, "SubmitSequenceNumber")
	p.ReportType = r.Uint8("ReportType")
	p.UserNumber = r.Text("UserNumber", NumberLen)
	p.State = r.Uint8("State")
	p.ErrorCode = Result(r.Uint8("ErrorCode"))
	p.Reserve = readReserve(r, "Reserve")
}
