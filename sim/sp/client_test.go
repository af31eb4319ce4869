package sp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/sp"
)

// allProtocols are the variants the fake speaks.
var allProtocols = []codec.Protocol{codec.SGIP, codec.CMPP20, codec.CMPP21, codec.CMPP30, codec.SMGP30, codec.SMGP13}

// msgIDLen is the length of SubmitResult.MsgID / Delivery.ReportMsgID.
func msgIDLen(p codec.Protocol) int {
	switch p.Family().String() {
	case "cmpp":
		return 8
	case "smgp":
		return 10
	}
	return 12
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, f *fake, mod func(*sp.ClientConfig)) *sp.Client {
	t.Helper()
	cfg := sp.ClientConfig{Protocol: f.proto, Addr: f.addr(), Login: testLogin, Secret: testSecret}
	if mod != nil {
		mod(&cfg)
	}
	c, err := sp.Dial(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("Dial %s: %v", f.proto, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLogin(t *testing.T) {
	authError := map[string]uint32{"cmpp": 3, "smgp": 21, "sgip": 1}
	for _, p := range allProtocols {
		t.Run(p.String()+"/accepted", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, nil)
			f.conn(t)
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if errs := c.ProtocolErrors(); len(errs) > 0 {
				t.Errorf("protocol errors: %v", errs)
			}
		})
		t.Run(p.String()+"/wrong secret surfaces the exact status", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			_, err := sp.Dial(testCtx(t), sp.ClientConfig{Protocol: p, Addr: f.addr(), Login: testLogin, Secret: "wrong"})
			var le *sp.LoginError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LoginError", err)
			}
			if le.Status != authError[p.Family().String()] || le.Protocol != p {
				t.Errorf("LoginError = %+v, want status %d", le, authError[p.Family().String()])
			}
		})
		t.Run(p.String()+"/custom refusal code", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{refuseStatus: 77})
			_, err := sp.Dial(testCtx(t), sp.ClientConfig{Protocol: p, Addr: f.addr(), Login: testLogin, Secret: "wrong"})
			var le *sp.LoginError
			if !errors.As(err, &le) || le.Status != 77 {
				t.Fatalf("err = %v, want status 77", err)
			}
		})
	}
	t.Run("unknown protocol", func(t *testing.T) {
		_, err := sp.Dial(context.Background(), sp.ClientConfig{Protocol: codec.ProtocolUnknown, Addr: "127.0.0.1:1"})
		if !errors.Is(err, sp.ErrBadConfig) {
			t.Errorf("err = %v, want ErrBadConfig", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		addr := f.addr()
		f.close()
		if _, err := sp.Dial(testCtx(t), sp.ClientConfig{Protocol: codec.CMPP30, Addr: addr}); err == nil {
			t.Error("Dial succeeded")
		}
	})
}

func TestSubmit(t *testing.T) {
	for _, p := range allProtocols {
		t.Run(p.String(), func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, nil)
			ctx := testCtx(t)
			mt := sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, ServiceCode: "HELP",
				LinkID: "LINK0001", Text: "你好 hello", NeedReport: true, CorpID: "12345"}
			var prev uint32
			for i, want := range []uint32{0, refusedResult, 0} {
				m := mt
				if want == refusedResult {
					m.Users = []string{refusedUser}
				}
				res, err := c.Submit(ctx, m)
				if err != nil {
					t.Fatalf("Submit %d: %v", i, err)
				}
				if res.Result != want {
					t.Errorf("Submit %d: result %d, want %d", i, res.Result, want)
				}
				rec := f.recorded()[i]
				if res.Seq != rec.seq {
					t.Errorf("Submit %d: SubmitResult.Seq %d, the fake saw %d", i, res.Seq, rec.seq)
				}
				if i > 0 && res.Seq == prev {
					t.Errorf("sequence %d reused", res.Seq)
				}
				prev = res.Seq
				if len(res.MsgID) != msgIDLen(p) || !bytes.Equal(res.MsgID, rec.msgID) {
					t.Errorf("MsgID %x, want %x", res.MsgID, rec.msgID)
				}
				if res.Latency <= 0 {
					t.Errorf("Latency %v", res.Latency)
				}
				if rec.spNumber != "10655123" || rec.service != "HELP" || rec.linkID != "LINK0001" ||
					rec.text != "你好 hello" || !rec.needReport || !slices.Equal(rec.users, m.Users) {
					t.Errorf("the fake saw %+v", rec)
				}
			}
			if errs := c.ProtocolErrors(); len(errs) > 0 {
				t.Errorf("protocol errors: %v", errs)
			}
		})
	}
}

