// Package hostile throws hostile input at a running gateway over the
// network (docs/product.md §4, "malformed input"): random bytes, bad
// lengths, unknown commands, truncated bodies, absurd Submits, login
// floods, slowloris senders, idle connections, a client that never
// reads, one address opening every connection it can, and addresses no
// account allows. For every case it checks that the gateway answers with the
// protocol's error or a clean disconnect, counts it in a metric, logs it
// (boundedly), keeps its memory bounded, and keeps serving a well-behaved
// SP that is logged in meanwhile and new logins.
//
//	attacker (127.0.0.2…) ──▶ gateway (in process) ──▶ smg.Server
//	probe SP (127.0.0.1)  ──▶    │  one Submit every 20 ms, latency recorded
package hostile

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// Limits of the hostile world (small, so that each case is quick).
const (
	loginTimeout    = 1500 * time.Millisecond
	idleTimeout     = 2 * time.Second
	maxOutbound     = 256 << 10
	maxFrame        = 4096
	lockoutPeriod   = 3 * time.Second
	loginFailures   = 5
	attacker        = "127.0.0.2"
	probeMaxLatency = 5 * time.Second // answers to the well-behaved SP, on a loaded 2-core machine
)

// hworld is the gateway under attack, with the probe SP.
type hworld struct {
	*testenv.World
	t     *testing.T
	logs  *testenv.LogRecorder
	wire  testenv.Wire
	probe *probe
	// badAtSMG counts Submits with 0 or more than 100 recipients that
	// reached the simulated SMG (the probe's own Submits have 1).
	badAtSMG *atomic.Int64
}

func newHWorld(t *testing.T, p codec.Protocol) *hworld { return newHWorldWith(t, p, nil) }

// newHWorldWith is newHWorld with adjust applied to the world's options.
func newHWorldWith(t *testing.T, p codec.Protocol, adjust func(*testenv.Options)) *hworld {
	logs := testenv.NewLogRecorder()
	var bad atomic.Int64
	o := testenv.Options{Proto: p, Logs: logs,
		SMG: func(c *smg.Config) {
			c.OnSubmit = func(si smg.SubmitInfo) {
				if n := len(si.Recipients); n == 0 || n > 100 {
					bad.Add(1) // a Submit the gateway should have refused
				}
			}
		},
		// Attackers come from other loopback addresses than the probe, so
		// that the per-IP lock-out of one case does not spill into others.
		Account: map[string]string{"allow_ips": "[127.0.0.0/8]"},
		Gateway: map[string]string{
			"login_timeout": loginTimeout.String(), "idle_timeout": idleTimeout.String(),
			"max_outbound_bytes": fmt.Sprint(maxOutbound), "max_frame_size": fmt.Sprint(maxFrame),
			"login_failures": fmt.Sprint(loginFailures), "login_lockout": lockoutPeriod.String(),
		},
		ExtraAccounts: fmt.Sprintf("  - {id: sp2, login: %q, secret: %q, access_numbers: [\"10655999\"], allow_ips: [127.0.0.0/8]%s}\n",
			testenv.SP2.Login, testenv.SP2.Secret, receiverYAML(p)),
	}
	if adjust != nil {
		adjust(&o)
	}
	w := testenv.NewWorld(t, o)
	w.Start()
	h := &hworld{World: w, t: t, logs: logs, wire: testenv.NewWire(p), badAtSMG: &bad}
	h.probe = startProbe(t, w)
	return h
}

func receiverYAML(p codec.Protocol) string {
	if p == codec.SGIP {
		return ", receiver: {addr: \"127.0.0.1:1\"}"
	}
	return ""
}

// probe is a well-behaved SP that keeps sending while the attacks run.
type probe struct {
	mu         sync.Mutex
	sent, ok   int
	failures   []string
	maxLatency time.Duration
	stop       context.CancelFunc
	done       chan struct{}
}

