package smpp

import (
	"crypto/subtle"
	"encoding/binary"
	"strings"
	"time"
	"unsafe"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// Dialect is SMPP 3.4 as a codec.Dialect: everything spsmg, the simulators
// and the tests need to serve it on both faces, an SP (ESME) binding to
// spsmg and spsmg binding to an SMSC. It is Neutral (the readers and
// builders on protocol-neutral values, with the deployment's Options) plus
// the rules, the logins and the answers.
//
// What SMPP does differently, in the Dialect's terms:
//
//   - the sequence_number sits at offset 12, after command_status (Seq);
//   - logins are bind_transmitter (LoginSubmit), bind_receiver
//     (LoginDeliver) and bind_transceiver (LoginBoth), with system_id
//     (15 characters) and a clear-text password of at most 8, compared in
//     constant time; interface_version 0x34, and the earlier versions 3.4
//     says it serves (0x00–0x33) are accepted;
//   - enquire_link is the keep-alive, unbind the logout;
//   - a command_id it does not define, and the commands spsmg does not
//     serve on its faces (submit_multi, outbind, alert_notification), are
//     answered with generic_nack and ESME_RINVCMDID, the session going on
//     (AppendNack);
//   - message ids are text: the SMSC's submit_sm_resp message_id, which
//     receipts quote in receipted_message_id; a submit_sm has one
//     recipient, so one id (AppendMsgIDAt);
//   - SMPP has no LinkID: Options.LinkIDTag names the vendor TLV that
//     carries one; without it there is no slot (LinkIDWidth 0);
//   - refusals use SMPP's own command_status where it has one and the
//     vendor range 0x0400 + the authentication-centre code otherwise
//     (DefaultResults).
//
// Values are stateless; one serves every goroutine.
type Dialect struct{ Neutral }

// NewDialect returns the Dialect reading and writing LinkIDs in the TLV
// o.LinkIDTag names (none when it is 0).
func NewDialect(o Options) Dialect { return Dialect{Neutral{Wire: Wire{Options: o}}} }

var _ codec.Dialect = Dialect{}

// ParseView is Options.ParseView, except that the commands spsmg does not
// serve on its faces read as unknown: submit_multi (one recipient per
// submit_sm is what the gateway forwards and authorizes; a list of them
// would need a View the proxy cannot rewrite), outbind and
// alert_notification (an SMSC sends them, never an SP, and they have no
// response a gateway could wait for). Kind is then KindUnknown and the
// error wraps codec.ErrUnknownCommand, so that they are answered with
// generic_nack (AppendNack).
//
// It is small enough to be inlined into the (*Dialect).ParseView wrapper
// the proxy calls through codec.Dialect, which then reads only LinkIDTag
// instead of copying the whole Dialect for every frame.
func (d Dialect) ParseView(frame []byte, v *codec.View) error {
	return parseServed(frame, v, d.Options.LinkIDTag)
}

// parseServed is parseView, with the commands spsmg does not serve on its
// faces turned into KindUnknown and ErrUnknownCommand.
func parseServed(frame []byte, v *codec.View, linkIDTag Tag) error {
	err := parseView(frame, v, linkIDTag)
	if err != nil || !notServed(CommandID(v.Command)) {
		return err
	}
	return refuseNotServed(v)
}

func refuseNotServed(v *codec.View) error {
	v.Kind = codec.KindUnknown
	return &codec.FieldError{PDU: "smpp", Field: "command_id " + CommandID(v.Command).String(), Index: -1,
		Offset: offCommandID, Value: int64(v.Command), Err: codec.ErrUnknownCommand}
}

func notServed(id CommandID) bool {
	return id == CmdSubmitMulti || id == CmdOutbind || id == CmdAlertNotification
}

// Version is interface_version 0x34.
func (Dialect) Version() uint8 { return InterfaceVersion34 }

// AcceptsVersion: 3.4, and 0x00–0x33, "3.3 or earlier", which 3.4 serves:
// their PDUs are 3.4's without TLVs. A later version (5.0 is 0x50) is
// refused: its PDUs and TLVs are not 3.4's, and frames are forwarded as
// they are.
func (Dialect) AcceptsVersion(v uint8) bool { return v <= InterfaceVersion34 }

// AcceptsLoginMode: transmitter, receiver and transceiver.
func (Dialect) AcceptsLoginMode(m codec.LoginMode) bool { return m != codec.LoginModeUnknown }

// SplitConnections: a receiver or transceiver bind takes deliveries on
// the connection it opened (outbind, the SMSC asking the ESME to bind, is
// not used).
func (Dialect) SplitConnections() bool { return false }
func (Dialect) HasActiveTest() bool    { return true }

// ResendTimeout: SMPP 3.4 names a response_timer but leaves its value to
// the implementation; spsmg uses 60 s, CMPP's and SMGP's T.
func (Dialect) ResendTimeout() time.Duration { return 60 * time.Second }

// LinkIDWidth is the LinkID slot a LinkIDTag TLV gives: 20 bytes, the
// width of CMPP 3.0's and SMGP's; 0 without a tag.
func (d Dialect) LinkIDWidth() int {
	if d.Options.LinkIDTag == 0 {
		return 0
	}
	return LinkIDLen
}

// LinkIDLen is the longest LinkID spsmg writes into the LinkIDTag TLV.
const LinkIDLen = 20

// LoginField: system_id holds 15 characters and its NUL.
func (Dialect) LoginField() (string, int) { return "SMPP system_id", SystemIDLen - 1 }

// SecretField: the password travels in clear, 8 characters and a NUL; a
// longer secret could never be sent.
func (Dialect) SecretField() (string, int) { return "SMPP password", PasswordLen - 1 }

// MaxResult: command_status is 4 bytes.
func (Dialect) MaxResult() uint32 { return 1<<32 - 1 }

// vendor is SMPP's vendor-specific command_status for an
// authentication-centre (SPMS) code n: 0x0400 + n, the numbering
// ResultClass reads back (codec.SPMSClass) and translation uses.
func vendor(n uint32) uint32 { return uint32(StatusVendorMin) + n }

// defaultResults: SMPP's own command_status where one says what happened
// (and where protocol translation's class table says the same: bad source,
// service and destination, a failed submit, throttling, a full queue), and
// for the authorization refusals the vendor range 0x0400 + the
// authentication-centre code that SGIP 1.3 and CMPP use (106 not
// subscribed, 107 LinkID, 108 paused, 112 LinkID used up, 125 suspended).
// The retryable refusals use the two codes SMPP clients retry:
// ESME_RTHROTTLED for the SP's own limits, ESME_RMSGQFUL for spsmg's and
// the SMSC's trouble.
var defaultResults = codec.ResultTable{
	reason.NotSubscribed:       vendor(106),
	reason.LinkIDUnknown:       vendor(107),
	reason.LinkIDExpired:       vendor(107),
	reason.LinkIDWrongUser:     vendor(107),
	reason.LinkIDWrongSP:       vendor(107),
	reason.LinkIDWrongService:  vendor(107),
	reason.NoticeUnmatched:     vendor(107),
	reason.LinkIDUsedUp:        vendor(112),
	reason.NoRecipients:        uint32(StatusInvDstAdr),
	reason.BadRecipient:        uint32(StatusInvDstAdr),
	reason.StoreUnavailable:    uint32(StatusMsgQFul),
	reason.SubscriptionPaused:  vendor(108),
	reason.FlowControl:         uint32(StatusThrottled),
	reason.WindowFull:          uint32(StatusThrottled),
	reason.UpstreamUnavailable: uint32(StatusMsgQFul),
	reason.UpstreamTimeout:     uint32(StatusMsgQFul),
	reason.ServiceNotAllowed:   uint32(StatusInvSerTyp),
	reason.SPNumberNotAllowed:  uint32(StatusInvSrcAdr),
	reason.Malformed:           uint32(StatusSubmitFail),
	reason.TooManyRecipients:   uint32(StatusInvNumDests),
	reason.AccountSuspended:    vendor(125),
}

func (Dialect) DefaultResults() codec.ResultTable { return defaultResults }

// NotServedResult: ESME_RINVBNDSTS, "incorrect bind status for given
// command" (a submit_sm on a receiver bind, a deliver_sm from an ESME).
func (Dialect) NotServedResult() uint32 { return uint32(StatusInvBndSts) }

func (Dialect) ResultText(code uint32) string      { return Status(code).String() }
func (Dialect) LoginResultText(code uint32) string { return Status(code).String() }

// PutSeq writes the counter, keeping it in SMPP's 0x00000001–0x7FFFFFFF
// (§3.2): the top bit is dropped and 0 becomes 1.
func (Dialect) PutSeq(dst []byte, _, _, counter uint32) {
	counter &= MaxSequence
	if counter == 0 {
		counter = 1
	}
	binary.BigEndian.PutUint32(dst, counter)
}

// AppendResp answers request v with command_status result: its own
// response (submit_sm_resp and data_sm_resp with an empty message_id,
// deliver_sm_resp, enquire_link_resp, unbind_resp, a bind_*_resp, and the
// responses of query_sm, replace_sm and cancel_sm), and generic_nack for a
// request without a response of its own that expects an answer (an
// unknown command). outbind and alert_notification, which have no
// response, and responses append nothing.
func (Dialect) AppendResp(dst []byte, v *codec.View, result uint32) []byte {
	seq := codec.Uint32Of(v.Sequence)
	id := CommandID(v.Command)
	st := Status(result)
	switch id {
	case CmdSubmitSM, CmdDeliverSM, CmdDataSM:
		return appendRespFrame(dst, id.Response(), seq, st, nil)
	case CmdBindTransmitter, CmdBindReceiver, CmdBindTransceiver:
		return AppendBindResp(dst, id, seq, st, SystemIDOfSpsmg)
	case CmdEnquireLink, CmdUnbind, CmdReplaceSM, CmdCancelSM:
		return appendEmpty(dst, id.Response(), st, seq)
	case CmdQuerySM:
		if st != StatusOK {
			return appendEmpty(dst, CmdQuerySMResp, st, seq) // the body is left out on an error
		}
		// message_id, final_date (empty), message_state UNKNOWN, error_code 0
		start := len(dst)
		dst = appendHeader(dst, CmdQuerySMResp, st, seq)
		dst = append(dst, 0, 0, byte(StateUnknown), 0)
		return finish(dst, start)
	case CmdOutbind, CmdAlertNotification:
		return dst
	}
	if id.IsResponse() {
		return dst
	}
	return AppendGenericNack(dst, seq, st)
}

// AppendNack answers a frame whose command spsmg does not know or serve
// with generic_nack, ESME_RINVCMDID, and its sequence_number: SMPP's
// answer to an unknown command_id (§5.1.2), after which the session goes
// on. A frame without a readable header gets nothing.
func (Dialect) AppendNack(dst []byte, v *codec.View) []byte {
	if len(v.Sequence) != 4 {
		return dst
	}
	return AppendGenericNack(dst, codec.Uint32Of(v.Sequence), StatusInvCmdID)
}

// SystemIDOfSpsmg is the system_id spsmg (and the simulated SMSC) answers
// binds with.
const SystemIDOfSpsmg = "spsmg"

func (Dialect) AppendActiveTest(dst []byte, seq []byte) []byte {
	return AppendEnquireLink(dst, codec.Uint32Of(seq))
}

func (Dialect) AppendLogout(dst []byte, seq []byte) []byte {
	return AppendUnbind(dst, codec.Uint32Of(seq))
}

// bindOf is the bind command of a login mode; transceiver for an unknown
// one.
func bindOf(m codec.LoginMode) CommandID {
	switch m {
	case codec.LoginSubmit:
		return CmdBindTransmitter
	case codec.LoginDeliver:
		return CmdBindReceiver
	}
	return CmdBindTransceiver
}

// AppendLogin appends the bind of l.Mode (transmitter, receiver,
// transceiver) with system_id l.Name, the password l.Secret in clear (cut
// at 8 characters), interface_version 0x34, empty system_type and
// address_range, TON and NPI 0.
func (Dialect) AppendLogin(dst []byte, seq []byte, l *codec.Login) []byte {
	start := len(dst)
	p := Bind{ID: bindOf(l.Mode), SystemID: l.Name, Password: l.Secret, InterfaceVersion: InterfaceVersion34}
	dst = appendHeader(dst, p.ID, StatusOK, codec.Uint32Of(seq))
	dst = p.AppendBody(dst)
	return finish(dst, start)
}

// DecodeLogin reads a bind: Name is system_id, Version interface_version,
// Mode the bind's, and the Authenticator the password (NUL-padded; it is
// sent in clear: never log it).
func (Dialect) DecodeLogin(frame []byte) (codec.LoginView, error) {
	_, p, err := Decode(frame)
	if err != nil {
		return codec.LoginView{}, err
	}
	b, ok := p.(*Bind)
	if !ok {
		return codec.LoginView{}, codec.ErrWrongCommand
	}
	l := codec.LoginView{Name: b.SystemID, Version: b.InterfaceVersion}
	switch b.Command() {
	case CmdBindTransmitter:
		l.Mode = codec.LoginSubmit
	case CmdBindReceiver:
		l.Mode = codec.LoginDeliver
	case CmdBindTransceiver:
		l.Mode = codec.LoginBoth
	}
	copy(l.Authenticator[:], b.Password) // at most 8 bytes: Decode checked the C-string
	return l, nil
}

// VerifyLogin compares the password with secret in constant time (over
// the 16-byte field whatever their lengths). A secret longer than 8
// characters, or holding a NUL, never matches: it cannot be sent.
func (Dialect) VerifyLogin(l *codec.LoginView, secret string) bool {
	var want [16]byte
	n := copy(want[:], secret)
	ok := subtle.ConstantTimeCompare(want[:], l.Authenticator[:])
	return ok == 1 && n == len(secret) && len(secret) <= PasswordLen-1 && strings.IndexByte(secret, 0) < 0
}

// loginStatus maps refusals to bind_*_resp command_status: the spec's
// ESME_RINVSYSID and ESME_RINVPASWD for the account and its password,
// ESME_RALYBND for a second bind, ESME_RBINDFAIL for everything else.
var loginStatus = [codec.LoginStatusCount]Status{
	codec.LoginOK:                 StatusOK,
	codec.LoginUnknownAccount:     StatusInvSysID,
	codec.LoginBadCredentials:     StatusInvPaswd,
	codec.LoginBadIP:              StatusBindFail,
	codec.LoginBadVersion:         StatusBindFail,
	codec.LoginTooManyConnections: StatusBindFail,
	codec.LoginLockedOut:          StatusBindFail,
	codec.LoginBadMode:            StatusBindFail,
	codec.LoginRepeated:           StatusAlyBnd,
	codec.LoginStale:              StatusBindFail,
}

// AppendLoginResp answers the bind of l.Mode (a bind_transceiver_resp
// when l is nil) with st, system_id "spsmg" and, when accepted,
// sc_interface_version 0x34 (AppendBindResp).
func (Dialect) AppendLoginResp(dst []byte, seq []byte, l *codec.LoginView, st codec.LoginStatus, _ string) []byte {
	bind := CmdBindTransceiver
	if l != nil {
		bind = bindOf(l.Mode)
	}
	return AppendBindResp(dst, bind, codec.Uint32Of(seq), loginStatus[st], SystemIDOfSpsmg)
}

// DecodeLoginResp reads a bind_*_resp: Status is command_status, Version
// the sc_interface_version TLV (0 when absent).
func (Dialect) DecodeLoginResp(frame []byte) (codec.LoginResp, error) {
	h, p, err := Decode(frame)
	if err != nil {
		return codec.LoginResp{}, err
	}
	r, ok := p.(*BindResp)
	if !ok {
		return codec.LoginResp{}, codec.ErrWrongCommand
	}
	v, _ := r.TLVs.SCInterfaceVersion()
	return codec.LoginResp{Status: uint32(h.CommandStatus), Version: v}, nil
}

// VerifyLoginResp: a bind_*_resp carries no authenticator.
func (Dialect) VerifyLoginResp(*codec.LoginResp, *codec.LoginView, string) bool { return true }

// SetLinkID writes linkID into the LinkIDTag TLV of a deliver_sm: in
// place when the TLV's value has its length, else in a new frame whose TLV
// (replacing the old one, or appended) holds exactly linkID, the
// command_length fixed. Without a LinkIDTag SMPP has no slot and frame is
// returned as it is.
func (d Dialect) SetLinkID(frame []byte, v *codec.View, linkID string) []byte {
	tag := d.Options.LinkIDTag
	if tag == 0 {
		return frame
	}
	linkID = linkID[:min(len(linkID), LinkIDLen)]
	if len(v.LinkIDField) == len(linkID) && len(linkID) > 0 {
		copy(v.LinkIDField, linkID)
		return frame
	}
	out := make([]byte, 0, len(frame)+TLVHeaderLen+len(linkID))
	if f := v.LinkIDField; f != nil {
		// The old TLV: its header is the 4 bytes before its value.
		at := offsetIn(frame, f) - TLVHeaderLen
		out = append(out, frame[:at]...)
		out = append(out, frame[at+TLVHeaderLen+len(f):]...)
	} else {
		out = append(out, frame...)
	}
	out = AppendTLV(out, tag, []byte(linkID))
	codec.PutLength(out)
	return out
}

// offsetIn is the offset of sub inside frame, sub being a sub-slice of it
// (a View field).
func offsetIn(frame, sub []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(frame))))
}
