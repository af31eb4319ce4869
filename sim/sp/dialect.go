package sp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/spsmg/spsmg/codec"
	dialects "github.com/spsmg/spsmg/codec/dialect"
)

// dialect is the protocol the simulator speaks: its codec.Dialect, with
// the framer and the sequence layout read out once. Stateless; safe for
// concurrent use.
type dialect struct {
	codec.Dialect
	proto  codec.Protocol
	framer codec.Framer
	seq    codec.SeqLayout
}

// newDialect is p's Dialect, or variant when it is set (an SMPP Dialect
// with a LinkID TLV, say), which must speak p when p is set.
func newDialect(p codec.Protocol, variant codec.Dialect) (*dialect, error) {
	d := variant
	if d == nil {
		d = dialects.For(p)
	} else if p != codec.ProtocolUnknown && p != d.Protocol() {
		return nil, fmt.Errorf("%w: Dialect speaks %s, Protocol is %s", ErrBadConfig, d.Protocol(), p)
	}
	if d == nil {
		return nil, fmt.Errorf("%w: protocol %q (want one of %v)", ErrBadConfig, p, dialects.Protocols())
	}
	return &dialect{Dialect: d, proto: d.Protocol(), framer: d.Framer(0), seq: d.Seq()}, nil
}

// headerLen is the size of the protocol's header.
func (d *dialect) headerLen() int { return d.framer.HeaderLen }

// termIDLen is the width of one recipient slot of a Submit: the stride of
// View.Dest, read from a one-recipient Submit.
func (d *dialect) termIDLen() int {
	var s seqNo
	f := d.AppendSubmit(nil, s.field(d), &codec.Submit{Dests: []string{"1"}})
	var v codec.View
	if d.ParseView(f, &v) != nil {
		return 0
	}
	return len(v.DestField(0))
}

// seqNo is the sequence of a request: the whole field as it goes on the
// wire (4 bytes, SGIP 12), and n, its counter, the field's last 4 bytes in
// every protocol. A response is matched on n and then compared whole.
type seqNo struct {
	n uint32
	b [codec.MaxSeqLen]byte
}

// newSeq makes the sequence with counter n; SGIP puts node and time before
// it.
func (d *dialect) newSeq(node, ts, n uint32) seqNo {
	s := seqNo{n: n}
	d.PutSeq(s.b[:d.seq.Len], node, ts, n)
	return s
}

// withCounter is s with counter n: the same node and time.
func (d *dialect) withCounter(s seqNo, n uint32) seqNo {
	s.n = n
	binary.BigEndian.PutUint32(s.b[d.seq.Len-4:d.seq.Len], n)
	return s
}

// field is s as the builders take it.
func (s *seqNo) field(d *dialect) []byte { return s.b[:d.seq.Len] }

// sameSeq compares two sequences whole.
func sameSeq(a, b seqNo) bool { return a == b }

// seqCounter reads the last 4 bytes of a View.Sequence: the CMPP/SMGP
// Sequence_Id or the SGIP counter.
func seqCounter(field []byte) uint32 {
	return binary.BigEndian.Uint32(field[len(field)-4:])
}

// seqOf turns a View.Sequence back into a seqNo (for answering a request).
func (d *dialect) seqOf(field []byte) seqNo {
	s := seqNo{n: seqCounter(field)}
	copy(s.b[:], field)
	return s
}

// seqString prints a sequence for errors: its counter, or the whole field
// in hex when it holds more.
func (d *dialect) seqString(s seqNo) string {
	if d.seq.Len == 4 {
		return fmt.Sprint(s.n)
	}
	return fmt.Sprintf("%x", s.b[:d.seq.Len])
}

// account is what a login needs.
type account struct {
	login, secret string
	mode          codec.LoginMode
}

// appendLogin appends the login request: CMPP Connect (AuthenticatorSource),
// SMGP Login (AuthenticatorClient), SGIP Bind type 1. It returns the login
// as the server reads it, to check the server's answer against.
func (d *dialect) appendLogin(dst []byte, a account, s seqNo, now time.Time) ([]byte, codec.LoginView) {
	start := len(dst)
	dst = d.AppendLogin(dst, s.field(d), &codec.Login{Name: a.login, Secret: a.secret, Mode: a.mode, Time: now})
	sent, _ := d.DecodeLogin(dst[start:])
	return dst, sent
}

// loginResult reads a login response: its status, and whether the server's
// authenticator checks out (always true for SGIP, which has none). A client
// logs a mismatch but does not fail on it (docs/protocols/cmpp.md §15,
// docs/protocols/smgp30.md §4).
func (d *dialect) loginResult(frame []byte, sent *codec.LoginView, secret string) (status uint32, authOK bool, err error) {
	r, err := d.DecodeLoginResp(frame)
	if err != nil {
		return 0, false, fmt.Errorf("sp: %s login: %w", d.proto, err)
	}
	return r.Status, d.VerifyLoginResp(&r, sent, secret), nil
}

// respondTo appends the response to the peer's request v (a logout, an
// active test, a Deliver/Report/UserRpt acknowledgement) with result. Does
// not allocate when dst has room.
func (d *dialect) respondTo(dst []byte, v *codec.View, result uint32) []byte {
	return d.AppendResp(dst, v, result)
}

// appendSubmit builds m into the protocol's Submit and appends the frame.
// login is the CorpID default (CMPP Msg_src is the SP_Id).
func (d *dialect) appendSubmit(dst []byte, s seqNo, m *MT, login string) ([]byte, error) {
	if err := m.check(); err != nil {
		return dst, err
	}
	content, coding, err := m.content()
	if err != nil {
		return dst, err
	}
	corp := m.CorpID
	if corp == "" {
		corp = login
	}
	sub := codec.Submit{
		SPNumber: m.SPNumber, Dests: m.Users, ServiceCode: m.ServiceCode, LinkID: m.LinkID, CorpID: corp,
		Fee: codec.Fee{Payer: codec.PayerSP}, Coding: coding, Content: content, UDHI: m.UDHI,
		NeedReport: m.NeedReport, Priority: m.Priority, PkTotal: m.PkTotal, PkNumber: m.PkNumber,
	}
	return d.AppendSubmit(dst, s.field(d), &sub), nil
}

var errUserCount = errors.New("want 1 to 100 recipients")

func wrapMT(field string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrBadMT, field, err)
}
