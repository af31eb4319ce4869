package sgip

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// allCommands is every id of docs/protocols/sgip12.md §5.
var allCommands = []CommandID{
	CmdBind, CmdBindResp, CmdUnbind, CmdUnbindResp, CmdSubmit, CmdSubmitResp,
	CmdDeliver, CmdDeliverResp, CmdReport, CmdReportResp,
	CmdAddSP, CmdAddSPResp, CmdModifySP, CmdModifySPResp, CmdDeleteSP, CmdDeleteSPResp,
	CmdQueryRoute, CmdQueryRouteResp, CmdAddTeleSeg, CmdAddTeleSegResp,
	CmdModifyTeleSeg, CmdModifyTeleSegResp, CmdDeleteTeleSeg, CmdDeleteTeleSegResp,
	CmdAddSMG, CmdAddSMGResp, CmdModifySMG, CmdModifySMGResp, CmdDeleteSMG, CmdDeleteSMGResp,
	CmdCheckUser, CmdCheckUserResp, CmdUserRpt, CmdUserRptResp, CmdTrace, CmdTraceResp,
}

// longSubmit is a segment of a concatenated UCS2 message with two
// recipients, TP_udhi 0x40 (the gateway habit, §10), a LinkID and every
// field set.
func longSubmit() *Submit {
	return &Submit{
		SPNumber:         "10655123456",
		ChargeNumber:     ChargeSP,
		UserNumber:       []string{"8613001125453", "8618657118636"},
		CorpID:           "12345",
		ServiceType:      "DZTZ",
		FeeType:          FeeTypeMonthly,
		FeeValue:         "500",
		GivenValue:       "0",
		AgentFlag:        1,
		MorelatetoMTFlag: MTNotCausedByMO,
		Priority:         3,
		ExpireTime:       "261120203225032+",
		ScheduleTime:     "261120203000032+",
		ReportFlag:       ReportFlagOnError,
		TPPID:            0,
		TPUDHI:           0x40,
		MessageCoding:    8,
		MessageType:      0,
		MessageContent:   codec.Octets{0x05, 0x00, 0x03, 0xa7, 0x02, 0x01, 0x4f, 0x60, 0x59, 0x7d},
		Reserve:          codec.Octets("LK000042"),
	}
}

// samplePDUs has one PDU for every command of §5, with non-zero fields.
func samplePDUs() []PDU {
	ps := []PDU{
		&Bind{LoginType: LoginSMGToSP, LoginName: "smg-unicom-0755", LoginPassword: "0123456789abcdef", Reserve: codec.Octets{1, 2, 3, 4, 5, 6, 7, 8}},
		&Unbind{}, &UnbindResp{},
		longSubmit(),
		&Deliver{UserNumber: "8613800138000", SPNumber: "106551234567", TPPID: 1, TPUDHI: 1, MessageCoding: 15,
			MessageContent: codec.Octets{0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02, 0xc4, 0xe3}, Reserve: codec.Octets("MO1234\x00\x00"), Trailer: codec.Octets("0123456789abcdef0123")},
		&Report{SubmitSequenceNumber: spSeq, ReportType: ReportTypeDeliver, UserNumber: "8613800138000", State: StateFailed, ErrorCode: UnknownUser, Reserve: codec.Octets("RRRRRRRR")},
		&UserRpt{SPNumber: "1065512345", UserNumber: "8613800138000", UserCondition: UserSuspended, Reserve: codec.Octets{0, 0, 0, 0, 0, 0, 0, 9}},
		&Trace{SubmitSequenceNumber: spSeq, UserNumber: "8613800138000"},
		&TraceResp{Nodes: []TraceNode{
			{Result: 0, NodeID: "107550", ReceiveTime: "261120203225", SendTime: "261120203226"},
			{Result: 1, NodeID: "107551", ReceiveTime: "261120203227", Reserve: codec.Octets("node-two")},
		}},
	}
	for _, c := range allCommands {
		switch {
		case c == CmdCheckUser, c == CmdCheckUserResp, isGNS(c):
			ps = append(ps, &Raw{ID: c, Body: codec.Octets{byte(c), 0xff, 0x00, 0x42}})
		case c.IsResponse() && c != CmdUnbindResp && c != CmdTraceResp:
			ps = append(ps, &Resp{ID: c, Result: Result(c & 0x7f), Reserve: codec.Octets("reserve!")})
		}
	}
	return ps
}

