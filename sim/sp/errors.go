package sp

import (
	"errors"
	"strconv"

	"github.com/spsmg/spsmg/codec"
	dialects "github.com/spsmg/spsmg/codec/dialect"
)

// Sentinel errors. Callers act on them with errors.Is.
var (
	// ErrClosed: the Client was closed (by Close, by the peer or by a
	// connection error) before the request was answered.
	ErrClosed = errors.New("sp: connection closed")

	// ErrTimeout: no response arrived within the response timeout.
	ErrTimeout = errors.New("sp: response timeout")

	// ErrPeerLogout: the peer ended the session (CMPP Terminate, SMGP Exit,
	// SGIP Unbind); the Client answered it and closed.
	ErrPeerLogout = errors.New("sp: peer ended the session")

	// ErrUnexpectedResponse: a response carried the sequence of a pending
	// request but the wrong command (e.g. a Deliver_Resp for a Submit).
	ErrUnexpectedResponse = errors.New("sp: response does not answer the request")

	// ErrUnknownSequence: a response carried a sequence that no pending
	// request has. Recorded in ProtocolErrors; the response is dropped.
	ErrUnknownSequence = errors.New("sp: response sequence matches no request")

	// ErrNoActiveTest: the protocol has no keep-alive command (SGIP,
	// docs/protocols/sgip12.md §2).
	ErrNoActiveTest = errors.New("sp: the protocol has no active test")

	// ErrBadMT: the MT cannot be encoded (no recipient, too many, text
	// that its coding cannot carry).
	ErrBadMT = errors.New("sp: bad MT")

	// ErrBadConfig: a ClientConfig or LoadConfig that cannot work.
	ErrBadConfig = errors.New("sp: bad config")
)

// LoginError is a login the server refused: CMPP Connect_Resp Status, SMGP
// Login_Resp Status or SGIP Bind_Resp Result, as it came. Tests assert the
// exact code:
//
//	var le *sp.LoginError
//	if errors.As(err, &le) && le.Status == 3 { … }
type LoginError struct {
	Protocol codec.Protocol
	Status   uint32
}

func (e *LoginError) Error() string {
	text := "unknown"
	if d := dialects.For(e.Protocol); d != nil {
		text = d.LoginResultText(e.Status)
	}
	return "sp: " + e.Protocol.String() + " login refused: status " +
		strconv.FormatUint(uint64(e.Status), 10) + " (" + text + ")"
}

// ResultText names a Submit_Resp result code of protocol p in the spec's
// words, e.g. "flow control error" for CMPP 8; for reports and logs.
func ResultText(p codec.Protocol, result uint32) string {
	if d := dialects.For(p); d != nil {
		return d.ResultText(result)
	}
	return "unknown"
}
