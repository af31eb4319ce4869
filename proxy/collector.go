package proxy

import (
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/metrics"
	"github.com/spsmg/spsmg/reason"
)

// Collector reads the gateway's counters at scrape time (node_exporter
// style): the hot path only bumps loop- or connection-local
// atomics, and this sums them. Every metric is documented in README.md
// "Metrics".
func (g *Gateway) Collector() prometheus.Collector { return &collector{g: g} }

type collector struct{ g *Gateway }

// d describes a gateway metric: metrics.Namespace, no subsystem, name.
func d(name, help string, labels ...string) *prometheus.Desc {
	return metrics.NewDesc("", name, help, labels...)
}

var (
	descPackets = d("packets_total",
		"Protocol packets by side (sp: SP-facing, smg: SMG-facing), direction and command kind.",
		"protocol", "side", "direction", "command")
	descDecisions = d("mt_decisions_total",
		"MT Submits decided by spsmg, by SP account, result (allow or refuse) and reason.",
		"sp", "result", "reason")
	descUpstreamFailures = d("mt_upstream_failures_total",
		"Forwarded Submits answered by spsmg with a retryable error because the SMG did not answer (timeout or bind lost).",
		"sp")
	descSubmitRTT = d("submit_rtt_seconds",
		"Round trip of Submits to the SMG, SPs' and those spsmg originates (web codes, Noti_User): from writing to the SMG to its Submit_Resp; by upstream.",
		"upstream")
	descUpstreamSubmitFailures = d("upstream_submit_failures_total",
		"Submits sent to the upstream that it left unanswered (timed out, or the bind was lost): an SP's Submit, or one Submit of a translated or split one; by upstream.",
		"upstream")
	descDeferLatency = d("mt_deferred_decision_seconds",
		"MT Submits decided in the Redis Cluster (LinkID uses spent across nodes): from the Submit parked to its decision back on the event loop.")
	descAuthLatency = d("auth_decision_seconds",
		"Time of one authorization decision (sampled: one decision in 64).")
	descSPConns = d("sp_connections",
		"Logged-in SP connections (SGIP: including spsmg's type-2 receiver connections) by account.",
		"sp")
	descConnsOpen = d("connections_open",
		"Accepted connections open (SP and SGIP inbound), logged in or not.")
	descClosed = d("connections_closed_total",
		"Connections spsmg closed or saw closed, by reason.",
		"reason")
	descBinds = d("upstream_binds",
		"Upstream binds to the SMG by state: logged_in (and healthy), connecting (dialling, logging in, or waiting to), unhealthy (found unhealthy, closed, not yet dialled again).",
		"state", "upstream")
	descBindHealthy = d("upstream_bind_healthy",
		"1 while the upstream bind is logged in and healthy (takes Submits), else 0; by bind id and event loop.",
		"bind", "loop", "upstream")
	descBindDrained = d("upstream_bind_drained",
		"1 while an operator holds the upstream bind out of rotation (admin API: no new Submits), else 0; by bind id and event loop.",
		"bind", "loop", "upstream")
	descBindInflight = d("upstream_bind_inflight_requests",
		"Requests awaiting the SMG on one upstream bind (as of the last sweep).",
		"bind", "loop", "upstream")
	descBindUnhealthy = d("upstream_bind_unhealthy_total",
		"Times an upstream bind was found unhealthy and closed, by reason: stall_probe_unanswered, active_test_unanswered, response_timeouts.",
		"reason", "upstream")
	descInflight = d("upstream_inflight_requests",
		"Requests awaiting the SMG's response, all binds.")
	descWindow = d("upstream_window_capacity",
		"Sum of the windows of the logged-in binds, by upstream.",
		"upstream")
	descBacklog = d("deliveries_waiting",
		"MO and status reports not yet written to any connection of the SP account, by account: the SP is offline or its delivery windows are full (store-and-forward). Those written and awaiting the SP's answer are not counted.",
		"sp")
	descLoginFailures = d("login_failures_total",
		"Refused logins by status.",
		"status")
	descEvents = d("events_total",
		"Events outside the MT path: unroutable_mo, unroutable_report, confirmation, unknown_response, outbox_full, route_lookup_busy, report_routed_by_sp_number, store_space_low (an MO or report the SMG must resend: the store is below its free-space reserve), cluster_decisions_busy.",
		"event")
	descStoreRecords = d("store_records",
		"Authorization records in memory by kind.",
		"kind")
	descStoreQueue = d("store_queue_depth",
		"Mutations waiting for the store writer.")
	descStoreQueueCap = d("store_queue_capacity",
		"Capacity of the store writer's queue.")
	descStoreWritten = d("store_written_total",
		"Mutations committed to the store.")
	descStoreErrors = d("store_write_errors_total",
		"Store write batches that failed.")
	descStoreDropped = d("store_dropped_total",
		"Mutations refused because the writer queue was full.")
	descStoreReplayDropped = d("store_replay_dropped_total",
		"Write-ahead log entries Badger dropped at start because they came after damage in the log (well-formed entries only; the error log names the file).")
	descStoreReplayDroppedBytes = d("store_replay_dropped_bytes_total",
		"Bytes of write-ahead log Badger dropped at start because they came after damage in the log.")
	descStoreCorrupt = d("store_corrupt_records_total",
		"Stored authorization records that did not decode and were skipped at start.")
	descStoreAvailable = d("store_available",
		"1 while the authorization store answers; 0 means MTs are refused (fail-closed) and MO pass (fail-open).")
	descStoreFree = d("store_free_bytes",
		"Free bytes on the filesystem of store.path at the last measurement (every write batch, and every second).")
	descStoreMinFree = d("store_min_free_bytes",
		"store.min_free_space: below it nothing is written; writing resumes a quarter above it.")
	descStoreSpaceLow = d("store_space_low",
		"1 while the store is below store.min_free_space: MTs refused (store_unavailable), MO and reports left for the SMG to resend, /readyz not ready.")
	descFailPolicy = d("fail_policy_total",
		"Messages decided by the fail policy while the store was unavailable (docs/authorization.md §6).",
		"policy")
	descReportsSeen = d("reports_total",
		"Status reports relayed to SPs (counted, not stored), by SP account and status (delivered, expired, deleted, undeliverable, accepted, unknown, rejected, waiting, failed).",
		"sp", "status")
	descSubChanges = d("subscription_changes_total",
		"Subscription relations changed, by SP account and change: added (became active or paused from none or cancelled), cancelled, paused, resumed; whatever caused it (web, SMS, TD/0000, the API, a carrier's sync push).",
		"sp", "change")
	descLongSMS = d("long_sms_total",
		"Long (concatenated) LinkID messages: first parts decided (one LinkID use for the message), later parts that followed a decision, decisions evicted by a full table or expired before the message was complete.",
		"event")
	descRouteCache = d("route_cache_bytes",
		"Memory of the report routes held in memory, at authcache.RouteEntryBytes (128) per route.")
	descRouteCacheBudget = d("route_cache_budget_bytes",
		"authorization.route_cache_bytes: the memory the report routes may use.")
	descRouteEvictions = d("route_cache_evictions_total",
		"Report routes that left memory to stay within authorization.route_cache_bytes; they stay on disk, where their reports find them.")
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, x := range []*prometheus.Desc{descPackets, descDecisions, descUpstreamFailures, descSubmitRTT,
		descAuthLatency, descDeferLatency, descSPConns, descConnsOpen, descClosed, descBinds, descBindHealthy, descBindDrained, descBindInflight,
		descBindUnhealthy, descInflight, descWindow, descUpstreamSubmitFailures,
		descBacklog, descLoginFailures, descEvents, descStoreRecords, descStoreQueue, descStoreQueueCap,
		descStoreWritten, descStoreErrors, descStoreDropped, descStoreReplayDropped, descStoreReplayDroppedBytes,
		descStoreCorrupt, descStoreAvailable, descStoreFree, descStoreMinFree, descStoreSpaceLow, descFailPolicy, descReportsSeen, descLongSMS,
		descRouteCache, descRouteCacheBudget, descRouteEvictions, descSubChanges} {
		ch <- x
	}
	for _, x := range clusterDescs {
		ch <- x
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	g := c.g
	// The SP side's packets are in the SP protocols served (their names
	// joined by "+"), the SMG side's in the default upstream's
	// (per-upstream series carry the others').
	var proto [2]string
	proto[sideSP] = g.spProtocols()
	proto[sideSMG] = g.upstreamOf(nil).d.Protocol().String()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}

	// Per loop: packets and latency histograms.
	var packets [2][2][kindCount]uint64
	rtt := newHistSum(latencyBounds)
	auth := newHistSum(authBounds)
	deferred := newHistSum(latencyBounds)
	inflight := int64(0)
	for _, l := range g.loopList() {
		for s := 0; s < 2; s++ {
			for dir := 0; dir < 2; dir++ {
				for k := 0; k < kindCount; k++ {
					packets[s][dir][k] += l.stats.packets[s][dir][k].Load()
				}
			}
		}
		rtt.add(&l.stats.submitRTT)
		auth.add(&l.stats.authLatency)
		deferred.add(&l.stats.deferLatency)
		inflight += l.stats.inflight.Load()
	}
	for s := 0; s < 2; s++ {
		for dir := 0; dir < 2; dir++ {
			for k := 1; k < kindCount; k++ { // the zero kind (unknown) never counts
				counter(descPackets, float64(packets[s][dir][k]), proto[s], sideNames[s], dirNames[dir], codec.Kind(k).String())
			}
		}
	}
	if len(g.upstreams) == 1 {
		ch <- prometheus.MustNewConstHistogram(descSubmitRTT, rtt.count, rtt.sum, rtt.buckets, g.upstreams[0].name)
	} else {
		for _, u := range g.upstreams {
			h := newHistSum(latencyBounds)
			for _, l := range g.loopList() {
				h.add(&l.ups[u.idx].rtt)
			}
			ch <- prometheus.MustNewConstHistogram(descSubmitRTT, h.count, h.sum, h.buckets, u.name)
		}
	}
	ch <- prometheus.MustNewConstHistogram(descAuthLatency, auth.count, auth.sum, auth.buckets)
	ch <- prometheus.MustNewConstHistogram(descDeferLatency, deferred.count, deferred.sum, deferred.buckets)

	// Per account: decisions, connections, backlog, reports, subscription changes.
	changes := g.auth.SubscriptionChanges()
	t := g.accounts.Load()
	ids := make([]string, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := t.byID[id]
		counts, failures := a.decisionTotals()
		a.mu.Lock()
		conns := len(a.all)
		a.mu.Unlock()
		for o := 0; o < int(reason.Count); o++ {
			if reason.Reason(o).String() == "" || reason.Reason(o).String() == "none" {
				continue
			}
			result := "refuse"
			if reason.Reason(o).Allowed() {
				result = "allow"
			}
			counter(descDecisions, float64(counts[o]), id, result, reason.Reason(o).String())
		}
		counter(descUpstreamFailures, float64(failures), id)
		for st := reportStatus(0); st < numReportStatus; st++ {
			counter(descReportsSeen, float64(a.reports[st].Load()), id, st.String())
		}
		c := changes[id]
		counter(descSubChanges, float64(c.Added), id, "added")
		counter(descSubChanges, float64(c.Cancelled), id, "cancelled")
		counter(descSubChanges, float64(c.Paused), id, "paused")
		counter(descSubChanges, float64(c.Resumed), id, "resumed")
		gauge(descSPConns, float64(conns), id)
		gauge(descBacklog, float64(a.queue.Len()), id)
	}

	gauge(descConnsOpen, float64(g.listeners.open.Load()))
	for r := CloseReason(0); r < closeReasonCount; r++ {
		counter(descClosed, float64(g.closes[r].Load()), r.String())
	}
	for _, u := range g.upstreams {
		var byState [slotStateCount]int
		for _, s := range u.slotList() {
			st := s.getState()
			byState[st]++
			id, loop := strconv.Itoa(s.id), strconv.Itoa(s.loop)
			healthy, inflight := 0.0, 0.0
			if st == slotReady {
				healthy, inflight = 1, float64(s.inflight.Load())
			}
			gauge(descBindHealthy, healthy, id, loop, u.name)
			drained := 0.0
			if s.drained.Load() {
				drained = 1
			}
			gauge(descBindDrained, drained, id, loop, u.name)
			gauge(descBindInflight, inflight, id, loop, u.name)
		}
		gauge(descBinds, float64(byState[slotReady]), "logged_in", u.name)
		gauge(descBinds, float64(byState[slotDialing]+byState[slotLoggingIn]), "connecting", u.name)
		gauge(descBinds, float64(byState[slotUnhealthy]), "unhealthy", u.name)
		for r := unhealthyReason(0); r < unhealthyReasonCount; r++ {
			counter(descBindUnhealthy, float64(u.unhealthy[r].Load()), r.String(), u.name)
		}
		gauge(descWindow, float64(u.Ready()*u.config().Window), u.name)
		counter(descUpstreamSubmitFailures, float64(u.failures.Load()), u.name)
	}
	gauge(descInflight, float64(inflight))
	for s := codec.LoginStatus(1); s < codec.LoginStatusCount; s++ {
		counter(descLoginFailures, float64(g.counters.loginFailures[s].Load()), s.String())
	}
	counter(descEvents, float64(g.deliver.counters.unroutableMO.Load()), "unroutable_mo")
	counter(descEvents, float64(g.deliver.counters.unroutableReports.Load()), "unroutable_report")
	counter(descEvents, float64(g.deliver.counters.confirmations.Load()), "confirmation")
	counter(descEvents, float64(g.counters.unknownResponses.Load()), "unknown_response")
	counter(descEvents, float64(g.deliver.counters.outboxFull.Load()), "outbox_full")
	counter(descEvents, float64(g.deliver.counters.routeLookupsBusy.Load()), "route_lookup_busy")
	counter(descEvents, float64(g.counters.deferBusy.Load()), "cluster_decisions_busy")
	counter(descEvents, float64(g.deliver.counters.reportsBySPNumber.Load()), "report_routed_by_sp_number")
	counter(descEvents, float64(g.deliver.counters.storeSpaceLow.Load()), "store_space_low")

	// The authorization store.
	s := g.auth.Stats()
	for kind, n := range map[string]int{
		"subscription": s.Subscriptions, "cancelled_subscription": s.CancelledSubscriptions, "paused_subscription": s.PausedSubscriptions,
		"mo_linkid": s.MOLinkIDs, "notice_linkid": s.NoticeLinkIDs, "web_code": s.WebCodes,
		"pending_subscription": s.Pending, "route": s.Routes, "long_sms_decision": s.LongSMSDecisions,
	} {
		gauge(descStoreRecords, float64(n), kind)
	}
	gauge(descStoreQueue, float64(s.QueueDepth))
	gauge(descStoreQueueCap, float64(s.QueueCapacity))
	counter(descStoreWritten, float64(s.Written))
	counter(descStoreErrors, float64(s.WriteErrors))
	counter(descStoreDropped, float64(s.Dropped))
	counter(descStoreReplayDropped, float64(s.ReplayDroppedEntries))
	counter(descStoreReplayDroppedBytes, float64(s.ReplayDroppedBytes))
	counter(descStoreCorrupt, float64(s.Corrupt))
	avail := 0.0
	if s.Available {
		avail = 1
	}
	gauge(descStoreAvailable, avail)
	if s.ReserveBytes > 0 { // a free-space guard watches the store
		low := 0.0
		if s.SpaceLow {
			low = 1
		}
		gauge(descStoreFree, float64(s.FreeBytes))
		gauge(descStoreMinFree, float64(s.ReserveBytes))
		gauge(descStoreSpaceLow, low)
	}
	counter(descFailPolicy, float64(s.FailClosedMT), "mt_fail_closed")
	counter(descFailPolicy, float64(s.FailOpenMO), "mo_fail_open")
	counter(descLongSMS, float64(s.LongSMSDecided), "decided")
	counter(descLongSMS, float64(s.LongSMSFollowed), "followed")
	counter(descLongSMS, float64(s.LongSMSEvicted), "evicted")
	counter(descLongSMS, float64(s.LongSMSExpired), "expired")
	gauge(descRouteCache, float64(s.Routes*authcache.RouteEntryBytes))
	gauge(descRouteCacheBudget, float64(s.RouteCacheBytes))
	counter(descRouteEvictions, float64(s.RouteEvictions))
	g.collectCluster(ch, &s)
}

// histSum merges per-loop histograms into one constant histogram.
type histSum struct {
	buckets map[float64]uint64
	count   uint64
	sum     float64
}

func newHistSum(bounds []float64) *histSum {
	h := &histSum{buckets: make(map[float64]uint64, len(bounds))}
	for _, b := range bounds {
		h.buckets[b] = 0
	}
	return h
}

func (h *histSum) add(x *histogram) { x.snapshot(h.buckets, &h.count, &h.sum) }
