package cmpp

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/reason"
)

// Dialect is CMPP of one version as a codec.Dialect: everything spsmg, the
// simulators and the tests need to speak it, with protocol-neutral values
// in and out. The zero value is not usable: make one with NewDialect.
type Dialect struct {
	v    Version
	form ReportForm
}

// NewDialect returns the Dialect of version v (V20, V21 or V30).
func NewDialect(v Version) Dialect { return Dialect{v: v} }

// WithReportForm returns d building its status reports in form f (Report60
// or Report71) instead of the version's own: some 3.0 peers read only the
// 60-byte body (gocmpp, zysms; §15).
func (d Dialect) WithReportForm(f ReportForm) Dialect {
	d.form = f
	return d
}

var _ codec.Dialect = Dialect{}

// Protocol maps the version to its config name.
func (d Dialect) Protocol() codec.Protocol {
	switch d.v {
	case V20:
		return codec.CMPP20
	case V21:
		return codec.CMPP21
	case V30:
		return codec.CMPP30
	}
	return codec.ProtocolUnknown
}

func (Dialect) Framer(maxFrameSize int) codec.Framer { return NewFramer(maxFrameSize) }

func (d Dialect) ParseView(frame []byte, v *codec.View) error { return ParseView(frame, d.v, v) }

// Seq: Sequence_Id, 4 bytes after Total_Length and Command_Id (§3).
func (Dialect) Seq() codec.SeqLayout { return codec.SeqLayout{Offset: 8, Len: 4} }

func (d Dialect) Decode(frame []byte) (codec.Decoded, error) {
	h, p, err := Decode(frame, d.v)
	if err != nil {
		return codec.Decoded{}, err
	}
	out := codec.Decoded{Command: h.CommandID.String(), Header: h, Body: p}
	switch x := p.(type) {
	case *Submit:
		out.Message = message(x.MsgFmt, x.TPUDHI, x.MsgContent)
	case *Deliver:
		if !x.IsReport() {
			out.Message = message(x.MsgFmt, x.TPUDHI, x.MsgContent)
		}
	}
	return out, nil
}

func message(coding, tpUDHI uint8, content []byte) *codec.Message {
	return &codec.Message{Coding: coding, CodingName: text.Name(coding), Alphabet: text.AlphabetOf(coding),
		UDHI: udh.Flag(tpUDHI), Content: content}
}

