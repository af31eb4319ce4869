package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/spsmg/spsmg/admin"
	"github.com/spsmg/spsmg/api"
	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/jsoningress"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/subsync"
)

// exported lists every metric spsmg exports and its type, from
// proxy/collector.go (the gateway), api/metrics.go (the SPMS API),
// subsync/metrics.go (the carriers' subscription sync),
// jsoningress/metrics.go (the JSON socket listener),
// admin/admin.go (the admin API),
// metrics/metrics.go (Badger expvars) and client_golang's Go and process
// collectors. TestExportedMatchesSources keeps it in step with the code.
var exported = map[string]string{
	// proxy/collector.go
	"spsmg_packets_total":                    "counter",
	"spsmg_mt_decisions_total":               "counter",
	"spsmg_mt_upstream_failures_total":       "counter",
	"spsmg_submit_rtt_seconds":               "histogram",
	"spsmg_auth_decision_seconds":            "histogram",
	"spsmg_sp_connections":                   "gauge",
	"spsmg_connections_open":                 "gauge",
	"spsmg_connections_closed_total":         "counter",
	"spsmg_upstream_binds":                   "gauge",
	"spsmg_upstream_inflight_requests":       "gauge",
	"spsmg_upstream_window_capacity":         "gauge",
	"spsmg_upstream_submit_failures_total":   "counter",
	"spsmg_login_failures_total":             "counter",
	"spsmg_events_total":                     "counter",
	"spsmg_store_records":                    "gauge",
	"spsmg_store_queue_depth":                "gauge",
	"spsmg_store_queue_capacity":             "gauge",
	"spsmg_store_written_total":              "counter",
	"spsmg_store_write_errors_total":         "counter",
	"spsmg_store_dropped_total":              "counter",
	"spsmg_store_available":                  "gauge",
	"spsmg_fail_policy_total":                "counter",
	"spsmg_reports_total":                    "counter",
	"spsmg_long_sms_total":                   "counter",
	"spsmg_store_replay_dropped_total":       "counter",
	"spsmg_store_replay_dropped_bytes_total": "counter",
	"spsmg_store_corrupt_records_total":      "counter",
	"spsmg_route_cache_bytes":                "gauge",
	"spsmg_route_cache_budget_bytes":         "gauge",
	"spsmg_route_cache_evictions_total":      "counter",
	"spsmg_upstream_bind_healthy":            "gauge",
	"spsmg_upstream_bind_inflight_requests":  "gauge",
	"spsmg_upstream_bind_unhealthy_total":    "counter",
	"spsmg_deliveries_waiting":               "gauge",
	"spsmg_subscription_changes_total":       "counter",
	"spsmg_store_free_bytes":                 "gauge",
	"spsmg_store_min_free_bytes":             "gauge",
	"spsmg_store_space_low":                  "gauge",
	"spsmg_upstream_bind_drained":            "gauge",
	"spsmg_mt_deferred_decision_seconds":     "histogram",
	"spsmg_cluster_reachable":                "gauge",
	"spsmg_cluster_live_nodes":               "gauge",
	"spsmg_cluster_follow_lag_seconds":       "histogram",
	"spsmg_cluster_changes_followed_total":   "counter",
	"spsmg_cluster_follow_reloads_total":     "counter",
	"spsmg_cluster_deliveries_total":         "counter",
	"spsmg_cluster_linkid_decisions_total":   "counter",
	// subsync/metrics.go
	"spsmg_sync_requests_total": "counter",
	// jsoningress/metrics.go
	"spsmg_json_requests_total":   "counter",
	"spsmg_json_messages_total":   "counter",
	"spsmg_json_retries_total":    "counter",
	"spsmg_json_reports_total":    "counter",
	"spsmg_json_pushes_total":     "counter",
	"spsmg_json_reports_waiting":  "gauge",
	"spsmg_json_connections_open": "gauge",
	// api/metrics.go
	"spsmg_api_requests_total":           "counter",
	"spsmg_api_request_duration_seconds": "histogram",
	"spsmg_api_nonce_cache_entries":      "gauge",
	// admin/admin.go
	"spsmg_admin_actions_total": "counter",
	// metrics/metrics.go: the Badger sizes (the other badger_* counters are
	// not on the dashboard)
	"spsmg_badger_lsm_size_bytes":  "gauge",
	"spsmg_badger_vlog_size_bytes": "gauge",
	// client_golang collectors.NewProcessCollector / NewGoCollector
	"process_cpu_seconds_total":     "counter",
	"process_resident_memory_bytes": "gauge",
	"go_goroutines":                 "gauge",
	// Prometheus' own scrape health series.
	"up": "gauge",
}

