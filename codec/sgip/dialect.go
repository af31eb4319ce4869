package sgip

import (
	"strconv"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/reason"
)

// Dialect is SGIP 1.2 as a codec.Dialect: 12-byte sequences, one direction
// per connection, no active test, and the Submit's sequence as the
// message identity that reports quote. The zero value is ready to use.
type Dialect struct{}

var _ codec.Dialect = Dialect{}

func (Dialect) Protocol() codec.Protocol                    { return codec.SGIP }
func (Dialect) Framer(maxFrameSize int) codec.Framer        { return NewFramer(maxFrameSize) }
func (Dialect) ParseView(frame []byte, v *codec.View) error { return ParseView(frame, v) }

// Seq: the 12-byte Sequence Number (node id, time, counter) after Message
// Length and Command ID (§3).
func (Dialect) Seq() codec.SeqLayout { return codec.SeqLayout{Offset: 8, Len: SequenceLen} }

// SGIP carries the LinkID in the 8-byte Reserve, a field the protocol
// leaves opaque, so the codec prints it as hex. Decode adds it as text when
// it reads as one, as CMPP 2.x's Reserve LinkID prints.
type (
	submitJSON struct {
		*Submit
		LinkID string `json:"LinkID,omitempty"`
	}
	deliverJSON struct {
		*Deliver
		LinkID string `json:"LinkID,omitempty"`
	}
)

// printableLinkID returns reserve cut at its NUL padding when that is
// printable ASCII, and "" otherwise (the hex Reserve then says it all).
func printableLinkID(reserve []byte) string {
	id := codec.TrimNUL(reserve)
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(id)
}

func (Dialect) Decode(frame []byte) (codec.Decoded, error) {
	h, p, err := Decode(frame)
	if err != nil {
		return codec.Decoded{}, err
	}
	out := codec.Decoded{Command: h.Command.String(), Header: h, Body: p}
	switch x := p.(type) {
	case *Submit:
		out.Body = submitJSON{x, printableLinkID(x.Reserve)}
		out.Message = message(x.MessageCoding, x.TPUDHI, x.MessageContent)
	case *Deliver:
		out.Body = deliverJSON{x, printableLinkID(x.Reserve)}
		out.Message = message(x.MessageCoding, x.TPUDHI, x.MessageContent)
	}
	return out, nil
}

func message(coding, tpUDHI uint8, content []byte) *codec.Message {
	return &codec.Message{Coding: coding, CodingName: text.Name(coding), Alphabet: text.AlphabetOf(coding),
		UDHI: udh.Flag(tpUDHI), Content: content}
}

// DecodeReportBody: an SGIP status report is a command of its own (Report,
// 0x5): decode the frame.
func (Dialect) DecodeReportBody([]byte) (any, error) { return nil, codec.ErrNoReportBody }

func (Dialect) CommandOf(k codec.Kind) (uint32, bool) {
	for _, id := range [...]CommandID{CmdBind, CmdBindResp, CmdUnbind, CmdUnbindResp, CmdSubmit, CmdSubmitResp,
		CmdDeliver, CmdDeliverResp, CmdReport, CmdReportResp, CmdUserRpt, CmdUserRptResp} {
		if KindOf(id) == k {
			return uint32(id), true
		}
	}
	return 0, false
}

// Version: SGIP's Bind carries no version.
func (Dialect) Version() uint8 { return 0 }

func (Dialect) AcceptsVersion(uint8) bool { return true }

// AcceptsLoginMode: an SP binds with Login Type 1 (SP→SMG) to spsmg's SP
// listener; MO and reports go to the SP's own listener (§2).
func (Dialect) AcceptsLoginMode(m codec.LoginMode) bool { return m == codec.LoginSubmit }

// SplitConnections: each connection carries one direction, dialled by its
// sender (§2).
func (Dialect) SplitConnections() bool { return true }

// HasActiveTest: SGIP has no keep-alive; an idle connection is closed
// (§2).
func (Dialect) HasActiveTest() bool { return false }

// ResendTimeout: 30 s (§2).
func (Dialect) ResendTimeout() time.Duration { return 30 * time.Second }

// SubmitIDIsSeq: a Report names its Submit by SubmitSequenceNumber, the
// Submit's header sequence (§3).
func (Dialect) SubmitIDIsSeq() bool { return true }

