package authcache

import (
	"testing"

	"github.com/spsmg/spsmg/reason"
)

// TestAuthorizeReusedMT decides a run of Submits through one reused MT, as
// the proxy's event loops do, so that every decision after the first may
// come from the MT's memo of (SP, service code): a different SP, a
// different service of the same length, a policy reload and a new service
// must each be decided afresh.
func TestAuthorizeReusedMT(t *testing.T) {
	h := newHarness(t, testConfig())
	e := h.e
	if err := e.Subscribe(spA, userB, "NEWS", SourceImport); err != nil {
		t.Fatal(err)
	}
	if err := e.Subscribe(spB, userC, "NEWT", SourceImport); err != nil {
		t.Fatal(err)
	}
	mt := &MT{Dests: [][]byte{nil}}
	step := func(name, sp, svc, user string, want reason.Reason) {
		t.Helper()
		mt.SP, mt.ServiceCode, mt.Dests[0] = sp, []byte(svc), []byte(user)
		if d := e.Authorize(mt); d.Reason != want {
			t.Errorf("%s: %s %s → %s: got %v, want %v", name, sp, svc, user, d.Reason, want)
		}
	}
	step("first", spA, "NEWS", userB, reason.Subscription)
	step("same SP and service", spA, "NEWS", userB, reason.Subscription)
	step("same service, other SP", spB, "NEWS", userB, reason.NotSubscribed)
	step("other SP's own service", spB, "NEWT", userC, reason.Subscription)
	step("same length, other service", spA, "NEWT", userC, reason.NotSubscribed)
	step("padded service code", spA, "NEWS\x00\x00", userB, reason.Subscription)
	step("free for sp-a only", spA, "HELP", userC, reason.Exempt)
	step("not free for sp-b", spB, "HELP", userC, reason.NotSubscribed)
	step("unknown service", spA, "GAME", userB, reason.NotSubscribed)

	// A reload that frees GAME for sp-a makes a new names snapshot: the
	// memo of (sp-a, GAME) from the step above must not answer.
	cfg := testConfig()
	cfg.ExemptServices = append(cfg.ExemptServices, ExemptService{SP: spA, ServiceCode: "GAME"})
	if err := e.SetPolicy(cfg); err != nil {
		t.Fatal(err)
	}
	step("freed by a reload", spA, "GAME", userB, reason.Exempt)
	if err := e.SetPolicy(testConfig()); err != nil {
		t.Fatal(err)
	}
	step("no longer free", spA, "GAME", userB, reason.NotSubscribed)

	// A service first seen unknown, then subscribed (interned meanwhile).
	step("before the subscription", spA, "QUIZ", userB, reason.NotSubscribed)
	if err := e.Subscribe(spA, userB, "QUIZ", SourceImport); err != nil {
		t.Fatal(err)
	}
	step("after the subscription", spA, "QUIZ", userB, reason.Subscription)

	// A service code longer than the memo holds is looked up every time.
	long := "SERVICECODE-LONGER-THAN-16"
	step("long code, unknown", spA, long, userB, reason.NotSubscribed)
	if err := e.Subscribe(spA, userB, long, SourceImport); err != nil {
		t.Fatal(err)
	}
	step("long code, subscribed", spA, long, userB, reason.Subscription)
}

// TestAuthorizeReusedMTAllocs: the memo keeps a subscription hit free of
// allocations, through hits and misses of the memo.
func TestAuthorizeReusedMTAllocs(t *testing.T) {
	h := newHarness(t, testConfig())
	if err := h.e.Subscribe(spA, userB, "NEWS", SourceImport); err != nil {
		t.Fatal(err)
	}
	mt := &MT{SP: spA, Dests: [][]byte{[]byte(userB)}}
	news, help := []byte("NEWS"), []byte("HELP")
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		mt.ServiceCode = news
		if i%3 == 0 {
			mt.ServiceCode = help
		}
		i++
		if !h.e.Authorize(mt).Allow {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Errorf("%v allocations per decision, want 0", n)
	}
}
