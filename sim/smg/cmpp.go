package smg

import (
	"encoding/binary"
	"strconv"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
)

// cmppFrame handles one CMPP frame from an SP (cmpp.md). Reader only.
func (c *conn) cmppFrame(f []byte) error {
	s := c.s
	v := &c.view
	err := cmpp.ParseView(f, s.cver, v)
	seq := cmpp.SequenceOf(f)
	if err != nil {
		if v.Kind == codec.KindSubmit && c.loggedIn {
			// A readable header: answer "message structure error" (§12.2).
			*c.respBuf() = cmpp.AppendSubmitResp(*c.respBuf(), s.cver, seq, 0, cmpp.ResultBadStructure)
			c.counted(0, uint32(cmpp.ResultBadStructure))
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
		c.cmppSubmit(f, v, seq)
	case codec.KindDeliverResp:
		var k dkey
		copy(k[:], v.MsgID)
		s.trk.ack(s, k, v.Result)
	case codec.KindActiveTest:
		c.out = cmpp.AppendActiveTestResp(c.out, seq)
		s.st.activeTests.Add(1)
	case codec.KindActiveTestResp:
	case codec.KindLogin:
		if c.loggedIn {
			return errProtocol
		}
		return c.cmppConnect(f, seq)
	case codec.KindLogout:
		c.out = cmpp.AppendTerminateResp(c.out, seq)
		c.finish(closeLogout)
	case codec.KindLogoutResp:
		c.finish(closeLogout)
	case codec.KindOther:
		return c.cmppOther(f, seq)
	default:
		return errProtocol
	}
	return nil
}

// cmppSubmit answers a Submit: a fresh Msg_Id covering its recipients
// (§8, §11), the chosen result, and the reports it asked for.
func (c *conn) cmppSubmit(f []byte, v *codec.View, seq uint32) {
	var result uint32
	if c.result != nil {
		result = c.result(v)
	}
	id := c.s.cmppID(c.cmppBits, c.takeIDs(v.DestCount))
	buf := c.respBuf()
	*buf = cmpp.AppendSubmitResp(*buf, c.s.cver, seq, id, cmpp.Result(result))
	c.counted(v.DestCount, result)
	if result == 0 && v.NeedReport {
		c.cmppReports(v, id)
	}
	if c.s.recording {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], id)
		c.record(v, b[:], result)
	}
}

// cmppReports makes one status report per recipient: a Deliver with
// Registered_Delivery 1 whose body names Msg_Id+i (§9.1, §9.3), from the
// Submit's Src_Id and Service_Id to the recipient.
func (c *conn) cmppReports(v *codec.View, id uint64) {
	s := c.s
	stat := *s.reportStat.Load()
	ts := c.reportTS()
	d := &c.cdeliver
	*d = cmpp.Deliver{DestID: c.str.sp(v.SPNumber), ServiceID: c.str.service(v.ServiceCode), RegisteredDelivery: 1}
	for i := range v.DestCount {
		rid := s.cmppID(c.cmppBits, c.takeIDs(1))
		d.MsgID = rid
		d.SrcTerminalID = c.str.dest(v.Dest(i))
		rep := cmpp.Report{MsgID: cmpp.MsgIDAdd(id, i), Stat: stat, SubmitTime: ts, DoneTime: ts,
			DestTerminalID: d.SrcTerminalID, SMSCSequence: uint32(rid), Form: s.cfg.CMPPReportForm}
		c.scratch = rep.Append(c.scratch[:0], s.cver)
		d.MsgContent = c.scratch
		off := len(c.reps)
		c.reps = cmpp.Append(c.reps, s.cver, s.seq.Add(1), d)
		var k dkey
		binary.BigEndian.PutUint64(k[:], rid)
		c.repItems = append(c.repItems, outItem{key: k, off: off, end: len(c.reps)})
	}
}

// cmppConnect answers CMPP_CONNECT (§5): status 2 for an unknown
// Source_Addr, 3 for a wrong authenticator or RefuseLogins, 4 for a
// version of another layout family; the answer is in the server's layout.
func (c *conn) cmppConnect(f []byte, seq uint32) error {
	s := c.s
	_, p, err := cmpp.Decode(f, s.cver)
	if err != nil {
		return err
	}
	req := p.(*cmpp.Connect)
	secret, known := s.cfg.Accounts[req.SourceAddr]
	status := cmpp.ConnectOK
	switch {
	case s.refuse.Load():
		status = cmpp.ConnectAuthFailed
	case !known:
		status = cmpp.ConnectBadSourceAddr
	case !cmpp.VerifyAuthenticatorSource(req, secret):
		status = cmpp.ConnectAuthFailed
	case req.Version.Family() != s.cver.Family():
		status = cmpp.ConnectVersionTooHigh
	}
	c.out = cmpp.Append(c.out, s.cver, seq, cmpp.NewConnectResp(req, status, secret, s.cver))
	if status != cmpp.ConnectOK {
		s.st.loginsRefused.Add(1)
		s.log.Debug("smg: CMPP login refused", "source_addr", req.SourceAddr, "status", status.String())
		c.finish(closeLoginRefused)
		return nil
	}
	c.loggedInAs(req.SourceAddr, true)
	return nil
}

// cmppOther answers Query with the SMG's counters and Cancel with
// "failed" (the message has already gone), §6.
func (c *conn) cmppOther(f []byte, seq uint32) error {
	s := c.s
	_, p, err := cmpp.Decode(f, s.cver)
	if err != nil {
		return err
	}
	switch q := p.(type) {
	case *cmpp.Query:
		n := uint32(s.st.submits.Load())
		c.out = cmpp.Append(c.out, s.cver, seq, &cmpp.QueryResp{Time: q.Time, QueryType: q.QueryType,
			QueryCode: q.QueryCode, MTTLMsg: n, MTScs: n, MOScs: uint32(s.st.moAcked.Load())})
	case *cmpp.Cancel:
		c.out = cmpp.Append(c.out, s.cver, seq, &cmpp.CancelResp{SuccessID: 1})
	default:
		return errProtocol
	}
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

// reportText is the Txt value of an SMGP report: the original length as 3
// ASCII digits and its first 17 bytes (smgp30.md §9).
func reportText(content []byte) string {
	n := strconv.Itoa(min(len(content), 999))
	for len(n) < 3 {
		n = "0" + n
	}
	return n + string(content[:min(len(content), 17)])
}
