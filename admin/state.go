package admin

import (
	"sort"
	"sync"
	"time"

	"github.com/spsmg/spsmg/proxy"
)

// MinSampleGap: a state request within this of the last snapshot reuses it
// (several pages polling share snapshots, and a rate needs some interval).
const MinSampleGap = 500 * time.Millisecond

// sampler keeps the last two gateway snapshots; rates are their
// difference.
type sampler struct {
	minGap time.Duration

	mu         sync.Mutex
	prev, last *proxy.Snapshot
}

// sample returns the previous and the current snapshot, taking a new one
// when the last is minGap old.
func (s *sampler) sample(take func() proxy.Snapshot, now time.Time) (prev, cur *proxy.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil || now.Sub(s.last.Taken) >= s.minGap {
		snap := take()
		s.prev, s.last = s.last, &snap
	}
	return s.prev, s.last
}

// State is the body of GET /console/api/state. Rates cover
// IntervalSeconds, between the last two snapshots; they are null on the
// first request, and for what the previous snapshot did not have yet.
type State struct {
	Taken           time.Time `json:"taken"`
	UptimeSeconds   float64   `json:"uptime_seconds"`
	Protocol        string    `json:"protocol"`
	IntervalSeconds *float64  `json:"interval_seconds"`
	Ready           bool      `json:"ready"`
	NotReadyReason  string    `json:"not_ready_reason,omitempty"`
	// AdminConfigured: http.admin is set, so the actions can work.
	AdminConfigured bool `json:"admin_configured"`
	// DecisionsPerSecond: every MT decided, all accounts, all reasons.
	DecisionsPerSecond *float64          `json:"decisions_per_second"`
	Accounts           []AccountState    `json:"accounts"`
	Connections        []ConnectionState `json:"connections"`
	Binds              []BindState       `json:"binds"`
	Decisions          []DecisionState   `json:"decisions"`
	Store              StoreState        `json:"store"`
}

// AccountState is one SP account.
type AccountState struct {
	ID             string     `json:"id"`
	Suspended      bool       `json:"suspended"`
	SuspendedSince *time.Time `json:"suspended_since,omitempty"`
	SuspendedBy    string     `json:"suspended_by,omitempty"`
	SuspendReason  string     `json:"suspend_reason,omitempty"`
	Connections    int        `json:"connections"`
	MaxConnections int        `json:"max_connections"`
	TPSLimit       int        `json:"tps_limit"`
	// Backlog: MO and reports waiting in the outbox for the SP.
	Backlog            int      `json:"backlog"`
	AllowedPerSecond   *float64 `json:"allowed_per_second"`
	RefusedPerSecond   *float64 `json:"refused_per_second"`
	DecisionsPerSecond *float64 `json:"decisions_per_second"`
}

// ConnectionState is one logged-in SP connection.
type ConnectionState struct {
	ID       uint64    `json:"id"`
	Account  string    `json:"account"`
	Remote   string    `json:"remote"`
	Role     string    `json:"role"` // sp, or receiver (spsmg's connection to an SGIP SP)
	Since    time.Time `json:"since"`
	Inflight int       `json:"inflight"`
	Window   int       `json:"window"`
	// SubmitsPerSecond: Submits it sent (decided or in flight) per second.
	SubmitsPerSecond *float64 `json:"submits_per_second"`
}

// BindState is one upstream bind.
type BindState struct {
	proxy.BindStatus
	Window int `json:"window"`
	// RTTP99Seconds: p99 of the Submit round trip over the interval, of
	// the bind's event loop; null without Submits in the interval.
	RTTP99Seconds *float64 `json:"rtt_p99_seconds"`
}

// DecisionState is one decision reason.
type DecisionState struct {
	Reason    string   `json:"reason"`
	Result    string   `json:"result"` // allow or refuse
	Total     uint64   `json:"total"`
	PerSecond *float64 `json:"per_second"`
}

// StoreState is the authorization store.
type StoreState struct {
	Available bool   `json:"available"`
	Backend   string `json:"backend"`
	Path      string `json:"path,omitempty"`
	// FreeBytes and TotalBytes of the file system holding Path (badger).
	FreeBytes  *uint64 `json:"free_bytes"`
	TotalBytes *uint64 `json:"total_bytes"`
	// ReserveBytes: the space spsmg keeps free under the store
	// (store.min_free_space); null while no reserve is kept (Redis).
	ReserveBytes *uint64 `json:"reserve_bytes"`
	// SpaceLow: free space is below the reserve, so nothing is written.
	SpaceLow bool   `json:"space_low"`
	Error    string `json:"error,omitempty"`
}

