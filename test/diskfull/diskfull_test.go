// Package diskfull proves that a full disk does not kill spsmg: its store
// lives on a small tmpfs that a ballast file fills under load, and spsmg —
// a real child process — must stay alive, refuse MTs with the retryable
// store_unavailable, leave the SMG's MO and reports unacknowledged (so the
// SMG sends them again), say so on /readyz, in a metric and a log line,
// and recover by itself once the ballast is deleted, having lost nothing
// it acknowledged. Starting on a full disk must exit with a message, not a
// signal.
//
//	sp.Client ×2 ──MT──▶ spsmg (child) ──▶ smg.Server
//	ledger ◀── MO, reports ── spsmg ◀── InjectMO, reports (resent until acknowledged)
//	                            │
//	                   store on tmpfs (64 MiB) ◀── ballast file
//
// Badger writes its log through memory-mapped files; before spsmg watched
// free space, the first write into a page the full tmpfs could not supply
// ended the process with SIGBUS ("fatal error: fault").
//
// The tests mount a tmpfs, which needs root (CI runs as root); where that
// is refused they skip, saying why.
package diskfull

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

const (
	tmpfsSize = 64 << 20
	reserve   = 32 << 20 // store.min_free_space: the smallest accepted
	// leave is what the ballast leaves free: well below the reserve, as
	// when another process fills the disk, yet more than spsmg can still
	// write once it stops (the write batch in flight: a few KiB at this
	// load, which fills no 16 MiB memtable, so no flush is due). Without
	// the reserve, spsmg's writes use it up within seconds.
	leave = 1 << 20
	// userLoad receives the MT load, userMO sends the MO load.
	userLoad = "13800138011"
	userMO   = "13800138012"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts
// it when the test ends (after the child using it has stopped: cleanups
// run last registered first).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	mnt := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", mnt).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs for the store (needs root; CI runs as root): %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
			_ = exec.Command("umount", "-l", mnt).Run()
		}
	})
	return mnt
}

func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

// fillTo writes a ballast file in dir until no more than keep bytes are
// free, and returns its path.
func fillTo(t *testing.T, dir string, keep uint64) string {
	t.Helper()
	path := filepath.Join(dir, "ballast")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		free := freeBytes(t, dir)
		if free <= keep {
			return path
		}
		n := min(free-keep, uint64(len(chunk)))
		if _, err := f.Write(chunk[:n]); err != nil {
			t.Fatalf("writing the ballast: %v", err)
		}
	}
}

// ledger is the SP side's record and the SMG's receptions.
type ledger struct {
	mu        sync.Mutex
	mts       map[string]*mtRecord // by text tag
	inflight  int
	timeouts  int
	refused   map[uint32]int // result → Submits answered with it
	retryable map[uint32]bool
	smgGot    map[string]int // MT text → Submits the SMG received
	mo        map[string]int // MO text → deliveries to the SP
	reports   map[string]int // report id (hex) → deliveries to the SP
}

type mtRecord struct {
	needReport bool
	id         string // message id the SP was answered with
	acked      bool
}

func newLedger() *ledger {
	return &ledger{mts: map[string]*mtRecord{}, refused: map[uint32]int{},
		smgGot: map[string]int{}, mo: map[string]int{}, reports: map[string]int{}}
}

func (l *ledger) onSMGSubmit(si smg.SubmitInfo) {
	if strings.HasPrefix(si.Text, "m") {
		l.mu.Lock()
		l.smgGot[si.Text]++
		l.mu.Unlock()
	}
}

func (l *ledger) record(ch <-chan sp.Delivery, stop <-chan struct{}) {
	for {
		select {
		case d, ok := <-ch:
			if !ok {
				return
			}
			l.mu.Lock()
			if d.IsReport {
				l.reports[hex.EncodeToString(d.ReportMsgID)]++
			} else {
				l.mo[d.Text]++
			}
			l.mu.Unlock()
		case <-stop:
			return
		}
	}
}

func (l *ledger) counts(storeUnavailable uint32) (acked, refusedFull int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.mts {
		if m.acked {
			acked++
		}
	}
	return acked, l.refused[storeUnavailable]
}

