package translate

import (
	"time"

	"github.com/spsmg/spsmg/codec"
)

// stats are the report states every protocol's words share (CMPP §9.4,
// SMGP §9.1, SMPP's receipt).
var stats = [...]string{"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE"}

// statFor keeps a report's stat when it is one of the shared words, or
// when the SP's protocol is the upstream's family (CMPP 2.x and 3.0 share
// the gateways' vendor stats, MA:0054 and the like); any other stat is a
// failure the SP's protocol has no word for: UNDELIV.
func (p *Pair) statFor(stat string) string {
	for _, s := range stats {
		if stat == s {
			return stat
		}
	}
	if p.SP.Protocol().Family() == p.Up.Protocol().Family() {
		return stat
	}
	return "UNDELIV"
}

// Report translates a status report from the upstream (frame: a report
// Deliver, an SGIP Report, an SMPP receipt) into the SP's form, naming the
// SP's id of the message (spID, the route's Origin) instead of the
// upstream's. The stat is kept (statFor), SGIP's State and ErrorCode become
// a stat and a 3-digit err, dates the upstream does not give (SGIP) are
// now, in the carriers' clock. The carrying Deliver gets an id from ids
// (CMPP, SMGP SPs; nil for the others). The frame has a zero sequence.
func (p *Pair) Report(frame, spID []byte, ids *IDGen, now time.Time) ([]byte, error) {
	var d codec.Delivery
	if err := p.Up.DecodeDelivery(frame, &d); err != nil {
		return nil, &Error{Class: codec.ResultBadMessage, Field: p.name(p.Up) + " report", Err: err}
	}
	if d.Kind != codec.KindReport {
		return nil, &Error{Class: codec.ResultBadMessage, Field: p.name(p.Up) + " report", Value: d.Kind.String(),
			Err: codec.ErrWrongCommand}
	}
	r := d.Report
	r.SubmitID, r.User, r.Stat = spID, p.SP.UserNumber(National(r.User)), p.statFor(r.Stat)
	if r.Err == "" && r.ErrorCode != 0 {
		e := r.ErrorCode
		r.Err = string([]byte{'0' + e/100, '0' + e/10%10, '0' + e%10})
	}
	t := now.In(p.opts.Location)
	if r.DoneTime == "" {
		r.DoneTime = t.Format("0601021504")
	}
	if r.SubmitTime == "" {
		r.SubmitTime = r.DoneTime
	}
	r.RecvTime = ""
	if ids != nil {
		var err error
		if r.MsgID, err = ids.Take(nil, 1); err != nil {
			return nil, err
		}
	}
	return p.AppendSPReport(nil, &r, nil, t), nil
}

// AppendSPReport appends report r in the SP's protocol with a zero
// sequence: the carrying Deliver's id from ids (nil: r.MsgID as it is;
// none when ids has none left), its receive time now.
func (p *Pair) AppendSPReport(dst []byte, r *codec.Report, ids *IDGen, now time.Time) []byte {
	if ids != nil {
		r.MsgID = ids.Append(nil, 1)
	}
	if r.RecvTime == "" {
		r.RecvTime = now.In(p.opts.Location).Format("20060102150405")
	}
	return p.SP.AppendReport(dst, make([]byte, p.SP.Seq().Len), r)
}

// MO translates an MO Deliver from the upstream into the SP's protocol:
// the sender's number made national, the LinkID kept where the SP's
// protocol has a slot (the proxy then writes the LinkID the SP is to use,
// as it does untranslated), the service code where it fits, the coding one
// the SP's protocol has, and the Deliver's id from ids (CMPP, SMGP SPs).
// An MO longer than one short message for an SP protocol without long
// messages is cut into concatenated parts: one frame each. Frames have a
// zero sequence. An SGIP UserRpt has no equivalent (ErrNoEquivalent).
func (p *Pair) MO(frame []byte, ids *IDGen, now time.Time) ([][]byte, error) {
	var dl codec.Delivery
	if err := p.Up.DecodeDelivery(frame, &dl); err != nil {
		return nil, &Error{Class: codec.ResultBadMessage, Field: p.name(p.Up) + " Deliver", Err: err}
	}
	if dl.Kind != codec.KindDeliver {
		return nil, &Error{Class: codec.ResultBadMessage, Field: p.name(p.Up) + " " + dl.Kind.String(),
			Err: ErrNoEquivalent}
	}
	d := dl.Deliver
	d.User = p.SP.UserNumber(National(d.User))
	if hdr, _, _ := splitUDH(d.UDHI, d.Content); d.UDHI && hdr == nil {
		d.UDHI = false // a header that does not parse: the text is all there is
	}
	if p.sp.LinkIDLen == 0 {
		d.LinkID = ""
	}
	if len(d.ServiceCode) > p.sp.ServiceCodeLen {
		d.ServiceCode = ""
	}
	if d.RecvTime == "" {
		d.RecvTime = now.In(p.opts.Location).Format("20060102150405")
	}
	d.Coding, d.Content = fitCoding(d.Coding, d.UDHI, d.Content, p.sp)
	parts := [][]byte{d.Content}
	if hdr, body, _ := splitUDH(d.UDHI, d.Content); !p.sp.LongContent && !d.UDHI && !fitsOne(d.Coding, len(hdr), len(body)) {
		var err error
		if parts, err = splitParts(d.Coding, body, uint8(p.ref.Add(1))); err != nil {
			return nil, &Error{Class: codec.ResultBadMessage, Field: "MO (at most 255 parts)", Err: err}
		}
	}
	seq := make([]byte, p.SP.Seq().Len)
	out := make([][]byte, len(parts))
	for i, c := range parts {
		m := d
		if len(parts) > 1 {
			m.Content, m.UDHI = c, true
		}
		if ids != nil {
			var err error
			if m.MsgID, err = ids.Take(nil, 1); err != nil {
				return nil, err
			}
		}
		out[i] = p.SP.AppendDeliver(nil, seq, &m)
	}
	return out, nil
}
