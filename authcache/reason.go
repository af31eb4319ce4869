package authcache

import "strconv"

// Decision is the answer to one MT Submit. The zero value is never
// returned.
type Decision struct {
	Allow  bool
	Reason Reason
	// Flow is the rule that decided (docs/authorization.md §1–§3); FlowNone
	// when the Submit was refused before any rule applied.
	Flow Flow
	// Recipient is the index in MT.Dests of the recipient that caused a
	// refusal (0 when allowed or when the refusal concerns the whole Submit).
	Recipient int
	// Deferred: not decided yet. On a SharedStore an MT that spends a
	// LinkID's uses is decided by AuthorizeDeferred, off the event loop
	// (shared.go); Allow and Reason are unset.
	Deferred bool
}

// Reason is why an MT was allowed or refused: a small closed set whose
// String is used as a metric label value (e.g. reason="not_subscribed").
// The proxy maps each refusal to the protocol's Submit result code.
type Reason uint8

// Allow reasons first, then refusals. Keep reasonNames and Reasons in step.
const (
	reasonNone Reason = iota // never returned

	ReasonExempt             // exempt SP account or free service (Config.Exempt*)
	ReasonMOLinkID           // LinkID of an MO delivered through spsmg (§1)
	ReasonWebLinkID          // web on-demand code (§2)
	ReasonSubscription       // active subscription for (user, SP, service) (§3d)
	ReasonSubscriptionNotice // DZTZ notice matched its Noti_SP LinkID; subscription recorded (§3c)

	ReasonNotSubscribed      // no LinkID and no active subscription
	ReasonLinkIDUnknown      // LinkID never issued, or already swept
	ReasonLinkIDExpired      // LinkID past its TTL
	ReasonLinkIDUsedUp       // LinkID has fewer uses left than recipients (SGIP 1.3 code 38)
	ReasonLinkIDWrongUser    // LinkID issued for another user
	ReasonLinkIDWrongSP      // LinkID issued for another SP account
	ReasonLinkIDWrongService // LinkID recorded with another service code
	ReasonNoticeUnmatched    // DZTZ notice whose LinkID + user match no confirmed request
	ReasonNoRecipients       // Submit with no recipient
	ReasonBadRecipient       // a recipient number that does not normalise (empty)
	ReasonStoreUnavailable   // engine cannot answer (§6, fail-closed); retryable
	ReasonSubscriptionPaused // the subscription exists, but a carrier platform paused it (subscription sync)

	numReasons
)

var reasonNames = [numReasons]string{
	reasonNone:               "none",
	ReasonExempt:             "exempt",
	ReasonMOLinkID:           "mo_linkid",
	ReasonWebLinkID:          "web_linkid",
	ReasonSubscription:       "subscription",
	ReasonSubscriptionNotice: "subscription_notice",
	ReasonNotSubscribed:      "not_subscribed",
	ReasonLinkIDUnknown:      "linkid_unknown",
	ReasonLinkIDExpired:      "linkid_expired",
	ReasonLinkIDUsedUp:       "linkid_used_up",
	ReasonLinkIDWrongUser:    "linkid_wrong_user",
	ReasonLinkIDWrongSP:      "linkid_wrong_sp",
	ReasonLinkIDWrongService: "linkid_wrong_service",
	ReasonNoticeUnmatched:    "notice_unmatched",
	ReasonNoRecipients:       "no_recipients",
	ReasonBadRecipient:       "bad_recipient",
	ReasonStoreUnavailable:   "store_unavailable",
	ReasonSubscriptionPaused: "subscription_paused",
}

// String returns the snake_case metric label.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// Allowed reports whether the reason is one that passes an MT.
func (r Reason) Allowed() bool { return r >= ReasonExempt && r <= ReasonSubscriptionNotice }

// Retryable reports whether the SP should retry the Submit later: only a
// refusal caused by the engine itself, never one caused by the message.
func (r Reason) Retryable() bool { return r == ReasonStoreUnavailable }

// Reasons lists every reason Authorize can return, so metrics can create
// each label child at zero up front.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonExempt; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// Flow names the rule that decided an MT.
type Flow uint8

const (
	FlowNone         Flow = iota // refused before classification
	FlowExempt                   // Config.ExemptSPs / ExemptServices
	FlowMOOnDemand               // §1 MO LinkID
	FlowWebOnDemand              // §2 web code
	FlowNotice                   // §3c subscription notice (DZTZ)
	FlowSubscription             // §3d plain MT on a subscription
	numFlows
)

var flowNames = [numFlows]string{"none", "exempt", "mo_on_demand", "web_on_demand", "subscription_notice", "subscription"}

// String returns the snake_case label.
func (f Flow) String() string {
	if f < numFlows {
		return flowNames[f]
	}
	return "flow_" + strconv.Itoa(int(f))
}
