package authcache

import (
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// Test parties. Users appear in the SGIP (86…), CMPP (bare) and +86 forms.
const (
	spA       = "sp-a"
	spANumber = "1065501"
	spB       = "sp-b"
	spBNumber = "1065502"
	exemptAcc = "carrier"
	portal    = "10655999"

	userA    = "8613800000001"
	userA11  = "13800000001"
	userAInt = "+8613800000001"
	userB    = "13900000002"
	userC    = "13700000003"
)

func testConfig() Config {
	return Config{
		PortalNumber: portal,
		ExemptSPs:    []string{exemptAcc},
		ExemptServices: []ExemptService{
			{ServiceCode: "FREE"},          // free for every SP
			{SP: spA, ServiceCode: "HELP"}, // free for sp-a only
		},
	}
}

// fakeClock is the injectable clock: tests advance it instead of
// sleeping. It starts at the wall clock so Store TTLs (judged by Badger on
// the wall clock) agree with the engine's.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().Truncate(time.Second).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// harness is one engine under test plus the ids its steps capture.
type harness struct {
	t     *testing.T
	e     *Engine
	st    Store
	clock *fakeClock
	vars  map[string]string
}

func newHarness(t *testing.T, cfg Config, opts ...Option) *harness {
	t.Helper()
	clock := newFakeClock()
	st := NewMemStore(clock.Now)
	opts = append([]Option{WithClock(clock.Now), WithLogger(quietLogger())}, opts...)
	e, err := Open(cfg, st, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return &harness{t: t, e: e, st: st, clock: clock, vars: map[string]string{}}
}

var varRE = regexp.MustCompile(`\$[A-Za-z0-9]+`)

// expand replaces $name with a captured id.
func (h *harness) expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return varRE.ReplaceAllStringFunc(s, func(v string) string {
		val, ok := h.vars[v[1:]]
		if !ok {
			h.t.Fatalf("unresolved variable %s (have %v)", v, h.vars)
		}
		return val
	})
}

// step is one action of a flow, named after the behaviour it checks.
type step struct {
	name string
	run  func(h *harness)
}

func runFlow(t *testing.T, h *harness, steps []step) {
	t.Helper()
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			h.t = t
			s.run(h)
		})
		if !ok {
			t.FailNow() // later steps depend on this one
		}
	}
}

// mt describes an MT Submit; link and dests may use $vars.
type mt struct {
	sp, svc, link string
	dests         []string
}

func (h *harness) mt(m mt) *MT {
	v := &MT{SP: m.sp, SPNumber: []byte(spANumber), ServiceCode: []byte(m.svc), LinkID: []byte(h.expand(m.link))}
	for _, d := range m.dests {
		v.Dests = append(v.Dests, []byte(h.expand(d)))
	}
	return v
}

func allow(r reason.Reason, f Flow) Decision { return Decision{Allow: true, Reason: r, Flow: f} }
func deny(r reason.Reason, f Flow) Decision  { return Decision{Reason: r, Flow: f} }
func denyAt(r reason.Reason, f Flow, i int) Decision {
	return Decision{Reason: r, Flow: f, Recipient: i}
}

func submit(name string, m mt, want Decision) step {
	return step{name, func(h *harness) {
		if got := h.e.Authorize(h.mt(m)); got != want {
			h.t.Errorf("Authorize(%+v) = %+v, want %+v", m, got, want)
		}
	}}
}

// mo describes an MO Deliver.
type mo struct {
	user, spNumber, sp, svc, text, link string
	max                                 int
}

// wantMO: link "" = none, "new:NAME" = a fresh LinkID captured as $NAME,
// anything else literal. notiLink captures the NotiSP LinkID.
type wantMO struct {
	kind      MOKind
	forward   bool
	link      string
	noti      *NotiSP // LinkID field ignored
	notiLink  string
	cancelled int
}

