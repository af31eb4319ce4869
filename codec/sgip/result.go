package sgip

import "strconv"

// Result is the 1-byte Result of every *_Resp and the ErrorCode of a Report
// (docs/protocols/sgip12.md §6). Both tables are here: SGIP 1.2 (2001) and
// the codes SGIP 1.3 (2009) added, including its redefinition of 32 and 33.
// Only 0–255 travel on the wire; the 1.3 connection errors 5001–5021 are
// log-only and have no value here.
type Result uint8

// SGIP 1.2 results (§6). 1–20 are used in responses, 21–32 in Reports.
const (
	OK                  Result = 0  // accepted
	IllegalLogin        Result = 1  // bad login name or password
	RepeatedLogin       Result = 2  // a second Bind on the same connection
	TooManyConnections  Result = 3  // the node has too many connections open
	WrongLoginType      Result = 4  // Bind Login Type not allowed here
	BadParameter        Result = 5  // parameter value/type/range error
	IllegalMobile       Result = 6  // not an 86-prefixed mobile number
	BadCommandID        Result = 7  // message (command) id error
	BadLength           Result = 8  // message length error
	BadSequence         Result = 9  // duplicate or malformed sequence number
	IllegalGNSOperation Result = 10 // illegal GNS operation
	NodeBusy            Result = 11 // queue full, temporarily out of service
	Unreachable         Result = 21 // destination unreachable
	RoutingError        Result = 22 // route exists but the message was misrouted
	NoRoute             Result = 23 // the route does not exist
	BadChargeNumber     Result = 24 // charge number invalid (authorization failed)
	UserUnreachable     Result = 25 // handset off or out of coverage
	HandsetMemoryFull   Result = 26 //
	NoSMSSupport        Result = 27 // handset does not support SMS
	HandsetError        Result = 28 // handset error receiving the message
	UnknownUser         Result = 29 //
	NotProvided         Result = 30 // function not provided
	IllegalDevice       Result = 31 //
	SystemFailure       Result = 32 // 1.2 meaning; 1.3 redefines 32 (PacketFormat13)
	SMSCQueueFull       Result = 33 // 1.2 meaning; 1.3 redefines 33 (FlowControl13)
)

// SGIP 1.3 additions and redefinitions (§6). The suffix 13 marks a code
// whose meaning differs from 1.2; which table a peer follows is a
// deployment setting (docs/protocols/README.md §5).
const (
	ServiceNotRegistered13   Result = 13  // SPNumber + ServiceType not registered
	BadFee13                 Result = 14  // wrong fee type/value
	LinkIDMismatch13         Result = 17  // subscription command word but an on-demand service code
	NotSubscribed13          Result = 18  // user not subscribed
	GroupSendForbidden13     Result = 19  // UserCount ≠ 1
	PacketFormat13           Result = 32  // empty mandatory field, or no LinkID for a non-subscription service
	FlowControl13            Result = 33  // per-second flow-control limit exceeded
	LoginTooFrequent13       Result = 34  //
	TooManyMTsPerLinkID13    Result = 38  // too many MTs for one on-demand LinkID
	ThirdPartyCharging13     Result = 39  // third-party charging on a subscription MT
	MorelatetoMT3Forbidden13 Result = 40  // SP may not set MorelatetoMTFlag = 3
	WebCommandUnknown13      Result = 43  // web on-demand command word not registered
	NoticeIntercepted13      Result = 44  // (un)subscription notice intercepted, sent by SPMS
	MonthlyNotAllowed13      Result = 95  // monthly-fee record not allowed now
	AuthOK                   Result = 100 // SPMS authorization OK
	AuthSPNumberCorpID       Result = 101 // SPNumber does not match CorpId
	AuthBadSPNumber          Result = 102 // SPNumber unassigned or illegal
	AuthServiceUnassigned    Result = 103 // service code unassigned
	AuthBadFeeType           Result = 104 //
	AuthBadFeeValue          Result = 105 //
	AuthNotSubscribed        Result = 106 // MT to a user who did not subscribe (no order, no on-demand)
	AuthLinkIDMismatch       Result = 107 // LinkID does not match (MT vs MO)
	AuthUserSuspended        Result = 108 //
	AuthBadChargeNumber      Result = 109 //
	AuthBlacklisted          Result = 110 // black-listed or non-active user
	AuthTimeout              Result = 111 // SPMS authorization timeout (MT)
	AuthMonthlyTimeout       Result = 112 // also "too many MTs per LinkID" in the 1.3 table
	AuthTooManyCharged       Result = 113 // too many MTs carrying an information fee
	AuthUserCount            Result = 114 // UserCount ≠ 1
	AuthMorelatetoMT3        Result = 115 // SP used MorelatetoMTFlag 3
	AuthNotiUser             Result = 116 // Noti_User will be sent; the MO is not forwarded
	AuthWebCommandMissing    Result = 117 // web on-demand command word missing
	DailyLimitExceeded       Result = 182 // daily volume limit exceeded
)

