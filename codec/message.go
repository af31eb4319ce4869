package codec

import (
	"time"

	"github.com/spsmg/spsmg/codec/text"
)

// The protocol-neutral values a Dialect builds frames from and reads
// frames into. They name what a message means, not where a protocol puts
// it, so that the same value can be written in any protocol: numbers and
// codes are strings as the user or the operator writes them, message ids
// are bytes (CMPP's 8-byte integer, SMGP's 10 BCD bytes, SMPP's text), and
// fields a protocol lacks are ignored by it. Each field's comment names
// where the protocols carry it.

// LoginMode says what a connection carries once logged in.
type LoginMode uint8

const (
	LoginModeUnknown LoginMode = iota // a value the protocol does not define
	// LoginSubmit: MT only. SGIP Login Type 1, SMGP LoginMode 0 (send),
	// SMPP bind_transmitter.
	LoginSubmit
	// LoginDeliver: MO and reports only. SGIP Login Type 2, SMGP
	// LoginMode 1 (receive), SMPP bind_receiver.
	LoginDeliver
	// LoginBoth: both directions. SMGP LoginMode 2 (transmit), every CMPP
	// connection (CMPP has no mode), SMPP bind_transceiver.
	LoginBoth
)

var loginModeNames = [...]string{"unknown", "submit", "deliver", "both"}

func (m LoginMode) String() string {
	if int(m) < len(loginModeNames) {
		return loginModeNames[m]
	}
	return "unknown"
}

// CarriesSubmits reports whether the connection takes MT Submits.
func (m LoginMode) CarriesSubmits() bool { return m == LoginSubmit || m == LoginBoth }

// CarriesDeliveries reports whether MO and reports travel on the
// connection.
func (m LoginMode) CarriesDeliveries() bool { return m == LoginDeliver || m == LoginBoth }

// LoginStatus is why a login was accepted or refused; each Dialect maps it
// to its protocol's login status (AppendLoginResp). String is the metric
// label.
type LoginStatus uint8

const (
	LoginOK LoginStatus = iota
	LoginUnknownAccount
	LoginBadCredentials
	LoginBadIP
	LoginBadVersion
	LoginTooManyConnections
	LoginLockedOut
	LoginBadMode // a LoginMode not allowed on this listener
	LoginRepeated
	LoginStale // the authenticator's timestamp is too far from now
	// LoginStatusCount is the number of statuses: tables indexed by
	// LoginStatus have LoginStatusCount entries.
	LoginStatusCount
)

var loginStatusNames = [LoginStatusCount]string{"ok", "unknown_account", "bad_credentials", "bad_ip", "bad_version",
	"too_many_connections", "locked_out", "bad_mode", "repeated", "stale_timestamp"}

func (s LoginStatus) String() string {
	if s < LoginStatusCount {
		return loginStatusNames[s]
	}
	return "unknown"
}

// Login is a login request to build (Dialect.AppendLogin).
type Login struct {
	Name   string    // CMPP Source_Addr, SGIP Login Name, SMGP ClientID
	Secret string    // hashed into the authenticator (SGIP sends it in clear)
	Mode   LoginMode // SGIP Login Type, SMGP LoginMode; ignored by CMPP
	Time   time.Time // the authenticator's timestamp (CMPP, SMGP)
}

// LoginView is a login request as read (Dialect.DecodeLogin).
type LoginView struct {
	Name      string
	Version   uint8     // CMPP Version, SMGP ClientVersion; 0 for SGIP
	Mode      LoginMode // LoginModeUnknown for a mode the protocol does not define; LoginBoth for CMPP
	Timestamp uint32    // MMDDhhmmss the authenticator was made with; 0 for SGIP
	// Authenticator is what proves the secret: CMPP AuthenticatorSource,
	// SMGP AuthenticatorClient, SGIP's Login Password (sent in clear,
	// NUL-padded). Never log it.
	Authenticator [16]byte
}

// LoginResp is a login response as read (Dialect.DecodeLoginResp).
type LoginResp struct {
	Status  uint32 // CMPP Connect_Resp Status, SMGP Login_Resp Status, SGIP Bind_Resp Result
	Version uint8  // CMPP Version, SMGP ServerVersion; 0 for SGIP
	// Authenticator is the server's answer (CMPP AuthenticatorISMG, SMGP
	// AuthenticatorServer); nil for SGIP.
	Authenticator []byte
}

