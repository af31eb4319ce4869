package smg

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// MO is a mobile-originated message to inject (InjectMO) or to generate
// (Config.MOTemplate).
type MO struct {
	User     string // sender MSISDN (SGIP numbers carry 86)
	SPNumber string // the access number the user dialled: CMPP Dest_Id, SGIP SPNumber, SMGP DestTermID
	Text     string // encoded by Coding
	// Content, when not nil, is sent as it is instead of Text.
	Content []byte
	// Coding: 0 ASCII (UCS2 is used instead when Text is not ASCII), 8
	// UCS2, 15 GBK.
	Coding uint8
	// LinkID: CMPP 3.0 LinkID (20), SMGP TLV 0x0003 (20, sent when not
	// empty), CMPP 2.x and SGIP Reserve (8, cut).
	LinkID string
	// ServiceCode: CMPP Service_Id (10); other protocols have no field.
	ServiceCode string
	// Account restricts delivery to connections logged in as this login;
	// empty means any connection that receives.
	Account string
}

// dkey identifies a Deliver until its response: its header sequence
// (deliveryKey), 4 bytes or SGIP's 12.
type dkey [codec.MaxSeqLen]byte

// delivery is a Deliver or Report the SMG sent (or must send) and tracks
// until the peer acknowledges it with result 0.
type delivery struct {
	frame   []byte
	conn    *conn // last written to; nil while waiting for a connection
	pref    *conn // where it goes first: the Submit's connection
	account string
	sent    int64 // UnixNano of the last write
	tries   int32 // writes so far
	mo      bool
	order   uint64 // when it was added: resends keep the original order
}

// outBatch is a run of Delivers made together (the reports of one read
// batch, generated MOs): frames back to back in buf.
type outBatch struct {
	seq     [codec.MaxSeqLen]byte // the sequence of the Deliver being appended
	buf     []byte
	items   []outItem
	pref    *conn
	account string
	mo      bool
}

type outItem struct {
	key      dkey
	off, end int
}

// tracker holds the unacknowledged Delivers. Its loop resends those whose
// response is overdue and places those whose connection went away.
//
//	send ─▶ add ─▶ [ key → delivery ] ─▶ ack (Deliver_Resp / Report_Resp result 0) ─▶ gone
//	                        │ timeout or lost connection
//	                        └─▶ resend (same frame, same id) on the next route
type tracker struct {
	mu    sync.Mutex
	m     map[dkey]delivery
	due   []dkey // scratch of the loop
	wake  chan struct{}
	added uint64 // order of the next delivery
}

func (t *tracker) init() {
	t.m = make(map[dkey]delivery)
	t.wake = make(chan struct{}, 1)
}

func (t *tracker) wakeUp() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *tracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// add registers b's Delivers as written to dest at now (dest nil: not
// yet written). It must run before the write, so that no response can
// arrive for a Deliver the tracker does not know.
func (t *tracker) add(s *Server, b *outBatch, dest *conn, now int64) {
	var tries int32
	if dest != nil {
		tries = 1
	}
	t.mu.Lock()
	for _, it := range b.items {
		t.added++
		t.m[it.key] = delivery{frame: b.buf[it.off:it.end:it.end], conn: dest, pref: b.pref,
			account: b.account, sent: now, tries: tries, mo: b.mo, order: t.added}
	}
	t.mu.Unlock()
	if dest != nil {
		s.countSent(b.mo, len(b.items), false)
	}
}

// ack settles the Deliver key with the peer's result. A non-zero result
// leaves it pending: it is resent after the timeout.
func (t *tracker) ack(s *Server, key dkey, result uint32) {
	t.mu.Lock()
	d, ok := t.m[key]
	if ok && result == 0 {
		delete(t.m, key)
	}
	t.mu.Unlock()
	switch {
	case !ok:
		s.st.unknownAcks.Add(1)
	case result != 0:
		s.st.nacks.Add(1)
	case d.mo:
		s.st.moAcked.Add(1)
	default:
		s.st.reportsAcked.Add(1)
	}
}

