package crash

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// TestSGIPReportsWithSeveralBinds: with more than one upstream bind, every
// MT the SMG receives must carry its own identity (in SGIP the Submit's
// 12-byte sequence, which reports quote), and every report must reach the
// SP naming the Submit it belongs to. Two binds on one loop, used in turn,
// make the overlap certain.
func TestSGIPReportsWithSeveralBinds(t *testing.T) {
	bugs := testenv.NewBugs(t)
	defer bugs.Done()
	var mu sync.Mutex
	seqs := map[string][]string{} // SGIP sequence the SMG saw → texts
	w := testenv.NewWorld(t, testenv.Options{Proto: codec.SGIP,
		Upstream: map[string]string{"binds_per_loop": "2"},
		Gateway:  map[string]string{"event_loops": "1"},
		SMG: func(c *smg.Config) {
			c.OnSubmit = func(si smg.SubmitInfo) {
				mu.Lock()
				seqs[hex.EncodeToString(si.MsgID)] = append(seqs[hex.EncodeToString(si.MsgID)], si.Text)
				mu.Unlock()
			}
		}})
	w.Start()
	c, err := w.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 20
	sent := map[string]string{} // SP's own sequence (what a report must name) → text
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
		text := fmt.Sprintf("r%d", i)
		r, err := c.Submit(ctx, sp.MT{SPNumber: testenv.Access, Users: []string{testenv.Number(codec.SGIP, testenv.User)},
			ServiceCode: "FREE", Text: text, NeedReport: true})
		cancel()
		if err != nil || r.Result != 0 {
			t.Fatalf("Submit %d: %+v %v", i, r, err)
		}
		sent[hex.EncodeToString(r.MsgID)] = text
	}
	// Collect reports until n arrived, or the SMG has had all n
	// acknowledged, spsmg holds none back and nothing came for a while.
	got := map[string]int{}
	quiet := time.Now()
	testenv.Poll(testenv.Wait, func() bool {
		for {
			select {
			case d := <-w.Receiver.Deliveries():
				if d.IsReport {
					got[hex.EncodeToString(d.ReportMsgID)]++
				}
				quiet = time.Now()
				continue
			default:
			}
			break
		}
		if sum(got) >= n {
			return true
		}
		m, err := w.Metrics()
		return err == nil && w.SMG.Stats().ReportsAcked >= n && m.Sum("spsmg_deliveries_waiting") == 0 &&
			time.Since(quiet) > 500*time.Millisecond
	})
	mu.Lock()
	var reused []string
	for s, texts := range seqs {
		if len(texts) > 1 {
			reused = append(reused, fmt.Sprintf("%s=%v", s, texts))
		}
	}
	mu.Unlock()
	missing, wrong := 0, 0
	for id := range sent {
		if got[id] == 0 {
			missing++
		}
	}
	for id, k := range got {
		if sent[id] == "" || k > 1 {
			wrong++
		}
	}
	t.Logf("SGIP, 2 binds on 1 loop: %d MTs, %d sequences used twice upstream, %d reports missing, %d reports naming the wrong or a repeated MT",
		n, len(reused), missing, wrong)
	if len(reused) > 0 || missing > 0 || wrong > 0 {
		bugs.Report("sgip-sequence-reuse",
			"the SMG received different MTs under one SGIP sequence (%v…); %d of %d reports never reached the SP as theirs, %d named another MT. "+
				"proxy/bind.go claim() numbers Submits per bind from 1 with makeSeq(node, loop.sgipTime, b.counter): two binds (or a restart "+
				"within the same second) produce the same 12-byte sequences, and recordRoutes keys the report route by it, so one route overwrites the other",
			head(reused), missing, n, wrong)
	}
}

func sum(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}
