package jsoningress

import (
	"net/netip"

	"github.com/spsmg/spsmg/codec/jsonsock"
	"github.com/spsmg/spsmg/config"
)

// account is a protocol json account as the listener uses it.
type account struct {
	config.Account
	allow []netip.Prefix // empty: any address
}

func (a *account) allows(ip netip.Addr) bool {
	if len(a.allow) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range a.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// settings are one configuration generation of the listener: its accounts
// and limits. Immutable; a reload swaps it.
type settings struct {
	ing      config.JSONIngress
	accounts []*account
	byID     map[string]*account
	// closed: every account has an allow list, and anyAllowed is their
	// union; another address is closed at accept.
	closed     bool
	anyAllowed []netip.Prefix
	routeTTL   int64 // seconds a message record lives (authorization.route_ttl)
}

func newSettings(cfg *config.Config) *settings {
	s := &settings{ing: cfg.JSON, byID: map[string]*account{}, closed: true,
		routeTTL: int64(cfg.Authorization.RouteTTL.Seconds())}
	for _, ac := range cfg.JSONAccounts() {
		a := &account{Account: ac}
		a.allow, _ = config.ParseIPRules(ac.AllowIPs) // checked by config.Validate
		if len(a.allow) == 0 {
			s.closed = false
		}
		s.anyAllowed = append(s.anyAllowed, a.allow...)
		s.accounts = append(s.accounts, a)
		s.byID[a.ID] = a
	}
	if s.routeTTL <= 0 {
		s.routeTTL = 72 * 3600
	}
	return s
}

// admits reports whether a connection from ip may be served at all.
func (s *settings) admits(ip netip.Addr) bool {
	if !s.closed {
		return true
	}
	ip = ip.Unmap()
	for _, p := range s.anyAllowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// dummySecret is what a request naming no account has its appsecret
// compared with, so that the time taken does not tell whether the appid
// exists.
const dummySecret = "x-no-such-app-x"

// authenticate finds the account of a request's appid and checks its
// appsecret. Every account's appid is compared, each in constant time,
// and one appsecret comparison is made whether or not one matched, so
// the time taken depends on neither the values nor which of them was
// wrong.
func (s *settings) authenticate(id, secret *jsonsock.Field) *account {
	var found *account
	for _, a := range s.accounts {
		if id.Match(a.JSON.AppID) && found == nil {
			found = a
		}
	}
	want := dummySecret
	if found != nil {
		want = found.JSON.AppSecret
	}
	if !secret.Match(want) || found == nil {
		return nil
	}
	return found
}
