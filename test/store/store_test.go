// Package store checks what spsmg does with a damaged store, end to end:
// the gateway runs as a real `spsmg serve` child process on a Badger
// directory, the directory is damaged between two runs as a disk or an
// operator would damage it, and the operator's commands (`spsmg store
// verify | backup | restore`) are run as the README's recovery procedure
// says.
//
//	sp.Client (sp1) ──▶ spsmg (child) ──▶ smg.Server
//	sp2 (offline: MO wait in the outbox) ◀── spsmg ◀── InjectMO
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

const (
	userSub     = "13800138001" // subscribed to NEWS (web subscription flow)
	userLink    = "13800138002" // sent an MO: its LinkID is used afterwards
	userPending = "13800138003" // web subscription requested, confirmed afterwards
	userMO      = "13800138004" // MO for the offline sp2
	sp2Access   = "10655999"
)

// newWorld is a CMPP 3.0 world whose sp2 never logs in until a test
// says so: MO to its access number wait in the outbox.
func newWorld(t *testing.T) *testenv.World {
	sp2 := testenv.SP2
	return testenv.NewWorld(t, testenv.Options{
		ExtraAccounts: fmt.Sprintf("  - {id: sp2, login: %q, secret: %q, access_numbers: [%q], allow_ips: [127.0.0.0/8]}\n",
			sp2.Login, sp2.Secret, sp2Access),
	})
}

// spsmgCmd runs the spsmg binary with args to its end (bounded by
// testenv.Wait) and returns its output and exit code.
func spsmgCmd(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("spsmg %v: %v\n%s", args, err, out)
	}
	return string(out), 0
}

// deliveries collects what an SP connection receives.
type deliveries struct {
	mu  sync.Mutex
	got []sp.Delivery
}

func (d *deliveries) record(c *sp.Client) {
	go func() {
		for x := range c.Deliveries() {
			d.mu.Lock()
			d.got = append(d.got, x)
			d.mu.Unlock()
		}
	}()
}

// wait returns the first delivery matching want.
func (d *deliveries) wait(t *testing.T, what string, want func(sp.Delivery) bool) sp.Delivery {
	t.Helper()
	var found sp.Delivery
	testenv.Eventually(t, testenv.Wait, what, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, x := range d.got {
			if want(x) {
				found = x
				return true
			}
		}
		return false
	})
	return found
}

func (d *deliveries) texts(prefix string) map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := map[string]int{}
	for _, x := range d.got {
		if strings.HasPrefix(x.Text, prefix) {
			m[x.Text]++
		}
	}
	return m
}

func dial(t *testing.T, w *testenv.World, a testenv.Account) (*sp.Client, *deliveries) {
	t.Helper()
	cc := w.ClientConfig()
	cc.Login, cc.Secret = a.Login, a.Secret
	c := testenv.DialEventually(t, a.ID+" logs in", cc)
	d := &deliveries{}
	d.record(c)
	return c, d
}

