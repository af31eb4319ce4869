package smpp

import (
	"encoding/binary"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
)

// Neutral is SMPP 3.4 read into and built from codec's protocol-neutral
// values (codec.Submit, codec.Deliver, codec.Report), for protocol
// translation (package translate, docs/translation.md). It is a Wire plus
// the readers and builders a codec.Dialect has, and the deployment choices
// SMPP leaves open: where a LinkID and a long service code travel, how
// numbers are written.
//
// The zero value writes every number as given with TON 0, NPI 0, carries
// neither LinkID nor service codes longer than 5 characters, and sends
// ASCII as data_coding 1 (IA5). Values are stateless; one serves every
// goroutine.
type Neutral struct {
	// Wire holds Options: Options.LinkIDTag names the vendor TLV that
	// carries a LinkID (SMPP has no field for one); 0 drops LinkIDs.
	Wire
	// ServiceCodeTag names a vendor TLV that carries the whole service
	// code when it is longer than service_type's 5 characters
	// (service_type is then left empty). 0: such a code cannot be sent
	// (Capabilities.ServiceCodeLen is 5), and an MO's is dropped.
	ServiceCodeTag Tag
	// UserTON, UserNPI are written with handset numbers (an MT's
	// destination, an MO's source, a receipt's source).
	UserTON, UserNPI uint8
	// CountryCode, when set, is what UserNumber puts in front of an
	// 11-digit mobile number starting with 1 (the national form), e.g. "86"
	// with UserTON 1 (international), UserNPI 1 (E.164).
	CountryCode string
	// SPTON, SPNPI are written with SP access numbers.
	SPTON, SPNPI uint8
	// ASCIIAsGSM7 sends ASCII (neutral coding 0) as data_coding 0, the
	// SMSC default alphabet read as GSM 7-bit, when every character has a
	// GSM 7-bit code; otherwise, and by default, as data_coding 1 (IA5).
	ASCIIAsGSM7 bool
}

func (Neutral) SubmitIDIsSeq() bool { return false }

// Capabilities: one recipient per submit_sm, message_payload for long
// messages, service_type 5 characters (10 with ServiceCodeTag), a 20-byte
// LinkID with LinkIDTag, no fee fields, no GBK; message ids of one second
// and 65,536 values (MsgIDs).
func (n Neutral) Capabilities() codec.Capabilities {
	c := codec.Capabilities{MaxDests: 1, LongContent: true, ServiceCodeLen: ServiceTypeLen - 1, MaxPriority: 3,
		IDUnit: time.Second, IDsPerUnit: 1 << 16}
	if n.ServiceCodeTag != 0 {
		c.ServiceCodeLen = 10
	}
	if n.Options.LinkIDTag != 0 {
		c.LinkIDLen = 20
	}
	return c
}

// UserNumber writes a handset number given in national form as SMPP is
// configured to: with CountryCode in front of a national mobile number.
// Builders write numbers as they are given (codec.Dialect's convention).
func (n Neutral) UserNumber(num string) string {
	if n.CountryCode != "" && len(num) == 11 && num[0] == '1' {
		return n.CountryCode + num
	}
	return num
}

// DecodeSubmit reads a submit_sm or data_sm into the neutral value:
// source_addr, destination_addr (one recipient), service_type or the
// ServiceCodeTag TLV, the LinkIDTag TLV, registered_delivery as NeedReport
// (a failure-only receipt counts), priority_flag, the two times. The user
// data is short_message or message_payload, in the neutral coding table
// (NeutralCoding); sar_* TLVs become a concatenation UDH in front of it
// (UDHI set, PkTotal/PkNumber from them). TON/NPI, protocol_id and the
// other flags are not carried. out owns its memory.
func (n Neutral) DecodeSubmit(frame []byte, out *codec.Submit) error {
	_, p, err := Decode(frame)
	if err != nil {
		return err
	}
	var (
		sm      *Submit
		dc      uint8
		esm     ESMClass
		rd      RegisteredDelivery
		content []byte
		ts      TLVs
	)
	switch p := p.(type) {
	case *Submit:
		sm, dc, esm, rd, content, ts = p, p.DataCoding, p.ESMClass, p.RegisteredDelivery, p.Message(), p.TLVs
	case *DataSM:
		sm = &Submit{ServiceType: p.ServiceType, SourceAddr: p.SourceAddr, DestinationAddr: p.DestinationAddr}
		dc, esm, rd, content, ts = p.DataCoding, p.ESMClass, p.RegisteredDelivery, p.Message(), p.TLVs
	default:
		return codec.ErrWrongCommand
	}
	*out = codec.Submit{SPNumber: sm.SourceAddr, Dests: []string{sm.DestinationAddr},
		ServiceCode: n.serviceCode(sm.ServiceType, ts), LinkID: n.linkID(ts), NeedReport: rd.NeedReport(),
		Priority: sm.PriorityFlag, ValidTime: sm.ValidityPeriod, AtTime: sm.ScheduleDeliveryTime}
	out.Coding, out.Content, out.UDHI, out.PkTotal, out.PkNumber, err = userData(dc, esm.UDHI(), content, ts)
	return err
}

