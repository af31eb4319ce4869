package proxy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/config"
)

// Bind health. A bind is healthy while the SMG answers on it. Two signs
// that it no longer does, both checked by the bind's sweep on its own loop:
//
//   - Active_Test unanswered (CMPP, SMGP). spsmg sends its own Active_Test
//     when requests have been waiting for upstream.stall_probe_after with
//     no answer to any of them (a stall probe), and when the bind has been
//     quiet for upstream.active_test_interval (a keep-alive). Either one
//     unanswered after upstream.probe_timeout is a dead link. The SMG's
//     own traffic (its Active_Tests, Delivers) does not count as an
//     answer: an SMG stuck behind a backlog keeps sending heartbeats.
//   - upstream.max_timeouts requests in a row unanswered after
//     upstream.response_timeout (every protocol; the only sign in SGIP,
//     which has no Active_Test).
//
// An unhealthy bind stops taking Submits at once (the loop's other binds,
// or another loop's, take them), its requests in flight are answered
// upstream_timeout, and it is closed and dialled again after a backoff.

// unhealthyReason says why a bind was found unhealthy; it is the `reason`
// label of spsmg_upstream_bind_unhealthy_total.
type unhealthyReason uint8

const (
	unhealthyStallProbe unhealthyReason = iota // the stall probe went unanswered
	unhealthyActiveTest                        // a keep-alive Active_Test went unanswered
	unhealthyTimeouts                          // max_timeouts requests in a row timed out
	unhealthyReasonCount
)

var unhealthyNames = [unhealthyReasonCount]string{
	unhealthyStallProbe: "stall_probe_unanswered",
	unhealthyActiveTest: "active_test_unanswered",
	unhealthyTimeouts:   "response_timeouts",
}

func (r unhealthyReason) String() string {
	if r < unhealthyReasonCount {
		return unhealthyNames[r]
	}
	return "unknown"
}

// slotState is what a bind slot shows to /readyz and the metrics.
type slotState uint32

const (
	slotDialing   slotState = iota // waiting to dial (backoff) or dialling
	slotLoggingIn                  // connected, the login not answered yet
	slotReady                      // logged in and healthy: takes Submits
	slotUnhealthy                  // found unhealthy: closed, to be dialled again
	slotStateCount
)

var slotStateNames = [slotStateCount]string{"dialing", "logging_in", "logged_in", "unhealthy"}

func (s slotState) String() string {
	if s < slotStateCount {
		return slotStateNames[s]
	}
	return "unknown"
}

// bindSlot is one place in the pool of upstream binds. It outlives the bind
// that fills it (a lost bind's replacement takes the same slot and id) and
// publishes the bind's state for /readyz and the metrics: the bind's loop
// (or its dialling goroutine) writes, any goroutine reads. Counts of
// requests are published by the sweep, so they are at most one tick old.
type bindSlot struct {
	id   int
	loop int

	state           atomic.Uint32 // slotState
	localAddr       atomic.Pointer[string]
	inflight        atomic.Int32
	lastAnswer      atomic.Int64 // gateway clock (ns since start) of the last answer
	logins          atomic.Uint64
	unhealthy       atomic.Uint64
	lastReason      atomic.Uint32 // unhealthyReason+1 of the last time; 0 never
	lastUnhealthyAt atomic.Int64  // gateway clock of the last time
	// drained: an operator took the slot out of rotation (admin API); its
	// bind, and any bind dialled into it later, takes no new request
	// until it is restored. Written by Gateway.DrainBind, applied on the
	// loop (bind.applyDrain).
	drained atomic.Bool

	// streak counts the times in a row this slot's bind was found
	// unhealthy: the re-dial backs off further each time, so that an SMG
	// that is slow on every connection is not redialled in a tight loop.
	// It ends once a bind has stayed healthy through a whole detection
	// window. Only the slot's loop touches it (a slot's binds all live on
	// one loop).
	streak int
}

