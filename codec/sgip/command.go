package sgip

import "github.com/spsmg/spsmg/codec"

// CommandID is the header's Command ID (docs/protocols/sgip12.md §5). A
// response id is its request id with the top bit set.
type CommandID uint32

// RespBit turns a request id into its response id.
const RespBit CommandID = 0x80000000

// Command IDs, docs/protocols/sgip12.md §5. Every id of the spec is here; the
// GNS route operations (0x6–0xF) and CheckUser (0x10) never travel on SP
// links and have no typed PDU (see Raw).
const (
	CmdBind              CommandID = 0x00000001
	CmdBindResp          CommandID = 0x80000001
	CmdUnbind            CommandID = 0x00000002
	CmdUnbindResp        CommandID = 0x80000002
	CmdSubmit            CommandID = 0x00000003
	CmdSubmitResp        CommandID = 0x80000003
	CmdDeliver           CommandID = 0x00000004
	CmdDeliverResp       CommandID = 0x80000004
	CmdReport            CommandID = 0x00000005
	CmdReportResp        CommandID = 0x80000005
	CmdAddSP             CommandID = 0x00000006
	CmdAddSPResp         CommandID = 0x80000006
	CmdModifySP          CommandID = 0x00000007
	CmdModifySPResp      CommandID = 0x80000007
	CmdDeleteSP          CommandID = 0x00000008
	CmdDeleteSPResp      CommandID = 0x80000008
	CmdQueryRoute        CommandID = 0x00000009
	CmdQueryRouteResp    CommandID = 0x80000009
	CmdAddTeleSeg        CommandID = 0x0000000A
	CmdAddTeleSegResp    CommandID = 0x8000000A
	CmdModifyTeleSeg     CommandID = 0x0000000B
	CmdModifyTeleSegResp CommandID = 0x8000000B
	CmdDeleteTeleSeg     CommandID = 0x0000000C
	CmdDeleteTeleSegResp CommandID = 0x8000000C
	CmdAddSMG            CommandID = 0x0000000D
	CmdAddSMGResp        CommandID = 0x8000000D
	CmdModifySMG         CommandID = 0x0000000E
	CmdModifySMGResp     CommandID = 0x8000000E // the spec's table prints 0x0000000e, a typo (§5)
	CmdDeleteSMG         CommandID = 0x0000000F
	CmdDeleteSMGResp     CommandID = 0x8000000F
	CmdCheckUser         CommandID = 0x00000010
	CmdCheckUserResp     CommandID = 0x80000010
	CmdUserRpt           CommandID = 0x00000011
	CmdUserRptResp       CommandID = 0x80000011
	CmdTrace             CommandID = 0x00001000
	CmdTraceResp         CommandID = 0x80001000
)

// IsResponse reports whether c has the response bit set.
func (c CommandID) IsResponse() bool { return c&RespBit != 0 }

// Resp returns the response id of request c (c itself if already a response).
func (c CommandID) Resp() CommandID { return c | RespBit }