func startProbe(t *testing.T, w *testenv.World) *probe {
	ctx, cancel := context.WithCancel(context.Background())
	cc := w.ClientConfig()
	cc.ResponseTimeout = 30 * time.Second
	c, err := sp.Dial(ctx, cc)
	if err != nil {
		t.Fatalf("probe SP login: %v", err)
	}
	pr := &probe{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(pr.done)
		defer c.Close()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		mt := sp.MT{SPNumber: testenv.Access, Users: []string{testenv.Number(w.Proto, testenv.User)}, ServiceCode: "FREE", Text: "probe"}
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			start := time.Now()
			r, err := c.Submit(ctx, mt)
			if ctx.Err() != nil {
				return
			}
			pr.mu.Lock()
			pr.sent++
			pr.maxLatency = max(pr.maxLatency, time.Since(start))
			switch {
			case err != nil:
				pr.failures = append(pr.failures, err.Error())
			case r.Result != 0:
				pr.failures = append(pr.failures, fmt.Sprintf("result %d", r.Result))
			default:
				pr.ok++
			}
			pr.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { pr.stop(); <-pr.done })
	return pr
}

func (pr *probe) snapshot() (sent, ok int, failures []string, maxLatency time.Duration) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.sent, pr.ok, append([]string(nil), pr.failures...), pr.maxLatency
}

// hcase is one hostile input.
type hcase struct {
	name string
	// attack runs the case; conns is the number of hostile connections it
	// opened (for the log budget).
	attack func(h *hworld) (conns int)
	// closes: connections_closed_total reasons that must grow, by at least.
	closes map[string]int
	// metrics: other series that must grow (key → at least).
	metrics map[string]float64
	// protocols it applies to (nil: all).
	only []codec.Protocol
	// framing: the case depends on the protocol's framing or layouts, so
	// it runs for every protocol; the others run for CMPP 3.0 only.
	framing bool
}

// send opens a connection from local, writes data, and waits until the
// gateway closes it or wait passes. It reports whether the gateway closed
// it.
func (h *hworld) send(local string, data []byte, wait time.Duration) bool {
	c, err := testenv.DialFrom(local, h.SPAddr, 5*time.Second)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_, _ = c.Write(data)
	return testenv.WaitClosed(c, time.Now().Add(wait)) == nil
}

// login opens a logged-in raw connection as sp1 from local.
func (h *hworld) login(local string) *net.TCPConn {
	h.t.Helper()
	a := testenv.SP1
	st, c, err := h.wire.RawLogin(local, h.SPAddr, a.Login, a.Secret)
	if err != nil || st != 0 {
		h.t.Fatalf("raw login: status %d, %v", st, err)
	}
	return c
}

// beforeLogin sends a Submit as the first frame of a connection: the
// gateway answers it with an error result and closes the connection.
func (h *hworld) beforeLogin(submit []byte) {
	c, err := testenv.DialFrom(attacker, h.SPAddr, 5*time.Second)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if res, ok := h.answer(c, submit); !ok || res == 0 {
		h.t.Errorf("a Submit before the login: answered %v with result %d, want an error result", ok, res)
	}
	if testenv.WaitClosed(c, time.Now().Add(testenv.Wait)) != nil {
		h.t.Error("a Submit before the login did not close the connection")
	}
}

// answer sends frame on c and returns the result of the answer.
func (h *hworld) answer(c net.Conn, frame []byte) (result uint32, ok bool) {
	if _, err := c.Write(frame); err != nil {
		return 0, false
	}
	f, err := h.wire.ReadFrame(c, time.Now().Add(testenv.Wait))
	if err != nil {
		return 0, false
	}
	v, err := h.wire.Parse(f)
	if err != nil {
		h.t.Errorf("the gateway's answer does not decode: %v (% x)", err, f)
		return 0, false
	}
	return v.Result, true
}

func (h *hworld) mt(dests int) testenv.RawMT {
	m := testenv.RawMT{SPNumber: testenv.Access, Service: "FREE", Content: []byte("hostile")}
	for i := 0; i < dests; i++ {
		m.Dests = append(m.Dests, testenv.Number(h.Proto, fmt.Sprintf("138%08d", i)))
	}
	return m
}

// closingOnUnknown: the protocols without a generic answer to a command
// they do not define close the connection on one (SMPP answers
// generic_nack).
var closingOnUnknown = []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30}

