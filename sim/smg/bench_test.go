package smg

import (
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/smgp"
)

// discardConn is a net.Conn that swallows writes: the Submit path without
// a socket.
type discardConn struct{ written int }

func (d *discardConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (d *discardConn) Write(b []byte) (int, error)      { d.written += len(b); return len(b), nil }
func (d *discardConn) Close() error                     { return nil }
func (d *discardConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (d *discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (d *discardConn) SetDeadline(time.Time) error      { return nil }
func (d *discardConn) SetReadDeadline(time.Time) error  { return nil }
func (d *discardConn) SetWriteDeadline(time.Time) error { return nil }

// submitFrames builds n pipelined one-recipient Submits for p.
func submitFrames(t testing.TB, p codec.Protocol, n int) []byte {
	c := newTClient(t, p, &discardConn{})
	var b []byte
	for range n {
		b = append(b, c.buildSubmit(submitSpec{dests: []string{"8613800138000"}, text: "hello, benchmark"})...)
	}
	return b
}

// TestSubmitPathAllocs guards the design goal: reading a batch of Submits
// and writing their responses allocates nothing.
func TestSubmitPathAllocs(t *testing.T) {
	for _, p := range testProtocols {
		t.Run(p.String(), func(t *testing.T) {
			s, err := New(Config{Protocol: p, Logger: quietLog})
			if err != nil {
				t.Fatal(err)
			}
			dc := &discardConn{}
			c := newConn(s, dc, false)
			c.loggedIn, c.account = true, testLogin
			frames := submitFrames(t, p, 100)
			allocs := testing.AllocsPerRun(50, func() {
				if n, err := c.batch(frames); n != len(frames) || err != nil {
					t.Fatalf("batch: %d of %d, %v", n, len(frames), err)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per batch of 100 Submits", allocs)
			}
			if st := s.Stats(); st.Submits != 51*100 || dc.written == 0 {
				t.Fatalf("stats %+v, %d bytes written", st, dc.written)
			}
		})
	}
}

// BenchmarkSubmitResp measures the simulator's own ceiling: one client
// pipelines one-recipient Submits over loopback with a window of 1024 and
// counts the responses. Client and server share the machine's cores.
//
//	go test -run '^$' -bench SubmitResp -benchtime 2000000x ./sim/smg/
func BenchmarkSubmitResp(b *testing.B) {
	for _, p := range testProtocols {
		b.Run(p.String(), func(b *testing.B) {
			benchSubmitResp(b, p, 1024, false)
		})
	}
}

// BenchmarkSubmitRespReport adds a status report to every Submit, which
// the client acknowledges (CMPP 3.0): the cost of the tracking machinery.
func BenchmarkSubmitRespReport(b *testing.B) {
	benchSubmitResp(b, codec.CMPP30, 1024, true)
}

func benchSubmitResp(b *testing.B, p codec.Protocol, window int, report bool) {
	const batch = 128
	s := startServer(b, p, func(c *Config) { c.SubmitLog = 0; c.ResendTimeout = time.Minute })
	c := dialClient(b, p, s.Addr())
	c.mustLogin(smgp.LoginModeTransmit)
	frame := c.buildSubmit(submitSpec{dests: []string{"8613800138000"}, text: "hello, benchmark", report: report})
	seqOff := 8 // CMPP/SMGP Sequence_Id; SGIP: the counter, last of the 12 bytes
	if p == codec.SGIP {
		seqOff = 16
	}
	var acked atomic.Int64
	wake := make(chan struct{}, 1)
	done := make(chan error, 1)
	total := b.N
	go func() {
		buf := make([]byte, 256<<10)
		acks := make([]byte, 0, 64<<10)
		w, n, reports := 0, 0, 0
		for n < total || reports < total && report {
			m, err := c.nc.Read(buf[w:])
			w += m
			off := 0
			for {
				k, _ := c.framer.Split(buf[off:w])
				if k == 0 {
					break
				}
				f := buf[off : off+k]
				off += k
				if binary.BigEndian.Uint32(f[4:]) == uint32(cmpp.CmdDeliver) {
					reports++
					acks = cmpp.AppendDeliverResp(acks, cmpp.V30, cmpp.SequenceOf(f), binary.BigEndian.Uint64(f[12:]), 0)
					continue
				}
				n++
			}
			w = copy(buf, buf[off:w])
			if len(acks) > 0 {
				if _, err := c.nc.Write(acks); err != nil {
					done <- err
					return
				}
				acks = acks[:0]
			}
			acked.Store(int64(n))
			select {
			case wake <- struct{}{}:
			default:
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	out := make([]byte, 0, batch*len(frame))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < total; {
		for sent-int(acked.Load()) > window-batch {
			<-wake
		}
		k := min(batch, total-sent)
		out = out[:0]
		for i := range k {
			out = append(out, frame...)
			binary.BigEndian.PutUint32(out[len(out)-len(frame)+seqOff:], uint32(sent+i))
		}
		if _, err := c.nc.Write(out); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
	if st := s.Stats(); st.Submits < uint64(total) {
		b.Fatalf("server answered %d of %d", st.Submits, total)
	}
	if report {
		waitStats(b, s, "reports acked", func(st Stats) bool { return st.ReportsAcked == uint64(total) && st.Pending == 0 })
	}
}