func deliver(name string, m mo, want wantMO) step {
	return step{name, func(h *harness) {
		in := &MO{User: []byte(m.user), SPNumber: []byte(h.expand(m.spNumber)), SP: m.sp,
			ServiceCode: []byte(m.svc), Text: m.text, LinkID: []byte(m.link), LinkIDMax: m.max}
		got := h.e.OnMO(in)
		if got.Kind != want.kind || got.Forward != want.forward || got.Cancelled != want.cancelled {
			h.t.Errorf("OnMO(%+v) = %+v, want kind %v forward %v cancelled %d", m, got, want.kind, want.forward, want.cancelled)
		}
		switch {
		case strings.HasPrefix(want.link, "new:"):
			if got.LinkID == "" || got.LinkID == m.link {
				h.t.Errorf("OnMO LinkID = %q, want a fresh one", got.LinkID)
			}
			h.vars[strings.TrimPrefix(want.link, "new:")] = got.LinkID
		case got.LinkID != want.link:
			h.t.Errorf("OnMO LinkID = %q, want %q", got.LinkID, want.link)
		}
		if (got.NotiSP != nil) != (want.noti != nil) {
			h.t.Fatalf("OnMO NotiSP = %+v, want %+v", got.NotiSP, want.noti)
		}
		if want.noti != nil {
			n := *got.NotiSP
			if n.LinkID == "" {
				h.t.Errorf("NotiSP without LinkID")
			}
			h.vars[want.notiLink] = n.LinkID
			n.LinkID = ""
			if n != *want.noti {
				h.t.Errorf("NotiSP = %+v, want %+v", n, *want.noti)
			}
		}
	}}
}

func issueCode(name, sp, user, as string) step {
	return step{name, func(h *harness) {
		code, err := h.e.IssueWebCode(sp, user)
		if err != nil {
			h.t.Fatalf("IssueWebCode: %v", err)
		}
		if len(code) != DefaultWebCodeDigits || !allDigits([]byte(code)) {
			h.t.Errorf("code %q is not %d digits", code, DefaultWebCodeDigits)
		}
		h.vars[as] = code
		n, _ := strconv.Atoi(code)
		h.vars["other"+as] = strconv.Itoa(100000 + (n+1)%900000) // a 6-digit code that is not this one
	}}
}

func request(name string, req SubscriptionRequest, as string) step {
	return step{name, func(h *harness) {
		id, err := h.e.RequestSubscription(req)
		if err != nil {
			h.t.Fatalf("RequestSubscription: %v", err)
		}
		if len(id) != DefaultPendingIDDigits || !allDigits([]byte(id)) {
			h.t.Errorf("pending id %q is not %d digits", id, DefaultPendingIDDigits)
		}
		h.vars[as] = id
	}}
}

func advance(name string, d time.Duration) step {
	return step{name, func(h *harness) { h.clock.Advance(d) }}
}

func check(name string, f func(h *harness)) step { return step{name, f} }

func subscribeAPI(sp, user, svc string) step {
	return step{"operator API subscribes " + user + " to " + sp + "/" + svc, func(h *harness) {
		if err := h.e.Subscribe(sp, user, svc, SourceAPI); err != nil {
			h.t.Fatalf("Subscribe: %v", err)
		}
	}}
}

func times(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = step{s.name + " #" + strconv.Itoa(i+1), s.run}
	}
	return out
}

// faultStore wraps a Store; Apply fails while fail is set and can be held
// (blocked) to stall the writer.
type faultStore struct {
	Store
	fail    atomic.Bool
	applies atomic.Int64
	hold    sync.Mutex // Apply waits for it
	entered chan struct{}
}

var errInjected = errors.New("injected store failure")

func newFaultStore(st Store) *faultStore {
	return &faultStore{Store: st, entered: make(chan struct{}, 1)}
}

func (f *faultStore) Apply(b []Mutation) error {
	f.applies.Add(1)
	select {
	case f.entered <- struct{}{}:
	default:
	}
	f.hold.Lock()
	f.hold.Unlock()
	if f.fail.Load() {
		return errInjected
	}
	return f.Store.Apply(b)
}
