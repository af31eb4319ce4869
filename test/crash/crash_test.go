// Package crash proves that a kill -9 loses nothing that was acknowledged
// (docs/product.md §4): spsmg runs as a real child process on a Badger
// directory, SPs and the simulated SMG load it, it is killed with SIGKILL
// mid-load and started again on the same directory, and then the two
// sides' records are compared.
//
//	sp.Client ×2 ──Submit (tagged text)──▶ spsmg (child) ──▶ smg.Server (OnSubmit: what arrived)
//	ledger ◀── Submit_Resp, MO, reports ──  spsmg  ◀── InjectMO, reports (resent until acknowledged)
//
// Delivery semantics it documents: MT is at-least-once (an SP that resends
// a Submit whose answer the crash swallowed may duplicate it; the
// protocols carry no idempotency key and spsmg does not deduplicate), MO
// and reports are at-least-once (an SP whose acknowledgement died with the
// process gets the delivery again).
package crash

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// Users of the crash world, each with one role.
const (
	userSub     = "13800138001" // subscribed to NEWS before the crash (web subscription flow)
	userLink    = "13800138002" // sent an MO before the crash: its LinkID is used after
	userPending = "13800138003" // web subscription requested before the crash, confirmed after
	userMO      = "13800138004" // the MO load
)

func TestCrashWithoutLoss(t *testing.T) {
	bin := testenv.BuildSpsmg(t)
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34} {
		t.Run(p.String(), func(t *testing.T) { runCrash(t, bin, p) })
	}
}

// mtRecord is what the SP knows about one MT.
type mtRecord struct {
	mt      sp.MT
	spID    string // SP-side identity a report will quote: CMPP/SMGP msg id (on success), SGIP Submit sequence
	acked   bool   // answered with success at least once
	retries int    // times it was sent again (no answer, or a retryable one)
}

// ledger is the SP side's record of everything, and the SMG's receptions.
type ledger struct {
	mu       sync.Mutex
	mts      map[string]*mtRecord // by text tag
	retry    map[string]bool      // no answer or a retryable one: resend
	refused  map[string]uint32    // non-retryable refusals: none expected
	timeouts int                  // Submits the SP got no answer to at all (silence)
	inflight int
	mo       map[string]int // MO text → deliveries to the SP
	moOrder  []string
	reports  map[string]int // report id (hex) → deliveries to the SP
	spIDs    map[string]string
	special  chan sp.Delivery
	smgGot   map[string]int    // text → Submits the SMG received
	smgIDs   map[string]string // SMG-assigned id (hex) → text
	smgPhase map[string]int    // SMG-assigned id (hex) → phase it arrived in
	phase    int               // 1 before the kill, 2 after

	idReuseSameRun, idReuseAcross int // identities the SMG saw on two messages
	idReuseSample                 []string
	retryable                     map[uint32]bool
}

func newLedger() *ledger {
	return &ledger{mts: map[string]*mtRecord{}, retry: map[string]bool{}, refused: map[string]uint32{},
		mo: map[string]int{}, reports: map[string]int{}, spIDs: map[string]string{},
		special: make(chan sp.Delivery, 64), smgGot: map[string]int{}, smgIDs: map[string]string{},
		smgPhase: map[string]int{}, phase: 1}
}

func (l *ledger) onSMGSubmit(si smg.SubmitInfo) {
	if !strings.HasPrefix(si.Text, "m") {
		return
	}
	id := hex.EncodeToString(si.MsgID)
	l.mu.Lock()
	l.smgGot[si.Text]++
	if prev, ok := l.smgIDs[id]; ok && prev != si.Text {
		// The SMG got two messages with one identity (SGIP: the
		// Submit's sequence). Reports then cannot tell them apart.
		if l.smgPhase[id] == l.phase {
			l.idReuseSameRun++
		} else {
			l.idReuseAcross++
		}
		if len(l.idReuseSample) < 4 {
			l.idReuseSample = append(l.idReuseSample, fmt.Sprintf("%s: %s and %s", id, prev, si.Text))
		}
	}
	l.smgIDs[id] = si.Text
	l.smgPhase[id] = l.phase
	l.mu.Unlock()
}

func (l *ledger) onDelivery(d sp.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case d.IsReport:
		l.reports[hex.EncodeToString(d.ReportMsgID)]++
	case strings.HasPrefix(d.Text, "mo"):
		l.mo[d.Text]++
		l.moOrder = append(l.moOrder, d.Text)
	default:
		select {
		case l.special <- d:
		default:
		}
	}
}