// seriesNames expands exported into the names PromQL can select.
func seriesNames() map[string]bool {
	out := map[string]bool{}
	for n, typ := range exported {
		out[n] = true
		if typ == "histogram" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[n+s] = true
			}
		}
	}
	return out
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

func TestExportedMatchesSources(t *testing.T) {
	code := map[string]string{} // name → type ("" when only the Desc is known)

	var g *proxy.Gateway // Describe reads only the package's descriptors
	ch := make(chan *prometheus.Desc, 64)
	g.Collector().Describe(ch)
	close(ch)
	for d := range ch {
		if m := descName.FindStringSubmatch(d.String()); m != nil {
			code[m[1]] = ""
		}
	}
	reg := metrics.NewRegistry()
	api.New(&config.Config{}, nil, nil, nil, reg)
	if _, err := subsync.New(&config.Config{Sync: config.Sync{Platforms: []config.SyncPlatform{{ID: "p", AppID: "a", Key: "12345678"}}}}, nil, nil, reg); err != nil {
		t.Fatal(err)
	}
	admin.New(&config.Config{}, nil, nil, reg)
	js, err := jsoningress.New(&config.Config{Upstream: config.Upstream{Protocol: codec.CMPP30},
		Accounts: []config.Account{{ID: "shop", Protocol: codec.JSON, JSON: &config.JSONAccount{AppID: "a", AppSecret: "s"}}}},
		jsoningress.Options{Gateway: idleGateway{}, Store: emptyStore{}, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer js.Shutdown(context.Background())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		code[mf.GetName()] = strings.ToLower(mf.GetType().String())
	}
	for _, h := range []string{"spsmg_submit_rtt_seconds", "spsmg_auth_decision_seconds", "spsmg_mt_deferred_decision_seconds", "spsmg_cluster_follow_lag_seconds"} {
		code[h] = "histogram" // MustNewConstHistogram in Collect
	}
	code["up"] = "gauge"

	for name, typ := range exported {
		got, ok := code[name]
		switch {
		case !ok:
			t.Errorf("%s is listed but not exported by spsmg", name)
		case got != "" && got != typ:
			t.Errorf("%s is listed as %s, exported as %s", name, typ, got)
		}
	}
	for name := range code {
		own := strings.HasPrefix(name, "spsmg_") && !strings.HasPrefix(name, "spsmg_badger_")
		if _, ok := exported[name]; own && !ok {
			t.Errorf("%s is exported but missing from the list (and so from the dashboard)", name)
		}
	}
}

// idleGateway and emptyStore let the JSON listener start without a
// gateway, for its metrics.
type idleGateway struct{}

func (idleGateway) AdmitMT(context.Context, *authcache.MT, int) authcache.Decision {
	return authcache.Decision{}
}
func (idleGateway) RouteMT(string) int { return 0 }

func (idleGateway) SubmitMT(context.Context, string, reason.Reason, int, *codec.Submit, []byte) (proxy.OriginResult, error) {
	return proxy.OriginResult{}, proxy.ErrUpstreamUnavailable
}
func (idleGateway) RefuseMT(string, reason.Reason, int) {}
func (idleGateway) SetReportSink(proxy.ReportSink)      {}

type emptyStore struct{}

func (emptyStore) Persist(done func(error), _ ...authcache.Mutation) error {
	if done != nil {
		done(nil)
	}
	return nil
}
func (emptyStore) Get([]byte) ([]byte, error)                       { return nil, authcache.ErrNotFound }
func (emptyStore) Scan([]byte, func(key, value []byte) error) error { return nil }

// promqlFuncs are the functions the dashboard and the rules may call.
var promqlFuncs = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "rate": true, "increase": true,
	"deriv": true, "histogram_quantile": true, "clamp_min": true, "clamp_max": true, "topk": true,
}

