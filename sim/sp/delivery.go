package sp

import (
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// Delivery is one MO message, status report or (SGIP) user report the SP
// received, decoded. It owns its memory.
type Delivery struct {
	// IsReport: a status report (CMPP Registered_Delivery 1, SMGP IsReport 1,
	// SGIP Report). IsUserRpt: an SGIP UserRpt (user state change).
	IsReport  bool
	IsUserRpt bool

	// User is the MO sender; for a report, the MT's recipient (CMPP report
	// Dest_terminal_Id, SMGP SrcTermID, SGIP UserNumber).
	User string
	// SPNumber is the access number the user dialled (CMPP Dest_Id, SGIP
	// SPNumber, SMGP DestTermID); empty for SGIP reports, which carry none.
	SPNumber string
	// ServiceCode: CMPP Service_Id (the other protocols' Delivers have none).
	ServiceCode string

	// Text is Content decoded by Coding (empty for binary codings and reports).
	Text    string
	Content []byte
	Coding  uint8
	// LinkID: CMPP 3.0 LinkID / 2.x Reserved, SMGP TLV 0x0003, SGIP Reserve.
	LinkID string

	// MsgID is the Deliver's own id, echoed by the acknowledgement (CMPP 8
	// bytes, SMGP 10; nil in SGIP).
	MsgID []byte

	// Reports. ReportMsgID is the identity of the reported MT, comparable
	// with SubmitResult.MsgID: CMPP Msg_Id (8 bytes), SMGP Id (10), SGIP
	// SubmitSequenceNumber (12). Stat is the 7-character state (CMPP/SMGP);
	// for SGIP it is made from State: 0 DELIVRD, 1 ACCEPTD, 2 UNDELIV.
	ReportMsgID []byte
	Stat        string
	// SGIP Report State and ErrorCode as they came.
	State     uint8
	ErrorCode uint8
	// SGIP UserRpt UserCondition (0 deregistered, 1 suspended, 2 restored).
	UserCondition uint8

	// Seq is the request's sequence: the CMPP/SMGP Sequence_Id or the SGIP
	// counter. Acked and AckResult say how the simulator answered it.
	Seq       uint32
	Acked     bool
	AckResult uint32

	ReceivedAt time.Time
}

// decodeDelivery decodes a Deliver (CMPP, SMGP) or a Deliver, Report or
// UserRpt (SGIP) frame into a Delivery.
func (d *dialect) decodeDelivery(frame []byte, v *codec.View) (Delivery, error) {
	out := Delivery{Seq: seqCounter(v.Sequence)}
	var dl codec.Delivery
	if err := d.DecodeDelivery(frame, &dl); err != nil {
		return out, err
	}
	switch dl.Kind {
	case codec.KindReport:
		r := &dl.Report
		out.IsReport = true
		out.User, out.SPNumber, out.ServiceCode, out.MsgID = r.User, r.SPNumber, r.ServiceCode, r.MsgID
		out.ReportMsgID, out.Stat, out.State, out.ErrorCode = r.SubmitID, r.Stat, r.State, r.ErrorCode
	case codec.KindUserRpt:
		out.IsUserRpt = true
		out.User, out.SPNumber, out.UserCondition = dl.Deliver.User, dl.Deliver.SPNumber, dl.UserCondition
	default:
		m := &dl.Deliver
		out.User, out.SPNumber, out.ServiceCode, out.MsgID = m.User, m.SPNumber, m.ServiceCode, m.MsgID
		out.Content, out.Coding, out.LinkID = m.Content, m.Coding, m.LinkID
		if s, err := text.Decode(out.Coding, out.Content); err == nil {
			out.Text = s
		}
	}
	return out, nil
}
