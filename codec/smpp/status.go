package smpp

import "github.com/spsmg/spsmg/codec"

// Status is the command_status of the SMPP header (SMPP 3.4 §5.1.3): 0 in
// every request, the result in a response. Like fiorix's pdu.Status it is
// also an error, so a non-zero Status can be returned as one; String gives
// the spec's name, Text its description.
type Status uint32

// Status codes of SMPP 3.4 §5.1.3, every one defined.
const (
	StatusOK              Status = 0x00 // ESME_ROK: no error
	StatusInvMsgLen       Status = 0x01 // ESME_RINVMSGLEN
	StatusInvCmdLen       Status = 0x02 // ESME_RINVCMDLEN
	StatusInvCmdID        Status = 0x03 // ESME_RINVCMDID
	StatusInvBndSts       Status = 0x04 // ESME_RINVBNDSTS
	StatusAlyBnd          Status = 0x05 // ESME_RALYBND
	StatusInvPrtFlg       Status = 0x06 // ESME_RINVPRTFLG
	StatusInvRegDlvFlg    Status = 0x07 // ESME_RINVREGDLVFLG
	StatusSysErr          Status = 0x08 // ESME_RSYSERR
	StatusInvSrcAdr       Status = 0x0A // ESME_RINVSRCADR
	StatusInvDstAdr       Status = 0x0B // ESME_RINVDSTADR
	StatusInvMsgID        Status = 0x0C // ESME_RINVMSGID
	StatusBindFail        Status = 0x0D // ESME_RBINDFAIL
	StatusInvPaswd        Status = 0x0E // ESME_RINVPASWD
	StatusInvSysID        Status = 0x0F // ESME_RINVSYSID
	StatusCancelFail      Status = 0x11 // ESME_RCANCELFAIL
	StatusReplaceFail     Status = 0x13 // ESME_RREPLACEFAIL
	StatusMsgQFul         Status = 0x14 // ESME_RMSGQFUL
	StatusInvSerTyp       Status = 0x15 // ESME_RINVSERTYP
	StatusInvNumDests     Status = 0x33 // ESME_RINVNUMDESTS
	StatusInvDLName       Status = 0x34 // ESME_RINVDLNAME
	StatusInvDestFlag     Status = 0x40 // ESME_RINVDESTFLAG
	StatusInvSubRep       Status = 0x42 // ESME_RINVSUBREP
	StatusInvEsmClass     Status = 0x43 // ESME_RINVESMCLASS
	StatusCntSubDL        Status = 0x44 // ESME_RCNTSUBDL
	StatusSubmitFail      Status = 0x45 // ESME_RSUBMITFAIL
	StatusInvSrcTON       Status = 0x48 // ESME_RINVSRCTON
	StatusInvSrcNPI       Status = 0x49 // ESME_RINVSRCNPI
	StatusInvDstTON       Status = 0x50 // ESME_RINVDSTTON
	StatusInvDstNPI       Status = 0x51 // ESME_RINVDSTNPI
	StatusInvSysTyp       Status = 0x53 // ESME_RINVSYSTYP
	StatusInvRepFlag      Status = 0x54 // ESME_RINVREPFLAG
	StatusInvNumMsgs      Status = 0x55 // ESME_RINVNUMMSGS
	StatusThrottled       Status = 0x58 // ESME_RTHROTTLED: the flow-control answer
	StatusInvSched        Status = 0x61 // ESME_RINVSCHED
	StatusInvExpiry       Status = 0x62 // ESME_RINVEXPIRY
	StatusInvDftMsgID     Status = 0x63 // ESME_RINVDFTMSGID
	StatusXTAppn          Status = 0x64 // ESME_RX_T_APPN: receiver temporary error
	StatusXPAppn          Status = 0x65 // ESME_RX_P_APPN: receiver permanent error
	StatusXRAppn          Status = 0x66 // ESME_RX_R_APPN: receiver rejects the message
	StatusQueryFail       Status = 0x67 // ESME_RQUERYFAIL
	StatusInvOptParStream Status = 0xC0 // ESME_RINVOPTPARSTREAM
	StatusOptParNotAllwd  Status = 0xC1 // ESME_ROPTPARNOTALLWD
	StatusInvParLen       Status = 0xC2 // ESME_RINVPARLEN
	StatusMissingOptParam Status = 0xC3 // ESME_RMISSINGOPTPARAM
	StatusInvOptParamVal  Status = 0xC4 // ESME_RINVOPTPARAMVAL
	StatusDeliveryFailure Status = 0xFE // ESME_RDELIVERYFAILURE (data_sm_resp)
	StatusUnknownErr      Status = 0xFF // ESME_RUNKNOWNERR

	// StatusVendorMin…StatusVendorMax is the range SMPP 3.4 reserves for
	// SMSC vendor-specific errors; spsmg answers authorization refusals with
	// codes from it. 0x0100–0x03FF is reserved for SMPP extensions.
	StatusVendorMin Status = 0x0400
	StatusVendorMax Status = 0x04FF
)

