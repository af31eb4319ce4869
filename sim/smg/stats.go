package smg

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// Stats is a snapshot of the Server's counters. Counters only grow; the
// gauges (Connections, LoggedIn, Pending, ReceiverUp) are the state at the
// time of the call.
type Stats struct {
	Connections int  // open SP-side connections, logged in or not
	LoggedIn    int  // of which logged in
	ReceiverUp  bool // SGIP: the type-2 connection to ReceiverAddr is bound

	LoginsOK      uint64
	LoginsRefused uint64 // bad account, authenticator, version, RefuseLogins, login type

	Submits    uint64            // Submit PDUs answered
	Recipients uint64            // recipients in them
	Responses  map[uint32]uint64 // Submit_Resp by result
	// ActiveTests answered (CMPP/SMGP).
	ActiveTests uint64
	// ActiveTestsSent: the SMG's own Active_Tests (SetActiveTestInterval).
	ActiveTestsSent uint64
	// SubmitsDropped: Submits left unanswered by FaultDropSubmits.
	SubmitsDropped uint64

	ReportsSent   uint64 // first sends of status reports
	ReportsAcked  uint64 // acknowledged with result 0
	ReportsResent uint64 // sent again: timeout, or the connection was lost
	MOSent        uint64
	MOAcked       uint64
	MOResent      uint64
	MOSkipped     uint64 // MOs the generator did not make: MaxPending reached
	Nacks         uint64 // Deliver_Resp / Report_Resp with a non-zero result (resent later)
	UnknownAcks   uint64 // a response to no pending Deliver (late duplicate)
	Expired       uint64 // Delivers given up after MaxResends
	Pending       int    // Delivers awaiting acknowledgement

	ReceiverBinds    uint64 // SGIP type-2 binds made
	ReceiverFailures uint64 // SGIP type-2 dials or binds that failed

	// Closes counts closed connections by reason ("peer closed",
	// "logout", "login refused", "protocol error", "kicked", ...).
	Closes map[string]uint64
}

// counters are the Server's atomics. Connections add their hot-path
// counts once per read batch.
type counters struct {
	loginsOK, loginsRefused         atomic.Uint64
	submits, recipients, resultZero atomic.Uint64
	activeTests, activeTestsSent    atomic.Uint64
	submitsDropped                  atomic.Uint64
	reportsSent, reportsAcked       atomic.Uint64
	reportsResent                   atomic.Uint64
	moSent, moAcked, moResent       atomic.Uint64
	moSkipped                       atomic.Uint64
	nacks, unknownAcks, expired     atomic.Uint64
	receiverBinds, receiverFailures atomic.Uint64
	closes                          [closeReasonCount]atomic.Uint64

	mu      sync.Mutex
	results map[uint32]uint64 // non-zero Submit results (rare)
}

func (c *counters) result(r uint32) {
	c.mu.Lock()
	if c.results == nil {
		c.results = make(map[uint32]uint64)
	}
	c.results[r]++
	c.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		LoginsOK:         s.st.loginsOK.Load(),
		LoginsRefused:    s.st.loginsRefused.Load(),
		Submits:          s.st.submits.Load(),
		Recipients:       s.st.recipients.Load(),
		ActiveTests:      s.st.activeTests.Load(),
		ActiveTestsSent:  s.st.activeTestsSent.Load(),
		SubmitsDropped:   s.st.submitsDropped.Load(),
		ReportsSent:      s.st.reportsSent.Load(),
		ReportsAcked:     s.st.reportsAcked.Load(),
		ReportsResent:    s.st.reportsResent.Load(),
		MOSent:           s.st.moSent.Load(),
		MOAcked:          s.st.moAcked.Load(),
		MOResent:         s.st.moResent.Load(),
		MOSkipped:        s.st.moSkipped.Load(),
		Nacks:            s.st.nacks.Load(),
		UnknownAcks:      s.st.unknownAcks.Load(),
		Expired:          s.st.expired.Load(),
		ReceiverBinds:    s.st.receiverBinds.Load(),
		ReceiverFailures: s.st.receiverFailures.Load(),
		Responses:        make(map[uint32]uint64),
		Closes:           make(map[string]uint64),
	}
	if z := s.st.resultZero.Load(); z > 0 {
		st.Responses[0] = z
	}
	s.st.mu.Lock()
	for r, n := range s.st.results {
		st.Responses[r] = n
	}
	s.st.mu.Unlock()
	for i := range s.st.closes {
		if n := s.st.closes[i].Load(); n > 0 {
			st.Closes[closeReason(i).String()] = n
		}
	}
	s.mu.Lock()
	for c := range s.conns {
		st.Connections++
		if c.loggedIn {
			st.LoggedIn++
		}
	}
	st.ReceiverUp = s.rx != nil
	s.mu.Unlock()
	st.Pending = s.trk.len()
	return st
}

