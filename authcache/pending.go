package authcache

import (
	"fmt"
	"time"
)

// SubscriptionRequest is what the SP website sends the SPMS subscription
// API (docs/authorization.md §3 step 1).
type SubscriptionRequest struct {
	SP          string // SP account id
	SPNumber    string // the SP's access number: the Noti_SP MO is addressed to it
	ServiceCode string // the service subscribed to
	User        string // the user's number
	Text        string // the original request, delivered to the SP in the Noti_SP MO
}

// RequestSubscription stores a pending subscription and returns its ID
// (docs/authorization.md §3a). The caller sends the user the confirmation MT
// (Noti_User) from ConfirmationNumber(id); the user's Y/N reply comes back
// through OnMO. Fails with ErrAlreadySubscribed when the subscription is
// active.
//
// A repeat of a request (same user, SP and service) made less than
// PendingRepeatWindow ago and still pending returns that request's ID
// with ErrRequestPending: the caller sends no second Noti_User. The
// first request's SP number and text stay. If its Noti_User could not be
// sent, the caller says so with RequestUnsent and a repeat is new.
func (e *Engine) RequestSubscription(req SubscriptionRequest) (string, error) {
	if err := e.checkAvailable(); err != nil {
		return "", err
	}
	p := e.policy.Load()
	if p.cfg.PortalNumber == "" {
		return "", fmt.Errorf("%w: PortalNumber not set, web subscription disabled", ErrConfig)
	}
	if err := checkNames(req.SP, req.ServiceCode); err != nil {
		return "", err
	}
	if req.ServiceCode == "" || req.SPNumber == "" {
		return "", fmt.Errorf("%w: empty service code or SP number", ErrInvalid)
	}
	norm, uk, err := normUser(req.User)
	if err != nil {
		return "", err
	}
	if e.subscribed(uk, req.SP, req.ServiceCode) {
		return "", ErrAlreadySubscribed
	}
	now := int64(e.nowSec())
	key := pendingKey{user: uk, sp: req.SP, service: req.ServiceCode}
	e.pend.mu.Lock()
	if id, ok := e.pend.latest[key]; ok {
		if pe := e.pend.m[id]; pe != nil && now < pe.rec.Expires && now-pe.rec.Created < int64(p.cfg.PendingRepeatWindow/time.Second) {
			e.pend.mu.Unlock()
			return id, ErrRequestPending
		}
	}
	e.pend.mu.Unlock()
	rec := pendingRecord{SP: req.SP, SPNumber: req.SPNumber, Service: req.ServiceCode, User: string(norm),
		Text: req.Text, Created: now, Expires: int64(expiry(uint32(now), p.cfg.PendingTTL))}
	for range maxDraws {
		rec.ID = e.drawDigits(p.cfg.PendingIDDigits)
		e.pend.mu.Lock()
		if old, ok := e.pend.m[rec.ID]; ok && now < old.rec.Expires {
			e.pend.mu.Unlock()
			continue
		}
		e.pend.putLocked(&pendingEntry{rec: rec, user: uk})
		e.pend.mu.Unlock()
		e.log.Debug("authcache: subscription requested", "id", rec.ID, "sp", rec.SP, "service", rec.Service, "user", rec.User)
		m := Mutation{Key: recordKey(nil, kindPending, []byte(rec.ID)), Value: rec.encode(), ExpiresAt: rec.Expires}
		return rec.ID, e.w.enqueue(&op{m: m})
	}
	return "", fmt.Errorf("%w: %d-digit pending ids", ErrIDSpaceExhausted, p.cfg.PendingIDDigits)
}

// RequestUnsent tells the engine that the Noti_User of pending request id
// could not be sent: a repeated request then draws its own ID and sends
// its own Noti_User instead of answering with this one. The request stays
// until it is answered or expires (the MT may have reached the user after
// all). Any goroutine.
func (e *Engine) RequestUnsent(id string) {
	e.pend.mu.Lock()
	if pe := e.pend.m[id]; pe != nil {
		e.pend.unmarkLocked(id, pe)
	}
	e.pend.mu.Unlock()
}

// ConfirmationNumber is the source number of the Noti_User MT for a
// pending subscription: the portal number + its ID.
func (e *Engine) ConfirmationNumber(id string) string {
	return e.policy.Load().cfg.PortalNumber + id
}

// takePending removes and returns the live pending record id of user uk;
// nil when there is none (unknown, expired, another user's).
func (e *Engine) takePending(id string, uk uint64) *pendingEntry {
	now := int64(e.nowSec())
	e.pend.mu.Lock()
	defer e.pend.mu.Unlock()
	pe, ok := e.pend.m[id]
	if !ok || now >= pe.rec.Expires || pe.user != uk {
		return nil
	}
	e.pend.deleteLocked(id, pe)
	return pe
}
