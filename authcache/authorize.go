package authcache

import "github.com/spsmg/spsmg/reason"

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
	// Segment: the part of a long message this Submit is (zero: a message
	// of its own). The parts of one LinkID message spend one use in all
	// (longsms.go).
	Segment Segment

	// memo is the last (SP, service code) resolution Authorize made with
	// this MT. A caller that reuses one MT per goroutine (the proxy keeps
	// one per event loop) skips the names lookup for a run of Submits from
	// one SP and service, the common case: a read of one connection carries
	// up to a window of them. It is that goroutine's own, shares nothing.
	memo refMemo
}

// maxMemoService bounds the service codes the memo holds (CMPP's
// Service_Id is 10 bytes, SGIP's ServiceType and SMGP's ServiceID 10,
// SMPP's service_type 6); a longer one is looked up every time.
const maxMemoService = 16

// refMemo remembers names.ref for one (SP, service code) in one names
// snapshot. Snapshots are immutable (a new name or policy makes a new
// one), so the memo holds while n is the current snapshot.
type refMemo struct {
	n      *names
	sp     string
	svc    [maxMemoService]byte
	svcLen uint8
	ref    svcRef
	known  bool
}

// lookup resolves (sp, svc) in n through the memo.
func (m *refMemo) lookup(n *names, sp string, svc []byte) (svcRef, bool) {
	if m.n == n && int(m.svcLen) == len(svc) && m.sp == sp && string(m.svc[:m.svcLen]) == string(svc) {
		return m.ref, m.known
	}
	ref, known := n.ref(sp, svc)
	if len(svc) <= maxMemoService {
		*m = refMemo{n: n, sp: sp, svcLen: uint8(len(svc)), ref: ref, known: known}
		copy(m.svc[:], svc)
	}
	return ref, known
}

// Authorize decides one MT Submit (docs/authorization.md §7):
//
//  1. no recipient → no_recipients; engine unavailable → store_unavailable
//     (fail-closed, retryable);
//  2. exempt SP account → exempt (nothing checked, nothing consumed);
//  3. service code = NoticeServiceCode → the subscription notice: its LinkID
//     must be a live Noti_SP LinkID (or an MO LinkID with a recorded service,
//     §5) of this SP and every recipient's user; the subscription is
//     recorded → subscription_notice, else notice_unmatched;
//  4. exempt (free) service → exempt;
//  5. a LinkID → decided by that LinkID alone (strict rule): it must be live,
//     issued to this SP, to every recipient, for this service when one was
//     recorded, with a use left per recipient → mo_linkid / web_linkid; a
//     part of a long message (MT.Segment) that follows an earlier part of
//     the same message takes that part's verdict and spends nothing
//     (longsms.go);
//  6. no LinkID → every recipient needs an active subscription for (SP,
//     service code) → subscription; a relation the carrier paused →
//     subscription_paused; else not_subscribed.
//
// All recipients must pass; a refused Submit consumes no use. Authorize
// never touches disk and does not allocate on a hit (subscription, LinkID,
// exempt); a LinkID use is queued for the writer as a fixed-size record.
// Safe from any goroutine.
func (e *Engine) Authorize(mt *MT) Decision {
	if h := e.health.Load(); h != 0 && (e.shared == nil || h&^healthWrites != 0) {
		// On a shared store, failing writes do not stop what memory
		// decides alone (shared.go).
		e.failClosed.Add(1)
		return Decision{Reason: reason.StoreUnavailable}
	}
	if len(mt.Dests) == 0 {
		return Decision{Reason: reason.NoRecipients}
	}
	n := e.names.load()
	svc := trimField(mt.ServiceCode)
	link := trimField(mt.LinkID)
	// The common case, a subscription MT, costs one map lookup here, or
	// none when the MT's memo has this SP and service.
	ref, known := mt.memo.lookup(n, mt.SP, svc)
	if known && ref.exempt {
		return Decision{Allow: true, Reason: reason.Exempt, Flow: FlowExempt}
	}
	p := e.policy.Load()
	notice := string(svc) == p.noticeCode
	if known && !notice && len(link) == 0 {
		return e.authorizeSubscription(mt, ref.id)
	}
	sp := n.sps[mt.SP] // nil: an account with no record yet
	switch {
	case sp != nil && sp.exempt:
		return Decision{Allow: true, Reason: reason.Exempt, Flow: FlowExempt}
	case e.shared != nil && len(link) > 0 && len(link) <= MaxLinkIDLen && (notice || !(!known && sp == nil && p.freeForAll(svc))):
		// Uses are spent in the shared store (shared.go).
		if e.sharedUnavailable() {
			e.failClosed.Add(1)
			return Decision{Reason: reason.StoreUnavailable}
		}
		return deferDecision
	case notice:
		return e.authorizeNotice(mt, sp, link)
	case !known && sp == nil && p.freeForAll(svc):
		return Decision{Allow: true, Reason: reason.Exempt, Flow: FlowExempt}
	case len(link) > 0:
		return e.authorizeLinkID(p, mt, sp, svc, link)
	}
	return refuse(reason.NotSubscribed, FlowSubscription, 0)
}

