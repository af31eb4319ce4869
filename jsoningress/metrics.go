package jsoningress

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/metrics"
)

// Request results (spsmg_json_requests_total{result}).
const (
	reqOK           = "ok"             // answered status 1: every message taken by the carrier
	reqRefused      = "refused"        // answered with a message not taken (status 2 or 3)
	reqBadLength    = "bad_length"     // the six length digits are not digits
	reqTooLarge     = "too_large"      // a body over json.max_body, refused on its length
	reqBadCommand   = "bad_command"    // a Command_Id other than A001
	reqBadBody      = "bad_body"       // JSON or a field the protocol does not allow
	reqUnauthorized = "unauthorized"   // no account with that appid and appsecret
	reqIPNotAllowed = "ip_not_allowed" // the account's allow_ips, or every account's at accept
	reqTimeout      = "timeout"        // the request did not arrive whole within json.read_timeout
	reqClosed       = "closed"         // the client closed before its request was whole
	reqOverCapacity = "over_capacity"  // json.max_connections reached: closed at accept
	reqShutdown     = "shutting_down"  // the listener is stopping
)

var requestResults = []string{reqOK, reqRefused, reqBadLength, reqTooLarge, reqBadCommand, reqBadBody,
	reqUnauthorized, reqIPNotAllowed, reqTimeout, reqClosed, reqOverCapacity, reqShutdown}

// Report results (spsmg_json_reports_total{result}): what became of a
// status report the SMG sent for a merchant's message.
const (
	repQueued    = "queued"    // persisted, its push queued
	repPart      = "part"      // a part of a long message delivered; the message's report waits for the rest
	repInterim   = "interim"   // not a final state (ACCEPTD, ENROUTE): nothing to push
	repDuplicate = "duplicate" // the message's report was queued already
	repUnmapped  = "unmapped"  // no record of the message (older than route_ttl, or not sent in full)
	repPushed    = "pushed"    // the merchant answered B002 status 1
	repAbandoned = "abandoned" // every push left unanswered (or the account was removed)
)

// Push results (spsmg_json_pushes_total{result}): one A002 sent to a
// merchant's report_addr.
const (
	pushAnswered    = "answered"    // B002 status 1
	pushRefused     = "refused"     // B002 with another status, or not a B002
	pushNoAnswer    = "no_answer"   // nothing within json.report_resend
	pushUnreachable = "unreachable" // the address refused, or the write failed
)

type ingressMetrics struct {
	requests *prometheus.CounterVec
	messages *prometheus.CounterVec
	retries  *prometheus.CounterVec
	reports  *prometheus.CounterVec
	pushes   *prometheus.CounterVec
	waiting  prometheus.Gauge
	open     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *ingressMetrics {
	m := &ingressMetrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "requests_total",
			Help: "JSON socket requests by command (A001, other, none when unread) and result (ok, refused, or why the request was not served).",
		}, []string{"command", "result"})),
		messages: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "messages_total",
			Help: "Messages of A001 requests by account, msgtype (1 notice, 2 verification code) and the status answered for them (1 taken by the carrier, 2 refused, 3 try again later).",
		}, []string{"sp", "msgtype", "status"})),
		retries: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "retries_total",
			Help: "Notice Submits sent again after the carrier failed them (busy, throttled, no answer), by account.",
		}, []string{"sp"})),
		reports: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "reports_total",
			Help: "Status reports of merchants' messages by account and what became of them (queued for a push, a part of a long message, interim, duplicate, unmapped, pushed, abandoned).",
		}, []string{"sp", "result"})),
		pushes: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "pushes_total",
			Help: "A002 report pushes to merchants' report_addr by account and result (answered, refused, no_answer, unreachable).",
		}, []string{"sp", "result"})),
		waiting: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "reports_waiting",
			Help: "Reports persisted and not yet answered by their merchant (pushed again after json.report_resend).",
		})),
		open: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metrics.Namespace, Subsystem: "json", Name: "connections_open",
			Help: "Connections open on the JSON socket listener.",
		})),
	}
	for _, r := range requestResults {
		m.requests.WithLabelValues("A001", r)
	}
	return m
}

// account creates an account's series at zero.
func (m *ingressMetrics) account(id string) {
	for _, t := range []string{"1", "2"} {
		for _, s := range []string{statusOK, statusFailed, statusRetry} {
			m.messages.WithLabelValues(id, t, s)
		}
	}
	m.retries.WithLabelValues(id)
	for _, r := range []string{repQueued, repPart, repInterim, repDuplicate, repUnmapped, repPushed, repAbandoned} {
		m.reports.WithLabelValues(id, r)
	}
	for _, r := range []string{pushAnswered, pushRefused, pushNoAnswer, pushUnreachable} {
		m.pushes.WithLabelValues(id, r)
	}
}

// register registers c, or returns the collector registered before under
// the same name (a second listener in one process, in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
	}
	return c
}