// state builds the answer from the last two snapshots.
func (a *Admin) state() State {
	s := a.set.Load()
	prev, cur := a.sampler.sample(a.gw.Snapshot, a.now())
	st := State{Taken: cur.Taken.UTC(), UptimeSeconds: cur.Taken.Sub(cur.Started).Seconds(), Protocol: cur.Protocol,
		AdminConfigured: s.configured, Accounts: []AccountState{}, Connections: []ConnectionState{},
		Binds: []BindState{}, Decisions: []DecisionState{}}
	var dt float64
	if prev != nil {
		dt = cur.Taken.Sub(prev.Taken).Seconds()
		if dt > 0 {
			st.IntervalSeconds = &dt
		}
	}
	rate := func(now, before uint64) *float64 {
		if st.IntervalSeconds == nil {
			return nil
		}
		r := 0.0
		if now > before { // a counter restarts when its account is added back
			r = float64(now-before) / dt
		}
		return &r
	}

	// Accounts and decisions.
	prevAcc := map[string]*proxy.AccountSnapshot{}
	if prev != nil {
		for i := range prev.Accounts {
			prevAcc[prev.Accounts[i].ID] = &prev.Accounts[i]
		}
	}
	totals := make([]uint64, len(cur.Reasons))
	deltas := make([]uint64, len(cur.Reasons))
	for _, ac := range cur.Accounts {
		as := AccountState{ID: ac.ID, Suspended: ac.Suspended, Connections: ac.Connections,
			MaxConnections: ac.MaxConnections, TPSLimit: ac.TPS, Backlog: ac.Backlog}
		if ac.Suspended {
			since := ac.Suspension.Since
			as.SuspendedSince, as.SuspendedBy, as.SuspendReason = &since, ac.Suspension.By, ac.Suspension.Reason
		}
		p := prevAcc[ac.ID]
		var allowed, refused, all uint64
		for i, n := range ac.Decisions {
			totals[i] += n
			if p == nil || i >= len(p.Decisions) || n < p.Decisions[i] {
				continue
			}
			d := n - p.Decisions[i]
			deltas[i] += d
			all += d
			if cur.Reasons[i].Allowed {
				allowed += d
			} else {
				refused += d
			}
		}
		if p != nil {
			as.AllowedPerSecond, as.RefusedPerSecond, as.DecisionsPerSecond = rate(allowed, 0), rate(refused, 0), rate(all, 0)
		}
		st.Accounts = append(st.Accounts, as)
	}
	var all uint64
	for i, r := range cur.Reasons {
		all += deltas[i]
		if totals[i] == 0 {
			continue
		}
		res := "refuse"
		if r.Allowed {
			res = "allow"
		}
		st.Decisions = append(st.Decisions, DecisionState{Reason: r.Name, Result: res, Total: totals[i], PerSecond: rate(deltas[i], 0)})
	}
	st.DecisionsPerSecond = rate(all, 0)
	sort.SliceStable(st.Decisions, func(i, j int) bool { return st.Decisions[i].Total > st.Decisions[j].Total })

	// Connections.
	prevConn := map[uint64]uint64{}
	if prev != nil {
		for _, c := range prev.Connections {
			prevConn[c.ID] = c.Submits
		}
	}
	for _, c := range cur.Connections {
		cs := ConnectionState{ID: c.ID, Account: c.Account, Remote: c.Remote, Role: c.Role, Since: c.Since.UTC(),
			Inflight: c.Inflight, Window: c.Window}
		if before, ok := prevConn[c.ID]; ok {
			cs.SubmitsPerSecond = rate(c.Submits, before)
		}
		st.Connections = append(st.Connections, cs)
	}

	// Binds, with their loop's round-trip p99 over the interval.
	p99 := map[int]*float64{}
	if prev != nil {
		before := map[int][]uint64{}
		for _, l := range prev.Loops {
			before[l.Index] = l.SubmitRTT
		}
		for _, l := range cur.Loops {
			if b, ok := before[l.Index]; ok && len(b) == len(l.SubmitRTT) {
				p99[l.Index] = quantile(0.99, cur.RTTBounds, l.SubmitRTT, b)
			}
		}
	}
	ready := false
	drained := false
	for _, b := range cur.Binds {
		st.Binds = append(st.Binds, BindState{BindStatus: b, Window: cur.Window, RTTP99Seconds: p99[b.Loop]})
		if b.Healthy && !b.Drained {
			ready = true
		}
		drained = drained || (b.Healthy && b.Drained)
	}

	// Store.
	st.Store = StoreState{Available: cur.StoreAvailable, Backend: s.backend}
	if s.backend == "badger" {
		st.Store.Path = s.storePath
		if free, total, err := a.freeSpace(s.storePath); err != nil {
			st.Store.Error = err.Error()
		} else {
			st.Store.FreeBytes, st.Store.TotalBytes = &free, &total
		}
		if sp := cur.StoreSpace; sp.Guarded {
			reserve := sp.Reserve
			st.Store.ReserveBytes, st.Store.SpaceLow = &reserve, sp.Low
		}
	}

	switch {
	case cur.StoreSpace.Low:
		st.NotReadyReason = "store below its free-space reserve"
	case !cur.StoreAvailable:
		st.NotReadyReason = "authorization store unavailable"
	case !ready && drained:
		st.NotReadyReason = "every healthy SMG bind is drained"
	case !ready:
		st.NotReadyReason = "no healthy SMG bind logged in"
	default:
		st.Ready = true
	}
	return st
}

// quantile estimates the q-quantile of the observations between two
// readings of a histogram (counts per bucket, not cumulative; the last
// bucket is +Inf) by linear interpolation inside the bucket, as
// Prometheus' histogram_quantile does. nil when nothing was observed.
func quantile(q float64, bounds []float64, now, before []uint64) *float64 {
	d := make([]float64, len(now))
	var total float64
	for i := range now {
		if now[i] > before[i] {
			d[i] = float64(now[i] - before[i])
		}
		total += d[i]
	}
	if total == 0 {
		return nil
	}
	rank := q * total
	var cum float64
	for i, n := range d {
		if n == 0 || cum+n < rank {
			cum += n
			continue
		}
		if i >= len(bounds) { // +Inf: the highest finite bound is all we know
			v := bounds[len(bounds)-1]
			return &v
		}
		lo := 0.0
		if i > 0 {
			lo = bounds[i-1]
		}
		v := lo + (bounds[i]-lo)*(rank-cum)/n
		return &v
	}
	v := bounds[len(bounds)-1]
	return &v
}