func (n Neutral) serviceCode(serviceType string, ts TLVs) string {
	if n.ServiceCodeTag != 0 {
		if v, ok := ts.Get(n.ServiceCodeTag); ok {
			return string(trimNUL(v))
		}
	}
	return serviceType
}

func (n Neutral) linkID(ts TLVs) string {
	if n.Options.LinkIDTag != 0 {
		if v, ok := ts.Get(n.Options.LinkIDTag); ok {
			return string(trimNUL(v))
		}
	}
	return ""
}

// userData turns SMPP user data into the neutral form: the coding in the
// CMPP/SGIP/SMGP table (NeutralCoding, text converted where it must be),
// the UDH kept, and sar_* TLVs turned into a concatenation UDH (8-bit
// reference when it fits, else 16-bit).
func userData(dc uint8, udhi bool, content []byte, ts TLVs) (coding uint8, out []byte, hasUDH bool, total, seq uint8, err error) {
	var hdr []byte
	if udhi {
		h, ok := udh.Parse(content)
		if !ok {
			return 0, nil, false, 0, 0, &codec.FieldError{PDU: "smpp", Field: "short_message (user data header)",
				Index: -1, Value: int64(len(content)), Err: codec.ErrBadValue}
		}
		hdr, content = content[:h.Len], content[h.Len:]
		if h.HasConcat {
			total, seq = h.Concat.Total, h.Concat.Seq
		}
	}
	coding, body, err := NeutralCoding(dc, content)
	if err != nil {
		return 0, nil, false, 0, 0, err
	}
	ref, okRef := ts.SARMsgRefNum()
	tot, okTot := ts.SARTotalSegments()
	sq, okSeq := ts.SARSegmentSeqnum()
	if hdr == nil && okRef && okTot && okSeq && tot > 1 && sq >= 1 && sq <= tot {
		hdr = udh.Append(nil, udh.Concat{Ref: ref, Total: tot, Seq: sq, Wide: ref > 0xff})
		udhi, total, seq = true, tot, sq
	}
	if hdr == nil {
		return coding, body, false, 0, 0, nil
	}
	out = make([]byte, 0, len(hdr)+len(body))
	out = append(append(out, hdr...), body...)
	return coding, out, true, total, seq, nil
}

