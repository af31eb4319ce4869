package smgp

import "github.com/spsmg/spsmg/codec/udh"

// samples returns one fully populated PDU of every command (Raw for the
// defined commands without a typed layout), as Decode returns them: every
// byte field at its decoded width, so that encode → decode gives back the
// same value. For V13 the Submit has no FixedFee.
func samples(v Version) []PDU {
	fixedFee := "000100"
	if v == V13 {
		fixedFee = ""
	}
	long := append(udh.Append(nil, udh.Concat{Ref: 0x34, Total: 2, Seq: 1}), "long message part one"...)
	ps := []PDU{
		&Login{ClientID: "900001", AuthenticatorClient: AuthenticatorClient("900001", "pw", 1021080510),
			LoginMode: LoginModeSend, TimeStamp: 1021080510, ClientVersion: v},
		&LoginResp{Status: StatusOK, AuthenticatorServer: Authenticator{1, 2, 3}, ServerVersion: v},
		&Submit{
			MsgType: MsgTypeMT, NeedReport: 1, Priority: 3, ServiceID: "HELP", FeeType: "02",
			FeeCode: "000010", FixedFee: fixedFee, MsgFormat: 8, ValidTime: "260701120000032+",
			AtTime: "", SrcTermID: "106551234501", ChargeTermID: "13800138000",
			DestTermID: []string{"13800138000", "13900139000", "13300133000"},
			MsgContent: long, Reserve: []byte("RESERVE8"),
			TLVs: []TLV{
				{Tag: TagTPUdhi, Value: []byte{1}}, {Tag: TagLinkID, Value: []byte("LINK0000000000000001")},
				{Tag: 0x0099, Value: []byte("vendor")}, {Tag: TagPkTotal, Value: []byte{2}},
				{Tag: TagPkNumber, Value: []byte{1}}, {Tag: TagMsgSrc, Value: []byte("SP00001\x00")},
			},
		},
		&SubmitResp{MsgID: mustID("01006101161700012345"), Status: StatusDailyLimit},
		&Deliver{
			MsgID: mustID("01006101161700012346"), IsReport: 0, MsgFormat: 15, RecvTime: "20260701120000",
			SrcTermID: "13800138000", DestTermID: "1065512345", MsgContent: []byte("TD HELP"),
			Reserve: make([]byte, 8), TLVs: []TLV{{Tag: TagLinkID, Value: []byte("LINK0000000000000002")}},
		},
		&Deliver{
			MsgID: mustID("01006101161700012347"), IsReport: 1, MsgFormat: 0, RecvTime: "20260701120100",
			SrcTermID: "13800138000", DestTermID: "1065512345", MsgContent: v5Report().Append(nil),
			Reserve: make([]byte, 8), Report: v5Report(),
		},
		&DeliverResp{MsgID: mustID("01006101161700012346"), Status: StatusOK},
		&ActiveTest{}, &ActiveTestResp{}, &Exit{}, &ExitResp{},
		&Query{QueryTime: "20260701", QueryType: 1, QueryCode: "HELP"},
		&QueryResp{QueryTime: "20260701", QueryType: 1, QueryCode: "HELP",
			MTTLMsg: 1, MTTLUsr: 2, MTScs: 3, MTWT: 4, MTFL: 5, MOScs: 6, MOWT: 7, MOFL: 8, Reserve: make([]byte, 8)},
	}
	for id := CommandID(1); id <= lastRequest; id++ {
		for _, c := range []CommandID{id, id | respBit} {
			if _, typed := newPDU(c).(*Raw); typed {
				ps = append(ps, &Raw{RequestID: c, Body: []byte("opaque body of " + c.String())})
			}
		}
	}
	return ps
}