type statusInfo struct{ name, text string }

// statusTable holds the names and descriptions of SMPP 3.4 §5.1.3.
var statusTable = [...]statusInfo{
	StatusOK:              {"ESME_ROK", "no error"},
	StatusInvMsgLen:       {"ESME_RINVMSGLEN", "message length is invalid"},
	StatusInvCmdLen:       {"ESME_RINVCMDLEN", "command length is invalid"},
	StatusInvCmdID:        {"ESME_RINVCMDID", "invalid command ID"},
	StatusInvBndSts:       {"ESME_RINVBNDSTS", "incorrect bind status for given command"},
	StatusAlyBnd:          {"ESME_RALYBND", "ESME already in bound state"},
	StatusInvPrtFlg:       {"ESME_RINVPRTFLG", "invalid priority flag"},
	StatusInvRegDlvFlg:    {"ESME_RINVREGDLVFLG", "invalid registered delivery flag"},
	StatusSysErr:          {"ESME_RSYSERR", "system error"},
	StatusInvSrcAdr:       {"ESME_RINVSRCADR", "invalid source address"},
	StatusInvDstAdr:       {"ESME_RINVDSTADR", "invalid destination address"},
	StatusInvMsgID:        {"ESME_RINVMSGID", "message ID is invalid"},
	StatusBindFail:        {"ESME_RBINDFAIL", "bind failed"},
	StatusInvPaswd:        {"ESME_RINVPASWD", "invalid password"},
	StatusInvSysID:        {"ESME_RINVSYSID", "invalid system ID"},
	StatusCancelFail:      {"ESME_RCANCELFAIL", "cancel SM failed"},
	StatusReplaceFail:     {"ESME_RREPLACEFAIL", "replace SM failed"},
	StatusMsgQFul:         {"ESME_RMSGQFUL", "message queue full"},
	StatusInvSerTyp:       {"ESME_RINVSERTYP", "invalid service type"},
	StatusInvNumDests:     {"ESME_RINVNUMDESTS", "invalid number of destinations"},
	StatusInvDLName:       {"ESME_RINVDLNAME", "invalid distribution list name"},
	StatusInvDestFlag:     {"ESME_RINVDESTFLAG", "destination flag is invalid (submit_multi)"},
	StatusInvSubRep:       {"ESME_RINVSUBREP", "invalid submit with replace request"},
	StatusInvEsmClass:     {"ESME_RINVESMCLASS", "invalid esm_class field data"},
	StatusCntSubDL:        {"ESME_RCNTSUBDL", "cannot submit to distribution list"},
	StatusSubmitFail:      {"ESME_RSUBMITFAIL", "submit_sm or submit_multi failed"},
	StatusInvSrcTON:       {"ESME_RINVSRCTON", "invalid source address TON"},
	StatusInvSrcNPI:       {"ESME_RINVSRCNPI", "invalid source address NPI"},
	StatusInvDstTON:       {"ESME_RINVDSTTON", "invalid destination address TON"},
	StatusInvDstNPI:       {"ESME_RINVDSTNPI", "invalid destination address NPI"},
	StatusInvSysTyp:       {"ESME_RINVSYSTYP", "invalid system_type field"},
	StatusInvRepFlag:      {"ESME_RINVREPFLAG", "invalid replace_if_present flag"},
	StatusInvNumMsgs:      {"ESME_RINVNUMMSGS", "invalid number of messages"},
	StatusThrottled:       {"ESME_RTHROTTLED", "throttling error (ESME has exceeded allowed message limits)"},
	StatusInvSched:        {"ESME_RINVSCHED", "invalid scheduled delivery time"},
	StatusInvExpiry:       {"ESME_RINVEXPIRY", "invalid message validity period (expiry time)"},
	StatusInvDftMsgID:     {"ESME_RINVDFTMSGID", "predefined message invalid or not found"},
	StatusXTAppn:          {"ESME_RX_T_APPN", "ESME receiver temporary app error code"},
	StatusXPAppn:          {"ESME_RX_P_APPN", "ESME receiver permanent app error code"},
	StatusXRAppn:          {"ESME_RX_R_APPN", "ESME receiver reject message error code"},
	StatusQueryFail:       {"ESME_RQUERYFAIL", "query_sm request failed"},
	StatusInvOptParStream: {"ESME_RINVOPTPARSTREAM", "error in the optional part of the PDU body"},
	StatusOptParNotAllwd:  {"ESME_ROPTPARNOTALLWD", "optional parameter not allowed"},
	StatusInvParLen:       {"ESME_RINVPARLEN", "invalid parameter length"},
	StatusMissingOptParam: {"ESME_RMISSINGOPTPARAM", "expected optional parameter missing"},
	StatusInvOptParamVal:  {"ESME_RINVOPTPARAMVAL", "invalid optional parameter value"},
	StatusDeliveryFailure: {"ESME_RDELIVERYFAILURE", "delivery failure (data_sm_resp)"},
	StatusUnknownErr:      {"ESME_RUNKNOWNERR", "unknown error"},
}

