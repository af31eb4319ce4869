package proxy_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestUnansweredDeliveryIsSentAgain: a Deliver the SP leaves unanswered
// past response_timeout goes back to the head of the queue and is sent
// again at once — not only when another delivery or answer happens to
// come (it used to wait for one, forever on a quiet account).
func TestUnansweredDeliveryIsSentAgain(t *testing.T) {
	h := newHarness(t, codec.CMPP30, harnessOpt{gatewayCfg: func(c *config.Config) {
		c.Upstream.ResponseTimeout = 300 * time.Millisecond
	}})
	login, secret := account(h.proto)
	var seen atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := sp.Dial(ctx, sp.ClientConfig{Dialect: h.cfg.Upstream.Dialect(), Addr: h.spAddr, Login: login, Secret: secret, Logger: testLogger(),
		Ack: func(sp.Delivery) (uint32, bool) { return 0, seen.Add(1) > 1 }}) // the first send goes unanswered
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := h.smg.InjectMO(smg.MO{User: number(h.proto, user), SPNumber: access, Text: "are you there"}); err != nil {
		t.Fatal(err)
	}
	first := h.nextDelivery(c.Deliveries())
	again := h.nextDelivery(c.Deliveries())
	if first.Text != "are you there" || again.Text != first.Text {
		t.Fatalf("deliveries %q then %q, want the MO twice", first.Text, again.Text)
	}
	if d := again.ReceivedAt.Sub(first.ReceivedAt); d < 300*time.Millisecond {
		t.Errorf("sent again after %v, before response_timeout", d)
	}
}
