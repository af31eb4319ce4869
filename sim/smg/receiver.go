package smg

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Receiver connection timing (SGIP type 2).
const (
	receiverDialTimeout = 5 * time.Second
	receiverBackoffMin  = 20 * time.Millisecond
	receiverBackoffMax  = time.Second
)

// wakeReceiver asks the receiver loop to (re)connect. Any goroutine.
func (s *Server) wakeReceiver() {
	if !s.d.SplitConnections() {
		return
	}
	select {
	case s.rxWake <- struct{}{}:
	default:
	}
}

// receiverLoop keeps the SGIP type-2 connection to ReceiverAddr while
// there is something to deliver: it dials and binds (Login Type 2) when
// woken and Delivers are pending, with a growing pause after failures
// (docs/protocols/sgip12.md §2: "keep-alive = reconnect + re-Bind when needed").
func (s *Server) receiverLoop() {
	defer s.wg.Done()
	if s.cfg.ReceiverAddr == "" {
		<-s.quit
		return
	}
	pause := receiverBackoffMin
	for {
		select {
		case <-s.quit:
			return
		case <-s.rxWake:
		}
		for {
			s.mu.Lock()
			up := s.rx != nil
			s.mu.Unlock()
			if up || s.trk.len() == 0 {
				break
			}
			err := s.dialReceiver()
			if err == nil {
				pause = receiverBackoffMin
				s.trk.wakeUp()
				break
			}
			s.st.receiverFailures.Add(1)
			s.log.Debug("smg: SGIP receiver connection failed", "addr", s.cfg.ReceiverAddr, "err", err, "retry_in", pause)
			select {
			case <-s.quit:
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, receiverBackoffMax)
		}
	}
}

// dialReceiver connects to ReceiverAddr, binds with Login Type 2 and
// serves the connection on a new goroutine.
func (s *Server) dialReceiver() error {
	nc, err := net.DialTimeout("tcp", s.cfg.ReceiverAddr, receiverDialTimeout)
	if err != nil {
		return err
	}
	if err := s.bindReceiver(nc); err != nil {
		_ = nc.Close()
		return err
	}
	c := newConn(s, nc, true)
	c.loggedIn, c.receives = true, true
	s.mu.Lock()
	if s.state != stateServing {
		s.mu.Unlock()
		_ = nc.Close()
		return ErrServerClosed
	}
	s.rx = c
	s.wg.Add(1)
	s.mu.Unlock()
	s.st.receiverBinds.Add(1)
	s.log.Debug("smg: SGIP receiver bound", "addr", s.cfg.ReceiverAddr)
	go c.serve()
	return nil
}

// bindReceiver sends the login (SGIP Bind, Login Type 2) and reads exactly
// its response, so that no byte the peer sends afterwards is lost.
func (s *Server) bindReceiver(nc net.Conn) error {
	_ = nc.SetDeadline(time.Now().Add(receiverDialTimeout))
	d := s.d
	seq := s.newSeq(time.Now())
	login := &codec.Login{Name: s.cfg.ReceiverLogin, Secret: s.cfg.ReceiverPassword, Mode: codec.LoginDeliver, Time: time.Now()}
	if _, err := nc.Write(d.AppendLogin(nil, seq, login)); err != nil {
		return err
	}
	frame := make([]byte, 4, 64)
	if _, err := io.ReadFull(nc, frame); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(frame)
	if n < uint32(s.framer.HeaderLen) || n > uint32(s.cfg.MaxFrameSize) {
		return fmt.Errorf("smg: receiver login response length %d", n)
	}
	frame = append(frame, make([]byte, n-4)...)
	if _, err := io.ReadFull(nc, frame[4:]); err != nil {
		return err
	}
	resp, err := d.DecodeLoginResp(frame)
	if err != nil {
		return fmt.Errorf("smg: receiver answered the login with: %w", err)
	}
	if resp.Status != 0 {
		return fmt.Errorf("smg: receiver refused the login: %s", d.LoginResultText(resp.Status))
	}
	return nc.SetDeadline(time.Time{})
}
