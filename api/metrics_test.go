package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// gatherAPI returns the spsmg_api_* families of reg.
func gatherAPI(t *testing.T, reg prometheus.Gatherer) []*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []*dto.MetricFamily
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "spsmg_api_") {
			out = append(out, mf)
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)

	t.Run("lint clean", func(t *testing.T) {
		// What testutil.GatherAndLint runs; testutil itself would add
		// kylelemons/godebug to go.mod for its diff output.
		problems, err := promlint.NewWithMetricFamilies(gatherAPI(t, e.reg)).Lint()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	})

	t.Run("every (endpoint, code) series exists at zero", func(t *testing.T) {
		series := map[string]int{}
		for _, mf := range gatherAPI(t, e.reg) {
			series[mf.GetName()] = len(mf.GetMetric())
			if mf.GetName() == "spsmg_api_requests_total" {
				for _, m := range mf.GetMetric() {
					if v := m.GetCounter().GetValue(); v != 0 {
						t.Errorf("%v = %v before any request", m.GetLabel(), v)
					}
				}
			}
		}
		want := map[string]int{
			"spsmg_api_requests_total":           int(numEndpoints) * int(numCodes),
			"spsmg_api_request_duration_seconds": int(numEndpoints),
			"spsmg_api_nonce_cache_entries":      1,
		}
		for name, n := range want {
			if series[name] != n {
				t.Errorf("%s: %d series, want %d", name, series[name], n)
			}
		}
	})

	t.Run("counters and histograms move by the requests made", func(t *testing.T) {
		for range 3 {
			if r := e.do(call{method: "POST", uri: "/v1/ondemand", body: `{"user":"13800138000"}`}); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		e.do(call{method: "POST", uri: "/v1/ondemand", body: `{"user":"1"}`})
		e.do(call{method: "GET", uri: "/v1/subscriptions?user=" + userA})
		e.do(call{method: "GET", uri: "/v1/nope"})

		for _, c := range []struct {
			ep   endpoint
			code code
			want float64
		}{
			{epOndemand, codeOK, 3}, {epOndemand, codeInvalidNumber, 1},
			{epSubscriptionsList, codeOK, 1}, {epOther, codeNotFound, 1}, {epSubscriptionsCreate, codeOK, 0},
		} {
			if got := e.counter(c.ep, c.code); got != c.want {
				t.Errorf("requests_total{endpoint=%q,code=%q} = %v, want %v", c.ep, c.code, got, c.want)
			}
		}
		for _, mf := range gatherAPI(t, e.reg) {
			switch mf.GetName() {
			case "spsmg_api_request_duration_seconds":
				for _, m := range mf.GetMetric() {
					want := map[string]uint64{"ondemand": 4, "subscriptions_list": 1, "other": 1}[m.GetLabel()[0].GetValue()]
					if got := m.GetHistogram().GetSampleCount(); got != want {
						t.Errorf("duration{endpoint=%q} count %d, want %d", m.GetLabel()[0].GetValue(), got, want)
					}
				}
			case "spsmg_api_nonce_cache_entries":
				if got := mf.GetMetric()[0].GetGauge().GetValue(); got != 6 {
					t.Errorf("nonce cache entries %v, want 6", got)
				}
			}
		}
	})

	t.Run("a second API on the same registry shares the series", func(t *testing.T) {
		b := New(e.cfg, e.engine, e.gw, nil, e.reg)
		if b.m.requests[epOndemand][codeOK] != e.api.m.requests[epOndemand][codeOK] {
			t.Fatal("the second API has its own child")
		}
	})
}
