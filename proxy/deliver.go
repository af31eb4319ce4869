package proxy

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/translate"
)

// deliverer is the gateway's delivery of what the SMGs send for SPs — MO,
// status reports, user reports: routing each to its account (fromSMG), the
// outbox that keeps it until the SP answers (enqueue), the bounded disk
// route lookups, and the counts of what could not be delivered. The
// sending itself is the SP connection's (spConn.sendDelivery, drain).
//
// Goroutines: fromSMG and what it calls on the loop the frame came on;
// reportFromDisk's lookups on goroutines of their own, at most
// maxRouteLookups; the counters from any goroutine.
type deliverer struct {
	g            *Gateway
	outbox       *outbox       // deliveries until the SP answers (one node; several keep them in the cluster)
	routeLookups chan struct{} // semaphore of the disk route lookups in flight
	counters     deliveryCounters
}

// deliveryCounters are what the SMGs sent that was not delivered, or not
// at once.
type deliveryCounters struct {
	unroutableMO      atomic.Uint64
	unroutableReports atomic.Uint64
	confirmations     atomic.Uint64 // Noti_SP made from a Y reply
	outboxFull        atomic.Uint64
	storeSpaceLow     atomic.Uint64 // deliveries the SMG must resend: the store is below its free-space reserve
	routeLookupsBusy  atomic.Uint64
	reportsBySPNumber atomic.Uint64
}

// maxRouteLookups bounds the goroutines reading routes from disk for
// reports whose route has left memory.
const maxRouteLookups = 64

func newDeliverer(g *Gateway, auth *authcache.Engine) *deliverer {
	dv := &deliverer{g: g, routeLookups: make(chan struct{}, maxRouteLookups)}
	dv.outbox = newOutbox(g, auth)
	return dv
}

// delivery is one MO, status report or user report on its way to an SP.
//
//	SMG ─Deliver/Report─▶ fromSMG ─▶ enqueue ─┬─▶ spConn.sendDelivery ─▶ SP   (SP online, no backlog)
//	                                          └─▶ outbox (Badger) ─▶ queue ─▶ drain on login
//
// The SMG gets its acknowledgement (ack) once the delivery is written to
// an SP connection or persisted (docs/product.md §4); a delivery written but not
// answered by the SP is persisted when that connection closes, so nothing
// acknowledged is lost short of a crash between the write and the SP's
// answer.
type delivery struct {
	kind      codec.Kind // KindDeliver, KindReport or KindUserRpt
	frame     []byte     // the frame to send, spsmg's own copy; the sequence is set per send
	key       uint64     // its number (outbox.next): arrival order, and the outbox key
	persisted bool       // written to the outbox (and to be removed once answered)
	sentAt    int64
	tries     int
	// Several nodes (cluster.go): sid is the entry's ID in the account's
	// queue in the cluster, acknowledged there once the SP answered;
	// holdAck, for a delivery the cluster could not take, is the SMG's
	// acknowledgement, sent once the SP answered (fail-open).
	sid     string
	holdAck *ack
	// mo: an MO (or Noti_SP) whose LinkID the engine has just recorded;
	// with several nodes it is queued only once that record is written,
	// so that any node can find the LinkID when the SP answers.
	mo bool
	// rec: the outbox record (key, kind, frame) that frame is the end of,
	// keyLen its key's length (outbox.record); nil until persisted.
	rec    []byte
	keyLen int
}

// ack is the response owed to the SMG for one Deliver/Report/UserRpt: the
// request's identity, kept so the response can be built later with the
// result that applies then.
type ack struct {
	up    *upstream // the SMG it came from: its Dialect writes the response
	out   *output   // the SMG connection it came on
	kind  codec.Kind
	cmd   uint32
	seq   wireSeq
	msgID [16]byte
	idLen uint8
	// durable is the outbox write's callback when the delivery is
	// persisted (onDurable), made once and kept when out's loop reuses
	// the ack; acct is the delivery's account, for its log line.
	durable func(error)
	acct    *account
}

// newAck takes an ack for request v on out; runs on out's loop, which
// reuses the acks it sent through its inbox (ackInbox.free).
func newAck(up *upstream, out *output, v *codec.View) *ack {
	var a *ack
	if l := out.loop; l != nil && len(l.acks.free) > 0 {
		n := len(l.acks.free) - 1
		a, l.acks.free[n] = l.acks.free[n], nil
		l.acks.free = l.acks.free[:n]
	} else {
		a = new(ack)
	}
	a.up, a.out, a.kind, a.cmd, a.idLen = up, out, v.Kind, v.Command, uint8(len(v.MsgID))
	copy(a.seq[:], v.Sequence)
	copy(a.msgID[:], v.MsgID)
	return a
}

