package sp

import (
	"github.com/spsmg/spsmg/codec/text"
)

// MaxUsers is the most recipients one Submit may carry in every protocol
// here (CMPP DestUsr_tl, SGIP UserCount, SMGP DestTermIDCount: 1–100).
const MaxUsers = 100

// MT is one mobile-terminated message as a test writes it; the Client and
// Load build it into the protocol's Submit. Fields that a protocol lacks
// are ignored by it.
type MT struct {
	// SPNumber is the source the user sees: CMPP Src_Id, SGIP SPNumber,
	// SMGP SrcTermID (an SP access number such as "10655123", plus suffix).
	SPNumber string

	// Users are the recipients (1–100): CMPP Dest_terminal_Id, SGIP
	// UserNumber, SMGP DestTermID, sent as given (SGIP expects the 86
	// prefix; the simulator does not add it).
	Users []string

	// ServiceCode: CMPP Service_Id, SGIP ServiceType, SMGP ServiceID.
	ServiceCode string

	// LinkID ties the MT to the MO or order that caused it: CMPP 3.0 LinkID
	// (20), CMPP 2.x Reserve (8), SGIP Reserve (8), SMGP TLV 0x0003 (20,
	// NUL-padded). Longer values are cut to the slot. Empty: no LinkID (and
	// no TLV in SMGP).
	LinkID string

	// Text is the message, encoded with Coding. Coding 0 (ASCII) with text
	// that is not ASCII switches to UCS2 (8).
	Text string
	// Content, when not nil, is sent as it is (UDH included) and Text is
	// ignored; Coding is then used unchanged.
	Content []byte
	// Coding: CMPP Msg_Fmt, SGIP MessageCoding, SMGP MsgFormat (text.ASCII,
	// text.UCS2, text.GBK, …).
	Coding uint8

	// NeedReport asks for a status report: CMPP Registered_Delivery 1, SGIP
	// ReportFlag 1 (else 2, none), SMGP NeedReport 1.
	NeedReport bool

	// CorpID: SGIP CorpId (5 digits), CMPP Msg_src (the 6-digit SP_Id);
	// it defaults to the login.
	CorpID string

	// Priority: CMPP Msg_level, SGIP Priority, SMGP Priority.
	Priority uint8

	// UDHI sets TP_udhi to 1 (Content starts with a user data header);
	// PkTotal and PkNumber are CMPP Pk_total/Pk_number and the SMGP TLVs
	// 0x0009/0x000A (0 means 1/1 in CMPP and no TLV in SMGP).
	UDHI              bool
	PkTotal, PkNumber uint8
}

// content returns the bytes and coding to send.
func (m *MT) content() ([]byte, uint8, error) {
	if m.Content != nil {
		return m.Content, m.Coding, nil
	}
	coding := m.Coding
	if coding == text.ASCII && !isASCII(m.Text) {
		coding = text.UCS2
	}
	b, err := text.Encode(coding, m.Text)
	if err != nil {
		return nil, 0, wrapMT("Text", err)
	}
	return b, coding, nil
}

func (m *MT) check() error {
	if len(m.Users) == 0 || len(m.Users) > MaxUsers {
		return wrapMT("Users", errUserCount)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
