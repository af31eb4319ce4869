package translate_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// carrier is one simulated SMG of a world: its protocol, the numbers it
// takes (routes:), and the simulator once started.
type carrier struct {
	name   string
	proto  codec.Protocol
	routes []string
	smg    *smg.Server
	ln     net.Listener
	cfg    smg.Config
}

// world is a gateway whose SPs speak spProto in front of one SMG simulator
// per carrier, each speaking its own protocol, all on loopback.
type world struct {
	t        testing.TB
	spProto  codec.Protocol
	carriers []*carrier
	gw       *proxy.Gateway
	receiver *sp.Receiver // SGIP SP: its listener for MO and reports
	client   *sp.Client
}

// newWorld starts the SMG simulators (an SGIP one once the gateway's
// inbound listener is bound), the gateway and a logged-in SP client.
func newWorld(t testing.TB, spProto codec.Protocol, carriers ...*carrier) *world {
	t.Helper()
	w := &world{t: t, spProto: spProto, carriers: carriers}
	spD := testenv.Dialect(spProto)
	if spD.SplitConnections() {
		w.receiver = listenReceiver(t)
	}
	for _, c := range carriers {
		listenCarrier(t, c)
		if c.cfg.Dialect.SplitConnections() {
			c.cfg.ReceiverLogin, c.cfg.ReceiverPassword = testenv.InboundLogin, testenv.InboundSecret
		} else {
			serveCarrier(t, c)
		}
	}
	w.gw = startGateway(t, w.yaml())
	addrs := w.gw.Addrs() // the SP listener, then each SGIP carrier's inbound one
	in := 1
	for _, c := range carriers {
		if c.smg == nil {
			c.cfg.ReceiverAddr = addrs[in].String()
			in++
			serveCarrier(t, c)
		}
	}
	testenv.Eventually(t, testenv.Wait, "every carrier's binds logged in", func() bool { return w.gw.ReadyBinds() >= 2*len(carriers) })
	var err error
	w.client, err = sp.Dial(context.Background(), sp.ClientConfig{Dialect: spD, Addr: addrs[0].String(),
		Login: testenv.SP1.Login, Secret: testenv.SP1.Secret, DeliveryBuffer: 1024})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.client.Close() })
	return w
}

// listenReceiver opens an SGIP SP's receiver, where the gateway delivers
// its MO and reports, until the test ends.
func listenReceiver(t testing.TB) *sp.Receiver {
	t.Helper()
	r, err := sp.ListenReceiverConfig("127.0.0.1:0", sp.ReceiverConfig{Login: testenv.ReceiverLogin, Secret: testenv.ReceiverPW, DeliveryBuffer: 1024})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// listenCarrier opens c's listener and sets its simulator's configuration;
// serveCarrier starts the simulator on it.
func listenCarrier(t testing.TB, c *carrier) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.ln = ln
	t.Cleanup(func() { _ = ln.Close() })
	c.cfg = smg.Config{Dialect: testenv.Dialect(c.proto), Accounts: map[string]string{testenv.SMGLogin: testenv.SMGSecret},
		ResendTimeout: time.Second, MaxResends: -1, SubmitLog: 1000, Logger: testenv.Quiet()}
}

