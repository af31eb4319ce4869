// Package reason names why spsmg allowed or refused an MT Submit: one
// small closed set for the whole product. The authorization engine
// (authcache) decides the first part, the proxy adds its own refusals
// (limits, upstream trouble, malformed Submits), each protocol's Dialect
// (package codec) maps every refusal to that protocol's result code, and
// the configuration's results: table names them. String is the metric
// label (reason="not_subscribed") and the name results: uses.
//
// It imports nothing of spsmg, so that codec, authcache, config and proxy
// can all use it without importing each other.
//
// To add a reason: give it a constant in the right group below, a name in
// names, a default result code in every protocol's table (codec/*/dialect
// files; the dialect tests fail until each has one), and a row in the
// README's result-code table.
package reason

import "strconv"

// Reason is why an MT was allowed or refused.
type Reason uint8

// Allow reasons first, then the engine's refusals, then the proxy's. The
// refusals are listed in this order in configuration errors ("want one of
// not_subscribed, …").
const (
	None Reason = iota // no decision; never returned

	// Allowed (authcache).
	Exempt             // exempt SP account or free service
	MOLinkID           // LinkID of an MO delivered through spsmg
	WebLinkID          // web on-demand code
	Subscription       // active subscription for (user, SP, service)
	SubscriptionNotice // DZTZ notice matched its Noti_SP LinkID; subscription recorded

	// Refused by the authorization engine (authcache).
	NotSubscribed      // no LinkID and no active subscription
	LinkIDUnknown      // LinkID never issued, or already swept
	LinkIDExpired      // LinkID past its TTL
	LinkIDUsedUp       // LinkID has fewer uses left than recipients (SGIP 1.3 code 38)
	LinkIDWrongUser    // LinkID issued for another user
	LinkIDWrongSP      // LinkID issued for another SP account
	LinkIDWrongService // LinkID recorded with another service code
	NoticeUnmatched    // DZTZ notice whose LinkID + user match no confirmed request
	NoRecipients       // Submit with no recipient
	BadRecipient       // a recipient number that does not normalise (empty)
	StoreUnavailable   // the engine cannot answer (fail-closed); retryable
	SubscriptionPaused // the subscription exists, but a carrier platform paused it (subscription sync)

	// Refused by the proxy before or instead of authorizing.
	FlowControl         // account TPS exceeded; retryable
	WindowFull          // the connection's window is full; retryable
	UpstreamUnavailable // no SMG bind logged in, or all binds' windows full; retryable
	UpstreamTimeout     // the SMG did not answer in time, or the bind was lost; retryable
	ServiceNotAllowed   // service code not in the account's list
	SPNumberNotAllowed  // source number outside the account's access numbers
	Malformed           // a Submit the codec cannot read
	TooManyRecipients   // a Submit to more than 100 recipients
	AccountSuspended    // an operator suspended the account (admin API); permanent

	// Count is the number of reasons: tables indexed by Reason have Count
	// entries.
	Count
)

var names = [Count]string{
	None:                "none",
	Exempt:              "exempt",
	MOLinkID:            "mo_linkid",
	WebLinkID:           "web_linkid",
	Subscription:        "subscription",
	SubscriptionNotice:  "subscription_notice",
	NotSubscribed:       "not_subscribed",
	LinkIDUnknown:       "linkid_unknown",
	LinkIDExpired:       "linkid_expired",
	LinkIDUsedUp:        "linkid_used_up",
	LinkIDWrongUser:     "linkid_wrong_user",
	LinkIDWrongSP:       "linkid_wrong_sp",
	LinkIDWrongService:  "linkid_wrong_service",
	NoticeUnmatched:     "notice_unmatched",
	NoRecipients:        "no_recipients",
	BadRecipient:        "bad_recipient",
	StoreUnavailable:    "store_unavailable",
	SubscriptionPaused:  "subscription_paused",
	FlowControl:         "flow_control",
	WindowFull:          "window_full",
	UpstreamUnavailable: "upstream_unavailable",
	UpstreamTimeout:     "upstream_timeout",
	ServiceNotAllowed:   "service_not_allowed",
	SPNumberNotAllowed:  "sp_number_not_allowed",
	Malformed:           "malformed",
	TooManyRecipients:   "too_many_recipients",
	AccountSuspended:    "account_suspended",
}

// String returns the snake_case name: the metric label and the key of a
// results: table.
func (r Reason) String() string {
	if r < Count {
		return names[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// Allowed reports whether r passes an MT.
func (r Reason) Allowed() bool { return r >= Exempt && r <= SubscriptionNotice }

// Refusal reports whether r refuses an MT.
func (r Reason) Refusal() bool { return r >= NotSubscribed && r < Count }

// Retryable reports whether the SP should send the Submit again later: the
// refusal says nothing about the message, only about spsmg or the SMG at
// that moment.
func (r Reason) Retryable() bool {
	switch r {
	case StoreUnavailable, FlowControl, WindowFull, UpstreamUnavailable, UpstreamTimeout:
		return true
	}
	return false
}

// Refusals lists every refusal, in the order of the constants.
func Refusals() []Reason {
	rs := make([]Reason, 0, Count-NotSubscribed)
	for r := NotSubscribed; r < Count; r++ {
		rs = append(rs, r)
	}
	return rs
}

// Parse returns the reason named name (its String), and false when there is
// none: "none" and unknown names.
func Parse(name string) (Reason, bool) {
	for r := Exempt; r < Count; r++ {
		if names[r] == name {
			return r, true
		}
	}
	return None, false
}
