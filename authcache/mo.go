package authcache

import "strings"

// MO is the authorization view of one MO Deliver from the SMG.
type MO struct {
	User     []byte // the user's number (any of the 86 / +86 / bare forms)
	SPNumber []byte // destination access number
	// SP is the account the proxy routed the MO to by longest access-number
	// prefix; "" if none.
	SP          string
	ServiceCode []byte // empty for SGIP, whose Deliver carries none
	Text        string // decoded content, for keyword matching
	LinkID      []byte // the SMG's LinkID, if any
	// LinkIDMax is the width of the LinkID slot of the protocol the MO is
	// delivered with: 8 (SGIP, CMPP 2.x Reserve) or 20.
	LinkIDMax int
}

// MOKind classifies an MO.
type MOKind uint8

const (
	MOOrdinary       MOKind = iota // deliver to the SP with a LinkID (§1)
	MOConfirmYes                   // Y to portal+ID: send NotiSP to the SP (§3b)
	MOConfirmNo                    // N to portal+ID: the pending request ended
	MOConfirmUnknown               // to portal+ID, but no live request of this user, or neither Y nor N
	MOUnsubscribe                  // TD… / 0000: subscriptions ended; still delivered (§3e)
	numMOKinds
)

var moKindNames = [numMOKinds]string{"ordinary", "confirm_yes", "confirm_no", "confirm_unknown", "unsubscribe"}

// String returns the snake_case metric label.
func (k MOKind) String() string {
	if k < numMOKinds {
		return moKindNames[k]
	}
	return "unknown"
}

// MOKinds lists every MOKind, for metrics label children created at zero.
func MOKinds() []MOKind {
	ks := make([]MOKind, numMOKinds)
	for i := range ks {
		ks[i] = MOKind(i)
	}
	return ks
}

// MOAction is what the proxy does with an MO.
type MOAction struct {
	Kind MOKind
	// Forward: deliver the MO to MO.SP. Confirmation replies never are.
	Forward bool
	// LinkID to deliver the MO with: the SMG's kept, or one assigned and
	// recorded; "" when none could be (no SP, bad user number).
	LinkID string
	// NotiSP, on Y: an MO spsmg must deliver to the SP itself.
	NotiSP *NotiSP
	// Cancelled counts the subscriptions an unsubscribe MO ended.
	Cancelled int
	// Deferred: on a SharedStore, a reply to the portal number is decided
	// by OnMODeferred, off the event loop (shared.go); nothing was done.
	Deferred bool
	// Unavailable: the shared store could not be reached to take the
	// pending request; nothing was consumed, and the SMG should be told
	// to send the MO again (a retryable result).
	Unavailable bool
}

// NotiSP is the MO spsmg sends the SP when the user confirms a web
// subscription (docs/authorization.md §3 step 10): the original request with
// a fresh LinkID, which the SP's DZTZ notice MT must carry.
type NotiSP struct {
	SP          string
	User        string // normalised
	SPNumber    string // the SP's access number, from the request
	ServiceCode string
	LinkID      string // recorded: the notice is matched against it
	Text        string // the original subscription request
}

// OnMO classifies an MO from the SMG and records what it implies
// (docs/authorization.md §1, §3b, §3e):
//
//   - to PortalNumber+ID: a confirmation reply, never forwarded as an
//     ordinary MO. Y ends the pending request and returns the NotiSP to
//     deliver; N ends it; anything else, or an unknown/expired ID or another
//     user's, is confirm_unknown;
//   - Keywords.UnsubscribeAll (0000): ends the user's subscriptions with
//     every SP; Keywords.Unsubscribe + service code (TD…): ends MO.SP's
//     subscription for that code (bare TD: all of MO.SP's). Still forwarded
//     with a LinkID so the SP knows;
//   - otherwise an ordinary MO: forwarded with the SMG's LinkID (recorded)
//     or a fresh one (assigned and recorded, fitting LinkIDMax).
//
// While the engine is unavailable (docs/authorization.md §6) every MO is
// forwarded with the SMG's LinkID and nothing is recorded (fail-open).
func (e *Engine) OnMO(mo *MO) MOAction {
	if e.health.Load() != 0 || e.shared != nil && e.sharedDown.Load() {
		e.failOpen.Add(1)
		return MOAction{Kind: MOOrdinary, Forward: true, LinkID: string(trimField(mo.LinkID))}
	}
	p := e.policy.Load()
	user := NormalizeMSISDN(mo.User)
	uk, okUser := userKey(user)
	okUser = okUser && len(user) <= maxKeyField
	if id, ok := p.confirmID(trimField(mo.SPNumber)); ok {
		if e.shared != nil {
			return MOAction{Kind: MOConfirmUnknown, Deferred: true}
		}
		return e.onConfirm(p, id, user, uk, okUser, mo.Text, func(id string, uk uint64) (*pendingEntry, error) {
			return e.takePending(id, uk), nil
		})
	}
	act := MOAction{Kind: MOOrdinary, Forward: true}
	smgLink := trimField(mo.LinkID)
	if !okUser {
		act.LinkID = string(smgLink)
		return act
	}
	switch kind, svc := p.kw.parse(mo.Text); kind {
	case textUnsubscribeAll:
		act.Kind = MOUnsubscribe
		act.Cancelled, _ = e.cancel(user, uk, func(*svcPair) bool { return true })
	case textUnsubscribe:
		act.Kind = MOUnsubscribe
		if mo.SP != "" {
			act.Cancelled, _ = e.cancel(user, uk, func(pr *svcPair) bool {
				return pr.spName == mo.SP && (svc == "" || strings.EqualFold(pr.service, svc))
			})
		}
	}
	act.LinkID = e.moLinkID(p, mo, user, uk, smgLink)
	return act
}