// FeeType is what an MT charges.
type FeeType uint8

const (
	FeeFree       FeeType = iota // CMPP "01", SGIP 1, SMGP "00"
	FeePerMessage                // CMPP "02", SGIP 2, SMGP "01"
	FeeMonthly                   // CMPP "03", SGIP 3, SMGP "02"
	FeeCapped                    // CMPP 2.x "04", SMGP "03"; SGIP has none (per message)
	FeeBySP                      // CMPP 2.x "05", SGIP 4; SMGP has none (free)
)

// Payer is who pays for an MT.
type Payer uint8

const (
	// PayerRecipient: each recipient pays. CMPP Fee_UserType 0, SGIP and
	// SMGP an empty charge number.
	PayerRecipient Payer = iota
	// PayerSP: the SP pays. CMPP Fee_UserType 2, SGIP ChargeNumber 21 × '0',
	// SMGP no charge number and TLV ChargeUserType 2.
	PayerSP
	// PayerNumber: Fee.ChargeNumber pays. CMPP Fee_UserType 3 with
	// Fee_terminal_Id, SGIP ChargeNumber, SMGP ChargeTermID.
	PayerNumber
)

// Fee is the charging of an MT. The zero value is free, paid by each
// recipient.
type Fee struct {
	Type FeeType
	// Code is the fee FeeType names, in fen (CMPP FeeCode, SGIP FeeValue,
	// SMGP FeeCode); Fixed the monthly fee or cap in fen (SMGP FixedFee).
	Code, Fixed  uint32
	Payer        Payer
	ChargeNumber string // the number that pays, with PayerNumber
}

// Submit is an MT to build (Dialect.AppendSubmit).
type Submit struct {
	// SPNumber is the source the user sees: CMPP Src_Id, SGIP SPNumber,
	// SMGP SrcTermID, SMPP source_addr.
	SPNumber string
	// Dests are the recipients (1–100), as the protocol writes them
	// (Dialect.UserNumber): CMPP Dest_terminal_Id, SGIP UserNumber, SMGP
	// DestTermID.
	Dests []string
	// ServiceCode: CMPP Service_Id, SGIP ServiceType, SMGP ServiceID.
	ServiceCode string
	// LinkID: CMPP 3.0 LinkID (20), CMPP 2.x and SGIP Reserve (8), SMGP TLV
	// 0x0003 (20, NUL-padded; none when empty). Longer values are cut to the
	// slot. A Submit with a LinkID answers an MO: SGIP MorelatetoMTFlag 0
	// (first MT of an on-demand MO), else 2 (not caused by an MO).
	LinkID string
	// CorpID: SGIP CorpId; CMPP Msg_src (the SP_Id).
	CorpID string
	Fee    Fee
	// Coding: CMPP Msg_Fmt, SGIP MessageCoding, SMGP MsgFormat (text.ASCII,
	// text.UCS2, text.GBK, …).
	Coding uint8
	// Content is the message, user data header included when UDHI is set
	// (CMPP/SGIP TP_udhi, SMGP TLV 0x0002).
	Content []byte
	UDHI    bool
	// NeedReport asks for a status report: CMPP Registered_Delivery 1, SGIP
	// ReportFlag 1 (else 2, none), SMGP NeedReport 1.
	NeedReport bool
	// Priority: CMPP Msg_level, SGIP Priority, SMGP Priority.
	Priority uint8
	// ValidTime and AtTime in the SMPP time format of CMPP ValId_Time /
	// At_Time, SGIP ExpireTime / ScheduleTime, SMGP ValidTime / AtTime;
	// empty: none.
	ValidTime, AtTime string
	// PkTotal and PkNumber are the part fields outside the UDH: CMPP
	// Pk_total/Pk_number (0 writes 1/1), SMGP TLVs 0x0009/0x000A (written
	// when PkTotal > 0). SGIP has none: its parts are told by the UDH.
	PkTotal, PkNumber uint8
}