// recordDeliveries drains ch into the ledger until it closes or stop.
func (l *ledger) recordDeliveries(ch <-chan sp.Delivery, stop <-chan struct{}) {
	for {
		select {
		case d, ok := <-ch:
			if !ok {
				return
			}
			l.onDelivery(d)
		case <-stop:
			return
		}
	}
}

// submit sends one tagged MT asynchronously and records its fate.
func (l *ledger) submit(ctx context.Context, c *sp.Client, text string, mt sp.MT) error {
	l.mu.Lock()
	rec := l.mts[text]
	if rec == nil {
		rec = &mtRecord{mt: mt}
		l.mts[text] = rec
	} else {
		rec.retries++
	}
	delete(l.retry, text)
	l.inflight++
	l.mu.Unlock()
	err := c.SubmitAsync(ctx, mt, func(r sp.SubmitResult, err error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.inflight--
		if len(r.MsgID) > 0 {
			id := hex.EncodeToString(r.MsgID)
			l.spIDs[id] = text
			if rec.spID == "" || err == nil && r.Result == 0 {
				rec.spID = id
			}
		}
		switch {
		case err != nil:
			if strings.Contains(err.Error(), "timeout") {
				l.timeouts++
			}
			if !rec.acked {
				l.retry[text] = true
			}
		case r.Result == 0:
			rec.acked = true
			delete(l.retry, text)
		case l.retryable[r.Result]:
			if !rec.acked {
				l.retry[text] = true
			}
		default:
			l.refused[text] = r.Result
		}
	})
	if err != nil {
		l.mu.Lock()
		l.inflight--
		if !rec.acked {
			l.retry[text] = true
		}
		l.mu.Unlock()
	}
	return err
}

type crashRun struct {
	t      *testing.T
	p      codec.Protocol
	w      *testenv.World
	l      *ledger
	stop   chan struct{} // ends the delivery recorders
	wg     sync.WaitGroup
	moNext int
	moMu   sync.Mutex
}

func (r *crashRun) num(u string) string { return testenv.Number(r.p, u) }

// dial logs an SP connection in and records its deliveries.
func (r *crashRun) dial(i int) *sp.Client {
	r.t.Helper()
	cc := r.w.ClientConfig()
	cc.Window = 16
	cc.SGIPNodeID = 3000000100 + uint32(i) // one identity space per connection
	c := testenv.DialEventually(r.t, "an SP logs in", cc)
	r.wg.Add(1)
	go func() { defer r.wg.Done(); r.l.recordDeliveries(c.Deliveries(), r.stop) }()
	return c
}

// special waits for a delivery that is not part of the MO load (Noti_SP,
// the LinkID MO) matching want.
func (r *crashRun) special(what string, want func(sp.Delivery) bool) sp.Delivery {
	r.t.Helper()
	deadline := time.After(testenv.Wait)
	for {
		select {
		case d := <-r.l.special:
			if want(d) {
				return d
			}
			r.t.Logf("unexpected delivery while waiting for %s: %+v", what, d)
		case <-deadline:
			r.t.Fatalf("no %s reached the SP", what)
		}
	}
}

// load sends tagged MTs on c until ctx ends.
func (r *crashRun) load(ctx context.Context, c *sp.Client, phase, conn int) {
	for n := 0; ctx.Err() == nil; n++ {
		text := fmt.Sprintf("m%d-%d-%d", phase, conn, n)
		mt := sp.MT{SPNumber: testenv.Access, Users: []string{r.num(userSub)}, ServiceCode: "FREE", Text: text, NeedReport: n%3 == 0}
		if n%2 == 0 {
			mt.ServiceCode = "NEWS" // passes only while the subscription made before the crash holds
		}
		if err := r.l.submit(ctx, c, text, mt); err != nil {
			return // connection gone (the kill) or ctx done
		}
	}
}

// injectMO sends one tagged MO from the simulated SMG.
func (r *crashRun) injectMO() error {
	r.moMu.Lock()
	text := fmt.Sprintf("mo%d", r.moNext)
	r.moNext++
	r.moMu.Unlock()
	return r.w.SMG.InjectMO(smg.MO{User: r.num(userMO), SPNumber: testenv.Access + "1", Text: text})
}

func (r *crashRun) counts() (acked, moDelivered int) {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	for _, m := range r.l.mts {
		if m.acked {
			acked++
		}
	}
	return acked, len(r.l.mo)
}