func serveCarrier(t testing.TB, c *carrier) {
	t.Helper()
	s, err := smg.New(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln := c.ln
	go func() { _ = s.Serve(ln) }()
	c.smg = s
	t.Cleanup(func() { s.Close() })
}

// startGateway runs a gateway configured by yaml, over an in-memory store,
// until the test ends.
func startGateway(t testing.TB, yaml string) *proxy.Gateway {
	t.Helper()
	gw, _, _ := testenv.StartGateway(t, yaml)
	return gw
}

func (w *world) yaml() string {
	q := strconv.Quote
	var b strings.Builder
	smppOpt := ""
	if w.spProto == codec.SMPP34 {
		smppOpt = fmt.Sprintf(", smpp: {linkid_tag: %#x}", testenv.SMPPLinkIDTag)
	}
	fmt.Fprintf(&b, "listeners: [{protocol: %s, addr: \"127.0.0.1:0\"%s}]\n", w.spProto, smppOpt)
	writeUpstreams(&b, w.carriers)
	b.WriteString("accounts:\n")
	fmt.Fprintf(&b, "  - {id: sp1, login: %s, secret: %s, access_numbers: [%s], window: 32, tps: 100000",
		q(testenv.SP1.Login), q(testenv.SP1.Secret), q(testenv.Access))
	if w.receiver != nil {
		fmt.Fprintf(&b, ", receiver: {addr: %q, login: %s, secret: %s}", w.receiver.Addr().String(), testenv.ReceiverLogin, testenv.ReceiverPW)
	}
	b.WriteString("}\n")
	return b.String()
}

// writeUpstreams writes the configuration's upstreams (one per carrier, the
// first the default route) and the gateway and authorization sections.
func writeUpstreams(b *strings.Builder, carriers []*carrier) {
	q := strconv.Quote
	b.WriteString("upstreams:\n")
	for _, c := range carriers {
		fmt.Fprintf(b, "  - {name: %s, protocol: %s, addr: %q, login: %s, secret: %s, window: 64, response_timeout: 3s, reconnect_min: 20ms, reconnect_max: 300ms, connect_timeout: 2s",
			c.name, c.proto, c.ln.Addr().String(), q(testenv.SMGLogin), q(testenv.SMGSecret))
		if len(c.routes) > 0 {
			fmt.Fprintf(b, ", routes: [%s]", strings.Join(c.routes, ", "))
		}
		if c.proto == codec.SMPP34 {
			fmt.Fprintf(b, ", smpp: {linkid_tag: %#x}", testenv.SMPPLinkIDTag)
		}
		if testenv.Dialect(c.proto).SplitConnections() {
			fmt.Fprintf(b, ", inbound: {addr: \"127.0.0.1:0\", login: %s, secret: %s}", testenv.InboundLogin, testenv.InboundSecret)
		}
		b.WriteString("}\n")
	}
	fmt.Fprintf(b, "routing: {default: %s}\n", carriers[0].name)
	b.WriteString("gateway: {event_loops: 2, login_timeout: 5s}\n")
	fmt.Fprintf(b, "authorization: {portal_number: %q, exempt_services: [FREE]}\n", testenv.Portal)
}

// deliveries is where the SP gets MO and reports: its client, or (SGIP)
// its receiver.
func (w *world) deliveries() <-chan sp.Delivery {
	if w.receiver != nil {
		return w.receiver.Deliveries()
	}
	return w.client.Deliveries()
}

// next waits for the SP's next delivery that matches keep.
func (w *world) next(what string, keep func(sp.Delivery) bool) sp.Delivery {
	w.t.Helper()
	d, ok := nextDelivery(w.deliveries(), keep)
	if !ok {
		w.t.Fatalf("no %s within %s", what, testenv.Wait)
	}
	return d
}

// nextDelivery waits up to testenv.Wait for the next delivery on ch that
// matches keep, passing over the others.
func nextDelivery(ch <-chan sp.Delivery, keep func(sp.Delivery) bool) (sp.Delivery, bool) {
	deadline := time.After(testenv.Wait)
	for {
		select {
		case d := <-ch:
			if keep(d) {
				return d, true
			}
		case <-deadline:
			return sp.Delivery{}, false
		}
	}
}

func (w *world) submit(m sp.MT) sp.SubmitResult {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	r, err := w.client.Submit(ctx, m)
	if err != nil {
		w.t.Fatalf("submit: %v", err)
	}
	return r
}

// number is how the SP's protocol writes a handset number.
func (w *world) number(n string) string { return testenv.Number(w.spProto, n) }

// reportID is what the SP's reports name a Submit by: its message id, or
// for SGIP its sequence.
func reportID(r sp.SubmitResult) []byte {
	if len(r.MsgID) > 0 {
		return r.MsgID
	}
	return r.SeqField
}