func TestSamplesCoverEveryCommand(t *testing.T) {
	have := map[CommandID]bool{}
	for _, p := range samplePDUs() {
		have[p.Command()] = true
	}
	for _, c := range allCommands {
		if !have[c] {
			t.Errorf("no sample PDU for %v", c)
		}
	}
}

// Encode → decode → encode for every command: the same PDU and the same
// bytes. Also through a dst that already holds another frame.
func TestRoundTrip(t *testing.T) {
	seq := Sequence{Node: 3010012345, Time: 1231235959, Counter: 0xffffffff}
	for _, p := range samplePDUs() {
		t.Run(p.Command().String(), func(t *testing.T) {
			frame := Append(nil, seq, p)
			h, got, err := Decode(frame)
			if err != nil {
				t.Fatalf("Decode: %v\n%x", err, frame)
			}
			if h.Command != p.Command() || h.Sequence != seq || h.Length != uint32(len(frame)) {
				t.Errorf("header %+v", h)
			}
			if !reflect.DeepEqual(got, p) {
				t.Errorf("decoded\n  %s\nwant\n  %s", jsonOf(got), jsonOf(p))
			}
			if again := Append(nil, seq, got); !bytes.Equal(again, frame) {
				t.Errorf("re-encoded\n  %x\nwant\n  %x", again, frame)
			}
			prefix := []byte("previous frame")
			both := Append(bytes.Clone(prefix), seq, p)
			if !bytes.Equal(both[:len(prefix)], prefix) || !bytes.Equal(both[len(prefix):], frame) {
				t.Errorf("Append after existing bytes: %x", both)
			}
			checkView(t, frame)
		})
	}
}

// The decoded PDU owns its bytes: reusing the frame does not change it.
func TestDecodeDoesNotAlias(t *testing.T) {
	frame := Append(nil, spSeq, longSubmit())
	_, p, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	clear(frame)
	if !reflect.DeepEqual(p, longSubmit()) {
		t.Errorf("decoded PDU changed with the frame: %s", jsonOf(p))
	}
}

func TestTruncationWalk(t *testing.T) {
	cases := []struct {
		name   string
		frame  []byte
		layout []field
	}{
		{"V1 Submit", codectest.ReadHex(t, "v1-submit-smsgate.hex"), submitLayout(1, 4, 0)},
		{"V4 Submit", codectest.ReadHex(t, "v4-submit-linkid.hex"), submitLayout(1, 4, 0)},
		{"Submit with two recipients and a UDH", Append(nil, spSeq, longSubmit()), submitLayout(2, 10, 0)},
		{"Submit with a trailer", withTrailer(t, longSubmit(), "LINKID-20-BYTES-XXXX"), submitLayout(2, 10, 20)},
		{"Submit with empty content", Append(nil, spSeq, &Submit{UserNumber: []string{"8613800138000"}}), submitLayout(1, 0, 0)},
		{"V5 Deliver", codectest.ReadHex(t, "v5-deliver.hex"), deliverLayout(7, 0)},
		{"Deliver with a trailer", Append(nil, smgSeq, samplePDUs()[4]), deliverLayout(9, 20)},
		{"V2 Bind", codectest.ReadHex(t, "v2-bind.hex"), withHeader(f("Login Type", 1), f("Login Name", 16), f("Login Password", 16), reserve())},
		{"V3 Bind_Resp", codectest.ReadHex(t, "v3-bind-resp.hex"), respLayout()},
		{"Submit_Resp", AppendResp(nil, CmdSubmit, spSeq, 0), respLayout()},
		{"ModifySMG_Resp", AppendResp(nil, CmdModifySMG, spSeq, 0), respLayout()},
		{"V6 Report", codectest.ReadHex(t, "v6-report.hex"), withHeader(f("SubmitSequenceNumber", 12), f("ReportType", 1), f("UserNumber", 21), f("State", 1), f("ErrorCode", 1), reserve())},
		{"V7 Unbind", codectest.ReadHex(t, "v7a-unbind.hex"), headerFields()},
		{"V7 Unbind_Resp", codectest.ReadHex(t, "v7b-unbind-resp.hex"), headerFields()},
		{"UserRpt", Append(nil, smgSeq, &UserRpt{}), withHeader(f("SPNumber", 21), f("UserNumber", 21), f("UserCondition", 1), reserve())},
		{"Trace", Append(nil, spSeq, &Trace{}), withHeader(f("SubmitSequenceNumber", 12), f("UserNumber", 21), reserve())},
		{"Trace_Resp", Append(nil, spSeq, samplePDUs()[8]), withHeader(f("Count", 1),
			fi("Result", 0, 1), fi("NodeId", 0, 6), fi("ReceiveTime", 0, 16), fi("SendTime", 0, 16), fi("Reserve", 0, 8),
			fi("Result", 1, 1), fi("NodeId", 1, 6), fi("ReceiveTime", 1, 16), fi("SendTime", 1, 16), fi("Reserve", 1, 8))},
		{"AddSP (raw body)", Append(nil, spSeq, &Raw{ID: CmdAddSP, Body: codec.Octets("body")}), withHeader(f("Message Length", 4))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { truncationWalk(t, c.frame, c.layout) })
	}
}

