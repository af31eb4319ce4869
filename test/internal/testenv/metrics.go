package testenv

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is one scrape: series key → value. The key is the metric name
// followed by its labels sorted by name, Prometheus style:
// spsmg_connections_closed_total{reason="protocol_error"}. Histograms
// appear as their _count and _sum.
type Metrics map[string]float64

// Key builds a series key from a name and label pairs in any order.
func Key(name string, labels ...string) string {
	if len(labels) == 0 {
		return name
	}
	type kv struct{ k, v string }
	var ps []kv
	for i := 0; i+1 < len(labels); i += 2 {
		ps = append(ps, kv{labels[i], labels[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k < ps[j].k })
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", p.k, p.v)
	}
	b.WriteByte('}')
	return b.String()
}

// Get returns the value of one series (0 when absent).
func (m Metrics) Get(name string, labels ...string) float64 { return m[Key(name, labels...)] }

// Sum adds every series of a metric name whose labels include the given
// pairs (none: all series of the name).
func (m Metrics) Sum(name string, labels ...string) float64 {
	var want []string
	for i := 0; i+1 < len(labels); i += 2 {
		want = append(want, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	s := 0.0
	for k, v := range m {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, w := range want {
			if !strings.Contains(k, w) {
				ok = false
			}
		}
		if ok {
			s += v
		}
	}
	return s
}

// Diff returns the series of after whose value changed from before (new
// series count from 0), restricted to names with prefix.
func Diff(before, after Metrics, prefix string) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if strings.HasPrefix(k, prefix) && v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// Gather reads a registry in this process.
func Gather(reg prometheus.Gatherer) (Metrics, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	m := Metrics{}
	for _, mf := range mfs {
		for _, x := range mf.GetMetric() {
			var labels []string
			for _, lp := range x.GetLabel() {
				labels = append(labels, lp.GetName(), lp.GetValue())
			}
			name := mf.GetName()
			switch {
			case x.Counter != nil:
				m[Key(name, labels...)] = x.Counter.GetValue()
			case x.Gauge != nil:
				m[Key(name, labels...)] = x.Gauge.GetValue()
			case x.Untyped != nil:
				m[Key(name, labels...)] = x.Untyped.GetValue()
			case x.Histogram != nil:
				m[Key(name+"_count", labels...)] = float64(x.Histogram.GetSampleCount())
				m[Key(name+"_sum", labels...)] = x.Histogram.GetSampleSum()
			case x.Summary != nil:
				m[Key(name+"_count", labels...)] = float64(x.Summary.GetSampleCount())
				m[Key(name+"_sum", labels...)] = x.Summary.GetSampleSum()
			}
		}
	}
	return m, nil
}

// Scrape reads a /metrics endpoint in the Prometheus text format.
func Scrape(url string) (Metrics, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return ParseText(resp.Body)
}

// ParseText reads the Prometheus text exposition format (what promhttp
// serves without an Accept header): `name{l="v",…} value [timestamp]`.
func ParseText(r io.Reader) (Metrics, error) {
	m := Metrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		var labels []string
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			var err error
			labels, rest, err = parseLabels(rest[1:])
			if err != nil {
				return nil, fmt.Errorf("metrics line %q: %w", line, err)
			}
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("metrics line %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		m[Key(name, labels...)] = v
	}
	return m, sc.Err()
}

// parseLabels reads `k="v",k2="v2"}` and returns the pairs and what follows
// the closing brace.
func parseLabels(s string) (pairs []string, rest string, err error) {
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return pairs, s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return nil, "", fmt.Errorf("bad label at %q", s)
		}
		key := s[:eq]
		s = s[eq+2:]
		var v strings.Builder
		i := 0
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(s[i])
				}
				continue
			}
			v.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, "", fmt.Errorf("unterminated label value")
		}
		pairs = append(pairs, key, v.String())
		s = s[i+1:]
	}
}