func (s *Server) countSent(mo bool, n int, resent bool) {
	switch {
	case mo && resent:
		s.st.moResent.Add(uint64(n))
	case mo:
		s.st.moSent.Add(uint64(n))
	case resent:
		s.st.reportsResent.Add(uint64(n))
	default:
		s.st.reportsSent.Add(uint64(n))
	}
}

// trackerLoop resends overdue Delivers and places waiting ones. It wakes
// a few times per ResendTimeout, and at once when a receiving connection
// logs in or goes away.
func (s *Server) trackerLoop() {
	defer s.wg.Done()
	// A quarter of the timeout: a resend is at most 25% late. Lost
	// connections and new receivers wake the loop at once.
	tick := time.NewTicker(min(max(s.cfg.ResendTimeout/4, 2*time.Millisecond), 15*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		case <-s.trk.wake:
		}
		s.resend(time.Now().UnixNano())
	}
}

// resend writes again every Delivery that is overdue or whose connection
// is gone, grouped into one write per connection.
func (s *Server) resend(now int64) {
	t := &s.trk
	timeout := s.cfg.ResendTimeout.Nanoseconds()
	t.mu.Lock()
	t.due = t.due[:0]
	// A connection's teardown may set gone while this loop runs: read it
	// once per connection, so that all of its Delivers move together and
	// keep their order (a half-moved set would overtake the rest).
	gone := make(map[*conn]bool)
	for k, d := range t.m {
		lost := d.conn == nil
		if !lost {
			g, seen := gone[d.conn]
			if !seen {
				g = d.conn.gone.Load()
				gone[d.conn] = g
			}
			lost = g
		}
		if !lost && now-d.sent < timeout {
			continue
		}
		if !lost && s.cfg.MaxResends >= 0 && int(d.tries) > s.cfg.MaxResends {
			delete(t.m, k)
			s.st.expired.Add(1)
			continue
		}
		t.due = append(t.due, k)
	}
	if len(t.due) == 0 {
		t.mu.Unlock()
		return
	}
	// Map order is random; SPs expect MO in the order they were sent.
	slices.SortFunc(t.due, func(a, b dkey) int { return cmp.Compare(t.m[a].order, t.m[b].order) })
	// Route and regroup under the tracker lock (route takes Server.mu:
	// the order is always trk.mu → Server.mu).
	out := make(map[*conn][]byte)
	noRoute := false
	// One route per (preferred connection, account) for the whole pass: a
	// receiver that finishes logging in while the pass runs would
	// otherwise take the later Delivers of a set and leave the earlier
	// ones for the next pass, which then arrive after them.
	type routeKey struct {
		pref    *conn
		account string
	}
	routes := make(map[routeKey]*conn)
	for _, k := range t.due {
		d := t.m[k]
		rk := routeKey{d.pref, d.account}
		dest, seen := routes[rk]
		if !seen {
			dest = s.route(d.pref, d.account)
			routes[rk] = dest
		}
		if dest == nil {
			d.conn = nil
			t.m[k] = d
			noRoute = true
			continue
		}
		s.countSent(d.mo, 1, d.tries > 0)
		d.conn, d.sent = dest, now
		d.tries++
		t.m[k] = d
		out[dest] = append(out[dest], d.frame...)
	}
	t.mu.Unlock()
	for c, b := range out {
		c.write(b)
	}
	if noRoute {
		s.wakeReceiver()
	}
}

// route picks the connection a Deliver goes to: its preferred connection
// when that one can receive, else another receiving connection of the
// same account (round robin), in SGIP the type-2 connection. nil when
// there is none (yet).
func (s *Server) route(pref *conn, account string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d.SplitConnections() {
		return s.rx // deliveries go on the connection the SMG dialled
	}
	if pref != nil && pref.receives && !pref.gone.Load() {
		return pref
	}
	n := len(s.recv)
	for i := range n {
		c := s.recv[(s.rr+i)%n]
		if (account == "" || c.account == account) && !c.gone.Load() {
			s.rr = (s.rr + i + 1) % n
			return c
		}
	}
	return nil
}

// send registers b and writes it to its route; when there is none, the
// tracker places it once a connection appears.
func (s *Server) send(b *outBatch) {
	dest := s.route(b.pref, b.account)
	s.trk.add(s, b, dest, time.Now().UnixNano())
	if dest == nil {
		s.wakeReceiver()
		return
	}
	dest.write(b.buf)
}