// load sends tagged MTs on c, one a millisecond at most (a load whose
// writes fill no 16 MiB memtable before the disk does), until ctx ends.
func (l *ledger) load(ctx context.Context, c *sp.Client, p codec.Protocol, conn int) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		text := fmt.Sprintf("m%d-%d", conn, n)
		rec := &mtRecord{needReport: n%2 == 0}
		l.mu.Lock()
		l.mts[text] = rec
		l.inflight++
		l.mu.Unlock()
		mt := sp.MT{SPNumber: testenv.Access, Users: []string{testenv.Number(p, userLoad)}, ServiceCode: "FREE", Text: text, NeedReport: rec.needReport}
		err := c.SubmitAsync(ctx, mt, func(r sp.SubmitResult, err error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.inflight--
			switch {
			case err != nil:
				if strings.Contains(err.Error(), "timeout") {
					l.timeouts++
				}
			case r.Result == 0:
				rec.acked = true
				rec.id = hex.EncodeToString(r.MsgID)
			default:
				l.refused[r.Result]++
			}
		})
		if err != nil {
			l.mu.Lock()
			l.inflight--
			delete(l.mts, text)
			l.mu.Unlock()
			return
		}
	}
}

func readyz(addr string) (int, string) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFullDiskUnderLoad fills the store's disk under MT, MO and report
// load and empties it again.
func TestFullDiskUnderLoad(t *testing.T) {
	mnt := mountTmpfs(t, tmpfsSize)
	bin := testenv.BuildSpsmg(t)
	p := codec.CMPP30
	l := newLedger()
	w := testenv.NewWorld(t, testenv.Options{Proto: p, DataDir: filepath.Join(mnt, "data"),
		Store: map[string]string{"min_free_space": "32MiB"},
		SMG: func(c *smg.Config) {
			c.OnSubmit = func(si smg.SubmitInfo) { l.onSMGSubmit(si) }
			c.ResendTimeout = 300 * time.Millisecond
		}})
	l.retryable = testenv.RetryableResults(w.Cfg, p) // before any Submit
	fullCode := w.Cfg.Results.Table(p.Family()).Result(reason.StoreUnavailable)
	stop := make(chan struct{})
	var recorders sync.WaitGroup
	defer func() { close(stop); recorders.Wait() }()

	child := w.StartChild(bin)
	pid := child.Pid()
	alive := func(phase string) {
		t.Helper()
		if !child.Running() {
			logs := child.Logs()
			if i := strings.Index(logs, "fatal error"); i >= 0 {
				logs = logs[i:min(len(logs), i+1500)]
			} else if len(logs) > 3000 {
				logs = logs[len(logs)-3000:]
			}
			t.Fatalf("spsmg died %s (%d bytes free on the store's tmpfs):\n%s", phase, freeBytes(t, mnt), logs)
		}
	}
	var clients []*sp.Client
	for range 2 {
		cc := w.ClientConfig()
		cc.Window = 16
		c, err := sp.Dial(context.Background(), cc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
		recorders.Add(1)
		go func() { defer recorders.Done(); l.record(c.Deliveries(), stop) }()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var senders sync.WaitGroup
	for i, c := range clients {
		senders.Add(1)
		go func() { defer senders.Done(); l.load(ctx, c, p, i) }()
	}
	var moMu sync.Mutex
	moNext := 0
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
				moMu.Lock()
				text := fmt.Sprintf("mo%d", moNext)
				moNext++
				moMu.Unlock()
				_ = w.SMG.InjectMO(smg.MO{User: testenv.Number(p, userMO), SPNumber: testenv.Access + "1", Text: text})
			}
		}
	}()
	moInjected := func() int { moMu.Lock(); defer moMu.Unlock(); return moNext }

	// Traffic first, on a disk with room.
	testenv.Eventually(t, testenv.Wait, "MTs acknowledged and MOs delivered before the disk fills", func() bool {
		alive("before the disk filled")
		acked, _ := l.counts(fullCode)
		l.mu.Lock()
		mo := len(l.mo)
		l.mu.Unlock()
		return acked >= 300 && mo >= 30
	})
	freeBefore := freeBytes(t, mnt)

	// The disk fills.
	fillStart := time.Now()
	ballast := fillTo(t, mnt, leave)
	filledAt := time.Now()
	fillTook := filledAt.Sub(fillStart)
	freeAfterFill := freeBytes(t, mnt)
	var moAtLow, nacksAtLow int
	var lowAt time.Time
	// The deadline leaves spsmg without a reserve the time to die (about
	// 8 s at this load), so that the failure says how.
	testenv.Eventually(t, 2*testenv.Wait, "spsmg reports the store below its reserve", func() bool {
		alive("as the disk filled")
		m, err := w.Metrics()
		if err != nil || m.Get("spsmg_store_space_low") != 1 {
			return false
		}
		lowAt, moAtLow, nacksAtLow = time.Now(), moInjected(), int(w.SMG.Stats().Nacks)
		return true
	})
	_, refusedAtLow := l.counts(fullCode)
	testenv.Eventually(t, testenv.Wait, "MTs refused, SMG deliveries refused, /readyz not ready, for 2 s", func() bool {
		alive("while the disk was full")
		_, refused := l.counts(fullCode)
		code, body := readyz(w.HTTPAddr)
		return time.Since(lowAt) > 2*time.Second && refused >= refusedAtLow+200 &&
			int(w.SMG.Stats().Nacks) >= nacksAtLow+50 && code == http.StatusServiceUnavailable &&
			strings.Contains(body, "store below its free-space reserve")
	})
	alive("while the disk was full")
	code, body := readyz(w.HTTPAddr)
	freeEndLow := freeBytes(t, mnt)
	mLow := w.MustMetrics()
	lowStats := w.SMG.Stats()
	l.mu.Lock()
	var early []string // MOs injected after the low state was seen yet delivered before space came back
	for text := range l.mo {
		var n int
		if _, err := fmt.Sscanf(text, "mo%d", &n); err == nil && n >= moAtLow {
			early = append(early, text)
		}
	}
	l.mu.Unlock()
	if len(early) > 0 {
		t.Errorf("%d MOs injected after spsmg reported the disk full were delivered (so acknowledged) while it was full: %v", len(early), early[:min(len(early), 5)])
	}
	if written := int64(freeAfterFill) - int64(freeEndLow); written > 2<<20 {
		t.Errorf("the store grew by %d bytes after the ballast left %d free: it kept writing below the reserve", written, freeAfterFill)
	}
	if mLow.Get("spsmg_store_free_bytes") >= reserve || mLow.Get("spsmg_store_min_free_bytes") != reserve {
		t.Errorf("metrics below the reserve: free %v, min free %v", mLow.Get("spsmg_store_free_bytes"), mLow.Get("spsmg_store_min_free_bytes"))
	}

	// Space comes back.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	freedAt := time.Now()
	testenv.Eventually(t, testenv.Wait, "/readyz ready again and the metric back to 0", func() bool {
		alive("after the ballast was deleted")
		code, _ := readyz(w.HTTPAddr)
		m, err := w.Metrics()
		return code == http.StatusOK && err == nil && m.Get("spsmg_store_space_low") == 0
	})
	recovered := time.Since(freedAt)
	ackedAtRecovery, _ := l.counts(fullCode)
	testenv.Eventually(t, testenv.Wait, "MTs acknowledged again", func() bool {
		alive("after the ballast was deleted")
		acked, _ := l.counts(fullCode)
		return acked >= ackedAtRecovery+300
	})
	cancel()
	senders.Wait()
	close(moStop)
	<-moDone
	injected := moInjected()

	// Quiesce, then compare the two sides.
	missing := func() (mt, mo, rep []string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for text, m := range l.mts {
			if m.acked && l.smgGot[text] == 0 {
				mt = append(mt, text)
			}
			if m.acked && m.needReport && l.reports[m.id] == 0 {
				rep = append(rep, text)
			}
		}
		for i := range injected {
			if text := fmt.Sprintf("mo%d", i); l.mo[text] == 0 {
				mo = append(mo, text)
			}
		}
		sort.Strings(mt)
		sort.Strings(mo)
		sort.Strings(rep)
		return
	}
	testenv.Poll(testenv.Wait, func() bool {
		l.mu.Lock()
		busy := l.inflight
		l.mu.Unlock()
		mt, mo, rep := missing()
		return busy == 0 && len(mt)+len(mo)+len(rep) == 0 && w.SMG.Stats().Pending == 0
	})
	alive("at the end")
	lostMT, lostMO, lostRep := missing()
	end := w.SMG.Stats()
	m := w.MustMetrics()
	acked, refusedFull := l.counts(fullCode)
	l.mu.Lock()
	refused := map[uint32]int{}
	for r, n := range l.refused {
		refused[r] = n
	}
	timeouts, total := l.timeouts, len(l.mts)
	l.mu.Unlock()

	t.Logf("tmpfs %d MiB, store.min_free_space %d MiB: %d bytes free before the fill, %d after it (ballast written in %v), %d at the end of the full phase",
		tmpfsSize>>20, reserve>>20, freeBefore, freeAfterFill, fillTook.Round(time.Millisecond), freeEndLow)
	t.Logf("below the reserve seen on /metrics %v after the ballast was written; full for %v: %d MTs refused with store_unavailable (%d), SMG deliveries refused %d times (MO acked %d, pending %d at the end of it); /readyz %d %q",
		lowAt.Sub(filledAt).Round(time.Millisecond), freedAt.Sub(lowAt).Round(time.Millisecond), refusedFull-refusedAtLow, fullCode, int(lowStats.Nacks)-nacksAtLow, lowStats.MOAcked, lowStats.Pending, code, strings.TrimSpace(body))
	t.Logf("ready again %v after the ballast was deleted; in all %d MTs sent, %d acknowledged, refused %v; %d MOs injected, %d delivered; "+
		"SMG: MO acked %d resent %d, reports acked %d resent %d, refusals %d",
		recovered.Round(time.Millisecond), total, acked, refused, injected, injected-len(lostMO),
		end.MOAcked, end.MOResent, end.ReportsAcked, end.ReportsResent, end.Nacks)

	if child.Pid() != pid {
		t.Errorf("spsmg was restarted (pid %d, then %d)", pid, child.Pid())
	}
	if len(lostMT) > 0 {
		t.Errorf("%d MTs acknowledged to the SP never reached the SMG: %v", len(lostMT), head(lostMT))
	}
	if len(lostMO) > 0 {
		t.Errorf("%d MOs never reached the SP (SMG pending %d): %v", len(lostMO), end.Pending, head(lostMO))
	}
	if len(lostRep) > 0 {
		t.Errorf("%d reports of acknowledged MTs never reached the SP: %v", len(lostRep), head(lostRep))
	}
	if end.Pending != 0 {
		t.Errorf("the SMG still has %d deliveries unacknowledged", end.Pending)
	}
	for r, n := range refused {
		if !l.retryable[r] {
			t.Errorf("%d MTs refused with the non-retryable result %d", n, r)
		}
	}
	if timeouts > 0 {
		t.Errorf("%d MTs got no answer at all", timeouts)
	}
	if got := m.Get("spsmg_events_total", "event", "store_space_low"); got == 0 {
		t.Error("spsmg_events_total{event=store_space_low} stayed 0")
	}
	logs := child.Logs()
	for _, want := range []string{"store below its free-space reserve", "free space back above the reserve"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no line %q", want)
		}
	}
}

