package sgip

import (
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// What protocol translation (package translate) needs of SGIP beyond the
// codec.Dialect: the reader that is AppendSubmit's inverse, the result
// classes, and what the protocol can carry. docs/translation.md has the
// design.

// DecodeSubmit reads a Submit into the protocol-neutral value, the inverse
// of AppendSubmit. Numbers are as on the wire (86-prefixed). NeedReport is
// ReportFlag ≠ 2: flag 0 (a report on failure only) and 3 (monthly) still
// bring reports. FeeType 0 ("send" record) reads as free. ChargeNumber
// empty: each recipient pays; 21 × '0': the SP; else that number.
// GivenValue, AgentFlag, MorelatetoMTFlag (implied by the LinkID),
// MessageType and TP_pid are not carried. out owns its memory.
func (Dialect) DecodeSubmit(frame []byte, out *codec.Submit) error {
	_, p, err := Decode(frame)
	if err != nil {
		return err
	}
	s, ok := p.(*Submit)
	if !ok {
		return codec.ErrWrongCommand
	}
	*out = codec.Submit{
		SPNumber: s.SPNumber, Dests: s.UserNumber, ServiceCode: s.ServiceType, LinkID: s.LinkID(), CorpID: s.CorpID,
		Coding: s.MessageCoding, Content: s.MessageContent, UDHI: udh.Flag(s.TPUDHI),
		NeedReport: s.ReportFlag != ReportFlagNone, Priority: s.Priority, ValidTime: s.ExpireTime, AtTime: s.ScheduleTime,
	}
	out.Fee.Code = codec.Fen(s.FeeValue)
	switch s.FeeType {
	case FeeTypeMessage:
		out.Fee.Type = codec.FeePerMessage
	case FeeTypeMonthly:
		out.Fee.Type = codec.FeeMonthly
	case FeeTypeSP:
		out.Fee.Type = codec.FeeBySP
	}
	switch s.ChargeNumber {
	case "":
	case ChargeSP:
		out.Fee.Payer = codec.PayerSP
	default:
		out.Fee.Payer, out.Fee.ChargeNumber = codec.PayerNumber, s.ChargeNumber
	}
	return nil
}

// resultClasses gives the class of every result the SGIP 1.2 and 1.3
// tables define (§6). 32 and 33 are read with their 1.2 meaning for 32
// (system failure; 1.3's "packet format error" ends the MT as surely) and
// the 1.3 meaning for 33 (flow control, which spsmg answers itself).
var resultClasses = map[Result]codec.ResultClass{
	OK:                       codec.ResultOK,
	BadParameter:             codec.ResultBadMessage,
	IllegalMobile:            codec.ResultBadDest,
	BadCommandID:             codec.ResultBadMessage,
	BadLength:                codec.ResultBadMessage,
	BadSequence:              codec.ResultBadMessage,
	NodeBusy:                 codec.ResultBusy,
	ServiceNotRegistered13:   codec.ResultBadService,
	BadFee13:                 codec.ResultBadFee,
	LinkIDMismatch13:         codec.ResultLinkID,
	NotSubscribed13:          codec.ResultNotSubscribed,
	GroupSendForbidden13:     codec.ResultBadDest,
	Unreachable:              codec.ResultBadDest,
	RoutingError:             codec.ResultBadDest,
	NoRoute:                  codec.ResultBadDest,
	BadChargeNumber:          codec.ResultBadFee,
	UserUnreachable:          codec.ResultBadDest,
	HandsetMemoryFull:        codec.ResultBadDest,
	NoSMSSupport:             codec.ResultBadDest,
	HandsetError:             codec.ResultBadDest,
	UnknownUser:              codec.ResultBadDest,
	IllegalDevice:            codec.ResultBadDest,
	SMSCQueueFull:            codec.ResultThrottled,
	LoginTooFrequent13:       codec.ResultThrottled,
	TooManyMTsPerLinkID13:    codec.ResultLinkID,
	ThirdPartyCharging13:     codec.ResultBadFee,
	MorelatetoMT3Forbidden13: codec.ResultBadMessage,
	WebCommandUnknown13:      codec.ResultLinkID,
	MonthlyNotAllowed13:      codec.ResultBadFee,
}

// ResultClass says what a Result means (codec.ResultClass): the tables
// above, the authentication-centre codes 100–125 and 182
// (codec.SPMSClass); everything else, login results included, is
// codec.ResultSystem.
func (Dialect) ResultClass(code uint32) codec.ResultClass {
	if code > 255 {
		return codec.ResultSystem
	}
	if c, ok := resultClasses[Result(code)]; ok {
		return c
	}
	return codec.SPMSClass(code)
}

// classResults is the Result an SP is answered for each class: 33 flow
// control, 11 node busy, the 1.2 codes for numbers and messages, the
// authentication-centre codes for the rest, 32 for a failed upstream.
var classResults = [codec.ResultClassCount]uint32{
	codec.ResultOK:            uint32(OK),
	codec.ResultThrottled:     uint32(FlowControl13),
	codec.ResultBusy:          uint32(NodeBusy),
	codec.ResultBadDest:       uint32(IllegalMobile),
	codec.ResultBadSource:     uint32(AuthBadSPNumber),
	codec.ResultBadService:    uint32(AuthServiceUnassigned),
	codec.ResultBadFee:        uint32(AuthBadFeeType),
	codec.ResultBadMessage:    uint32(BadParameter),
	codec.ResultNotSubscribed: uint32(AuthNotSubscribed),
	codec.ResultLinkID:        uint32(AuthLinkIDMismatch),
	codec.ResultUserBarred:    uint32(AuthBlacklisted),
	codec.ResultSystem:        uint32(SystemFailure),
}

// ClassResult is the Result an SP is answered for class c.
func (Dialect) ClassResult(c codec.ResultClass) uint32 {
	if c < codec.ResultClassCount {
		return classResults[c]
	}
	return uint32(SystemFailure)
}

// Capabilities: 100 recipients, ServiceType 10, CorpId 5, the 8-byte
// Reserve LinkID, fee fields, GBK; no part numbers outside the UDH, and no
// message ids (the Submit's sequence is the identity).
func (Dialect) Capabilities() codec.Capabilities {
	return codec.Capabilities{MaxDests: MaxUserCount, ServiceCodeLen: ServiceTypeLen, LinkIDLen: LinkIDLen,
		CorpIDLen: CorpIDLen, MaxPriority: 9, Fee: true, GBK: true}
}
