// Package netfuzz fuzzes spsmg's connection handlers over the network: not
// the decoders alone, but whole byte streams written to
// a running gateway's listeners, where framing, login, the Submit path,
// closes and the event loops all take part.
//
//	input[0] % 5 ─▶ 0 CMPP 3.0, 1 SGIP, 2 SMGP, 4 SMPP 3.4: the SP listener
//	                3: the SGIP inbound listener (the SMG's type-2 binds)
//	input[1:]    ─▶ written to a fresh TCP connection whole, and to another
//	                in two writes (split at the middle), then EOF
//
// Each fuzz process starts its four gateways (and simulated SMGs) once.
// After every input both connections must be closed by the gateway once
// it reads EOF (a stuck loop would not); every checkEvery inputs, and when
// the target ends, a well-behaved SP must still log in and get an MT
// answered. A panic anywhere in the gateway kills the fuzz process, which
// the fuzzer reports with the input.
//
// Seeds: testdata/fuzz/FuzzConnection (valid logins and Submits of each
// protocol, truncated ones, bad lengths); SPSMG_WRITE_CORPUS=1 go test
// -run TestWriteSeeds regenerates them. CI runs the seeds with go test and
// fuzzes for a bounded time (test/Makefile.fragment).
package netfuzz

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// checkEvery is how many inputs pass between two health checks.
const checkEvery = 200

// targets are the listeners an input can go to, by input[0] % 5 (the
// order the seeds' first bytes name).
type target struct {
	name string
	w    *testenv.World
	addr string
}

// targetProtocols are the SP listeners' protocols, each at its target index.
var targetProtocols = map[codec.Protocol]int{codec.CMPP30: 0, codec.SGIP: 1, codec.SMGP30: 2, codec.SMPP34: 4}

// inboundTarget is the SGIP inbound listener's target index.
const inboundTarget = 3

func startTargets(tb testing.TB) []target {
	ts := make([]target, len(targetProtocols)+1)
	for p, i := range targetProtocols {
		w := testenv.NewWorld(tb, testenv.Options{Proto: p,
			Gateway: map[string]string{
				// The fuzzer's wrong passwords must not lock the health
				// check out (the lock-out is tested in test/security).
				"login_failures": "1000000000", "login_timeout": "2s",
			},
			Account: map[string]string{"allow_ips": "[127.0.0.0/8]"},
		})
		w.Start()
		ts[i] = target{name: p.String(), w: w, addr: w.SPAddr}
	}
	sgip := ts[targetProtocols[codec.SGIP]].w
	ts[inboundTarget] = target{name: "sgip inbound", w: sgip, addr: sgip.InboundAddr}
	return ts
}

var source atomic.Uint32

// nextSource spreads connections over many loopback addresses, so that
// TIME_WAIT never exhausts one address's ephemeral ports.
func nextSource() string {
	n := source.Add(1)
	return fmt.Sprintf("127.1.%d.%d", (n/250)%250, 1+n%250)
}

// feed writes stream to a fresh connection (in two writes when split > 0)
// and waits until the gateway has closed it after the EOF.
func feed(addr string, stream []byte, split int) error {
	c, err := testenv.DialFrom(nextSource(), addr, 5*time.Second)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer func() {
		_ = c.SetLinger(0) // both sides are done: no TIME_WAIT
		c.Close()
	}()
	if split > 0 && split < len(stream) {
		if _, err := c.Write(stream[:split]); err != nil {
			return nil // closed by the gateway already: fine
		}
		// Give the gateway a chance to read the first half on its own
		// (best effort: a read with a short deadline, answers discarded).
		_ = testenv.WaitClosed(c, time.Now().Add(time.Millisecond))
		stream = stream[split:]
	}
	if _, err := c.Write(stream); err != nil {
		return nil
	}
	_ = c.CloseWrite()
	if err := testenv.WaitClosed(c, time.Now().Add(10*time.Second)); err != nil {
		return fmt.Errorf("the gateway did not close the connection within 10 s of the EOF")
	}
	return nil
}

// healthy checks that the target's gateway still serves a well-behaved SP
// and holds no connection of the fuzzer any more.
func healthy(tg target) error {
	if _, err := tg.w.WellBehaved(15 * time.Second); err != nil {
		return fmt.Errorf("%s: a well-behaved SP is no longer served: %w", tg.name, err)
	}
	var open, want float64
	if !testenv.Poll(10*time.Second, func() bool {
		m, err := tg.w.Metrics()
		if err != nil {
			return false
		}
		// SGIP: the simulated SMG's own type-2 connection (it delivers
		// the reports of the fuzzer's Submits) is legitimately open.
		want = 0
		if tg.w.SMG.Stats().ReceiverUp {
			want = 1
		}
		open = m.Get("spsmg_connections_open")
		return open <= want
	}) {
		return fmt.Errorf("%s: %v connections still open after their peers left (want %v)", tg.name, open, want)
	}
	return nil
}

func FuzzConnection(f *testing.F) {
	targets := startTargets(f)
	var inputs atomic.Uint64
	f.Cleanup(func() {
		for i, tg := range targets {
			if i == inboundTarget {
				continue // its gateway is the SGIP target's
			}
			if err := healthy(tg); err != nil {
				f.Errorf("after %d inputs: %v", inputs.Load(), err)
			}
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		tg := targets[int(data[0])%len(targets)]
		stream := data[1:]
		if len(stream) == 0 {
			return
		}
		if err := feed(tg.addr, stream, 0); err != nil {
			t.Fatalf("%s, whole: %v", tg.name, err)
		}
		if err := feed(tg.addr, stream, len(stream)/2); err != nil {
			t.Fatalf("%s, split at %d: %v", tg.name, len(stream)/2, err)
		}
		if inputs.Add(1)%checkEvery == 0 {
			if err := healthy(tg); err != nil {
				t.Fatalf("after this input: %v", err)
			}
		}
	})
}
