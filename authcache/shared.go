package authcache

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/spsmg/spsmg/reason"
)

// Decisions on a shared store (SharedStore: several nodes on one Redis
// Cluster). Memory still decides everything it can decide alone: a
// subscription MT, an exempt one, every refusal a LinkID's record settles
// (unknown, expired, another SP's, user's or service's). Two things need
// every node to agree at the instant of the decision, and go to the store:
//
//   - spending a LinkID's uses: Authorize answers Deferred for an MT with a
//     LinkID (or a subscription notice, which spends one too), and the
//     caller runs AuthorizeDeferred off its event loop; that checks the
//     record in memory and spends in the store (TakeUses: one atomic
//     script, so of two nodes spending the last use one wins). The parts
//     of a long message are decided there too, once for the message
//     across every node (longsms.go, in the store);
//   - a confirmation's Y or N: OnMO answers Deferred for an MO to the
//     portal number, and the caller runs OnMODeferred off its event loop;
//     the pending request is taken from the store (Take: GETDEL), so the
//     reply counts on the one node that gets it.
//
// Fail policy. While the shared store is unreachable (MarkSharedDown, or
// writes failing), MTs memory decides alone go on being decided; LinkID
// MTs are refused store_unavailable at once (no uses can be spent
// exactly); MOs are forwarded untouched, confirmations included
// (fail-open, as with Badger); API changes are refused (ErrUnavailable).

// sharedStats count the decisions that went to the shared store.
type sharedStats struct {
	deferred, spent, usedUp, followed, errors, confirms, confirmErrors atomic.Uint64
}

// Shared reports whether the engine decides LinkID MTs and confirmations
// through a SharedStore (several nodes).
func (e *Engine) Shared() bool { return e.shared != nil }

// MarkSharedDown tells the engine whether the shared store is reachable,
// from a health check that watches it (the proxy's cluster heartbeat): a
// LinkID MT is then refused at once instead of waiting for the store.
func (e *Engine) MarkSharedDown(down bool) {
	if e.sharedDown.Swap(down) != down {
		if down {
			e.log.Error("authcache: shared store unreachable: LinkID MTs refused store_unavailable, other MTs decided from memory, MO forwarded untouched")
		} else {
			e.log.Info("authcache: shared store reachable again")
		}
	}
}

// sharedUnavailable reports whether decisions that need the shared store
// cannot be made now.
func (e *Engine) sharedUnavailable() bool {
	return e.sharedDown.Load() || e.health.Load()&healthWrites != 0
}

// Decides reports whether Authorize decides MTs (rather than refusing them
// all store_unavailable): on Badger the same as Available; on a shared
// store also while the store fails, since memory decides what it can.
func (e *Engine) Decides() bool {
	h := e.health.Load()
	return h == 0 || e.shared != nil && h&^healthWrites == 0
}

// AuthorizeDeferred decides an MT for which Authorize answered Deferred: an
// MT with a LinkID, or a subscription notice, on a SharedStore. It may
// block on the network (ctx bounds the wait): call it from a worker
// goroutine, never from an event loop. mt is read during the call only.
func (e *Engine) AuthorizeDeferred(ctx context.Context, mt *MT) Decision {
	if e.health.Load()&(healthClosed|healthMarked) != 0 || e.shared == nil || e.sharedUnavailable() {
		e.failClosed.Add(1)
		return Decision{Reason: reason.StoreUnavailable}
	}
	if len(mt.Dests) == 0 {
		return Decision{Reason: reason.NoRecipients}
	}
	e.sharedStats.deferred.Add(1)
	p := e.policy.Load()
	svc := trimField(mt.ServiceCode)
	link := trimField(mt.LinkID)
	notice := string(svc) == p.noticeCode
	refusal := func(r reason.Reason, at int, f Flow) Decision {
		if notice {
			return refuse(reason.NoticeUnmatched, FlowNotice, at)
		}
		return refuse(r, f, at)
	}
	if len(link) == 0 || len(link) > MaxLinkIDLen {
		return refusal(reason.LinkIDUnknown, 0, p.linkFlow(link))
	}
	v, n, found, err := e.findLink(link)
	if err != nil {
		e.sharedStats.errors.Add(1)
		e.failClosed.Add(1)
		e.log.Warn("authcache: LinkID record not read from the shared store", "err", err)
		return Decision{Reason: reason.StoreUnavailable}
	}
	if !found {
		return refusal(reason.LinkIDUnknown, 0, p.linkFlow(link))
	}
	sp := n.sps[mt.SP]
	check := svc
	if notice {
		check = nil
	}
	if r, at := checkHolder(n, &v, mt, sp, check, notice); r != reason.None {
		return refusal(r, at, v.kind.flow())
	}
	now := e.nowSec()
	part := mt.Segment.isPart() && len(mt.Dests) <= 255
	expired := now >= v.expires
	switch {
	case expired && !part:
		return refusal(reason.LinkIDExpired, 0, v.kind.flow())
	case int(v.uses) < len(mt.Dests) && !part:
		return refusal(reason.LinkIDUsedUp, 0, v.kind.flow())
	}
	req := UsesRequest{LinkID: link, Generation: int64(v.expires), Allowed: int(v.uses), N: len(mt.Dests),
		ExpiresAt: int64(v.expires), Expired: expired}
	if part {
		req.Part, req.Ref, req.Total, req.Seq, req.Dests = true, mt.Segment.Ref, mt.Segment.Total, mt.Segment.Seq, uint8(len(mt.Dests))
		req.PartTTL = p.cfg.LongSMSTTL
	}
	res, err := e.shared.TakeUses(ctx, req)
	if err != nil {
		e.sharedStats.errors.Add(1)
		e.failClosed.Add(1)
		e.log.Warn("authcache: LinkID uses not spent in the shared store; MT refused store_unavailable", "err", err)
		return Decision{Reason: reason.StoreUnavailable}
	}
	if res.Followed {
		e.sharedStats.followed.Add(1)
	}
	switch res.Verdict {
	case UsesTaken:
		if !res.Followed {
			e.sharedStats.spent.Add(1)
		}
	case UsesExpired:
		return refusal(reason.LinkIDExpired, 0, v.kind.flow())
	default:
		e.sharedStats.usedUp.Add(1)
		return refusal(reason.LinkIDUsedUp, 0, v.kind.flow())
	}
	if notice {
		src := SourceWeb
		if v.kind == linkMO {
			src = SourceSMS
		}
		pair := n.pairs[v.svc]
		e.subscribe(NormalizeMSISDN(mt.Dests[0]), v.user, v.svc, pair.spName, pair.service, src)
		return Decision{Allow: true, Reason: reason.SubscriptionNotice, Flow: FlowNotice}
	}
	if v.kind == linkWeb {
		return Decision{Allow: true, Reason: reason.WebLinkID, Flow: FlowWebOnDemand}
	}
	return Decision{Allow: true, Reason: reason.MOLinkID, Flow: FlowMOOnDemand}
}

