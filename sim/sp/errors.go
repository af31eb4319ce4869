package sp

import (
	"errors"
	"strconv"

	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
	"github.com/spsmg/spsmg/config"
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

	// ErrNoActiveTest: SGIP has no keep-alive command (sgip12.md §2).
	ErrNoActiveTest = errors.New("sp: SGIP has no active test")

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
	Protocol config.Protocol
	Status   uint32
}

func (e *LoginError) Error() string {
	return "sp: " + string(e.Protocol) + " login refused: status " +
		strconv.FormatUint(uint64(e.Status), 10) + " (" + statusText(e.Protocol, e.Status, true) + ")"
}

// statusText names a result code of protocol p. login selects the login
// status table (CMPP Connect_Resp Status differs from Submit_Resp Result).
func statusText(p config.Protocol, code uint32, login bool) string {
	switch p.Family() {
	case "cmpp":
		if login {
			return cmpp.ConnectStatus(code).String()
		}
		return cmpp.Result(code).String()
	case "smgp":
		return smgp.Status(code).String()
	case "sgip":
		if code > 255 {
			return "result " + strconv.FormatUint(uint64(code), 10)
		}
		return sgip.Result(code).String()
	}
	return "unknown"
}

// ResultText names a Submit_Resp result code of protocol p in the spec's
// words, e.g. "flow control error" for CMPP 8; for reports and logs.
func ResultText(p config.Protocol, result uint32) string {
	return statusText(p, result, false)
}
