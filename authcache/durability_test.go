package authcache

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/reason"
)

// durableState is what a run records and a later run checks: one record of
// every persisted kind, in the state the flows leave them.
type durableState struct {
	WebCode    string // issued to userA by spA, one use spent
	MOLink     string // MO LinkID of userB at spA, two uses spent
	NoticeLink string // Noti_SP LinkID of a confirmed request; notice sent
	PendingID  string // a request still waiting for Y
	RouteID    string
}

// recordState drives the engine through the flows and returns what it did.
func recordState(t testing.TB, e *Engine) durableState {
	var s durableState
	var err error
	fail := func(what string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	s.WebCode, err = e.IssueWebCode(spA, userA)
	fail("IssueWebCode", err)
	if d := e.Authorize(&MT{SP: spA, ServiceCode: []byte("NEWS"), LinkID: []byte(s.WebCode), Dests: [][]byte{[]byte(userA)}}); !d.Allow {
		t.Fatalf("web code MT: %+v", d)
	}
	act := e.OnMO(&MO{User: []byte(userB), SPNumber: []byte(spANumber), SP: spA, ServiceCode: []byte("JOKE"), Text: "JOKE", LinkIDMax: 8})
	s.MOLink = act.LinkID
	for range 2 {
		if d := e.Authorize(&MT{SP: spA, ServiceCode: []byte("JOKE"), LinkID: []byte(s.MOLink), Dests: [][]byte{[]byte(userB)}}); !d.Allow {
			t.Fatalf("MO LinkID MT: %+v", d)
		}
	}
	id, err := e.RequestSubscription(SubscriptionRequest{SP: spA, SPNumber: spANumber, ServiceCode: "MUSIC", User: userA, Text: "DZ"})
	fail("RequestSubscription", err)
	act = e.OnMO(&MO{User: []byte(userA), SPNumber: []byte(portal + id), Text: "Y"})
	if act.NotiSP == nil {
		t.Fatalf("Y: %+v", act)
	}
	s.NoticeLink = act.NotiSP.LinkID
	if d := e.Authorize(&MT{SP: spA, ServiceCode: []byte("DZTZ"), LinkID: []byte(s.NoticeLink), Dests: [][]byte{[]byte(userA)}}); !d.Allow {
		t.Fatalf("notice: %+v", d)
	}
	fail("Subscribe", e.Subscribe(spB, userC, "NEWS", SourceImport))
	if _, err := e.Unsubscribe(spB, userC, "NEWS"); err != nil {
		t.Fatal(err)
	}
	s.PendingID, err = e.RequestSubscription(SubscriptionRequest{SP: spB, SPNumber: spBNumber, ServiceCode: "GAME", User: userB, Text: "DZ GAME"})
	fail("RequestSubscription", err)
	// A relation a carrier paused, with the version of that push.
	for _, c := range []SyncChange{
		{SP: spA, User: userC, ServiceCode: "NEWS", Op: SyncSubscribe, Version: syncT0},
		{SP: spA, User: userC, ServiceCode: "NEWS", Op: SyncPause, Version: syncT0 + 1000},
	} {
		if r, err := e.ApplySync(c); err != nil || r != SyncApplied {
			t.Fatalf("ApplySync(%+v) = %v, %v", c, r, err)
		}
	}
	s.RouteID = "ROUTE-0001"
	o, _ := MakeOrigin([]byte("seq-000000001"))
	e.PutRoute([]byte(s.RouteID), Route{SP: spB, Origin: o})
	return s
}

// checkState checks, on a reopened engine, that every recorded change is
// there and decides as before.
func checkState(t *testing.T, e *Engine, s durableState) {
	t.Helper()
	dec := func(sp, svc, link, dest string) Decision {
		return e.Authorize(&MT{SP: sp, ServiceCode: []byte(svc), LinkID: []byte(link), Dests: [][]byte{[]byte(dest)}})
	}
	if d := dec(spA, "MUSIC", "", userA); d.Reason != reason.Subscription {
		t.Errorf("subscription recorded by the DZTZ notice: %+v", d)
	}
	if d := dec(spB, "NEWS", "", userC); d.Reason != reason.NotSubscribed {
		t.Errorf("cancelled subscription: %+v", d)
	}
	if subs := e.Subscriptions(spB, userC); len(subs) != 1 || subs[0].State != SubCancelled || subs[0].Source != SourceImport {
		t.Errorf("cancelled subscription listing: %+v", subs)
	}
	if d := dec(spA, "JOKE", s.MOLink, userA); d.Reason != reason.LinkIDWrongUser {
		t.Errorf("MO LinkID keeps its user: %+v", d)
	}
	if d := dec(spA, "NEWS", s.MOLink, userB); d.Reason != reason.LinkIDWrongService {
		t.Errorf("MO LinkID keeps its service: %+v", d)
	}
	// 5 uses, 2 spent before the restart: exactly 3 left.
	for i := range 3 {
		if d := dec(spA, "JOKE", s.MOLink, userB); d.Reason != reason.MOLinkID {
			t.Errorf("MO LinkID use %d after reopen: %+v", i+3, d)
		}
	}
	if d := dec(spA, "JOKE", s.MOLink, userB); d.Reason != reason.LinkIDUsedUp {
		t.Errorf("MO LinkID sixth use: %+v", d)
	}
	for i := range 4 {
		if d := dec(spA, "X", s.WebCode, userA); d.Reason != reason.WebLinkID {
			t.Errorf("web code use %d after reopen: %+v", i+2, d)
		}
	}
	if d := dec(spA, "X", s.WebCode, userA); d.Reason != reason.LinkIDUsedUp {
		t.Errorf("web code sixth use: %+v", d)
	}
	if d := dec(spA, "DZTZ", s.NoticeLink, userA); d.Reason != reason.SubscriptionNotice {
		t.Errorf("notice LinkID: %+v", d)
	}
	if r, ok := e.Route([]byte(s.RouteID)); !ok || r.SP != spB || string(r.Origin.Bytes()) != "seq-000000001" {
		t.Errorf("Route = %+v, %v", r, ok)
	}
	act := e.OnMO(&MO{User: []byte(userB), SPNumber: []byte(portal + s.PendingID), Text: "y"})
	if act.Kind != MOConfirmYes || act.NotiSP == nil || act.NotiSP.SP != spB || act.NotiSP.ServiceCode != "GAME" || act.NotiSP.Text != "DZ GAME" {
		t.Errorf("pending request after reopen: %+v", act)
	}
	if d := dec(spA, "NEWS", "", userC); d.Reason != reason.SubscriptionPaused {
		t.Errorf("paused relation after reopen: %+v", d)
	}
	// The version survived: a replay of the subscribe before the pause is
	// still stale, and leaves the relation paused.
	if r, err := e.ApplySync(SyncChange{SP: spA, User: userC, ServiceCode: "NEWS", Op: SyncSubscribe, Version: syncT0}); err != nil || r != SyncStale {
		t.Errorf("replayed subscribe after reopen = %v, %v; want stale", r, err)
	}
	if d := dec(spA, "NEWS", "", userC); d.Reason != reason.SubscriptionPaused {
		t.Errorf("paused relation after a stale replay: %+v", d)
	}
	if s := e.Stats(); s.Corrupt != 0 || s.PausedSubscriptions != 1 {
		t.Errorf("Corrupt = %d, PausedSubscriptions = %d", s.Corrupt, s.PausedSubscriptions)
	}
}

func openBadgerEngine(t testing.TB, dir string) *Engine {
	t.Helper()
	st, err := OpenBadger(dir, BadgerOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(testConfig(), st, WithLogger(quietLogger()))
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return e
}

// TestRestart: Close flushes the writer; a reopened engine decides exactly
// as before.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	e := openBadgerEngine(t, dir)
	s := recordState(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openBadgerEngine(t, dir)
	defer e.Close()
	checkState(t, e, s)
}

const helperEnv = "AUTHCACHE_HELPER_DIR"

// TestHelperProcess is the child of TestKill9: it records state in Badger,
// waits until the writer has committed it (durable enqueue callback),
// reports that on stdout, and blocks until it is killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	e := openBadgerEngine(t, dir)
	s := recordState(t, e)
	acked := make(chan error, 1)
	// A barrier: called once every mutation queued above is committed.
	if err := e.Persist(func(err error) { acked <- err }, Mutation{Key: []byte("ob/kill9"), Value: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	if err := <-acked; err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	fmt.Printf("ACK %s\n", b)
	os.Stdout.Sync()
	select {} // SIGKILL ends us; no Close, no flush
}

// TestKill9: a process killed without Close loses nothing it acknowledged.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ACK ") {
				lines <- sc.Text()
				return
			}
		}
		close(lines)
	}()
	var line string
	select {
	case l, ok := <-lines:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("child exited without acknowledging")
		}
		line = l
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child did not acknowledge within 30 s")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()

	var s durableState
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "ACK ")), &s); err != nil {
		t.Fatal(err)
	}
	e := openBadgerEngine(t, dir)
	defer e.Close()
	if v, err := e.Store().Get([]byte("ob/kill9")); err != nil || string(v) != "ok" {
		t.Errorf("acknowledged outbox record: %q, %v", v, err)
	}
	checkState(t, e, s)
}