// NeutralCoding maps SMPP data_coding dc and its text (without a UDH) to
// the coding table the neutral values use, CMPP Msg_Fmt's
// (docs/protocols/long-sms.md §3):
//
//	1 IA5                          → 0 ASCII, bytes as they are
//	2, 4 and the reserved 11, 12, 15 → 4 binary
//	8 UCS2                         → 8
//	0 GSM 7-bit, 3 Latin-1,        → 0 ASCII when every character is ASCII,
//	6 Cyrillic, 7 Hebrew             else 8 UCS2 (the text re-encoded)
//	≥ 0x10, a GSM data coding scheme → the same value (both tables read it so)
//	5, 9, 10, 13, 14 (Japanese, Korean sets) → an error: no equivalent
func NeutralCoding(dc uint8, content []byte) (uint8, []byte, error) {
	switch dc {
	case text.SMPPIA5:
		return text.ASCII, content, nil
	case text.SMPPUCS2:
		return text.UCS2, content, nil
	case text.SMPPDefault, text.SMPPLatin1, text.SMPPCyrillic, text.SMPPHebrew:
		s, err := text.DecodeSMPP(dc, content)
		if err != nil {
			return 0, nil, err
		}
		if isASCII(s) {
			return text.ASCII, []byte(s), nil
		}
		return text.UCS2, appendUCS2(nil, s), nil
	case text.SMPPJIS, text.SMPPPictogram, text.SMPPISO2022JP, text.SMPPKanji, text.SMPPKSC5601:
		return 0, nil, &codec.FieldError{PDU: "smpp", Field: "data_coding " + text.NameSMPP(dc), Index: -1,
			Value: int64(dc), Err: text.ErrUnsupported}
	}
	if dc <= 0x0F {
		return text.Binary, content, nil
	}
	return dc, content, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func appendUCS2(dst []byte, s string) []byte {
	for _, c := range utf16.Encode([]rune(s)) {
		dst = append(dst, byte(c>>8), byte(c))
	}
	return dst
}

// DataCoding maps a neutral coding and its text (without a UDH) to SMPP
// data_coding: 0 ASCII → 1 IA5 (or 0 GSM 7-bit with ASCIIAsGSM7, the
// text re-encoded as septets, when every character has a code); 3
// SIM-card write and 4 → 4 binary; 8 → 8; 15 GBK → 8 UCS2, re-encoded
// (SMPP has no GB coding; text that is not GB18030 goes as binary 4);
// ≥ 0x10 → the same scheme; the values CMPP leaves undefined (1, 2, 5–7,
// 9–14) by the alphabet a GSM scheme of that value has.
func (n Neutral) DataCoding(coding uint8, content []byte) (uint8, []byte) {
	switch coding {
	case text.ASCII:
		if n.ASCIIAsGSM7 && isASCII(string(content)) {
			if b, err := text.AppendGSM7(make([]byte, 0, len(content)), string(content)); err == nil {
				return text.SMPPDefault, b
			}
		}
		return text.SMPPIA5, content
	case text.SIM, text.Binary:
		return text.SMPPBinary4, content
	case text.UCS2:
		return text.SMPPUCS2, content
	case text.GBK:
		s, err := text.Decode(text.GBK, content)
		if err != nil {
			return text.SMPPBinary4, content
		}
		return text.SMPPUCS2, appendUCS2(nil, s)
	}
	if coding >= 0x10 {
		return coding, content
	}
	switch text.AlphabetOf(coding) {
	case text.AlphabetGSM7:
		return text.SMPPDefault, content
	case text.AlphabetUCS2:
		return text.SMPPUCS2, content
	}
	return text.SMPPBinary4, content
}

// userDataOut converts neutral content for SMPP, keeping a UDH.
func (n Neutral) userDataOut(coding uint8, udhi bool, content []byte) (uint8, []byte) {
	if udhi {
		if h, ok := udh.Parse(content); ok {
			dc, body := n.DataCoding(coding, content[h.Len:])
			return dc, append(append(make([]byte, 0, h.Len+len(body)), content[:h.Len]...), body...)
		}
	}
	return n.DataCoding(coding, content)
}

// appendSM appends a submit_sm or deliver_sm frame: the fixed fields, then
// short_message, or message_payload when the user data is longer than 254
// bytes, then the TLVs given.
func appendSM(dst []byte, id CommandID, seq uint32, p *Submit, content []byte, tlvs func([]byte) []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, id, StatusOK, seq)
	dst = p.appendHead(dst)
	if len(content) > MaxShortMessageLen {
		dst = append(dst, 0) // sm_length 0: the user data is in message_payload
		dst = AppendTLV(dst, TagMessagePayload, content)
	} else {
		dst = append(dst, byte(len(content)))
		dst = append(dst, content...)
	}
	if tlvs != nil {
		dst = tlvs(dst)
	}
	return finish(dst, start)
}

// AppendSubmit appends a submit_sm to the first recipient (SMPP carries
// one; translation sends one per recipient): source_addr the SP number
// (SPTON/SPNPI), destination_addr the handset (UserTON/UserNPI; the
// number as given: UserNumber writes the CountryCode), esm_class 0x40 with a UDH, priority_flag (at most 3),
// registered_delivery 1 when a report is wanted, the data_coding of
// DataCoding, and the LinkIDTag and ServiceCodeTag TLVs when set. A
// service code longer than 5 characters goes in ServiceCodeTag, or is cut.
// Fee fields, CorpID and PkTotal/PkNumber without a UDH are not carried.
func (n Neutral) AppendSubmit(dst []byte, seq []byte, s *codec.Submit) []byte {
	p := Submit{SourceAddrTON: n.SPTON, SourceAddrNPI: n.SPNPI, SourceAddr: s.SPNumber, DestAddrTON: n.UserTON,
		DestAddrNPI: n.UserNPI, PriorityFlag: min(s.Priority, 3), ScheduleDeliveryTime: s.AtTime,
		ValidityPeriod: s.ValidTime}
	if len(s.Dests) > 0 {
		p.DestinationAddr = s.Dests[0]
	}
	if s.NeedReport {
		p.RegisteredDelivery = ReceiptAlways
	}
	if s.UDHI {
		p.ESMClass = ESMUDHI
	}
	longCode := len(s.ServiceCode) > ServiceTypeLen-1 && n.ServiceCodeTag != 0
	if !longCode {
		p.ServiceType = s.ServiceCode
	}
	var content []byte
	p.DataCoding, content = n.userDataOut(s.Coding, s.UDHI, s.Content)
	return appendSM(dst, CmdSubmitSM, codec.Uint32Of(seq), &p, content, func(dst []byte) []byte {
		if longCode {
			dst = AppendTLV(dst, n.ServiceCodeTag, []byte(s.ServiceCode))
		}
		return n.appendLinkID(dst, s.LinkID)
	})
}

