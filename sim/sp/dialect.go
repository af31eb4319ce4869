package sp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/config"
)

// family is the protocol without its version.
type family uint8

const (
	famSGIP family = iota + 1
	famCMPP
	famSMGP
)

// dialect is everything the simulator needs to know about one protocol
// version: framing, the login exchange, the Submit layout and the answers
// it owes the peer. Stateless; safe for concurrent use.
type dialect struct {
	proto  config.Protocol
	fam    family
	cmppV  cmpp.Version
	smgpV  smgp.Version
	framer codec.Framer
}

func newDialect(p config.Protocol) (*dialect, error) {
	d := &dialect{proto: p}
	switch p.Family() {
	case "sgip":
		d.fam, d.framer = famSGIP, sgip.NewFramer(0)
	case "cmpp":
		d.fam, d.framer = famCMPP, cmpp.NewFramer(0)
		d.cmppV = cmpp.Version(p.Version())
	case "smgp":
		d.fam, d.framer = famSMGP, smgp.NewFramer(0)
		d.smgpV = smgp.Version(p.Version())
	default:
		return nil, fmt.Errorf("%w: protocol %q (want one of %v)", ErrBadConfig, p, config.Protocols)
	}
	return d, nil
}

// headerLen is the size of the protocol's header.
func (d *dialect) headerLen() int { return d.framer.HeaderLen }

// termIDLen is the width of one recipient slot of a Submit: the stride of
// View.Dest.
func (d *dialect) termIDLen() int {
	switch d.fam {
	case famCMPP:
		return d.cmppV.Family().TerminalIDLen()
	case famSGIP:
		return sgip.NumberLen
	}
	return smgp.TermIDLen
}

// parseView is the protocol's zero-copy ParseView.
func (d *dialect) parseView(frame []byte, v *codec.View) error {
	switch d.fam {
	case famCMPP:
		return cmpp.ParseView(frame, d.cmppV, v)
	case famSMGP:
		return smgp.ParseView(frame, d.smgpV, v)
	}
	return sgip.ParseView(frame, v)
}

// seqNo is the sequence of a request the simulator sends. n is the uint32
// of CMPP/SMGP, or the counter part of the SGIP sequence s; every protocol
// ends its header's sequence field with those 4 bytes, so a response is
// matched on them (seqCounter) and, in SGIP, then compared whole.
type seqNo struct {
	n uint32
	s sgip.Sequence
}

// sameSeq compares two sequences the way the protocol does: 4 bytes, or
// all 12 in SGIP.
func (d *dialect) sameSeq(a, b seqNo) bool {
	if d.fam == famSGIP {
		return a.s == b.s
	}
	return a.n == b.n
}

// seqCounter reads the last 4 bytes of a View.Sequence: the CMPP/SMGP
// Sequence_Id or the SGIP counter.
func seqCounter(field []byte) uint32 {
	return binary.BigEndian.Uint32(field[len(field)-4:])
}

// seqOf turns a View.Sequence back into a seqNo (for answering a request).
func (d *dialect) seqOf(field []byte) seqNo {
	if d.fam == famSGIP {
		s := sgip.DecodeSequence(field)
		return seqNo{n: s.Counter, s: s}
	}
	return seqNo{n: binary.BigEndian.Uint32(field)}
}

// account is what a login needs.
type account struct {
	login, secret string
	smgpMode      uint8
}

// appendLogin appends the login request: CMPP Connect (AuthenticatorSource),
// SMGP Login (AuthenticatorClient), SGIP Bind type 1. It returns the
// authenticator sent, to check the server's answer against.
func (d *dialect) appendLogin(dst []byte, a account, s seqNo, now time.Time) ([]byte, [16]byte) {
	ts := codec.Timestamp(now)
	switch d.fam {
	case famCMPP:
		c := cmpp.NewConnect(a.login, a.secret, d.cmppV, ts)
		var auth [16]byte
		copy(auth[:], c.AuthenticatorSource)
		return cmpp.Append(dst, d.cmppV, s.n, c), auth
	case famSMGP:
		auth := smgp.AuthenticatorClient(a.login, a.secret, ts)
		l := &smgp.Login{ClientID: a.login, AuthenticatorClient: auth, LoginMode: a.smgpMode,
			TimeStamp: ts, ClientVersion: d.smgpV}
		return smgp.Append(dst, d.smgpV, s.n, l), auth
	}
	b := &sgip.Bind{LoginType: sgip.LoginSPToSMG, LoginName: a.login, LoginPassword: a.secret}
	return sgip.Append(dst, s.s, b), [16]byte{}
}

