package smg

import (
	"cmp"
	"slices"
	"time"
)

// Fault is a way for one connection of the simulated SMG to misbehave, for
// tests of how spsmg notices a bind that stopped working. SetFault applies
// one to every connection, SetConnFault to one of them.
type Fault uint32

const (
	// FaultNone: the connection works normally.
	FaultNone Fault = iota

	// FaultStall stops reading the connection, like an SMG stuck behind a
	// backlog: nothing more the peer sends is read or answered (Submits,
	// Active_Tests, logins), and the peer's writes back up in the socket
	// buffers. What the SMG sends on its own still goes out: its
	// Active_Tests (ActiveTestInterval), Delivers and reports. That is the
	// case where a peer that only watches for traffic sees a busy, living
	// link. Clearing the fault reads and answers what was waiting.
	FaultStall

	// FaultDropSubmits reads everything and answers everything except
	// Submits, which get no response at all: Active_Tests are answered and
	// the SMG's own go out.
	FaultDropSubmits

	// FaultBlackhole is a link that loses every packet while the TCP
	// connection stays up: the connection is not read (as FaultStall) and
	// nothing is written to it, not even the SMG's own Active_Tests or
	// Delivers (these are dropped; unacknowledged Delivers are resent
	// later). Set server-wide, it also holds every connection accepted
	// while it lasts: the TCP handshake completes and the login is never
	// answered. Clearing it reads and answers what was waiting, as TCP
	// would deliver it once the path is back.
	FaultBlackhole
)

func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultStall:
		return "stall"
	case FaultDropSubmits:
		return "drop_submits"
	case FaultBlackhole:
		return "blackhole"
	}
	return "unknown"
}

// stopsReading: the reader holds the bytes it has and reads no more.
func (f Fault) stopsReading() bool { return f == FaultStall || f == FaultBlackhole }

// ConnInfo describes one SP-side connection of the Server (Conns).
type ConnInfo struct {
	// Remote is the peer's address, host:port: for spsmg's binds, the
	// bind's local address.
	Remote   string
	Account  string // login name; "" before the login
	LoggedIn bool
	Submits  uint64 // Submits answered on this connection
	Fault    Fault
}

// Conns lists the SP-side connections, logged in or not, in the order
// they were accepted.
func (s *Server) Conns() []ConnInfo {
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *conn) int { return cmp.Compare(a.order, b.order) })
	out := make([]ConnInfo, len(cs))
	for i, c := range cs {
		out[i] = ConnInfo{Remote: c.nc.RemoteAddr().String(), Account: c.account, LoggedIn: c.loggedIn,
			Submits: c.submits.Load(), Fault: Fault(c.fault.Load())}
	}
	s.mu.Unlock()
	return out
}

// SetFault applies f to every connection now open (the SGIP type-2
// connection included) and to every connection accepted later; FaultNone
// ends every fault, those set by SetConnFault included.
func (s *Server) SetFault(f Fault) {
	s.fault.Store(uint32(f))
	for _, c := range s.everyConn() {
		c.setFault(f)
	}
}

// SetConnFault applies f to the one SP-side connection whose peer address
// is remote (see Conns); false when there is none. Connections accepted
// later are not affected.
func (s *Server) SetConnFault(remote string, f Fault) bool {
	s.mu.Lock()
	var found *conn
	for c := range s.conns {
		if c.nc.RemoteAddr().String() == remote {
			found = c
			break
		}
	}
	s.mu.Unlock()
	if found == nil {
		return false
	}
	found.setFault(f)
	return true
}

// setFault changes the connection's fault and wakes its reader. Any
// goroutine.
func (c *conn) setFault(f Fault) {
	c.fault.Store(uint32(f))
	c.wakeReader()
}

func (c *conn) wakeReader() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// waitWhileStalled blocks the reader while its fault stops reading. It
// returns false when the connection was closed meanwhile.
func (c *conn) waitWhileStalled() bool {
	for Fault(c.fault.Load()).stopsReading() {
		if c.reason.Load() != 0 {
			return false
		}
		<-c.wake
	}
	return true
}

// SetActiveTestInterval makes the SMG send its own Active_Test on every
// logged-in SP-side connection every d (0 stops them), as a real SMG does
// to keep a quiet link alive. CMPP and SMGP only: SGIP has no Active_Test.
// The responses are read and ignored.
func (s *Server) SetActiveTestInterval(d time.Duration) {
	s.atInterval.Store(int64(d))
	select {
	case s.atWake <- struct{}{}:
	default:
	}
}

// heartbeatLoop sends the SMG's own Active_Tests (SetActiveTestInterval).
func (s *Server) heartbeatLoop() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		var tick <-chan time.Time
		if d := time.Duration(s.atInterval.Load()); d > 0 && s.d.HasActiveTest() {
			t.Reset(d)
			tick = t.C
		}
		select {
		case <-s.quit:
			return
		case <-s.atWake:
			t.Stop()
			continue
		case <-tick:
		}
		s.mu.Lock()
		cs := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			if c.loggedIn && Fault(c.fault.Load()) != FaultBlackhole {
				cs = append(cs, c)
			}
		}
		s.mu.Unlock()
		for _, c := range cs {
			if c.write(s.d.AppendActiveTest(nil, s.newSeq(time.Now()))) {
				s.st.activeTestsSent.Add(1)
			}
		}
	}
}
