package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// fakeDisk is the store's free space as the test sets it.
type fakeDisk struct{ free atomic.Uint64 }

func (d *fakeDisk) Free() (uint64, error) { return d.free.Load(), nil }

// carrierAccount is an exempt account (the carrier's own services): it
// skips authorization, so the proxy itself must refuse its MTs when the
// store cannot be written.
func carrierAccount(p codec.Protocol) (login, yaml string) {
	login = "900009"
	switch p.Family().String() {
	case "sgip":
		login = "carrier"
	case "smgp":
		login = "10009"
	}
	yaml = fmt.Sprintf("  - {id: carrier, login: %q, secret: carrier1, access_numbers: [\"10655999\"], exempt: true", login)
	if p == codec.SGIP {
		yaml += `, receiver: {addr: "127.0.0.1:1", login: gw, secret: gw-password}`
	}
	return login, yaml + "}\n"
}

// TestStoreBelowFreeSpaceReserve: while the store's filesystem is below
// store.min_free_space, every MT is refused with the retryable
// store_unavailable, the SMG's MO and reports (a Y confirmation reply
// too) get the busy result and stay with the SMG, and the metrics say
// why; once space is back the SMG's resends are delivered and
// acknowledged — the Y then confirms — and MTs pass again.
func TestStoreBelowFreeSpaceReserve(t *testing.T) {
	const reserve = 64 << 20
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		disk := &fakeDisk{}
		disk.free.Store(1 << 30)
		entered, release := make(chan struct{}, 1), make(chan struct{})
		var releaseOnce sync.Once
		releaseHeld := func() { releaseOnce.Do(func() { close(release) }) }
		carrierLogin, carrierYAML := carrierAccount(p)
		h := newHarness(t, p, harnessOpt{
			extraYAML: carrierYAML,
			engineOpts: []authcache.Option{authcache.WithSpaceGuard(authcache.SpaceGuard{
				Reserve: reserve, Free: disk.Free, Interval: 2 * time.Millisecond, Path: "/data"})},
			smgConfig: func(c *smg.Config) {
				// The SMG holds the answer (and the report that goes with
				// it) to the MT tagged "held" until the test releases it,
				// so that the report arrives while the disk is full.
				c.SubmitResult = func(v *codec.View) uint32 {
					if bytes.Contains(v.Content, []byte("held")) {
						entered <- struct{}{}
						<-release
					}
					return 0
				}
			},
		})
		t.Cleanup(releaseHeld) // before the harness's own cleanups: a failing test must not leave the SMG blocked
		reg := prometheus.NewRegistry()
		reg.MustRegister(h.gw.Collector())
		c := h.client()
		carrier, err := h.dial(carrierLogin, "carrier1")
		if err != nil {
			t.Fatalf("carrier login: %v", err)
		}
		t.Cleanup(func() { carrier.Close() })
		free := sp.MT{Users: []string{number(p, user)}, ServiceCode: "FREE"}
		pending, err := h.engine.RequestSubscription(authcache.SubscriptionRequest{SP: "sp1", SPNumber: access, ServiceCode: "NEWS", User: otherUser, Text: "DZ NEWS"})
		if err != nil {
			t.Fatal(err)
		}
		if r := h.submit(c, free); r.Result != 0 {
			t.Fatalf("MT before the disk fills: result %d", r.Result)
		}

		held := make(chan sp.SubmitResult, 1)
		err = c.SubmitAsync(context.Background(), sp.MT{SPNumber: access, Users: []string{number(p, user)}, ServiceCode: "FREE",
			Text: "held", NeedReport: true}, func(r sp.SubmitResult, err error) {
			if err != nil {
				t.Errorf("held MT: %v", err)
			}
			held <- r
		})
		if err != nil {
			t.Fatal(err)
		}
		<-entered

		disk.free.Store(reserve - 1)
		h.eventually("spsmg sees the store below its reserve", func() bool { return !h.engine.Writable() })
		if r := h.submit(c, free); r.Result != h.refusal(reason.StoreUnavailable) {
			t.Fatalf("MT below the reserve: result %d, want store_unavailable %d", r.Result, h.refusal(reason.StoreUnavailable))
		}
		if r := h.submit(carrier, sp.MT{SPNumber: "10655999", Users: []string{number(p, user)}, ServiceCode: "ANY"}); r.Result != h.refusal(reason.StoreUnavailable) {
			t.Fatalf("exempt account's MT below the reserve: result %d, want store_unavailable", r.Result)
		}
		if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access, Text: "mo while full"}); err != nil {
			t.Fatal(err)
		}
		// Answered at once while the store cannot record the confirmation,
		// a Y would be lost: the SMG must keep it.
		if err := h.smg.InjectMO(smg.MO{User: number(p, otherUser), SPNumber: h.engine.ConfirmationNumber(pending), Text: "Y"}); err != nil {
			t.Fatal(err)
		}
		releaseHeld() // the SMG answers the held MT and sends its report
		r := <-held
		if r.Result != 0 {
			t.Fatalf("held MT (accepted by the SMG before the disk filled): result %d", r.Result)
		}
		h.eventually("the SMG has its MOs and report refused at least once each, and keeps them", func() bool {
			st := h.smg.Stats()
			return st.Nacks >= 3 && st.MOAcked == 0 && st.ReportsAcked == 0 && st.Pending == 3
		})
		m := gather(t, reg)
		for name, want := range map[string]float64{
			"spsmg_store_space_low": 1, "spsmg_store_free_bytes": reserve - 1, "spsmg_store_min_free_bytes": reserve,
			"spsmg_store_available": 0,
		} {
			if got := m[name]; got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		if got := m[`spsmg_events_total{event="store_space_low"}`]; got < 3 {
			t.Errorf("store_space_low events = %v, want ≥ 3 (two MOs and the report)", got)
		}
		for _, sp := range []string{"sp1", "carrier"} {
			if got := m[fmt.Sprintf(`spsmg_mt_decisions_total{reason="store_unavailable",result="refuse",sp=%q}`, sp)]; got != 1 {
				t.Errorf("%s MTs refused store_unavailable: %v, want 1", sp, got)
			}
		}

		disk.free.Store(reserve * 2)
		h.eventually("spsmg writes again", func() bool { return h.engine.Writable() })
		ch := h.deliveries(c)
		var gotMO, gotReport, gotNoti bool
		for !gotMO || !gotReport || !gotNoti {
			d := h.nextDelivery(ch)
			switch {
			case d.IsReport && bytes.Equal(d.ReportMsgID, r.MsgID):
				gotReport = true
			case !d.IsReport && d.Text == "mo while full" && !gotMO:
				gotMO = true
			case !d.IsReport && d.Text == "DZ NEWS" && d.LinkID != "" && !gotNoti:
				gotNoti = true // the Y, sent again by the SMG, confirmed the request
			default:
				t.Fatalf("unexpected delivery %+v", d)
			}
		}
		h.eventually("the SMG sees both MOs and the report acknowledged", func() bool {
			st := h.smg.Stats()
			return st.MOAcked == 2 && st.ReportsAcked == 1 && st.Pending == 0
		})
		if r := h.submit(c, free); r.Result != 0 {
			t.Fatalf("MT after space came back: result %d", r.Result)
		}
		if m := gather(t, reg); m["spsmg_store_space_low"] != 0 || m["spsmg_store_available"] != 1 {
			t.Errorf("after recovery: space_low %v, available %v", m["spsmg_store_space_low"], m["spsmg_store_available"])
		}
	})
}