func TestSubmitChecksTheResponse(t *testing.T) {
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String()+"/wrong sequence is not taken as the answer", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{badSeq: true})
			c := dial(t, f, func(c *sp.ClientConfig) { c.ResponseTimeout = 300 * time.Millisecond })
			_, err := c.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, Text: "x"})
			if !errors.Is(err, sp.ErrTimeout) {
				t.Errorf("err = %v, want ErrTimeout", err)
			}
			errs := c.ProtocolErrors()
			if len(errs) != 1 || !errors.Is(errs[0], sp.ErrUnknownSequence) {
				t.Errorf("ProtocolErrors = %v, want one ErrUnknownSequence", errs)
			}
		})
		t.Run(p.String()+"/wrong command is an error", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{wrongCmd: true})
			c := dial(t, f, nil)
			_, err := c.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, Text: "x"})
			if !errors.Is(err, sp.ErrUnexpectedResponse) {
				t.Errorf("err = %v, want ErrUnexpectedResponse", err)
			}
		})
	}
	t.Run("bad MT", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		c := dial(t, f, nil)
		if _, err := c.Submit(testCtx(t), sp.MT{Text: "no users"}); !errors.Is(err, sp.ErrBadMT) {
			t.Errorf("err = %v, want ErrBadMT", err)
		}
	})
}

func TestSubmitAsyncPipelined(t *testing.T) {
	const n = 200
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP21, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			// The fake holds 50 answers and sends them in reverse order.
			f := newFake(t, p, fakeConfig{hold: 50})
			c := dial(t, f, nil)
			ctx := testCtx(t)
			type got struct {
				i   int
				res sp.SubmitResult
				err error
			}
			results := make(chan got, n)
			for i := range n {
				user := "13800138000"
				if i%3 == 0 {
					user = refusedUser
				}
				err := c.SubmitAsync(ctx, sp.MT{SPNumber: "10655123", Users: []string{user}, Text: fmt.Sprint(i)},
					func(r sp.SubmitResult, err error) { results <- got{i, r, err} })
				if err != nil {
					t.Fatal(err)
				}
			}
			bySeq := make(map[uint32]submitRec)
			seen := make(map[uint32]bool)
			for range n {
				var g got
				select {
				case g = <-results:
				case <-ctx.Done():
					t.Fatal("results missing")
				}
				if g.err != nil {
					t.Fatalf("submit %d: %v", g.i, g.err)
				}
				if len(bySeq) == 0 {
					for _, r := range f.recorded() {
						bySeq[r.seq] = r
					}
				}
				if seen[g.res.Seq] {
					t.Fatalf("sequence %d answered twice", g.res.Seq)
				}
				seen[g.res.Seq] = true
				want := uint32(0)
				if g.i%3 == 0 {
					want = refusedResult
				}
				if g.res.Result != want {
					t.Errorf("submit %d: result %d, want %d", g.i, g.res.Result, want)
				}
				if rec, ok := bySeq[g.res.Seq]; ok && rec.text != fmt.Sprint(g.i) {
					t.Errorf("submit %d came back with the answer to %q", g.i, rec.text)
				}
			}
			if f.maxPending.Load() != 50 {
				t.Errorf("the fake held at most %d, want 50: not pipelined", f.maxPending.Load())
			}
		})
	}
	t.Run("window blocks the caller", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{hold: 4})
		c := dial(t, f, func(c *sp.ClientConfig) { c.Window = 4 })
		ctx := testCtx(t)
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			if err := c.SubmitAsync(ctx, sp.MT{Users: []string{"13800138000"}, Text: "w"},
				func(sp.SubmitResult, error) { wg.Done() }); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if v := f.violations.Load(); v != 0 || f.maxPending.Load() > 4 {
			t.Errorf("window exceeded: %d times, max pending %d", v, f.maxPending.Load())
		}
	})
}

