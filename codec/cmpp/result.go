package cmpp

import "strconv"

// ConnectStatus is CMPP_CONNECT_RESP Status (docs/protocols/cmpp.md §5): 1
// byte on the wire in 2.x, 4 bytes in 3.0.
type ConnectStatus uint32

// Connect statuses (§5). Values ≥ 5 all mean "other error".
const (
	ConnectOK             ConnectStatus = 0 // accepted
	ConnectBadStructure   ConnectStatus = 1 // message structure error
	ConnectBadSourceAddr  ConnectStatus = 2 // illegal source address (unknown SP_Id)
	ConnectAuthFailed     ConnectStatus = 3 // authentication error
	ConnectVersionTooHigh ConnectStatus = 4 // version too high
	ConnectOther          ConnectStatus = 5 // other error
)

var connectStatusText = [...]string{
	ConnectOK:             "OK",
	ConnectBadStructure:   "message structure error",
	ConnectBadSourceAddr:  "illegal source address",
	ConnectAuthFailed:     "authentication error",
	ConnectVersionTooHigh: "version too high",
	ConnectOther:          "other error",
}

// String gives the spec's meaning; values above 5 are "other error (n)".
func (s ConnectStatus) String() string {
	if int(s) < len(connectStatusText) {
		return connectStatusText[s]
	}
	return "other error (" + strconv.FormatUint(uint64(s), 10) + ")"
}

// Result is the Result of CMPP_SUBMIT_RESP and CMPP_DELIVER_RESP (§12.2,
// §9.5): 1 byte on the wire in 2.x, 4 bytes in 3.0. Deliver_Resp uses
// 0–8 with the same meanings and calls everything ≥ 9 "other error".
//
// 0–99 are reserved to the protocol. 100–199 are the vendor-defined space,
// in which every code must have a documented, specific meaning: spsmg
// answers authorization refusals (unknown service code, SP number or
// LinkID, recipient not allowed, …) with codes from this range, chosen by
// the proxy's refusal-reason table. They fit the 1-byte 2.x field.
type Result uint32

// Results (§12.2).
const (
	ResultOK                   Result = 0
	ResultBadStructure         Result = 1  // message structure error
	ResultBadCommand           Result = 2  // command error
	ResultDuplicateSequence    Result = 3  // duplicate sequence
	ResultBadMsgLength         Result = 4  // message length error
	ResultBadFeeCode           Result = 5  // fee code error
	ResultMsgTooLong           Result = 6  // exceeds maximum message length
	ResultBadServiceID         Result = 7  // Service_Id error
	ResultFlowControl          Result = 8  // flow control error: window full or rate exceeded
	ResultFeeTerminalNotServed Result = 9  // this gateway does not serve the charged number
	ResultBadSrcID             Result = 10 // Src_Id error
	ResultBadMsgSrc            Result = 11 // Msg_src error
	ResultBadFeeTerminalID     Result = 12 // Fee_terminal_Id error
	ResultBadDestTerminalID    Result = 13 // Dest_terminal_Id error

	// ResultVendorMin … ResultVendorMax: the vendor-defined range (§12.2),
	// where spsmg puts its authorization refusals.
	ResultVendorMin Result = 100
	ResultVendorMax Result = 199
)

var resultText = [...]string{
	ResultOK:                   "OK",
	ResultBadStructure:         "message structure error",
	ResultBadCommand:           "command error",
	ResultDuplicateSequence:    "duplicate sequence",
	ResultBadMsgLength:         "message length error",
	ResultBadFeeCode:           "fee code error",
	ResultMsgTooLong:           "exceeds maximum message length",
	ResultBadServiceID:         "service code (Service_Id) error",
	ResultFlowControl:          "flow control error",
	ResultFeeTerminalNotServed: "this gateway does not serve the charged number",
	ResultBadSrcID:             "Src_Id error",
	ResultBadMsgSrc:            "Msg_src error",
	ResultBadFeeTerminalID:     "Fee_terminal_Id error",
	ResultBadDestTerminalID:    "Dest_terminal_Id error",
}

// String gives the spec's meaning, "vendor-defined (n)" for 100–199 and
// "reserved (n)" / "unknown (n)" otherwise.
func (r Result) String() string {
	switch {
	case int(r) < len(resultText):
		return resultText[r]
	case r.IsVendor():
		return "vendor-defined (" + strconv.FormatUint(uint64(r), 10) + ")"
	case r < ResultVendorMin:
		return "reserved (" + strconv.FormatUint(uint64(r), 10) + ")"
	}
	return "unknown (" + strconv.FormatUint(uint64(r), 10) + ")"
}

// IsVendor reports whether r is in the vendor-defined range 100–199.
func (r Result) IsVendor() bool { return r >= ResultVendorMin && r <= ResultVendorMax }
