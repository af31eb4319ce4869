package authcache

// MT is the authorization view of one Submit, filled by the proxy from a
// zero-copy frame view. Byte slices alias the network buffer: the engine
// never retains them (it copies into keys and records when storing).
// Fixed-width padding (trailing NULs, spaces) is ignored.
type MT struct {
	SP          string   // SP account id the connection logged in as
	SPNumber    []byte   // source number (access number + suffix)
	ServiceCode []byte   // Service_Id / ServiceType
	LinkID      []byte   // empty when the Submit carries none
	Dests       [][]byte // recipients; the proxy reuses the backing array
}

// Authorize decides one MT Submit (SPEC §3):
//
//  1. no recipient → no_recipients; engine unavailable → store_unavailable
//     (fail-closed, retryable);
//  2. exempt SP account → exempt (nothing checked, nothing consumed);
//  3. service code = NoticeServiceCode → the subscription notice: its LinkID
//     must be a live Noti_SP LinkID (or an MO LinkID with a recorded service,
//     §3.5) of this SP and every recipient's user; the subscription is
//     recorded → subscription_notice, else notice_unmatched;
//  4. exempt (free) service → exempt;
//  5. a LinkID → decided by that LinkID alone (strict rule): it must be live,
//     issued to this SP, to every recipient, for this service when one was
//     recorded, with a use left per recipient → mo_linkid / web_linkid;
//  6. no LinkID → every recipient needs an active subscription for (SP,
//     service code) → subscription, else not_subscribed.
//
// All recipients must pass; a refused Submit consumes no use. Authorize
// never touches disk and does not allocate on a hit (subscription, LinkID,
// exempt); a LinkID use is queued for the writer as a fixed-size record.
// Safe from any goroutine.
func (e *Engine) Authorize(mt *MT) Decision {
	if e.health.Load() != 0 {
		e.failClosed.Add(1)
		return Decision{Reason: ReasonStoreUnavailable}
	}
	if len(mt.Dests) == 0 {
		return Decision{Reason: ReasonNoRecipients}
	}
	n := e.names.load()
	svc := trimField(mt.ServiceCode)
	link := trimField(mt.LinkID)
	// The common case, a subscription MT, costs one map lookup here.
	ref, known := n.ref(mt.SP, svc)
	if known && ref.exempt {
		return Decision{Allow: true, Reason: ReasonExempt, Flow: FlowExempt}
	}
	p := e.policy.Load()
	notice := string(svc) == p.noticeCode
	if known && !notice && len(link) == 0 {
		return e.authorizeSubscription(mt, ref.id)
	}
	sp := n.sps[mt.SP] // nil: an account with no record yet
	switch {
	case sp != nil && sp.exempt:
		return Decision{Allow: true, Reason: ReasonExempt, Flow: FlowExempt}
	case notice:
		return e.authorizeNotice(mt, sp, link)
	case !known && sp == nil && p.freeForAll(svc):
		return Decision{Allow: true, Reason: ReasonExempt, Flow: FlowExempt}
	case len(link) > 0:
		return e.authorizeLinkID(p, mt, sp, svc, link)
	}
	return refuse(ReasonNotSubscribed, FlowSubscription, 0)
}

func refuse(r Reason, f Flow, recipient int) Decision {
	return Decision{Reason: r, Flow: f, Recipient: recipient}
}

// authorizeSubscription: §3.3d, a plain MT needs an active subscription for
// every recipient.
func (e *Engine) authorizeSubscription(mt *MT, svc uint32) Decision {
	for i, d := range mt.Dests {
		u, ok := userKeyOf(d)
		if !ok {
			return refuse(ReasonBadRecipient, FlowSubscription, i)
		}
		v, found := e.subs[subShardOf(u)].t.get(makeSubKey(u, svc))
		if !found || v.state != SubActive {
			return refuse(ReasonNotSubscribed, FlowSubscription, i)
		}
	}
	return Decision{Allow: true, Reason: ReasonSubscription, Flow: FlowSubscription}
}

