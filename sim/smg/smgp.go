package smg

import (
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/smgp"
)

// smgpFrame handles one SMGP frame from an SP (smgp30.md). Reader only.
func (c *conn) smgpFrame(f []byte) error {
	s := c.s
	v := &c.view
	err := smgp.ParseView(f, s.gver, v)
	seq := smgp.SequenceOf(f)
	if err != nil {
		if v.Kind == codec.KindSubmit && c.loggedIn {
			// A readable header: answer "message structure error" (§11).
			*c.respBuf() = smgp.AppendSubmitResp(*c.respBuf(), seq, nil, smgp.StatusMessageStructureError)
			c.counted(0, uint32(smgp.StatusMessageStructureError))
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
		c.smgpSubmit(v, seq)
	case codec.KindDeliverResp:
		var k dkey
		copy(k[:], v.MsgID)
		s.trk.ack(s, k, v.Result)
	case codec.KindActiveTest:
		c.out = smgp.AppendActiveTestResp(c.out, seq)
		s.st.activeTests.Add(1)
	case codec.KindActiveTestResp:
	case codec.KindLogin:
		if c.loggedIn {
			return errProtocol
		}
		return c.smgpLogin(f, seq)
	case codec.KindLogout:
		c.out = smgp.AppendExitResp(c.out, seq)
		c.finish(closeLogout)
	case codec.KindLogoutResp:
		c.finish(closeLogout)
	case codec.KindOther:
		return c.smgpOther(f, seq)
	default:
		return errProtocol
	}
	return nil
}

// smgpSubmit answers a Submit with a fresh MsgID covering its recipients
// (§5, §8). A Submit on a receive-only connection (LoginMode 1) gets
// status 11, command error.
func (c *conn) smgpSubmit(v *codec.View, seq uint32) {
	var result uint32
	if c.result != nil {
		result = c.result(v)
	}
	if result == 0 && c.loginMod == smgp.LoginModeReceive {
		result = uint32(smgp.StatusCommandError)
	}
	id := smgpID(c.smgpPre, c.takeIDs(v.DestCount))
	buf := c.respBuf()
	*buf = smgp.AppendSubmitResp(*buf, seq, id[:], smgp.Status(result))
	c.counted(v.DestCount, result)
	if result == 0 && v.NeedReport {
		c.smgpReports(v, id)
	}
	if c.s.recording {
		c.record(v, id[:], result)
	}
}

// smgpReports makes one status report per recipient: a Deliver with
// IsReport 1 whose canonical 122-byte text names MsgID+i (§7, §9).
func (c *conn) smgpReports(v *codec.View, id smgp.MsgID) {
	s := c.s
	stat := *s.reportStat.Load()
	rep := smgp.Report{Sub: "001", Dlvrd: "001", SubmitDate: c.reportTS(), DoneDate: c.reportTS(),
		Stat: stat, Err: smgpErr(stat), Text: reportText(v.Content)}
	if stat != smgp.StatDelivered {
		rep.Dlvrd = "000"
	}
	if c.recvTime == "" {
		c.recvTime = c.now.Format("20060102150405")
	}
	d := &c.gdeliver
	*d = smgp.Deliver{IsReport: 1, RecvTime: c.recvTime, DestTermID: c.str.sp(v.SPNumber)}
	for i := range v.DestCount {
		rid := smgpID(c.smgpPre, c.takeIDs(1))
		rep.ID = smgp.MsgIDAdd(id, i)
		c.scratch = rep.Append(c.scratch[:0])
		d.MsgID, d.SrcTermID, d.MsgContent = rid, c.str.dest(v.Dest(i)), c.scratch
		off := len(c.reps)
		c.reps = smgp.Append(c.reps, s.gver, s.seq.Add(1), d)
		var k dkey
		copy(k[:], rid[:])
		c.repItems = append(c.repItems, outItem{key: k, off: off, end: len(c.reps)})
	}
}

// smgpErr is the report's err for a Stat (§9.2).
func smgpErr(stat string) string {
	switch stat {
	case smgp.StatDelivered:
		return "000"
	case smgp.StatExpired:
		return "001"
	case smgp.StatUndeliverable:
		return "006"
	}
	return "999"
}

// smgpLogin answers Login (§3, §4): status 21 for an unknown ClientID, a
// wrong authenticator or RefuseLogins, 22 for another ClientVersion.
// LoginMode 1 and 2 connections receive Deliver; 0 does not.
func (c *conn) smgpLogin(f []byte, seq uint32) error {
	s := c.s
	_, p, err := smgp.Decode(f, s.gver)
	if err != nil {
		return err
	}
	req := p.(*smgp.Login)
	secret, known := s.cfg.Accounts[req.ClientID]
	status := smgp.StatusOK
	switch {
	case s.refuse.Load(), !known, !smgp.VerifyAuthenticatorClient(req, secret):
		status = smgp.StatusAuthError
	case req.ClientVersion != s.gver:
		status = smgp.StatusVersionTooHigh
	case req.LoginMode > smgp.LoginModeTransmit:
		status = smgp.StatusMessageStructureError
	}
	resp := &smgp.LoginResp{Status: status, ServerVersion: s.gver}
	if status == smgp.StatusOK {
		resp.AuthenticatorServer = smgp.AuthenticatorServer(0, req.AuthenticatorClient, secret)
	}
	c.out = smgp.Append(c.out, s.gver, seq, resp)
	if status != smgp.StatusOK {
		s.st.loginsRefused.Add(1)
		s.log.Debug("smg: SMGP login refused", "client_id", req.ClientID, "status", status.String())
		c.finish(closeLoginRefused)
		return nil
	}
	c.loginMod = req.LoginMode
	c.loggedInAs(req.ClientID, req.LoginMode != smgp.LoginModeSend)
	return nil
}

// smgpOther answers Query with the SMG's counters; other pass-through
// commands close the connection.
func (c *conn) smgpOther(f []byte, seq uint32) error {
	s := c.s
	_, p, err := smgp.Decode(f, s.gver)
	if err != nil {
		return err
	}
	q, ok := p.(*smgp.Query)
	if !ok {
		return errProtocol
	}
	n := uint32(s.st.submits.Load())
	c.out = smgp.Append(c.out, s.gver, seq, &smgp.QueryResp{QueryTime: q.QueryTime, QueryType: q.QueryType,
		QueryCode: q.QueryCode, MTTLMsg: n, MTScs: n, MOScs: uint32(s.st.moAcked.Load())})
	return nil
}