func (s Status) info() (statusInfo, bool) {
	if int(s) < len(statusTable) && statusTable[s].name != "" {
		return statusTable[s], true
	}
	return statusInfo{}, false
}

// String returns the spec's name (ESME_RTHROTTLED); a code the spec does
// not name prints as hex (0x00000400). Does not allocate for named codes.
func (s Status) String() string {
	if i, ok := s.info(); ok {
		return i.name
	}
	return codec.Hex32(uint32(s))
}

// Text returns the spec's description, or the range a code falls in:
// "reserved", "reserved for SMPP extension" (0x0100–0x03FF),
// "SMSC vendor-specific error" (0x0400–0x04FF).
func (s Status) Text() string {
	if i, ok := s.info(); ok {
		return i.text
	}
	switch {
	case s >= 0x0100 && s <= 0x03FF:
		return "reserved for SMPP extension"
	case s.IsVendor():
		return "SMSC vendor-specific error"
	}
	return "reserved"
}

// Error renders s as "smpp: ESME_RTHROTTLED (0x00000058): throttling error
// (ESME has exceeded allowed message limits)".
func (s Status) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "smpp: "...)
	if i, ok := s.info(); ok {
		b = append(b, i.name...)
		b = append(b, " ("...)
		b = append(b, codec.Hex32(uint32(s))...)
		b = append(b, ')')
	} else {
		b = append(b, "status "...)
		b = append(b, codec.Hex32(uint32(s))...)
	}
	b = append(b, ": "...)
	b = append(b, s.Text()...)
	return string(b)
}

// MarshalText renders the name (or hex), so that JSON shows "ESME_ROK".
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// IsVendor reports whether s is in the SMSC vendor-specific range.
func (s Status) IsVendor() bool { return s >= StatusVendorMin && s <= StatusVendorMax }