// onDurable is the callback of the outbox write of a delivery ak
// acknowledges, for account acct: once the write is durable the SMG is
// acknowledged through its loop's inbox (sendLater); when it failed, the
// SMG is told to resend. Runs on ak's loop; the callback on the store
// writer.
func (ak *ack) onDurable(g *Gateway, acct *account) func(error) {
	if ak == nil { // a delivery spsmg made itself: nobody to acknowledge
		return func(err error) {
			if err != nil {
				g.log.Error("outbox write failed", "account", acct.id, "err", err)
			}
		}
	}
	ak.acct = acct
	if ak.durable == nil {
		ak.durable = func(err error) {
			if err != nil {
				g.log.Error("outbox write failed; the SMG will resend", "account", ak.acct.id, "err", err)
				ak.refuse(nil, reason.UpstreamUnavailable)
				return
			}
			ak.sendLater(0)
		}
	}
	return ak.durable
}

// ackInbox holds acknowledgements to a loop's SMG connections that other
// goroutines decided (the store writer, once deliveries are durable): one
// task on the loop writes all that are waiting, into each connection's
// output and so in one write per connection, where an AsyncWrite each
// would copy, queue and wake the loop once per acknowledgement.
type ackInbox struct {
	mu        sync.Mutex
	queued    []ackResult
	scheduled bool // task is queued on the loop
	// The loop's own: the batch being sent, and the acks sent through the
	// inbox, which nothing else refers to any more, for newAck to reuse.
	taken []ackResult
	free  []*ack
	task  gnet.RunnableFunc
}

type ackResult struct {
	a      *ack
	result uint32
}

// maxFreeAcks bounds the acks a loop keeps for reuse.
const maxFreeAcks = 4096

// sendLater writes the acknowledgement with result from any goroutine,
// through the inbox of a's loop. a must not be used by the caller
// afterwards: the loop reuses it once sent.
func (a *ack) sendLater(result uint32) {
	l := a.out.loop
	if l == nil || l.el == nil {
		a.send(nil, result)
		return
	}
	in := &l.acks
	in.mu.Lock()
	in.queued = append(in.queued, ackResult{a, result})
	first := !in.scheduled
	in.scheduled = true
	in.mu.Unlock()
	if first {
		// An error means the engine stopped: the connection is gone and
		// nothing can be written any more.
		_ = l.el.Execute(l.gw.ctx, in.task)
	}
}

// sendAcks is the inbox's task: write every acknowledgement waiting, then
// flush. Runs on l.
func (l *loop) sendAcks(context.Context) error {
	l.tick()
	in := &l.acks
	in.mu.Lock()
	in.taken, in.queued = in.queued, in.taken[:0]
	in.scheduled = false
	in.mu.Unlock()
	for i, r := range in.taken {
		in.taken[i] = ackResult{}
		r.a.send(l, r.result)
		if len(in.free) < maxFreeAcks {
			*r.a = ack{durable: r.a.durable} // the callback refers to r.a itself: kept
			in.free = append(in.free, r.a)
		}
	}
	in.taken = in.taken[:0]
	l.flush()
	return nil
}

// refuse writes the acknowledgement with the upstream's result for o
// (its protocol's table, which may not be the SPs').
func (a *ack) refuse(l *loop, o reason.Reason) {
	if a == nil {
		return
	}
	a.send(l, a.up.resultOf(o))
}

// send writes the acknowledgement with result from loop l, or from any
// goroutine when l is nil or another loop.
func (a *ack) send(l *loop, result uint32) {
	if a == nil || a.out.closed.Load() {
		return
	}
	u := a.up
	if l != nil && a.out.loop == l {
		v := &l.ackView // not a View of its own: it would escape to the heap
		*v = codec.View{Kind: a.kind, Command: a.cmd, Sequence: a.seq[:u.seqLen], MsgID: a.msgID[:a.idLen]}
		a.out.buf = u.d.AppendResp(a.out.buf, v, result)
		a.out.mark()
		return
	}
	v := &codec.View{Kind: a.kind, Command: a.cmd, Sequence: a.seq[:u.seqLen], MsgID: a.msgID[:a.idLen]}
	_ = a.out.conn.AsyncWrite(u.d.AppendResp(nil, v, result), nil)
}