func refuse(r reason.Reason, f Flow, recipient int) Decision {
	return Decision{Reason: r, Flow: f, Recipient: recipient}
}

// authorizeSubscription: §3d, a plain MT needs an active subscription for
// every recipient.
func (e *Engine) authorizeSubscription(mt *MT, svc uint32) Decision {
	for i, d := range mt.Dests {
		u, ok := userKeyOf(d)
		if !ok {
			return refuse(reason.BadRecipient, FlowSubscription, i)
		}
		v, found := e.subs[subShardOf(u)].t.get(makeSubKey(u, svc))
		if !found || v.state != SubActive {
			if found && v.state == SubPaused {
				return refuse(reason.SubscriptionPaused, FlowSubscription, i)
			}
			return refuse(reason.NotSubscribed, FlowSubscription, i)
		}
	}
	return Decision{Allow: true, Reason: reason.Subscription, Flow: FlowSubscription}
}

// checkLink validates a LinkID record against an MT; the caller holds the
// shard lock and passes a names snapshot loaded after taking it (the
// record's svc id is interned before the record is stored). It returns
// reason.None when the MT may consume the uses.
func checkLink(n *names, v *linkVal, ok bool, now uint32, mt *MT, sp *spNames, svc []byte, notice bool) (reason.Reason, int) {
	switch {
	case !ok:
		return reason.LinkIDUnknown, 0
	case now >= v.expires:
		return reason.LinkIDExpired, 0
	}
	if r, at := checkHolder(n, v, mt, sp, svc, notice); r != reason.None {
		return r, at
	}
	if int(v.uses) < len(mt.Dests) {
		return reason.LinkIDUsedUp, 0
	}
	return reason.None, 0
}

// checkHolder checks an MT against whom a LinkID was issued to: this SP,
// every recipient's user, the MO's service (a LinkID MT) or a confirmed
// request or an MO naming its service (a notice). Lifetime and uses are
// checkLink's.
func checkHolder(n *names, v *linkVal, mt *MT, sp *spNames, svc []byte, notice bool) (reason.Reason, int) {
	pair := &n.pairs[v.svc]
	if sp == nil || sp.id != pair.sp {
		return reason.LinkIDWrongSP, 0
	}
	for i, d := range mt.Dests {
		u, ok := userKeyOf(d)
		if !ok {
			return reason.BadRecipient, i
		}
		if u != v.user {
			return reason.LinkIDWrongUser, i
		}
	}
	if notice {
		// A notice needs a confirmed request, or an MO naming its service.
		if v.kind == linkWeb || (v.kind == linkMO && pair.service == "") {
			return reason.NoticeUnmatched, 0
		}
		return reason.None, 0
	}
	// The service is checked only where the MO recorded one: SGIP Delivers
	// carry no service code, and web codes are issued per SP.
	if v.kind != linkWeb && pair.service != "" && pair.service != string(svc) {
		return reason.LinkIDWrongService, 0
	}
	return reason.None, 0
}