// gather reads every gauge and counter of reg, keyed as the exposition
// format writes them (labels sorted by name).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			if len(m.GetLabel()) > 0 {
				var b bytes.Buffer
				for i, l := range m.GetLabel() {
					if i > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, "%s=%q", l.GetName(), l.GetValue())
				}
				key += "{" + b.String() + "}"
			}
			switch {
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// TestReadinessNamesTheFullDisk: /readyz names a store below its free-space
// reserve before any other reason, and is ready again once space is back.
func TestReadinessNamesTheFullDisk(t *testing.T) {
	disk := &fakeDisk{}
	disk.free.Store(1 << 30)
	h := newHarness(t, codec.CMPP30, harnessOpt{
		engineOpts: []authcache.Option{authcache.WithSpaceGuard(authcache.SpaceGuard{
			Reserve: 64 << 20, Free: disk.Free, Interval: time.Millisecond, Path: "/var/lib/spsmg"})},
	})
	h.eventually("ready", func() bool { return h.gw.Readiness().Ready })
	disk.free.Store(10 << 20)
	h.eventually("not ready below the reserve", func() bool { return !h.gw.Readiness().Ready })
	r := h.gw.Readiness()
	if want := "store below its free-space reserve: 10.0 MiB free under /var/lib/spsmg, store.min_free_space 64.0 MiB (ready again at 80.0 MiB)"; r.Reason != want || !r.StoreSpaceLow {
		t.Fatalf("below the reserve: %+v, want reason %q", r, want)
	}
	disk.free.Store(80 << 20)
	h.eventually("ready again", func() bool { return h.gw.Readiness().Ready })
	h.engine.SetAvailable(false)
	if r := h.gw.Readiness(); r.Ready || r.Reason != "authorization store unavailable" {
		t.Fatalf("marked unavailable: %+v", r)
	}
}