// deliveryQueue holds an account's deliveries that wait for an SP
// connection, oldest first. Its mutex is per account, touched on the MO and
// report path only, never by Submits.
type deliveryQueue struct {
	g        *Gateway
	a        *account
	mu       sync.Mutex
	items    []*delivery
	head     int
	dialing  bool // SGIP: a receiver connection is being dialled
	attempts int  // SGIP: failed receiver dials in a row, for backoff
}

func newDeliveryQueue(g *Gateway, a *account) *deliveryQueue {
	return &deliveryQueue{g: g, a: a}
}

// pushLoaded queues a delivery read from the outbox (value: kind byte and
// frame, borrowed). Loads run before the account is visible to any
// connection, in key order.
func (q *deliveryQueue) pushLoaded(num uint64, value []byte) {
	d := &delivery{kind: codec.Kind(value[0]), frame: clone(value[1:]), key: num, persisted: true}
	q.mu.Lock()
	q.pushLocked(d)
	q.mu.Unlock()
}

func (q *deliveryQueue) lenLocked() int { return len(q.items) - q.head }

// Len is the backlog; any goroutine.
func (q *deliveryQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lenLocked()
}

func (q *deliveryQueue) pushLocked(d *delivery) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, d)
}

func (q *deliveryQueue) popLocked() *delivery {
	if q.head == len(q.items) {
		return nil
	}
	d := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	return d
}

// pushFront puts deliveries back at the head, keeping their order.
func (q *deliveryQueue) pushFront(ds []*delivery) {
	if len(ds) == 0 {
		return
	}
	q.mu.Lock()
	rest := append([]*delivery(nil), q.items[q.head:]...)
	q.items = append(append(q.items[:0], ds...), rest...)
	q.head = 0
	q.mu.Unlock()
}

// fromSMG routes an MO, report or user report that upstream up's SMG sent
// on src (a bind, or SGIP's inbound connection). Runs on loop l; frame is
// borrowed.
//
// While the store is below its free-space reserve nothing from the SMG is
// acknowledged or acted on: it gets the busy result (as for a full outbox)
// and sends it again later, when the outbox can be written. A Y reply or
// an unsubscription is then decided when it comes back, not lost.
func (dv *deliverer) fromSMG(up *upstream, l *loop, src *output, frame []byte, v *codec.View) {
	g := dv.g
	ak := newAck(up, src, v)
	if !g.auth.Writable() {
		dv.counters.storeSpaceLow.Add(1)
		ak.refuse(l, reason.UpstreamUnavailable)
		return
	}
	t := g.accounts.Load()
	switch {
	case v.Kind == codec.KindReport || (v.Kind == codec.KindDeliver && v.IsReport):
		idOff, idLen := offsetIn(frame, v.ReportMsgID), len(v.ReportMsgID)
		st := reportStatusOf(v)
		if r, ok := g.auth.Route(v.ReportMsgID); ok {
			dv.report(l, up, t, r, frame, v.Kind, idOff, idLen, st, ak)
			return
		}
		dv.reportFromDisk(up, frame, v.Kind, idOff, idLen, v.SPNumber, st, ak)
	case v.Kind == codec.KindUserRpt:
		a := t.route(v.SPNumber)
		if a != nil && !external(a.cfg.Load().Protocol) && g.faceOf(a.cfg.Load().Protocol).pair(up) != nil {
			// SGIP's UserRpt (a user's state changed) has no equivalent
			// in the SP's protocol: acknowledged, counted, not delivered.
			g.logRL(slog.LevelInfo, "SGIP UserRpt has no equivalent in the SP's protocol; dropped", "upstream", up.name)
			dv.counters.unroutableMO.Add(1)
			ak.send(l, 0)
			return
		}
		if a == nil {
			dv.counters.unroutableMO.Add(1)
			ak.send(l, 0)
			return
		}
		dv.enqueue(l, a, &delivery{kind: v.Kind, frame: clone(frame)}, ak)
	default:
		dv.mo(l, t, frame, v, ak)
	}
}