// LinkIDWidth: the 8-byte Reserve (§8).
func (Dialect) LinkIDWidth() int { return LinkIDLen }

func (Dialect) LoginField() (string, int) { return "SGIP Login Name", LoginNameLen }

// SecretField: any length (both sides cut it at 16).
func (Dialect) SecretField() (string, int) { return "", 0 }

// AppendNack: an unknown command closes the connection; nothing to send.
func (Dialect) AppendNack(dst []byte, _ *codec.View) []byte { return dst }

// MaxResult: every result field is 1 byte (§6).
func (Dialect) MaxResult() uint32 { return 255 }

// defaultResults are the SGIP 1.3 authentication-centre (SPMS) codes
// 100–125 for the authorization refusals, 1.3's 38 for a LinkID used up
// and 33 for flow control, 11 "node busy" for the other retryable ones,
// and the 1.2 codes for malformed Submits (§6).
var defaultResults = codec.ResultTable{
	reason.NotSubscribed:       uint32(AuthNotSubscribed),
	reason.LinkIDUnknown:       uint32(AuthLinkIDMismatch),
	reason.LinkIDExpired:       uint32(AuthLinkIDMismatch),
	reason.LinkIDWrongUser:     uint32(AuthLinkIDMismatch),
	reason.LinkIDWrongSP:       uint32(AuthLinkIDMismatch),
	reason.LinkIDWrongService:  uint32(AuthLinkIDMismatch),
	reason.NoticeUnmatched:     uint32(AuthLinkIDMismatch),
	reason.LinkIDUsedUp:        uint32(TooManyMTsPerLinkID13),
	reason.NoRecipients:        uint32(BadParameter),
	reason.BadRecipient:        uint32(IllegalMobile),
	reason.StoreUnavailable:    uint32(AuthTimeout),
	reason.SubscriptionPaused:  uint32(AuthUserSuspended),
	reason.FlowControl:         uint32(FlowControl13),
	reason.WindowFull:          uint32(NodeBusy),
	reason.UpstreamUnavailable: uint32(NodeBusy),
	reason.UpstreamTimeout:     uint32(NodeBusy),
	reason.ServiceNotAllowed:   uint32(AuthServiceUnassigned),
	reason.SPNumberNotAllowed:  uint32(AuthBadSPNumber),
	reason.Malformed:           uint32(BadParameter),
	reason.TooManyRecipients:   uint32(BadParameter),
	reason.AccountSuspended:    125,
}

func (Dialect) DefaultResults() codec.ResultTable { return defaultResults }

func (Dialect) NotServedResult() uint32 { return uint32(NotProvided) }

func (Dialect) ResultText(code uint32) string {
	if code > 255 {
		return "result " + strconv.FormatUint(uint64(code), 10)
	}
	return Result(code).String()
}

func (d Dialect) LoginResultText(code uint32) string { return d.ResultText(code) }

func (Dialect) PutSeq(dst []byte, node, mmddhhmmss, counter uint32) {
	PutSequence(dst, Sequence{Node: node, Time: mmddhhmmss, Counter: counter})
}

func seqOf(b []byte) Sequence {
	if len(b) < SequenceLen {
		return Sequence{}
	}
	return DecodeSequence(b)
}

// AppendResp: every SGIP request is answered with the generic Result +
// Reserve body (Unbind with an empty one), carrying the request's sequence.
func (Dialect) AppendResp(dst []byte, v *codec.View, result uint32) []byte {
	return AppendResp(dst, CommandID(v.Command), seqOf(v.Sequence), uint8(result))
}

// AppendSubmitResp: Submit_Resp carries no id; the Submit's sequence is the
// message's identity.
func (Dialect) AppendSubmitResp(dst []byte, seq []byte, _ []byte, result uint32) []byte {
	return AppendResp(dst, CmdSubmit, seqOf(seq), uint8(result))
}

func (Dialect) AppendActiveTest(dst []byte, _ []byte) []byte { return dst }

func (Dialect) AppendLogout(dst []byte, seq []byte) []byte {
	return Append(dst, seqOf(seq), &Unbind{})
}

// AppendLogin: Login Type 2 (SMG→SP) for a connection that carries
// deliveries, else 1 (SP→SMG).
func (Dialect) AppendLogin(dst []byte, seq []byte, l *codec.Login) []byte {
	t := LoginSPToSMG
	if l.Mode == codec.LoginDeliver {
		t = LoginSMGToSP
	}
	return Append(dst, seqOf(seq), &Bind{LoginType: t, LoginName: l.Name, LoginPassword: l.Secret})
}

