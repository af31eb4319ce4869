package cmpp

import (
	"encoding/hex"

	"github.com/spsmg/spsmg/codec"
)

// CommandID is the header's Command_Id (docs/protocols/cmpp.md §12.1). A
// response id is its request id with the top bit set.
type CommandID uint32

// Command ids, every one in §12.1. 0x00000003 is unused by the spec.
const (
	CmdConnect    CommandID = 0x00000001
	CmdTerminate  CommandID = 0x00000002
	CmdSubmit     CommandID = 0x00000004
	CmdDeliver    CommandID = 0x00000005
	CmdQuery      CommandID = 0x00000006
	CmdCancel     CommandID = 0x00000007
	CmdActiveTest CommandID = 0x00000008
	CmdFwd        CommandID = 0x00000009 // ISMG ↔ ISMG; name and Kind only

	// GNS route commands (ISMG ↔ GNS); names and Kind only.
	CmdMTRoute           CommandID = 0x00000010
	CmdMORoute           CommandID = 0x00000011
	CmdGetMTRoute        CommandID = 0x00000012
	CmdMTRouteUpdate     CommandID = 0x00000013
	CmdMORouteUpdate     CommandID = 0x00000014
	CmdPushMTRouteUpdate CommandID = 0x00000015
	CmdPushMORouteUpdate CommandID = 0x00000016
	CmdGetMORoute        CommandID = 0x00000017

	CmdConnectResp    = CmdConnect | respBit
	CmdTerminateResp  = CmdTerminate | respBit
	CmdSubmitResp     = CmdSubmit | respBit
	CmdDeliverResp    = CmdDeliver | respBit
	CmdQueryResp      = CmdQuery | respBit
	CmdCancelResp     = CmdCancel | respBit
	CmdActiveTestResp = CmdActiveTest | respBit
	CmdFwdResp        = CmdFwd | respBit

	CmdMTRouteResp           = CmdMTRoute | respBit
	CmdMORouteResp           = CmdMORoute | respBit
	CmdGetMTRouteResp        = CmdGetMTRoute | respBit
	CmdMTRouteUpdateResp     = CmdMTRouteUpdate | respBit
	CmdMORouteUpdateResp     = CmdMORouteUpdate | respBit
	CmdPushMTRouteUpdateResp = CmdPushMTRouteUpdate | respBit
	CmdPushMORouteUpdateResp = CmdPushMORouteUpdate | respBit
	CmdGetMORouteResp        = CmdGetMORoute | respBit
)

const respBit CommandID = 0x80000000

// names of the requests, indexed by id; a response adds "_RESP".
var requestNames = [...]string{
	CmdConnect:           "CMPP_CONNECT",
	CmdTerminate:         "CMPP_TERMINATE",
	CmdSubmit:            "CMPP_SUBMIT",
	CmdDeliver:           "CMPP_DELIVER",
	CmdQuery:             "CMPP_QUERY",
	CmdCancel:            "CMPP_CANCEL",
	CmdActiveTest:        "CMPP_ACTIVE_TEST",
	CmdFwd:               "CMPP_FWD",
	CmdMTRoute:           "CMPP_MT_ROUTE",
	CmdMORoute:           "CMPP_MO_ROUTE",
	CmdGetMTRoute:        "CMPP_GET_MT_ROUTE",
	CmdMTRouteUpdate:     "CMPP_MT_ROUTE_UPDATE",
	CmdMORouteUpdate:     "CMPP_MO_ROUTE_UPDATE",
	CmdPushMTRouteUpdate: "CMPP_PUSH_MT_ROUTE_UPDATE",
	CmdPushMORouteUpdate: "CMPP_PUSH_MO_ROUTE_UPDATE",
	CmdGetMORoute:        "CMPP_GET_MO_ROUTE",
}

// Names of every command and of every PDU per family, built once so that
// String and the decoders' error context never allocate for a known id.
var (
	commandNames [2][len(requestNames)]string    // [resp][id]
	pduNames     [2][2][len(requestNames)]string // [family 3.0][resp][id]
)

func init() {
	for id, name := range requestNames {
		if name == "" {
			continue
		}
		commandNames[0][id] = name
		commandNames[1][id] = name + "_RESP"
		for resp := range 2 {
			pduNames[0][resp][id] = Family2x.String() + " " + commandNames[resp][id]
			pduNames[1][resp][id] = Family30.String() + " " + commandNames[resp][id]
		}
	}
}

// split returns the request part of id and whether id is a response; ok is
// false when id is not one of the commands above.
func (id CommandID) split() (low int, resp int, ok bool) {
	if id&respBit != 0 {
		resp = 1
	}
	l := uint32(id &^ respBit)
	if l >= uint32(len(requestNames)) || requestNames[l] == "" {
		return 0, 0, false
	}
	return int(l), resp, true
}

// String returns the spec's name (CMPP_SUBMIT, CMPP_SUBMIT_RESP, …); an id
// the spec does not define prints as hex, e.g. "0x00000003".
func (id CommandID) String() string {
	if low, resp, ok := id.split(); ok {
		return commandNames[resp][low]
	}
	b := []byte{'0', 'x', 0, 0, 0, 0, 0, 0, 0, 0}
	hex.Encode(b[2:], []byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)})
	return string(b)
}

// MarshalText renders the name, so that JSON shows "CMPP_SUBMIT".
func (id CommandID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// IsResponse reports whether the top bit is set.
func (id CommandID) IsResponse() bool { return id&respBit != 0 }

// pduName is the error context of a PDU: family and command, e.g.
// "cmpp3 CMPP_SUBMIT". Allocates only for an unknown id.
func pduName(id CommandID, f Family) string {
	if low, resp, ok := id.split(); ok {
		if f == Family30 {
			return pduNames[1][resp][low]
		}
		return pduNames[0][resp][low]
	}
	return f.String() + " " + id.String()
}

// KindOf classifies id for the proxy. Query and Cancel, the ISMG-only
// CMPP_FWD and the GNS route commands are KindOther/KindOtherResp; ids the
// spec does not define are KindUnknown.
func KindOf(id CommandID) codec.Kind {
	switch id {
	case CmdConnect:
		return codec.KindLogin
	case CmdConnectResp:
		return codec.KindLoginResp
	case CmdTerminate:
		return codec.KindLogout
	case CmdTerminateResp:
		return codec.KindLogoutResp
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
	}
	if _, resp, ok := id.split(); ok {
		if resp == 1 {
			return codec.KindOtherResp
		}
		return codec.KindOther
	}
	return codec.KindUnknown
}