// report delivers a status report from upstream up to the SP its route
// names and counts it by status. idOff and idLen place the message
// identity in frame. Runs on loop l, or on a lookup goroutine with l nil.
func (dv *deliverer) report(l *loop, up *upstream, t *accountTable, r authcache.Route, frame []byte, kind codec.Kind, idOff, idLen int, st reportStatus, ak *ack) {
	g := dv.g
	a := t.byID[r.SP]
	if a == nil {
		dv.unroutableReport(l, frame[idOff:idOff+idLen], "its route names account "+strconv.Quote(r.SP)+", which is not configured", ak)
		return
	}
	g.auth.ReportSeen(r.SP)
	a.reports[st].Add(1)
	if external(a.cfg.Load().Protocol) {
		g.reportToIngress(l, up, a, r, frame, ak)
		return
	}
	if sf := g.faceOf(a.cfg.Load().Protocol); sf.pair(up) != nil {
		// Another protocol: the report re-expressed in the SP's, naming
		// the SP's id of the message (the route's Origin).
		origin := r.Origin // r itself would move to the heap for every report
		f, err := dv.translatedReport(l, sf, up, origin.Bytes(), frame)
		if errors.Is(err, translate.ErrNoIDs) {
			// No id for the SP's Deliver yet (idmark.go): the SMG sends
			// the report again.
			ak.refuse(l, reason.UpstreamUnavailable)
			return
		}
		if err != nil {
			dv.unroutableReport(l, frame[idOff:idOff+idLen], "it cannot be translated: "+err.Error(), ak)
			return
		}
		dv.enqueue(l, a, &delivery{kind: sf.reportKind(), frame: f}, ak)
		return
	}
	d := &delivery{kind: kind, frame: frame}
	if g.cl == nil {
		dv.outbox.record(a, d) // its outbox record is spsmg's copy of the frame
	} else {
		d.frame = clone(frame)
	}
	if n := r.Origin.Len(); n > 0 && idOff+n <= len(d.frame) {
		// SGIP: the report names the sequence spsmg gave the Submit;
		// restore the SP's own.
		copy(d.frame[idOff:], r.Origin.Bytes())
	}
	dv.enqueue(l, a, d, ak)
}

// unroutableReport acknowledges a status report that no SP can be found
// for, with a (rate-limited) log line naming it and why, and counts it.
//
// It is acknowledged with success, deliberately: the cause is permanent —
// a route older than authorization.route_ttl, an account removed from the
// configuration, a report naming a message spsmg never forwarded, or a
// route lost with the page cache (power loss with store.sync_writes off) —
// so a resend would find no route either, and an SMG that resends an
// unacknowledged report may hold back what it queued behind it for the
// same connection. Reports spsmg could route are never acknowledged before
// they are in the outbox; a failed route lookup is answered with the
// retryable result instead (reportFromDisk).
func (dv *deliverer) unroutableReport(l *loop, msgID []byte, why string, ak *ack) {
	g := dv.g
	dv.counters.unroutableReports.Add(1)
	g.logRL(slog.LevelWarn, "status report unroutable; acknowledged to the SMG and dropped", "msgid", hex.EncodeToString(msgID), "reason", why)
	ak.send(l, 0)
}

// reportFromDisk looks a route up in the store when it has left memory
// (authorization.route_cache_ttl, authorization.route_cache_bytes): off the
// loop, on a bounded number of goroutines. When they are all busy the SMG is
// told to resend later.
func (dv *deliverer) reportFromDisk(up *upstream, frame []byte, kind codec.Kind, idOff, idLen int, spNumber []byte, st reportStatus, ak *ack) {
	g := dv.g
	select {
	case dv.routeLookups <- struct{}{}:
	default:
		dv.counters.routeLookupsBusy.Add(1)
		ak.refuse(nil, reason.UpstreamUnavailable)
		return
	}
	f := clone(frame)
	var spn string
	if len(spNumber) > 0 {
		spn = string(spNumber)
	}
	go func() {
		defer func() { <-dv.routeLookups }()
		id := f[idOff : idOff+idLen]
		r, ok, err := g.auth.LookupRoute(id)
		if err != nil {
			g.logRL(slog.LevelError, "route lookup failed; the SMG will resend the report", "msgid", hex.EncodeToString(id), "err", err)
			ak.refuse(nil, reason.UpstreamUnavailable)
			return
		}
		t := g.accounts.Load()
		if !ok {
			// No route. An SGIP route is durable before its Submit is sent
			// (bind.forward), so it is older than route_ttl or was never
			// written. A CMPP/SMGP route is written behind the Submit_Resp
			// and may have been lost in a crash: such a report names the
			// SP's number (Dest_Id, DestTermID), which leads to the account
			// whose access number the MT came from.
			a := t.route([]byte(spn))
			if a == nil {
				why := "no route (older than authorization.route_ttl, or for a Submit spsmg did not forward)"
				if spn != "" {
					why = "no route, and its SP number " + strconv.Quote(spn) + " is no account's access number"
				}
				dv.unroutableReport(nil, id, why, ak)
				return
			}
			r = authcache.Route{SP: a.id}
			dv.counters.reportsBySPNumber.Add(1)
		}
		dv.report(nil, up, t, r, f, kind, idOff, idLen, st, ak)
	}()
}