var (
	reString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	reSelector = regexp.MustCompile(`\{[^{}]*\}`)
	reRange    = regexp.MustCompile(`\[[^\]]*\]`)
	reGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
)

// metricsOf returns the metric names an expression selects. Identifiers
// that are neither a known function, a keyword nor a number are taken as
// metric names, so a typo surfaces as an unknown metric.
func metricsOf(expr string) (names []string, err error) {
	s := reString.ReplaceAllString(expr, `""`)
	s = reSelector.ReplaceAllString(s, " ")
	s = reRange.ReplaceAllString(s, " ")
	s = reGrouping.ReplaceAllString(s, " ")
	if strings.ContainsAny(s, "{}[]$") {
		return nil, fmt.Errorf("unbalanced selector, range or stray variable in %q", expr)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
			for i < len(s) && (isNumChar(s[i]) || (s[i-1] == 'e' || s[i-1] == 'E') && (s[i] == '-' || s[i] == '+')) {
				i++
			}
		case c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == ':' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			id := s[i:j]
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			switch {
			case k < len(s) && s[k] == '(':
				if !promqlFuncs[id] {
					return nil, fmt.Errorf("unknown function %s in %q", id, expr)
				}
			case id == "and" || id == "or" || id == "unless" || id == "bool" || id == "offset":
			default:
				names = append(names, id)
			}
			i = j
		default:
			i++
		}
	}
	return names, nil
}

func isNumChar(c byte) bool { return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' }

func checkExpr(t *testing.T, where, expr string, used map[string]bool) {
	t.Helper()
	names, err := metricsOf(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if len(names) == 0 {
		t.Errorf("%s: %q selects no metric", where, expr)
	}
	known := seriesNames()
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s: unknown metric %s in %q", where, n, expr)
		}
		used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
	}
}

