package smgp

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/reason"
)

// Dialect is SMGP of one Submit layout as a codec.Dialect: everything
// spsmg, the simulators and the tests need to speak it, with
// protocol-neutral values in and out. LinkIDs travel in TLV 0x0003, message
// ids are 10 BCD bytes.
type Dialect struct{ v Version }

// NewDialect returns the Dialect of version v (V30 or V13).
func NewDialect(v Version) Dialect { return Dialect{v: v} }

var _ codec.Dialect = Dialect{}

func (d Dialect) Protocol() codec.Protocol {
	switch d.v {
	case V30:
		return codec.SMGP30
	case V13:
		return codec.SMGP13
	}
	return codec.ProtocolUnknown
}

func (Dialect) Framer(maxFrameSize int) codec.Framer { return NewFramer(maxFrameSize) }

func (d Dialect) ParseView(frame []byte, v *codec.View) error { return ParseView(frame, d.v, v) }

// Seq: SequenceID, 4 bytes after PacketLength and RequestID (§1).
func (Dialect) Seq() codec.SeqLayout { return codec.SeqLayout{Offset: 8, Len: 4} }

func (d Dialect) Decode(frame []byte) (codec.Decoded, error) {
	h, p, err := Decode(frame, d.v)
	if err != nil {
		return codec.Decoded{}, err
	}
	out := codec.Decoded{Command: h.RequestID.String(), Header: h, Body: p}
	switch x := p.(type) {
	case *Submit:
		out.Message = message(x.MsgFormat, x.TPUDHI(), x.MsgContent)
	case *Deliver:
		if x.IsReport != 1 {
			out.Message = message(x.MsgFormat, x.TPUDHI(), x.MsgContent)
		}
	}
	return out, nil
}

func message(coding, tpUDHI uint8, content []byte) *codec.Message {
	return &codec.Message{Coding: coding, CodingName: text.Name(coding), Alphabet: text.AlphabetOf(coding),
		UDHI: udh.Flag(tpUDHI), Content: content}
}