func (n Neutral) appendLinkID(dst []byte, linkID string) []byte {
	if n.Options.LinkIDTag == 0 || linkID == "" {
		return dst
	}
	return AppendTLV(dst, n.Options.LinkIDTag, []byte(linkID))
}

// AppendDeliver appends a deliver_sm carrying an MO: source_addr the
// handset, destination_addr the access number dialled, service_type
// (dropped when longer than 5 characters without ServiceCodeTag), the
// LinkIDTag TLV. Deliver.MsgID and RecvTime are not carried (deliver_sm
// has no id).
func (n Neutral) AppendDeliver(dst []byte, seq []byte, d *codec.Deliver) []byte {
	p := Submit{SourceAddrTON: n.UserTON, SourceAddrNPI: n.UserNPI, SourceAddr: d.User,
		DestAddrTON: n.SPTON, DestAddrNPI: n.SPNPI, DestinationAddr: d.SPNumber}
	if d.UDHI {
		p.ESMClass = ESMUDHI
	}
	longCode := len(d.ServiceCode) > ServiceTypeLen-1
	if !longCode {
		p.ServiceType = d.ServiceCode
	}
	var content []byte
	p.DataCoding, content = n.userDataOut(d.Coding, d.UDHI, d.Content)
	return appendSM(dst, CmdDeliverSM, codec.Uint32Of(seq), &p, content, func(dst []byte) []byte {
		if longCode && n.ServiceCodeTag != 0 {
			dst = AppendTLV(dst, n.ServiceCodeTag, []byte(d.ServiceCode))
		}
		return n.appendLinkID(dst, d.LinkID)
	})
}

// AppendReport appends a delivery receipt: a deliver_sm with esm_class
// 0x04 (SMSC delivery receipt), source_addr the MT's recipient,
// destination_addr its source, the receipt text of Appendix B
// (id:<SubmitID> sub:001 dlvrd:001|000 submit date: done date: stat: err:
// text:) and the receipted_message_id and message_state TLVs. Stat outside
// SMPP's words becomes UNDELIV (message_state 5); err is r.Err, else the
// 3-digit code SMGP gives the stat (000 delivered, 001 expired, 006
// undeliverable, 999 otherwise); text is r.Text when it is printable
// ASCII, at most 20 characters.
func (n Neutral) AppendReport(dst []byte, seq []byte, r *codec.Report) []byte {
	state, ok := StateOfStat([]byte(r.Stat))
	if !ok {
		state = StateUndeliverable
	}
	rc := Receipt{ID: string(r.SubmitID), Sub: "001", Dlvrd: "000", SubmitDate: r.SubmitTime, DoneDate: r.DoneTime,
		Stat: state.Stat(), Err: r.Err, Text: printableText(r.Text, 20)}
	if state == StateDelivered {
		rc.Dlvrd = "001"
	}
	if rc.Err == "" {
		rc.Err = statErr(state)
	}
	var buf [200]byte
	body := rc.Append(buf[:0])
	p := Submit{SourceAddrTON: n.UserTON, SourceAddrNPI: n.UserNPI, SourceAddr: r.User,
		DestAddrTON: n.SPTON, DestAddrNPI: n.SPNPI, DestinationAddr: r.SPNumber, ESMClass: ESMTypeReceipt,
		DataCoding: text.SMPPIA5}
	return appendSM(dst, CmdDeliverSM, codec.Uint32Of(seq), &p, body, func(dst []byte) []byte {
		id := r.SubmitID[:min(len(r.SubmitID), MessageIDLen-1)]
		dst = codec.AppendUint16(dst, uint16(TagReceiptedMessageID))
		dst = codec.AppendUint16(dst, uint16(len(id)+1))
		dst = append(append(dst, id...), 0)
		return AppendTLV(dst, TagMessageState, []byte{byte(state)})
	})
}