func withTrailer(t *testing.T, s *Submit, trailer string) []byte {
	t.Helper()
	s.Trailer = codec.Octets(trailer)
	return Append(nil, spSeq, s)
}

func TestDecodeErrors(t *testing.T) {
	v2 := codectest.ReadHex(t, "v2-bind.hex")
	longer := append(bytes.Clone(v2), 0xee) // one byte beyond Message Length
	extra := append(bytes.Clone(v2), 0xee)  // Message Length counts the extra byte
	codec.PutLength(extra)
	tooSmall := bytes.Clone(v2)
	tooSmall[3] = 19
	unknown := bytes.Clone(codectest.ReadHex(t, "v7a-unbind.hex"))
	unknown[7] = 0x99
	cases := []struct {
		name   string
		frame  []byte
		err    error
		field  string
		offset int
		value  int64
	}{
		{"Message Length below the header", tooSmall, codec.ErrFrameTooSmall, "Message Length", 0, 19},
		{"frame longer than Message Length", longer, codec.ErrBadValue, "Message Length", 0, 61},
		{"bytes after a Bind body", extra, codec.ErrTrailingBytes, "Message Length", 61, 1},
		{"undefined command id", unknown, codec.ErrUnknownCommand, "Command ID", 4, 0x99},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, p, err := Decode(c.frame)
			var fe *codec.FieldError
			if p != nil || !errors.As(err, &fe) || !errors.Is(err, c.err) {
				t.Fatalf("Decode = %v, %v; want FieldError wrapping %v", p, err, c.err)
			}
			if fe.Field != c.field || fe.Offset != c.offset || fe.Value != c.value {
				t.Errorf("error %v: field %q offset %d value %d; want %q %d %d", err, fe.Field, fe.Offset, fe.Value, c.field, c.offset, c.value)
			}
			var v codec.View
			verr := ParseView(c.frame, &v)
			if verr == nil || verr.Error() != err.Error() {
				t.Errorf("ParseView = %v, want %v", verr, err)
			}
			if v.Command != uint32(CommandOf(c.frame)) || !bytes.Equal(v.Sequence, c.frame[8:20]) || v.Kind != KindOf(CommandOf(c.frame)) {
				t.Errorf("ParseView on error lost the header: %+v", v)
			}
		})
	}
}

// The GNS route operations and CheckUser keep their body as it came; the
// GNS responses have the generic body (§4).
func TestUntypedCommands(t *testing.T) {
	for _, c := range allCommands {
		frame := Append(nil, spSeq, &Raw{ID: c, Body: codec.Octets{0, 1, 2, 3, 4, 5, 6, 7, 8}})
		_, p, err := Decode(frame)
		switch c {
		case CmdAddSP, CmdModifySP, CmdDeleteSP, CmdQueryRoute, CmdAddTeleSeg, CmdModifyTeleSeg, CmdDeleteTeleSeg,
			CmdAddSMG, CmdModifySMG, CmdDeleteSMG, CmdCheckUser, CmdCheckUserResp:
			if r, ok := p.(*Raw); err != nil || !ok || r.ID != c || len(r.Body) != 9 {
				t.Errorf("%v: Decode = %#v, %v; want *Raw", c, p, err)
			}
		case CmdAddSPResp, CmdModifySPResp, CmdDeleteSPResp, CmdQueryRouteResp, CmdAddTeleSegResp, CmdModifyTeleSegResp,
			CmdDeleteTeleSegResp, CmdAddSMGResp, CmdModifySMGResp, CmdDeleteSMGResp:
			if r, ok := p.(*Resp); err != nil || !ok || r.ID != c || r.Result != 0 {
				t.Errorf("%v: Decode = %#v, %v; want *Resp", c, p, err)
			}
		}
	}
}

