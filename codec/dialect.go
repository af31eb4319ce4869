package codec

import (
	"time"

	"github.com/spsmg/spsmg/reason"
)

// Wire is what every protocol package offers, whether or not spsmg serves
// the protocol on its faces: its identity, its framing, the zero-copy View,
// and the typed decoding the decode tool prints. A Dialect is a Wire plus
// everything the gateway, the simulators and the tests need.
//
// Implementations are stateless values, safe for concurrent use.
type Wire interface {
	// Protocol is the protocol version this value speaks.
	Protocol() Protocol

	// Framer splits a stream into frames; maxFrameSize 0 means
	// DefaultMaxFrameSize.
	Framer(maxFrameSize int) Framer

	// ParseView reads frame into v without copying or allocating (see
	// View). On error v still holds what the header gave (Kind, Command,
	// Sequence) when the header could be read.
	ParseView(frame []byte, v *View) error

	// Seq says where a header's sequence field is and how long it is. Every
	// protocol ends the field with a 4-byte big-endian counter.
	Seq() SeqLayout

	// Decode reads one whole frame into the typed PDU of its command, for
	// people (the decode tool): the header, the command's name, the body,
	// and the message it carries.
	Decode(frame []byte) (Decoded, error)

	// DecodeReportBody reads a status report given as a body alone, as logs
	// print it: CMPP's report struct in a Deliver's Msg_Content, SMGP's
	// report text, SMPP's receipt text. ErrNoReportBody for a protocol whose
	// reports are commands of their own (SGIP).
	DecodeReportBody(body []byte) (any, error)

	// CommandOf returns the command id of a request kind (KindSubmit →
	// CMPP_SUBMIT), and false when the protocol has no such command.
	CommandOf(k Kind) (uint32, bool)
}