func (s *bindSlot) setState(st slotState) { s.state.Store(uint32(st)) }
func (s *bindSlot) getState() slotState   { return slotState(s.state.Load()) }

// BindStatus is one upstream bind as /readyz reports it.
type BindStatus struct {
	ID      int    `json:"id"`
	Loop    int    `json:"loop"`
	State   string `json:"state"`   // dialing, logging_in, logged_in, unhealthy
	Healthy bool   `json:"healthy"` // logged in and healthy
	// Drained: an operator took the bind out of rotation (admin API): no
	// new Submits, those in flight answered normally.
	Drained bool `json:"drained"`
	// LocalAddr is the bind's own address (host:port) once connected.
	LocalAddr string `json:"local_addr,omitempty"`
	// Inflight and LastAnswerAgeSeconds (since the SMG last answered one
	// of spsmg's requests, or since requests began to wait) are as of the
	// last sweep, at most one tick old; logged-in binds only.
	Inflight             int      `json:"inflight"`
	LastAnswerAgeSeconds *float64 `json:"last_answer_age_seconds,omitempty"`
	Logins               uint64   `json:"logins"`          // logins this slot has made
	UnhealthyTotal       uint64   `json:"unhealthy_total"` // times found unhealthy
	LastUnhealthy        string   `json:"last_unhealthy,omitempty"`
	LastUnhealthyAgo     *float64 `json:"last_unhealthy_age_seconds,omitempty"`
}

// Binds reports every upstream bind, in the order they were created. Any
// goroutine.
func (g *Gateway) Binds() []BindStatus {
	now := int64(time.Since(g.start))
	secs := func(ns int64) *float64 {
		s := float64(max(now-ns, 0)) / 1e9
		return &s
	}
	var slots []*bindSlot
	for _, u := range g.upstreams {
		slots = append(slots, u.slotList()...)
	}
	out := make([]BindStatus, len(slots))
	for i, s := range slots {
		st := s.getState()
		b := BindStatus{ID: s.id, Loop: s.loop, State: st.String(), Healthy: st == slotReady, Drained: s.drained.Load(),
			Logins: s.logins.Load(), UnhealthyTotal: s.unhealthy.Load()}
		if a := s.localAddr.Load(); a != nil && st != slotDialing {
			b.LocalAddr = *a
		}
		if st == slotReady {
			b.Inflight = int(s.inflight.Load())
			b.LastAnswerAgeSeconds = secs(s.lastAnswer.Load())
		}
		if r := s.lastReason.Load(); r > 0 {
			b.LastUnhealthy = unhealthyReason(r - 1).String()
			b.LastUnhealthyAgo = secs(s.lastUnhealthyAt.Load())
		}
		out[i] = b
	}
	return out
}

// Readiness is the answer of /readyz.
type Readiness struct {
	Ready          bool   `json:"ready"`
	Reason         string `json:"reason,omitempty"` // why not
	StoreAvailable bool   `json:"store_available"`
	// StoreSpaceLow: the store's filesystem is below store.min_free_space,
	// so nothing is written and work that needs a write is refused.
	StoreSpaceLow bool `json:"store_space_low,omitempty"`
	// HealthyBinds are logged in, healthy and in rotation (not drained):
	// they take Submits; ready needs one.
	HealthyBinds int          `json:"healthy_binds"`
	Binds        []BindStatus `json:"binds"`
	// Cluster, with several nodes: whether the cluster answers and the
	// nodes alive at the last heartbeat.
	Cluster *ClusterStatus `json:"cluster,omitempty"`
}

// ClusterStatus is the cluster as one node sees it.
type ClusterStatus struct {
	Reachable bool     `json:"reachable"`
	Node      string   `json:"node"`
	LiveNodes []string `json:"live_nodes"`
}