// sendAfter sends b after d (now when d is 0).
func (s *Server) sendAfter(b *outBatch, d time.Duration) {
	if d <= 0 {
		s.send(b)
		return
	}
	time.AfterFunc(d, func() { s.send(b) })
}

// InjectMO sends one MO message as a Deliver (CMPP Registered_Delivery 0,
// SMGP IsReport 0, SGIP Deliver over the type-2 connection) to a
// connection that receives, and tracks it until it is acknowledged,
// resending it after ResendTimeout. With no such connection yet, it is
// sent as soon as one logs in (SGIP: once the type-2 bind is up). Any
// goroutine.
func (s *Server) InjectMO(mo MO) error {
	_, err := s.InjectMOID(mo)
	return err
}

// InjectMOID is InjectMO returning the Deliver's id: the CMPP Msg_Id (8
// bytes), SMGP MsgID (10) or SGIP sequence (12). Any goroutine.
func (s *Server) InjectMOID(mo MO) ([]byte, error) {
	if err := s.canInject(); err != nil {
		return nil, err
	}
	content, coding, err := moContent(&mo)
	if err != nil {
		return nil, err
	}
	b := &outBatch{pref: nil, account: mo.Account, mo: true}
	now := time.Now()
	id := s.appendMO(b, s.moIDs(now), &mo, content, coding, now)
	s.send(b)
	return append([]byte(nil), id...), nil
}

// canInject says whether a Deliver may be added now.
func (s *Server) canInject() error {
	if s.isStopping() {
		return ErrServerClosed
	}
	if s.d.SplitConnections() && s.cfg.ReceiverAddr == "" {
		return ErrNoReceiver
	}
	if s.trk.len() >= s.cfg.MaxPending {
		return ErrBacklog
	}
	return nil
}

// idLen is the width of the ids the SMG gives Submits (CMPP 8 bytes,
// SMGP 10), or of the sequence that is a Submit's identity (SGIP 12).
func (s *Server) idLen() int {
	if m := s.d.MsgIDs(s.cfg.GatewayCode); m != nil {
		return len(m.Append(nil, 0))
	}
	return s.d.Seq().Len
}

// Report is a status report to inject (InjectReport) for an MT the SMG
// answered earlier, or one it never saw.
type Report struct {
	// MsgID is the reported MT's id as the Submit_Resp gave it: CMPP
	// Msg_Id (8 bytes), SMGP MsgID (10), SGIP the Submit's sequence (12).
	MsgID []byte
	// Stat is "DELIVRD", "UNDELIV", …; empty means the server's
	// ReportStat. SGIP maps it to State/ErrorCode as Config.ReportStat says.
	Stat string
	// User is the MT's recipient; SPNumber its source number (the CMPP
	// report's Dest_Id, SMGP DestTermID; SGIP carries none). ServiceCode:
	// CMPP Service_Id.
	User, SPNumber, ServiceCode string
	// Account restricts delivery to connections logged in as this login.
	Account string
}

// InjectReport sends one status report as the SMG sends those it makes
// itself (CMPP Deliver with Registered_Delivery 1, SMGP IsReport 1, SGIP
// Report over the type-2 connection), tracks it until acknowledged, and
// returns the id of the Deliver that carries it (SGIP: the Report's
// sequence). Any goroutine.
func (s *Server) InjectReport(r Report) ([]byte, error) {
	if err := s.canInject(); err != nil {
		return nil, err
	}
	if want := s.idLen(); len(r.MsgID) != want {
		return nil, fmt.Errorf("smg: report msgid is %d bytes; %s ids are %d", len(r.MsgID), s.cfg.Protocol, want)
	}
	stat := r.Stat
	if stat == "" {
		stat = *s.reportStat.Load()
	}
	now := time.Now()
	ts := reportTime(now)
	rep := codec.Report{SubmitID: r.MsgID, User: r.User, SPNumber: r.SPNumber, ServiceCode: r.ServiceCode,
		Stat: stat, SubmitTime: ts, DoneTime: ts, RecvTime: now.Format("20060102150405")}
	b := &outBatch{account: r.Account}
	seq := s.putSeq(b.seq[:], codec.Timestamp(now))
	id := seq
	if m := s.d.MsgIDs(s.cfg.GatewayCode); m != nil {
		m.Stamp(now)
		id = m.Append(nil, s.ids.Add(1)-1)
		rep.MsgID = id
	}
	b.buf = s.d.AppendReport(b.buf, seq, &rep)
	b.items = append(b.items, outItem{key: deliveryKey(seq), end: len(b.buf)})
	s.send(b)
	return append([]byte(nil), id...), nil
}

