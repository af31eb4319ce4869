package subsync

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/metrics"
)

// syncMetrics: spsmg_sync_requests_total{platform, operation, result}.
// The series of each configured platform exist from the start at zero for
// the answered results of the four operations.
type syncMetrics struct {
	requests *prometheus.CounterVec
	mu       sync.Mutex
	made     map[string]bool
}

func newMetrics(reg prometheus.Registerer) *syncMetrics {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Subsystem: "sync", Name: "requests_total",
		Help: "Subscription-relation sync pushes from carrier platforms, by platform (\"unknown\" before one is identified), operation (the OPType; \"none\" when unread) and result (applied, unchanged, stale, or why it was refused).",
	}, []string{"platform", "operation", "result"})
	if reg != nil {
		if err := reg.Register(v); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if old, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					v = old
				}
			}
		}
	}
	return &syncMetrics{requests: v, made: map[string]bool{}}
}

// platform creates a configured platform's series.
func (m *syncMetrics) platform(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.made[id] {
		return
	}
	m.made[id] = true
	for op := 1; op <= 4; op++ {
		for r := resApplied; r <= resBadUser; r++ {
			m.requests.WithLabelValues(id, opNames[op], resultNames[r])
		}
	}
}

func (m *syncMetrics) count(platform string, op int, r result) {
	m.requests.WithLabelValues(platform, opNames[op], resultNames[r]).Inc()
}
