package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
)

// Wait is the default deadline for anything a test waits for. It is far
// above what an idle machine needs: the tests run next to benchmarks.
const Wait = 20 * time.Second

// Names and secrets of the test world. The secrets are distinctive so that
// a test can search the gateway's logs for them (credentials are never
// logged). SMPP passwords hold 8 characters: the SMG's and the SPs' fit.
const (
	SMGLogin      = "901234"
	SMGSecret     = "smgS55aa" // upstream.secret
	InboundLogin  = "smgin"
	InboundSecret = "inSecret-8b2c" // upstream.inbound.secret (SGIP type-2 binds)
	ReceiverLogin = "gw"
	ReceiverPW    = "rxSecret-41d0" // accounts[].receiver.secret (spsmg → SGIP SP)
	APIKey        = "sp1-app"
	APISecret     = "apiSecret-3f9e"
	Portal        = "10655000"
	Access        = "10655123"
	User          = "13800138000"
)

// Account is an SP account of the test world.
type Account struct {
	ID, Login, Secret string
}

// SP1 is the account the tests log in as, SP2 a second one (used by
// lock-out tests). Their logins fit every protocol's login field (CMPP
// Source_Addr is 6 characters, SMGP ClientID 8, SGIP Login Name 16).
var (
	SP1 = Account{"sp1", "900001", "sp1S7d1c"}
	SP2 = Account{"sp2", "900002", "sp2S90ab"}
)

// Secrets are every secret of the test world's configuration.
var Secrets = []string{SMGSecret, InboundSecret, ReceiverPW, APISecret, "sp1S7d1c", "sp2S90ab"}

// SMPPLinkIDTag is the vendor TLV the SMPP worlds carry LinkIDs in
// (upstream.smpp.linkid_tag), so that the LinkID flows run for SMPP too.
const SMPPLinkIDTag = 0x1401

// Dialect is protocol p as the test worlds configure it: SMPP with its
// LinkID in SMPPLinkIDTag, the others as they are.
func Dialect(p codec.Protocol) codec.Dialect {
	var o dialect.Options
	if p.Family() == codec.FamilySMPP {
		o.SMPPLinkIDTag = SMPPLinkIDTag
	}
	d, err := dialect.With(p, o)
	if err != nil {
		panic(fmt.Sprintf("testenv: %v", err))
	}
	return d
}

// Number is how protocol p writes a user's number (SGIP carries 86).
func Number(p codec.Protocol, n string) string { return dialect.For(p).UserNumber(n) }

// Eventually polls cond until it holds or timeout passes, then fails the
// test naming what it waited for. The poll interval only bounds CPU use.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting until %s", timeout, what)
	}
}

// Poll is Eventually without the test: it reports whether cond came true.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
	return true
}

// Clock is a clock that stands still until Advance: the gateway's log
// limiter runs on one (Options.LogClock), so that a test refills its budget
// at once instead of waiting for it. Safe from any goroutine.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Heavy reports whether the full-size variants run (SPSMG_HEAVY=1): 10,000
// idle connections, longer loads. The default run covers every case at a
// smaller size.
func Heavy() bool { return os.Getenv("SPSMG_HEAVY") == "1" }

// Bugs names the failures of the promises these suites check (message
// lost, sequence reused, log flood, …): each is a test failure with its
// id and evidence. The suites found seven such bugs in the proxy; they are
// fixed, and the checks stay as regression tests.
// Use: b := testenv.NewBugs(t); defer b.Done(); … b.Report(id, format, …).
type Bugs struct {
	t testing.TB
}

// NewBugs starts a bug list for t.
func NewBugs(t testing.TB) *Bugs { return &Bugs{t: t} }

// Report fails the test with one bug and its evidence.
func (b *Bugs) Report(id, format string, args ...any) {
	b.t.Helper()
	b.t.Errorf("bug %s: %s", id, fmt.Sprintf(format, args...))
}

// Done is kept for the callers' defer; failures are reported as they come.
func (b *Bugs) Done() {}
