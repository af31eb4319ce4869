package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/reason"
)

// Ingresses: servers beside the gateway that take MTs from SPs that do not
// connect to it — the JSON socket listener of merchant systems (package
// jsoningress) is one. Their accounts have a protocol without a Dialect
// (json): they never log in here, MO is not routed to them, and their
// listeners are not the gateway's. Such a server decides each message with
// AdmitMT, exactly as the gateway decides an SP's Submit, sends it through
// the upstream binds with SubmitMT, and takes the status reports of those
// messages through the ReportSink it sets.
//
//	ingress ─AdmitMT─▶ account limits, authorization ─SubmitMT─▶ bind ─▶ SMG
//	ingress ◀─ReportSink.TakeReport─ report (route names its account) ◀─ SMG

// external reports whether an account or listener of protocol p is an
// ingress's: a protocol the gateway has no Dialect for. ProtocolUnknown (a
// Config built in code, whose accounts default to the upstream's) is the
// gateway's.
func external(p codec.Protocol) bool { return p != codec.ProtocolUnknown && dialect.For(p) == nil }

// ReportSink takes the status reports of the accounts an ingress serves.
type ReportSink interface {
	// TakeReport is called on an event loop, or on a route-lookup
	// goroutine, for each report whose route names such an account; it
	// must not block. r.Done must then be called once, from any goroutine.
	TakeReport(r IngressReport)
}

// IngressReport is a status report due to an account an ingress serves.
type IngressReport struct {
	Account string
	// Origin is the route's origin: what the ingress gave SubmitMT.
	Origin []byte
	// Frame is the report as the SMG sent it, in the upstream's protocol
	// (its Dialect's DecodeDelivery reads it); the sink's own copy.
	Frame []byte
	// Upstream is the index, in config.Upstreams, of the upstream whose
	// SMG sent it: Frame is in its protocol.
	Upstream int
	// Done answers the SMG: ok once the sink holds the report durably (the
	// rule for every report: acknowledged once persisted); !ok answers the
	// busy result, and the SMG sends it again later.
	Done func(ok bool)
}

// ingressHooks is the Gateway's side of the ingresses.
type ingressHooks struct {
	sink atomic.Pointer[ReportSink]
}

// SetReportSink routes the reports of the accounts an ingress serves to s
// from now on; nil stops it (they are then answered busy, and the SMG
// sends them again). Any goroutine.
func (g *Gateway) SetReportSink(s ReportSink) {
	if s == nil {
		g.ingress.sink.Store(nil)
		return
	}
	g.ingress.sink.Store(&s)
}

// reportToIngress hands a report whose route names an ingress's account to
// its sink. Runs on loop l, or on a lookup goroutine with l nil; frame is
// borrowed.
func (g *Gateway) reportToIngress(l *loop, up *upstream, a *account, r authcache.Route, frame []byte, ak *ack) {
	sp := g.ingress.sink.Load()
	if sp == nil {
		g.logRL(slog.LevelWarn, "status report for an ingress account with no ingress running; the SMG will resend it", "account", a.id)
		ak.refuse(l, reason.UpstreamUnavailable)
		return
	}
	var once atomic.Bool
	(*sp).TakeReport(IngressReport{Account: a.id, Origin: clone(r.Origin.Bytes()), Frame: clone(frame), Upstream: up.idx, Done: func(ok bool) {
		if !once.CompareAndSwap(false, true) {
			return
		}
		if ok {
			ak.send(nil, 0)
			return
		}
		ak.refuse(nil, reason.UpstreamUnavailable)
	}})
}

// ErrUpstreamTimeout: the SMG did not answer a Submit in time, or its bind
// was lost or found unhealthy; the SMG may still have taken it.
var ErrUpstreamTimeout = errors.New("proxy: the SMG did not answer")