func TestAppendResp(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"Bind_Resp OK is V3", AppendResp(nil, CmdBind, spSeq, uint8(OK)), codectest.ReadHex(t, "v3-bind-resp.hex")},
		{"the response id may be given", AppendResp(nil, CmdBindResp, spSeq, uint8(OK)), codectest.ReadHex(t, "v3-bind-resp.hex")},
		{"Unbind_Resp has no body (V7)", AppendResp(nil, CmdUnbind, spSeq, 0), codectest.ReadHex(t, "v7b-unbind-resp.hex")},
		{"Submit_Resp with a result", AppendResp(nil, CmdSubmit, spSeq, uint8(AuthNotSubscribed)),
			Append(nil, spSeq, &Resp{ID: CmdSubmitResp, Result: AuthNotSubscribed})},
		{"Deliver_Resp", AppendResp(nil, CmdDeliver, smgSeq, 0), Append(nil, smgSeq, &Resp{ID: CmdDeliverResp})},
		{"Report_Resp", AppendResp(nil, CmdReport, smgSeq, 0), Append(nil, smgSeq, &Resp{ID: CmdReportResp})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.got, c.want) {
				t.Errorf("got  %x\nwant %x", c.got, c.want)
			}
		})
	}
	if n := len(AppendResp(nil, CmdUserRpt, smgSeq, 0)); n != RespLen {
		t.Errorf("UserRpt_Resp is %d bytes, want %d", n, RespLen)
	}
}

func TestHotPathAllocs(t *testing.T) {
	frame := Append(nil, spSeq, longSubmit())
	var v codec.View
	dst := make([]byte, 0, 512)
	reused := longSubmit()
	gen := NewSequenceGenerator(3075512345, nil)
	cases := []struct {
		name string
		fn   func()
	}{
		{"ParseView and SetSequence", func() {
			if err := ParseView(frame, &v); err != nil {
				panic(err)
			}
			SetSequence(frame, spSeq)
		}},
		{"AppendResp", func() { dst = AppendResp(dst[:0], CmdSubmit, spSeq, 0) }},
		{"Append with a reused PDU", func() { dst = Append(dst[:0], spSeq, reused) }},
		{"SequenceOf and PutSequence into the view", func() { PutSequence(v.Sequence, SequenceOf(frame)) }},
		{"SequenceGenerator.Next", func() { _ = gen.Next() }},
		{"TrailingBytes", func() { _ = TrailingBytes(frame) }},
		{"Sequence.AppendString", func() { dst = spSeq.AppendString(dst[:0]) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(200, c.fn); n != 0 {
				t.Errorf("%v allocs per run, want 0", n)
			}
		})
	}
}

// Error texts name the PDU, the field, its offset and, where it matters,
// the value (errors are wrapped with the place that failed).
func TestErrorText(t *testing.T) {
	unknown := codectest.ReadHex(t, "v7a-unbind.hex")
	unknown[7] = 0x99
	zeroUsers := codectest.ReadHex(t, "v4-submit-linkid.hex")
	zeroUsers[HeaderLen+2*NumberLen] = 0
	v1 := codectest.ReadHex(t, "v1-submit-smsgate.hex")
	for _, c := range []struct {
		frame []byte
		want  string
	}{
		{unknown, "sgip 0x00000099: Command ID at offset 4: codec: unknown command"},
		{zeroUsers, "SGIP_SUBMIT: UserCount at offset 63 (value 0): codec: bad field value: no recipients"},
		{v1[:70], "SGIP_SUBMIT: UserNumber[0] at offset 63: codec: short frame"},
		{v1[:10], "SGIP header: Sequence Number at offset 8: codec: short frame"},
	} {
		_, _, err := Decode(c.frame)
		if err == nil || err.Error() != c.want {
			t.Errorf("error %q, want %q", err, c.want)
		}
	}
}