// statErr is the err of a receipt whose source gave none: SMGP's codes for
// the stat (docs/protocols/smgp30.md §9.2), the one documented table.
func statErr(s MessageState) string {
	switch s {
	case StateDelivered:
		return "000"
	case StateExpired:
		return "001"
	case StateUndeliverable, StateRejected, StateDeleted:
		return "006"
	}
	return "999"
}

func printableText(b []byte, max int) string {
	b = b[:min(len(b), max)]
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(b)
}

// DecodeDelivery reads a deliver_sm or data_sm from an SMSC: a receipt
// (esm_class IsReport) into a Report — SubmitID the receipted message id
// (TLV, else the text's), Stat the text's stat or message_state's, the
// dates cut to YYMMDDhhmm, err and text — or an MO into a Deliver, its user
// data as DecodeSubmit reads it. out owns its memory.
func (n Neutral) DecodeDelivery(frame []byte, out *codec.Delivery) error {
	_, p, err := Decode(frame)
	if err != nil {
		return err
	}
	var (
		src, dst, service string
		esm               ESMClass
		dc                uint8
		content           []byte
		ts                TLVs
		receipt           func() (Receipt, error)
	)
	switch p := p.(type) {
	case *Deliver:
		src, dst, service, esm, dc, content, ts, receipt = p.SourceAddr, p.DestinationAddr, p.ServiceType, p.ESMClass,
			p.DataCoding, p.Message(), p.TLVs, p.Receipt
	case *DataSM:
		src, dst, service, esm, dc, content, ts, receipt = p.SourceAddr, p.DestinationAddr, p.ServiceType, p.ESMClass,
			p.DataCoding, p.Message(), p.TLVs, p.Receipt
	default:
		return codec.ErrWrongCommand
	}
	if esm.IsReport() {
		rc, err := receipt()
		if err != nil {
			return err
		}
		stat := rc.Stat
		if rc.State != 0 && rc.State.Stat() != "" {
			stat = rc.State.Stat()
		}
		*out = codec.Delivery{Kind: codec.KindReport, Report: codec.Report{SubmitID: []byte(rc.ID), User: src,
			SPNumber: dst, Stat: stat, SubmitTime: minute(rc.SubmitDate), DoneTime: minute(rc.DoneDate), Err: rc.Err,
			Text: []byte(rc.Text)}}
		return nil
	}
	*out = codec.Delivery{Kind: codec.KindDeliver, Deliver: codec.Deliver{User: src, SPNumber: dst,
		ServiceCode: n.serviceCode(service, ts), LinkID: n.linkID(ts)}}
	d := &out.Deliver
	d.Coding, d.Content, d.UDHI, _, _, err = userData(dc, esm.UDHI(), content, ts)
	return err
}

// minute cuts a receipt date to YYMMDDhhmm (some SMSCs add seconds).
func minute(s string) string { return s[:min(len(s), 10)] }

// AppendSubmitResp appends a submit_sm_resp with command_status result and
// msgID as message_id.
func (Neutral) AppendSubmitResp(dst []byte, seq []byte, msgID []byte, result uint32) []byte {
	return AppendSubmitResp(dst, codec.Uint32Of(seq), Status(result), msgID)
}

// AppendMsgIDAt: a submit_sm has one recipient and one id.
func (Neutral) AppendMsgIDAt(dst []byte, msgID []byte, _ int) []byte { return append(dst, msgID...) }

// MsgIDs makes the message_ids spsmg gives SMPP SPs: 16 lower-case hex
// digits of a 64-bit value laid out as a CMPP Msg_Id (month, day, hour,
// minute, second, the gateway code, a 16-bit counter), so that an id says
// when and where it was made and fits an authcache route's Origin.
func (Neutral) MsgIDs(gateway string) codec.MsgIDMaker {
	g, _ := strconv.ParseUint(gateway, 10, 32)
	return &msgIDs{gwBits: (g & 0x3fffff) << 16}
}

type msgIDs struct{ timeBits, gwBits uint64 }

func (m *msgIDs) Stamp(t time.Time) {
	_, mon, day := t.Date()
	h, mi, s := t.Clock()
	m.timeBits = uint64(mon)<<60 | uint64(day)<<55 | uint64(h)<<50 | uint64(mi)<<44 | uint64(s)<<38
}