// Vendor-defined range of SGIP 1.3 (§6): 35–99, e.g. 51–94 gateway internal.
const (
	VendorFirst Result = 35
	VendorLast  Result = 99
)

var resultText = [256]string{
	OK:                  "OK",
	IllegalLogin:        "illegal login (bad name or password)",
	RepeatedLogin:       "repeated login on the same connection",
	TooManyConnections:  "too many connections",
	WrongLoginType:      "wrong Login Type",
	BadParameter:        "parameter format error",
	IllegalMobile:       "illegal mobile number",
	BadCommandID:        "message (command) ID error",
	BadLength:           "message length error",
	BadSequence:         "illegal sequence number",
	IllegalGNSOperation: "illegal GNS operation",
	NodeBusy:            "node busy",
	13:                  "service code not registered (1.3)",
	14:                  "wrong fee type or value (1.3)",
	17:                  "LinkID mismatch: subscription command word with an on-demand service code (1.3)",
	18:                  "user not subscribed (1.3)",
	19:                  "UserCount must be 1 (1.3)",
	Unreachable:         "destination unreachable",
	RoutingError:        "routing error",
	NoRoute:             "route does not exist",
	BadChargeNumber:     "charge number invalid",
	UserUnreachable:     "user cannot communicate",
	HandsetMemoryFull:   "handset memory full",
	NoSMSSupport:        "handset does not support SMS",
	HandsetError:        "handset error receiving SMS",
	UnknownUser:         "unknown user",
	NotProvided:         "function not provided",
	IllegalDevice:       "illegal device",
	32:                  "system failure (1.2) / packet format error (1.3)",
	33:                  "SMSC queue full (1.2) / flow control limit exceeded (1.3)",
	34:                  "login too frequent (1.3)",
	38:                  "too many MTs for one on-demand LinkID (1.3)",
	39:                  "third-party charging not allowed on subscription MT (1.3)",
	40:                  "SP may not set MorelatetoMTFlag 3 (1.3)",
	43:                  "web on-demand command word not registered (1.3)",
	44:                  "subscription notice intercepted (1.3)",
	95:                  "monthly-fee record not allowed now (1.3)",
	100:                 "SPMS: authorization OK",
	101:                 "SPMS: SPNumber does not match CorpId",
	102:                 "SPMS: SPNumber unassigned or illegal",
	103:                 "SPMS: service code unassigned",
	104:                 "SPMS: wrong fee type",
	105:                 "SPMS: wrong fee value",
	106:                 "SPMS: user has not subscribed",
	107:                 "SPMS: LinkID mismatch (MT vs MO)",
	108:                 "SPMS: user suspended",
	109:                 "SPMS: charge number invalid",
	110:                 "SPMS: black-listed or non-active user",
	111:                 "SPMS: authorization timeout (MT)",
	112:                 "SPMS: authorization timeout (monthly) / too many MTs per LinkID",
	113:                 "SPMS: too many charged MTs",
	114:                 "SPMS: UserCount must be 1",
	115:                 "SPMS: SP used MorelatetoMTFlag 3",
	116:                 "SPMS: Noti_User sent, MO not forwarded",
	117:                 "SPMS: web on-demand command word missing",
	// 118–124: the protocol file lists six meanings for the range; the
	// per-code split follows a deployed SGIP 1.3 code table.
	118: "SPMS: monthly-fee record intercepted",
	119: "SPMS: duplicate monthly-fee record",
	120: "SPMS: order failed",
	121: "SPMS: cancel failed",
	122: "SPMS: code 122",
	123: "SPMS: duplicate order",
	124: "SPMS: duplicate on-demand",
	182: "daily volume limit exceeded",
}

// String returns the meaning of r. 32 and 33 show both the 1.2 and the 1.3
// meaning. Codes without a defined meaning print as "vendor-defined 57"
// (35–99) or "result 200".
func (r Result) String() string {
	if s := resultText[r]; s != "" {
		return s
	}
	if r >= VendorFirst && r <= VendorLast {
		return "vendor-defined " + strconv.Itoa(int(r))
	}
	return "result " + strconv.Itoa(int(r))
}