// loginResult reads a login response: its status, and whether the server's
// authenticator checks out (always true for SGIP, which has none). A client
// logs a mismatch but does not fail on it (cmpp.md §15, smgp30.md §4).
func (d *dialect) loginResult(frame []byte, auth [16]byte, secret string) (status uint32, authOK bool, err error) {
	switch d.fam {
	case famCMPP:
		_, p, err := cmpp.Decode(frame, d.cmppV)
		if err != nil {
			return 0, false, err
		}
		r, ok := p.(*cmpp.ConnectResp)
		if !ok {
			return 0, false, fmt.Errorf("sp: %s login: got %s, want CMPP_CONNECT_RESP", d.proto, p.Command())
		}
		if r.Status != cmpp.ConnectOK {
			return uint32(r.Status), true, nil
		}
		// The status width follows the layout the server chose (§4, §15):
		// try both so that a 3.0 server answering 2.x does not warn.
		ok2 := string(r.AuthenticatorISMG) == string(sliceOf(cmpp.AuthenticatorISMG(0, cmpp.V21, auth, secret)))
		ok3 := string(r.AuthenticatorISMG) == string(sliceOf(cmpp.AuthenticatorISMG(0, cmpp.V30, auth, secret)))
		return 0, ok2 || ok3, nil
	case famSMGP:
		_, p, err := smgp.Decode(frame, d.smgpV)
		if err != nil {
			return 0, false, err
		}
		r, ok := p.(*smgp.LoginResp)
		if !ok {
			return 0, false, fmt.Errorf("sp: %s login: got %s, want SMGP_LOGIN_RESP", d.proto, p.Command())
		}
		if r.Status != smgp.StatusOK {
			return uint32(r.Status), true, nil
		}
		return 0, smgp.VerifyAuthenticatorServer(r, auth, secret), nil
	}
	_, p, err := sgip.Decode(frame)
	if err != nil {
		return 0, false, err
	}
	r, ok := p.(*sgip.Resp)
	if !ok || r.ID != sgip.CmdBindResp {
		return 0, false, fmt.Errorf("sp: sgip login: got %s, want SGIP_BIND_RESP", p.Command())
	}
	return uint32(r.Result), true, nil
}

func sliceOf(a [16]byte) []byte { return a[:] }

// appendLogout appends CMPP Terminate, SMGP Exit or SGIP Unbind.
func (d *dialect) appendLogout(dst []byte, s seqNo) []byte {
	switch d.fam {
	case famCMPP:
		return cmpp.Append(dst, d.cmppV, s.n, &cmpp.Terminate{})
	case famSMGP:
		return smgp.AppendExit(dst, s.n)
	}
	return sgip.Append(dst, s.s, &sgip.Unbind{})
}

// appendLogoutResp answers the peer's logout request with sequence field seq.
func (d *dialect) appendLogoutResp(dst []byte, seq []byte) []byte {
	s := d.seqOf(seq)
	switch d.fam {
	case famCMPP:
		return cmpp.AppendTerminateResp(dst, s.n)
	case famSMGP:
		return smgp.AppendExitResp(dst, s.n)
	}
	return sgip.AppendResp(dst, sgip.CmdUnbind, s.s, 0)
}

// appendActiveTest appends CMPP/SMGP Active_Test; SGIP has none.
func (d *dialect) appendActiveTest(dst []byte, s seqNo) ([]byte, error) {
	switch d.fam {
	case famCMPP:
		return cmpp.AppendActiveTest(dst, s.n), nil
	case famSMGP:
		return smgp.AppendActiveTest(dst, s.n), nil
	}
	return dst, ErrNoActiveTest
}

// appendActiveTestResp answers the peer's Active_Test.
func (d *dialect) appendActiveTestResp(dst []byte, seq []byte) []byte {
	s := d.seqOf(seq)
	if d.fam == famSMGP {
		return smgp.AppendActiveTestResp(dst, s.n)
	}
	return cmpp.AppendActiveTestResp(dst, s.n)
}

