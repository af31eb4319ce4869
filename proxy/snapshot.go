package proxy

import (
	"sort"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/reason"
)

// Snapshot is the gateway's state at one moment, for the operator console
// (package admin): counters as totals, which the console turns into rates
// by comparing two snapshots. Reading it costs the hot path nothing: it
// reads atomics, and lists under the accounts' own locks, like the metrics
// collector.
type Snapshot struct {
	Taken   time.Time
	Started time.Time
	// Protocol is the upstream protocol (every SP speaks it).
	Protocol string
	// Reasons names the decision outcomes; Decisions slices are indexed
	// like it.
	Reasons []Reason
	// Accounts, sorted by id.
	Accounts []AccountSnapshot
	// Connections are the logged-in SP connections (and SGIP receivers),
	// by id.
	Connections []ConnSnapshot
	Binds       []BindStatus
	// Loops hold the Submit round-trip histogram of each event loop, whose
	// buckets end at RTTBounds (seconds; the last bucket is +Inf).
	Loops     []LoopSnapshot
	RTTBounds []float64
	// Window is upstream.window: requests in flight per bind at most.
	Window         int
	StoreAvailable bool
	// StoreSpace: the store's free-space reserve and what is free (zero
	// without a reserve, as on Redis).
	StoreSpace authcache.Space
}

// Reason is one decision outcome: its metric label and whether it allows.
type Reason struct {
	Name    string
	Allowed bool
}

// AccountSnapshot is one SP account.
type AccountSnapshot struct {
	ID             string
	Suspended      bool
	Suspension     Suspension // when Suspended
	Connections    int
	MaxConnections int
	TPS            int // the account's limit
	Window         int // per connection
	// Backlog: MO and reports waiting for the SP.
	Backlog int
	// Decisions by outcome, since start (closed connections included).
	Decisions []uint64
}

// ConnSnapshot is one logged-in SP-facing connection.
type ConnSnapshot struct {
	ID      uint64
	Account string
	Remote  string
	// Role: "sp" for a connection the SP opened, "receiver" for one spsmg
	// opened to an SGIP SP's own listener.
	Role   string
	Since  time.Time // when the connection was opened
	Window int       // the account's window
	// Inflight: Submits awaiting the SMG.
	Inflight int
	// Submits received on the connection: those decided plus those in
	// flight (no counter of its own on the hot path). Diff two snapshots
	// for a rate.
	Submits uint64
}

// LoopSnapshot is one event loop's Submit round-trip histogram: counts
// per bucket (not cumulative), len(RTTBounds)+1 of them.
type LoopSnapshot struct {
	Index     int
	SubmitRTT []uint64
}

// Snapshot reads the gateway's state (see Snapshot). Any goroutine.
func (g *Gateway) Snapshot() Snapshot {
	cfg := g.cfgLoad()
	snap := Snapshot{
		Taken: time.Now(), Started: g.start, Protocol: g.upstreamOf(nil).d.Protocol().String(),
		Binds: g.Binds(), RTTBounds: latencyBounds, Window: cfg.DefaultUpstreamConfig().Window,
		StoreAvailable: g.auth.Available(), StoreSpace: g.auth.Space(),
	}
	var names []int // outcomes that are real reasons, in order
	for o := 0; o < int(reason.Count); o++ {
		if reason.Reason(o).String() == "" || reason.Reason(o).String() == "none" {
			continue
		}
		names = append(names, o)
		snap.Reasons = append(snap.Reasons, Reason{Name: reason.Reason(o).String(), Allowed: reason.Reason(o).Allowed()})
	}
	t := g.accounts.Load()
	ids := make([]string, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := t.byID[id]
		ac := a.cfg.Load()
		as := AccountSnapshot{ID: id, Suspended: a.suspended.Load(), MaxConnections: ac.MaxConnections,
			TPS: ac.TPS, Window: ac.Window, Backlog: a.queue.Len(), Decisions: make([]uint64, len(names))}
		if as.Suspended {
			as.Suspension, _ = g.suspension(id)
		}
		a.mu.Lock()
		for i, o := range names {
			if o < len(a.decisions) {
				as.Decisions[i] = a.decisions[o].Load()
			}
		}
		for _, s := range a.all {
			var submits uint64
			for i, o := range names {
				n := s.decisions[o].Load()
				as.Decisions[i] += n
				submits += n
			}
			inflight := int(s.inflight.Load())
			role := "sp"
			if s.role == roleReceiver {
				role = "receiver"
			}
			snap.Connections = append(snap.Connections, ConnSnapshot{
				ID: s.id, Account: id, Remote: s.peer(), Role: role,
				Since: g.start.Add(time.Duration(s.openedAt)), Window: ac.Window,
				Inflight: inflight, Submits: submits + uint64(max(inflight, 0)),
			})
		}
		as.Connections = len(a.all)
		a.mu.Unlock()
		snap.Accounts = append(snap.Accounts, as)
	}
	sort.Slice(snap.Connections, func(i, j int) bool { return snap.Connections[i].ID < snap.Connections[j].ID })
	for _, l := range g.loopList() {
		h := &l.stats.submitRTT
		ls := LoopSnapshot{Index: l.idx, SubmitRTT: make([]uint64, len(h.bounds)+1)}
		for i := range ls.SubmitRTT {
			ls.SubmitRTT[i] = h.counts[i].Load()
		}
		snap.Loops = append(snap.Loops, ls)
	}
	return snap
}
