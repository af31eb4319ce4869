package proxy

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
)

// Metrics of a node among several (cluster.go): exported only when the
// gateway runs with Options.Cluster.
var (
	descClusterReachable = d("cluster_reachable",
		"1 while the Redis Cluster answers this node's heartbeats; 0: LinkID MTs refused, other MTs decided from memory, MO delivered on this node only.")
	descClusterLiveNodes = d("cluster_live_nodes",
		"spsmg nodes alive (heartbeat within 5 s) at this node's last heartbeat.")
	descFollowLag = d("cluster_follow_lag_seconds",
		"Another node's change, from its write to this node's memory (the origin's clock against this node's).")
	descFollowed = d("cluster_changes_followed_total",
		"Changes of other nodes applied to this node's memory.")
	descFollowReloads = d("cluster_follow_reloads_total",
		"Times this node fell behind the change stream and loaded the state again.")
	descClusterDeliveries = d("cluster_deliveries_total",
		"MO and reports through the accounts' queues: queued (durable, the SMG acknowledged), claimed_from_dead (taken over from a node no longer alive), released (put back by a node without a connection of the account), enqueue_failed (the SMG told to resend, or delivered fail-open), fail_open (delivered on this node while the cluster did not take it).",
		"event")
	descClusterLinkIDs = d("cluster_linkid_decisions_total",
		"LinkID MTs decided in the cluster: spent (uses taken), used_up (refused), followed (a long message's part following its first part), error (the cluster did not answer: store_unavailable); confirmation (Y/N replies taken), confirmation_error.",
		"result")
)

var clusterDescs = []*prometheus.Desc{descClusterReachable, descClusterLiveNodes, descFollowLag, descFollowed,
	descFollowReloads, descClusterDeliveries, descClusterLinkIDs}

// collectCluster emits the cluster metrics.
func (g *Gateway) collectCluster(ch chan<- prometheus.Metric, s *authcache.Stats) {
	c := g.cl
	if c == nil {
		return
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	reachable := 0.0
	if c.reachable() {
		reachable = 1
	}
	gauge(descClusterReachable, reachable)
	gauge(descClusterLiveNodes, float64(len(c.liveNodes())))
	buckets := make(map[float64]uint64, len(authcache.FollowLagBounds()))
	var n uint64
	for i, b := range authcache.FollowLagBounds() {
		n += s.FollowLag[i]
		buckets[b] = n
	}
	n += s.FollowLag[len(s.FollowLag)-1]
	ch <- prometheus.MustNewConstHistogram(descFollowLag, n, s.FollowLagSum, buckets)
	counter(descFollowed, s.FollowedChanges)
	counter(descFollowReloads, s.FollowReloads)
	counter(descClusterDeliveries, c.enqueued.Load(), "queued")
	counter(descClusterDeliveries, c.claimed.Load(), "claimed_from_dead")
	counter(descClusterDeliveries, c.released.Load(), "released")
	counter(descClusterDeliveries, c.enqueueErrors.Load(), "enqueue_failed")
	counter(descClusterDeliveries, c.fallbacks.Load(), "fail_open")
	counter(descClusterLinkIDs, s.SharedSpent, "spent")
	counter(descClusterLinkIDs, s.SharedUsedUp, "used_up")
	counter(descClusterLinkIDs, s.SharedFollowed, "followed")
	counter(descClusterLinkIDs, s.SharedErrors, "error")
	counter(descClusterLinkIDs, s.SharedConfirms, "confirmation")
	counter(descClusterLinkIDs, s.SharedConfirmErrors, "confirmation_error")
}