// countingRecipients: the protocols whose Submit carries a recipient count
// and a list; SMPP's submit_sm names one destination_addr (submit_multi is
// not served), so 255 recipients cannot be said in it.
var countingRecipients = []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30}

var cases = []hcase{
	{name: "random bytes", framing: true, attack: func(h *hworld) int {
		rng := rand.New(rand.NewPCG(7, uint64(len(h.Proto.String()))))
		for i := 0; i < 50; i++ {
			b := make([]byte, 1+rng.IntN(4096))
			for j := range b {
				b[j] = byte(rng.UintN(256))
			}
			h.send(attacker, b, 2*loginTimeout)
		}
		return 50
	}, closes: map[string]int{"protocol_error": 40}},

	{name: "length 0", framing: true, attack: func(h *hworld) int {
		if !h.send(attacker, make([]byte, 64), testenv.Wait) {
			h.t.Error("a zero Total_Length did not close the connection")
		}
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "length smaller than the header", framing: true, attack: func(h *hworld) int {
		b := binary.BigEndian.AppendUint32(nil, uint32(h.wire.HeaderLen()-1))
		b = append(b, make([]byte, 32)...)
		if !h.send(attacker, b, testenv.Wait) {
			h.t.Error("Total_Length below the header size did not close the connection")
		}
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "huge length, no body", framing: true, attack: func(h *hworld) int {
		for _, n := range []uint32{0xFFFFFFFF, 0x7FFFFFFF, maxFrame + 1} {
			// Closed on the 4 length bytes: the body is never waited
			// for (the metric says protocol_error, not login_timeout).
			if !h.send(attacker, binary.BigEndian.AppendUint32(nil, n), testenv.Wait) {
				h.t.Errorf("Total_Length %d: the connection was not closed", n)
			}
		}
		return 3
	}, closes: map[string]int{"protocol_error": 3}},

	{name: "oversized frame with its body", framing: true, attack: func(h *hworld) int {
		f := h.wire.Header(maxFrame+1000, 0x00000004, 1, make([]byte, maxFrame+1000-h.wire.HeaderLen()))
		if !h.send(attacker, f, testenv.Wait) {
			h.t.Error("an oversized frame did not close the connection")
		}
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "unknown command before login", framing: true, attack: func(h *hworld) int {
		if !h.send(attacker, h.wire.Header(uint32(h.wire.HeaderLen()), 0x0000ABCD, 1, nil), testenv.Wait) {
			h.t.Error("an unknown command did not close the connection")
		}
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "Submit before login", framing: true, attack: func(h *hworld) int {
		h.beforeLogin(h.wire.Submit(1, h.mt(1)))
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "malformed Submit before login", framing: true, attack: func(h *hworld) int {
		// A complete frame whose body is too short for a Submit: answered
		// and closed at once like a well-formed one, not left open until
		// login_timeout.
		h.beforeLogin(h.wire.Header(uint32(h.wire.HeaderLen()+30), submitCmd(h.Proto), 1, make([]byte, 30)))
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "unknown command after login", framing: true, only: closingOnUnknown, attack: func(h *hworld) int {
		c := h.login(attacker)
		defer c.Close()
		_, _ = c.Write(h.wire.Header(uint32(h.wire.HeaderLen()), 0x0000ABCD, 2, nil))
		if testenv.WaitClosed(c, time.Now().Add(testenv.Wait)) != nil {
			h.t.Error("an unknown command after login did not close the connection")
		}
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "unknown command after login answered generic_nack", framing: true, only: []codec.Protocol{codec.SMPP34}, attack: func(h *hworld) int {
		// SMPP answers a command it does not know with generic_nack
		// (ESME_RINVCMDID) and the session goes on.
		c := h.login(attacker)
		defer c.Close()
		if _, err := c.Write(h.wire.Header(uint32(h.wire.HeaderLen()), 0x0000ABCD, 2, nil)); err != nil {
			h.t.Fatal(err)
		}
		f, err := h.wire.ReadFrame(c, time.Now().Add(testenv.Wait))
		if err != nil {
			h.t.Fatalf("no answer to an unknown command: %v", err)
		}
		if cmd, st, seq := binary.BigEndian.Uint32(f[4:]), binary.BigEndian.Uint32(f[8:]), binary.BigEndian.Uint32(f[12:]); cmd != 0x80000000 || st != 0x03 || seq != 2 {
			h.t.Errorf("answered command_id %#x, command_status %#x, sequence %d; want generic_nack, ESME_RINVCMDID, 2", cmd, st, seq)
		}
		if res, ok := h.answer(c, h.wire.Submit(3, h.mt(1))); !ok || res != 0 {
			h.t.Errorf("the session after the generic_nack: Submit answered %v with %d", ok, res)
		}
		return 1
	}},

	{name: "login twice", framing: true, attack: func(h *hworld) int {
		c := h.login(attacker)
		defer c.Close()
		a := testenv.SP1
		_, _ = c.Write(h.wire.Login(2, a.Login, a.Secret))
		if testenv.WaitClosed(c, time.Now().Add(testenv.Wait)) != nil {
			h.t.Error("a second login on one connection did not close it")
		}
		return 1
	}, closes: map[string]int{"protocol_error": 1}},

	{name: "truncated login, then silence", framing: true, attack: func(h *hworld) int {
		a := testenv.SP1
		f := h.wire.Login(1, a.Login, a.Secret)
		if !h.send(attacker, f[:len(f)-5], loginTimeout+5*time.Second) {
			h.t.Error("a truncated login was not closed by the login timeout")
		}
		return 1
	}, closes: map[string]int{"login_timeout": 1}},

	{name: "truncated body in a complete frame", framing: true, attack: func(h *hworld) int {
		// The header says 30 body bytes and they are all there, but a
		// Submit needs more: the PDU is truncated, the frame is not.
		c := h.login(attacker)
		defer c.Close()
		f := h.wire.Header(uint32(h.wire.HeaderLen()+30), submitCmd(h.Proto), 2, make([]byte, 30))
		if res, ok := h.answer(c, f); !ok || res == 0 {
			h.t.Errorf("truncated Submit: answered %v with result %d, want an error result", ok, res)
		}
		if res, ok := h.answer(c, h.wire.Submit(3, h.mt(1))); !ok || res != 0 {
			h.t.Errorf("the connection is unusable after a truncated Submit: %v %d", ok, res)
		}
		return 1
	}, metrics: map[string]float64{testenv.Key("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", "malformed"): 1}},

	{name: "Submit with 0 recipients", framing: true, attack: func(h *hworld) int {
		c := h.login(attacker)
		defer c.Close()
		before := h.badAtSMG.Load()
		want := h.Cfg.Results.Table(h.Proto.Family()).Result(reason.NoRecipients)
		if res, ok := h.answer(c, h.wire.Submit(2, h.mt(0))); !ok || res != want {
			h.t.Errorf("0 recipients: answered %v with result %d, want no_recipients %d", ok, res, want)
		}
		if h.badAtSMG.Load() != before {
			h.t.Error("a Submit with 0 recipients reached the SMG")
		}
		return 1
	}, metrics: map[string]float64{testenv.Key("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", "no_recipients"): 1}},

	{name: "Submit with 255 recipients", framing: true, only: countingRecipients, attack: func(h *hworld) int {
		// Above max_frame_size in every protocol: closed on the length.
		c := h.login(attacker)
		defer c.Close()
		_, _ = c.Write(h.wire.Submit(2, h.mt(255)))
		if testenv.WaitClosed(c, time.Now().Add(testenv.Wait)) != nil {
			h.t.Error("a 255-recipient Submit above max_frame_size did not close the connection")
		}
		// With a frame limit that lets it through, the decoder refuses
		// it (1–100 recipients) and the SP gets an error result.
		next := *h.Cfg
		next.Gateway.MaxFrameSize = 16 << 10
		if err := h.GW.Reload(&next); err != nil {
			h.t.Fatal(err)
		}
		defer h.GW.Reload(h.Cfg)
		c2 := h.login(attacker)
		defer c2.Close()
		before := h.badAtSMG.Load()
		want := h.Cfg.Results.Table(h.Proto.Family()).Result(reason.TooManyRecipients)
		if res, ok := h.answer(c2, h.wire.Submit(2, h.mt(255))); !ok || res != want {
			h.t.Errorf("255 recipients within the frame limit: answered %v with result %d, want too_many_recipients %d", ok, res, want)
		}
		if h.badAtSMG.Load() != before {
			h.t.Error("a Submit with 255 recipients reached the SMG")
		}
		return 2
	}, closes: map[string]int{"protocol_error": 1},
		metrics: map[string]float64{testenv.Key("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", reason.TooManyRecipients.String()): 1}},

	{name: "oversized content", framing: true, attack: func(h *hworld) int {
		c := h.login(attacker)
		defer c.Close()
		// 255 bytes, the most a one-byte length can say: structurally
		// valid, so it is authorized and forwarded; it must be answered.
		m := h.mt(1)
		m.Content = make([]byte, 255)
		if _, ok := h.answer(c, h.wire.Submit(2, m)); !ok {
			h.t.Error("a Submit with 255 content bytes got no answer")
		}
		// A content length that runs past the end of the frame.
		f := h.wire.Submit(3, h.mt(1))
		f = f[:len(f)-10]
		binary.BigEndian.PutUint32(f, uint32(len(f)))
		if res, ok := h.answer(c, f); !ok || res == 0 {
			h.t.Errorf("content running past the frame: answered %v with result %d, want an error result", ok, res)
		}
		return 1
	}, metrics: map[string]float64{testenv.Key("spsmg_mt_decisions_total", "sp", "sp1", "result", "refuse", "reason", "malformed"): 1}},

	{name: "login flood with wrong passwords", attack: func(h *hworld) int {
		// One attacker IP, one real account and many invented ones.
		sp2 := testenv.SP2
		var statuses []uint32
		for i := 0; i < 60; i++ {
			login := sp2.Login
			if i%2 == 1 {
				login = fmt.Sprintf("%d", 700000+i)
			}
			st, c, err := h.wire.RawLogin("127.0.0.3", h.SPAddr, login, "wrong-password")
			if err != nil {
				h.t.Fatalf("login %d: %v", i, err)
			}
			if c != nil {
				c.Close()
				h.t.Fatalf("a wrong password logged in")
			}
			statuses = append(statuses, st)
		}
		// After 5 failures the IP is locked for every account (the
		// per-account lock-out, reached from several IPs, is tested in
		// test/security); other IPs are not affected (the probe and the
		// well-behaved SP below).
		a := testenv.SP1
		if st, c, _ := h.wire.RawLogin("127.0.0.3", h.SPAddr, a.Login, a.Secret); st == 0 {
			c.Close()
			h.t.Error("the flooding IP could log in (as sp1) while locked out")
		}
		h.t.Logf("statuses of the 60 refused logins: first %v … last %v", statuses[:6], statuses[len(statuses)-3:])
		return 62
	}, closes: map[string]int{"login_failed": 60},
		metrics: map[string]float64{
			testenv.Key("spsmg_login_failures_total", "status", "bad_credentials"): 1,
			testenv.Key("spsmg_login_failures_total", "status", "locked_out"):      40,
		}},

	{name: "slowloris before login", attack: func(h *hworld) int {
		// 20 senders dribble a valid login, one byte every 100 ms: the
		// login timeout closes them all.
		a := testenv.SP1
		f := h.wire.Login(1, a.Login, a.Secret)
		var wg sync.WaitGroup
		closed := make(chan bool, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := testenv.DialFrom(attacker, h.SPAddr, 5*time.Second)
				if err != nil {
					closed <- false
					return
				}
				defer c.Close()
				for _, b := range f[:len(f)-1] {
					if _, err := c.Write([]byte{b}); err != nil {
						closed <- true
						return
					}
					if testenv.WaitClosed(c, time.Now().Add(100*time.Millisecond)) == nil {
						closed <- true
						return
					}
				}
				closed <- testenv.WaitClosed(c, time.Now().Add(testenv.Wait)) == nil
			}()
		}
		wg.Wait()
		close(closed)
		for ok := range closed {
			if !ok {
				h.t.Error("a slowloris sender was not closed")
			}
		}
		return 20
	}, closes: map[string]int{"login_timeout": 20}},

	{name: "slowloris after login", attack: func(h *hworld) int {
		// Logged in, then a Submit one byte every 100 ms: a partial frame
		// is not activity, so the idle timeout closes the connection.
		c := h.login(attacker)
		defer c.Close()
		f := h.wire.Submit(2, h.mt(1))
		for _, b := range f {
			if _, err := c.Write([]byte{b}); err != nil {
				return 1
			}
			if testenv.WaitClosed(c, time.Now().Add(100*time.Millisecond)) == nil {
				return 1
			}
		}
		h.t.Error("a logged-in slowloris sender was not closed by the idle timeout")
		return 1
	}, closes: map[string]int{"idle": 1}},

	{name: "client that never reads", attack: func(h *hworld) int {
		// Submits refused at once (foreign source number), responses never
		// read: the output to this peer passes max_outbound_bytes and the
		// gateway closes it as a slow consumer. As sp2: its flood uses up
		// sp2's TPS, not the probe's (sp1).
		a := testenv.SP2
		st, c, err := h.wire.RawLogin(attacker, h.SPAddr, a.Login, a.Secret)
		if err != nil || st != 0 {
			h.t.Fatalf("sp2 login: %d %v", st, err)
		}
		defer c.Close()
		_ = c.SetReadBuffer(4096)
		m := h.mt(1)
		m.SPNumber = "10699999"
		var batch []byte
		for i := 0; i < 200; i++ {
			batch = append(batch, h.wire.Submit(uint32(i+2), m)...)
		}
		deadline := time.Now().Add(30 * time.Second)
		var wrote int
		heap := newHeapWatch()
		defer heap.stop()
		for time.Now().Before(deadline) {
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			n, err := c.Write(batch)
			wrote += n
			if err != nil {
				if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
					continue // our send buffer stayed full for a second: write again
				}
				break // closed by the gateway
			}
		}
		peak := heap.stop()
		h.t.Logf("wrote %d MB of Submits without reading before the gateway closed the connection; process heap peak +%d KB",
			wrote>>20, peak>>10)
		return 1
	}, closes: map[string]int{"slow_consumer": 1}},
}

func submitCmd(p codec.Protocol) uint32 {
	switch p.Family().String() {
	case "sgip":
		return 0x3
	case "smgp":
		return 0x2
	}
	return 0x4
}

// heapWatch samples the heap while a case runs and reports the peak above
// the level at its start.
type heapWatch struct {
	base, peak uint64
	quit, done chan struct{}
	once       sync.Once
}

func newHeapWatch() *heapWatch {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	hw := &heapWatch{base: ms.HeapAlloc, peak: ms.HeapAlloc, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(hw.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-hw.quit:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				hw.peak = max(hw.peak, ms.HeapAlloc)
			}
		}
	}()
	return hw
}

func (hw *heapWatch) stop() uint64 {
	hw.once.Do(func() { close(hw.quit); <-hw.done })
	if hw.peak < hw.base {
		return 0
	}
	return hw.peak - hw.base
}

func TestHostileInput(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP30, codec.SGIP, codec.SMGP30, codec.SMPP34} {
		t.Run(p.String(), func(t *testing.T) { runHostile(t, p) })
	}
}

func runHostile(t *testing.T, p codec.Protocol) {
	h := newHWorld(t, p)
	bugs := testenv.NewBugs(t)
	defer bugs.Done()
	base := testenv.SampleRuntime()
	var logCosts []string
	for _, c := range cases {
		if c.only != nil && !contains(c.only, p) {
			continue
		}
		if p != codec.CMPP30 && !c.framing {
			continue // protocol-independent paths (timers, limits): once is enough
		}
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			before := h.MustMetrics()
			mark := h.logs.Mark()
			start := time.Now()
			conns := c.attack(h)
			// Counted: the metrics say what happened.
			var after testenv.Metrics
			ok := testenv.Poll(testenv.Wait, func() bool {
				after = h.MustMetrics()
				for reason, n := range c.closes {
					k := testenv.Key("spsmg_connections_closed_total", "reason", reason)
					if after[k]-before[k] < float64(n) {
						return false
					}
				}
				for k, n := range c.metrics {
					if after[k]-before[k] < n {
						return false
					}
				}
				return true
			})
			diff := testenv.Diff(before, after, "spsmg_")
			delete(diff, "spsmg_packets_total")
			if !ok {
				t.Errorf("metrics did not count the case: want closes %v and %v, changed: %v", c.closes, c.metrics, filter(diff))
			}
			// Logged, boundedly: the gateway's limiter lets each kind of
			// line pass 10 at once, then one a second (proxy/ratelog.go).
			elapsed := time.Since(start)
			kinds := h.logs.Summary(mark)
			delete(kinds, "SP logged in")
			delete(kinds, "configuration reloaded")
			lines := 0
			for msg, n := range kinds {
				lines += n
				if budget := 10 + int(elapsed/time.Second) + 1; n > budget {
					bugs.Report("logs-not-rate-limited", "%s: %d lines %q in %v for %d hostile connections (budget %d)",
						c.name, n, msg, elapsed.Round(time.Millisecond), conns, budget)
				}
			}
			logCosts = append(logCosts, fmt.Sprintf("%s: %d lines for %d connections", c.name, lines, conns))
			// Still serving.
			if d, err := h.WellBehaved(testenv.Wait); err != nil {
				t.Errorf("a well-behaved SP cannot log in and send after %q: %v", c.name, err)
			} else if d > probeMaxLatency {
				t.Errorf("a well-behaved SP needed %v to log in and send after %q", d, c.name)
			}
			// Back to the connections it had: nothing half-open lingers.
			testenv.Eventually(t, testenv.Wait, "the hostile connections are gone", func() bool {
				return h.MustMetrics().Get("spsmg_connections_open") <= 1 // the probe
			})
		})
	}
	h.t = t
	// Locked-out IPs and accounts are forgotten after the period.
	testenv.Eventually(t, 2*lockoutPeriod+5*time.Second, "the lock-out ends", func() bool {
		a := testenv.SP2
		st, c, err := h.wire.RawLogin("127.0.0.3", h.SPAddr, a.Login, a.Secret)
		if c != nil {
			c.Close()
		}
		return err == nil && st == 0
	})

	sent, okCount, failures, maxLat := h.probe.snapshot()
	t.Logf("%s probe SP during the attacks: %d Submits, %d answered 0, max latency %v", p, sent, okCount, maxLat.Round(time.Millisecond))
	if len(failures) > 0 {
		t.Errorf("the well-behaved SP's Submits failed during the attacks: %v", failures[:min(len(failures), 5)])
	}
	if maxLat > probeMaxLatency {
		t.Errorf("the well-behaved SP waited up to %v for an answer during the attacks", maxLat)
	}
	after := testenv.SettleRuntime(base.Goroutines+3, base.HeapBytes+8<<20, testenv.Wait)
	t.Logf("%s process after all cases: goroutines %d → %d, heap objects %d KB → %d KB", p,
		base.Goroutines, after.Goroutines, base.HeapBytes>>10, after.HeapBytes>>10)
	if after.Goroutines > base.Goroutines+3 {
		t.Errorf("goroutines grew from %d to %d", base.Goroutines, after.Goroutines)
	}
	if after.HeapBytes > base.HeapBytes+8<<20 {
		t.Errorf("heap objects grew from %d KB to %d KB", base.HeapBytes>>10, after.HeapBytes>>10)
	}
	t.Logf("%s log lines per case: %s", p, strings.Join(logCosts, "; "))
}

func contains(ps []codec.Protocol, p codec.Protocol) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func filter(d map[string]float64) []string {
	var out []string
	for k, v := range d {
		if strings.HasPrefix(k, "spsmg_connections") || strings.HasPrefix(k, "spsmg_login") || strings.HasPrefix(k, "spsmg_mt_decisions") || strings.HasPrefix(k, "spsmg_events") {
			out = append(out, fmt.Sprintf("%s+%v", k, v))
		}
	}
	sort.Strings(out)
	return out
}