func TestDeliveries(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP20, codec.CMPP30, codec.SMGP30, codec.SMGP13} {
		t.Run(p.String()+"/MO and report acknowledged and surfaced", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, nil)
			fc := f.conn(t)
			res, err := c.Submit(testCtx(t), sp.MT{SPNumber: "10655123", Users: []string{"13800138000"}, Text: "hi", NeedReport: true})
			if err != nil {
				t.Fatal(err)
			}
			mo, moSeq, moID := fc.moFrame("13800138000", "10655123001", "DZ HELP", "LNK12345")
			rep, repSeq := fc.reportFrame(res.MsgID, "13800138000", "DELIVRD")
			fc.write(append(mo, rep...))

			if a := fc.ack(t); a.seq != moSeq || a.result != 0 || !bytes.Equal(a.msgID, moID) {
				t.Errorf("MO ack %+v, want seq %d msgID %x result 0", a, moSeq, moID)
			}
			if a := fc.ack(t); a.seq != repSeq || a.result != 0 {
				t.Errorf("report ack %+v, want seq %d", a, repSeq)
			}
			d := <-c.Deliveries()
			if d.IsReport || d.User != "13800138000" || d.SPNumber != "10655123001" || d.Text != "DZ HELP" ||
				d.LinkID != "LNK12345" || !d.Acked || d.Seq != moSeq || !bytes.Equal(d.MsgID, moID) {
				t.Errorf("MO delivery %+v", d)
			}
			d = <-c.Deliveries()
			if !d.IsReport || d.Stat != "DELIVRD" || d.User != "13800138000" || !bytes.Equal(d.ReportMsgID, res.MsgID) {
				t.Errorf("report delivery %+v, want ReportMsgID %x", d, res.MsgID)
			}
		})
		t.Run(p.String()+"/configured result", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, func(c *sp.ClientConfig) { c.DeliverResult = 9 })
			fc := f.conn(t)
			mo, _, _ := fc.moFrame("13800138000", "10655123", "x", "")
			fc.write(mo)
			if a := fc.ack(t); a.result != 9 {
				t.Errorf("ack result %d, want 9", a.result)
			}
			if d := <-c.Deliveries(); d.AckResult != 9 || d.LinkID != "" {
				t.Errorf("delivery %+v", d)
			}
		})
		t.Run(p.String()+"/no ack", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, func(c *sp.ClientConfig) { c.NoDeliverAck = true })
			fc := f.conn(t)
			mo, _, _ := fc.moFrame("13800138000", "10655123", "x", "")
			fc.write(mo)
			// The client handles frames in order: once the Active_Test after
			// the MO is answered, an ack would have been sent already.
			seq := fc.sendActiveTest()
			if got := <-fc.active; got != seq {
				t.Errorf("Active_Test_Resp seq %d, want %d", got, seq)
			}
			select {
			case a := <-fc.acks:
				t.Errorf("got ack %+v with NoDeliverAck", a)
			default:
			}
			if d := <-c.Deliveries(); d.Acked {
				t.Errorf("delivery says acked")
			}
		})
	}
	t.Run("Ack hook decides per delivery", func(t *testing.T) {
		f := newFake(t, codec.CMPP30, fakeConfig{})
		c := dial(t, f, func(c *sp.ClientConfig) {
			c.Ack = func(d sp.Delivery) (uint32, bool) { return 0, d.Text != "drop" }
		})
		fc := f.conn(t)
		a, _, _ := fc.moFrame("13800138000", "10655123", "drop", "")
		b, bSeq, _ := fc.moFrame("13800138000", "10655123", "keep", "")
		fc.write(append(a, b...))
		if got := fc.ack(t); got.seq != bSeq {
			t.Errorf("acked seq %d, want only %d", got.seq, bSeq)
		}
		for range 2 {
			<-c.Deliveries()
		}
	})
}

