package smgp

import (
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// What protocol translation (package translate) needs of SMGP beyond the
// codec.Dialect: the reader that is AppendSubmit's inverse, the result
// classes, and what the protocol can carry. docs/translation.md has the
// design.

// DecodeSubmit reads a Submit into the protocol-neutral value, the inverse
// of AppendSubmit: the fee fields (FixedFee in 3.0), ChargeTermID (or the
// ChargeUserType TLV: 1 and 2 read as the SP paying), the TP_udhi, LinkID,
// PkTotal and PkNumber TLVs. MsgType, Reserve, TP_pid, the pseudo-number
// and notice TLVs are not carried. out owns its memory.
func (d Dialect) DecodeSubmit(frame []byte, out *codec.Submit) error {
	_, p, err := Decode(frame, d.v)
	if err != nil {
		return err
	}
	s, ok := p.(*Submit)
	if !ok {
		return codec.ErrWrongCommand
	}
	*out = codec.Submit{
		SPNumber: s.SrcTermID, Dests: s.DestTermID, ServiceCode: s.ServiceID, LinkID: s.LinkID(),
		Coding: s.MsgFormat, Content: s.MsgContent, UDHI: udh.Flag(s.TPUDHI()), NeedReport: s.NeedReport != 0,
		Priority: s.Priority, ValidTime: s.ValidTime, AtTime: s.AtTime, PkTotal: s.PkTotal(), PkNumber: s.PkNumber(),
	}
	out.Fee.Code, out.Fee.Fixed = codec.Fen(s.FeeCode), codec.Fen(s.FixedFee)
	switch s.FeeType {
	case "01":
		out.Fee.Type = codec.FeePerMessage
	case "02":
		out.Fee.Type = codec.FeeMonthly
	case "03":
		out.Fee.Type = codec.FeeCapped
	}
	if s.ChargeTermID != "" {
		out.Fee.Payer, out.Fee.ChargeNumber = codec.PayerNumber, s.ChargeTermID
	}
	if v, ok := s.TLV(TagChargeUserType); ok && len(v) == 1 && (v[0] == 1 || v[0] == 2) {
		out.Fee.Payer, out.Fee.ChargeNumber = codec.PayerSP, ""
	}
	return nil
}

// resultClasses gives the class of every status §11 defines for a
// Submit_Resp, and of the vendor codes spsmg itself answers with
// (130–133, 255).
var resultClasses = map[Status]codec.ResultClass{
	StatusOK:                    codec.ResultOK,
	StatusSystemBusy:            codec.ResultBusy,
	StatusMessageStructureError: codec.ResultBadMessage,
	StatusCommandError:          codec.ResultBadMessage,
	StatusDuplicateSequence:     codec.ResultBadMessage,
	StatusIllegalMsgType:        codec.ResultBadMessage,
	StatusIllegalPriority:       codec.ResultBadMessage,
	StatusIllegalFeeType:        codec.ResultBadFee,
	StatusIllegalFeeCode:        codec.ResultBadFee,
	StatusIllegalMsgFormat:      codec.ResultBadMessage,
	StatusIllegalTimeFormat:     codec.ResultBadMessage,
	StatusIllegalMsgLength:      codec.ResultBadMessage,
	StatusValidityExpired:       codec.ResultBadMessage,
	StatusIllegalQueryType:      codec.ResultBadMessage,
	StatusRoutingError:          codec.ResultBadDest,
	StatusIllegalFixedFee:       codec.ResultBadFee,
	StatusIllegalServiceID:      codec.ResultBadService,
	StatusIllegalValidTime:      codec.ResultBadMessage,
	StatusIllegalAtTime:         codec.ResultBadMessage,
	StatusIllegalSrcTermID:      codec.ResultBadSource,
	StatusIllegalDestTermID:     codec.ResultBadDest,
	StatusIllegalChargeTermID:   codec.ResultBadFee,
	StatusIllegalSPCode:         codec.ResultBadSource,
	StatusNoMatchingRoute:       codec.ResultBadDest,
	StatusIllegalSPID:           codec.ResultBadSource,
	StatusSPForbiddenPeriod:     codec.ResultThrottled,
	StatusDailyLimit:            codec.ResultThrottled,
	130:                         codec.ResultNotSubscribed,
	131:                         codec.ResultLinkID,
	132:                         codec.ResultLinkID,
	133:                         codec.ResultUserBarred,
}

// ResultClass says what a Submit_Resp Status means (codec.ResultClass);
// everything not listed above is codec.ResultSystem.
func (Dialect) ResultClass(code uint32) codec.ResultClass {
	if c, ok := resultClasses[Status(code)]; ok {
		return c
	}
	return codec.ResultSystem
}

// classResults is the Status an SP is answered for each class: 1 "system
// busy" for both retryable classes (SMGP has no other flow-control answer
// an SP retries on; 75, the daily limit, would stop it for the day), the
// protocol's own codes, spsmg's vendor codes for the authorization
// classes, and 255 for a failed upstream (SMGP defines no system error).
var classResults = [codec.ResultClassCount]uint32{
	codec.ResultOK:            uint32(StatusOK),
	codec.ResultThrottled:     uint32(StatusSystemBusy),
	codec.ResultBusy:          uint32(StatusSystemBusy),
	codec.ResultBadDest:       uint32(StatusIllegalDestTermID),
	codec.ResultBadSource:     uint32(StatusIllegalSrcTermID),
	codec.ResultBadService:    uint32(StatusIllegalServiceID),
	codec.ResultBadFee:        uint32(StatusIllegalFeeCode),
	codec.ResultBadMessage:    uint32(StatusMessageStructureError),
	codec.ResultNotSubscribed: 130,
	codec.ResultLinkID:        131,
	codec.ResultUserBarred:    133,
	codec.ResultSystem:        StatusSystemError,
}

// StatusSystemError is the vendor-range status spsmg answers when a
// translated upstream failed for a reason SMGP has no code for.
const StatusSystemError = 255

// ClassResult is the Status an SP is answered for class c.
func (Dialect) ClassResult(c codec.ResultClass) uint32 {
	if c < codec.ResultClassCount {
		return classResults[c]
	}
	return StatusSystemError
}

// Capabilities: 100 recipients, ServiceID 10, the 20-byte LinkID TLV, fee
// fields, PkTotal/PkNumber, GB18030; MsgIDs of one minute and a million
// values (§8).
func (Dialect) Capabilities() codec.Capabilities {
	return codec.Capabilities{MaxDests: MaxDestTermIDs, ServiceCodeLen: ServiceIDLen, LinkIDLen: LinkIDLen,
		MaxPriority: 3, Fee: true, PkFields: true, GBK: true, IDUnit: time.Minute, IDsPerUnit: 1_000_000}
}
