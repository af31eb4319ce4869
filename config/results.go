package config

import "slices"

// Refusal reasons that the proxy itself decides (the authorization reasons
// come from authcache). Each is a metric label and a key of Results.
const (
	ReasonFlowControl         = "flow_control"          // account TPS exceeded
	ReasonWindowFull          = "window_full"           // the connection's window is full
	ReasonUpstreamUnavailable = "upstream_unavailable"  // no SMG bind logged in, or all binds' windows full
	ReasonUpstreamTimeout     = "upstream_timeout"      // the SMG did not answer in time, or the bind was lost
	ReasonServiceNotAllowed   = "service_not_allowed"   // service code not in the account's list
	ReasonSPNumberNotAllowed  = "sp_number_not_allowed" // source number outside the account's access numbers
	ReasonMalformed           = "malformed"             // a Submit the codec cannot read
	ReasonTooManyRecipients   = "too_many_recipients"   // a Submit to more than 100 recipients
	ReasonAccountSuspended    = "account_suspended"     // an operator suspended the account (admin API)
)

// refusalReasons are the keys a results table may have: the refusals of
// the authorization engine (package authcache names them; config does not
// import it, and a test keeps the two lists equal) and the proxy's own
// above. An unknown key is an error at load: a misspelt one would be
// ignored and leave the default in force.
var refusalReasons = []string{
	"not_subscribed", "linkid_unknown", "linkid_expired", "linkid_used_up",
	"linkid_wrong_user", "linkid_wrong_sp", "linkid_wrong_service", "notice_unmatched",
	"no_recipients", "bad_recipient", "store_unavailable", "subscription_paused",
	ReasonFlowControl, ReasonWindowFull, ReasonUpstreamUnavailable, ReasonUpstreamTimeout,
	ReasonServiceNotAllowed, ReasonSPNumberNotAllowed, ReasonMalformed, ReasonTooManyRecipients, ReasonAccountSuspended,
}

// RefusalReasons lists every reason a results table may name, in the
// order of the README's table.
func RefusalReasons() []string { return slices.Clone(refusalReasons) }

// DefaultResults are the result codes of refusals when the config file does
// not override them. SGIP uses the SGIP 1.3 authentication-centre (SPMS)
// codes 100–125 (sgip12.md §6) and the 1.3 flow-control code 33; CMPP
// mirrors the same numbers inside its vendor range 100–199 (cmpp.md §12.2)
// with 8 for flow control; SMGP uses its vendor range 128–255
// (smgp30.md §11) with 1 "system busy" for retryable conditions. All codes
// fit the 1-byte result fields of SGIP and CMPP 2.x. subscription_paused
// (a relation a carrier paused) takes SGIP 1.3's 108 "user suspended",
// the same number in CMPP's vendor range, and SMGP's next free vendor code.
// account_suspended is
// administrative and permanent: SGIP and CMPP get 125, the end of the
// authentication-centre range that no SGIP 1.3 code is defined for, SMGP
// 133, the next of its vendor range after the authorization refusals.
func DefaultResults() Results {
	return Results{
		SGIP: map[string]uint32{
			"not_subscribed":          106,
			"linkid_unknown":          107,
			"linkid_expired":          107,
			"linkid_wrong_user":       107,
			"linkid_wrong_sp":         107,
			"linkid_wrong_service":    107,
			"notice_unmatched":        107,
			"linkid_used_up":          38,
			"no_recipients":           5,
			"bad_recipient":           6,
			"store_unavailable":       111,
			"subscription_paused":     108,
			ReasonFlowControl:         33,
			ReasonWindowFull:          11,
			ReasonUpstreamUnavailable: 11,
			ReasonUpstreamTimeout:     11,
			ReasonServiceNotAllowed:   103,
			ReasonSPNumberNotAllowed:  102,
			ReasonMalformed:           5,
			ReasonTooManyRecipients:   5,
			ReasonAccountSuspended:    125,
		},
		CMPP: map[string]uint32{
			"not_subscribed":          106,
			"linkid_unknown":          107,
			"linkid_expired":          107,
			"linkid_wrong_user":       107,
			"linkid_wrong_sp":         107,
			"linkid_wrong_service":    107,
			"notice_unmatched":        107,
			"linkid_used_up":          112,
			"no_recipients":           13,
			"bad_recipient":           13,
			"store_unavailable":       111,
			"subscription_paused":     108,
			ReasonFlowControl:         8,
			ReasonWindowFull:          8,
			ReasonUpstreamUnavailable: 8,
			ReasonUpstreamTimeout:     8,
			ReasonServiceNotAllowed:   7,
			ReasonSPNumberNotAllowed:  10,
			ReasonMalformed:           1,
			ReasonTooManyRecipients:   13,
			ReasonAccountSuspended:    125,
		},
		SMGP: map[string]uint32{
			"not_subscribed":          130,
			"linkid_unknown":          131,
			"linkid_expired":          131,
			"linkid_wrong_user":       131,
			"linkid_wrong_sp":         131,
			"linkid_wrong_service":    131,
			"notice_unmatched":        131,
			"linkid_used_up":          132,
			"no_recipients":           47,
			"bad_recipient":           47,
			"store_unavailable":       1,
			"subscription_paused":     133,
			ReasonFlowControl:         1,
			ReasonWindowFull:          1,
			ReasonUpstreamUnavailable: 1,
			ReasonUpstreamTimeout:     1,
			ReasonServiceNotAllowed:   43,
			ReasonSPNumberNotAllowed:  46,
			ReasonMalformed:           10,
			ReasonTooManyRecipients:   47,
			ReasonAccountSuspended:    133,
		},
	}
}

// Family returns the table of one protocol family.
func (r Results) Family(family string) map[string]uint32 {
	switch family {
	case "sgip":
		return r.SGIP
	case "cmpp":
		return r.CMPP
	case "smgp":
		return r.SMGP
	}
	return nil
}
