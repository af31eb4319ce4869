package proxy

import (
	"errors"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/config"
)

var errNotLogin = errors.New("proxy: first frame is not a login")

// sgipDialect speaks SGIP 1.2: 12-byte sequences, one direction per
// connection, no active test, and the Submit's sequence as the message
// identity that reports refer to.
type sgipDialect struct{}

func (sgipDialect) proto() config.Protocol { return config.SGIP }
func (sgipDialect) seqLen() int            { return 12 }
func (sgipDialect) hasActiveTest() bool    { return false }
func (sgipDialect) framer(max int) codec.Framer {
	return sgip.NewFramer(max)
}
func (sgipDialect) parseView(frame []byte, v *codec.View) error { return sgip.ParseView(frame, v) }

func (sgipDialect) makeSeq(node, mmddhhmmss, counter uint32) wireSeq {
	var s wireSeq
	sgip.PutSequence(s[:], sgip.Sequence{Node: node, Time: mmddhhmmss, Counter: counter})
	return s
}

func sgipSeq(b []byte) sgip.Sequence {
	if len(b) < 12 {
		return sgip.Sequence{}
	}
	return sgip.DecodeSequence(b)
}

// appendResp: every SGIP request is answered with the generic Result +
// Reserve body (Unbind with an empty one), carrying the request's sequence.
func (sgipDialect) appendResp(dst []byte, v *codec.View, result uint32) []byte {
	return sgip.AppendResp(dst, sgip.CommandID(v.Command), sgipSeq(v.Sequence), uint8(result))
}

func (sgipDialect) appendActiveTest(dst []byte, _ wireSeq) []byte { return dst }

func (sgipDialect) appendLogout(dst []byte, seq wireSeq) []byte {
	return sgip.Append(dst, sgipSeq(seq[:]), &sgip.Unbind{})
}

func (sgipDialect) decodeLogin(frame []byte) (loginRequest, error) {
	_, p, err := sgip.Decode(frame)
	if err != nil {
		return loginRequest{}, err
	}
	b, ok := p.(*sgip.Bind)
	if !ok {
		return loginRequest{}, errNotLogin
	}
	return loginRequest{name: b.LoginName, mode: uint8(b.LoginType), pdu: b}, nil
}

func (sgipDialect) verifyLogin(req *loginRequest, secret string) bool {
	b := req.pdu.(*sgip.Bind)
	return b.Verify(b.LoginName, secret)
}

// sgipLoginResult maps refusals to Bind_Resp results (sgip12.md §6).
var sgipLoginResult = [...]sgip.Result{
	loginOK:                 sgip.OK,
	loginUnknownAccount:     sgip.IllegalLogin,
	loginBadCredentials:     sgip.IllegalLogin,
	loginBadIP:              sgip.IllegalLogin,
	loginBadVersion:         sgip.IllegalLogin,
	loginTooManyConnections: sgip.TooManyConnections,
	loginLockedOut:          sgip.LoginTooFrequent13,
	loginBadMode:            sgip.WrongLoginType,
	loginRepeated:           sgip.RepeatedLogin,
	loginStale:              sgip.IllegalLogin,
}

func (sgipDialect) appendLoginResp(dst []byte, frame []byte, _ *loginRequest, st loginStatus, _ string) []byte {
	return sgip.AppendResp(dst, sgip.CmdBind, sgipSeq(frame[seqOffset:]), uint8(sgipLoginResult[st]))
}

// appendLogin: mode is the Login Type: 1 when spsmg binds to the SMG, 2
// when it binds to an SP's receiver.
func (sgipDialect) appendLogin(dst []byte, seq wireSeq, login, secret string, mode uint8, _ time.Time) []byte {
	return sgip.Append(dst, sgipSeq(seq[:]), &sgip.Bind{LoginType: sgip.LoginType(mode), LoginName: login, LoginPassword: secret})
}

func (sgipDialect) loginResultOK(v *codec.View) bool { return v.Result == 0 }

// sgipNumber puts the 86 country prefix SGIP numbers carry (sgip12.md §1).
func sgipNumber(n string) string {
	if len(n) == 11 && n[0] == '1' {
		return "86" + n
	}
	return n
}

func (sgipDialect) appendMO(dst []byte, seq wireSeq, mo *moMessage) []byte {
	coding, content := encodeText(mo.Text)
	p := &sgip.Deliver{
		UserNumber:     sgipNumber(mo.User),
		SPNumber:       mo.SPNumber,
		MessageCoding:  coding,
		MessageContent: content,
		Reserve:        fixedOctets(mo.LinkID, 8),
	}
	return sgip.Append(dst, sgipSeq(seq[:]), p)
}

func (sgipDialect) appendSubmit(dst []byte, seq wireSeq, mt *originMT) []byte {
	coding, content := encodeText(mt.Text)
	var rf uint8 = 2 // no report
	if mt.NeedReport {
		rf = 1
	}
	p := &sgip.Submit{
		SPNumber:         mt.SPNumber,
		ChargeNumber:     "000000000000000000000", // 21 × '0': the SP pays (sgip12.md §4)
		UserNumber:       []string{sgipNumber(mt.User)},
		CorpID:           mt.CorpID,
		ServiceType:      mt.ServiceCode,
		FeeType:          1, // free
		FeeValue:         "0",
		GivenValue:       "0",
		MorelatetoMTFlag: 2,
		ReportFlag:       rf,
		MessageCoding:    coding,
		MessageContent:   content,
	}
	return sgip.Append(dst, sgipSeq(seq[:]), p)
}

func (sgipDialect) setLinkID(frame []byte, v *codec.View, linkID string) []byte {
	writeSlot(v.LinkIDField, linkID)
	return frame
}

func (sgipDialect) msgIDAt(dst []byte, msgID []byte, _ int) []byte { return append(dst, msgID...) }

func fixedOctets(s string, n int) codec.Octets {
	if s == "" {
		return nil
	}
	b := make(codec.Octets, n)
	copy(b, s)
	return b
}