// findLink returns a LinkID's record from memory, or, when memory does not
// have it yet (the node that issued it wrote it a moment ago and the change
// is still on its way), from the store, keeping it in memory. The names
// snapshot is loaded after the record was read (see checkLink).
func (e *Engine) findLink(link []byte) (linkVal, *names, bool, error) {
	var k linkKey
	copy(k[:], link)
	s := &e.links[linkShardOf(&k)]
	s.mu.Lock()
	v, ok := s.m[k]
	n := e.names.load()
	s.mu.Unlock()
	if ok {
		return v, n, true, nil
	}
	raw, err := e.st.Get(recordKey(nil, kindLink, link))
	if errors.Is(err, ErrNotFound) {
		return linkVal{}, n, false, nil
	}
	if err != nil {
		return linkVal{}, n, false, err
	}
	if err := e.loadLink(link, raw, e.nowSec()); err != nil {
		return linkVal{}, n, false, nil // corrupt or expired: as unknown
	}
	s.mu.Lock()
	v, ok = s.m[k]
	n = e.names.load()
	s.mu.Unlock()
	return v, n, ok, nil
}

// OnMODeferred handles an MO for which OnMO answered Deferred: a reply to
// the portal number on a SharedStore, whose pending request is taken from
// the store. It may block on the network (ctx bounds the wait): call it
// from a worker goroutine, never from an event loop. When the store cannot
// be reached the action says Unavailable: nothing was consumed, and the
// SMG should be told to send the MO again.
func (e *Engine) OnMODeferred(ctx context.Context, mo *MO) MOAction {
	if e.health.Load()&(healthClosed|healthMarked) != 0 || e.shared == nil || e.sharedUnavailable() {
		e.failOpen.Add(1)
		return MOAction{Kind: MOOrdinary, Forward: true, LinkID: string(trimField(mo.LinkID))}
	}
	p := e.policy.Load()
	user := NormalizeMSISDN(mo.User)
	uk, okUser := userKey(user)
	okUser = okUser && len(user) <= maxKeyField
	id, ok := p.confirmID(trimField(mo.SPNumber))
	if !ok {
		return e.OnMO(mo)
	}
	e.sharedStats.confirms.Add(1)
	return e.onConfirm(p, id, user, uk, okUser, mo.Text, func(id string, uk uint64) (*pendingEntry, error) {
		return e.takePendingShared(ctx, id, uk)
	})
}

// takePendingShared takes pending request id of user uk from the shared
// store: of several nodes answering replies to it, one gets it.
func (e *Engine) takePendingShared(ctx context.Context, id string, uk uint64) (*pendingEntry, error) {
	now := int64(e.nowSec())
	key := recordKey(nil, kindPending, []byte(id))
	e.pend.mu.Lock()
	pe, ok := e.pend.m[id]
	e.pend.mu.Unlock()
	if !ok {
		// Not followed yet (asked on another node a moment ago): read it
		// from the store, and take it only if it is this user's.
		raw, err := e.st.Get(key)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			e.sharedStats.confirmErrors.Add(1)
			return nil, err
		}
		r, err := decodePending(id, raw)
		if err != nil {
			return nil, nil
		}
		ruk, okUser := userKey([]byte(r.User))
		if !okUser {
			return nil, nil
		}
		pe = &pendingEntry{rec: r, user: ruk}
	}
	if now >= pe.rec.Expires || pe.user != uk {
		return nil, nil
	}
	_, err := e.shared.Take(ctx, key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		e.sharedStats.confirmErrors.Add(1)
		return nil, err
	}
	e.pend.mu.Lock()
	if cur := e.pend.m[id]; cur == pe {
		e.pend.deleteLocked(id, pe)
	}
	e.pend.mu.Unlock()
	if err != nil { // another node's reply took it first
		return nil, nil
	}
	return pe, nil
}