func (m *msgIDs) Append(dst []byte, n uint64) []byte {
	const hexDigits = "0123456789abcdef"
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], m.timeBits|(m.gwBits+n)&(1<<38-1))
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// resultClasses gives the class of every command_status SMPP 3.4 defines
// that can answer a submit_sm.
var resultClasses = map[Status]codec.ResultClass{
	StatusOK:              codec.ResultOK,
	StatusInvMsgLen:       codec.ResultBadMessage,
	StatusInvCmdLen:       codec.ResultBadMessage,
	StatusInvCmdID:        codec.ResultBadMessage,
	StatusInvPrtFlg:       codec.ResultBadMessage,
	StatusInvRegDlvFlg:    codec.ResultBadMessage,
	StatusInvSrcAdr:       codec.ResultBadSource,
	StatusInvDstAdr:       codec.ResultBadDest,
	StatusInvMsgID:        codec.ResultBadMessage,
	StatusMsgQFul:         codec.ResultBusy,
	StatusInvSerTyp:       codec.ResultBadService,
	StatusInvNumDests:     codec.ResultBadDest,
	StatusInvDLName:       codec.ResultBadDest,
	StatusInvDestFlag:     codec.ResultBadDest,
	StatusInvSubRep:       codec.ResultBadMessage,
	StatusInvEsmClass:     codec.ResultBadMessage,
	StatusCntSubDL:        codec.ResultBadDest,
	StatusSubmitFail:      codec.ResultBadMessage,
	StatusInvSrcTON:       codec.ResultBadSource,
	StatusInvSrcNPI:       codec.ResultBadSource,
	StatusInvDstTON:       codec.ResultBadDest,
	StatusInvDstNPI:       codec.ResultBadDest,
	StatusInvRepFlag:      codec.ResultBadMessage,
	StatusInvNumMsgs:      codec.ResultBadMessage,
	StatusThrottled:       codec.ResultThrottled,
	StatusInvSched:        codec.ResultBadMessage,
	StatusInvExpiry:       codec.ResultBadMessage,
	StatusInvDftMsgID:     codec.ResultBadMessage,
	StatusXTAppn:          codec.ResultBusy,
	StatusInvOptParStream: codec.ResultBadMessage,
	StatusOptParNotAllwd:  codec.ResultBadMessage,
	StatusInvParLen:       codec.ResultBadMessage,
	StatusMissingOptParam: codec.ResultBadMessage,
	StatusInvOptParamVal:  codec.ResultBadMessage,
	StatusDeliveryFailure: codec.ResultBadDest,
}

// ResultClass says what a command_status means (codec.ResultClass). In the
// vendor range, 0x0400 + n is read as authentication-centre code n
// (codec.SPMSClass), the numbering spsmg's own SMPP answers use
// (classResults); anything else is codec.ResultSystem.
func (Neutral) ResultClass(code uint32) codec.ResultClass {
	if c, ok := resultClasses[Status(code)]; ok {
		return c
	}
	if Status(code).IsVendor() {
		return codec.SPMSClass(code - uint32(StatusVendorMin))
	}
	return codec.ResultSystem
}

// classResults is the command_status an SMPP SP is answered for each
// class: SMPP's own codes where it has one, and for fees, subscriptions,
// LinkIDs and barred users the vendor code 0x0400 + the
// authentication-centre code (0x0468 fee, 0x046A not subscribed, 0x046B
// LinkID, 0x046E barred).
var classResults = [codec.ResultClassCount]uint32{
	codec.ResultOK:            uint32(StatusOK),
	codec.ResultThrottled:     uint32(StatusThrottled),
	codec.ResultBusy:          uint32(StatusMsgQFul),
	codec.ResultBadDest:       uint32(StatusInvDstAdr),
	codec.ResultBadSource:     uint32(StatusInvSrcAdr),
	codec.ResultBadService:    uint32(StatusInvSerTyp),
	codec.ResultBadFee:        uint32(StatusVendorMin) + 104,
	codec.ResultBadMessage:    uint32(StatusSubmitFail),
	codec.ResultNotSubscribed: uint32(StatusVendorMin) + 106,
	codec.ResultLinkID:        uint32(StatusVendorMin) + 107,
	codec.ResultUserBarred:    uint32(StatusVendorMin) + 110,
	codec.ResultSystem:        uint32(StatusSysErr),
}

// ClassResult is the command_status an SMPP SP is answered for class c.
func (Neutral) ClassResult(c codec.ResultClass) uint32 {
	if c < codec.ResultClassCount {
		return classResults[c]
	}
	return uint32(StatusSysErr)
}
