// Package metrics owns spsmg's Prometheus registry and its one HTTP server
// (fasthttp): /metrics, /healthz, /readyz, and the SPMS API mounted under
// /v1/ by the api package.
//
// Metrics are named spsmg_<subsystem>_<name>_<unit>, the Prometheus convention. The
// data path keeps its counters where they are written (per event loop, per
// connection) and hands this package a prometheus.Collector that reads them
// at scrape time; nothing on the hot path touches a shared metric.
package metrics

import (
	"expvar"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every metric: every package names its metrics with
// it, through NewDesc or as the Namespace of its prometheus.Opts.
const Namespace = "spsmg"

// Name is the full name of a metric: Namespace, subsystem (may be empty)
// and name, joined by underscores.
func Name(subsystem, name string) string {
	return prometheus.BuildFQName(Namespace, subsystem, name)
}

// NewDesc describes a metric of subsystem (may be empty) for a collector
// that reads its values at scrape time.
func NewDesc(subsystem, name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Name(subsystem, name), help, labels, nil)
}

// Registry is spsmg's own registry (never the global default one).
type Registry struct {
	*prometheus.Registry
}

// NewRegistry creates a registry with the Go runtime, process and Badger
// (expvar badger_*) collectors.
func NewRegistry() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBadgerCollector(),
	)
	return &Registry{reg}
}

// badgerExpvars are the Badger v4 expvar metrics worth bridging (the
// others are per-level maps that need a label each).
var badgerExpvars = map[string]*prometheus.Desc{
	"badger_read_num_vlog":            desc("badger", "vlog_reads_total", "Badger value-log reads (expvar badger_read_num_vlog)."),
	"badger_write_num_vlog":           desc("badger", "vlog_writes_total", "Badger value-log writes (expvar badger_write_num_vlog)."),
	"badger_read_bytes_vlog":          desc("badger", "vlog_read_bytes_total", "Bytes read from the Badger value log."),
	"badger_write_bytes_vlog":         desc("badger", "vlog_written_bytes_total", "Bytes written to the Badger value log."),
	"badger_read_bytes_lsm":           desc("badger", "lsm_read_bytes_total", "Bytes read from the Badger LSM tree."),
	"badger_write_bytes_l0":           desc("badger", "l0_written_bytes_total", "Bytes written to Badger level 0."),
	"badger_get_num_user":             desc("badger", "gets_total", "Badger Get calls by users."),
	"badger_put_num_user":             desc("badger", "puts_total", "Badger Put calls by users."),
	"badger_write_bytes_user":         desc("badger", "user_written_bytes_total", "Bytes written to Badger by users."),
	"badger_get_with_result_num_user": desc("badger", "gets_with_result_total", "Badger Get calls that found a value."),
	"badger_iterator_num_user":        desc("badger", "iterators_total", "Badger iterators created."),
	"badger_size_bytes_lsm":           desc("badger", "lsm_size_bytes", "Size of the Badger LSM tree."),
	"badger_size_bytes_vlog":          desc("badger", "vlog_size_bytes", "Size of the Badger value log."),
	"badger_pending_writes_total":     desc("badger", "pending_writes", "Writes pending in Badger."),
}

func desc(subsystem, name, help string, labels ...string) *prometheus.Desc {
	return NewDesc(subsystem, name, help, labels...)
}

// badgerCollector reads Badger's expvars at scrape time. Collectors'
// ExpvarCollector needs a fixed map too; this one skips the per-directory
// maps Badger publishes for size, summing them instead.
type badgerCollector struct{}

func newBadgerCollector() prometheus.Collector { return badgerCollector{} }

func (badgerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range badgerExpvars {
		ch <- d
	}
}

func (badgerCollector) Collect(ch chan<- prometheus.Metric) {
	for name, d := range badgerExpvars {
		v := expvar.Get(name)
		if v == nil {
			continue
		}
		var f float64
		switch x := v.(type) {
		case *expvar.Int:
			f = float64(x.Value())
		case *expvar.Float:
			f = x.Value()
		case *expvar.Map:
			x.Do(func(kv expvar.KeyValue) {
				if i, ok := kv.Value.(*expvar.Int); ok {
					f += float64(i.Value())
				}
			})
		default:
			continue
		}
		vt := prometheus.CounterValue
		if name == "badger_size_bytes_lsm" || name == "badger_size_bytes_vlog" || name == "badger_pending_writes_total" {
			vt = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(d, vt, f)
	}
}

// scrapeTimeout bounds one /metrics request.
const scrapeTimeout = 5 * time.Second