// DecodeReportBody reads a report text (§9) by its labels.
func (Dialect) DecodeReportBody(body []byte) (any, error) {
	r, err := ParseReport(body)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (Dialect) CommandOf(k codec.Kind) (uint32, bool) {
	for _, id := range [...]CommandID{CmdLogin, CmdLoginResp, CmdExit, CmdExitResp, CmdSubmit, CmdSubmitResp,
		CmdDeliver, CmdDeliverResp, CmdActiveTest, CmdActiveTestResp} {
		if KindOf(id) == k {
			return uint32(id), true
		}
	}
	return 0, false
}

func (d Dialect) Version() uint8 { return uint8(d.v) }

// AcceptsVersion: the version selects the Submit layout (§13), so the
// client must speak exactly the account's.
func (d Dialect) AcceptsVersion(v uint8) bool { return v == uint8(d.v) }

// AcceptsLoginMode: any of LoginMode 0 (send), 1 (receive), 2 (transmit).
func (Dialect) AcceptsLoginMode(m codec.LoginMode) bool { return m != codec.LoginModeUnknown }

func (Dialect) SplitConnections() bool { return false }

// UserNumber: numbers travel as they are.
func (Dialect) UserNumber(n string) string { return n }
func (Dialect) HasActiveTest() bool        { return true }
func (Dialect) SubmitIDIsSeq() bool        { return false }

// ResendTimeout: T = 60 s (§1).
func (Dialect) ResendTimeout() time.Duration { return 60 * time.Second }
func (Dialect) LinkIDWidth() int             { return LinkIDLen }

func (Dialect) LoginField() (string, int) { return "SMGP ClientID", ClientIDLen }

// SecretField: any length (an MD5 digest of it travels).
func (Dialect) SecretField() (string, int) { return "", 0 }

// AppendNack: an unknown command closes the connection; nothing to send.
func (Dialect) AppendNack(dst []byte, _ *codec.View) []byte { return dst }

func (Dialect) MaxResult() uint32 { return 1<<32 - 1 }

// defaultResults use SMGP's vendor range 128–255 (§11) for the
// authorization refusals, 1 "system busy" for the retryable ones, and the
// protocol's own codes for malformed Submits.
var defaultResults = codec.ResultTable{
	reason.NotSubscribed:       130,
	reason.LinkIDUnknown:       131,
	reason.LinkIDExpired:       131,
	reason.LinkIDWrongUser:     131,
	reason.LinkIDWrongSP:       131,
	reason.LinkIDWrongService:  131,
	reason.NoticeUnmatched:     131,
	reason.LinkIDUsedUp:        132,
	reason.NoRecipients:        uint32(StatusIllegalDestTermID),
	reason.BadRecipient:        uint32(StatusIllegalDestTermID),
	reason.StoreUnavailable:    uint32(StatusSystemBusy),
	reason.SubscriptionPaused:  133,
	reason.FlowControl:         uint32(StatusSystemBusy),
	reason.WindowFull:          uint32(StatusSystemBusy),
	reason.UpstreamUnavailable: uint32(StatusSystemBusy),
	reason.UpstreamTimeout:     uint32(StatusSystemBusy),
	reason.ServiceNotAllowed:   uint32(StatusIllegalServiceID),
	reason.SPNumberNotAllowed:  uint32(StatusIllegalSrcTermID),
	reason.Malformed:           uint32(StatusMessageStructureError),
	reason.TooManyRecipients:   uint32(StatusIllegalDestTermID),
	reason.AccountSuspended:    134,
}

func (Dialect) DefaultResults() codec.ResultTable { return defaultResults }

func (Dialect) NotServedResult() uint32 { return uint32(StatusCommandError) }

func (Dialect) ResultText(code uint32) string      { return Status(code).String() }
func (Dialect) LoginResultText(code uint32) string { return Status(code).String() }

func (Dialect) PutSeq(dst []byte, _, _, counter uint32) { binary.BigEndian.PutUint32(dst, counter) }

func (Dialect) AppendResp(dst []byte, v *codec.View, result uint32) []byte {
	seq := codec.Uint32Of(v.Sequence)
	switch CommandID(v.Command) {
	case CmdSubmit:
		var zero [MsgIDLen]byte
		return AppendSubmitResp(dst, seq, zero[:], Status(result))
	case CmdDeliver:
		return AppendDeliverResp(dst, seq, v.MsgID, Status(result))
	case CmdActiveTest:
		return AppendActiveTestResp(dst, seq)
	case CmdExit:
		return AppendExitResp(dst, seq)
	}
	return dst
}

func (Dialect) AppendSubmitResp(dst []byte, seq []byte, msgID []byte, result uint32) []byte {
	id := msgIDOf(msgID)
	return AppendSubmitResp(dst, codec.Uint32Of(seq), id[:], Status(result))
}

// msgIDOf right-aligns b in a 10-byte id (the last 10 bytes when longer).
func msgIDOf(b []byte) MsgID {
	var id MsgID
	if len(b) > MsgIDLen {
		b = b[len(b)-MsgIDLen:]
	}
	copy(id[MsgIDLen-len(b):], b)
	return id
}

func (Dialect) AppendActiveTest(dst []byte, seq []byte) []byte {
	return AppendActiveTest(dst, codec.Uint32Of(seq))
}

func (Dialect) AppendLogout(dst []byte, seq []byte) []byte {
	return AppendExit(dst, codec.Uint32Of(seq))
}

var loginModes = [...]uint8{codec.LoginSubmit: LoginModeSend, codec.LoginDeliver: LoginModeReceive,
	codec.LoginBoth: LoginModeTransmit}

func (d Dialect) AppendLogin(dst []byte, seq []byte, l *codec.Login) []byte {
	ts := codec.Timestamp(l.Time)
	p := &Login{ClientID: l.Name, AuthenticatorClient: AuthenticatorClient(l.Name, l.Secret, ts),
		LoginMode: LoginModeTransmit, TimeStamp: ts, ClientVersion: d.v}
	if l.Mode != codec.LoginModeUnknown && int(l.Mode) < len(loginModes) {
		p.LoginMode = loginModes[l.Mode]
	}
	return Append(dst, d.v, codec.Uint32Of(seq), p)
}

func (d Dialect) DecodeLogin(frame []byte) (codec.LoginView, error) {
	_, p, err := Decode(frame, d.v)
	if err != nil {
		return codec.LoginView{}, err
	}
	l, ok := p.(*Login)
	if !ok {
		return codec.LoginView{}, codec.ErrWrongCommand
	}
	v := codec.LoginView{Name: l.ClientID, Version: uint8(l.ClientVersion), Timestamp: l.TimeStamp,
		Authenticator: l.AuthenticatorClient}
	switch l.LoginMode {
	case LoginModeSend:
		v.Mode = codec.LoginSubmit
	case LoginModeReceive:
		v.Mode = codec.LoginDeliver
	case LoginModeTransmit:
		v.Mode = codec.LoginBoth
	}
	return v, nil
}

func (Dialect) VerifyLogin(l *codec.LoginView, secret string) bool {
	return VerifyAuthenticatorClient(&Login{ClientID: l.Name, AuthenticatorClient: l.Authenticator, TimeStamp: l.Timestamp}, secret)
}

// loginStatus maps refusals to Login_Resp Status (§11).
var loginStatus = [codec.LoginStatusCount]Status{
	codec.LoginOK:                 StatusOK,
	codec.LoginUnknownAccount:     StatusAuthError,
	codec.LoginBadCredentials:     StatusAuthError,
	codec.LoginBadIP:              StatusIPError,
	codec.LoginBadVersion:         StatusVersionTooHigh,
	codec.LoginTooManyConnections: StatusTooManyConnections,
	codec.LoginLockedOut:          StatusSystemBusy,
	codec.LoginBadMode:            StatusMessageStructureError,
	codec.LoginRepeated:           StatusMessageStructureError,
	codec.LoginStale:              StatusAuthError,
}

func (d Dialect) AppendLoginResp(dst []byte, seq []byte, l *codec.LoginView, st codec.LoginStatus, secret string) []byte {
	resp := &LoginResp{Status: loginStatus[st], ServerVersion: d.v}
	if l != nil && st == codec.LoginOK {
		resp.AuthenticatorServer = AuthenticatorServer(0, l.Authenticator, secret)
	}
	return Append(dst, d.v, codec.Uint32Of(seq), resp)
}

func (d Dialect) DecodeLoginResp(frame []byte) (codec.LoginResp, error) {
	_, p, err := Decode(frame, d.v)
	if err != nil {
		return codec.LoginResp{}, err
	}
	r, ok := p.(*LoginResp)
	if !ok {
		return codec.LoginResp{}, codec.ErrWrongCommand
	}
	return codec.LoginResp{Status: uint32(r.Status), Version: uint8(r.ServerVersion),
		Authenticator: append([]byte(nil), r.AuthenticatorServer[:]...)}, nil
}

func (Dialect) VerifyLoginResp(r *codec.LoginResp, l *codec.LoginView, secret string) bool {
	if r.Status != uint32(StatusOK) {
		return true // zeros after a refusal
	}
	var resp LoginResp
	resp.Status = Status(r.Status)
	copy(resp.AuthenticatorServer[:], r.Authenticator)
	return VerifyAuthenticatorServer(&resp, l.Authenticator, secret)
}

var feeTypes = [...]string{
	codec.FeeFree:       "00",
	codec.FeePerMessage: "01",
	codec.FeeMonthly:    "02",
	codec.FeeCapped:     "03",
	codec.FeeBySP:       "00", // no such type: free to the user
}

// fen renders a fee as the 6 digits FeeCode and FixedFee hold.
func fen(v uint32) string {
	s := strconv.FormatUint(uint64(v), 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

func (d Dialect) AppendSubmit(dst []byte, seq []byte, s *codec.Submit) []byte {
	p := Submit{
		MsgType: MsgTypeMT, Priority: s.Priority, ServiceID: s.ServiceCode, FeeCode: fen(s.Fee.Code),
		FixedFee: fen(s.Fee.Fixed), MsgFormat: s.Coding, ValidTime: s.ValidTime, AtTime: s.AtTime,
		SrcTermID: s.SPNumber, DestTermID: s.Dests, MsgContent: s.Content,
	}
	if s.NeedReport {
		p.NeedReport = 1
	}
	if int(s.Fee.Type) < len(feeTypes) {
		p.FeeType = feeTypes[s.Fee.Type]
	}
	switch s.Fee.Payer {
	case codec.PayerNumber:
		p.ChargeTermID = s.Fee.ChargeNumber
	case codec.PayerSP:
		p.SetTLV(TagChargeUserType, []byte{2}) // §12: 2 charges the SP
	}
	if s.UDHI {
		p.SetTLV(TagTPUdhi, []byte{1})
	}
	if s.PkTotal > 0 {
		p.SetTLV(TagPkTotal, []byte{s.PkTotal})
		p.SetTLV(TagPkNumber, []byte{max(s.PkNumber, 1)})
	}
	if s.LinkID != "" {
		p.SetTLV(TagLinkID, codec.AppendText(nil, s.LinkID, LinkIDLen))
	}
	start := len(dst)
	dst = appendHeader(dst, CmdSubmit, codec.Uint32Of(seq))
	dst = p.AppendBody(dst, d.v)
	return finish(dst, start)
}

func (d Dialect) AppendDeliver(dst []byte, seq []byte, m *codec.Deliver) []byte {
	p := Deliver{MsgID: msgIDOf(m.MsgID), MsgFormat: m.Coding, RecvTime: m.RecvTime, SrcTermID: m.User,
		DestTermID: m.SPNumber, MsgContent: m.Content}
	if m.UDHI {
		p.SetTLV(TagTPUdhi, []byte{1})
	}
	if m.LinkID != "" {
		p.SetTLV(TagLinkID, codec.AppendText(nil, m.LinkID, LinkIDLen))
	}
	return d.appendDeliver(dst, codec.Uint32Of(seq), &p)
}

// appendDeliver appends p without passing it as a PDU interface, so that a
// Deliver built on the caller's stack stays there.
func (d Dialect) appendDeliver(dst []byte, seq uint32, p *Deliver) []byte {
	start := len(dst)
	dst = appendHeader(dst, CmdDeliver, seq)
	dst = p.AppendBody(dst, d.v)
	return finish(dst, start)
}

// reportErr is the report's err for a Stat (§9.2).
func reportErr(stat string) string {
	switch stat {
	case StatDelivered:
		return "000"
	case StatExpired:
		return "001"
	case StatUndeliverable:
		return "006"
	}
	return "999"
}

// reportTxt is the txt value of a report: the original length as 3 ASCII
// digits and its first 17 bytes (§9).
func reportTxt(content []byte) string {
	var b [20]byte
	n := min(len(content), 999)
	b[0], b[1], b[2] = '0'+byte(n/100), '0'+byte(n/10%10), '0'+byte(n%10)
	k := copy(b[3:], content[:min(len(content), 17)])
	return string(b[:3+k])
}

// AppendReport appends a Deliver with IsReport 1 whose content is the
// canonical 122-byte report text (§7, §9) naming r.SubmitID.
func (d Dialect) AppendReport(dst []byte, seq []byte, r *codec.Report) []byte {
	rep := Report{ID: msgIDOf(r.SubmitID), Sub: "001", Dlvrd: "001", SubmitDate: r.SubmitTime, DoneDate: r.DoneTime,
		Stat: r.Stat, Err: reportErr(r.Stat), Text: reportTxt(r.Text)}
	if r.Stat != StatDelivered {
		rep.Dlvrd = "000"
	}
	if r.Err != "" {
		rep.Err = r.Err
	}
	var body [ReportLen]byte
	p := Deliver{MsgID: msgIDOf(r.MsgID), IsReport: 1, RecvTime: r.RecvTime, SrcTermID: r.User,
		DestTermID: r.SPNumber, MsgContent: rep.Append(body[:0])}
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
	id := append([]byte(nil), dl.MsgID[:]...)
	if dl.IsReport == 1 {
		*out = codec.Delivery{Kind: codec.KindReport, Report: codec.Report{MsgID: id, User: dl.SrcTermID,
			SPNumber: dl.DestTermID, RecvTime: dl.RecvTime}}
		if rep := dl.Report; rep != nil {
			r := &out.Report
			r.SubmitID = append([]byte(nil), rep.ID[:]...)
			r.Stat, r.SubmitTime, r.DoneTime, r.Err = rep.Stat, rep.SubmitDate, rep.DoneDate, rep.Err
		}
		return nil
	}
	*out = codec.Delivery{Kind: codec.KindDeliver, Deliver: codec.Deliver{MsgID: id, User: dl.SrcTermID,
		SPNumber: dl.DestTermID, LinkID: dl.LinkID(), Coding: dl.MsgFormat, Content: dl.MsgContent,
		UDHI: udh.Flag(dl.TPUDHI()), RecvTime: dl.RecvTime}}
	return nil
}

// SetLinkID writes into the LinkID TLV when the Deliver has one, else
// appends a 20-byte TLV 0x0003 and fixes PacketLength (§12).
func (Dialect) SetLinkID(frame []byte, v *codec.View, linkID string) []byte {
	if v.LinkIDField != nil {
		codec.PutSlot(v.LinkIDField, linkID)
		return frame
	}
	var val [LinkIDLen]byte
	copy(val[:], linkID)
	out := make([]byte, 0, len(frame)+4+len(val))
	out = append(out, frame...)
	out = AppendTLV(out, TagLinkID, val[:])
	codec.PutLength(out)
	return out
}

// AppendMsgIDAt: a group Submit_Resp MsgID stands for MsgID … MsgID+(n−1),
// the BCD sequence part counting (§5).
func (Dialect) AppendMsgIDAt(dst []byte, msgID []byte, i int) []byte {
	id := MsgIDAdd(msgIDOf(msgID), i)
	return append(dst, id[:]...)
}

// MsgIDs makes MsgIDs in the layout of §8: the SMGW code (gateway, 6
// digits, packed BCD), the receive time MMDDHHMM, and the counter as the
// 6-digit sequence, which wraps at 999999: ids are unique for a million a
// minute, the format's own limit.
func (Dialect) MsgIDs(gateway string) codec.MsgIDMaker {
	m := &msgIDs{}
	for i := 0; i < 3 && 2*i+1 < len(gateway); i++ {
		m.prefix[i] = (gateway[2*i]-'0')<<4 | (gateway[2*i+1] - '0')
	}
	return m
}

type msgIDs struct{ prefix [7]byte }

func (m *msgIDs) Stamp(t time.Time) {
	_, mon, day := t.Date()
	h, mi, _ := t.Clock()
	m.prefix[3], m.prefix[4], m.prefix[5], m.prefix[6] = bcd2(int(mon)), bcd2(day), bcd2(h), bcd2(mi)
}

func (m *msgIDs) Append(dst []byte, n uint64) []byte {
	seq := int(n % 1_000_000)
	dst = append(dst, m.prefix[:]...)
	return append(dst, bcd2(seq/10000), bcd2(seq/100%100), bcd2(seq%100))
}

// bcd2 packs 0–99 into one BCD byte.
func bcd2(v int) byte { return byte(v/10)<<4 | byte(v%10) }
