package smg

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
)

// Defaults for the Config fields left zero.
const (
	// DefaultGatewayCode is the 6-digit code in the ids the SMG assigns:
	// docs/protocols/smgp30.md §8's example SMGW (area 010, device type 06, index 1), read
	// as the integer 10061 in a CMPP Msg_Id (docs/protocols/cmpp.md §11).
	DefaultGatewayCode = "010061"

	// DefaultSGIPNode is the node id of the commands the SMG originates over
	// SGIP: "1" + area 0100 + index 1, the SMG form 1AAAAX (docs/protocols/sgip12.md §3).
	DefaultSGIPNode = 101001

	// DefaultResendTimeout is how long a Deliver waits for its response
	// before it is sent again: T = 60 s in CMPP and SMGP
	// (docs/protocols/cmpp.md §2, docs/protocols/smgp30.md §1). Tests set a few milliseconds.
	DefaultResendTimeout = 60 * time.Second

	// DefaultMaxResends is N = 3 retries (docs/protocols/cmpp.md §2, docs/protocols/smgp30.md §1).
	DefaultMaxResends = 3

	// DefaultMaxPending bounds the Delivers awaiting acknowledgement that
	// InjectMO and the MO generator may add (reports are bounded by the
	// Submits that ask for them).
	DefaultMaxPending = 100_000

	// DefaultLoginTimeout closes a connection that has not logged in.
	DefaultLoginTimeout = 10 * time.Second

	// readBufSize is the per-connection read buffer: a window of 1024
	// pipelined CMPP 3.0 Submits is about 200 KB, so one read takes a
	// large part of a window and the answers go out in one write.
	readBufSize = 256 << 10
)

// Config configures one simulated SMG. Only Protocol (or Dialect) is
// required.
type Config struct {
	// Protocol is what the SMG speaks: codec.SGIP, codec.CMPP20, CMPP21,
	// CMPP30, SMGP30 or SMGP13. CMPP 2.0 and 2.1 share a layout; a cmpp2
	// server accepts both version bytes.
	Protocol codec.Protocol

	// Dialect, when set, replaces the Protocol's own codec.Dialect: a
	// variant such as cmpp.NewDialect(cmpp.V30).WithReportForm(cmpp.Report60)
	// for peers that read only the 60-byte CMPP report (gocmpp). Protocol
	// may then be left out.
	Dialect codec.Dialect

	// Addr is the listen address for Start and ListenAndServe, e.g.
	// "127.0.0.1:7890"; "127.0.0.1:0" picks a free port (read it back with
	// Addr). Default "127.0.0.1:0".
	Addr string

	// Accounts are the logins the SMG accepts, login → secret: CMPP
	// Source_Addr → shared secret, SMGP ClientID → shared secret, SGIP
	// Login Name → Login Password (type-1 binds).
	Accounts map[string]string

	// RefuseLogins answers every login with an authentication error (CMPP
	// status 3, SMGP 21, SGIP result 1) and closes. SetRefuseLogins
	// changes it at run time.
	RefuseLogins bool

	// GatewayCode is the 6-digit ISMG/SMGW code in the ids the SMG
	// assigns: the gateway bits of a CMPP Msg_Id (as an integer,
	// docs/protocols/cmpp.md §11) and the first 6 BCD digits of an SMGP
	// MsgID (docs/protocols/smgp30.md §8).
	// Default DefaultGatewayCode.
	GatewayCode string

	// SGIPNode is the node id in the sequence numbers of the commands the
	// SMG originates over SGIP (Bind, Deliver, Report). Default
	// DefaultSGIPNode.
	SGIPNode uint32

	// Delay holds every Submit_Resp back this long, for slow-SMG tests.
	// The connection keeps reading meanwhile; answers are written from a
	// timer. SetDelay changes it at run time.
	Delay time.Duration

	// SubmitResult chooses the result (CMPP Result, SMGP Status, SGIP
	// Result) of each Submit; nil answers 0. It runs on the connection's
	// goroutine with a view of the Submit that is valid only during the
	// call; keep it short. SetSubmitResult changes it at run time.
	SubmitResult func(v *codec.View) uint32

	// ReportDelay is how long after its Submit_Resp a status report is
	// sent; 0 sends it in the same write. SetReportDelay.
	ReportDelay time.Duration

	// ReportStat is the Stat of every report (CMPP/SMGP), e.g. "UNDELIV";
	// default "DELIVRD". SGIP maps it to State/ErrorCode: DELIVRD → 0/0,
	// ACCEPTD and ENROUTE → 1/0, anything else → 2/29 (unknown user).
	// SMGP's err is 000 for DELIVRD, 001 EXPIRED, 006 UNDELIV, 999
	// otherwise. SetReportStat.
	ReportStat string

	// ReceiverAddr is where the SMG delivers MO and reports when its
	// protocol carries them on connections of their own (SGIP, Dialect
	// SplitConnections): the gateway's inbound listener, which the SMG
	// dials and logs in to (SGIP Bind, Login Type 2) as ReceiverLogin /
	// ReceiverPassword (docs/protocols/sgip12.md §2). The connection is made when there is
	// something to send and remade when lost.
	ReceiverAddr     string
	ReceiverLogin    string
	ReceiverPassword string

	// ResendTimeout is how long a Deliver or Report waits for its
	// response before it is sent again. Default DefaultResendTimeout.
	ResendTimeout time.Duration

	// MaxResends is how many times a Deliver is sent again before the SMG
	// gives up on it (Stats.Expired). 0 means DefaultMaxResends; negative
	// means never give up.
	MaxResends int

	// MaxPending bounds the unacknowledged Delivers InjectMO and the MO
	// generator may add. Default DefaultMaxPending.
	MaxPending int

	// MORate generates this many MO messages a second from MOTemplate
	// (0: none). SetMORate changes it at run time.
	MORate     float64
	MOTemplate MO

	// SubmitLog is how many recent Submits Submits() keeps. 0 keeps none:
	// the Submit path then allocates nothing.
	SubmitLog int

	// OnSubmit, when set, is called with a summary of every Submit, on the
	// connection's goroutine (keep it short; the summary is the callee's).
	OnSubmit func(SubmitInfo)

	// AfterSubmitResps, when set, is called after each write that carried
	// Submit_Resps, with how many, on the goroutine that wrote them (keep
	// it short). A crash test kills the gateway from it: the gateway then
	// dies with the answers in its socket, read or not, but not relayed.
	AfterSubmitResps func(n int)

	// ActiveTestInterval makes the SMG send its own Active_Test on every
	// logged-in connection this often (CMPP and SMGP; 0: never).
	// SetActiveTestInterval changes it at run time.
	ActiveTestInterval time.Duration

	// MaxFrameSize caps frames; 0 means codec.DefaultMaxFrameSize.
	MaxFrameSize int

	// LoginTimeout closes a connection that has not logged in this long
	// after it was accepted. Default DefaultLoginTimeout.
	LoginTimeout time.Duration

	// Logger receives connection events at Debug and the lifecycle at
	// Info; nil means slog.Default().
	Logger *slog.Logger
}