// TestStartOnFullDisk: spsmg killed (its write-ahead log left to replay)
// and started again once the disk has filled exits at once with a message
// naming the store, the free space and the reserve — not a signal, not a
// crash loop under a supervisor — and starts normally, having lost
// nothing, once there is space.
func TestStartOnFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, tmpfsSize)
	bin := testenv.BuildSpsmg(t)
	p := codec.CMPP30
	w := testenv.NewWorld(t, testenv.Options{Proto: p, DataDir: filepath.Join(mnt, "data"),
		Store: map[string]string{"min_free_space": "32MiB"}})
	child := w.StartChild(bin)
	for i := range 20 { // to an SP that is offline: they wait in the outbox
		if err := w.SMG.InjectMO(smg.MO{User: testenv.Number(p, userMO), SPNumber: testenv.Access + "1", Text: fmt.Sprintf("kept%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, testenv.Wait, "the MOs are acknowledged (written to the outbox)", func() bool {
		return w.SMG.Stats().MOAcked == 20
	})
	child.Kill()
	ballast := fillTo(t, mnt, 4<<20)

	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	out, err := exec.CommandContext(ctx, child.Bin, "serve", "--config", child.Config).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("spsmg on a full disk: %v (want it to exit with an error)\n%s", err, out)
	}
	ws := exit.Sys().(syscall.WaitStatus)
	if ws.Signaled() || ws.ExitStatus() != 1 {
		t.Fatalf("spsmg on a full disk ended with %v, want exit status 1\n%s", exit, out)
	}
	msg := string(out)
	for _, want := range []string{"store.path " + filepath.Join(mnt, "data"), "free on its filesystem, below store.min_free_space 32.0 MiB",
		"not opening the store", "free space there or lower the reserve"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the exit message lacks %q:\n%s", want, msg)
		}
	}
	t.Logf("started with %d bytes free: %s", freeBytes(t, mnt), strings.TrimSpace(msg))

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	child.Start()
	c, err := w.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := map[string]bool{}
	deadline := time.After(testenv.Wait)
	for len(got) < 20 {
		select {
		case d := <-c.Deliveries():
			got[d.Text] = true
		case <-deadline:
			t.Fatalf("after the restart the SP got %d of the 20 MOs acknowledged before the kill", len(got))
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 8)] }
