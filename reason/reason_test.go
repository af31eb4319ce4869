package reason_test

import (
	"strings"
	"testing"

	"github.com/spsmg/spsmg/reason"
)

func TestNamesParseBack(t *testing.T) {
	seen := map[string]bool{}
	for r := reason.Exempt; r < reason.Count; r++ {
		s := r.String()
		if s == "" || strings.HasPrefix(s, "reason_") || seen[s] {
			t.Errorf("reason %d named %q", r, s)
		}
		seen[s] = true
		if got, ok := reason.Parse(s); !ok || got != r {
			t.Errorf("Parse(%q) = %v, %v", s, got, ok)
		}
		if r.Allowed() == r.Refusal() {
			t.Errorf("%s: Allowed %v, Refusal %v", s, r.Allowed(), r.Refusal())
		}
	}
	for _, s := range []string{"none", "", "not_subscribd", "reason_40"} {
		if _, ok := reason.Parse(s); ok {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
	if reason.Count.String() != "reason_27" {
		t.Errorf("out of range: %q", reason.Count.String())
	}
}

// The refusals are listed in the order configuration errors have always
// listed them in ("want one of not_subscribed, …").
func TestRefusalsInTableOrder(t *testing.T) {
	var got []string
	for _, r := range reason.Refusals() {
		got = append(got, r.String())
	}
	want := "not_subscribed linkid_unknown linkid_expired linkid_used_up linkid_wrong_user linkid_wrong_sp " +
		"linkid_wrong_service notice_unmatched no_recipients bad_recipient store_unavailable subscription_paused flow_control " +
		"window_full upstream_unavailable upstream_timeout service_not_allowed sp_number_not_allowed malformed " +
		"too_many_recipients account_suspended"
	if strings.Join(got, " ") != want {
		t.Errorf("Refusals =\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

// Retryable marks the README's † rows: refusals about spsmg or the SMG at
// that moment, not about the message.
func TestRetryable(t *testing.T) {
	var got []string
	for r := reason.Reason(0); r < reason.Count; r++ {
		if r.Retryable() {
			got = append(got, r.String())
		}
	}
	if want := "store_unavailable flow_control window_full upstream_unavailable upstream_timeout"; strings.Join(got, " ") != want {
		t.Errorf("Retryable: %s, want %s", strings.Join(got, " "), want)
	}
}
