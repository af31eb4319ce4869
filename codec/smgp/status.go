package smgp

import "strconv"

// Status is the Status field of Login_Resp, Submit_Resp and Deliver_Resp
// (docs/protocols/smgp30.md §11). Like fiorix's smpp pdu.Status it is also an
// error, so a non-zero Status can be returned as one; String gives the spec's
// meaning.
type Status uint32

// Status codes of docs/protocols/smgp30.md §11.
const (
	StatusOK                     Status = 0  // success
	StatusSystemBusy             Status = 1  // system busy: flow control, retry later
	StatusTooManyConnections     Status = 2  // too many connections (Login_Resp)
	StatusMessageStructureError  Status = 10 // message structure error
	StatusCommandError           Status = 11 // command (RequestID) error
	StatusDuplicateSequence      Status = 12 // duplicate sequence number
	StatusIPError                Status = 20 // IP address error (Login_Resp)
	StatusAuthError              Status = 21 // authentication error (Login_Resp)
	StatusVersionTooHigh         Status = 22 // version too high (Login_Resp)
	StatusIllegalMsgType         Status = 30
	StatusIllegalPriority        Status = 31
	StatusIllegalFeeType         Status = 32
	StatusIllegalFeeCode         Status = 33
	StatusIllegalMsgFormat       Status = 34
	StatusIllegalTimeFormat      Status = 35
	StatusIllegalMsgLength       Status = 36
	StatusValidityExpired        Status = 37
	StatusIllegalQueryType       Status = 38
	StatusRoutingError           Status = 39
	StatusIllegalFixedFee        Status = 40
	StatusIllegalUpdateType      Status = 41
	StatusIllegalRouteID         Status = 42
	StatusIllegalServiceID       Status = 43
	StatusIllegalValidTime       Status = 44
	StatusIllegalAtTime          Status = 45
	StatusIllegalSrcTermID       Status = 46
	StatusIllegalDestTermID      Status = 47
	StatusIllegalChargeTermID    Status = 48
	StatusIllegalSPCode          Status = 49
	StatusIllegalSrcGatewayID    Status = 56
	StatusIllegalQueryTermID     Status = 57
	StatusNoMatchingRoute        Status = 58
	StatusIllegalSPType          Status = 59
	StatusIllegalLastRouteID     Status = 60
	StatusIllegalRouteType       Status = 61
	StatusIllegalDestGatewayID   Status = 62
	StatusIllegalDestGatewayIP   Status = 63
	StatusIllegalDestGatewayPort Status = 64
	StatusIllegalTermRangeID     Status = 65
	StatusIllegalProvinceCode    Status = 66
	StatusIllegalUserType        Status = 67
	StatusRouteUpdateUnsupported Status = 68
	StatusIllegalSPID            Status = 69
	StatusIllegalSPAccessType    Status = 70
	StatusRouteUpdateFailed      Status = 71
	StatusIllegalTime            Status = 72
	StatusIllegalMServiceID      Status = 73
	StatusSPForbiddenPeriod      Status = 74 // SP sending forbidden in this period
	StatusDailyLimit             Status = 75 // SP exceeded its daily volume: the flow-control answer
	StatusSPAccountExpired       Status = 76

	// StatusVendorMin…StatusVendorMax is the vendor-defined range; spsmg
	// answers authorization refusals with codes from it
	// (docs/protocols/smgp30.md §11).
	StatusVendorMin Status = 128
	StatusVendorMax Status = 255
)

var statusText = [...]string{
	StatusOK:                     "success",
	StatusSystemBusy:             "system busy",
	StatusTooManyConnections:     "too many connections",
	StatusMessageStructureError:  "message structure error",
	StatusCommandError:           "command error",
	StatusDuplicateSequence:      "duplicate sequence number",
	StatusIPError:                "IP address error",
	StatusAuthError:              "authentication error",
	StatusVersionTooHigh:         "version too high",
	StatusIllegalMsgType:         "illegal MsgType",
	StatusIllegalPriority:        "illegal Priority",
	StatusIllegalFeeType:         "illegal FeeType",
	StatusIllegalFeeCode:         "illegal FeeCode",
	StatusIllegalMsgFormat:       "illegal MsgFormat",
	StatusIllegalTimeFormat:      "illegal time format",
	StatusIllegalMsgLength:       "illegal MsgLength",
	StatusValidityExpired:        "validity already expired",
	StatusIllegalQueryType:       "illegal QueryType",
	StatusRoutingError:           "routing error",
	StatusIllegalFixedFee:        "illegal FixedFee",
	StatusIllegalUpdateType:      "illegal UpdateType",
	StatusIllegalRouteID:         "illegal RouteId",
	StatusIllegalServiceID:       "illegal ServiceId",
	StatusIllegalValidTime:       "illegal ValidTime",
	StatusIllegalAtTime:          "illegal AtTime",
	StatusIllegalSrcTermID:       "illegal SrcTermId",
	StatusIllegalDestTermID:      "illegal DestTermId",
	StatusIllegalChargeTermID:    "illegal ChargeTermId",
	StatusIllegalSPCode:          "illegal SPCode",
	StatusIllegalSrcGatewayID:    "illegal SrcGatewayID",
	StatusIllegalQueryTermID:     "illegal QueryTermID",
	StatusNoMatchingRoute:        "no matching route",
	StatusIllegalSPType:          "illegal SPType",
	StatusIllegalLastRouteID:     "illegal LastRouteID",
	StatusIllegalRouteType:       "illegal RouteType",
	StatusIllegalDestGatewayID:   "illegal DestGatewayID",
	StatusIllegalDestGatewayIP:   "illegal DestGatewayIP",
	StatusIllegalDestGatewayPort: "illegal DestGatewayPort",
	StatusIllegalTermRangeID:     "illegal TermRangeID",
	StatusIllegalProvinceCode:    "illegal ProvinceCode",
	StatusIllegalUserType:        "illegal UserType",
	StatusRouteUpdateUnsupported: "node does not support route update",
	StatusIllegalSPID:            "illegal SPID",
	StatusIllegalSPAccessType:    "illegal SPAccessType",
	StatusRouteUpdateFailed:      "route update failed",
	StatusIllegalTime:            "illegal Time",
	StatusIllegalMServiceID:      "illegal MServiceID",
	StatusSPForbiddenPeriod:      "SP sending forbidden in this period",
	StatusDailyLimit:             "SP exceeded daily volume",
	StatusSPAccountExpired:       "SP account expired",
}

// String returns the meaning docs/protocols/smgp30.md §11 gives s. The
// table's ranges print as "reserved", "other uses" (50–55, 112–116) and
// "vendor-defined" (128–255); anything above 255 as "unknown status". Does
// not allocate.
func (s Status) String() string {
	if int(s) < len(statusText) && statusText[s] != "" {
		return statusText[s]
	}
	switch {
	case s >= 50 && s <= 55, s >= 112 && s <= 116:
		return "other uses"
	case s >= StatusVendorMin && s <= StatusVendorMax:
		return "vendor-defined"
	case s < StatusVendorMin:
		return "reserved"
	}
	return "unknown status"
}

// Error renders s as "smgp: status 21 (authentication error)".
func (s Status) Error() string {
	b := make([]byte, 0, 48)
	b = append(b, "smgp: status "...)
	b = strconv.AppendUint(b, uint64(s), 10)
	b = append(b, " ("...)
	b = append(b, s.String()...)
	return string(append(b, ')'))
}

// IsVendor reports whether s is in the vendor-defined range 128–255.
func (s Status) IsVendor() bool { return s >= StatusVendorMin && s <= StatusVendorMax }
