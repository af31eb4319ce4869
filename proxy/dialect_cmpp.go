package proxy

import (
	"encoding/binary"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/config"
)

// cmppDialect speaks CMPP 2.0/2.1/3.0 (one version per deployment: frames
// are forwarded, so both faces share the layout).
type cmppDialect struct {
	p config.Protocol
	v cmpp.Version
}

func (d cmppDialect) proto() config.Protocol { return d.p }
func (cmppDialect) seqLen() int              { return 4 }
func (cmppDialect) hasActiveTest() bool      { return true }
func (cmppDialect) framer(max int) codec.Framer {
	return cmpp.NewFramer(max)
}
func (d cmppDialect) parseView(frame []byte, v *codec.View) error {
	return cmpp.ParseView(frame, d.v, v)
}

func (cmppDialect) makeSeq(_, _ uint32, counter uint32) wireSeq {
	var s wireSeq
	binary.BigEndian.PutUint32(s[:], counter)
	return s
}

func seq32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func msgID64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (d cmppDialect) appendResp(dst []byte, v *codec.View, result uint32) []byte {
	seq := seq32(v.Sequence)
	switch cmpp.CommandID(v.Command) {
	case cmpp.CmdSubmit:
		return cmpp.AppendSubmitResp(dst, d.v, seq, 0, cmpp.Result(result))
	case cmpp.CmdDeliver:
		return cmpp.AppendDeliverResp(dst, d.v, seq, msgID64(v.MsgID), cmpp.Result(result))
	case cmpp.CmdActiveTest:
		return cmpp.AppendActiveTestResp(dst, seq)
	case cmpp.CmdTerminate:
		return cmpp.Append(dst, d.v, seq, &cmpp.TerminateResp{})
	case cmpp.CmdCancel:
		// Success_Id 1 = failed: spsmg cannot cancel what it did not forward.
		return cmpp.Append(dst, d.v, seq, &cmpp.CancelResp{SuccessID: 1})
	case cmpp.CmdQuery:
		return cmpp.Append(dst, d.v, seq, &cmpp.QueryResp{})
	}
	// No generic negative response in CMPP: answer as a Deliver_Resp-shaped
	// error would confuse peers, so a command spsmg does not serve gets the
	// Submit_Resp layout only when it is one; otherwise nothing.
	return dst
}

func (d cmppDialect) appendActiveTest(dst []byte, seq wireSeq) []byte {
	return cmpp.AppendActiveTest(dst, seq32(seq[:]))
}

func (d cmppDialect) appendLogout(dst []byte, seq wireSeq) []byte {
	return cmpp.Append(dst, d.v, seq32(seq[:]), &cmpp.Terminate{})
}

func (d cmppDialect) decodeLogin(frame []byte) (loginRequest, error) {
	_, p, err := cmpp.Decode(frame, d.v)
	if err != nil {
		return loginRequest{}, err
	}
	c, ok := p.(*cmpp.Connect)
	if !ok {
		return loginRequest{}, errNotLogin
	}
	return loginRequest{name: c.SourceAddr, version: uint8(c.Version), mode: 2, ts: c.Timestamp, pdu: c}, nil
}

func (cmppDialect) verifyLogin(req *loginRequest, secret string) bool {
	return cmpp.VerifyAuthenticatorSource(req.pdu.(*cmpp.Connect), secret)
}

// cmppLoginStatus maps refusals to Connect_Resp Status (cmpp.md §5): 2 for
// an unknown SP_Id or a source IP outside the white-list, 3 for a bad
// authenticator, 4 for a version the account is not configured for, 5
// "other" for limits and lock-outs.
var cmppLoginStatus = [...]cmpp.ConnectStatus{
	loginOK:                 cmpp.ConnectOK,
	loginUnknownAccount:     cmpp.ConnectBadSourceAddr,
	loginBadCredentials:     cmpp.ConnectAuthFailed,
	loginBadIP:              cmpp.ConnectBadSourceAddr,
	loginBadVersion:         cmpp.ConnectVersionTooHigh,
	loginTooManyConnections: cmpp.ConnectOther,
	loginLockedOut:          cmpp.ConnectOther,
	loginBadMode:            cmpp.ConnectOther,
	loginRepeated:           cmpp.ConnectOther,
	loginStale:              cmpp.ConnectAuthFailed,
}

func (d cmppDialect) appendLoginResp(dst []byte, frame []byte, req *loginRequest, st loginStatus, secret string) []byte {
	c, _ := req.pdu.(*cmpp.Connect)
	if c == nil {
		c = &cmpp.Connect{}
	}
	return cmpp.Append(dst, d.v, seq32(frame[seqOffset:]), cmpp.NewConnectResp(c, cmppLoginStatus[st], secret, d.v))
}

func (d cmppDialect) appendLogin(dst []byte, seq wireSeq, login, secret string, _ uint8, now time.Time) []byte {
	return cmpp.Append(dst, d.v, seq32(seq[:]), cmpp.NewConnect(login, secret, d.v, codec.Timestamp(now)))
}

func (d cmppDialect) loginResultOK(v *codec.View) bool { return v.Result == 0 }

func (d cmppDialect) appendMO(dst []byte, seq wireSeq, mo *moMessage) []byte {
	coding, content := encodeText(mo.Text)
	p := &cmpp.Deliver{
		MsgID:         mo.MsgID,
		DestID:        mo.SPNumber,
		ServiceID:     mo.ServiceCode,
		MsgFmt:        coding,
		SrcTerminalID: mo.User,
		MsgContent:    content,
		LinkID:        mo.LinkID,
	}
	return cmpp.Append(dst, d.v, seq32(seq[:]), p)
}

func (d cmppDialect) appendSubmit(dst []byte, seq wireSeq, mt *originMT) []byte {
	coding, content := encodeText(mt.Text)
	var rd uint8
	if mt.NeedReport {
		rd = 1
	}
	p := &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: rd, MsgLevel: 1,
		ServiceID: mt.ServiceCode, FeeUserType: 2, MsgFmt: coding, MsgSrc: mt.CorpID,
		FeeType: "01", FeeCode: "000000", SrcID: mt.SPNumber,
		DestTerminalID: []string{mt.User}, MsgContent: content,
	}
	return cmpp.Append(dst, d.v, seq32(seq[:]), p)
}

// setLinkID writes into the fixed LinkID (3.0) / Reserve (2.x) slot.
func (cmppDialect) setLinkID(frame []byte, v *codec.View, linkID string) []byte {
	writeSlot(v.LinkIDField, linkID)
	return frame
}

func (cmppDialect) msgIDAt(dst []byte, msgID []byte, i int) []byte {
	return binary.BigEndian.AppendUint64(dst, msgID64(msgID)+uint64(i))
}

// writeSlot writes s into a fixed-width field, NUL-padding the rest.
func writeSlot(field []byte, s string) {
	n := copy(field, s)
	clear(field[n:])
}

// encodeText picks the coding of a message spsmg writes itself: ASCII when
// it can, UCS2 otherwise (every handset reads it).
func encodeText(s string) (uint8, []byte) {
	if b, err := text.Encode(text.ASCII, s); err == nil {
		return text.ASCII, b
	}
	b, _ := text.Encode(text.UCS2, s)
	return text.UCS2, b
}