// DecodeReportBody reads the 60- or 71-byte report struct of a report
// Deliver's Msg_Content (§9.3).
func (Dialect) DecodeReportBody(body []byte) (any, error) {
	r, err := DecodeReport(body)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (Dialect) CommandOf(k codec.Kind) (uint32, bool) {
	for _, id := range [...]CommandID{CmdConnect, CmdConnectResp, CmdTerminate, CmdTerminateResp, CmdSubmit,
		CmdSubmitResp, CmdDeliver, CmdDeliverResp, CmdActiveTest, CmdActiveTestResp} {
		if KindOf(id) == k {
			return uint32(id), true
		}
	}
	return 0, false
}

func (d Dialect) Version() uint8 { return uint8(d.v) }

// AcceptsVersion: frames are forwarded without translation, and the 2.x and
// 3.0 layouts differ (§4): a 3.0 account takes 0x30, a 2.x one 0x20 or 0x21.
func (d Dialect) AcceptsVersion(v uint8) bool {
	if d.v.Is30() {
		return v == uint8(V30)
	}
	return v == uint8(V20) || v == uint8(V21)
}

// AcceptsLoginMode: CMPP has no login mode; every connection carries both
// directions.
func (Dialect) AcceptsLoginMode(codec.LoginMode) bool { return true }

func (Dialect) SplitConnections() bool { return false }

// UserNumber: numbers travel as they are.
func (Dialect) UserNumber(n string) string { return n }
func (Dialect) HasActiveTest() bool        { return true }
func (Dialect) SubmitIDIsSeq() bool        { return false }

// ResendTimeout: T = 60 s (§2).
func (Dialect) ResendTimeout() time.Duration { return 60 * time.Second }

// LinkIDWidth: the 3.0 LinkID (20) or the 2.x Reserve (8).
func (d Dialect) LinkIDWidth() int { return d.v.Family().LinkIDLen() }

func (Dialect) LoginField() (string, int) { return "CMPP Source_Addr", 6 }

// SecretField: any length (an MD5 digest of it travels).
func (Dialect) SecretField() (string, int) { return "", 0 }

// AppendNack: an unknown command closes the connection; nothing to send.
func (Dialect) AppendNack(dst []byte, _ *codec.View) []byte { return dst }

// MaxResult: Result is 1 byte in 2.x, 4 bytes in 3.0.
func (d Dialect) MaxResult() uint32 {
	if d.v.Is30() {
		return 1<<32 - 1
	}
	return 255
}

// defaultResults mirror the SGIP 1.3 authentication-centre codes inside
// CMPP's vendor range 100–199 (§12.2), with 8 (flow control) for the
// retryable refusals and the protocol's own codes for malformed Submits.
// Every code fits 2.x's 1-byte Result.
var defaultResults = codec.ResultTable{
	reason.NotSubscribed:       106,
	reason.LinkIDUnknown:       107,
	reason.LinkIDExpired:       107,
	reason.LinkIDWrongUser:     107,
	reason.LinkIDWrongSP:       107,
	reason.LinkIDWrongService:  107,
	reason.NoticeUnmatched:     107,
	reason.LinkIDUsedUp:        112,
	reason.NoRecipients:        uint32(ResultBadDestTerminalID),
	reason.BadRecipient:        uint32(ResultBadDestTerminalID),
	reason.StoreUnavailable:    111,
	reason.SubscriptionPaused:  108,
	reason.FlowControl:         uint32(ResultFlowControl),
	reason.WindowFull:          uint32(ResultFlowControl),
	reason.UpstreamUnavailable: uint32(ResultFlowControl),
	reason.UpstreamTimeout:     uint32(ResultFlowControl),
	reason.ServiceNotAllowed:   uint32(ResultBadServiceID),
	reason.SPNumberNotAllowed:  uint32(ResultBadSrcID),
	reason.Malformed:           uint32(ResultBadStructure),
	reason.TooManyRecipients:   uint32(ResultBadDestTerminalID),
	reason.AccountSuspended:    125,
}

func (Dialect) DefaultResults() codec.ResultTable { return defaultResults }

func (Dialect) NotServedResult() uint32 { return uint32(ResultBadCommand) }

func (Dialect) ResultText(code uint32) string      { return Result(code).String() }
func (Dialect) LoginResultText(code uint32) string { return ConnectStatus(code).String() }

func (Dialect) PutSeq(dst []byte, _, _, counter uint32) { binary.BigEndian.PutUint32(dst, counter) }

func (d Dialect) AppendResp(dst []byte, v *codec.View, result uint32) []byte {
	seq := codec.Uint32Of(v.Sequence)
	switch CommandID(v.Command) {
	case CmdSubmit:
		return AppendSubmitResp(dst, d.v, seq, 0, Result(result))
	case CmdDeliver:
		return AppendDeliverResp(dst, d.v, seq, codec.Uint64Of(v.MsgID), Result(result))
	case CmdActiveTest:
		return AppendActiveTestResp(dst, seq)
	case CmdTerminate:
		return AppendTerminateResp(dst, seq)
	case CmdCancel:
		// Success_Id 1 = failed: the message cannot be cancelled here.
		return Append(dst, d.v, seq, &CancelResp{SuccessID: 1})
	case CmdQuery:
		return Append(dst, d.v, seq, &QueryResp{})
	}
	// CMPP has no generic negative response: a command without a response
	// of its own gets nothing.
	return dst
}

func (d Dialect) AppendSubmitResp(dst []byte, seq []byte, msgID []byte, result uint32) []byte {
	return AppendSubmitResp(dst, d.v, codec.Uint32Of(seq), codec.Uint64Of(msgID), Result(result))
}

func (Dialect) AppendActiveTest(dst []byte, seq []byte) []byte {
	return AppendActiveTest(dst, codec.Uint32Of(seq))
}

func (d Dialect) AppendLogout(dst []byte, seq []byte) []byte {
	return Append(dst, d.v, codec.Uint32Of(seq), &Terminate{})
}

func (d Dialect) AppendLogin(dst []byte, seq []byte, l *codec.Login) []byte {
	return Append(dst, d.v, codec.Uint32Of(seq), NewConnect(l.Name, l.Secret, d.v, codec.Timestamp(l.Time)))
}

func (d Dialect) DecodeLogin(frame []byte) (codec.LoginView, error) {
	_, p, err := Decode(frame, d.v)
	if err != nil {
		return codec.LoginView{}, err
	}
	c, ok := p.(*Connect)
	if !ok {
		return codec.LoginView{}, codec.ErrWrongCommand
	}
	l := codec.LoginView{Name: c.SourceAddr, Version: uint8(c.Version), Mode: codec.LoginBoth, Timestamp: c.Timestamp}
	copy(l.Authenticator[:], c.AuthenticatorSource)
	return l, nil
}

func (Dialect) VerifyLogin(l *codec.LoginView, secret string) bool {
	return VerifyAuthenticatorSource(&Connect{SourceAddr: l.Name, AuthenticatorSource: l.Authenticator[:], Timestamp: l.Timestamp}, secret)
}

// loginStatus maps refusals to Connect_Resp Status (§5): 2 for an unknown
// SP_Id or a source IP outside the white-list, 3 for a bad authenticator,
// 4 for a version the account is not configured for, 5 "other" for limits
// and lock-outs.
var loginStatus = [codec.LoginStatusCount]ConnectStatus{
	codec.LoginOK:                 ConnectOK,
	codec.LoginUnknownAccount:     ConnectBadSourceAddr,
	codec.LoginBadCredentials:     ConnectAuthFailed,
	codec.LoginBadIP:              ConnectBadSourceAddr,
	codec.LoginBadVersion:         ConnectVersionTooHigh,
	codec.LoginTooManyConnections: ConnectOther,
	codec.LoginLockedOut:          ConnectOther,
	codec.LoginBadMode:            ConnectOther,
	codec.LoginRepeated:           ConnectOther,
	codec.LoginStale:              ConnectAuthFailed,
}

// AppendLoginResp answers in the server's own layout and version (§4).
func (d Dialect) AppendLoginResp(dst []byte, seq []byte, l *codec.LoginView, st codec.LoginStatus, secret string) []byte {
	c := &Connect{}
	if l != nil {
		c.AuthenticatorSource = l.Authenticator[:]
	}
	return Append(dst, d.v, codec.Uint32Of(seq), NewConnectResp(c, loginStatus[st], secret, d.v))
}

func (d Dialect) DecodeLoginResp(frame []byte) (codec.LoginResp, error) {
	_, p, err := Decode(frame, d.v)
	if err != nil {
		return codec.LoginResp{}, err
	}
	r, ok := p.(*ConnectResp)
	if !ok {
		return codec.LoginResp{}, codec.ErrWrongCommand
	}
	return codec.LoginResp{Status: uint32(r.Status), Version: uint8(r.Version), Authenticator: r.AuthenticatorISMG}, nil
}

// VerifyLoginResp accepts AuthenticatorISMG with Status hashed in either
// layout's width: the server chooses the layout from the account's
// configuration, and a 3.0 server may answer a 2.x client (§4, §15).
func (Dialect) VerifyLoginResp(r *codec.LoginResp, l *codec.LoginView, secret string) bool {
	if r.Status != uint32(ConnectOK) {
		return true // the authenticator is all zeros after a refusal
	}
	a2 := AuthenticatorISMG(r.Status, V21, l.Authenticator, secret)
	a3 := AuthenticatorISMG(r.Status, V30, l.Authenticator, secret)
	return string(r.Authenticator) == string(a2[:]) || string(r.Authenticator) == string(a3[:])
}

var feeTypes = [...]string{
	codec.FeeFree:       "01",
	codec.FeePerMessage: "02",
	codec.FeeMonthly:    "03",
	codec.FeeCapped:     "04",
	codec.FeeBySP:       "05",
}

var feeUserTypes = [...]uint8{codec.PayerRecipient: 0, codec.PayerSP: 2, codec.PayerNumber: 3}

// fen renders a fee as the 6 digits FeeCode holds.
func fen(v uint32) string {
	s := strconv.FormatUint(uint64(v), 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (d Dialect) AppendSubmit(dst []byte, seq []byte, s *codec.Submit) []byte {
	p := Submit{
		PkTotal: max(s.PkTotal, 1), PkNumber: max(s.PkNumber, 1), RegisteredDelivery: flag(s.NeedReport),
		MsgLevel: s.Priority, ServiceID: s.ServiceCode, TPUDHI: flag(s.UDHI), MsgFmt: s.Coding, MsgSrc: s.CorpID,
		FeeCode: fen(s.Fee.Code), ValIDTime: s.ValidTime, AtTime: s.AtTime, SrcID: s.SPNumber,
		DestTerminalID: s.Dests, MsgContent: s.Content, LinkID: s.LinkID,
	}
	if int(s.Fee.Type) < len(feeTypes) {
		p.FeeType = feeTypes[s.Fee.Type]
	}
	if int(s.Fee.Payer) < len(feeUserTypes) {
		p.FeeUserType = feeUserTypes[s.Fee.Payer]
	}
	if s.Fee.Payer == codec.PayerNumber {
		p.FeeTerminalID = s.Fee.ChargeNumber
	}
	start := len(dst)
	dst = AppendHeader(dst, Header{CommandID: CmdSubmit, SequenceID: codec.Uint32Of(seq)})
	dst = p.AppendBody(dst, d.v)
	codec.PutLength(dst[start:])
	return dst
}

func (d Dialect) AppendDeliver(dst []byte, seq []byte, m *codec.Deliver) []byte {
	p := Deliver{
		MsgID: codec.Uint64Of(m.MsgID), DestID: m.SPNumber, ServiceID: m.ServiceCode, TPUDHI: flag(m.UDHI),
		MsgFmt: m.Coding, SrcTerminalID: m.User, MsgContent: m.Content, LinkID: m.LinkID,
	}
	return d.appendDeliver(dst, codec.Uint32Of(seq), &p)
}

// appendDeliver appends p without passing it as a PDU interface, so that a
// Deliver built on the caller's stack stays there.
func (d Dialect) appendDeliver(dst []byte, seq uint32, p *Deliver) []byte {
	start := len(dst)
	dst = AppendHeader(dst, Header{CommandID: CmdDeliver, SequenceID: seq})
	dst = p.AppendBody(dst, d.v)
	codec.PutLength(dst[start:])
	return dst
}

// AppendReport appends a Deliver with Registered_Delivery 1 whose
// Msg_Content is the report struct (§9.3): Msg_Id the reported MT's id,
// Dest_terminal_Id its recipient, SMSC_sequence the low 32 bits of the
// carrying Deliver's id.
func (d Dialect) AppendReport(dst []byte, seq []byte, r *codec.Report) []byte {
	msgID := codec.Uint64Of(r.MsgID)
	rep := Report{MsgID: codec.Uint64Of(r.SubmitID), Stat: r.Stat, SubmitTime: r.SubmitTime, DoneTime: r.DoneTime,
		DestTerminalID: r.User, SMSCSequence: uint32(msgID), Form: d.form}
	var body [Report71]byte
	p := Deliver{MsgID: msgID, DestID: r.SPNumber, ServiceID: r.ServiceCode, SrcTerminalID: r.User,
		RegisteredDelivery: 1, MsgContent: rep.Append(body[:0], d.v)}
	return d.appendDeliver(dst, codec.Uint32Of(seq), &p)
}

func (d Dialect) DecodeDelivery(frame []byte, out *codec.Delivery) error {
	_, p, err := Decode(frame, d.v)
	if err != nil {
		return err
	}
	dl, ok := p.(*Deliver)
	if !ok {
		return codec.ErrWrongCommand
	}
	id := binary.BigEndian.AppendUint64(nil, dl.MsgID)
	if dl.IsReport() {
		*out = codec.Delivery{Kind: codec.KindReport, Report: codec.Report{MsgID: id, User: dl.SrcTerminalID,
			SPNumber: dl.DestID, ServiceCode: dl.ServiceID}}
		if rep := dl.Report; rep != nil {
			r := &out.Report
			r.SubmitID = binary.BigEndian.AppendUint64(nil, rep.MsgID)
			r.Stat, r.SubmitTime, r.DoneTime = rep.Stat, rep.SubmitTime, rep.DoneTime
			if rep.DestTerminalID != "" {
				r.User = rep.DestTerminalID
			}
		}
		return nil
	}
	*out = codec.Delivery{Kind: codec.KindDeliver, Deliver: codec.Deliver{MsgID: id, User: dl.SrcTerminalID,
		SPNumber: dl.DestID, ServiceCode: dl.ServiceID, LinkID: dl.LinkID, Coding: dl.MsgFmt,
		Content: dl.MsgContent, UDHI: udh.Flag(dl.TPUDHI)}}
	return nil
}

// SetLinkID writes into the fixed LinkID (3.0) / Reserve (2.x) slot.
func (Dialect) SetLinkID(frame []byte, v *codec.View, linkID string) []byte {
	codec.PutSlot(v.LinkIDField, linkID)
	return frame
}

// AppendMsgIDAt: the Submit_Resp Msg_Id covers Msg_Id … Msg_Id+N−1, one per
// recipient (§8).
func (Dialect) AppendMsgIDAt(dst []byte, msgID []byte, i int) []byte {
	return binary.BigEndian.AppendUint64(dst, MsgIDAdd(codec.Uint64Of(msgID), i))
}

// MsgIDs makes Msg_Ids in the layout of §11: time | gateway<<16 | counter.
func (Dialect) MsgIDs(gateway string) codec.MsgIDMaker {
	n, _ := strconv.ParseUint(gateway, 10, 32)
	return &msgIDs{gwBits: n << 16}
}

// gatewayMask covers the gateway and sequence parts of a Msg_Id (bits
// 37–0, §11).
const gatewayMask = 1<<38 - 1

type msgIDs struct{ timeBits, gwBits uint64 }

// Stamp renders t as the month…second bits of a Msg_Id (§11).
func (m *msgIDs) Stamp(t time.Time) {
	_, mon, day := t.Date()
	h, mi, s := t.Clock()
	m.timeBits = uint64(mon)<<60 | uint64(day)<<55 | uint64(h)<<50 | uint64(mi)<<44 | uint64(s)<<38
}

// Append: the counter's low 16 bits are the spec's sequence; above 65,536
// ids it carries into the gateway part, as MsgIDAdd does, so ids stay
// unique at benchmark rates (a real ISMG never goes that fast).
func (m *msgIDs) Append(dst []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, m.timeBits|(m.gwBits+n)&gatewayMask)
}