// appendDeliverAck answers a Deliver (CMPP, SMGP: MO or report; SGIP:
// Deliver, Report or UserRpt) whose view is v with result. Does not
// allocate when dst has room.
func (d *dialect) appendDeliverAck(dst []byte, v *codec.View, result uint32) []byte {
	s := d.seqOf(v.Sequence)
	switch d.fam {
	case famCMPP:
		var id uint64
		if len(v.MsgID) == 8 {
			id = binary.BigEndian.Uint64(v.MsgID)
		}
		return cmpp.AppendDeliverResp(dst, d.cmppV, s.n, id, cmpp.Result(result))
	case famSMGP:
		return smgp.AppendDeliverResp(dst, s.n, v.MsgID, smgp.Status(result))
	}
	return sgip.AppendResp(dst, sgip.CommandID(v.Command), s.s, uint8(result))
}

// appendSubmit builds m into the protocol's Submit and appends the frame.
// login is the CMPP Msg_src default.
func (d *dialect) appendSubmit(dst []byte, s seqNo, m *MT, login string) ([]byte, error) {
	if err := m.check(); err != nil {
		return dst, err
	}
	content, coding, err := m.content()
	if err != nil {
		return dst, err
	}
	var udhi uint8
	if m.UDHI {
		udhi = 1
	}
	switch d.fam {
	case famCMPP:
		p := &cmpp.Submit{
			PkTotal: max(m.PkTotal, 1), PkNumber: max(m.PkNumber, 1),
			ServiceID: m.ServiceCode, TPUDHI: udhi, MsgFmt: coding,
			MsgSrc: login, FeeType: "01", FeeCode: "000000",
			SrcID: m.SPNumber, DestTerminalID: m.Users, MsgContent: content, LinkID: m.LinkID,
		}
		if m.NeedReport {
			p.RegisteredDelivery = 1
		}
		if m.CorpID != "" {
			p.MsgSrc = m.CorpID
		}
		if m.Edit != nil {
			m.Edit(p)
		}
		return cmpp.Append(dst, d.cmppV, s.n, p), nil
	case famSMGP:
		p := &smgp.Submit{
			MsgType: smgp.MsgTypeMT, Priority: 1, ServiceID: m.ServiceCode,
			FeeType: "00", FeeCode: "000000", FixedFee: "000000", MsgFormat: coding,
			SrcTermID: m.SPNumber, DestTermID: m.Users, MsgContent: content,
		}
		if m.NeedReport {
			p.NeedReport = 1
		}
		if m.UDHI {
			p.SetTLV(smgp.TagTPUdhi, []byte{1})
		}
		if m.PkTotal > 0 {
			p.SetTLV(smgp.TagPkTotal, []byte{m.PkTotal})
			p.SetTLV(smgp.TagPkNumber, []byte{max(m.PkNumber, 1)})
		}
		if m.LinkID != "" {
			p.SetTLV(smgp.TagLinkID, codec.AppendText(nil, m.LinkID, smgp.LinkIDLen))
		}
		if m.Edit != nil {
			m.Edit(p)
		}
		return smgp.Append(dst, d.smgpV, s.n, p), nil
	}
	p := &sgip.Submit{
		SPNumber: m.SPNumber, ChargeNumber: sgip.ChargeSP, UserNumber: m.Users,
		CorpID: m.CorpID, ServiceType: m.ServiceCode, FeeType: sgip.FeeTypeFree,
		FeeValue: "0", GivenValue: "0", MorelatetoMTFlag: sgip.MTNotCausedByMO,
		ReportFlag: sgip.ReportFlagNone, TPUDHI: udhi, MessageCoding: coding,
		MessageContent: content,
	}
	if m.LinkID != "" {
		p.MorelatetoMTFlag = sgip.MTFirstOnDemand
		p.Reserve = []byte(m.LinkID)
	}
	if m.NeedReport {
		p.ReportFlag = sgip.ReportFlagAlways
	}
	if m.Edit != nil {
		m.Edit(p)
	}
	return sgip.Append(dst, s.s, p), nil
}

var errUserCount = errors.New("want 1 to 100 recipients")

func wrapMT(field string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrBadMT, field, err)
}
