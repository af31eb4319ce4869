package cmpp

import (
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// What protocol translation (package translate) needs of CMPP beyond the
// codec.Dialect: the reader that is AppendSubmit's inverse, the result
// classes, and what the protocol can carry. docs/translation.md has the
// design.

// DecodeSubmit reads a CMPP_SUBMIT into the protocol-neutral value, the
// inverse of AppendSubmit: Pk_total/Pk_number, Registered_Delivery 1 as
// NeedReport, Msg_level, the fee fields (Fee_UserType 1, "the source
// pays", reads as the SP paying: an MT's source is the SP), Msg_src as
// CorpID, the 3.0 LinkID or the 2.x Reserve. TP_pId and the 3.0 terminal
// types are not carried (0 real numbers). out owns its memory.
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
		SPNumber: s.SrcID, Dests: s.DestTerminalID, ServiceCode: s.ServiceID, LinkID: s.LinkID, CorpID: s.MsgSrc,
		Coding: s.MsgFmt, Content: s.MsgContent, UDHI: udh.Flag(s.TPUDHI), NeedReport: s.RegisteredDelivery == 1,
		Priority: s.MsgLevel, ValidTime: s.ValIDTime, AtTime: s.AtTime, PkTotal: s.PkTotal, PkNumber: s.PkNumber,
	}
	out.Fee.Code = codec.Fen(s.FeeCode)
	for t, code := range feeTypes {
		if code == s.FeeType {
			out.Fee.Type = codec.FeeType(t)
		}
	}
	switch s.FeeUserType {
	case 1, 2:
		out.Fee.Payer = codec.PayerSP
	case 3:
		out.Fee.Payer, out.Fee.ChargeNumber = codec.PayerNumber, s.FeeTerminalID
	}
	return nil
}

// resultClasses gives the class of every defined Submit_Resp Result
// (§12.2) and of the authentication-centre codes of the vendor range,
// which CMPP gateways number as SGIP 1.3 does (docs/protocols/sgip12.md §6).
var resultClasses = map[uint32]codec.ResultClass{
	0:  codec.ResultOK,
	1:  codec.ResultBadMessage,
	2:  codec.ResultBadMessage,
	3:  codec.ResultBadMessage,
	4:  codec.ResultBadMessage,
	5:  codec.ResultBadFee,
	6:  codec.ResultBadMessage,
	7:  codec.ResultBadService,
	8:  codec.ResultThrottled,
	9:  codec.ResultBadFee,
	10: codec.ResultBadSource,
	11: codec.ResultBadSource,
	12: codec.ResultBadFee,
	13: codec.ResultBadDest,
}

// ResultClass says what a Submit_Resp Result means (codec.ResultClass).
// 100–199 follow the authentication-centre numbering (codec.SPMSClass);
// codes without a meaning are codec.ResultSystem.
func (Dialect) ResultClass(code uint32) codec.ResultClass {
	if c, ok := resultClasses[code]; ok {
		return c
	}
	if Result(code).IsVendor() {
		return codec.SPMSClass(code)
	}
	return codec.ResultSystem
}

// classResults is the Result an SP is answered for each class: the
// protocol's own codes, the authentication-centre codes for the
// authorization classes, and 199, spsmg's vendor code for "the upstream
// failed" (CMPP defines no system error).
var classResults = [codec.ResultClassCount]uint32{
	codec.ResultOK:            0,
	codec.ResultThrottled:     uint32(ResultFlowControl),
	codec.ResultBusy:          uint32(ResultFlowControl),
	codec.ResultBadDest:       uint32(ResultBadDestTerminalID),
	codec.ResultBadSource:     uint32(ResultBadSrcID),
	codec.ResultBadService:    uint32(ResultBadServiceID),
	codec.ResultBadFee:        uint32(ResultBadFeeCode),
	codec.ResultBadMessage:    uint32(ResultBadStructure),
	codec.ResultNotSubscribed: 106,
	codec.ResultLinkID:        107,
	codec.ResultUserBarred:    110,
	codec.ResultSystem:        ResultSystemError,
}

// ResultSystemError is the vendor-range Result spsmg answers when a
// translated upstream failed for a reason CMPP has no code for.
const ResultSystemError = 199

// ClassResult is the Result an SP is answered for class c.
func (Dialect) ClassResult(c codec.ResultClass) uint32 {
	if c < codec.ResultClassCount {
		return classResults[c]
	}
	return ResultSystemError
}

// Capabilities: 100 recipients, Service_Id 10, Msg_src 6, fee fields,
// Pk_total/Pk_number, GBK; Msg_Ids of one second and 65,536 values (§11).
func (d Dialect) Capabilities() codec.Capabilities {
	return codec.Capabilities{MaxDests: MaxDestUsr, ServiceCodeLen: 10, LinkIDLen: d.v.Family().LinkIDLen(),
		CorpIDLen: 6, MaxPriority: 9, Fee: true, PkFields: true, GBK: true, IDUnit: time.Second, IDsPerUnit: 1 << 16}
}
