package smg

import (
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/sgip"
)

// sgipFrame handles one SGIP frame on a type-1 connection an SP opened
// (sgip12.md). Reader only.
func (c *conn) sgipFrame(f []byte) error {
	v := &c.view
	err := sgip.ParseView(f, v)
	if err != nil {
		if v.Kind == codec.KindSubmit && c.loggedIn {
			// A readable header: answer "parameter format error" (§6).
			*c.respBuf() = sgip.AppendResp(*c.respBuf(), sgip.CmdSubmit, sgip.SequenceOf(f), uint8(sgip.BadParameter))
			c.counted(0, uint32(sgip.BadParameter))
			return nil
		}
		return err
	}
	seq := sgip.SequenceOf(f)
	if !c.loggedIn && v.Kind != codec.KindLogin {
		return errProtocol
	}
	switch v.Kind {
	case codec.KindSubmit:
		if c.dropSubmits {
			c.s.st.submitsDropped.Add(1)
			return nil
		}
		c.sgipSubmit(f, v, seq)
	case codec.KindLogin:
		if c.loggedIn {
			c.out = sgip.AppendResp(c.out, sgip.CmdBind, seq, uint8(sgip.RepeatedLogin))
			return nil
		}
		return c.sgipBind(f, seq)
	case codec.KindLogout:
		c.out = sgip.AppendResp(c.out, sgip.CmdUnbind, seq, 0)
		c.finish(closeLogout)
	case codec.KindLogoutResp:
		c.finish(closeLogout)
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
		// Valid commands this side of the link does not take: an error
		// result, not a close (§2).
		c.out = sgip.AppendResp(c.out, sgip.CommandID(v.Command), seq, uint8(sgip.NotProvided))
	default:
		return errProtocol
	}
	return nil
}

// sgipSubmit answers a Submit; its sequence is the message's identity
// (§3), so Submit_Resp has no id. ReportFlag 1 and 3 always get a report,
// 0 only when the report is not DELIVRD ("on final error"), 2 never; and
// only with a ReceiverAddr to send it to.
func (c *conn) sgipSubmit(f []byte, v *codec.View, seq sgip.Sequence) {
	s := c.s
	var result uint32
	if c.result != nil {
		result = c.result(v)
	}
	buf := c.respBuf()
	*buf = sgip.AppendResp(*buf, sgip.CmdSubmit, seq, uint8(result))
	c.counted(v.DestCount, result)
	if result == 0 && v.NeedReport && s.cfg.ReceiverAddr != "" {
		// ReportFlag sits after the recipients: body offset 106 + 21·N
		// (§4 Submit); ParseView has checked the frame is long enough.
		flag := f[sgip.HeaderLen+106+21*v.DestCount]
		stat := *s.reportStat.Load()
		if flag != sgip.ReportFlagOnError || stat != "DELIVRD" {
			c.sgipReports(v, seq, stat)
		}
	}
	if s.recording {
		c.record(v, f[8:sgip.HeaderLen], result)
	}
}

// sgipReports makes one Report per recipient quoting the Submit's
// sequence (§4 Report), to go over the type-2 connection.
func (c *conn) sgipReports(v *codec.View, seq sgip.Sequence, stat string) {
	s := c.s
	state, code := sgipState(stat)
	r := &c.sreport
	*r = sgip.Report{SubmitSequenceNumber: seq, ReportType: sgip.ReportTypeSubmit, State: state, ErrorCode: code}
	for i := range v.DestCount {
		rseq := s.sgipNext()
		r.UserNumber = c.str.dest(v.Dest(i))
		off := len(c.reps)
		c.reps = sgip.Append(c.reps, rseq, r)
		c.repItems = append(c.repItems, outItem{key: sgipKey(rseq), off: off, end: len(c.reps)})
	}
}

// sgipState maps a CMPP/SMGP-style Stat to SGIP State and ErrorCode
// (§4 Report: 0 delivered; 1 ENROUTE, ACCEPTED; 2 the final failures).
func sgipState(stat string) (uint8, sgip.Result) {
	switch stat {
	case "DELIVRD":
		return sgip.StateDelivered, sgip.OK
	case "ACCEPTD", "ENROUTE":
		return sgip.StateWaiting, sgip.OK
	}
	return sgip.StateFailed, sgip.UnknownUser
}

// sgipBind answers a Bind (§4): Login Type 1 with a configured name and
// password; RefuseLogins and bad credentials get 1, other login types 4.
func (c *conn) sgipBind(f []byte, seq sgip.Sequence) error {
	s := c.s
	_, p, err := sgip.Decode(f)
	if err != nil {
		return err
	}
	b := p.(*sgip.Bind)
	password, known := s.cfg.Accounts[b.LoginName]
	result := sgip.OK
	switch {
	case s.refuse.Load():
		result = sgip.IllegalLogin
	case b.LoginType != sgip.LoginSPToSMG:
		result = sgip.WrongLoginType
	case !known || !b.Verify(b.LoginName, password):
		result = sgip.IllegalLogin
	}
	c.out = sgip.AppendResp(c.out, sgip.CmdBind, seq, uint8(result))
	if result != sgip.OK {
		s.st.loginsRefused.Add(1)
		s.log.Debug("smg: SGIP bind refused", "login", b.LoginName, "result", result.String())
		c.finish(closeLoginRefused)
		return nil
	}
	c.loggedInAs(b.LoginName, false)
	return nil
}

// sgipReceiverFrame handles a frame on the type-2 connection the SMG
// dialled: responses to its Deliver and Report, and Unbind.
func (c *conn) sgipReceiverFrame(f []byte) error {
	s := c.s
	v := &c.view
	if err := sgip.ParseView(f, v); err != nil {
		return err
	}
	switch v.Kind {
	case codec.KindDeliverResp, codec.KindReportResp, codec.KindUserRptResp:
		var k dkey
		copy(k[:], v.Sequence)
		s.trk.ack(s, k, v.Result)
	case codec.KindLogout:
		c.out = sgip.AppendResp(c.out, sgip.CmdUnbind, sgip.SequenceOf(f), 0)
		c.finish(closeLogout)
	case codec.KindLogoutResp:
		c.finish(closeLogout)
	default:
		return errProtocol
	}
	return nil
}