// offsetIn is the offset of sub inside frame; sub is a sub-slice of it (a
// codec.View field).
func offsetIn(frame, sub []byte) int {
	if len(sub) == 0 {
		return 0
	}
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(frame))))
}

// mo handles a user's MO: LinkID, confirmation replies, unsubscription
// (docs/authorization.md §1, §3b, §3e), then delivery.
func (dv *deliverer) mo(l *loop, t *accountTable, frame []byte, v *codec.View, ak *ack) {
	g := dv.g
	mo := dv.moOf(t, v)
	act := g.auth.OnMO(&mo)
	if act.Deferred { // a confirmation reply, decided in the cluster (deferred.go)
		g.moDeferred(l, frame, ak)
		return
	}
	dv.moAct(l, t, frame, v, &act, ak)
}

// moOf is the authorization view of an MO.
func (dv *deliverer) moOf(t *accountTable, v *codec.View) authcache.MO {
	g := dv.g
	a := t.route(v.SPNumber)
	spID := ""
	f := g.faces[0]
	if a != nil {
		spID = a.id
		if p := a.cfg.Load().Protocol; !external(p) {
			f = g.faceOf(p)
		}
	}
	return authcache.MO{
		User:        v.UserNumber,
		SPNumber:    v.SPNumber,
		SP:          spID,
		ServiceCode: v.ServiceCode,
		Text:        keywordText(v),
		LinkID:      v.LinkID(),
		LinkIDMax:   f.d.LinkIDWidth(), // what the SP's protocol carries back
	}
}

// moAct does what the engine decided for an MO: the Noti_SP of a Y, the
// acknowledgement of a consumed reply, the delivery. Runs on loop l.
func (dv *deliverer) moAct(l *loop, t *accountTable, frame []byte, v *codec.View, act *authcache.MOAction, ak *ack) {
	g := dv.g
	if act.Unavailable { // the cluster could not take the reply: the SMG resends
		ak.refuse(l, reason.UpstreamUnavailable)
		return
	}
	a := t.route(v.SPNumber)
	if n := act.NotiSP; n != nil {
		dv.counters.confirmations.Add(1)
		if target := t.byID[n.SP]; target != nil && !external(target.cfg.Load().Protocol) {
			f := g.faceOf(target.cfg.Load().Protocol) // written in the target SP's protocol
			coding, content := encodeText(n.Text)
			msg := codec.Deliver{MsgID: binary.BigEndian.AppendUint64(nil, dv.nextMsgID()), User: f.d.UserNumber(n.User),
				SPNumber: n.SPNumber, ServiceCode: n.ServiceCode, LinkID: n.LinkID, Coding: coding, Content: content,
				RecvTime: l.wall.Format("20060102150405")}
			var seq wireSeq // set per send
			dv.enqueue(l, target, &delivery{kind: codec.KindDeliver, frame: f.d.AppendDeliver(nil, seq[:f.seqLen], &msg), mo: true}, nil)
		}
	}
	if !act.Forward {
		ak.send(l, 0) // a Y/N reply is consumed, never forwarded as an MO
		return
	}
	if a == nil {
		dv.counters.unroutableMO.Add(1)
		ak.send(l, 0)
		return
	}
	if p := a.cfg.Load().Protocol; !external(p) {
		if f := g.faceOf(p); f.pair(ak.up) != nil {
			dv.moTranslated(l, a, f, ak.up, frame, act.LinkID, ak)
			return
		}
	}
	// frame is borrowed (gnet's read buffer, or a copy the caller keeps):
	// the LinkID is written into spsmg's own copy, never into it.
	f := clone(frame)
	if act.LinkID != "" && act.LinkID != string(v.LinkID()) {
		f = ak.up.setLinkID(f, act.LinkID)
	}
	dv.enqueue(l, a, &delivery{kind: codec.KindDeliver, frame: f, mo: true}, ak)
}

