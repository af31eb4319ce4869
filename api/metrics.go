package api

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/metrics"
)

// endpoint is the route a request matched: the closed set of the metrics'
// endpoint label. Requests that match no route (404, 405) are "other".
type endpoint uint8

const (
	epOndemand endpoint = iota
	epSubscriptionsCreate
	epSubscriptionsList
	epSubscriptionsDelete
	epReconciliation
	epOther
	numEndpoints
)

var endpointNames = [numEndpoints]string{
	epOndemand:            "ondemand",
	epSubscriptionsCreate: "subscriptions_create",
	epSubscriptionsList:   "subscriptions_list",
	epSubscriptionsDelete: "subscriptions_delete",
	epReconciliation:      "reconciliation",
	epOther:               "other",
}

func (e endpoint) String() string { return endpointNames[e] }

// durationBuckets in seconds: an authenticated request answered from
// memory takes microseconds; one that originates an MT waits for the SMG's
// Submit_Resp, bounded by OriginateTimeout (10 s).
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// apiMetrics holds children resolved once in New (docs/performance-notes.md §3: 42 ns
// per WithLabelValues lookup vs 7 ns for a resolved child); every
// (endpoint, code) pair exists from the start at zero.
type apiMetrics struct {
	requests [numEndpoints][numCodes]prometheus.Counter
	duration [numEndpoints]prometheus.Observer
}

func newMetrics(reg prometheus.Registerer, nonces *nonceCache) *apiMetrics {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Subsystem: "api", Name: "requests_total",
		Help: "SPMS API requests by endpoint and answer code (\"ok\" or the stable error code).",
	}, []string{"endpoint", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: metrics.Namespace, Subsystem: "api", Name: "request_duration_seconds",
		Help:    "Time to answer one SPMS API request, including the SMG round trip of the MT it originates.",
		Buckets: durationBuckets,
	}, []string{"endpoint"})
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: metrics.Namespace, Subsystem: "api", Name: "nonce_cache_entries",
		Help: "Nonces remembered for replay detection (capped; at the cap requests get 429).",
	}, func() float64 { return float64(nonces.len()) })
	if reg != nil {
		requests = register(reg, requests)
		duration = register(reg, duration)
		register[prometheus.Collector](reg, entries)
	}
	m := &apiMetrics{}
	for e := range numEndpoints {
		for c := range numCodes {
			m.requests[e][c] = requests.WithLabelValues(endpointNames[e], codeNames[c])
		}
		m.duration[e] = duration.WithLabelValues(endpointNames[e])
	}
	return m
}

// register registers c, or returns the collector already registered under
// the same descriptors (a second API on one registry shares the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		panic(err)
	}
	return c
}