// moContent encodes mo's text.
func moContent(mo *MO) ([]byte, uint8, error) {
	if mo.Content != nil {
		return mo.Content, mo.Coding, nil
	}
	coding := mo.Coding
	if coding == text.ASCII {
		for i := 0; i < len(mo.Text); i++ {
			if mo.Text[i] >= 0x80 {
				coding = text.UCS2
				break
			}
		}
	}
	b, err := text.Encode(coding, mo.Text)
	return b, coding, err
}

// appendMO appends one MO Deliver to b and returns its id: the CMPP
// Msg_Id, SMGP MsgID, or (SGIP, which has none) its sequence. ids makes
// the Deliver ids, stamped with now; nil in SGIP.
func (s *Server) appendMO(b *outBatch, ids codec.MsgIDMaker, mo *MO, content []byte, coding uint8, now time.Time) []byte {
	off := len(b.buf)
	seq := s.putSeq(b.seq[:], codec.Timestamp(now))
	id := seq
	d := codec.Deliver{User: mo.User, SPNumber: mo.SPNumber, ServiceCode: mo.ServiceCode, LinkID: mo.LinkID,
		Coding: coding, Content: content, RecvTime: now.Format("20060102150405")}
	if ids != nil {
		id = ids.Append(nil, s.ids.Add(1)-1)
		d.MsgID = id
	}
	b.buf = s.d.AppendDeliver(b.buf, seq, &d)
	b.items = append(b.items, outItem{key: deliveryKey(seq), off: off, end: len(b.buf)})
	return id
}

// moIDs is the maker of MO Deliver ids stamped with now; nil in SGIP.
func (s *Server) moIDs(now time.Time) codec.MsgIDMaker {
	m := s.d.MsgIDs(s.cfg.GatewayCode)
	if m != nil {
		m.Stamp(now)
	}
	return m
}

// moLoop generates Config.MOTemplate at the rate SetMORate sets, in
// batches every 10 ms. It idles on a channel while the rate is 0.
func (s *Server) moLoop() {
	defer s.wg.Done()
	const step = 10 * time.Millisecond
	var tick *time.Ticker
	var tokens float64
	last := time.Now()
	for {
		rate := math.Float64frombits(s.moRate.Load())
		if rate <= 0 {
			if tick != nil {
				tick.Stop()
				tick = nil
			}
			select {
			case <-s.quit:
				return
			case <-s.moWake:
				last, tokens = time.Now(), 0
				continue
			}
		}
		if tick == nil {
			tick = time.NewTicker(step)
		}
		select {
		case <-s.quit:
			tick.Stop()
			return
		case <-s.moWake:
			continue
		case now := <-tick.C:
			tokens = min(tokens+rate*now.Sub(last).Seconds(), max(rate/10, 1))
			last = now
			n := int(tokens)
			if n == 0 {
				continue
			}
			tokens -= float64(n)
			s.generate(n, now)
		}
	}
}

// generate sends n MOs from the template in one batch.
func (s *Server) generate(n int, now time.Time) {
	if s.d.SplitConnections() && s.cfg.ReceiverAddr == "" {
		return
	}
	if room := s.cfg.MaxPending - s.trk.len(); room < n {
		s.st.moSkipped.Add(uint64(n - max(room, 0)))
		n = max(room, 0)
	}
	if n == 0 {
		return
	}
	mo := s.cfg.MOTemplate
	content, coding, err := moContent(&mo)
	if err != nil {
		s.log.Warn("smg: MO template cannot be encoded", "err", err)
		return
	}
	b := &outBatch{account: mo.Account, mo: true}
	ids := s.moIDs(now)
	for range n {
		s.appendMO(b, ids, &mo, content, coding, now)
	}
	s.send(b)
}