func (Dialect) DecodeLogin(frame []byte) (codec.LoginView, error) {
	_, p, err := Decode(frame)
	if err != nil {
		return codec.LoginView{}, err
	}
	b, ok := p.(*Bind)
	if !ok {
		return codec.LoginView{}, codec.ErrWrongCommand
	}
	l := codec.LoginView{Name: b.LoginName}
	switch b.LoginType {
	case LoginSPToSMG:
		l.Mode = codec.LoginSubmit
	case LoginSMGToSP:
		l.Mode = codec.LoginDeliver
	}
	copy(l.Authenticator[:], b.LoginPassword)
	return l, nil
}

// VerifyLogin compares the clear-text password, constant-time.
func (Dialect) VerifyLogin(l *codec.LoginView, secret string) bool {
	b := Bind{LoginName: l.Name, LoginPassword: string(codec.TrimNUL(l.Authenticator[:]))}
	return b.Verify(l.Name, secret)
}

// loginResult maps refusals to Bind_Resp results (§6).
var loginResult = [codec.LoginStatusCount]Result{
	codec.LoginOK:                 OK,
	codec.LoginUnknownAccount:     IllegalLogin,
	codec.LoginBadCredentials:     IllegalLogin,
	codec.LoginBadIP:              IllegalLogin,
	codec.LoginBadVersion:         IllegalLogin,
	codec.LoginTooManyConnections: TooManyConnections,
	codec.LoginLockedOut:          LoginTooFrequent13,
	codec.LoginBadMode:            WrongLoginType,
	codec.LoginRepeated:           RepeatedLogin,
	codec.LoginStale:              IllegalLogin,
}

func (Dialect) AppendLoginResp(dst []byte, seq []byte, _ *codec.LoginView, st codec.LoginStatus, _ string) []byte {
	return AppendResp(dst, CmdBind, seqOf(seq), uint8(loginResult[st]))
}

func (Dialect) DecodeLoginResp(frame []byte) (codec.LoginResp, error) {
	_, p, err := Decode(frame)
	if err != nil {
		return codec.LoginResp{}, err
	}
	r, ok := p.(*Resp)
	if !ok || r.ID != CmdBindResp {
		return codec.LoginResp{}, codec.ErrWrongCommand
	}
	return codec.LoginResp{Status: uint32(r.Result)}, nil
}

// VerifyLoginResp: Bind_Resp carries no authenticator.
func (Dialect) VerifyLoginResp(*codec.LoginResp, *codec.LoginView, string) bool { return true }

// UserNumber puts the 86 country prefix SGIP numbers carry on an 11-digit
// mobile number (§1).
func (Dialect) UserNumber(n string) string {
	if len(n) == 11 && n[0] == '1' {
		return "86" + n
	}
	return n
}

var feeTypes = [...]uint8{
	codec.FeeFree:       FeeTypeFree,
	codec.FeePerMessage: FeeTypeMessage,
	codec.FeeMonthly:    FeeTypeMonthly,
	codec.FeeCapped:     FeeTypeMessage, // no capped fee in SGIP
	codec.FeeBySP:       FeeTypeSP,
}