// injectToSP2 sends n MO to the offline sp2 and waits until spsmg has
// acknowledged every one (each is then committed to the outbox).
func injectToSP2(t *testing.T, w *testenv.World, prefix string, n int) {
	t.Helper()
	before := w.SMG.Stats().MOAcked
	for i := range n {
		if err := w.SMG.InjectMO(smg.MO{User: userMO, SPNumber: sp2Access, Text: fmt.Sprintf("%s%d", prefix, i)}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, testenv.Wait, "spsmg acknowledges every MO", func() bool {
		s := w.SMG.Stats()
		return s.MOAcked-before >= uint64(n) && s.Pending == 0
	})
}

func storeFile(t *testing.T, dir, suffix string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if len(m) != 1 {
		t.Fatalf("%s files in %s: %v", suffix, dir, m)
	}
	return m[0]
}

// TestDamagedTableAndRestore: a table file cut by one byte made spsmg
// panic at start ("slice bounds out of range", on a goroutine of Badger's).
// Now serve exits with an error naming the file and what to do; verify
// says the same; the backup taken before restores every record, and the
// gateway decides as before.
func TestDamagedTableAndRestore(t *testing.T) {
	bin := testenv.BuildSpsmg(t)
	w := newWorld(t)
	child := w.StartChild(bin)
	c1, d1 := dial(t, w, testenv.SP1)

	// State of every kind.
	sub, err := w.RequestSubscription(userSub, "NEWS")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SMG.InjectMO(smg.MO{User: userSub, SPNumber: sub.SentFrom, Text: "Y"}); err != nil {
		t.Fatal(err)
	}
	noti := d1.wait(t, "the Noti_SP for NEWS", func(d sp.Delivery) bool { return d.Text == "DZNEWS" && d.LinkID != "" })
	if r := testenv.MustSubmit(t, c1, sp.MT{Users: []string{userSub}, ServiceCode: "DZTZ", LinkID: noti.LinkID}); r != 0 {
		t.Fatalf("subscription notice: %d", r)
	}
	if err := w.SMG.InjectMO(smg.MO{User: userLink, SPNumber: testenv.Access + "9", Text: "HELP"}); err != nil {
		t.Fatal(err)
	}
	linkMO := d1.wait(t, "the HELP MO", func(d sp.Delivery) bool { return d.Text == "HELP" && d.LinkID != "" })
	pending, err := w.RequestSubscription(userPending, "HELP")
	if err != nil {
		t.Fatal(err)
	}
	if r := testenv.MustSubmit(t, c1, sp.MT{Users: []string{userSub}, ServiceCode: "NEWS", NeedReport: true}); r != 0 {
		t.Fatalf("MT to the subscriber: %d", r)
	}
	injectToSP2(t, w, "ob", 5)
	child.Stop() // SIGTERM: the store is closed, its records in a table file

	data := w.Opts.DataDir
	out, code := spsmgCmd(t, bin, "store", "verify", "--config", child.Config)
	if code != 0 {
		t.Fatalf("verify of the good store: exit %d\n%s", code, out)
	}
	for _, k := range []string{"subscription", "mo_linkid", "notice_linkid", "pending_subscription", "route", "outbox_deliver"} {
		if !regexp.MustCompile(`(?m)^  ` + k + ` +[1-9]`).MatchString(out) {
			t.Errorf("verify lists no %s:\n%s", k, out)
		}
	}
	census := regexp.MustCompile(`(?ms)^records:.*`).FindString(out)
	census = strings.TrimSuffix(census, "ok\n")
	bak := filepath.Join(t.TempDir(), "spsmg.bak")
	if out, code := spsmgCmd(t, bin, "store", "backup", "--config", child.Config, "--out", bak); code != 0 || !strings.Contains(out, census) {
		t.Fatalf("backup: exit %d\n%s\nwant\n%s", code, out, census)
	}

	sst := storeFile(t, data, ".sst")
	fi, _ := os.Stat(sst)
	if err := os.Truncate(sst, fi.Size()-1); err != nil {
		t.Fatal(err)
	}
	out, code = spsmgCmd(t, bin, "serve", "--config", child.Config)
	if code == 0 || strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") ||
		!strings.Contains(out, "store damaged: "+sst) || !strings.Contains(out, "spsmg store restore") {
		t.Fatalf("serve on a cut table: exit %d, want a clear error naming %s:\n%q", code, sst, out)
	}
	out, code = spsmgCmd(t, bin, "store", "verify", "--config", child.Config)
	if code != 1 || !strings.Contains(out, "store damaged: "+sst) {
		t.Fatalf("verify of the cut table: exit %d\n%s", code, out)
	}
	out, code = spsmgCmd(t, bin, "store", "restore", "--config", child.Config, "--in", bak)
	if code == 0 || !strings.Contains(out, "--force") {
		t.Fatalf("restore over the damaged store without --force: exit %d\n%s", code, out)
	}
	out, code = spsmgCmd(t, bin, "store", "restore", "--config", child.Config, "--in", bak, "--force")
	if code != 0 || !strings.Contains(out, census) || !strings.Contains(out, "aside to "+data+".before-restore-") {
		t.Fatalf("restore --force: exit %d\n%s\nwant\n%s", code, out, census)
	}

	// The gateway on the restored store decides as before.
	child.Start()
	c3, d3 := dial(t, w, testenv.SP1)
	if r := testenv.MustSubmit(t, c3, sp.MT{Users: []string{userSub}, ServiceCode: "NEWS"}); r != 0 {
		t.Errorf("MT to the subscriber after the restore: %d (subscription lost?)", r)
	}
	if r := testenv.MustSubmit(t, c3, sp.MT{Users: []string{userLink}, ServiceCode: "HELP", LinkID: linkMO.LinkID}); r != 0 {
		t.Errorf("MT with the MO's LinkID after the restore: %d (LinkID lost?)", r)
	}
	if err := w.SMG.InjectMO(smg.MO{User: userPending, SPNumber: pending.SentFrom, Text: "Y"}); err != nil {
		t.Fatal(err)
	}
	d3.wait(t, "the Noti_SP of the request made before the restore", func(d sp.Delivery) bool { return d.Text == "DZHELP" && d.LinkID != "" })
	_, d2 := dial(t, w, testenv.SP2)
	testenv.Eventually(t, testenv.Wait, "sp2 gets the 5 MO of the outbox", func() bool { return len(d2.texts("ob")) == 5 })
	if m := w.MustMetrics(); m.Get("spsmg_store_replay_dropped_total") != 0 || m.Get("spsmg_store_corrupt_records_total") != 0 {
		t.Errorf("damage reported on the restored store: %v %v", m.Get("spsmg_store_replay_dropped_total"), m.Get("spsmg_store_corrupt_records_total"))
	}
}

// TestDamagedWriteAheadLog: after a kill, a damaged page in the middle of
// the write-ahead log made Badger drop every record after it — 8,000
// routes once — and nothing was logged. Now the drop is logged at error
// level with the file and the entries by kind, and counted in
// spsmg_store_replay_dropped_total; what the SP gets is exactly what was
// not counted as dropped.
func TestDamagedWriteAheadLog(t *testing.T) {
	bin := testenv.BuildSpsmg(t)
	w := newWorld(t)
	child := w.StartChild(bin)
	const n = 400
	injectToSP2(t, w, "wal", n)
	child.Kill() // the records are in the write-ahead log only

	mem := storeFile(t, w.Opts.DataDir, ".mem")
	b, err := os.ReadFile(mem)
	if err != nil {
		t.Fatal(err)
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	at := end * 2 / 5
	for i := at; i < at+8; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(mem, b, 0o600); err != nil {
		t.Fatal(err)
	}

	mark := len(child.Logs())
	child.Start()
	logs := child.Logs()[mark:]
	line := ""
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, "DROPPED") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "file="+mem) {
		t.Fatalf("no error log naming %s:\n%s", mem, logs)
	}
	attr := func(name string) int {
		m := regexp.MustCompile(name + `=(\d+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("no %s in %s", name, line)
		}
		v, _ := strconv.Atoi(m[1])
		return v
	}
	dropped, droppedOutbox := attr("dropped_entries"), attr("ob/")
	if droppedOutbox == 0 {
		t.Fatalf("no outbox entry counted as dropped: %s", line)
	}
	if got := w.MustMetrics().Get("spsmg_store_replay_dropped_total"); got != float64(dropped) {
		t.Errorf("spsmg_store_replay_dropped_total = %v, the log says %d", got, dropped)
	}

	_, d2 := dial(t, w, testenv.SP2)
	testenv.Eventually(t, testenv.Wait, "sp2's backlog is delivered", func() bool {
		m, err := w.Metrics()
		return err == nil && m.Get("spsmg_delivery_backlog", "sp", "sp2") == 0
	})
	got := d2.texts("wal")
	lost := n - len(got)
	// What was counted is lost; so are the one or two entries the damage
	// itself hit (they do not decode, so they are not counted).
	if lost < droppedOutbox || lost > droppedOutbox+2 {
		t.Errorf("sp2 got %d of %d MO: %d lost, %d counted as dropped from the outbox (%s)", len(got), n, lost, droppedOutbox, line)
	}
	t.Logf("%d of %d outbox records lost to the damage, %d counted; log: %s", lost, n, droppedOutbox, line)
}
