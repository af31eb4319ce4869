package smg

import (
	"time"

	"github.com/spsmg/spsmg/codec"
)

// frame handles one frame on a connection a peer dialled (an SP, or
// spsmg's upstream bind). Reader only. What the protocols do differently
// is the Server's Dialect's: this is the same for all of them.
func (c *conn) frame(f []byte) error {
	s := c.s
	d := s.d
	v := &c.view
	if err := d.ParseView(f, v); err != nil {
		if v.Kind == codec.KindSubmit && c.loggedIn {
			// A readable header: answer the protocol's "malformed" result
			// (CMPP message structure error, SMGP 10, SGIP 5).
			result := s.malformed
			*c.respBuf() = d.AppendResp(*c.respBuf(), v, result)
			c.counted(0, result)
			return nil
		}
		return err
	}
	if !c.loggedIn && v.Kind != codec.KindLogin {
		return errProtocol
	}
	switch v.Kind {
	case codec.KindSubmit:
		if c.dropSubmits {
			s.st.submitsDropped.Add(1)
			return nil
		}
		c.submit(f, v)
	case codec.KindDeliverResp, codec.KindReportResp, codec.KindUserRptResp:
		s.trk.ack(s, deliveryKey(v.Sequence), v.Result)
	case codec.KindActiveTest:
		c.out = d.AppendResp(c.out, v, 0)
		s.st.activeTests.Add(1)
	case codec.KindActiveTestResp:
	case codec.KindLogin:
		if c.loggedIn {
			c.out = d.AppendLoginResp(c.out, v.Sequence, nil, codec.LoginRepeated, "")
			c.finish(closeProtocol)
			return nil
		}
		return c.login(f, v)
	case codec.KindLogout:
		c.out = d.AppendResp(c.out, v, 0)
		c.finish(closeLogout)
	case codec.KindLogoutResp:
		c.finish(closeLogout)
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
		// Valid commands this side of the link does not take: an error
		// result, not a close (docs/protocols/sgip12.md §2).
		c.out = d.AppendResp(c.out, v, d.NotServedResult())
	case codec.KindOther:
		// A defined command the simulator does not interpret (CMPP Query,
		// Cancel): the protocol's empty answer, or a close when it has none.
		n := len(c.out)
		if c.out = d.AppendResp(c.out, v, 0); len(c.out) == n {
			return errProtocol
		}
	default:
		return errProtocol
	}
	return nil
}

// receiverFrame handles a frame on a connection the SMG dialled to deliver
// (SGIP type 2): the answers to its Delivers and Reports, and the logout.
func (c *conn) receiverFrame(f []byte) error {
	s := c.s
	v := &c.view
	if err := s.d.ParseView(f, v); err != nil {
		return err
	}
	switch v.Kind {
	case codec.KindDeliverResp, codec.KindReportResp, codec.KindUserRptResp:
		s.trk.ack(s, deliveryKey(v.Sequence), v.Result)
	case codec.KindLogout:
		c.out = s.d.AppendResp(c.out, v, 0)
		c.finish(closeLogout)
	case codec.KindLogoutResp:
		c.finish(closeLogout)
	default:
		return errProtocol
	}
	return nil
}

// deliveryKey is how a Deliver or Report is known until its answer: its
// header sequence, which the answer carries back in every protocol (and a
// resend keeps, being the same frame).
func deliveryKey(seq []byte) (k dkey) {
	copy(k[:], seq)
	return k
}

// submit answers a Submit: the message id the SMG gives it (none where the
// Submit's sequence is its identity, SGIP), the chosen result, and the
// reports it asked for. A Submit on a connection whose login carries no
// Submits (SMGP LoginMode 1) gets the protocol's "not served" result.
func (c *conn) submit(f []byte, v *codec.View) {
	s := c.s
	d := s.d
	var result uint32
	if c.result != nil {
		result = c.result(v)
	}
	if result == 0 && !c.mode.CarriesSubmits() {
		result = d.NotServedResult()
	}
	id := v.Sequence // SGIP: the Submit's identity
	if c.ids != nil {
		c.idBuf = c.ids.Append(c.idBuf[:0], c.takeIDs(v.DestCount))
		id = c.idBuf
	}
	buf := c.respBuf()
	*buf = d.AppendSubmitResp(*buf, v.Sequence, id, result)
	c.counted(v.DestCount, result)
	if result == 0 && v.NeedReport {
		c.reports(v, id)
	}
	if s.recording {
		c.record(v, id, result)
	}
}

