package sp

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
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

// sgipStat names an SGIP Report State in the CMPP/SMGP Stat vocabulary.
func sgipStat(state uint8) string {
	switch state {
	case sgip.StateDelivered:
		return "DELIVRD"
	case sgip.StateWaiting:
		return "ACCEPTD"
	}
	return "UNDELIV"
}

// decodeDelivery decodes a Deliver (CMPP, SMGP) or a Deliver, Report or
// UserRpt (SGIP) frame into a Delivery.
func (d *dialect) decodeDelivery(frame []byte) (Delivery, error) {
	var out Delivery
	switch d.fam {
	case famCMPP:
		h, p, err := cmpp.Decode(frame, d.cmppV)
		if err != nil {
			return out, err
		}
		dl, ok := p.(*cmpp.Deliver)
		if !ok {
			return out, fmt.Errorf("sp: %s: %s is not a Deliver", d.proto, p.Command())
		}
		out.Seq = h.SequenceID
		out.IsReport = dl.IsReport()
		out.User, out.SPNumber, out.ServiceCode = dl.SrcTerminalID, dl.DestID, dl.ServiceID
		out.Content, out.Coding, out.LinkID = dl.MsgContent, dl.MsgFmt, dl.LinkID
		out.MsgID = binary.BigEndian.AppendUint64(nil, dl.MsgID)
		if dl.Report != nil {
			out.ReportMsgID = binary.BigEndian.AppendUint64(nil, dl.Report.MsgID)
			out.Stat = dl.Report.Stat
			if dl.Report.DestTerminalID != "" {
				out.User = dl.Report.DestTerminalID
			}
		}
	case famSMGP:
		h, p, err := smgp.Decode(frame, d.smgpV)
		if err != nil {
			return out, err
		}
		dl, ok := p.(*smgp.Deliver)
		if !ok {
			return out, fmt.Errorf("sp: %s: %s is not a Deliver", d.proto, p.Command())
		}
		out.Seq = h.SequenceID
		out.IsReport = dl.IsReport == 1
		out.User, out.SPNumber = dl.SrcTermID, dl.DestTermID
		out.Content, out.Coding, out.LinkID = dl.MsgContent, dl.MsgFormat, dl.LinkID()
		out.MsgID = append([]byte(nil), dl.MsgID[:]...)
		if dl.Report != nil {
			out.ReportMsgID = append([]byte(nil), dl.Report.ID[:]...)
			out.Stat = dl.Report.Stat
		}
	default:
		h, p, err := sgip.Decode(frame)
		if err != nil {
			return out, err
		}
		out.Seq = h.Sequence.Counter
		switch p := p.(type) {
		case *sgip.Deliver:
			out.User, out.SPNumber = p.UserNumber, p.SPNumber
			out.Content, out.Coding, out.LinkID = p.MessageContent, p.MessageCoding, p.LinkID()
		case *sgip.Report:
			out.IsReport = true
			out.User = p.UserNumber
			out.ReportMsgID = sgip.AppendSequence(nil, p.SubmitSequenceNumber)
			out.State, out.ErrorCode = p.State, uint8(p.ErrorCode)
			out.Stat = sgipStat(p.State)
		case *sgip.UserRpt:
			out.IsUserRpt = true
			out.User, out.SPNumber, out.UserCondition = p.UserNumber, p.SPNumber, p.UserCondition
		default:
			return out, fmt.Errorf("sp: sgip: %s is not a Deliver, Report or UserRpt", p.Command())
		}
	}
	if !out.IsReport && !out.IsUserRpt {
		if s, err := text.Decode(out.Coding, out.Content); err == nil {
			out.Text = s
		}
	}
	return out, nil
}
