package proxy

import (
	"log/slog"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/route"
	"github.com/spsmg/spsmg/translate"
)

// Routing MT to several carriers (docs/routing.md). With more than one
// upstream every authorized Submit's recipients are looked up in the
// prefix table (Gateway.routes) on the SP's loop, into the loop's
// route.Split:
//
//	one upstream for all ─▶ that upstream, forwarded whole (untranslated, or translated.go)
//	several             ─▶ submitSplit: one Plan per group (its upstream's Pair, or the
//	                        identity Pair), one SP id for the whole Submit, route.Join
//	                        merges the groups' answers into the SP's one Submit_Resp
//
// With one upstream there is no table and nothing is looked up: the
// same-protocol path stays as it was.

// xsplit is an SP Submit whose recipients go to several upstreams: one
// xsubmit per group, answered together. Touched on the loop it was sent
// from only (every group's binds are that loop's).
type xsplit struct {
	s        *spConn
	spSeq    wireSeq
	cmdKind  codec.Kind
	cmd      uint32
	allow    reason.Reason
	spID     []byte   // the SP's id of recipient 0, made once for the whole Submit
	dests    []string // the SP's recipients, national form (failure reports)
	spNumber string
	report   bool // the SP asked for status reports
	answered bool // some group's upstream answered (else: upstream_timeout)
	join     route.Join
	// failures are the REJECTD reports of recipients a group's Plan
	// refused while accepting others (sent once the SP is answered).
	failures []codec.Report
}

// routeOf looks up the upstream of every recipient of v into l.split and
// returns the upstream when they all go to one; nil when they span
// several (or some have none). Runs on l.
func (g *Gateway) routeOf(l *loop, t *route.Table, v *codec.View) *upstream {
	sp := &l.split
	sp.Reset()
	for i := 0; i < v.DestCount; i++ {
		sp.Add(t.Lookup(v.Dest(i)))
	}
	if up, ok := sp.Single(); ok {
		return g.upstreams[up]
	}
	return nil
}

// upstreamFor is the upstream of one recipient number: by the prefix
// table with several upstreams, else the one. Any goroutine.
func (g *Gateway) upstreamFor(number string) *upstream {
	if t := g.routes.Load(); t != nil {
		if up := t.LookupString(number); up >= 0 && up < len(g.upstreams) {
			return g.upstreams[up]
		}
	}
	return g.upstreamOf(nil)
}

// splitReady reports whether every group's upstream of l.split has a ready
// bind on l: a split Submit is sent from one loop. Runs on l.
func (g *Gateway) splitReady(l *loop) bool {
	sp := &l.split
	for k := 0; k < sp.Groups(); k++ {
		up, _ := sp.Group(k)
		if l.ups[up].ready.Load() == 0 {
			return false
		}
	}
	return true
}

// submitSplit sends an authorized Submit whose recipients span several
// upstreams (l.split holds its groups): the SP's id is made once, each
// group becomes a Plan of its upstream's Pair (the identity Pair where the
// upstream speaks the SP's protocol), and the SP is answered once every
// group is (xsplit.finish). frame is borrowed. Runs on s's loop l.
func (s *spConn) submitSplit(l *loop, frame []byte, v *codec.View, sp *route.Split, allow reason.Reason) {
	g, f := s.g, s.f
	xs := &xsplit{s: s, cmdKind: v.Kind, cmd: v.Command, allow: allow, spNumber: string(v.SPNumber), report: v.NeedReport}
	copy(xs.spSeq[:], v.Sequence)
	if f.d.SubmitIDIsSeq() {
		xs.spID = append([]byte(nil), v.Sequence...)
	} else if xs.spID = l.ids[f.idx].Append(nil, v.DestCount); len(xs.spID) == 0 {
		s.refuse(v, reason.UpstreamUnavailable) // no SP id yet (idmark.go): busy
		return
	}
	xs.dests = make([]string, v.DestCount)
	for i := range xs.dests {
		xs.dests[i] = translate.National(string(v.Dest(i)))
	}
	xs.join.Init(sp)
	if sp.NoRoute() > 0 {
		// A table without a default route: those recipients get failure
		// reports if another group takes the message (route.Join).
		g.logRL(slog.LevelWarn, "recipients without a route", "account", s.acct.id, "count", sp.NoRoute())
	}
	xs.s.inflight.Add(1)
	xsubs := make([]*xsubmit, 0, sp.Groups())
	for k := 0; k < sp.Groups(); k++ {
		upIdx, rs := sp.Group(k)
		u := g.upstreams[upIdx]
		idx := make([]int, len(rs))
		for j, r := range rs {
			idx[j] = int(r)
		}
		plan, err := f.pairFor(u).SubmitGroup(frame, v.Sequence, xs.spID, idx)
		if err != nil {
			g.logRL(slog.LevelWarn, "Submit cannot be translated for an upstream", "account", s.acct.id, "upstream", u.name, "err", err)
			xs.join.Answer(k, translate.ClassOf(err))
			continue
		}
		xsubs = append(xsubs, &xsubmit{s: s, u: u, plan: plan, cmdKind: v.Kind, cmd: v.Command, allow: allow, split: xs, grp: k})
	}
	if len(xsubs) == 0 { // no group could be built: the join is complete
		xs.finish(l)
		return
	}
	for _, x := range xsubs {
		x.send(l)
	}
}

// groupDone records group x's answer; the last one answers the SP. Runs
// on the loop x was sent on.
func (xs *xsplit) groupDone(l *loop, x *xsubmit) {
	c := x.plan.Class()
	if x.answered > 0 {
		xs.answered = true
	}
	if c == codec.ResultOK && xs.report {
		for _, i := range x.plan.Failures() {
			xs.failures = append(xs.failures, x.plan.FailureReport(i, l.wall))
		}
	}
	if xs.join.Answer(x.grp, c) {
		xs.finish(l)
	}
}

// finish answers the SP once every group is answered (docs/routing.md §4):
// success when a group was accepted, with the SP's id either way, then a
// REJECTD report under its own id for every recipient of a refused group
// (and those a group's Plan refused), when the SP asked for reports. No
// upstream answer at all: upstream_timeout, as an untranslated Submit.
func (xs *xsplit) finish(l *loop) {
	s, g := xs.s, xs.s.g
	s.inflight.Add(-1)
	if !xs.answered {
		s.refuseLater(l, &pending{kind: pendSubmit, cmdKind: xs.cmdKind, cmd: xs.cmd, spSeq: xs.spSeq}, reason.UpstreamTimeout)
		return
	}
	s.settle(l, xs.allow)
	sf := s.f
	f := sf.tf
	c := xs.join.Result()
	s.write(l, f.AppendSubmitResp(nil, xs.spSeq[:sf.seqLen], xs.spID, f.ClassResult(c)), codec.KindSubmitResp)
	if !xs.report || c != codec.ResultOK {
		return
	}
	t := l.wall.In(g.loc).Format("0601021504")
	for _, i := range xs.join.Failures(nil) {
		xs.failures = append(xs.failures, codec.Report{SubmitID: f.AppendMsgIDAt(nil, xs.spID, i), User: f.UserNumber(xs.dests[i]),
			SPNumber: xs.spNumber, Stat: "REJECTD", SubmitTime: t, DoneTime: t})
	}
	for i := range xs.failures {
		frame := sf.same.AppendSPReport(nil, &xs.failures[i], l.ids[sf.idx], l.wall)
		g.deliver.enqueue(l, s.acct, &delivery{kind: sf.reportKind(), frame: frame}, nil)
	}
}