// normalize fills defaults and checks the values.
func (c *Config) normalize() error {
	if c.Dialect == nil {
		c.Dialect = dialect.For(c.Protocol)
	}
	if c.Dialect == nil {
		return fmt.Errorf("smg: protocol %q: want one of %v", c.Protocol, dialect.Protocols())
	}
	if c.Protocol == codec.ProtocolUnknown {
		c.Protocol = c.Dialect.Protocol()
	}
	if c.Protocol != c.Dialect.Protocol() {
		return fmt.Errorf("smg: Dialect speaks %s, Protocol is %s", c.Dialect.Protocol(), c.Protocol)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.GatewayCode == "" {
		c.GatewayCode = DefaultGatewayCode
	}
	if len(c.GatewayCode) != 6 {
		return fmt.Errorf("smg: gateway code %q: want 6 digits", c.GatewayCode)
	}
	for _, d := range []byte(c.GatewayCode) {
		if d < '0' || d > '9' {
			return fmt.Errorf("smg: gateway code %q: want 6 digits", c.GatewayCode)
		}
	}
	if c.SGIPNode == 0 {
		c.SGIPNode = DefaultSGIPNode
	}
	if c.ReportStat == "" {
		c.ReportStat = "DELIVRD"
	}
	if c.Dialect.SplitConnections() && c.ReceiverAddr != "" && c.ReceiverLogin == "" {
		return errors.New("smg: ReceiverAddr needs ReceiverLogin")
	}
	if c.ResendTimeout <= 0 {
		c.ResendTimeout = DefaultResendTimeout
	}
	if c.MaxResends == 0 {
		c.MaxResends = DefaultMaxResends
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = DefaultLoginTimeout
	}
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = codec.DefaultMaxFrameSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	accounts := make(map[string]string, len(c.Accounts))
	for k, v := range c.Accounts {
		accounts[k] = v
	}
	c.Accounts = accounts // our own copy: read by every connection
	return nil
}