func TestActiveTest(t *testing.T) {
	for _, p := range []codec.Protocol{codec.CMPP20, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String(), func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, nil)
			fc := f.conn(t)
			if err := c.ActiveTest(testCtx(t)); err != nil {
				t.Errorf("ActiveTest: %v", err)
			}
			seq := fc.sendActiveTest()
			if got := <-fc.active; got != seq {
				t.Errorf("the client answered the fake's Active_Test with seq %d, want %d", got, seq)
			}
		})
	}
	t.Run("sgip has none", func(t *testing.T) {
		f := newFake(t, codec.SGIP, fakeConfig{})
		c := dial(t, f, nil)
		if err := c.ActiveTest(testCtx(t)); !errors.Is(err, sp.ErrNoActiveTest) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestClose(t *testing.T) {
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP30, codec.SMGP30} {
		t.Run(p.String()+"/logout answered", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{})
			c := dial(t, f, nil)
			fc := f.conn(t)
			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			select {
			case <-fc.logout:
			case <-time.After(5 * time.Second):
				t.Error("the fake saw no logout")
			}
			if err := c.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := c.Submit(testCtx(t), sp.MT{Users: []string{"1"}}); !errors.Is(err, sp.ErrClosed) {
				t.Errorf("Submit after Close: %v", err)
			}
			if c.Err() != nil {
				t.Errorf("Err after clean Close: %v", c.Err())
			}
		})
		t.Run(p.String()+"/peer logout", func(t *testing.T) {
			f := newFake(t, p, fakeConfig{hold: 1000, holdIdle: time.Minute})
			c := dial(t, f, nil)
			fc := f.conn(t)
			errc := make(chan error, 1)
			if err := c.SubmitAsync(testCtx(t), sp.MT{Users: []string{"13800138000"}, Text: "held"},
				func(_ sp.SubmitResult, err error) { errc <- err }); err != nil {
				t.Fatal(err)
			}
			for len(f.recorded()) == 0 {
				select {
				case <-fc.done:
					t.Fatal("fake ended")
				case <-time.After(time.Millisecond):
				}
			}
			fc.sendLogout()
			<-c.Done()
			if !errors.Is(c.Err(), sp.ErrPeerLogout) {
				t.Errorf("Err = %v, want ErrPeerLogout", c.Err())
			}
			if err := <-errc; !errors.Is(err, sp.ErrClosed) {
				t.Errorf("pending submit: %v, want ErrClosed", err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close after peer logout: %v", err)
			}
			if _, ok := <-c.Deliveries(); ok {
				t.Error("Deliveries not closed")
			}
		})
	}
}

// TestSubmitAsyncWhileTheConnectionDrops sends Submits from several
// goroutines while the peer drops the connection at the first one: each
// Submit that SubmitAsync took gets its done exactly once, with ErrClosed.
// Under the race detector it also checks that the reader, failing the
// pending Submits, never reads a call that request is still filling in
// (the response timer used to be armed after the call was published).
func TestSubmitAsyncWhileTheConnectionDrops(t *testing.T) {
	const senders = 8
	for round := range 40 {
		f := newFake(t, codec.CMPP30, fakeConfig{closeAfter: 1, hold: 1 << 20, holdIdle: time.Minute})
		c := dial(t, f, nil)
		var (
			wg            sync.WaitGroup
			mu            sync.Mutex
			taken, called int
			wrong         []error
		)
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					err := c.SubmitAsync(testCtx(t), sp.MT{Users: []string{"13800138000"}, Text: "x"}, func(_ sp.SubmitResult, err error) {
						mu.Lock()
						defer mu.Unlock()
						called++
						if !errors.Is(err, sp.ErrClosed) {
							wrong = append(wrong, err)
						}
					})
					if err != nil {
						return
					}
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		<-c.Done()
		mu.Lock()
		if called != taken || len(wrong) > 0 {
			t.Fatalf("round %d: %d Submits taken, done called %d times, errors other than ErrClosed: %v", round, taken, called, wrong)
		}
		mu.Unlock()
	}
}