func TestMetricsOf(t *testing.T) {
	got, err := metricsOf(`sum by (sp) (rate(spsmg_mt_decisions_total{instance=~"$instance",result="refuse"}[$__rate_interval])) / clamp_min(x_total, 1e-9) > 0.2 and on (sp) up`)
	if err != nil || !slices.Equal(got, []string{"spsmg_mt_decisions_total", "x_total", "up"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := metricsOf(`sun(rate(x[5m]))`); err == nil {
		t.Fatal("a misspelled function passed")
	}
}

// dashboard is the part of the Grafana model the test reads.
type dashboard struct {
	Inputs []struct {
		Name, Type, PluginID string
	} `json:"__inputs"`
	SchemaVersion int     `json:"schemaVersion"`
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string     `json:"name"`
			Datasource datasource `json:"datasource"`
			Definition string     `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Datasource  *datasource              `json:"datasource"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	Targets     []struct {
		Datasource datasource `json:"datasource"`
		RefID      string     `json:"refId"`
		Expr       string     `json:"expr"`
	} `json:"targets"`
}

const dsUID = "${DS_PROMETHEUS}"

func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile("grafana/spsmg-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].Type != "datasource" || d.Inputs[0].PluginID != "prometheus" {
		t.Fatalf("__inputs %+v: want one Prometheus data source input DS_PROMETHEUS", d.Inputs)
	}
	if d.SchemaVersion < 36 || d.UID == "" || d.Title == "" {
		t.Fatalf("schemaVersion %d (Grafana 10 needs ≥ 36), uid %q, title %q", d.SchemaVersion, d.UID, d.Title)
	}

	used := map[string]bool{}
	ids := map[int]bool{}
	var boxes []panel
	readme := readme(t)
	for _, p := range d.Panels {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if ids[p.ID] {
			t.Errorf("%s: duplicate id", where)
		}
		ids[p.ID] = true
		if g := p.GridPos; g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", where, g)
		}
		for _, q := range boxes {
			a, b := p.GridPos, q.GridPos
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("%s overlaps panel %d %q", where, q.ID, q.Title)
			}
		}
		boxes = append(boxes, p)
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsUID || p.Description == "" || len(p.Targets) == 0 {
			t.Errorf("%s: needs datasource %s, a description and targets", where, dsUID)
		}
		if !strings.Contains(readme, "**"+p.Title+"**") {
			t.Errorf("%s: not described in README.md (Dashboard and alerts)", where)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != dsUID || tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: target %s: datasource %q, refId must be set and unique", where, tg.RefID, tg.Datasource.UID)
			}
			refs[tg.RefID] = true
			checkExpr(t, where+" "+tg.RefID, tg.Expr, used)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\(([a-z_:][a-z0-9_:]*)(\{[^}]*\})?, *[a-z_]+\)$`)
	for _, v := range d.Templating.List {
		m := labelValues.FindStringSubmatch(v.Definition)
		if v.Datasource.UID != dsUID || m == nil || !seriesNames()[m[1]] {
			t.Errorf("variable %s: %q must be label_values(<exported metric>, label) on %s", v.Name, v.Definition, dsUID)
		}
	}
	// Every metric of the gateway and the API is on the dashboard.
	var missing []string
	for name := range exported {
		if strings.HasPrefix(name, "spsmg_") && !used[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics on no panel: %v", missing)
	}
}

// ruleFile is the Prometheus rule-file format; unknown keys are errors.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

var (
	promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	alertName    = regexp.MustCompile(`^Spsmg[A-Z][A-Za-z0-9]+$`)
	// Prometheus defines these before expanding an annotation.
	annotationHeader = `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$value := .Value}}`
	templateFuncs    = template.FuncMap{"humanize": fmt.Sprint, "humanizePercentage": fmt.Sprint, "humanizeDuration": fmt.Sprint}
)

func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("not a rule file: %v", err)
	}
	if len(f.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	readme := readme(t)
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: needs a name and rules", g.Name)
		}
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if !alertName.MatchString(r.Alert) || seen[r.Alert] {
				t.Errorf("%s: name must be Spsmg<CamelCase> and unique", where)
			}
			seen[r.Alert] = true
			if !promDuration.MatchString(r.For) {
				t.Errorf("%s: for %q is not a Prometheus duration", where, r.For)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q", where, s)
			}
			for _, a := range []string{"summary", "description"} {
				text := r.Annotations[a]
				if text == "" {
					t.Errorf("%s: no %s", where, a)
				}
				if _, err := template.New(a).Funcs(templateFuncs).Parse(annotationHeader + text); err != nil {
					t.Errorf("%s: %s: %v", where, a, err)
				}
			}
			if !strings.Contains(readme, "**"+r.Alert+"**") {
				t.Errorf("%s: not described in README.md (Dashboard and alerts)", where)
			}
			checkExpr(t, where, r.Expr, used)
		}
	}
	for _, want := range []string{"SpsmgNoUpstreamBind", "SpsmgStoreUnavailable", "SpsmgRefusalRatioHigh", "SpsmgSubmitRTTHigh",
		"SpsmgDeliveryBacklogGrowing", "SpsmgStoreWriteErrors", "SpsmgStoreDroppedMutations"} {
		if !seen[want] {
			t.Errorf("missing alert %s", want)
		}
	}
}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