// reports makes one status report per recipient, each quoting the id of
// its recipient (the Submit_Resp id + i; SGIP: the Submit's sequence), from
// the Submit's SP number and service code to the recipient. A Submit that
// wants a report only on failure (SGIP ReportFlag 0) gets none when the
// report says DELIVRD; where reports travel on the SMG's own connection
// (SGIP) and there is none to dial, none is made.
func (c *conn) reports(v *codec.View, id []byte) {
	s := c.s
	d := s.d
	if d.SplitConnections() && s.cfg.ReceiverAddr == "" {
		return
	}
	stat := *s.reportStat.Load()
	if v.ReportOnError && stat == "DELIVRD" {
		return
	}
	if c.recvTime == "" {
		c.recvTime = c.now.Format("20060102150405")
	}
	r := &c.report
	*r = codec.Report{SPNumber: c.str.sp(v.SPNumber), ServiceCode: c.str.service(v.ServiceCode), Stat: stat,
		SubmitTime: c.reportTS(), DoneTime: c.reportTS(), RecvTime: c.recvTime, Text: v.Content}
	for i := range v.DestCount {
		c.subID = d.AppendMsgIDAt(c.subID[:0], id, i)
		r.SubmitID = c.subID
		r.MsgID = nil
		if c.ids != nil {
			c.repID = c.ids.Append(c.repID[:0], c.takeIDs(1))
			r.MsgID = c.repID
		}
		r.User = c.str.dest(v.Dest(i))
		seq := s.putSeq(c.seq[:], c.seqTS)
		off := len(c.reps)
		c.reps = d.AppendReport(c.reps, seq, r)
		c.repItems = append(c.repItems, outItem{key: deliveryKey(seq), off: off, end: len(c.reps)})
	}
}

// login answers a login: the account's secret checked with the protocol's
// authenticator, then its version and mode. CMPP: status 2 for an unknown
// Source_Addr, 3 for a wrong authenticator or RefuseLogins, 4 for a version
// of another layout; SMGP 21, 21, 22, and 10 for an unknown LoginMode; SGIP
// 1, 1, and 4 for a Login Type other than 1. The answer is in the server's
// own layout and version.
func (c *conn) login(f []byte, v *codec.View) error {
	s := c.s
	d := s.d
	l, err := d.DecodeLogin(f)
	if err != nil {
		return err
	}
	secret, known := s.cfg.Accounts[l.Name]
	st := codec.LoginOK
	switch {
	case s.refuse.Load():
		st = codec.LoginBadCredentials
	case !known:
		st = codec.LoginUnknownAccount
	case !d.VerifyLogin(&l, secret):
		st = codec.LoginBadCredentials
	case !d.AcceptsVersion(l.Version):
		st = codec.LoginBadVersion
	case !d.AcceptsLoginMode(l.Mode):
		st = codec.LoginBadMode
	}
	c.out = d.AppendLoginResp(c.out, v.Sequence, &l, st, secret)
	if st != codec.LoginOK {
		s.st.loginsRefused.Add(1)
		s.log.Debug("smg: login refused", "protocol", s.cfg.Protocol.String(), "login", l.Name, "status", st.String())
		c.finish(closeLoginRefused)
		return nil
	}
	c.mode = l.Mode
	c.loggedInAs(l.Name, l.Mode.CarriesDeliveries())
	return nil
}

// record keeps a summary of one Submit for Submits and OnSubmit.
func (c *conn) record(v *codec.View, id []byte, result uint32) {
	s := c.s
	si := newSubmitInfo(c, v, id, result)
	if len(s.subs.ring) > 0 {
		s.subs.add(si)
	}
	if s.cfg.OnSubmit != nil {
		s.cfg.OnSubmit(si)
	}
}

// putSeq writes the sequence of the next request the SMG originates into
// buf and returns it, cut to the protocol's length: a server-wide counter,
// after SGIP's node id and MMDDhhmmss time ts. buf must be on the heap (a
// connection's or a batch's): a stack array handed to the Dialect escapes,
// an allocation per report.
func (s *Server) putSeq(buf []byte, ts uint32) []byte {
	q := buf[:s.seqLen]
	s.d.PutSeq(q, s.cfg.SGIPNode, ts, s.seq.Add(1))
	return q
}

// newSeq is putSeq into a new buffer, for the rare requests (logins,
// logouts, active tests).
func (s *Server) newSeq(now time.Time) []byte {
	return s.putSeq(make([]byte, codec.MaxSeqLen), codec.Timestamp(now))
}
