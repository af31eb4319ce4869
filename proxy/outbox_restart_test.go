package proxy_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// restart stops the gateway gracefully (SIGTERM's path) and starts a new
// one on the same store directory.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// deafClient logs the SP in on a connection that takes deliveries but
// never acknowledges them (CMPP, SMGP): the SMG's reports then wait in the
// outbox as they would for an offline SP, while the SP can still submit.
// For SGIP, whose deliveries travel on the SP's own receiver, the receiver
// is closed instead.
func (h *harness) deafClient() *sp.Client {
	h.t.Helper()
	if h.receiver != nil {
		h.receiver.Close()
		return h.client()
	}
	login, secret := account(h.proto)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := sp.Dial(ctx, sp.ClientConfig{Dialect: h.cfg.Upstream.Dialect(), Addr: h.spAddr, Login: login, Secret: secret,
		NoDeliverAck: true, Logger: testLogger()})
	if err != nil {
		h.t.Fatalf("SP login: %v", err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// onlineSP brings it back and returns where its deliveries arrive.
func (h *harness) onlineSP() <-chan sp.Delivery {
	h.t.Helper()
	if h.receiver == nil {
		return h.client().Deliveries()
	}
	var r *sp.Receiver
	h.eventually("the SP's receiver listens again", func() bool {
		var err error
		r, err = sp.ListenReceiver(h.receiver.Addr().String(), "gw", "gw-password")
		return err == nil
	})
	h.t.Cleanup(func() { r.Close() })
	return r.Deliveries()
}

// outboxRecords counts the outbox records in the closed store at dir.
func outboxRecords(t *testing.T, dir string) int {
	t.Helper()
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	if err := st.Scan([]byte("ob/"), func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOutboxRestartDeliversEveryWaitingRecord: more than 256 status reports
// and MOs wait in the outbox for an offline SP across a graceful restart
// (about one record in 256 has a '/' byte in its number); after the
// restart every one reaches the SP, in the order the SMG sent them.
func TestOutboxRestartDeliversEveryWaitingRecord(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		const reports, mos = 150, 300
		dir := t.TempDir()
		h := newHarness(t, p, harnessOpt{dataDir: dir,
			// One loop and one bind: spsmg receives the MO and reports in the
			// order the SMG sends them (with its Submit_Resps, in Submit order).
			gatewayCfg: func(c *config.Config) { c.Gateway.EventLoops = 1 }})
		c := h.deafClient()
		reportIdx := map[string]int{} // id a report names → Submit index
		for i := 0; i < reports; i++ {
			r := h.submit(c, sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE", NeedReport: true, Text: fmt.Sprintf("mt %d", i)})
			if r.Result != 0 {
				t.Fatalf("Submit %d: result %d", i, r.Result)
			}
			reportIdx[hex.EncodeToString(r.MsgID)] = i
		}
		h.eventually("the SMG sees every report acknowledged", func() bool { return h.smg.Stats().ReportsAcked >= reports })
		for i := 0; i < mos; i++ {
			if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access, Text: fmt.Sprintf("mo %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		h.eventually("the SMG sees every MO acknowledged", func() bool { return h.smg.Stats().MOAcked >= mos })

		c.Close()
		h.stop()
		waiting := outboxRecords(t, dir)
		if waiting <= 256 {
			t.Fatalf("%d records wait in the outbox; the test needs more than 256", waiting)
		}
		h.start()
		ch := h.onlineSP()

		// Everything was queued before the last MO: collect until it arrives.
		var gotReports, gotMOs []string
		var order []bool // true: a report, false: an MO, in arrival order
		seen := map[string]int{}
		last := fmt.Sprintf("mo %d", mos-1)
		deadline := time.After(2 * testWait)
	collect:
		for {
			select {
			case d := <-ch:
				order = append(order, d.IsReport)
				if d.IsReport {
					id := hex.EncodeToString(d.ReportMsgID)
					if _, ok := reportIdx[id]; !ok {
						t.Fatalf("a report names %s, no Submit of this test", id)
					}
					gotReports = append(gotReports, id)
					seen[id]++
					continue
				}
				gotMOs = append(gotMOs, d.Text)
				seen[d.Text]++
				if d.Text == last {
					break collect
				}
			case <-deadline:
				break collect
			}
		}
		var missing []string
		for id, i := range reportIdx {
			if seen[id] == 0 {
				missing = append(missing, fmt.Sprintf("report of Submit %d", i))
			}
		}
		for i := 0; i < mos; i++ {
			if text := fmt.Sprintf("mo %d", i); seen[text] == 0 {
				missing = append(missing, text)
			}
		}
		if len(missing) > 0 {
			t.Fatalf("%d of %d records that waited across the restart never reached the SP: %v", len(missing), waiting, missing)
		}
		for i := 1; i < len(order); i++ {
			if order[i] && !order[i-1] {
				t.Fatalf("a report arrived after an MO that was queued after every report")
			}
		}
		for i, text := range gotMOs {
			if want := fmt.Sprintf("mo %d", i); text != want {
				t.Fatalf("MO %d after the restart is %q, want %q: out of order or repeated", i, text, want)
			}
		}
		for i := 1; i < len(gotReports); i++ {
			if reportIdx[gotReports[i]] <= reportIdx[gotReports[i-1]] {
				t.Fatalf("report of Submit %d arrived after that of Submit %d", reportIdx[gotReports[i]], reportIdx[gotReports[i-1]])
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("%s delivered %d times after the restart", id, n)
			}
		}
		t.Logf("%s: %d records waited across the restart; %d reports and %d MOs arrived after it, in order",
			p, waiting, len(gotReports), len(gotMOs))
	})
}

// TestOutboxStrandedRecordsRecovered: a store written by a version that
// split outbox keys at the last '/' holds records it never loaded — numbers
// with a 0x2F byte — and, above them, none it loaded. A gateway started on
// it delivers every record, in number order, and numbers new deliveries
// above all of them, so a new MO overwrites none (the old numbering gave
// the next MO number 47, the stranded record's).
func TestOutboxStrandedRecordsRecovered(t *testing.T) {
	p := codec.CMPP30
	dir := t.TempDir()
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	nums := []uint64{}
	for n := uint64(1); n <= 47; n++ { // 47 = 0x2F
		nums = append(nums, n)
	}
	nums = append(nums, 0x2F00, 0x2F2F2F2F2F2F2F2F)
	var muts []authcache.Mutation
	for i, n := range nums {
		frame := cmpp.Append(nil, cmpp.V30, uint32(i+1), &cmpp.Deliver{MsgID: uint64(1000 + i), DestID: access,
			SrcTerminalID: user, MsgContent: []byte(fmt.Sprintf("old %d", n))})
		key := append([]byte("ob/sp1/"), byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		muts = append(muts, authcache.Mutation{Key: key, Value: append([]byte{byte(codec.KindDeliver)}, frame...)})
	}
	if err := st.Apply(muts); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, p, harnessOpt{dataDir: dir, gatewayCfg: func(c *config.Config) { c.Gateway.EventLoops = 1 }})
	// A new MO while the SP is offline: it must get a number of its own.
	if err := h.smg.InjectMO(smg.MO{User: user, SPNumber: access, Text: "new"}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the SMG sees the new MO acknowledged", func() bool { return h.smg.Stats().MOAcked == 1 })
	ch := h.client().Deliveries()
	var want []string
	for _, n := range nums {
		want = append(want, fmt.Sprintf("old %d", n))
	}
	want = append(want, "new")
	var got []string
	for range want {
		select {
		case d := <-ch:
			got = append(got, d.Text)
		case <-time.After(testWait):
			t.Fatalf("%d of %d deliveries reached the SP: %s", len(got), len(want), strings.Join(got, ", "))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the SP got\n  %s\nwant\n  %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}