// checkLink validates a LinkID record against an MT; the caller holds the
// shard lock and passes a names snapshot loaded after taking it (the
// record's svc id is interned before the record is stored). It returns
// reasonNone when the MT may consume the uses.
func checkLink(n *names, v *linkVal, ok bool, now uint32, mt *MT, sp *spNames, svc []byte, checkService bool) (Reason, int) {
	switch {
	case !ok:
		return ReasonLinkIDUnknown, 0
	case now >= v.expires:
		return ReasonLinkIDExpired, 0
	}
	pair := &n.pairs[v.svc]
	if sp == nil || sp.id != pair.sp {
		return ReasonLinkIDWrongSP, 0
	}
	for i, d := range mt.Dests {
		u, ok := userKeyOf(d)
		if !ok {
			return ReasonBadRecipient, i
		}
		if u != v.user {
			return ReasonLinkIDWrongUser, i
		}
	}
	// The service is checked only where the MO recorded one: SGIP Delivers
	// carry no service code, and web codes are issued per SP.
	if checkService && v.kind != linkWeb && pair.service != "" && pair.service != string(svc) {
		return ReasonLinkIDWrongService, 0
	}
	if int(v.uses) < len(mt.Dests) {
		return ReasonLinkIDUsedUp, 0
	}
	return reasonNone, 0
}

// takeLink looks up a LinkID, checks it against the MT and, when it
// passes, consumes one use per recipient — all under the shard lock, so a
// refused Submit consumes nothing and two loops cannot overspend.
func (e *Engine) takeLink(mt *MT, sp *spNames, svc, link []byte, checkService bool) (v linkVal, n *names, ok bool, r Reason, at int) {
	var k linkKey
	copy(k[:], link)
	now := e.nowSec()
	s := &e.links[linkShardOf(&k)]
	s.mu.Lock()
	v, ok = s.m[k]
	n = e.names.load() // after the lock: see checkLink
	r, at = checkLink(n, &v, ok, now, mt, sp, svc, checkService)
	if r == reasonNone && !checkService && (v.kind == linkWeb || (v.kind == linkMO && n.pairs[v.svc].service == "")) {
		// A notice needs a confirmed request, or an MO naming its service.
		r = ReasonNoticeUnmatched
	}
	if r == reasonNone {
		v.uses -= uint16(len(mt.Dests))
		s.m[k] = v
	}
	s.mu.Unlock()
	if r == reasonNone {
		e.queueUses(link, v.uses, v.expires)
	}
	return v, n, ok, r, at
}

// authorizeLinkID: §3.1 / §3.2, the strict LinkID rule.
func (e *Engine) authorizeLinkID(p *policy, mt *MT, sp *spNames, svc, link []byte) Decision {
	if len(link) > MaxLinkIDLen {
		return refuse(ReasonLinkIDUnknown, p.linkFlow(link), 0)
	}
	v, _, found, r, at := e.takeLink(mt, sp, svc, link, true)
	if r != reasonNone {
		f := v.kind.flow()
		if !found {
			f = p.linkFlow(link)
		}
		return refuse(r, f, at)
	}
	if v.kind == linkWeb {
		return Decision{Allow: true, Reason: ReasonWebLinkID, Flow: FlowWebOnDemand}
	}
	return Decision{Allow: true, Reason: ReasonMOLinkID, Flow: FlowMOOnDemand}
}

// authorizeNotice: §3.3c. The notice must carry the LinkID of a confirmed
// request (a Noti_SP LinkID) — or, for an SMS subscription (§3.5), of an MO
// whose service is recorded — for this SP and the same user. It consumes a
// use like any LinkID MT and records the subscription. The notice's own
// service code (DZTZ) is not compared with the recorded service.
func (e *Engine) authorizeNotice(mt *MT, sp *spNames, link []byte) Decision {
	if len(link) == 0 || len(link) > MaxLinkIDLen {
		return refuse(ReasonNoticeUnmatched, FlowNotice, 0)
	}
	v, n, _, r, at := e.takeLink(mt, sp, nil, link, false)
	if r != reasonNone {
		return refuse(ReasonNoticeUnmatched, FlowNotice, at)
	}
	src := SourceWeb
	if v.kind == linkMO {
		src = SourceSMS
	}
	pair := n.pairs[v.svc]
	e.subscribe(NormalizeMSISDN(mt.Dests[0]), v.user, v.svc, pair.spName, pair.service, src)
	return Decision{Allow: true, Reason: ReasonSubscriptionNotice, Flow: FlowNotice}
}

// queueUses hands a LinkID's uses-left to the writer as a typed op: no
// allocation here; the writer encodes ac/u/<linkid>.
func (e *Engine) queueUses(link []byte, uses uint16, expires uint32) {
	o := op{t: typedOp{kind: typedUses, n: uint8(len(link)), uses: uses, expires: expires}}
	copy(o.t.id[:], link)
	_ = e.w.enqueue(&o) // a full queue is counted in Stats.Dropped; memory stays right
}