// AdmitMT decides one MT an ingress received for account mt.SP, as the
// gateway decides an SP's Submit on its connection: the gateway draining,
// the account suspended, its tps, the service code and the source number
// allowed, an upstream bind logged in, then the authorization engine (a
// decision that needs the cluster waits for it, within ctx). An MT the
// ingress sends as parts Submits (a long message it split) is decided once
// as a whole: it takes parts TPS tokens or none. A refusal is counted at
// once, parts times, under its reason in the account's decisions
// (spsmg_mt_decisions_total); an allowed MT is counted when SubmitMT's
// answer settles each Submit. Any goroutine.
func (g *Gateway) AdmitMT(ctx context.Context, mt *authcache.MT, parts int) authcache.Decision {
	parts = max(parts, 1)
	a := g.accounts.Load().byID[mt.SP]
	if a == nil {
		return authcache.Decision{Reason: reason.AccountSuspended} // gone: as permanent as a suspension, counted nowhere
	}
	refuse := func(why reason.Reason) authcache.Decision {
		a.countIngress(why, parts)
		return authcache.Decision{Reason: why}
	}
	ac := a.cfg.Load()
	switch {
	case g.draining.Load():
		return refuse(reason.UpstreamUnavailable)
	case a.suspended.Load():
		return refuse(reason.AccountSuspended)
	case !g.ingressTokens(a, ac, parts):
		return refuse(reason.FlowControl)
	case !ac.allowsService(mt.ServiceCode):
		return refuse(reason.ServiceNotAllowed)
	case !ac.allowsSPNumber(mt.SPNumber):
		return refuse(reason.SPNumberNotAllowed)
	case len(mt.Dests) > 100:
		return refuse(reason.TooManyRecipients)
	case !g.ingressUpstreamsReady(mt):
		return refuse(reason.UpstreamUnavailable)
	}
	if ac.Exempt {
		if !g.auth.Writable() {
			return refuse(reason.StoreUnavailable)
		}
		return authcache.Decision{Allow: true, Reason: reason.Exempt}
	}
	d := g.auth.Authorize(mt)
	if d.Deferred() {
		d = g.auth.AuthorizeDeferred(ctx, mt)
	}
	if !d.Allow {
		return refuse(d.Reason)
	}
	return d
}

// ingressUpstreamsReady reports whether the upstream of every recipient of
// mt (RouteMT) has a bind logged in.
func (g *Gateway) ingressUpstreamsReady(mt *authcache.MT) bool {
	if len(mt.Dests) == 0 {
		return g.upstreamOf(nil).Ready() > 0
	}
	for _, d := range mt.Dests {
		if g.upstreamFor(string(d)).Ready() == 0 {
			return false
		}
	}
	return true
}

// RouteMT is the upstream a message to number goes to: its index in
// config.Upstreams (the prefix table of several upstreams, routing:,
// else the one). An ingress encodes the message for that upstream's
// protocol and gives the index to SubmitMT. Any goroutine.
func (g *Gateway) RouteMT(number string) int { return g.upstreamFor(number).idx }

// ingressTokens takes n of the account's TPS tokens, or none: from the
// account's bucket in the cluster (several nodes; filled first when empty,
// since an ingress may block), else from its limiter.
func (g *Gateway) ingressTokens(a *account, ac *accountConfig, n int) bool {
	now := time.Now()
	if c := g.cl; c != nil && c.reachable() {
		t := &a.ctok
		if t.pool.Load() < int64(n) {
			t.fill(c, a)
		}
		for {
			have := t.pool.Load()
			if have < int64(n) {
				t.refill(c, a)
				if now.UnixNano() < t.localUntil.Load() {
					return a.limiter.AllowN(now, n)
				}
				return false
			}
			if t.pool.CompareAndSwap(have, have-int64(n)) {
				return true
			}
		}
	}
	return a.limiter.AllowN(now, n)
}

// countIngress counts n decisions of an ingress's MT under o. Any
// goroutine.
func (a *account) countIngress(o reason.Reason, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.decisions == nil {
		a.decisions = newDecisionCounts()
	}
	a.decisions[o].Add(uint64(n))
	if o == reason.UpstreamTimeout {
		a.upstreamFailures += uint64(n)
	}
}

// RefuseMT counts n Submits of an MT that the ingress refused itself (a
// message it cannot encode) or did not send after AdmitMT allowed it (a
// record it could not write, an earlier part refused), under why, in the
// account's decisions. Any goroutine.
func (g *Gateway) RefuseMT(account string, why reason.Reason, n int) {
	if a := g.accounts.Load().byID[account]; a != nil && n > 0 {
		a.countIngress(why, n)
	}
}

