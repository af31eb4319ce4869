package proxy

import (
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/config"
)

// smgpDialect speaks SMGP 3.0 (or the 0x13 Submit layout): LinkIDs in TLV
// 0x0003, 10-byte BCD message ids.
type smgpDialect struct {
	p config.Protocol
	v smgp.Version
}

func (d smgpDialect) proto() config.Protocol { return d.p }
func (smgpDialect) seqLen() int              { return 4 }
func (smgpDialect) hasActiveTest() bool      { return true }
func (smgpDialect) framer(max int) codec.Framer {
	return smgp.NewFramer(max)
}
func (d smgpDialect) parseView(frame []byte, v *codec.View) error {
	return smgp.ParseView(frame, d.v, v)
}

func (smgpDialect) makeSeq(_, _ uint32, counter uint32) wireSeq {
	return cmppDialect{}.makeSeq(0, 0, counter)
}

func (d smgpDialect) appendResp(dst []byte, v *codec.View, result uint32) []byte {
	seq := seq32(v.Sequence)
	switch smgp.CommandID(v.Command) {
	case smgp.CmdSubmit:
		var zero [smgp.MsgIDLen]byte
		return smgp.AppendSubmitResp(dst, seq, zero[:], smgp.Status(result))
	case smgp.CmdDeliver:
		return smgp.AppendDeliverResp(dst, seq, v.MsgID, smgp.Status(result))
	case smgp.CmdActiveTest:
		return smgp.AppendActiveTestResp(dst, seq)
	case smgp.CmdExit:
		return smgp.AppendExitResp(dst, seq)
	}
	return dst
}

func (smgpDialect) appendActiveTest(dst []byte, seq wireSeq) []byte {
	return smgp.AppendActiveTest(dst, seq32(seq[:]))
}

func (smgpDialect) appendLogout(dst []byte, seq wireSeq) []byte {
	return smgp.AppendExit(dst, seq32(seq[:]))
}

func (d smgpDialect) decodeLogin(frame []byte) (loginRequest, error) {
	_, p, err := smgp.Decode(frame, d.v)
	if err != nil {
		return loginRequest{}, err
	}
	l, ok := p.(*smgp.Login)
	if !ok {
		return loginRequest{}, errNotLogin
	}
	return loginRequest{name: l.ClientID, version: uint8(l.ClientVersion), mode: l.LoginMode, ts: l.TimeStamp, pdu: l}, nil
}

func (smgpDialect) verifyLogin(req *loginRequest, secret string) bool {
	return smgp.VerifyAuthenticatorClient(req.pdu.(*smgp.Login), secret)
}

// smgpLoginStatus maps refusals to Login_Resp Status (smgp30.md §11).
var smgpLoginStatus = [...]smgp.Status{
	loginOK:                 smgp.StatusOK,
	loginUnknownAccount:     smgp.StatusAuthError,
	loginBadCredentials:     smgp.StatusAuthError,
	loginBadIP:              smgp.StatusIPError,
	loginBadVersion:         smgp.StatusVersionTooHigh,
	loginTooManyConnections: smgp.StatusTooManyConnections,
	loginLockedOut:          smgp.StatusSystemBusy,
	loginBadMode:            smgp.StatusMessageStructureError,
	loginRepeated:           smgp.StatusMessageStructureError,
	loginStale:              smgp.StatusAuthError,
}

func (d smgpDialect) appendLoginResp(dst []byte, frame []byte, req *loginRequest, st loginStatus, secret string) []byte {
	resp := &smgp.LoginResp{Status: smgpLoginStatus[st], ServerVersion: d.v}
	if l, ok := req.pdu.(*smgp.Login); ok && st == loginOK {
		resp.AuthenticatorServer = smgp.AuthenticatorServer(0, l.AuthenticatorClient, secret)
	}
	return smgp.Append(dst, d.v, seq32(frame[seqOffset:]), resp)
}

func (d smgpDialect) appendLogin(dst []byte, seq wireSeq, login, secret string, mode uint8, now time.Time) []byte {
	ts := codec.Timestamp(now)
	l := &smgp.Login{ClientID: login, AuthenticatorClient: smgp.AuthenticatorClient(login, secret, ts),
		LoginMode: mode, TimeStamp: ts, ClientVersion: d.v}
	return smgp.Append(dst, d.v, seq32(seq[:]), l)
}

func (smgpDialect) loginResultOK(v *codec.View) bool { return v.Result == 0 }

func (d smgpDialect) appendMO(dst []byte, seq wireSeq, mo *moMessage) []byte {
	coding, content := encodeText(mo.Text)
	p := &smgp.Deliver{
		MsgID:      smgpMsgID(mo.MsgID),
		MsgFormat:  coding,
		RecvTime:   time.Now().Format("20060102150405"),
		SrcTermID:  mo.User,
		DestTermID: mo.SPNumber,
		MsgContent: content,
	}
	if mo.LinkID != "" {
		p.SetTLV(smgp.TagLinkID, []byte(mo.LinkID))
	}
	return smgp.Append(dst, d.v, seq32(seq[:]), p)
}

// smgpMsgID renders spsmg's own message number as a 10-byte id.
func smgpMsgID(n uint64) smgp.MsgID {
	var id smgp.MsgID
	for i := 9; i >= 0 && n > 0; i-- {
		id[i] = byte(n)
		n >>= 8
	}
	return id
}

func (d smgpDialect) appendSubmit(dst []byte, seq wireSeq, mt *originMT) []byte {
	coding, content := encodeText(mt.Text)
	var nr uint8
	if mt.NeedReport {
		nr = 1
	}
	p := &smgp.Submit{
		MsgType: 6, NeedReport: nr, Priority: 1, ServiceID: mt.ServiceCode,
		FeeType: "00", FeeCode: "000000", FixedFee: "000000", MsgFormat: coding,
		SrcTermID: mt.SPNumber, DestTermID: []string{mt.User}, MsgContent: content,
	}
	return smgp.Append(dst, d.v, seq32(seq[:]), p)
}

// setLinkID writes into the LinkID TLV when the Deliver has one, else
// appends a 20-byte TLV 0x0003 and fixes PacketLength (smgp30.md §12).
func (smgpDialect) setLinkID(frame []byte, v *codec.View, linkID string) []byte {
	if v.LinkIDField != nil {
		writeSlot(v.LinkIDField, linkID)
		return frame
	}
	var val [20]byte
	copy(val[:], linkID)
	out := make([]byte, 0, len(frame)+4+len(val))
	out = append(out, frame...)
	out = smgp.AppendTLV(out, smgp.TagLinkID, val[:])
	codec.PutLength(out)
	return out
}

func (smgpDialect) msgIDAt(dst []byte, msgID []byte, i int) []byte {
	id := smgp.MsgIDAdd(smgp.MsgIDFrom(msgID), i)
	return append(dst, id[:]...)
}