// msgIDCounter numbers the Delivers spsmg builds itself (nextMsgID).
var msgIDCounter atomic.Uint32

// nextMsgID makes the id of a Deliver spsmg builds itself (Noti_SP), in
// the CMPP Msg_Id layout (docs/protocols/cmpp.md §11) with the configured gateway code.
func (dv *deliverer) nextMsgID() uint64 {
	t := time.Now()
	var gw uint64
	fmt.Sscan(dv.g.cfgLoad().Node.GatewayCode, &gw)
	seq := uint64(msgIDCounter.Add(1)) & 0xffff
	return uint64(t.Month())<<60 | uint64(t.Day())<<55 | uint64(t.Hour())<<50 | uint64(t.Minute())<<44 |
		uint64(t.Second())<<38 | (gw&0x3fffff)<<16 | seq
}

// setLinkID writes linkID into f, spsmg's own copy of an MO frame from this
// upstream, and returns the frame (a new one when the protocol appends the
// field: SMGP's TLV). f is parsed again so that the Dialect writes through
// a View of f itself.
func (u *upstream) setLinkID(f []byte, linkID string) []byte {
	v := new(codec.View)
	if err := u.d.ParseView(f, v); err != nil {
		return f // a copy of a frame that parsed a moment ago: cannot happen
	}
	return u.d.SetLinkID(f, v, linkID)
}