// WaitFor polls Stats until cond holds or timeout passes, and returns the
// last snapshot; the error is ErrTimeout when cond never held. Tests use it
// instead of sleeping:
//
//	st, err := srv.WaitFor(func(st smg.Stats) bool { return st.MOAcked == 1 }, 5*time.Second)
func (s *Server) WaitFor(cond func(Stats) bool, timeout time.Duration) (Stats, error) {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		st := s.Stats()
		if cond(st) {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, ErrTimeout
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
}

// SubmitInfo is a copied, decoded summary of one Submit, for OnSubmit and
// Submits. It owns its memory.
type SubmitInfo struct {
	Account  string    // login of the connection it came on
	Received time.Time // when the SMG read it

	// Sequence is the counter of the header's sequence (CMPP/SMGP
	// Sequence_Id, the last 4 bytes of SGIP's); SeqField the whole field (SGIP:
	// 12 bytes, which are also the message's identity).
	Sequence uint32
	SeqField []byte

	// MsgID is the id the SMG answered with: CMPP 8 bytes big-endian, SMGP
	// 10 bytes, SGIP the 12-byte Submit sequence.
	MsgID  []byte
	Result uint32

	ServiceCode string   // CMPP Service_Id, SGIP ServiceType, SMGP ServiceID
	SPNumber    string   // source: CMPP Src_Id, SGIP SPNumber, SMGP SrcTermID
	Recipients  []string // Dest_terminal_Id / UserNumber / DestTermID
	LinkID      string   // CMPP 3.0 LinkID, SMGP TLV, CMPP 2.x and SGIP Reserve
	Coding      uint8
	Content     []byte // including any UDH
	Text        string // Content decoded by Coding; empty for binary codings
	NeedReport  bool   // as the codec's View: SGIP ReportFlag != 2
	UDHI        bool
	PkTotal     uint8
	PkNumber    uint8
}

// newSubmitInfo copies what v says about one Submit.
func newSubmitInfo(c *conn, v *codec.View, id []byte, result uint32) SubmitInfo {
	si := SubmitInfo{
		Account:     c.account,
		Received:    time.Now(),
		MsgID:       append([]byte(nil), id...),
		Result:      result,
		ServiceCode: string(v.ServiceCode),
		SPNumber:    string(v.SPNumber),
		LinkID:      string(v.LinkID()),
		Coding:      v.Coding,
		Content:     append([]byte(nil), v.Content...),
		NeedReport:  v.NeedReport,
		UDHI:        v.UDHI,
		PkTotal:     v.PkTotal,
		PkNumber:    v.PkNumber,
	}
	si.SeqField = append([]byte(nil), v.Sequence...)
	si.Sequence = binary.BigEndian.Uint32(v.Sequence[len(v.Sequence)-4:])
	si.Recipients = make([]string, v.DestCount)
	for i := range si.Recipients {
		si.Recipients[i] = string(v.Dest(i))
	}
	content := v.Content
	if v.UDHI && len(content) > 0 && int(content[0])+1 <= len(content) {
		content = content[int(content[0])+1:] // text after the UDH
	}
	if t, err := text.Decode(v.Coding, content); err == nil {
		si.Text = t
	}
	return si
}

// submitLog keeps the last n Submits.
type submitLog struct {
	mu   sync.Mutex
	ring []SubmitInfo
	next int
	full bool
}

func (l *submitLog) add(si SubmitInfo) {
	l.mu.Lock()
	l.ring[l.next] = si
	l.next++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// Submits returns the Submits kept (Config.SubmitLog), oldest first.
func (s *Server) Submits() []SubmitInfo {
	l := &s.subs
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ring) == 0 {
		return nil
	}
	var out []SubmitInfo
	if l.full {
		out = append(out, l.ring[l.next:]...)
	}
	return append(out, l.ring[:l.next]...)
}

// WaitSubmits waits until Submits() holds at least n entries and returns
// them; the error is ErrTimeout otherwise (the entries so far are returned).
func (s *Server) WaitSubmits(n int, timeout time.Duration) ([]SubmitInfo, error) {
	deadline := time.Now().Add(timeout)
	for {
		subs := s.Submits()
		if len(subs) >= n {
			return subs, nil
		}
		if time.Now().After(deadline) {
			return subs, ErrTimeout
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// closeReason is why a connection ended: logged once and counted.
type closeReason uint8

const (
	closePeer         closeReason = iota // the peer closed or reset
	closeLogout                          // Terminate / Exit / Unbind exchanged
	closeLoginRefused                    // a refused login, after its response
	closeLoginTimeout                    // no login in time
	closeProtocol                        // malformed or unexpected frame
	closeWriteFailed                     // a write to the peer failed
	closeKicked                          // Kick
	closeStopped                         // Stop's deadline or Close
	closeReasonCount
)

var closeReasonNames = [closeReasonCount]string{
	"peer closed", "logout", "login refused", "login timeout", "protocol error",
	"write failed", "kicked", "server stopped",
}

func (r closeReason) String() string {
	if r < closeReasonCount {
		return closeReasonNames[r]
	}
	return "unknown"
}