// moLinkID records the LinkID an MO is delivered with (§1). The service
// is recorded when the MO carries one (CMPP, SMGP) and then checked against
// the MT's; SGIP MOs record none and the MT's service is not checked.
func (e *Engine) moLinkID(p *policy, mo *MO, user []byte, uk uint64, smg []byte) string {
	if mo.SP == "" {
		return string(smg) // no SP to bind it to
	}
	svc := trimField(mo.ServiceCode)
	if len(svc) > maxKeyField {
		svc = nil
	}
	now := e.nowSec()
	v := linkVal{user: uk, svc: e.names.pair(mo.SP, svc), expires: expiry(now, p.cfg.MOLinkIDTTL),
		uses: uint16(p.cfg.MOLinkIDUses), kind: linkMO}
	if len(smg) > 0 {
		// Keep the SMG's LinkID: the carrier checks its own LinkID in the MT.
		if len(smg) > MaxLinkIDLen {
			return string(smg)
		}
		// A new MO with the same SMG LinkID refreshes the record, but a live
		// web code with the same bytes wins.
		if !e.insertLink(smg, v, now, func(old linkVal) bool { return old.kind == linkWeb }) {
			e.conflict.Add(1)
			return string(smg)
		}
		_ = e.persistLink(smg, user, mo.SP, string(svc), v) // queue full: counted
		return string(smg)
	}
	id, err := e.newMOLinkID(p, mo.LinkIDMax, user, v, mo.SP, string(svc))
	if id == "" {
		e.log.Warn("authcache: no LinkID assigned", "sp", mo.SP, "err", err)
	}
	return id
}

// onConfirm handles a reply to PortalNumber+ID (§3b). take removes the
// pending request: from memory, or on a shared store from the store too.
func (e *Engine) onConfirm(p *policy, id string, user []byte, uk uint64, okUser bool, text string,
	take func(id string, uk uint64) (*pendingEntry, error)) MOAction {
	act := MOAction{Kind: MOConfirmUnknown}
	if !okUser {
		return act
	}
	kind, _ := p.kw.parse(text)
	if kind != textYes && kind != textNo {
		return act // the request stays pending
	}
	pe, err := take(id, uk)
	if err != nil {
		e.log.Warn("authcache: pending request not taken from the shared store; the SMG will send the reply again", "err", err)
		return MOAction{Kind: MOConfirmUnknown, Unavailable: true}
	}
	if pe == nil {
		return act
	}
	// On a shared store the request left the store when it was taken.
	del := Mutation{Key: recordKey(nil, kindPending, []byte(id)), Delete: true}
	r := &pe.rec
	if kind == textNo {
		if e.shared == nil {
			_ = e.w.enqueue(&op{m: del})
		}
		e.log.Debug("authcache: subscription declined", "id", id, "sp", r.SP, "service", r.Service)
		return MOAction{Kind: MOConfirmNo}
	}
	now := e.nowSec()
	v := linkVal{user: uk, svc: e.names.pair(r.SP, []byte(r.Service)), expires: expiry(now, p.cfg.MOLinkIDTTL),
		uses: uint16(p.cfg.MOLinkIDUses), kind: linkNotice}
	link, err := e.newMOLinkID(p, moLinkIDLen, user, v, r.SP, r.Service)
	if link == "" {
		e.pend.mu.Lock()
		e.pend.m[id] = pe // still pending: the user may reply again
		e.pend.mu.Unlock()
		if e.shared != nil { // it was taken from the store: put it back
			_ = e.w.enqueue(&op{m: Mutation{Key: del.Key, Value: r.encode(), ExpiresAt: r.Expires}})
		}
		e.log.Warn("authcache: no LinkID for Noti_SP", "sp", r.SP, "err", err)
		return act
	}
	if e.shared == nil {
		_ = e.w.enqueue(&op{m: del})
	}
	e.log.Debug("authcache: subscription confirmed", "id", id, "sp", r.SP, "service", r.Service)
	return MOAction{Kind: MOConfirmYes, NotiSP: &NotiSP{SP: r.SP, User: r.User, SPNumber: r.SPNumber,
		ServiceCode: r.Service, LinkID: link, Text: r.Text}}
}
