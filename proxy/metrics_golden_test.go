package proxy_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/sp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const metricsGolden = "testdata/metrics.golden"

// goldenHeader opens the golden file; the comparison ignores it.
const goldenHeader = `## The proxy collector's exposition after TestMetricsExposition's scripted
## workload. Values that depend on timing read <timing>. Regenerate with
##   go test ./proxy -run TestMetricsExposition -update
## and review the diff: every name, HELP, TYPE and label set here is what
## Prometheus, the dashboard and the alerts see.
`

// timingLines are exposition lines whose value depends on timing: the
// latency histograms' buckets and sums (their counts are kept), and the
// per-bind in-flight gauge, which is as of the last sweep.
var timingLines = regexp.MustCompile(`^(spsmg_\w+_seconds_bucket\{.*\}|spsmg_\w+_seconds_sum(?:\{.*\})?|spsmg_upstream_bind_inflight_requests\{.*\}) \S+$`)

// TestMetricsExposition compares the proxy collector's text exposition —
// names, HELP, TYPE, label sets and the values a fixed workload gives —
// with testdata/metrics.golden, and lints it as promtool does. Workload,
// on one event loop and one bind: a subscription; an SP logs in and sends
// 3 Submits of an exempt service, 2 to the subscribed user and 2 to a user
// who is not; a login with a wrong secret; the SP logs out.
func TestMetricsExposition(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: func(c *config.Config) { c.Gateway.EventLoops = 1 }})
	if err := h.engine.Subscribe("sp1", user, "NEWS", authcache.SourceAPI); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	for _, m := range []struct {
		service, user string
		want          uint32
	}{
		{"FREE", user, 0}, {"FREE", user, 0}, {"FREE", otherUser, 0},
		{"NEWS", user, 0}, {"NEWS", user, 0},
		{"NEWS", otherUser, h.refusal(reason.NotSubscribed)}, {"NEWS", otherUser, h.refusal(reason.NotSubscribed)},
	} {
		if r := h.submit(c, sp.MT{Users: []string{m.user}, ServiceCode: m.service}); r.Result != m.want {
			t.Fatalf("%s to %s: result %d, want %d", m.service, m.user, r.Result, m.want)
		}
	}
	login, _ := account(h.proto)
	if bad, err := h.dial(login, "wrong-secret"); err == nil {
		bad.Close()
		t.Fatal("a wrong secret logged in")
	}
	c.Close()
	h.eventually("the connections are closed and the store is written", func() bool {
		s := h.engine.Stats()
		return h.metric("spsmg_connections_open") == 0 && h.metric("spsmg_sp_connections", "sp", "sp1") == 0 &&
			s.QueueDepth == 0 && s.Written >= 1 && h.metric("spsmg_upstream_inflight_requests") == 0
	})

	col := h.gw.Collector()
	problems, err := testutil.CollectAndLint(col)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// A pedantic registry also checks every metric against its Desc.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(col)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(&text, f); err != nil {
			t.Fatal(err)
		}
	}
	got := normaliseExposition(text.Bytes())
	if *update {
		if err := os.MkdirAll(filepath.Dir(metricsGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(metricsGolden, append([]byte(goldenHeader), got...), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", metricsGolden)
		return
	}
	b, err := os.ReadFile(metricsGolden)
	if err != nil {
		t.Fatalf("%v (go test ./proxy -run TestMetricsExposition -update writes it)", err)
	}
	want := stripGoldenHeader(b)
	if !bytes.Equal(got, want) {
		t.Errorf("the exposition differs from %s (-update rewrites it; review the diff):\n%s", metricsGolden, lineDiff(want, got))
	}
}

// normaliseExposition replaces the values that depend on timing.
func normaliseExposition(text []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(text), "\n") {
		if m := timingLines.FindStringSubmatch(strings.TrimSuffix(line, "\n")); m != nil {
			line = m[1] + " <timing>\n"
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

func stripGoldenHeader(b []byte) []byte {
	for bytes.HasPrefix(b, []byte("##")) {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	return b
}

// lineDiff lists the lines only in want (-) and only in got (+), in order.
func lineDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	inW, inG := map[string]bool{}, map[string]bool{}
	for _, l := range w {
		inW[l] = true
	}
	for _, l := range g {
		inG[l] = true
	}
	var b strings.Builder
	for _, l := range w {
		if !inG[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !inW[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