func oneIf(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (Dialect) AppendSubmit(dst []byte, seq []byte, s *codec.Submit) []byte {
	p := Submit{
		SPNumber: s.SPNumber, UserNumber: s.Dests, CorpID: s.CorpID, ServiceType: s.ServiceCode,
		FeeValue: strconv.FormatUint(uint64(s.Fee.Code), 10), GivenValue: "0", MorelatetoMTFlag: MTNotCausedByMO,
		Priority: s.Priority, ExpireTime: s.ValidTime, ScheduleTime: s.AtTime, ReportFlag: ReportFlagNone,
		TPUDHI: oneIf(s.UDHI), MessageCoding: s.Coding, MessageContent: s.Content,
	}
	if int(s.Fee.Type) < len(feeTypes) {
		p.FeeType = feeTypes[s.Fee.Type]
	}
	switch s.Fee.Payer {
	case codec.PayerSP:
		p.ChargeNumber = ChargeSP
	case codec.PayerNumber:
		p.ChargeNumber = s.Fee.ChargeNumber
	}
	if s.NeedReport {
		p.ReportFlag = ReportFlagAlways
	}
	var reserve [LinkIDLen]byte
	if s.LinkID != "" {
		p.MorelatetoMTFlag = MTFirstOnDemand
		copy(reserve[:], s.LinkID)
		p.Reserve = reserve[:]
	}
	return appendPDU(dst, seqOf(seq), CmdSubmit, p.AppendBody)
}

// appendPDU appends a frame whose body body appends, without passing the
// PDU as an interface (a PDU built on the caller's stack stays there).
func appendPDU(dst []byte, seq Sequence, cmd CommandID, body func([]byte) []byte) []byte {
	start := len(dst)
	dst = codec.AppendUint32(dst, 0)
	dst = codec.AppendUint32(dst, uint32(cmd))
	dst = AppendSequence(dst, seq)
	dst = body(dst)
	codec.PutLength(dst[start:])
	return dst
}

func (Dialect) AppendDeliver(dst []byte, seq []byte, m *codec.Deliver) []byte {
	var reserve [LinkIDLen]byte
	copy(reserve[:], m.LinkID)
	p := Deliver{UserNumber: m.User, SPNumber: m.SPNumber, TPUDHI: oneIf(m.UDHI), MessageCoding: m.Coding,
		MessageContent: m.Content, Reserve: reserve[:]}
	return appendPDU(dst, seqOf(seq), CmdDeliver, p.AppendBody)
}

// reportState maps a CMPP/SMGP-style Stat to SGIP State and ErrorCode
// (§4 Report: 0 delivered; 1 ENROUTE, ACCEPTED; 2 the final failures).
func reportState(stat string) (uint8, Result) {
	switch stat {
	case "DELIVRD":
		return StateDelivered, OK
	case "ACCEPTD", "ENROUTE":
		return StateWaiting, OK
	}
	return StateFailed, UnknownUser
}

// reportStat names a State in the CMPP/SMGP Stat vocabulary.
func reportStat(state uint8) string {
	switch state {
	case StateDelivered:
		return "DELIVRD"
	case StateWaiting:
		return "ACCEPTD"
	}
	return "UNDELIV"
}

// AppendReport appends a Report on a Submit (ReportType 0) quoting its
// sequence, r.SubmitID.
func (Dialect) AppendReport(dst []byte, seq []byte, r *codec.Report) []byte {
	state, code := reportState(r.Stat)
	p := Report{SubmitSequenceNumber: seqOf(r.SubmitID), ReportType: ReportTypeSubmit, UserNumber: r.User,
		State: state, ErrorCode: code}
	return appendPDU(dst, seqOf(seq), CmdReport, p.AppendBody)
}

func (Dialect) DecodeDelivery(frame []byte, out *codec.Delivery) error {
	_, p, err := Decode(frame)
	if err != nil {
		return err
	}
	switch p := p.(type) {
	case *Deliver:
		*out = codec.Delivery{Kind: codec.KindDeliver, Deliver: codec.Deliver{User: p.UserNumber, SPNumber: p.SPNumber,
			LinkID: p.LinkID(), Coding: p.MessageCoding, Content: p.MessageContent, UDHI: udh.Flag(p.TPUDHI)}}
	case *Report:
		*out = codec.Delivery{Kind: codec.KindReport, Report: codec.Report{
			SubmitID: AppendSequence(nil, p.SubmitSequenceNumber), User: p.UserNumber, Stat: reportStat(p.State),
			State: p.State, ErrorCode: uint8(p.ErrorCode)}}
	case *UserRpt:
		*out = codec.Delivery{Kind: codec.KindUserRpt, Deliver: codec.Deliver{User: p.UserNumber, SPNumber: p.SPNumber},
			UserCondition: p.UserCondition}
	default:
		return codec.ErrWrongCommand
	}
	return nil
}

// SetLinkID writes into the 8-byte Reserve (§8).
func (Dialect) SetLinkID(frame []byte, v *codec.View, linkID string) []byte {
	codec.PutSlot(v.LinkIDField, linkID)
	return frame
}

// AppendMsgIDAt: a Submit's reports quote its sequence, one for every
// recipient.
func (Dialect) AppendMsgIDAt(dst []byte, msgID []byte, _ int) []byte { return append(dst, msgID...) }

// MsgIDs: SGIP has no message ids.
func (Dialect) MsgIDs(string) codec.MsgIDMaker { return nil }
