package proxy

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
)

func TestReportStatusOf(t *testing.T) {
	for _, c := range []struct {
		v    codec.View
		want string
	}{
		{codec.View{Kind: codec.KindDeliver, IsReport: true, ReportStat: []byte("DELIVRD")}, "delivered"},
		{codec.View{Kind: codec.KindDeliver, IsReport: true, ReportStat: []byte("EXPIRED")}, "expired"},
		{codec.View{Kind: codec.KindDeliver, IsReport: true, ReportStat: []byte("UNDELIV")}, "undeliverable"},
		{codec.View{Kind: codec.KindDeliver, IsReport: true, ReportStat: []byte("REJECTD")}, "rejected"},
		{codec.View{Kind: codec.KindDeliver, IsReport: true, ReportStat: []byte("MK:0001")}, "failed"},
		{codec.View{Kind: codec.KindDeliver, IsReport: true}, "failed"},
		{codec.View{Kind: codec.KindReport, ReportState: 0}, "delivered"},
		{codec.View{Kind: codec.KindReport, ReportState: 1}, "waiting"},
		{codec.View{Kind: codec.KindReport, ReportState: 2}, "failed"},
	} {
		if got := reportStatusOf(&c.v).String(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.v, got, c.want)
		}
	}
	cols := ReconcileColumns()
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c] {
			t.Errorf("column %s twice", c)
		}
		seen[c] = true
	}
	for _, c := range []string{"mt_submitted", "mt_forwarded", "mt_refused", "mt_upstream_failures", "refused_not_subscribed",
		"refused_subscription_paused", "refused_flow_control", "refused_malformed", "reports_delivered", "reports_failed"} {
		if !seen[c] {
			t.Errorf("column %s missing from %v", c, cols)
		}
	}
	for _, c := range []string{"refused_subscription", "refused_exempt", "refused_none"} {
		if seen[c] {
			t.Errorf("allow reason as a refusal column: %s", c)
		}
	}
}
