package proxy

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/config"
)

// seqOffset: every protocol here puts the sequence right after the 4-byte
// length and the 4-byte command id (CMPP/SMGP 4 bytes, SGIP 12 bytes), so
// sequence rewriting is one copy at a fixed offset.
const seqOffset = 8

// wireSeq holds a sequence as it appears on the wire; CMPP and SMGP use the
// first 4 bytes, SGIP all 12. The last 4 bytes of the used part are always
// a counter, which indexes a bind's in-flight ring.
type wireSeq [12]byte

// counterOf reads the counter: the last 4 bytes of a sequence field.
func counterOf(seq []byte) uint32 {
	return binary.BigEndian.Uint32(seq[len(seq)-4:])
}

// loginStatus is why a login was refused, mapped by each dialect to its
// protocol's code.
type loginStatus uint8

const (
	loginOK loginStatus = iota
	loginUnknownAccount
	loginBadCredentials
	loginBadIP
	loginBadVersion
	loginTooManyConnections
	loginLockedOut
	loginBadMode // SGIP LoginType / SMGP LoginMode not allowed here
	loginRepeated
	loginStale // the authenticator's timestamp is outside gateway.login_max_skew
)

var loginStatusNames = [...]string{"ok", "unknown_account", "bad_credentials", "bad_ip", "bad_version",
	"too_many_connections", "locked_out", "bad_mode", "repeated", "stale_timestamp"}

func (s loginStatus) String() string { return loginStatusNames[s] }

// loginRequest is a decoded SP (or SMG type-2) login.
type loginRequest struct {
	name    string // account login: CMPP Source_Addr, SGIP Login Name, SMGP ClientID
	version uint8  // CMPP Version / SMGP ClientVersion; 0 for SGIP
	mode    uint8  // SGIP LoginType, SMGP LoginMode; CMPP: 2 (both directions)
	ts      uint32 // MMDDhhmmss the authenticator was made with (CMPP, SMGP); 0 for SGIP
	pdu     any    // the decoded PDU, for verify and the response
}

// moMessage is an MO spsmg builds itself (Noti_SP, SEEDS 000 step 10).
type moMessage struct {
	User        string // sender MSISDN
	SPNumber    string // number the MO is addressed to (the SP's access number)
	ServiceCode string
	Text        string
	LinkID      string
	MsgID       uint64 // id spsmg gives the Deliver (CMPP/SMGP)
}

// originMT is an MT spsmg originates itself (web codes, Noti_User).
type originMT struct {
	SPNumber    string // source: the portal number (+ ID)
	User        string
	ServiceCode string
	Text        string
	CorpID      string
	NeedReport  bool
}

// dialect is what the proxy needs to know about one protocol. Each method
// is pure: it reads and writes bytes and keeps no state, so one value
// serves every loop. Implementations: dialect_sgip.go, dialect_cmpp.go,
// dialect_smgp.go.
type dialect interface {
	proto() config.Protocol
	seqLen() int
	framer(maxFrameSize int) codec.Framer
	parseView(frame []byte, v *codec.View) error
	hasActiveTest() bool

	// makeSeq builds the sequence of a request spsmg sends: SGIP puts the
	// node id and time before the counter.
	makeSeq(node uint32, mmddhhmmss uint32, counter uint32) wireSeq

	// appendResp appends the response to request v with result (any
	// request kind spsmg answers itself: Submit refusals, Deliver/Report
	// acks, active tests, logouts). A Submit_Resp refusal carries a zero
	// message id.
	appendResp(dst []byte, v *codec.View, result uint32) []byte
	appendActiveTest(dst []byte, seq wireSeq) []byte
	appendLogout(dst []byte, seq wireSeq) []byte

	// SP side of a login.
	decodeLogin(frame []byte) (loginRequest, error)
	verifyLogin(req *loginRequest, secret string) bool
	appendLoginResp(dst []byte, frame []byte, req *loginRequest, st loginStatus, secret string) []byte

	// spsmg's own login: to the SMG (upstream bind) or, for SGIP, to an SP
	// receiver (type 2).
	appendLogin(dst []byte, seq wireSeq, login, secret string, mode uint8, now time.Time) []byte

	// Messages spsmg builds itself.
	appendMO(dst []byte, seq wireSeq, mo *moMessage) []byte
	appendSubmit(dst []byte, seq wireSeq, mt *originMT) []byte

	// setLinkID writes linkID into the frame's LinkID slot and returns the
	// frame, grown when the protocol has no slot yet (SMGP: a TLV is
	// appended). frame must be spsmg's own copy.
	setLinkID(frame []byte, v *codec.View, linkID string) []byte

	// msgIDAt appends the id of recipient i of a Submit whose response
	// carried msgID (CMPP: +i; SMGP: BCD sequence +i). SGIP has no
	// message ids: reports refer to the Submit's sequence.
	msgIDAt(dst []byte, msgID []byte, i int) []byte

	// resultOK reports whether a response's result means success.
	loginResultOK(v *codec.View) bool
}

// dialectFor returns the dialect of a configured protocol.
func dialectFor(p config.Protocol) (dialect, error) {
	switch p.Family() {
	case "sgip":
		return sgipDialect{}, nil
	case "cmpp":
		return cmppDialect{p: p, v: cmpp.Version(p.Version())}, nil
	case "smgp":
		return smgpDialect{p: p, v: smgp.Version(p.Version())}, nil
	}
	return nil, fmt.Errorf("proxy: unknown protocol %q", p)
}
