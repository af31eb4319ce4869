package repocheck

import (
	"regexp"
	"strings"
	"testing"
)

// metricPrefix matches a metric name or namespace spelled out in code
// rather than taken from package metrics: a "spsmg_…" string literal, or a
// string literal as the Namespace of prometheus.Opts.
var metricPrefix = regexp.MustCompile(`"spsmg_|Namespace:\s*"`)

// TestMetricNamesFromOneNamespace: every package names its metrics with
// metrics.Namespace (metrics.NewDesc, metrics.Name, or Opts.Namespace), so
// that the prefix is written once. Tests, which read metrics by their full
// names, are exempt, and so is package metrics, which defines it.
func TestMetricNamesFromOneNamespace(t *testing.T) {
	walk(t, func(path string, line int, text string) {
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.HasPrefix(path, "metrics/") || strings.HasPrefix(path, "test/") || strings.HasPrefix(path, "bench/") {
			return
		}
		code, _, _ := strings.Cut(text, "//")
		if metricPrefix.MatchString(code) {
			t.Errorf("%s:%d: a metric name spelled out: use metrics.Namespace (metrics.NewDesc, metrics.Name): %s", path, line, strings.TrimSpace(text))
		}
	})
}
