package smgp

import (
	"github.com/spsmg/spsmg/codec"
)

// CommandID is the RequestID of the SMGP header
// (docs/protocols/smgp30.md §10). A response id is the request id with the
// top bit set.
type CommandID uint32

// RequestIDs, every one of docs/protocols/smgp30.md §10. Login, Submit,
// Deliver, Active_Test, Exit and Query have typed PDUs; Forward (SMGW↔SMGW),
// the route commands and the prepaid payment commands are decoded as Raw.
const (
	CmdLogin                 CommandID = 0x00000001
	CmdLoginResp             CommandID = 0x80000001
	CmdSubmit                CommandID = 0x00000002
	CmdSubmitResp            CommandID = 0x80000002
	CmdDeliver               CommandID = 0x00000003
	CmdDeliverResp           CommandID = 0x80000003
	CmdActiveTest            CommandID = 0x00000004
	CmdActiveTestResp        CommandID = 0x80000004
	CmdForward               CommandID = 0x00000005
	CmdForwardResp           CommandID = 0x80000005
	CmdExit                  CommandID = 0x00000006
	CmdExitResp              CommandID = 0x80000006
	CmdQuery                 CommandID = 0x00000007
	CmdQueryResp             CommandID = 0x80000007
	CmdQueryTERoute          CommandID = 0x00000008
	CmdQueryTERouteResp      CommandID = 0x80000008
	CmdQuerySPRoute          CommandID = 0x00000009
	CmdQuerySPRouteResp      CommandID = 0x80000009
	CmdPaymentRequest        CommandID = 0x0000000A
	CmdPaymentRequestResp    CommandID = 0x8000000A
	CmdPaymentAffirm         CommandID = 0x0000000B
	CmdPaymentAffirmResp     CommandID = 0x8000000B
	CmdQueryUserState        CommandID = 0x0000000C
	CmdQueryUserStateResp    CommandID = 0x8000000C
	CmdGetAllTERoute         CommandID = 0x0000000D
	CmdGetAllTERouteResp     CommandID = 0x8000000D
	CmdGetAllSPRoute         CommandID = 0x0000000E
	CmdGetAllSPRouteResp     CommandID = 0x8000000E
	CmdUpdateTERoute         CommandID = 0x0000000F
	CmdUpdateTERouteResp     CommandID = 0x8000000F
	CmdUpdateSPRoute         CommandID = 0x00000010
	CmdUpdateSPRouteResp     CommandID = 0x80000010
	CmdPushUpdateTERoute     CommandID = 0x00000011
	CmdPushUpdateTERouteResp CommandID = 0x80000011
	CmdPushUpdateSPRoute     CommandID = 0x00000012
	CmdPushUpdateSPRouteResp CommandID = 0x80000012
)

// respBit marks a response RequestID.
const respBit = 0x80000000

// lastRequest is the highest request id of docs/protocols/smgp30.md §10.
const lastRequest = 0x12

// requestNames is indexed by the request id; the response name adds "_RESP".
var requestNames = [lastRequest + 1]string{
	CmdLogin:             "SMGP_LOGIN",
	CmdSubmit:            "SMGP_SUBMIT",
	CmdDeliver:           "SMGP_DELIVER",
	CmdActiveTest:        "SMGP_ACTIVE_TEST",
	CmdForward:           "SMGP_FORWARD",
	CmdExit:              "SMGP_EXIT",
	CmdQuery:             "SMGP_QUERY",
	CmdQueryTERoute:      "SMGP_QUERY_TE_ROUTE",
	CmdQuerySPRoute:      "SMGP_QUERY_SP_ROUTE",
	CmdPaymentRequest:    "SMGP_PAYMENT_REQUEST",
	CmdPaymentAffirm:     "SMGP_PAYMENT_AFFIRM",
	CmdQueryUserState:    "SMGP_QUERY_USERSTATE",
	CmdGetAllTERoute:     "SMGP_GET_ALL_TE_ROUTE",
	CmdGetAllSPRoute:     "SMGP_GET_ALL_SP_ROUTE",
	CmdUpdateTERoute:     "SMGP_UPDATE_TE_ROUTE",
	CmdUpdateSPRoute:     "SMGP_UPDATE_SP_ROUTE",
	CmdPushUpdateTERoute: "SMGP_PUSH_UPDATE_TE_ROUTE",
	CmdPushUpdateSPRoute: "SMGP_PUSH_UPDATE_SP_ROUTE",
}

// Names of every command, built once so that String and the error labels
// never allocate: names[0][i] is request i, names[1][i] its response;
// labels are "smgp " + name, the PDU part of a FieldError.
var names, labels [2][lastRequest + 1]string

func init() {
	for i, n := range requestNames {
		if n == "" {
			continue
		}
		names[0][i], names[1][i] = n, n+"_RESP"
		labels[0][i], labels[1][i] = "smgp "+n, "smgp "+n+"_RESP"
	}
}

// index splits a defined id into (response?, request number); ok is false
// for ids docs/protocols/smgp30.md §10 does not define.
func (c CommandID) index() (resp, req int, ok bool) {
	if c&respBit != 0 {
		resp = 1
	}
	r := uint32(c &^ respBit)
	if r == 0 || r > lastRequest {
		return 0, 0, false
	}
	return resp, int(r), true
}

// Defined reports whether docs/protocols/smgp30.md §10 defines c.
func (c CommandID) Defined() bool {
	_, _, ok := c.index()
	return ok
}

// IsResponse reports whether c has the response bit set.
func (c CommandID) IsResponse() bool { return c&respBit != 0 }

// String returns the spec's name (SMGP_SUBMIT, SMGP_SUBMIT_RESP, ...); an
// undefined id prints as hex (0x00000099).
func (c CommandID) String() string {
	if resp, req, ok := c.index(); ok {
		return names[resp][req]
	}
	return codec.Hex32(uint32(c))
}

// label is the PDU part of a FieldError for c, e.g. "smgp SMGP_SUBMIT".
func (c CommandID) label() string {
	if resp, req, ok := c.index(); ok {
		return labels[resp][req]
	}
	return "smgp"
}

// pduLabel is label with the version spelled out where the layout depends
// on it (the V13 Submit).
func pduLabel(c CommandID, v Version) string {
	if c == CmdSubmit && !v.hasFixedFee() {
		return "smgp 0x13 SMGP_SUBMIT"
	}
	return c.label()
}

// KindOf classifies c for the proxy. Forward, Query and the route and
// payment commands are KindOther/KindOtherResp: defined, passed through, not
// interpreted. Undefined ids are KindUnknown.
func KindOf(c CommandID) codec.Kind {
	switch c {
	case CmdLogin:
		return codec.KindLogin
	case CmdLoginResp:
		return codec.KindLoginResp
	case CmdSubmit:
		return codec.KindSubmit
	case CmdSubmitResp:
		return codec.KindSubmitResp
	case CmdDeliver:
		return codec.KindDeliver
	case CmdDeliverResp:
		return codec.KindDeliverResp
	case CmdActiveTest:
		return codec.KindActiveTest
	case CmdActiveTestResp:
		return codec.KindActiveTestResp
	case CmdExit:
		return codec.KindLogout
	case CmdExitResp:
		return codec.KindLogoutResp
	}
	if !c.Defined() {
		return codec.KindUnknown
	}
	if c.IsResponse() {
		return codec.KindOtherResp
	}
	return codec.KindOther
}