// SubmitMT sends s, one Submit of an MT that AdmitMT allowed under allow
// for account, through the binds of upstream up (an index in
// config.Upstreams: RouteMT's for the recipient) as spsmg sends its own
// MTs (Originate), and waits for the SMG's answer or ctx. s is written as
// given (numbers as that upstream's Dialect writes them). The answer
// settles the Submit in the account's decisions: under allow when the SMG
// answered, whatever its result; under upstream_timeout (and in the
// account's upstream failures) when it did not, or no bind could take it
// (upstream_unavailable).
//
// When origin is not empty and s asks for a report, each recipient's
// report route names the account with origin, and is recorded on the
// bind's event loop before the loop reads anything more from the SMG: a
// report right behind the answer finds it. CMPP and SMGP: keyed by the
// SMG's message id, once the SMG accepted the Submit. SGIP, whose reports
// name the Submit's sequence and may come on another connection before
// the answer: keyed by that sequence before the Submit is written, and
// deleted when the SMG refuses it. Routes are written behind, as the
// routes of SPs' Submits learnt from a Submit_Resp are. Any goroutine.
func (g *Gateway) SubmitMT(ctx context.Context, account string, allow reason.Reason, up int, s *codec.Submit, origin []byte) (OriginResult, error) {
	a := g.accounts.Load().byID[account]
	if a == nil {
		return OriginResult{}, ErrUnknownAccount
	}
	if up < 0 || up >= len(g.upstreams) {
		return OriginResult{}, fmt.Errorf("proxy: upstream %d of %d", up, len(g.upstreams))
	}
	var route authcache.Route
	if len(origin) > 0 && s.NeedReport {
		o, ok := authcache.MakeOrigin(origin)
		if !ok {
			return OriginResult{}, fmt.Errorf("proxy: route origin of %d bytes, at most %d", len(origin), authcache.MaxOriginLen)
		}
		route = authcache.Route{SP: account, Origin: o}
	}
	u := g.upstreams[up]
	target := g.originLoop(u)
	if target == nil {
		a.countIngress(reason.UpstreamUnavailable, 1)
		return OriginResult{}, ErrUpstreamUnavailable
	}
	type answer struct {
		r   OriginResult
		err error
	}
	res := make(chan answer, 1)
	mt := *s
	err := target.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
		l := target
		l.tick()
		b := u.pick(l)
		if b == nil {
			a.countIngress(reason.UpstreamUnavailable, 1)
			res <- answer{err: ErrUpstreamUnavailable}
			return nil
		}
		var seq wireSeq
		b.send(codec.KindSubmit, func(dst []byte, gw wireSeq) []byte {
			seq = gw
			if route.SP != "" && u.routeAtForward {
				g.putIngressRoute(seq[:u.seqLen], route)
			}
			return u.d.AppendSubmit(dst, gw[:u.seqLen], &mt)
		}, func(result uint32, msgID []byte, err error) {
			if err != nil {
				a.countIngress(reason.UpstreamTimeout, 1)
				res <- answer{err: fmt.Errorf("%w: %v", ErrUpstreamTimeout, err)}
				return
			}
			a.countIngress(allow, 1)
			if route.SP != "" {
				switch {
				case u.routeAtForward && result != 0:
					_ = g.auth.DeleteRoute(seq[:u.seqLen])
				case !u.routeAtForward && result == 0 && len(msgID) > 0:
					for i := range max(len(mt.Dests), 1) {
						b.keyBuf = u.d.AppendMsgIDAt(b.keyBuf[:0], msgID, i)
						g.putIngressRoute(b.keyBuf, route)
					}
				}
			}
			res <- answer{OriginResult{Result: result, MsgID: clone(msgID)}, nil}
		})
		l.stats.packet(sideSMG, dirOut, codec.KindSubmit)
		l.flush()
		return nil
	}))
	if err != nil {
		a.countIngress(reason.UpstreamUnavailable, 1)
		return OriginResult{}, err
	}
	select {
	case r := <-res:
		return r.r, r.err
	case <-ctx.Done():
		return OriginResult{}, ctx.Err()
	}
}

func (g *Gateway) putIngressRoute(key []byte, r authcache.Route) {
	if err := g.auth.PutRoute(key, r); err != nil {
		g.logRL(slog.LevelError, "report route of an ingress MT not stored; its report will be unroutable", "account", r.SP, "err", err)
	}
}
