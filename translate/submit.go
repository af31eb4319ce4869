package translate

import (
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Options are a deployment's choices for one pair of protocols.
type Options struct {
	// Fee charges the MTs of an SP whose protocol has no fee fields
	// (SMPP). The zero value: free, each recipient pays.
	Fee codec.Fee
	// CorpID is the SP's identity at the upstream, written where the
	// upstream's Submit has a field for it (SGIP CorpId, CMPP Msg_src).
	// The SP's own CorpId or Msg_src names it to spsmg and is not carried
	// to another protocol. Empty: the field is left empty.
	CorpID string
	// Location is the carriers' clock (node.time_zone), for report dates
	// the upstream does not give. nil: UTC.
	Location *time.Location
}

// Pair translates between an SP's protocol and its upstream's. It holds
// no per-message state; one Pair serves every goroutine.
type Pair struct {
	SP, Up Face
	sp, up codec.Capabilities
	opts   Options
	// ref numbers the concatenated messages spsmg splits itself.
	ref atomic.Uint32
}

// NewPair returns the translation between SP protocol sp and upstream
// protocol up.
func NewPair(sp, up Face, o Options) *Pair {
	if o.Location == nil {
		o.Location = time.UTC
	}
	return &Pair{SP: sp, Up: up, sp: sp.Capabilities(), up: up.Capabilities(), opts: o}
}

// Result re-expresses an upstream's Submit_Resp result in the SP's
// protocol, through its class (docs/translation.md §4).
func (p *Pair) Result(upstream uint32) uint32 { return p.SP.ClassResult(p.Up.ResultClass(upstream)) }

// RefusalResult is the SP's result for a message that cannot be
// translated (err from Submit).
func (p *Pair) RefusalResult(err error) uint32 { return p.SP.ClassResult(ClassOf(err)) }

func (p *Pair) name(f Face) string { return f.Protocol().String() }

// Submit translates an SP's Submit (frame, in the SP's protocol, already
// authorized) into the upstream's Submits: one per part and per group of
// recipients the upstream carries in one Submit (SMPP: one each). The SP's
// id of the message is made here (ids, the SP protocol's IDGen; for SGIP
// SPs it is spSeq, the Submit's own sequence). Submit allocates: the plan,
// the frames, the decoded message.
//
// The error is an *Error whose Class answers the SP (RefusalResult): a
// frame the SP's reader rejects, a service code or LinkID longer than the
// upstream's field, a part that no longer fits one short message after
// its coding was converted, a message of more than 255 parts.
func (p *Pair) Submit(frame, spSeq []byte, ids *IDGen) (*Plan, error) {
	return p.submit(frame, spSeq, ids, nil, nil)
}

// SubmitGroup is Submit for a group of the SP Submit's recipients: those
// at indexes idx of frame's recipient list (in order, each at most once),
// when the Submit's recipients go to several upstreams
// (docs/routing.md §4–5). The SP's id is spID, made once for the whole
// Submit (for SGIP SPs, spSeq); the Plan's routes and failure reports
// name the id of each recipient's index in the SP's Submit
// (AppendMsgIDAt(spID, idx[j])). With the identity Pair (the same
// protocol on both sides) it rebuilds the Submit with only the group's
// recipients. An index outside the list is an error of class
// bad_message.
func (p *Pair) SubmitGroup(frame, spSeq, spID []byte, idx []int) (*Plan, error) {
	if spID == nil {
		spID = []byte{} // given: none to make
	}
	return p.submit(frame, spSeq, nil, spID, idx)
}

func (p *Pair) submit(frame, spSeq []byte, ids *IDGen, spID []byte, idx []int) (*Plan, error) {
	var s codec.Submit
	if err := p.SP.DecodeSubmit(frame, &s); err != nil {
		return nil, &Error{Class: codec.ResultBadMessage, Field: p.name(p.SP) + " Submit", Err: err}
	}
	if idx != nil {
		group := make([]string, 0, len(idx))
		for _, i := range idx {
			if i < 0 || i >= len(s.Dests) {
				return nil, &Error{Class: codec.ResultBadMessage, Field: "recipient index", Value: strconv.Itoa(i), Err: codec.ErrBadValue}
			}
			group = append(group, s.Dests[i])
		}
		s.Dests = group
	}
	if err := p.fit(&s); err != nil {
		return nil, err
	}
	parts, err := p.parts(&s)
	if err != nil {
		return nil, err
	}
	pl := &Plan{pair: p, dests: s.Dests, spNumber: s.SPNumber, needReport: s.NeedReport,
		refused: make([]bool, len(s.Dests)), index: idx}
	switch {
	case spID != nil:
		pl.spID = append([]byte(nil), spID...)
	case p.SP.SubmitIDIsSeq():
		pl.spID = append([]byte(nil), spSeq...)
	case ids != nil:
		if pl.spID, err = ids.Take(nil, len(s.Dests)); err != nil {
			return nil, err
		}
	}
	seq := pl.seq[:p.Up.Seq().Len]
	step := max(p.up.MaxDests, 1)
	if p.Up.SubmitIDIsSeq() && !p.SP.SubmitIDIsSeq() {
		// The upstream's reports name the Submit (its sequence), one key
		// for all its recipients, while the SP has an id per recipient:
		// one recipient per Submit keeps one route per id.
		step = 1
	}
	n := len(parts) * ((len(s.Dests) + step - 1) / step)
	pl.subs = make([]planSubmit, 0, n)
	pl.frames = make([]byte, 0, n*(len(frame)+64))
	upDests := mapNumbers(s.Dests, p.Up.UserNumber)
	if s.Fee.Payer == codec.PayerNumber {
		s.Fee.ChargeNumber = p.Up.UserNumber(s.Fee.ChargeNumber)
	}
	for i, content := range parts {
		m := s
		if len(parts) > 1 {
			m.Content, m.UDHI, m.PkTotal, m.PkNumber = content, true, uint8(len(parts)), uint8(i+1)
		}
		for from := 0; from < len(s.Dests); from += step {
			to := min(from+step, len(s.Dests))
			m.Dests = upDests[from:to]
			start := len(pl.frames)
			pl.frames = p.Up.AppendSubmit(pl.frames, seq, &m)
			ps := planSubmit{start: start, end: len(pl.frames), from: from, to: to}
			if len(parts) > 1 {
				ps.part, ps.parts = m.PkNumber, m.PkTotal
			}
			pl.subs = append(pl.subs, ps)
		}
	}
	pl.pending = len(pl.subs)
	return pl, nil
}

// fit makes the neutral message one the upstream can carry: national
// numbers, the deployment's fee and CorpID, the priority within range, a
// coding the upstream has, part numbers that agree with the UDH. A field
// that cannot be carried without changing what the message means is an
// error; one that is merely lost is dropped (docs/translation.md §2).
func (p *Pair) fit(s *codec.Submit) error {
	s.Dests = nationals(s.Dests)
	if !p.sp.Fee {
		s.Fee = p.opts.Fee
	}
	if s.Fee.Payer == codec.PayerNumber {
		s.Fee.ChargeNumber = National(s.Fee.ChargeNumber)
	}
	s.CorpID = p.opts.CorpID
	if len(s.ServiceCode) > p.up.ServiceCodeLen {
		return &Error{Class: codec.ResultBadService, Value: s.ServiceCode, Err: ErrTooLong,
			Field: "service code (" + p.name(p.Up) + " holds " + strconv.Itoa(p.up.ServiceCodeLen) + " characters)"}
	}
	switch {
	case p.up.LinkIDLen == 0:
		s.LinkID = ""
	case len(s.LinkID) > p.up.LinkIDLen:
		return &Error{Class: codec.ResultLinkID, Value: s.LinkID, Err: ErrTooLong,
			Field: "LinkID (" + p.name(p.Up) + " holds " + strconv.Itoa(p.up.LinkIDLen) + " characters)"}
	}
	s.Priority = min(s.Priority, p.up.MaxPriority)
	s.ValidTime, s.AtTime = smppTime(s.ValidTime), smppTime(s.AtTime)
	if hdr, _, _ := splitUDH(s.UDHI, s.Content); s.UDHI && hdr == nil {
		return &Error{Class: codec.ResultBadMessage, Field: "user data header", Value: hex.EncodeToString(s.Content[:min(len(s.Content), 8)]),
			Err: codec.ErrBadValue}
	}
	s.Coding, s.Content = fitCoding(s.Coding, s.UDHI, s.Content, p.up)
	if _, _, h := splitUDH(s.UDHI, s.Content); h.HasConcat {
		s.PkTotal, s.PkNumber = h.Concat.Total, h.Concat.Seq
	}
	return nil
}

// parts returns the content of each upstream Submit: the message as it
// is, or, for an upstream without long messages (everything but SMPP), a
// message longer than one short message cut into concatenated parts. A
// message that is already a part (or has a header of its own) and does
// not fit is an error: its parts cannot be renumbered one at a time.
func (p *Pair) parts(s *codec.Submit) ([][]byte, error) {
	if p.up.LongContent {
		return [][]byte{s.Content}, nil
	}
	hdr, body, _ := splitUDH(s.UDHI, s.Content)
	if fitsOne(s.Coding, len(hdr), len(body)) {
		return [][]byte{s.Content}, nil
	}
	if s.UDHI || s.PkTotal > 1 {
		return nil, &Error{Class: codec.ResultBadMessage, Err: ErrTooLong, Value: strconv.Itoa(len(s.Content)) + " bytes",
			Field: "a part of a long message (one short message in " + p.name(p.Up) + ")"}
	}
	parts, err := splitParts(s.Coding, body, uint8(p.ref.Add(1)))
	if err != nil {
		return nil, &Error{Class: codec.ResultBadMessage, Err: err, Value: strconv.Itoa(len(body)) + " bytes",
			Field: "message (at most 255 parts)"}
	}
	return parts, nil
}

// Plan is one SP Submit translated: the upstream Submits to send, and what
// the SP is answered once they are all answered. The proxy sends Frame(k)
// for every k, records each answer (Answer), stores each accepted
// recipient's report route (Route), and when Done answers the SP
// (AppendResp) and sends the failure reports of the recipients that were
// refused (Failures). A Plan is used by one goroutine at a time.
type Plan struct {
	pair       *Pair
	frames     []byte
	subs       []planSubmit
	spID       []byte
	dests      []string
	spNumber   string
	needReport bool
	refused    []bool
	// index maps the plan's recipients to their indexes in the SP's
	// Submit (SubmitGroup); nil: the same.
	index   []int
	pending int
	seq     [codec.MaxSeqLen]byte // the zero sequence the frames are built with
}

type planSubmit struct {
	start, end  int
	from, to    int
	part, parts uint8
	answered    bool
	class       codec.ResultClass
	upID        []byte
}

// Len is the number of upstream Submits.
func (pl *Plan) Len() int { return len(pl.subs) }

// Frame is upstream Submit k, with a zero sequence: the proxy writes its
// own at the upstream's Seq layout. Valid as long as the plan is.
func (pl *Plan) Frame(k int) []byte { s := &pl.subs[k]; return pl.frames[s.start:s.end:s.end] }

// Recipients are the SP recipients [from, to) Submit k carries.
func (pl *Plan) Recipients(k int) (from, to int) { return pl.subs[k].from, pl.subs[k].to }

// Part is the part number and total of Submit k when spsmg split the
// message (0, 0 otherwise).
func (pl *Plan) Part(k int) (n, total uint8) { return pl.subs[k].part, pl.subs[k].parts }

// NeedReport reports whether the SP asked for status reports.
func (pl *Plan) NeedReport() bool { return pl.needReport }

// SPID is the SP's id of the message (of recipient 0), in the SP
// protocol's layout; for SGIP SPs the Submit's sequence.
func (pl *Plan) SPID() []byte { return pl.spID }

// Answer records the upstream's answer to Submit k: its result and the
// upstream's id of the message (the Submit_Resp's message id; for an
// upstream whose ids are sequences, SGIP, the sequence Submit k was sent
// with). A second answer to the same k is ignored (false).
func (pl *Plan) Answer(k int, result uint32, upID []byte) bool {
	return pl.answer(k, pl.pair.Up.ResultClass(result), upID)
}

// AnswerClass records an answer the upstream did not give: a timeout, a
// lost bind (codec.ResultBusy).
func (pl *Plan) AnswerClass(k int, c codec.ResultClass) bool { return pl.answer(k, c, nil) }

// Sent records the id Submit k is known by before it is answered, for an
// upstream whose ids are the Submit's sequence (SGIP): the proxy stores
// such routes before it forwards (so that a report after a crash still
// finds its route), and Route then works before Answer. An Answer with a
// nil id keeps it.
func (pl *Plan) Sent(k int, upID []byte) { pl.subs[k].upID = append(pl.subs[k].upID[:0], upID...) }

func (pl *Plan) answer(k int, c codec.ResultClass, upID []byte) bool {
	s := &pl.subs[k]
	if s.answered {
		return false
	}
	s.answered, s.class = true, c
	if upID != nil {
		s.upID = append(s.upID[:0], upID...)
	}
	pl.pending--
	if c != codec.ResultOK {
		for i := s.from; i < s.to; i++ {
			pl.refused[i] = true
		}
	}
	return true
}

// Done reports whether every upstream Submit has been answered.
func (pl *Plan) Done() bool { return pl.pending == 0 }

// Accepted reports whether the upstream accepted Submit k.
func (pl *Plan) Accepted(k int) bool {
	return pl.subs[k].answered && pl.subs[k].class == codec.ResultOK
}

// Route appends the report route of recipient j (from ≤ j < to of
// Recipients(k)) of accepted Submit k (or of a Submit whose id is known
// once Sent): key, the upstream's id its report
// will name (the authcache route key), and origin, the SP's id to put in
// its place (the route's Origin). It does not allocate when the buffers
// have room.
func (pl *Plan) Route(k, j int, key, origin []byte) ([]byte, []byte) {
	s := &pl.subs[k]
	key = pl.pair.Up.AppendMsgIDAt(key, s.upID, j-s.from)
	origin = pl.pair.SP.AppendMsgIDAt(origin, pl.spID, pl.spIndex(j))
	return key, origin
}

// spIndex is the index in the SP's Submit of the plan's recipient j.
func (pl *Plan) spIndex(j int) int {
	if pl.index == nil {
		return j
	}
	return pl.index[j]
}

// Class is the class of the Plan's answer once Done: ok when at least one
// recipient got every part, else the first refusal's (Result).
func (pl *Plan) Class() codec.ResultClass {
	_, c := pl.Result()
	return c
}

// Result is the SP's answer once Done: 0 when at least one recipient got
// every part of the message (the others get failure reports, Failures);
// otherwise the result of the first refused Submit's class in the SP's
// protocol. The class is returned with it.
func (pl *Plan) Result() (uint32, codec.ResultClass) {
	for _, r := range pl.refused {
		if !r {
			return 0, codec.ResultOK
		}
	}
	c := codec.ResultSystem
	for i := range pl.subs {
		if s := &pl.subs[i]; s.answered && s.class != codec.ResultOK {
			c = s.class
			break
		}
	}
	return pl.pair.SP.ClassResult(c), c
}

// AppendResp appends the SP's Submit_Resp (sequence spSeq), carrying the
// SP's id of the message, refused or not.
func (pl *Plan) AppendResp(dst, spSeq []byte) []byte {
	code, _ := pl.Result()
	return pl.pair.SP.AppendSubmitResp(dst, spSeq, pl.spID, code)
}

// Failures lists the recipients that get a failure report: those a part
// of the message was refused for, when the SP was answered 0 and asked for
// reports (with a refusal it learns of every recipient at once).
func (pl *Plan) Failures() []int {
	if code, _ := pl.Result(); code != 0 || !pl.needReport {
		return nil
	}
	var out []int
	for i, r := range pl.refused {
		if r {
			out = append(out, i)
		}
	}
	return out
}

// FailureReport is the report recipient i gets (Failures): REJECTD, dated
// now; build it with Pair.AppendSPReport.
func (pl *Plan) FailureReport(i int, now time.Time) codec.Report {
	t := now.In(pl.pair.opts.Location).Format("0601021504")
	return codec.Report{SubmitID: pl.pair.SP.AppendMsgIDAt(nil, pl.spID, pl.spIndex(i)), User: pl.pair.SP.UserNumber(pl.dests[i]),
		SPNumber: pl.spNumber,
		Stat:     "REJECTD", SubmitTime: t, DoneTime: t}
}

// smppTime returns t when it is a time in the format every protocol
// borrows from SMPP (YYMMDDhhmmsstnnp: twelve digits, tenths, the quarter
// hours from UTC, "+" or "-"; or a relative time ending in "R"), and ""
// otherwise: a time the upstream would refuse is dropped, and the message
// goes with the default validity or at once (docs/translation.md §2).
func smppTime(t string) string {
	if len(t) != 16 || !digits(t[:15]) {
		return ""
	}
	switch t[15] {
	case '+', '-', 'R':
		return t
	}
	return ""
}