// String returns the spec's name (SGIP_SUBMIT, SGIP_SUBMIT_RESP, ...);
// an id the spec does not define prints as 0x%08x.
func (c CommandID) String() string {
	switch c {
	case CmdBind:
		return "SGIP_BIND"
	case CmdBindResp:
		return "SGIP_BIND_RESP"
	case CmdUnbind:
		return "SGIP_UNBIND"
	case CmdUnbindResp:
		return "SGIP_UNBIND_RESP"
	case CmdSubmit:
		return "SGIP_SUBMIT"
	case CmdSubmitResp:
		return "SGIP_SUBMIT_RESP"
	case CmdDeliver:
		return "SGIP_DELIVER"
	case CmdDeliverResp:
		return "SGIP_DELIVER_RESP"
	case CmdReport:
		return "SGIP_REPORT"
	case CmdReportResp:
		return "SGIP_REPORT_RESP"
	case CmdAddSP:
		return "SGIP_ADDSP"
	case CmdAddSPResp:
		return "SGIP_ADDSP_RESP"
	case CmdModifySP:
		return "SGIP_MODIFYSP"
	case CmdModifySPResp:
		return "SGIP_MODIFYSP_RESP"
	case CmdDeleteSP:
		return "SGIP_DELETESP"
	case CmdDeleteSPResp:
		return "SGIP_DELETESP_RESP"
	case CmdQueryRoute:
		return "SGIP_QUERYROUTE"
	case CmdQueryRouteResp:
		return "SGIP_QUERYROUTE_RESP"
	case CmdAddTeleSeg:
		return "SGIP_ADDTELESEG"
	case CmdAddTeleSegResp:
		return "SGIP_ADDTELESEG_RESP"
	case CmdModifyTeleSeg:
		return "SGIP_MODIFYTELESEG"
	case CmdModifyTeleSegResp:
		return "SGIP_MODIFYTELESEG_RESP"
	case CmdDeleteTeleSeg:
		return "SGIP_DELETETELESEG"
	case CmdDeleteTeleSegResp:
		return "SGIP_DELETETELESEG_RESP"
	case CmdAddSMG:
		return "SGIP_ADDSMG"
	case CmdAddSMGResp:
		return "SGIP_ADDSMG_RESP"
	case CmdModifySMG:
		return "SGIP_MODIFYSMG"
	case CmdModifySMGResp:
		return "SGIP_MODIFYSMG_RESP"
	case CmdDeleteSMG:
		return "SGIP_DELETESMG"
	case CmdDeleteSMGResp:
		return "SGIP_DELETESMG_RESP"
	case CmdCheckUser:
		return "SGIP_CHECKUSER"
	case CmdCheckUserResp:
		return "SGIP_CHECKUSER_RESP"
	case CmdUserRpt:
		return "SGIP_USERRPT"
	case CmdUserRptResp:
		return "SGIP_USERRPT_RESP"
	case CmdTrace:
		return "SGIP_TRACE"
	case CmdTraceResp:
		return "SGIP_TRACE_RESP"
	}
	const digits = "0123456789abcdef"
	b := [10]byte{'0', 'x'}
	for i := range 8 {
		b[2+i] = digits[(c>>(28-4*i))&0xf]
	}
	return string(b[:])
}

// KindOf classifies c for the proxy. SGIP has no active test; Trace, the
// GNS route operations and CheckUser are KindOther / KindOtherResp. An id
// the spec does not define is KindUnknown (the spec says: close the
// connection, §2).
func KindOf(c CommandID) codec.Kind {
	switch c {
	case CmdBind:
		return codec.KindLogin
	case CmdBindResp:
		return codec.KindLoginResp
	case CmdUnbind:
		return codec.KindLogout
	case CmdUnbindResp:
		return codec.KindLogoutResp
	case CmdSubmit:
		return codec.KindSubmit
	case CmdSubmitResp:
		return codec.KindSubmitResp
	case CmdDeliver:
		return codec.KindDeliver
	case CmdDeliverResp:
		return codec.KindDeliverResp
	case CmdReport:
		return codec.KindReport
	case CmdReportResp:
		return codec.KindReportResp
	case CmdUserRpt:
		return codec.KindUserRpt
	case CmdUserRptResp:
		return codec.KindUserRptResp
	case CmdTrace, CmdCheckUser:
		return codec.KindOther
	case CmdTraceResp, CmdCheckUserResp:
		return codec.KindOtherResp
	}
	if isGNS(c &^ RespBit) {
		if c.IsResponse() {
			return codec.KindOtherResp
		}
		return codec.KindOther
	}
	return codec.KindUnknown
}

// isGNS reports whether request id c is one of the GNS route operations
// AddSP … DeleteSMG (0x6–0xF).
func isGNS(c CommandID) bool { return c >= CmdAddSP && c <= CmdDeleteSMG }
