package crash

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// TestSGIPReportAfterKillBetweenAnswerAndSP: the SMG answers SGIP Submits
// that ask for a report, and spsmg is killed (-9) the moment those answers
// are written to it, before it can relay them to the SP. The SMG then
// reports those MTs to the restarted spsmg, which acknowledges the
// reports; every one of them must reach the SP. (An SGIP report names the
// sequence spsmg gave the Submit; only spsmg's route maps it back to the
// SP and the SP's own sequence.)
func TestSGIPReportAfterKillBetweenAnswerAndSP(t *testing.T) {
	bin := testenv.BuildSpsmg(t)
	const n = 24
	var (
		armed    atomic.Bool
		killOnce sync.Once
		pid      atomic.Int64
		answered atomic.Int64 // Submit_Resps the SMG wrote before the kill
		mu       sync.Mutex
		smgGot   = map[string]bool{} // texts of the Submits the SMG received (and answered)
	)
	w := testenv.NewWorld(t, testenv.Options{Proto: codec.SGIP,
		Gateway: map[string]string{"event_loops": "1"},
		SMG: func(c *smg.Config) {
			c.ReportDelay = 200 * time.Millisecond // the reports come to the restarted spsmg
			c.ResendTimeout = 500 * time.Millisecond
			c.OnSubmit = func(si smg.SubmitInfo) {
				if si.NeedReport {
					mu.Lock()
					smgGot[si.Text] = true
					mu.Unlock()
				}
			}
			c.AfterSubmitResps = func(k int) {
				if armed.Load() {
					killOnce.Do(func() {
						answered.Store(int64(k))
						_ = syscall.Kill(int(pid.Load()), syscall.SIGKILL)
					})
				}
			}
		}})
	child := w.StartChild(bin)
	pid.Store(int64(child.Pid()))

	cc := w.ClientConfig()
	cc.Window = 32
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	c, err := sp.Dial(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.Submit(ctx, sp.MT{SPNumber: testenv.Access, Users: []string{testenv.Number(codec.SGIP, testenv.User)},
		ServiceCode: "FREE", Text: "warm-up"}); err != nil || r.Result != 0 {
		t.Fatalf("warm-up Submit: %+v %v", r, err)
	}

	// n Submits that ask for a report; the SMG's first answers kill spsmg.
	armed.Store(true)
	var (
		smu      sync.Mutex
		bySeq    = map[string]string{} // the SP's own Submit sequence (what its report names) → text
		spAnswer int                   // Submits the SP saw answered with success
		wg       sync.WaitGroup
	)
	for i := 0; i < n; i++ {
		text := fmt.Sprintf("w%d", i)
		wg.Add(1)
		err := c.SubmitAsync(ctx, sp.MT{SPNumber: testenv.Access, Users: []string{testenv.Number(codec.SGIP, testenv.User)},
			ServiceCode: "FREE", Text: text, NeedReport: true}, func(r sp.SubmitResult, err error) {
			defer wg.Done()
			smu.Lock()
			defer smu.Unlock()
			bySeq[hex.EncodeToString(r.SeqField)] = text
			if err == nil && r.Result == 0 {
				spAnswer++
			}
		})
		if err != nil {
			wg.Done()
			break // the kill closed the connection
		}
	}
	testenv.Eventually(t, testenv.Wait, "spsmg is killed by the SMG's answers", func() bool { return !child.Running() })
	wg.Wait()
	mu.Lock()
	want := len(smgGot)
	mu.Unlock()
	if want == 0 {
		t.Fatal("the SMG received none of the Submits before the kill")
	}

	child.Start()
	reports := map[string]int{} // text → reports the SP got
	quiet := time.Now()
	missing := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var m []string
		for text := range smgGot {
			if reports[text] == 0 {
				m = append(m, text)
			}
		}
		sort.Strings(m)
		return m
	}
	testenv.Poll(testenv.Wait, func() bool {
		for {
			select {
			case d := <-w.Receiver.Deliveries():
				if d.IsReport {
					smu.Lock()
					reports[bySeq[hex.EncodeToString(d.ReportMsgID)]]++
					smu.Unlock()
				}
				quiet = time.Now()
				continue
			default:
			}
			break
		}
		if len(missing()) == 0 {
			return true
		}
		m, err := w.Metrics()
		return err == nil && w.SMG.Stats().Pending == 0 && m.Sum("spsmg_delivery_backlog") == 0 && time.Since(quiet) > time.Second
	})
	m := w.MustMetrics()
	lost := missing()
	t.Logf("SGIP: %d Submits asking for a report reached the SMG; its first write of %d answers killed spsmg; the SP saw %d answered; "+
		"%d of their reports reached the SP after the restart; spsmg counted %v unroutable reports",
		want, answered.Load(), spAnswer, want-len(lost), m.Get("spsmg_events_total", "event", "unroutable_report"))
	if len(lost) > 0 {
		t.Errorf("%d of %d reports the SMG sent for Submits it answered never reached the SP (%v): "+
			"the SMG had the answers, spsmg died before relaying them, and after the restart it had no route for their reports",
			len(lost), want, head(lost))
	}
	if u := m.Get("spsmg_events_total", "event", "unroutable_report"); u != 0 {
		t.Errorf("spsmg acknowledged %v reports as unroutable", u)
	}
}