// Readiness reports whether the gateway can serve: the store's filesystem
// is above its free-space reserve, the authorization store answers (with
// several nodes: the engine decides MTs, from memory while the cluster is
// unreachable) and at least one bind is logged in and healthy. Any
// goroutine.
func (g *Gateway) Readiness() Readiness {
	sp := g.auth.Space()
	r := Readiness{StoreAvailable: g.auth.Available(), StoreSpaceLow: sp.Low, Binds: g.Binds()}
	drained := 0
	for _, b := range r.Binds {
		switch {
		case b.Healthy && b.Drained:
			drained++
		case b.Healthy:
			r.HealthyBinds++
		}
	}
	decides := r.StoreAvailable
	if c := g.cl; c != nil {
		r.Cluster = &ClusterStatus{Reachable: c.reachable(), Node: c.b.NodeID(), LiveNodes: c.liveNodes()}
		r.StoreAvailable = r.StoreAvailable && c.reachable()
		decides = g.auth.Decides()
	}
	switch {
	case sp.Low:
		r.Reason = fmt.Sprintf("store below its free-space reserve: %s free under %s, store.min_free_space %s (ready again at %s)",
			config.FormatBytes(sp.Free), sp.Path, config.FormatBytes(sp.Reserve), config.FormatBytes(sp.Resume))
	case !decides:
		r.Reason = "authorization store unavailable"
	case r.HealthyBinds == 0 && drained > 0:
		r.Reason = "every healthy SMG bind is drained (admin API)"
	case r.HealthyBinds == 0:
		r.Reason = "no healthy SMG bind logged in"
	default:
		r.Ready = true
	}
	return r
}

// Readyz is Readiness as the JSON body of /readyz, which answers 200 when
// ok and 503 otherwise. Any goroutine.
func (g *Gateway) Readyz() (ok bool, body []byte) {
	r := g.Readiness()
	body, err := json.Marshal(r)
	if err != nil { // plain values only: cannot happen
		return false, []byte(`{"ready":false,"reason":` + strconv.Quote(err.Error()) + `}`)
	}
	return r.Ready, append(body, '\n')
}

// sweepInterval is how often the loops sweep: the shortest interval any
// upstream's timers ask for (sweepEvery). Any goroutine.
func (g *Gateway) sweepInterval() time.Duration {
	every := time.Second
	for _, u := range g.upstreams {
		every = min(every, sweepEvery(u.config()))
	}
	return every
}

// sweepEvery is how often each loop checks its binds' timers: a fifth of
// the shortest of response_timeout, stall_probe_after and probe_timeout,
// between 10 ms and 1 s (1 s with the defaults). SP connections' timers are
// checked once a second whatever it is.
func sweepEvery(u *config.Upstream) time.Duration {
	d := min(u.ResponseTimeout, u.StallProbeAfter, u.ProbeTimeout) / 5
	return min(max(d, 10*time.Millisecond), time.Second)
}

// MaxSubmitWait is the longest an SP waits for the answer to a Submit
// spsmg forwarded, under cfg (README, Operations: Limits). With T the
// sweep interval (sweepEvery):
//
//   - timeout: response_timeout + T. The SMG's answer, or spsmg's
//     upstream_timeout once the timer has run out and the next sweep has
//     seen it.
//   - stalled: min(timeout, stall_probe_after + probe_timeout + 2T) when
//     the bind answers nothing at all after the Submit was sent (a
//     stalled, hung or blackholed link): the stall probe goes out at most
//     stall_probe_after + T after the Submit, and is found unanswered at
//     most probe_timeout + T later, when the bind is closed and the Submit
//     answered upstream_timeout. SGIP has no Active_Test: there, stalled
//     is timeout.
//
// Scheduling delays on a loaded machine come on top.
func MaxSubmitWait(cfg *config.Config) (timeout, stalled time.Duration) {
	u := cfg.DefaultUpstreamConfig()
	t := sweepEvery(u)
	timeout = u.ResponseTimeout + t
	stalled = timeout
	if d := dialect.For(u.Protocol); d != nil && d.HasActiveTest() {
		stalled = min(timeout, u.StallProbeAfter+u.ProbeTimeout+2*t)
	}
	return timeout, stalled
}