func runCrash(t *testing.T, bin string, p codec.Protocol) {
	r := &crashRun{t: t, p: p, stop: make(chan struct{})}
	l := newLedger()
	w := testenv.NewWorld(t, testenv.Options{Proto: p,
		Upstream: map[string]string{"response_timeout": "3s"},
		SMG: func(c *smg.Config) {
			c.OnSubmit = func(si smg.SubmitInfo) { l.onSMGSubmit(si) }
			c.ReportDelay = 150 * time.Millisecond // reports of the last MTs arrive after the restart
			c.ResendTimeout = 500 * time.Millisecond
		}})
	l.retryable = testenv.RetryableResults(w.Cfg, p) // before any Submit: read by the SP side only
	r.w, r.l = w, l
	defer func() { close(r.stop); r.wg.Wait() }()
	if w.Receiver != nil {
		r.wg.Add(1)
		go func() { defer r.wg.Done(); l.recordDeliveries(w.Receiver.Deliveries(), r.stop) }()
	}
	child := w.StartChild(bin)

	// State that must survive: a subscription, an MO LinkID, a pending
	// subscription request.
	c1 := r.dial(1)
	sub, err := w.RequestSubscription(userSub, "NEWS")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SMG.InjectMO(smg.MO{User: r.num(userSub), SPNumber: sub.SentFrom, Text: "Y"}); err != nil {
		t.Fatal(err)
	}
	noti := r.special("Noti_SP for NEWS", func(d sp.Delivery) bool { return d.Text == "DZNEWS" && d.LinkID != "" })
	if res := testenv.MustSubmit(r.t, c1, sp.MT{Users: []string{r.num(userSub)}, ServiceCode: "DZTZ", LinkID: noti.LinkID}); res != 0 {
		t.Fatalf("subscription notice refused with %d", res)
	}
	if res := testenv.MustSubmit(r.t, c1, sp.MT{Users: []string{r.num(userSub)}, ServiceCode: "NEWS"}); res != 0 {
		t.Fatalf("MT to the subscribed user refused with %d", res)
	}
	if err := w.SMG.InjectMO(smg.MO{User: r.num(userLink), SPNumber: testenv.Access + "9", Text: "HELP"}); err != nil {
		t.Fatal(err)
	}
	linkMO := r.special("the HELP MO", func(d sp.Delivery) bool { return d.Text == "HELP" && d.LinkID != "" })
	pending, err := w.RequestSubscription(userPending, "HELP")
	if err != nil {
		t.Fatal(err)
	}

	// Phase 1: load, then kill -9 in the middle of it.
	c2 := r.dial(2)
	moStop := make(chan struct{})
	moDone := make(chan struct{})
	go func() {
		defer close(moDone)
		tick := time.NewTicker(4 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-moStop:
				return
			case <-tick.C:
				_ = r.injectMO()
			}
		}
	}()
	ctx1, cancel1 := context.WithCancel(context.Background())
	var senders sync.WaitGroup
	for i, c := range []*sp.Client{c1, c2} {
		senders.Add(1)
		go func() { defer senders.Done(); r.load(ctx1, c, 1, i) }()
	}
	start := time.Now()
	testenv.Poll(30*time.Second, func() bool {
		acked, mo := r.counts()
		return time.Since(start) > 1500*time.Millisecond && acked >= 300 && mo >= 50
	})
	child.Kill()
	l.mu.Lock()
	l.phase = 2
	l.mu.Unlock()
	smgAtKill := w.SMG.Stats()
	ackedAtKill, moAtKill := r.counts()
	cancel1()
	senders.Wait()
	testenv.Eventually(t, testenv.Wait, "the SP connections notice the kill", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.inflight == 0
	})
	l.mu.Lock()
	unanswered := len(l.retry)
	l.mu.Unlock()

	// Restart on the same directory; the SPs reconnect, resend what was
	// not acknowledged, and load on.
	killedAt := time.Now()
	child.Start()
	downtime := time.Since(killedAt)
	w.WaitBinds()
	c3, c4 := r.dial(3), r.dial(4)
	ctx2, cancel2 := context.WithCancel(context.Background())
	resend := func(c *sp.Client) {
		l.mu.Lock()
		var texts []string
		for text := range l.retry {
			texts = append(texts, text)
		}
		l.mu.Unlock()
		sort.Strings(texts)
		for _, text := range texts {
			l.mu.Lock()
			mt := l.mts[text].mt
			l.mu.Unlock()
			if err := l.submit(context.Background(), c, text, mt); err != nil {
				t.Fatalf("resend %s: %v", text, err)
			}
		}
	}
	resend(c3)
	for i, c := range []*sp.Client{c3, c4} {
		senders.Add(1)
		go func() { defer senders.Done(); r.load(ctx2, c, 2, i) }()
	}
	start = time.Now()
	testenv.Poll(30*time.Second, func() bool {
		acked, _ := r.counts()
		return time.Since(start) > time.Second && acked >= ackedAtKill+300
	})
	cancel2()
	senders.Wait()
	close(moStop)
	<-moDone
	answered := func() {
		testenv.Eventually(t, testenv.Wait, "every Submit is answered", func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.inflight == 0
		})
	}
	for round := 0; round < 3; round++ {
		answered()
		resend(c4)
	}
	answered()

	// The state made before the crash.
	if res := testenv.MustSubmit(r.t, c3, sp.MT{Users: []string{r.num(userSub)}, ServiceCode: "NEWS"}); res != 0 {
		t.Errorf("after the restart, MT to the subscribed user: result %d (subscription lost?)", res)
	}
	if res := testenv.MustSubmit(r.t, c3, sp.MT{Users: []string{r.num(userLink)}, ServiceCode: "HELP", LinkID: linkMO.LinkID}); res != 0 {
		t.Errorf("after the restart, MT with the MO's LinkID %q: result %d (LinkID lost?)", linkMO.LinkID, res)
	}
	if err := w.SMG.InjectMO(smg.MO{User: r.num(userPending), SPNumber: pending.SentFrom, Text: "Y"}); err != nil {
		t.Fatal(err)
	}
	r.special("Noti_SP for the subscription requested before the crash", func(d sp.Delivery) bool { return d.Text == "DZHELP" && d.LinkID != "" })

	// Quiesce: the SMG has nothing unacknowledged, and the SP got what it
	// is owed (or the deadline passes and the checks below say what is
	// missing).
	r.moMu.Lock()
	injected := r.moNext
	r.moMu.Unlock()
	missing := func() (mt, mo, rep []string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for text, m := range l.mts {
			if m.acked && l.smgGot[text] == 0 {
				mt = append(mt, text)
			}
			if m.acked && m.mt.NeedReport && l.reports[m.spID] == 0 {
				rep = append(rep, text)
			}
		}
		for i := 0; i < injected; i++ {
			if text := fmt.Sprintf("mo%d", i); l.mo[text] == 0 {
				mo = append(mo, text)
			}
		}
		sort.Strings(mt)
		sort.Strings(mo)
		sort.Strings(rep)
		return
	}
	// Done when nothing is missing, or when nothing moves any more: the SMG
	// has nothing unacknowledged, spsmg has no backlog, and the SP's
	// deliveries did not grow for a second.
	lastCount, lastChange := -1, time.Now()
	testenv.Poll(30*time.Second, func() bool {
		mt, mo, rep := missing()
		if len(mt)+len(mo)+len(rep) == 0 && w.SMG.Stats().Pending == 0 {
			return true
		}
		l.mu.Lock()
		n := len(l.mo) + len(l.reports)
		l.mu.Unlock()
		if n != lastCount {
			lastCount, lastChange = n, time.Now()
			return false
		}
		m, err := w.Metrics()
		return err == nil && w.SMG.Stats().Pending == 0 && m.Sum("spsmg_deliveries_waiting") == 0 &&
			time.Since(lastChange) > time.Second
	})
	smgEnd := w.SMG.Stats()
	m := w.MustMetrics()
	lostMT, lostMO, lostRep := missing()

	l.mu.Lock()
	var acked, dups, dupAcked, spMismatch, received int
	for text, rec := range l.mts {
		n := l.smgGot[text]
		if n > 0 {
			received++
		}
		if n > 1 {
			dups++
		}
		if !rec.acked {
			continue
		}
		acked++
		if n > 1 {
			dupAcked++
		}
		if p != codec.SGIP && l.smgIDs[rec.spID] != text {
			spMismatch++ // the id the SP got names another message (or none)
		}
	}
	var reportsWanted, bogusReports, reportDups int
	for _, rec := range l.mts {
		if rec.acked && rec.mt.NeedReport {
			reportsWanted++
		}
	}
	for id, n := range l.reports {
		if n > 1 {
			reportDups++
		}
		known := l.spIDs[id] != ""
		if p != codec.SGIP {
			known = l.smgIDs[id] != ""
		}
		if !known {
			bogusReports++
		}
	}
	moDups := 0
	for _, n := range l.mo {
		if n > 1 {
			moDups++
		}
	}
	refused := len(l.refused)
	var refusedSample []string
	for text, res := range l.refused {
		if len(refusedSample) < 5 {
			refusedSample = append(refusedSample, fmt.Sprintf("%s=%d", text, res))
		}
	}
	timeouts := l.timeouts
	moDelivered := len(l.mo)
	l.mu.Unlock()

	t.Logf("%s crash: downtime %v (restart to ready)", p, downtime.Round(time.Millisecond))
	t.Logf("%s MT: %d tagged Submits, %d acknowledged to the SP (%d before the kill), %d received by the SMG; "+
		"lost %d; SMG duplicates %d (%d of acknowledged MTs); %d unanswered at the kill were resent; refused %d; SP timeouts %d",
		p, len(l.mts), acked, ackedAtKill, received, len(lostMT), dups, dupAcked, unanswered, refused, timeouts)
	t.Logf("%s MO: %d injected, %d acknowledged by spsmg at the kill (%d delivered to the SP by then), %d delivered in the end, "+
		"lost %d, delivered twice %d; SMG MO acked %d, resent %d",
		p, injected, smgAtKill.MOAcked, moAtKill, moDelivered, len(lostMO), moDups, smgEnd.MOAcked, smgEnd.MOResent)
	t.Logf("%s reports: %d wanted for acknowledged MTs, missing %d, delivered twice %d, naming no known MT %d; "+
		"SMG reports sent %d acked %d resent %d at kill acked %d; spsmg unroutable reports after restart %v",
		p, reportsWanted, len(lostRep), reportDups, bogusReports, smgEnd.ReportsSent, smgEnd.ReportsAcked,
		smgEnd.ReportsResent, smgAtKill.ReportsAcked, m.Get("spsmg_events_total", "event", "unroutable_report"))

	bugs := testenv.NewBugs(t)
	defer bugs.Done()
	if len(lostMT) > 0 {
		t.Errorf("%d MTs acknowledged to the SP never reached the SMG: %v", len(lostMT), head(lostMT))
	}
	if len(lostMO) > 0 {
		t.Errorf("%d MOs never reached the SP (SMG pending %d): %v", len(lostMO), smgEnd.Pending, head(lostMO))
	}
	if refused > 0 {
		t.Errorf("%d Submits refused with a non-retryable result (subscription lost?): %v", refused, refusedSample)
	}
	if timeouts > 0 {
		t.Errorf("%d Submits got no answer at all before the SP's timeout", timeouts)
	}
	if spMismatch > 0 {
		t.Errorf("%d acknowledged MTs carry a message id the SMG did not give them", spMismatch)
	}
	if smgEnd.Pending != 0 {
		t.Errorf("the SMG still has %d deliveries unacknowledged", smgEnd.Pending)
	}
	if len(lostRep) > 0 {
		bugs.Report("report-route-not-durable",
			"%d of %d status reports of MTs acknowledged to the SP never reached it (%v); spsmg counted %v unroutable reports after the restart: "+
				"the MsgID→SP route is written behind (PutRoute queues it) while the Submit_Resp goes to the SP at once, so a kill -9 "+
				"between the two loses the route and the report is acknowledged to the SMG as unroutable",
			len(lostRep), reportsWanted, head(lostRep), m.Get("spsmg_events_total", "event", "unroutable_report"))
	}
	if u := m.Get("spsmg_events_total", "event", "unroutable_report"); u != 0 {
		// Every report the SMG sends names a Submit spsmg forwarded in this
		// test, so each has a route (SGIP) or an SP number (CMPP, SMGP).
		bugs.Report("report-unroutable-after-restart",
			"spsmg acknowledged %v reports as unroutable: their routes were not durable when the SMG answered the Submits", u)
	}
	if bogusReports > 0 {
		bugs.Report("report-misrouted", "%d reports delivered to the SP name no message it sent (SGIP: sequences reused)", bogusReports)
	}
	if l.idReuseSameRun+l.idReuseAcross > 0 {
		bugs.Report("sgip-sequence-reuse",
			"the SMG received %d pairs of different MTs under one message identity within one spsmg run and %d across the restart "+
				"(e.g. %v): spsmg numbers the Submits it forwards per bind from 1 with the same node id and second, so two binds, "+
				"or a restart within the same second, reuse SGIP sequences; reports are routed by that sequence",
			l.idReuseSameRun, l.idReuseAcross, l.idReuseSample)
	}
	if found := testenv.FindSecrets(child.Logs(), testenv.Secrets...); len(found) > 0 {
		t.Errorf("spsmg logged credentials: %v", found)
	}
}

func head(s []string) []string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
