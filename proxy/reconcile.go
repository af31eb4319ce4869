package proxy

import (
	"sort"
	"sync/atomic"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
)

// reportStatus is the class of a status report: a small closed set, the
// status label of spsmg_reports_total and a column of the reconciliation.
type reportStatus uint8

const (
	reportDelivered     reportStatus = iota // CMPP/SMGP DELIVRD, SGIP State 0
	reportExpired                           // EXPIRED
	reportDeleted                           // DELETED
	reportUndeliverable                     // UNDELIV
	reportAccepted                          // ACCEPTD
	reportUnknown                           // UNKNOWN
	reportRejected                          // REJECTD
	reportWaiting                           // SGIP State 1
	reportFailed                            // SGIP State 2, and any other Stat (carriers' own error codes)
	numReportStatus
)

var reportStatusNames = [numReportStatus]string{"delivered", "expired", "deleted", "undeliverable", "accepted",
	"unknown", "rejected", "waiting", "failed"}

func (s reportStatus) String() string { return reportStatusNames[s] }

// reportStatusOf classifies a report: an SGIP Report by its State, a
// CMPP/SMGP report Deliver by its 7-character Stat.
func reportStatusOf(v *codec.View) reportStatus {
	if v.Kind == codec.KindReport {
		switch v.ReportState {
		case 0:
			return reportDelivered
		case 1:
			return reportWaiting
		}
		return reportFailed
	}
	switch string(v.ReportStat) {
	case "DELIVRD":
		return reportDelivered
	case "EXPIRED":
		return reportExpired
	case "DELETED":
		return reportDeleted
	case "UNDELIV":
		return reportUndeliverable
	case "ACCEPTD":
		return reportAccepted
	case "UNKNOWN":
		return reportUnknown
	case "REJECTD":
		return reportRejected
	}
	return reportFailed
}

// reportCounts counts an account's reports by status; written by any loop
// (reports are not the MT hot path), read at scrape and flush time.
type reportCounts [numReportStatus]atomic.Uint64

// Reconciliation columns of the gateway (package reconcile keeps them per
// SP and day). Counts are of MT Submits as spsmg decided them:
//
//	mt_submitted          every Submit decided (forwarded + refused)
//	mt_forwarded          allowed and sent to the SMG (whatever the SMG answered)
//	mt_refused            refused by spsmg, never sent to the SMG
//	mt_upstream_failures  forwarded, then answered by spsmg with a retryable error because the SMG did not answer
//	refused_<reason>      mt_refused by reason (the reasons of spsmg_mt_decisions_total{result="refuse"})
//	reports_<status>      status reports relayed to the SP, by status
const (
	ColMTSubmitted        = "mt_submitted"
	ColMTForwarded        = "mt_forwarded"
	ColMTRefused          = "mt_refused"
	ColMTUpstreamFailures = "mt_upstream_failures"
)

// ReconcileColumns lists the gateway's reconciliation columns in order.
func ReconcileColumns() []string {
	cols := []string{ColMTSubmitted, ColMTForwarded, ColMTRefused, ColMTUpstreamFailures}
	for o := 0; o < int(reason.Count); o++ {
		if !reason.Reason(o).Allowed() && reason.Reason(o).String() != "" && reason.Reason(o).String() != "none" {
			cols = append(cols, "refused_"+reason.Reason(o).String())
		}
	}
	for s := reportStatus(0); s < numReportStatus; s++ {
		cols = append(cols, "reports_"+s.String())
	}
	return cols
}

// ReconcileCounts reports, for every account, its counts since the
// gateway started under the ReconcileColumns names: the same counters the
// metrics are read from, so a day's totals equal the metrics' increase over
// that day. Any goroutine.
func (g *Gateway) ReconcileCounts(add func(sp, column string, v uint64)) {
	t := g.accounts.Load()
	ids := make([]string, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := t.byID[id]
		counts, failures := a.decisionTotals()
		var submitted, forwarded uint64
		for o := 0; o < int(reason.Count); o++ {
			if reason.Reason(o).String() == "" || reason.Reason(o).String() == "none" {
				continue
			}
			submitted += counts[o]
			if reason.Reason(o).Allowed() {
				forwarded += counts[o]
			} else {
				add(id, "refused_"+reason.Reason(o).String(), counts[o])
			}
		}
		add(id, ColMTSubmitted, submitted)
		add(id, ColMTForwarded, forwarded)
		add(id, ColMTRefused, submitted-forwarded)
		add(id, ColMTUpstreamFailures, failures)
		for s := reportStatus(0); s < numReportStatus; s++ {
			add(id, "reports_"+s.String(), a.reports[s].Load())
		}
	}
}

// decisionTotals sums the decisions and upstream failures of the account's
// closed and live connections.
func (a *account) decisionTotals() ([]uint64, uint64) {
	counts := make([]uint64, int(reason.Count))
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.decisions {
		counts[i] += a.decisions[i].Load()
	}
	failures := a.upstreamFailures
	for _, s := range a.all {
		for i := range s.decisions {
			counts[i] += s.decisions[i].Load()
		}
		failures += s.upstreamFailures.Load()
	}
	return counts, failures
}
