package jsoningress_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/internal/jsonclient"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// answerAfter leaves the first n pushes unanswered, then answers 1.
func answerAfter(n int32) func(jsonclient.Push) (string, bool) {
	var seen atomic.Int32
	return func(jsonclient.Push) (string, bool) { return "1", seen.Add(1) > n }
}

func TestUnansweredPushIsSentAgainAfterTheResendTime(t *testing.T) {
	const resend = 300 * time.Millisecond // json.report_resend of the world
	w := newWorld(t, options{answer: answerAfter(1)})
	m := notice("Your invoice is ready")
	if b := w.send(w.shop(), m); b.Status != "1" {
		t.Fatalf("B001 %+v", b)
	}
	first, second := w.push(), w.push()
	if first.Report.MsgID != m.MsgID || second.Report.MsgID != m.MsgID {
		t.Fatalf("pushes %+v, %+v: want both for %s", first.Report, second.Report, m.MsgID)
	}
	// The merchant's silence is waited for: not resent before report_resend.
	if gap := second.At.Sub(first.At); gap < resend-50*time.Millisecond {
		t.Errorf("pushed again %v after the first, want about %v", gap, resend)
	}
	w.waitMetric(1, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
	if n := w.metric("spsmg_json_pushes_total", "sp", shopID, "result", "no_answer"); n != 1 {
		t.Errorf("no_answer pushes %v, want 1", n)
	}
}

func TestReportGivenUpAfterThreePushes(t *testing.T) {
	w := newWorld(t, options{answer: func(jsonclient.Push) (string, bool) { return "", false }})
	m := notice("Nobody listens")
	w.send(w.shop(), m)
	for range 3 {
		if p := w.push(); p.Report.MsgID != m.MsgID {
			t.Fatalf("push %+v", p.Report)
		}
	}
	w.waitMetric(1, "spsmg_json_reports_total", "sp", shopID, "result", "abandoned")
	if n := w.metric("spsmg_json_pushes_total", "sp", shopID, "result", "no_answer"); n != 3 || len(w.reports.Pushes()) != 0 {
		t.Errorf("%v pushes unanswered and %d more: want exactly 3 pushes", n, len(w.reports.Pushes()))
	}
	if n := w.metric("spsmg_json_reports_waiting"); n != 0 {
		t.Errorf("reports waiting %v after giving up, want 0", n)
	}
}

func TestMerchantRefusalIsPushedAgain(t *testing.T) {
	var seen atomic.Int32
	w := newWorld(t, options{answer: func(jsonclient.Push) (string, bool) {
		if seen.Add(1) == 1 {
			return "2", true // the merchant could not take it
		}
		return "1", true
	}})
	w.send(w.shop(), notice("try twice"))
	w.push()
	w.push()
	w.waitMetric(1, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
	if n := w.metric("spsmg_json_pushes_total", "sp", shopID, "result", "refused"); n != 1 {
		t.Errorf("refused pushes %v, want 1", n)
	}
}

// A report whose push was not answered is pushed again after a restart:
// the report and its push live in the store, not in memory.
func TestReportsSurviveARestart(t *testing.T) {
	// The first push hangs unanswered; the listener restarts meanwhile.
	w := newWorld(t, options{dataDir: t.TempDir(), answer: answerAfter(1), json: map[string]string{"report_resend": "10s"}})
	m := notice("Survive a restart")
	w.send(w.shop(), m)
	if p := w.push(); p.Report.MsgID != m.MsgID {
		t.Fatalf("push %+v", p.Report)
	}
	w.restart()
	// Without a restart the second push would come 10 s later; after it,
	// the push cut off by the stop is due at once.
	start := time.Now()
	if p := w.push(); p.Report.MsgID != m.MsgID || p.Report.Status != "1" {
		t.Fatalf("push after the restart %+v", p.Report)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("pushed again %v after the restart; want at once", d)
	}
	w.waitMetric(1, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
}

// Reports that arrive while the merchant's receiver is down wait in the
// store through a restart and reach the merchant once it is back.
func TestReportsWaitForTheMerchantThroughARestart(t *testing.T) {
	w := newWorld(t, options{dataDir: t.TempDir(), json: map[string]string{"report_resend": "500ms"}})
	addr := w.reports.Addr()
	w.reports.Close() // the merchant's receiver is down
	m := notice("Wait for me")
	w.send(w.shop(), m)
	w.waitMetric(1, "spsmg_json_pushes_total", "sp", shopID, "result", "unreachable")
	w.stopJS()
	w.Stop()
	// While spsmg is down, the receiver comes back on its address.
	var rs *jsonclient.ReportServer
	testenv.Eventually(t, testenv.Wait, "the receiver listens again on "+addr, func() bool {
		var err error
		rs, err = jsonclient.StartReportServerOn(addr, nil)
		return err == nil
	})
	w.Start()
	w.js, w.stopJS = w.StartJSON()
	t.Cleanup(rs.Close)
	select {
	case p := <-rs.Pushes():
		if p.Report.MsgID != m.MsgID || p.Report.Status != "1" {
			t.Fatalf("push %+v", p.Report)
		}
	case <-time.After(testenv.Wait):
		t.Fatal("the report did not reach the merchant after the restart")
	}
	w.waitMetric(1, "spsmg_json_pushes_total", "sp", shopID, "result", "answered")
}