// Dialect is everything spsmg needs to know about one protocol version:
// the framing and sequence layout (Wire), the rules that differ between
// protocols, the refusal table, and builders and readers that work on
// protocol-neutral values (Login, Submit, Deliver, Report). Nothing outside
// the codec packages switches on a protocol's name: it asks the Dialect.
//
// Every method is pure (it reads and writes bytes and keeps no state), so
// one value serves every goroutine. Builders append one whole frame to dst
// and do not allocate when dst has room, unless their doc says otherwise.
//
// seq arguments are a sequence field as it goes on the wire: Seq().Len
// bytes, as PutSeq writes them or as View.Sequence holds them.
type Dialect interface {
	Wire

	// Version is the version byte the protocol writes in its login (CMPP
	// Version, SMGP ClientVersion); 0 when it has none (SGIP).
	Version() uint8

	// AcceptsVersion reports whether a peer logging in with version v may
	// use this dialect: frames are forwarded without translation, so the
	// layouts must match (CMPP 2.0 and 2.1 share one).
	AcceptsVersion(v uint8) bool

	// AcceptsLoginMode reports whether an SP may log in to spsmg's SP
	// listener with mode m (SGIP: only the MT direction; SMGP: any of its
	// three modes; CMPP has no mode and always reads as LoginBoth).
	AcceptsLoginMode(m LoginMode) bool

	// SplitConnections: MT and deliveries (MO, reports) travel on separate
	// connections, each dialled by the side that sends on it (SGIP). The
	// SMG then binds to spsmg for deliveries, and spsmg binds to each SP's
	// own receiver. Otherwise deliveries come back on the connection that
	// logged in, when its LoginMode carries them.
	SplitConnections() bool

	// HasActiveTest: the protocol has a keep-alive request (CMPP and SMGP
	// Active_Test); without one an idle connection is closed.
	HasActiveTest() bool

	// ResendTimeout is the spec's wait for a response before a request is
	// resent: 30 s in SGIP, T = 60 s in CMPP and SMGP. spsmg's default
	// response timeout.
	ResendTimeout() time.Duration

	// SubmitIDIsSeq: the identity of an MT, which its status reports quote,
	// is the sequence its Submit was sent with (SGIP): known when the
	// Submit leaves. Otherwise it is the message id the Submit_Resp brings.
	SubmitIDIsSeq() bool

	// UserNumber is how the protocol writes a user's number given in
	// national form (13800138000): SGIP puts the 86 country prefix before
	// an 11-digit mobile number. Builders write numbers as they are given.
	UserNumber(n string) string

	// LinkIDWidth is the width of the slot a LinkID travels in: the 8-byte
	// Reserve of SGIP and CMPP 2.x, 20 bytes in CMPP 3.0 and SMGP.
	LinkIDWidth() int

	// LoginField names the field an account's login travels in and its
	// width: a longer login would be cut on the wire.
	LoginField() (name string, width int)

	// SecretField names the field a secret travels in as it is, and its
	// width (SMPP password, 8): a longer secret could never be sent. Width
	// 0 where any length works: CMPP and SMGP send a digest of it, SGIP
	// cuts it at 16 on both sides.
	SecretField() (name string, width int)

	// MaxResult is the largest result a Submit_Resp can carry (1-byte
	// result fields: 255).
	MaxResult() uint32

	// DefaultResults is the result code of each refusal when the
	// configuration does not say otherwise. The versions of one family
	// share it. Allow reasons map to 0.
	DefaultResults() ResultTable

	// NotServedResult is the result a request gets from a peer that does
	// not serve its command on this connection (an SMGP Submit on a
	// receive-only login, an SGIP Deliver sent towards the SMG).
	NotServedResult() uint32

	// ResultText names a Submit_Resp result in the spec's words;
	// LoginResultText a login response's status.
	ResultText(code uint32) string
	LoginResultText(code uint32) string

	// PutSeq writes the sequence of a request into dst[:Seq().Len]: the
	// counter, after SGIP's node id and MMDDhhmmss time.
	PutSeq(dst []byte, node, mmddhhmmss, counter uint32)

	// AppendResp appends the response to request v with result: Submit
	// refusals (a zero message id), Deliver, Report and UserRpt
	// acknowledgements (echoing v.MsgID where the protocol does), active
	// tests, logouts, and the pass-through commands the protocol defines.
	// A request the protocol has no response for appends nothing.
	AppendResp(dst []byte, v *View, result uint32) []byte

	// AppendNack appends the answer to a request whose command the
	// protocol does not define (v holds what the header gave): SMPP's
	// generic_nack, after which the session goes on. Nothing where the
	// protocol closes the connection instead (SGIP, CMPP, SMGP), or when v
	// has no sequence.
	AppendNack(dst []byte, v *View) []byte

	// AppendSubmitResp appends a Submit_Resp carrying msgID (the SMG's id
	// for the MT: CMPP 8 bytes, SMGP 10, right-aligned; ignored by SGIP).
	AppendSubmitResp(dst []byte, seq []byte, msgID []byte, result uint32) []byte

	// AppendActiveTest appends a keep-alive request; nothing when the
	// protocol has none (HasActiveTest).
	AppendActiveTest(dst []byte, seq []byte) []byte

	// AppendLogout appends the request that ends a session (CMPP
	// Terminate, SMGP Exit, SGIP Unbind).
	AppendLogout(dst []byte, seq []byte) []byte

	// AppendLogin appends a login request (CMPP Connect, SMGP Login, SGIP
	// Bind) with its authenticator.
	AppendLogin(dst []byte, seq []byte, l *Login) []byte

	// DecodeLogin reads a login request. It allocates (logins are rare).
	DecodeLogin(frame []byte) (LoginView, error)

	// VerifyLogin reports whether l proves secret (constant-time).
	VerifyLogin(l *LoginView, secret string) bool

	// AppendLoginResp appends the answer to login l with status st; when st
	// is LoginOK it carries the server's authenticator for secret where
	// the protocol has one.
	AppendLoginResp(dst []byte, seq []byte, l *LoginView, st LoginStatus, secret string) []byte

	// DecodeLoginResp reads a login response. It allocates.
	DecodeLoginResp(frame []byte) (LoginResp, error)

	// VerifyLoginResp reports whether r's server authenticator answers the
	// login l that was sent, under secret; true when the protocol has none.
	// A client logs a mismatch but does not fail on it.
	VerifyLoginResp(r *LoginResp, l *LoginView, secret string) bool

	// AppendSubmit appends an MT Submit.
	AppendSubmit(dst []byte, seq []byte, s *Submit) []byte

	// AppendDeliver appends an MO Deliver.
	AppendDeliver(dst []byte, seq []byte, d *Deliver) []byte

	// AppendReport appends a status report: a Deliver marked as a report
	// (CMPP, SMGP) or a Report command (SGIP).
	AppendReport(dst []byte, seq []byte, r *Report) []byte

	// DecodeDelivery reads a Deliver (MO or report), a Report or a UserRpt
	// into out. It allocates: out owns its memory.
	DecodeDelivery(frame []byte, out *Delivery) error

	// SetLinkID writes linkID into the LinkID slot of the frame v was
	// parsed from and returns the frame, grown when the protocol has no
	// slot yet (SMGP: a TLV is appended, and a new frame allocated). frame
	// must be the caller's own copy.
	SetLinkID(frame []byte, v *View, linkID string) []byte

	// AppendMsgIDAt appends the id of recipient i of a Submit whose
	// Submit_Resp carried msgID (CMPP: +i; SMGP: BCD sequence +i). Where
	// SubmitIDIsSeq, msgID is the Submit's sequence and is appended as it
	// is: one id for every recipient.
	AppendMsgIDAt(dst []byte, msgID []byte, i int) []byte

	// MsgIDs returns the maker of the message ids an SMG gives Submits and
	// Delivers, for gateway code gateway (a number, e.g. "000001"); nil
	// where SubmitIDIsSeq (SGIP has no message ids).
	MsgIDs(gateway string) MsgIDMaker
}

// SeqLayout is where a header's sequence field is.
type SeqLayout struct {
	Offset int // from the start of the frame: 8 in SGIP, CMPP and SMGP, 12 in SMPP
	Len    int // 4 bytes; 12 in SGIP (node id, time, counter)
}

// MaxSeqLen is the longest sequence field of any protocol (SGIP's 12).
const MaxSeqLen = 12

// ResultTable gives a protocol's Submit_Resp result for each reason.
type ResultTable [reason.Count]uint32

// Result returns the code of r.
func (t ResultTable) Result(r reason.Reason) uint32 {
	if r < reason.Count {
		return t[r]
	}
	return 0
}

// MsgIDMaker makes the message ids an SMG assigns (the simulated SMG's
// Submit_Resp and Deliver ids). Stamp sets the time the following ids
// carry: the time parts are computed once, and an SMG calls it when the
// second changes. Append appends the id of counter value n; ids are unique
// while n is (within the format's own limits). A maker holds the stamped
// time: one per goroutine.
type MsgIDMaker interface {
	Stamp(t time.Time)
	Append(dst []byte, n uint64) []byte
}

// PutSlot writes s into a fixed-width field in place, cut to its width and
// NUL-padded: a LinkID into View.LinkIDField.
func PutSlot(field []byte, s string) {
	n := copy(field, s)
	clear(field[n:])
}

// Uint64Of reads b as a big-endian integer, right-aligned: the last 8
// bytes when b is longer, 0 for an empty b. Dialects read message ids
// handed to them as bytes with it.
func Uint64Of(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// Uint32Of reads a 4-byte sequence field; 0 when b is shorter.
func Uint32Of(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
