package authcache

import (
	"fmt"
	"strconv"
)

const base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// drawLinkID returns width random base-36 characters (width ≤ 8: 36^8 ≈
// 2^41, so 2.8·10^12 possible ids — not guessable by an SP, and short enough
// for the 8-byte Reserve slot of SGIP and CMPP 2.x).
func (e *Engine) drawLinkID(width int) []byte {
	space := uint64(1)
	for range width {
		space *= 36
	}
	v := e.randUint64() % space
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = base36[v%36]
		v /= 36
	}
	return b
}

// drawDigits returns n random decimal digits, zero-padded.
func (e *Engine) drawDigits(n int) string {
	space := uint64(1)
	for range n {
		space *= 10
	}
	s := strconv.FormatUint(e.randUint64()%space, 10)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// insertLink stores v under id unless a live record is there that keep
// says to keep (nil: keep any live record). Expired records are replaced.
func (e *Engine) insertLink(id []byte, v linkVal, now uint32, keep func(old linkVal) bool) bool {
	var k linkKey
	copy(k[:], id)
	s := &e.links[linkShardOf(&k)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[k]; ok && now < old.expires && (keep == nil || keep(old)) {
		return false
	}
	s.put(k, v)
	return true
}

// persistLink writes a LinkID record and clears a stale uses record of an
// earlier LinkID with the same bytes.
func (e *Engine) persistLink(id []byte, user []byte, sp, service string, v linkVal) error {
	r := linkRecord{Kind: v.kind, User: string(user), SP: sp, Service: service, Expires: int64(v.expires), Uses: int(v.uses)}
	put := Mutation{Key: recordKey(nil, kindLink, id), Value: r.encode(), ExpiresAt: int64(v.expires)}
	if e.shared != nil {
		// Uses are counted in the shared store per issue of the LinkID
		// (UsesRequest.Generation): there is no uses record to clear.
		return e.w.enqueue(&op{m: put})
	}
	del := Mutation{Key: recordKey(nil, kindUses, id), Delete: true}
	return e.w.enqueue(&op{m: del, more: []Mutation{put}})
}

// newMOLinkID assigns a fresh LinkID of width characters (the MO's LinkID
// slot, at most 8) that is unique among live LinkIDs and never matches the
// web-code rule.
func (e *Engine) newMOLinkID(p *policy, width int, user []byte, v linkVal, sp, service string) (string, error) {
	if width <= 0 || width > moLinkIDLen {
		width = moLinkIDLen
	}
	now := e.nowSec()
	for range maxDraws {
		id := e.drawLinkID(width)
		if p.isWebCode(id) || !e.insertLink(id, v, now, nil) {
			continue
		}
		return string(id), e.persistLink(id, user, sp, service, v)
	}
	return "", fmt.Errorf("%w: %d-character LinkIDs", ErrIDSpaceExhausted, width)
}

// IssueWebCode records a web on-demand code for (sp, user) and returns it
// (docs/authorization.md §2 step 4): the caller sends it to the user by
// SMS from the portal number; the user types it into the SP's page and the
// SP's MT carries it as LinkID. Codes are unique among live codes, so a
// code sent to another user or SP is refused as wrong user / wrong SP.
func (e *Engine) IssueWebCode(sp, user string) (string, error) {
	if err := e.checkAvailable(); err != nil {
		return "", err
	}
	if err := checkNames(sp, ""); err != nil {
		return "", err
	}
	norm, uk, err := normUser(user)
	if err != nil {
		return "", err
	}
	p := e.policy.Load()
	now := e.nowSec()
	v := linkVal{user: uk, svc: e.names.pair(sp, nil), expires: expiry(now, p.cfg.WebCodeTTL),
		uses: uint16(p.cfg.WebCodeUses), kind: linkWeb}
	for range maxDraws {
		code := []byte(p.cfg.WebCodePrefix + e.drawDigits(p.cfg.WebCodeDigits))
		if !e.insertLink(code, v, now, nil) {
			continue
		}
		e.log.Debug("authcache: web code issued", "sp", sp, "user", string(norm))
		return string(code), e.persistLink(code, norm, sp, "", v)
	}
	return "", fmt.Errorf("%w: %d-digit web codes", ErrIDSpaceExhausted, p.cfg.WebCodeDigits)
}