// takeLink looks up a LinkID, checks it against the MT and, when it
// passes, consumes one use per recipient — all under the shard lock, so a
// refused Submit consumes nothing and two loops cannot overspend. A part
// of a long message whose message was already decided takes that decision
// instead and consumes nothing (longsms.go); a first part records its
// decision, under the same lock.
func (e *Engine) takeLink(mt *MT, sp *spNames, svc, link []byte, notice bool) (v linkVal, n *names, ok bool, r reason.Reason, at int) {
	var k linkKey
	copy(k[:], link)
	now := e.nowSec()
	h := linkHash(&k)
	s := &e.links[h>>(64-linkShardBits)]
	part := mt.Segment.isPart() && len(mt.Dests) <= 255
	var pk partsKey
	var set []partsEntry
	s.mu.Lock()
	n = e.names.load() // after the lock: see checkLink
	if part {
		pk = makePartsKey(&k, mt.Segment, len(mt.Dests))
		set = s.parts.set(h, &pk)
		if p := s.parts.find(set, &pk, now); p != nil {
			v = p.link
			if r, at = checkHolder(n, &v, mt, sp, svc, notice); r == reason.None {
				r = p.verdict
				s.parts.follow(p, mt.Segment.Seq)
			}
			s.mu.Unlock()
			return v, n, true, r, at
		}
	}
	v, ok = s.m[k]
	r, at = checkLink(n, &v, ok, now, mt, sp, svc, notice)
	if r == reason.None {
		v.uses -= uint16(len(mt.Dests))
		s.m[k] = v
	}
	if part && (r == reason.None || r == reason.LinkIDUsedUp ||
		r == reason.LinkIDExpired && checkHolderOK(n, &v, mt, sp, svc, notice)) {
		s.parts.decide(set, &pk, v, r, mt.Segment.Seq, now, expiry(now, e.policy.Load().cfg.LongSMSTTL))
	}
	s.mu.Unlock()
	if r == reason.None {
		e.queueUses(link, v.uses, v.expires)
	}
	return v, n, ok, r, at
}

func checkHolderOK(n *names, v *linkVal, mt *MT, sp *spNames, svc []byte, notice bool) bool {
	r, _ := checkHolder(n, v, mt, sp, svc, notice)
	return r == reason.None
}

// authorizeLinkID: §1 / §2, the strict LinkID rule.
func (e *Engine) authorizeLinkID(p *policy, mt *MT, sp *spNames, svc, link []byte) Decision {
	if len(link) > MaxLinkIDLen {
		return refuse(reason.LinkIDUnknown, p.linkFlow(link), 0)
	}
	v, _, found, r, at := e.takeLink(mt, sp, svc, link, false)
	if r != reason.None {
		f := v.kind.flow()
		if !found {
			f = p.linkFlow(link)
		}
		return refuse(r, f, at)
	}
	if v.kind == linkWeb {
		return Decision{Allow: true, Reason: reason.WebLinkID, Flow: FlowWebOnDemand}
	}
	return Decision{Allow: true, Reason: reason.MOLinkID, Flow: FlowMOOnDemand}
}

// authorizeNotice: §3c. The notice must carry the LinkID of a confirmed
// request (a Noti_SP LinkID) — or, for an SMS subscription (§5), of an MO
// whose service is recorded — for this SP and the same user. It consumes a
// use like any LinkID MT and records the subscription. The notice's own
// service code (DZTZ) is not compared with the recorded service.
func (e *Engine) authorizeNotice(mt *MT, sp *spNames, link []byte) Decision {
	if len(link) == 0 || len(link) > MaxLinkIDLen {
		return refuse(reason.NoticeUnmatched, FlowNotice, 0)
	}
	v, n, _, r, at := e.takeLink(mt, sp, nil, link, true)
	if r != reason.None {
		return refuse(reason.NoticeUnmatched, FlowNotice, at)
	}
	src := SourceWeb
	if v.kind == linkMO {
		src = SourceSMS
	}
	pair := n.pairs[v.svc]
	e.subscribe(NormalizeMSISDN(mt.Dests[0]), v.user, v.svc, pair.spName, pair.service, src)
	return Decision{Allow: true, Reason: reason.SubscriptionNotice, Flow: FlowNotice}
}

// queueUses hands a LinkID's uses-left to the writer as a typed op: no
// allocation here; the writer encodes ac/u/<linkid>.
func (e *Engine) queueUses(link []byte, uses uint16, expires uint32) {
	o := op{t: typedOp{kind: typedUses, n: uint8(len(link)), uses: uses, expires: expires}}
	copy(o.t.id[:], link)
	_ = e.w.enqueue(&o) // a full queue is counted in Stats.Dropped; memory stays right
}
