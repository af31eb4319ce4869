package authcache

import (
	"strconv"

	"github.com/spsmg/spsmg/reason"
)

// Decision is the answer to one MT Submit. The zero value is never
// returned.
//
// It has four fields and no more: the compiler keeps a struct of at most
// four fields in registers, and passes a larger one through memory. With
// a fifth (a Deferred bool) the return of Authorize was copied through the
// stack in pieces of different widths, and the loads stalled on the
// stores: 4 % of the gateway's CPU at window 1024 (perf annotate).
type Decision struct {
	Allow  bool
	Reason reason.Reason
	// Flow is the rule that decided (docs/authorization.md §1–§3); FlowNone
	// when the Submit was refused before any rule applied; flowDeferred
	// when nothing is decided yet (Deferred).
	Flow Flow
	// Recipient is the index in MT.Dests of the recipient that caused a
	// refusal (0 when allowed or when the refusal concerns the whole Submit).
	Recipient int
}

// Deferred reports a decision not made yet. On a SharedStore an MT that
// spends a LinkID's uses is decided by AuthorizeDeferred, off the event
// loop (shared.go); Allow and Reason are unset.
func (d Decision) Deferred() bool { return d.Flow == flowDeferred }

// deferDecision is Authorize's answer for an MT the cluster decides.
var deferDecision = Decision{Flow: flowDeferred}

// Reasons lists every reason Authorize can return, allowed or refused, so
// that metrics can create each label child at zero up front. The proxy's
// own refusals (package reason, after SubscriptionPaused) are not among
// them.
func Reasons() []reason.Reason {
	rs := make([]reason.Reason, 0, reason.SubscriptionPaused)
	for r := reason.Exempt; r <= reason.SubscriptionPaused; r++ {
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

	// flowDeferred marks a Decision not made yet; never counted under a
	// flow (the decision made later is).
	flowDeferred = numFlows
)

var flowNames = [numFlows]string{"none", "exempt", "mo_on_demand", "web_on_demand", "subscription_notice", "subscription"}

// String returns the snake_case label.
func (f Flow) String() string {
	if f < numFlows {
		return flowNames[f]
	}
	return "flow_" + strconv.Itoa(int(f))
}
