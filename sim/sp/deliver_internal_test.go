package sp

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
)

// TestAcknowledgedDeliveryIsNeverDropped: a delivery the client has
// acknowledged is gone from the peer, so it must reach Deliveries even when
// the connection is closing at that moment (the peer died: a write failed
// on another goroutine and closed stop). Choosing between the two at random
// lost it half the time, and with it a report or MO from a crash test's
// ledger.
func TestAcknowledgedDeliveryIsNeverDropped(t *testing.T) {
	d, err := newDialect(codec.CMPP30, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, peer := net.Pipe()
	defer conn.Close()
	go io.Copy(io.Discard, peer) // the peer reads the acknowledgements
	c := &Client{d: d, conn: conn, log: slog.New(slog.DiscardHandler), stop: make(chan struct{})}
	close(c.stop) // the connection is ending
	for i := range 64 {
		frame := cmpp.Append(nil, cmpp.V30, uint32(i+1), &cmpp.Deliver{MsgID: uint64(i + 1), DestID: "10655123",
			SrcTerminalID: "13800138000", MsgContent: []byte("mo")})
		var v codec.View
		if err := d.ParseView(frame, &v); err != nil {
			t.Fatal(err)
		}
		c.deliveries = make(chan Delivery, 1) // room for it
		c.deliver(frame, &v, time.Now())
		select {
		case dl := <-c.deliveries:
			if !dl.Acked {
				t.Fatalf("delivery %d surfaced unacknowledged", i)
			}
		default:
			t.Fatalf("delivery %d was acknowledged and then dropped", i)
		}
	}
}
