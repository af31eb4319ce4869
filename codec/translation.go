package codec

// What protocol translation (package translate, docs/translation.md) needs
// of every protocol beyond its Dialect: result classes and capabilities.

import "time"

// ResultClass is what a Submit_Resp result means, in words every protocol
// shares. Protocol translation (package translate) re-expresses an
// upstream's answer in the SP's protocol through it: the upstream's code
// gives a class (a protocol package's ResultClass), the class gives the SP's
// code (its ClassResult). docs/translation.md §4 has the tables.
//
// The classes are coarse on purpose: they keep what an SP acts on (retry
// later, fix the number, fix the message, the user is not entitled) and
// drop the rest. Every code of every protocol falls in exactly one class;
// codes a protocol does not define, and vendor codes whose meaning is not
// known, are ResultSystem.
type ResultClass uint8

const (
	ResultOK ResultClass = iota
	// ResultThrottled: a rate limit was exceeded (per second, per day, a
	// forbidden period). Retry later.
	ResultThrottled
	// ResultBusy: the gateway cannot take the message now (queue full,
	// authorization timeout, upstream unavailable). Retry later.
	ResultBusy
	// ResultBadDest: a recipient number is invalid, unknown, unreachable or
	// not served.
	ResultBadDest
	// ResultBadSource: the source (SP) number, SP id or corporation code is
	// not the SP's.
	ResultBadSource
	// ResultBadService: the service code is unknown or not the SP's.
	ResultBadService
	// ResultBadFee: the fee type, fee value or charged number is wrong.
	ResultBadFee
	// ResultBadMessage: the Submit itself is wrong: structure, length,
	// coding, time format, flags.
	ResultBadMessage
	// ResultNotSubscribed: the user has no subscription to the service.
	ResultNotSubscribed
	// ResultLinkID: the LinkID is missing, unknown, expired, used up or
	// belongs to another user, SP or service.
	ResultLinkID
	// ResultUserBarred: the user is black-listed, suspended or paused.
	ResultUserBarred
	// ResultSystem: the gateway failed, or a code whose meaning is not
	// known.
	ResultSystem
	// ResultClassCount is the number of classes: tables indexed by
	// ResultClass have ResultClassCount entries.
	ResultClassCount
)

var resultClassNames = [ResultClassCount]string{"ok", "throttled", "busy", "bad_destination", "bad_source",
	"bad_service", "bad_fee", "bad_message", "not_subscribed", "linkid", "user_barred", "system"}

// String returns the lower-case name (a metric label, and the name
// docs/translation.md uses).
func (c ResultClass) String() string {
	if c < ResultClassCount {
		return resultClassNames[c]
	}
	return "unknown"
}

// Retryable reports whether sending the same message later may succeed.
func (c ResultClass) Retryable() bool { return c == ResultThrottled || c == ResultBusy }

// SPMSClass is the class of an authentication-centre (SPMS) result, the
// numbering SGIP 1.3 defines for 100–125 and CMPP gateways reuse in their
// vendor range (docs/protocols/sgip12.md §6): source and service codes,
// fees, subscriptions, LinkIDs, barred users, the authorization timeout
// (retryable). 100 ("authorization passed") never answers a Submit and,
// like every code without a meaning, is ResultSystem.
func SPMSClass(code uint32) ResultClass {
	switch code {
	case 101, 102:
		return ResultBadSource
	case 103:
		return ResultBadService
	case 104, 105, 109, 113:
		return ResultBadFee
	case 106:
		return ResultNotSubscribed
	case 107, 112, 117:
		return ResultLinkID
	case 108, 110:
		return ResultUserBarred
	case 111:
		return ResultBusy
	case 114:
		return ResultBadDest
	case 115:
		return ResultBadMessage
	case 182:
		return ResultThrottled
	}
	return ResultSystem
}

// Fen reads a fee field of decimal digits (CMPP FeeCode, SGIP FeeValue,
// SMGP FeeCode and FixedFee, in fen); 0 when it holds anything else.
func Fen(s string) uint32 {
	var v uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || v > (1<<32-1)/10-1 {
			return 0
		}
		v = v*10 + uint32(c-'0')
	}
	return v
}

// Capabilities is what a protocol can carry of the protocol-neutral values,
// for translation: a field the target cannot carry is converted or lost
// (docs/translation.md §2).
type Capabilities struct {
	// MaxDests is the most recipients one Submit carries (100; SMPP
	// submit_sm: 1).
	MaxDests int
	// LongContent: one Submit may carry a message longer than one short
	// message (SMPP message_payload). Otherwise a longer message is sent as
	// concatenated parts.
	LongContent bool
	// ServiceCodeLen is the longest service code (10; SMPP service_type: 5).
	ServiceCodeLen int
	// LinkIDLen is the LinkID slot's width; 0 when the protocol has none.
	LinkIDLen int
	// CorpIDLen is the width of Submit.CorpID's field (SGIP CorpId 5, CMPP
	// Msg_src 6); 0 when there is none.
	CorpIDLen int
	// MaxPriority is the highest priority (CMPP Msg_level and SGIP
	// Priority 9; SMGP Priority and SMPP priority_flag 3).
	MaxPriority uint8
	// Fee: the Submit carries fee fields.
	Fee bool
	// PkFields: the Submit carries part numbers outside the UDH (CMPP
	// Pk_total/Pk_number, SMGP TLVs).
	PkFields bool
	// GBK: coding 15 (GBK / GB18030) is defined.
	GBK bool
	// IDUnit and IDsPerUnit describe the message ids the protocol's
	// MsgIDs maker writes: ids carry a time of IDUnit resolution and a
	// counter of IDsPerUnit values (CMPP: a second and 65,536; SMGP: a
	// minute and 1,000,000). 0 where the identity of an MT is the
	// sequence of its Submit (SGIP).
	IDUnit     time.Duration
	IDsPerUnit uint32
}