// keywordText decodes a short MO for keyword matching (Y, N, TD…, 0000).
// Longer texts cannot be keywords and are not decoded: no allocation for
// ordinary MO traffic.
func keywordText(v *codec.View) string {
	if len(v.Content) == 0 || len(v.Content) > 64 || v.UDHI {
		return ""
	}
	s, err := text.Decode(v.Coding, v.Content)
	if err != nil {
		return ""
	}
	return s
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// enqueue delivers d to account a. Every delivery is written to the
// outbox first and the SMG acknowledged once that write is durable
// (docs/product.md §4): a kill -9 then loses nothing the SMG saw acknowledged. Sending does
// not wait for the write: a receiver on this loop takes d at once, one on
// another loop is woken. Runs on loop l.
func (dv *deliverer) enqueue(l *loop, a *account, d *delivery, ak *ack) {
	g := dv.g
	if g.cl != nil { // several nodes: the account's queue in the cluster
		g.cl.add(a, d, ak)
		return
	}
	if !dv.persistAndQueue(l, a, d, ak) {
		return
	}
	if r := a.pickReceiver(l, g.cfgLoad().Gateway.DeliverWindow); r != nil && r.l == l {
		r.drain()
		return
	}
	a.queue.kick()
}

// persistAndQueue appends d to the account's queue and writes it to the
// outbox; the SMG is acknowledged when the write is durable. A full queue
// answers the SMG with its busy result so that it resends later: memory
// stays bounded (gateway.outbox_limit per SP). So does a store below its
// free-space reserve (a report whose route was looked up on disk meanwhile);
// a delivery spsmg made itself (ak nil: a Noti_SP) is kept in memory.
func (dv *deliverer) persistAndQueue(l *loop, a *account, d *delivery, ak *ack) bool {
	g := dv.g
	if ak != nil && !g.auth.Writable() {
		dv.counters.storeSpaceLow.Add(1)
		ak.refuse(l, reason.UpstreamUnavailable)
		return false
	}
	if d.rec == nil {
		dv.outbox.record(a, d)
	}
	q := a.queue
	q.mu.Lock()
	if q.lenLocked() >= g.cfgLoad().Gateway.OutboxLimit {
		q.mu.Unlock()
		dv.counters.outboxFull.Add(1)
		ak.refuse(l, reason.UpstreamUnavailable)
		return false
	}
	d.setKey(dv.outbox.next())
	d.persisted = true
	q.pushLocked(d)
	q.mu.Unlock()
	dv.outbox.put(a, d, ak.onDurable(g, a))
	return true
}

// kick gets a receiver to drain the queue: an online connection on its
// loop, or (SGIP) a new receiver connection. Any goroutine.
func (q *deliveryQueue) kick() {
	r := q.a.pickReceiver(nil, q.g.cfgLoad().Gateway.DeliverWindow)
	if r != nil {
		if r.drainScheduled.CompareAndSwap(false, true) {
			_ = r.l.el.Execute(context.Background(), r.drainTask)
		}
		return
	}
	if q.a.cfg.Load().Receiver != nil {
		q.dialReceiver()
	}
}

// pickReceiver returns a logged-in connection of a that takes deliveries
// and has room in its delivery window, preferring one on loop l. Any
// goroutine.
func (a *account) pickReceiver(l *loop, window int) *spConn {
	a.mu.Lock()
	defer a.mu.Unlock()
	var other *spConn
	for _, r := range a.receivers {
		if r.closed.Load() || int(r.delivering.Load()) >= window {
			continue
		}
		if r.l == l {
			return r
		}
		if other == nil {
			other = r
		}
	}
	return other
}

// sendDelivery writes d to the SP with a sequence of this connection and
// remembers it until the SP answers. Runs on s's loop.
func (s *spConn) sendDelivery(d *delivery) bool {
	if s.state != spReady || !s.receives || s.closed.Load() {
		return false
	}
	l, f := s.l, s.f
	s.counter++
	seq := &s.seq
	f.putSeq(seq, s.g.node, l.sgipTime, s.counter)
	n := f.seqLen
	start := len(s.out.buf)
	s.out.buf = append(s.out.buf, d.frame...)
	copy(s.out.buf[start+f.seqOff:start+f.seqOff+n], seq[:n])
	s.out.mark()
	s.lastSend = l.now
	d.sentAt = l.now
	d.tries++
	s.awaiting[s.counter] = d
	s.delivering.Add(1)
	l.stats.packet(sideSP, dirOut, d.kind)
	return true
}

// deliveryAnswered: the SP answered a Deliver/Report/UserRpt.
func (s *spConn) deliveryAnswered(v *codec.View) {
	ctr := counterOf(v.Sequence)
	d := s.awaiting[ctr]
	if d == nil {
		return
	}
	delete(s.awaiting, ctr)
	s.delivering.Add(-1)
	switch {
	case d.persisted:
		s.g.deliver.outbox.remove(&s.l.writes, s.acct, d)
	case d.sid != "":
		s.g.cl.ack(s.acct.id, d.sid)
	case d.holdAck != nil:
		d.holdAck.send(s.l, 0)
	}
	s.drain()
}

// drain sends queued deliveries while the window allows. Runs on s's loop.
func (s *spConn) drain() {
	if !s.receives || s.state != spReady {
		return
	}
	q := s.acct.queue
	window := s.g.cfgLoad().Gateway.DeliverWindow
	for int(s.delivering.Load()) < window {
		q.mu.Lock()
		d := q.popLocked()
		q.mu.Unlock()
		if d == nil {
			return
		}
		if !s.sendDelivery(d) {
			q.pushFront([]*delivery{d})
			return
		}
	}
}

// expireDeliveries puts deliveries the SP did not answer in time back at
// the head of the queue, to be sent again.
func (s *spConn) expireDeliveries(timeout int64) {
	if len(s.awaiting) == 0 {
		return
	}
	var late []uint32
	for ctr, d := range s.awaiting {
		if s.l.now-d.sentAt > timeout {
			late = append(late, ctr)
		}
	}
	if len(late) == 0 {
		return
	}
	s.requeue(late)
	s.drain() // sent again now, not when the next delivery or answer comes
}

// requeueAwaiting: the connection closed; what it was sent and did not
// answer goes back to the queue (persisted if it never was).
func (s *spConn) requeueAwaiting() {
	if len(s.awaiting) == 0 {
		return
	}
	ctrs := make([]uint32, 0, len(s.awaiting))
	for ctr := range s.awaiting {
		ctrs = append(ctrs, ctr)
	}
	s.requeue(ctrs)
	s.acct.queue.kick()
}

// requeue takes the deliveries of ctrs out of the window and puts them
// back at the head of the queue in arrival order, persisting those that
// went straight to the SP and were never written to the outbox.
func (s *spConn) requeue(ctrs []uint32) {
	ds := make([]*delivery, 0, len(ctrs))
	for _, ctr := range ctrs {
		d := s.awaiting[ctr]
		delete(s.awaiting, ctr)
		s.delivering.Add(-1)
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].key < ds[j].key })
	for _, d := range ds {
		if !d.persisted && s.g.cl == nil {
			d.persisted = true
			s.g.deliver.outbox.put(s.acct, d, nil)
		}
	}
	s.acct.queue.pushFront(ds)
}
