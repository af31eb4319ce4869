package smpp

import (
	"github.com/spsmg/spsmg/codec"
)

// CommandID is the command_id of the SMPP header (SMPP 3.4 §5.1.2.1). A
// response id is the request id with the top bit set; generic_nack is the
// response bit alone.
type CommandID uint32

// The command ids of SMPP 3.4. Bind, unbind, enquire_link, generic_nack,
// submit_sm, deliver_sm and data_sm (and their responses) have typed PDUs;
// the others are named and decoded as Raw (body kept).
const (
	CmdGenericNack         CommandID = 0x80000000
	CmdBindReceiver        CommandID = 0x00000001
	CmdBindReceiverResp    CommandID = 0x80000001
	CmdBindTransmitter     CommandID = 0x00000002
	CmdBindTransmitterResp CommandID = 0x80000002
	CmdQuerySM             CommandID = 0x00000003
	CmdQuerySMResp         CommandID = 0x80000003
	CmdSubmitSM            CommandID = 0x00000004
	CmdSubmitSMResp        CommandID = 0x80000004
	CmdDeliverSM           CommandID = 0x00000005
	CmdDeliverSMResp       CommandID = 0x80000005
	CmdUnbind              CommandID = 0x00000006
	CmdUnbindResp          CommandID = 0x80000006
	CmdReplaceSM           CommandID = 0x00000007
	CmdReplaceSMResp       CommandID = 0x80000007
	CmdCancelSM            CommandID = 0x00000008
	CmdCancelSMResp        CommandID = 0x80000008
	CmdBindTransceiver     CommandID = 0x00000009
	CmdBindTransceiverResp CommandID = 0x80000009
	CmdOutbind             CommandID = 0x0000000B // no response
	CmdEnquireLink         CommandID = 0x00000015
	CmdEnquireLinkResp     CommandID = 0x80000015
	CmdSubmitMulti         CommandID = 0x00000021
	CmdSubmitMultiResp     CommandID = 0x80000021
	CmdAlertNotification   CommandID = 0x00000102 // no response
	CmdDataSM              CommandID = 0x00000103
	CmdDataSMResp          CommandID = 0x80000103
)

// respBit marks a response command_id.
const respBit = 0x80000000

// commandNames are the spec's names; String and the error labels read them
// without allocating.
var commandNames = map[CommandID]string{
	CmdGenericNack:         "generic_nack",
	CmdBindReceiver:        "bind_receiver",
	CmdBindReceiverResp:    "bind_receiver_resp",
	CmdBindTransmitter:     "bind_transmitter",
	CmdBindTransmitterResp: "bind_transmitter_resp",
	CmdQuerySM:             "query_sm",
	CmdQuerySMResp:         "query_sm_resp",
	CmdSubmitSM:            "submit_sm",
	CmdSubmitSMResp:        "submit_sm_resp",
	CmdDeliverSM:           "deliver_sm",
	CmdDeliverSMResp:       "deliver_sm_resp",
	CmdUnbind:              "unbind",
	CmdUnbindResp:          "unbind_resp",
	CmdReplaceSM:           "replace_sm",
	CmdReplaceSMResp:       "replace_sm_resp",
	CmdCancelSM:            "cancel_sm",
	CmdCancelSMResp:        "cancel_sm_resp",
	CmdBindTransceiver:     "bind_transceiver",
	CmdBindTransceiverResp: "bind_transceiver_resp",
	CmdOutbind:             "outbind",
	CmdEnquireLink:         "enquire_link",
	CmdEnquireLinkResp:     "enquire_link_resp",
	CmdSubmitMulti:         "submit_multi",
	CmdSubmitMultiResp:     "submit_multi_resp",
	CmdAlertNotification:   "alert_notification",
	CmdDataSM:              "data_sm",
	CmdDataSMResp:          "data_sm_resp",
}

// labels are "smpp " + name: the PDU part of a FieldError.
var labels = func() map[CommandID]string {
	m := make(map[CommandID]string, len(commandNames))
	for id, n := range commandNames {
		m[id] = "smpp " + n
	}
	return m
}()

// Defined reports whether SMPP 3.4 defines c.
func (c CommandID) Defined() bool {
	_, ok := commandNames[c]
	return ok
}

// IsResponse reports whether c has the response bit set (generic_nack
// included).
func (c CommandID) IsResponse() bool { return c&respBit != 0 }

// Response returns the id of c's response (c | 0x80000000).
func (c CommandID) Response() CommandID { return c | respBit }

// String returns the spec's name (submit_sm, submit_sm_resp, …); an
// undefined id prints as hex (0x00000099). Does not allocate for defined ids.
func (c CommandID) String() string {
	if n, ok := commandNames[c]; ok {
		return n
	}
	return codec.Hex32(uint32(c))
}

// MarshalText renders the name, so that JSON shows "submit_sm".
func (c CommandID) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// label is the PDU part of a FieldError for c, e.g. "smpp submit_sm".
func (c CommandID) label() string {
	switch c { // the commands ParseView reads, without a map lookup
	case CmdSubmitSM:
		return "smpp submit_sm"
	case CmdDeliverSM:
		return "smpp deliver_sm"
	case CmdDataSM:
		return "smpp data_sm"
	case CmdSubmitSMResp:
		return "smpp submit_sm_resp"
	}
	if l, ok := labels[c]; ok {
		return l
	}
	return "smpp"
}

// KindOf classifies c for the proxy:
//
//	bind_receiver, bind_transmitter, bind_transceiver   KindLogin (+ resp)
//	unbind                                               KindLogout (+ resp)
//	submit_sm, data_sm, submit_multi                     KindSubmit (+ resp)
//	deliver_sm                                           KindDeliver (+ resp)
//	enquire_link                                         KindActiveTest (+ resp)
//	generic_nack                                         KindOtherResp
//	query_sm, replace_sm, cancel_sm, outbind,
//	alert_notification                                   KindOther (+ resp)
//
// data_sm travels both ways (an SP's MT, an SMSC's MO or receipt); it is
// KindSubmit so that one sent by an SP can never pass unauthorised, and the
// direction tells the rest. submit_multi is KindSubmit for the same reason;
// its recipients are variable-width entries that the View does not list
// (DestCount 0), so a proxy refuses it for want of recipients. generic_nack
// answers any request whose command it could not read. Undefined ids are
// KindUnknown.
func KindOf(c CommandID) codec.Kind {
	switch c {
	case CmdBindReceiver, CmdBindTransmitter, CmdBindTransceiver:
		return codec.KindLogin
	case CmdBindReceiverResp, CmdBindTransmitterResp, CmdBindTransceiverResp:
		return codec.KindLoginResp
	case CmdUnbind:
		return codec.KindLogout
	case CmdUnbindResp:
		return codec.KindLogoutResp
	case CmdSubmitSM, CmdDataSM, CmdSubmitMulti:
		return codec.KindSubmit
	case CmdSubmitSMResp, CmdDataSMResp, CmdSubmitMultiResp:
		return codec.KindSubmitResp
	case CmdDeliverSM:
		return codec.KindDeliver
	case CmdDeliverSMResp:
		return codec.KindDeliverResp
	case CmdEnquireLink:
		return codec.KindActiveTest
	case CmdEnquireLinkResp:
		return codec.KindActiveTestResp
	}
	if !c.Defined() {
		return codec.KindUnknown
	}
	if c.IsResponse() {
		return codec.KindOtherResp
	}
	return codec.KindOther
}