// Deliver is an MO message (Dialect.AppendDeliver, DecodeDelivery).
type Deliver struct {
	// MsgID is the Deliver's own id, which its acknowledgement echoes:
	// CMPP Msg_Id (8 bytes), SMGP MsgID (10); shorter values are
	// right-aligned. SGIP has none.
	MsgID []byte
	// User is the sender, as the protocol writes it (Dialect.UserNumber):
	// CMPP Src_terminal_Id, SGIP UserNumber, SMGP SrcTermID.
	User string
	// SPNumber is the access number the user dialled: CMPP Dest_Id, SGIP
	// SPNumber, SMGP DestTermID.
	SPNumber string
	// ServiceCode: CMPP Service_Id (the other protocols' Delivers have none).
	ServiceCode string
	// LinkID: CMPP 3.0 LinkID / 2.x Reserved, SGIP Reserve, SMGP TLV 0x0003
	// (none when empty).
	LinkID  string
	Coding  uint8
	Content []byte // user data header included when UDHI is set
	UDHI    bool
	// RecvTime is when the SMG took it, YYYYMMDDhhmmss: SMGP RecvTime; ""
	// leaves the field empty.
	RecvTime string
}

// Report is a status report (Dialect.AppendReport, DecodeDelivery).
type Report struct {
	// MsgID is the id of the Deliver that carries the report, which its
	// acknowledgement echoes (CMPP 8 bytes, SMGP 10); SGIP has none. CMPP
	// also writes its low 32 bits as the report's SMSC_sequence.
	MsgID []byte
	// SubmitID is the identity of the reported MT, as the Submit_Resp gave
	// it (comparable with what AppendMsgIDAt makes): CMPP Msg_Id (8 bytes),
	// SMGP MsgID (10), SGIP the Submit's 12-byte sequence.
	SubmitID []byte
	// User is the MT's recipient: CMPP Dest_terminal_Id and
	// Src_terminal_Id, SGIP UserNumber, SMGP SrcTermID.
	User string
	// SPNumber is the MT's source, where the report Deliver names it: CMPP
	// Dest_Id, SMGP DestTermID; SGIP's Report has none.
	SPNumber    string
	ServiceCode string // CMPP Service_Id of the report Deliver
	// Stat is the final state in CMPP/SMGP words (7 characters: DELIVRD,
	// EXPIRED, UNDELIV, ACCEPTD, …). SGIP carries a State and an ErrorCode
	// instead: built from Stat (DELIVRD 0; ACCEPTD, ENROUTE 1; others 2),
	// and read back into Stat (0 DELIVRD, 1 ACCEPTD, 2 UNDELIV).
	Stat string
	// State and ErrorCode are SGIP's, as read (builders derive them from
	// Stat).
	State, ErrorCode uint8
	// SubmitTime and DoneTime, YYMMDDhhmm: CMPP Submit_time/Done_time, SMGP
	// submit date/done date.
	SubmitTime, DoneTime string
	// RecvTime, YYYYMMDDhhmmss: SMGP RecvTime of the report Deliver.
	RecvTime string
	// Text is the start of the MT's content, for SMGP's report txt (its
	// length as 3 digits and its first 17 bytes).
	Text []byte
	// Err is the error code of the report text, 3 characters: SMGP err,
	// SMPP receipt err. Empty: builders derive it from Stat.
	Err string
}

// Delivery is what DecodeDelivery reads: an MO, a status report, or an
// SGIP UserRpt.
type Delivery struct {
	// Kind is KindDeliver for an MO, KindReport for a status report
	// (whichever command carries it), KindUserRpt for an SGIP UserRpt.
	Kind    Kind
	Deliver Deliver // an MO; User and SPNumber also for a UserRpt
	Report  Report  // a status report
	// UserCondition is the SGIP UserRpt's (0 deregistered, 1 suspended,
	// 2 restored).
	UserCondition uint8
}

// Decoded is one frame as the decode tool prints it (Wire.Decode).
type Decoded struct {
	Command string // the spec's name, e.g. CMPP_SUBMIT
	Header  any    // the protocol's typed header
	Body    any    // the typed PDU, JSON-tagged with the spec's field names
	// Message is the content of a Submit or an MO Deliver; nil for other
	// commands and for status reports (the body holds the parsed report).
	Message *Message
}

// Message is the user data of a Submit or Deliver, for display.
type Message struct {
	Coding     uint8
	CodingName string        // text.Name, or text.NameSMPP for SMPP's data_coding
	Alphabet   text.Alphabet // how to read Content's text (text.DecodeAlphabet)
	UDHI       bool          // Content starts with a user data header
	Content    []byte
}
