package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
)

// outboxPrefix keeps the proxy's records apart from authcache's in the one
// Badger database (a directory opens once per process).
const outboxPrefix = "ob/"

// outboxNumLen is the size of a delivery's number at the end of its key.
const outboxNumLen = 8

// outbox persists deliveries for SPs that cannot take them now (docs/product.md
// §4: store-and-forward). Keys are "ob/<account>/<8-byte big-endian number>",
// so a prefix scan returns each account's deliveries in order; the value is
// the delivery kind and the frame.
//
// A key is read from its end: the last 8 bytes are the number, the byte
// before them is '/', and everything between the prefix and that '/' is the
// account id. The number is binary, so any of its bytes may be '/' (0x2F),
// and an account id may hold '/' too; splitting at the last (or first) '/'
// is therefore wrong for about one key in 32, and versions that did so
// skipped those records at every start (see load).
//
// Numbers come from one counter for the whole process, started above every
// number in the store: a new delivery can never take the number of a record
// already there — a record of a removed account, or one an older version
// left unloaded — so it never overwrites one. (Counting from 1, a million
// deliveries a second would take 580,000 years to exhaust 64 bits.)
type outbox struct {
	g    *Gateway
	auth *authcache.Engine
	last atomic.Uint64 // the highest number given out or found in the store
}

func newOutbox(g *Gateway, auth *authcache.Engine) *outbox { return &outbox{g: g, auth: auth} }

// next gives a delivery its number: unique in the store, and increasing, so
// that an account's deliveries keep their arrival order. Any goroutine; the
// caller holds the account's queue lock, so that numbers follow queue order.
func (o *outbox) next() uint64 { return o.last.Add(1) }

func outboxKey(account string, n uint64) []byte {
	return appendOutboxKey(make([]byte, 0, outboxKeyLen(account)), account, n)
}

func outboxKeyLen(account string) int { return len(outboxPrefix) + len(account) + 1 + outboxNumLen }

func appendOutboxKey(b []byte, account string, n uint64) []byte {
	b = append(b, outboxPrefix...)
	b = append(b, account...)
	b = append(b, '/')
	return binary.BigEndian.AppendUint64(b, n)
}

// parseOutboxKey splits an outbox key into the account id and the number,
// reading from the end (see outbox). ok is false for anything outboxKey
// cannot have written.
func parseOutboxKey(key []byte) (account []byte, n uint64, ok bool) {
	if len(key) < len(outboxPrefix)+1+outboxNumLen || string(key[:len(outboxPrefix)]) != outboxPrefix {
		return nil, 0, false
	}
	sep := len(key) - outboxNumLen - 1
	if key[sep] != '/' || sep == len(outboxPrefix) {
		return nil, 0, false
	}
	return key[len(outboxPrefix):sep], binary.BigEndian.Uint64(key[sep+1:]), true
}

// skippedByOldParser reports whether versions that split keys at the last
// '/' skipped the record numbered n: they did whenever a byte of the number
// is '/'. Only counted, for the log line that tells an operator why old
// deliveries arrive after a restart.
func skippedByOldParser(n uint64) bool {
	for i := 0; i < outboxNumLen; i++ {
		if byte(n>>(8*i)) == '/' {
			return true
		}
	}
	return false
}

// record lays d out as its outbox record in one allocation — the key
// (numbered by setKey), the kind byte, the frame — which d.frame then
// points into (nothing writes a delivery's frame), so that put and remove
// need no buffers of their own. Runs before d is visible to another
// goroutine.
func (o *outbox) record(a *account, d *delivery) {
	kl := outboxKeyLen(a.id)
	rec := make([]byte, 0, kl+1+len(d.frame))
	rec = appendOutboxKey(rec, a.id, d.key)
	rec = append(rec, byte(d.kind))
	rec = append(rec, d.frame...)
	d.frame = rec[kl+1:]
	d.rec, d.keyLen = rec, kl
}

// setKey gives d its number, in its record's key too.
func (d *delivery) setKey(n uint64) {
	d.key = n
	if d.rec != nil {
		binary.BigEndian.PutUint64(d.rec[d.keyLen-outboxNumLen:d.keyLen], n)
	}
}

// recordKey is d's outbox key.
func (d *delivery) recordKey(a *account) []byte {
	if d.rec == nil {
		return outboxKey(a.id, d.key)
	}
	return d.rec[:d.keyLen:d.keyLen]
}

// put writes d; done (any goroutine) learns whether it is durable.
func (o *outbox) put(a *account, d *delivery, done func(error)) {
	if d.rec == nil {
		o.record(a, d)
	}
	err := o.auth.Persist(done, authcache.Mutation{Key: d.recordKey(a), Value: d.rec[d.keyLen:]})
	if err != nil && done != nil {
		done(err)
	}
}

// remove deletes an answered delivery, in b: the loop's batch of store
// writes, handed to the writer when the loop flushes.
func (o *outbox) remove(b *authcache.WriteBatch, a *account, d *delivery) {
	_ = b.Persist(nil, authcache.Mutation{Key: d.recordKey(a), Delete: true})
}

// load fills the accounts' queues from the store, in arrival order, and
// starts the numbering above every number found. It runs in New, before any
// connection exists, so nothing can be numbered or queued before it.
// Deliveries of accounts no longer configured stay in the store; they are
// loaded if the account comes back (loadAccount).
func (o *outbox) load() {
	t := o.g.accounts.Load()
	n, orphans, recovered, bad := 0, 0, 0, 0
	err := o.auth.Store().Scan([]byte(outboxPrefix), func(key, value []byte) error {
		id, num, ok := parseOutboxKey(key)
		if !ok || len(value) < 1 {
			bad++
			return nil
		}
		if num > o.last.Load() {
			o.last.Store(num)
		}
		a := t.byID[string(id)]
		if a == nil {
			orphans++
			return nil
		}
		a.queue.pushLoaded(num, value)
		n++
		if skippedByOldParser(num) {
			recovered++
		}
		return nil
	})
	if err != nil {
		o.g.log.Error("loading the outbox failed", "err", err)
	}
	if n > 0 || orphans > 0 || bad > 0 {
		o.g.log.Info("outbox loaded", "deliveries", n, "of_removed_accounts", orphans, "unreadable_keys", bad)
	}
	if recovered > 0 {
		// Versions before this one split outbox keys at the last '/' and
		// skipped these records at every start: they are delivered now,
		// among the others in key order, possibly after newer ones.
		o.g.log.Warn("outbox: delivering records that earlier versions skipped at start", "deliveries", recovered)
	}
}

// loadAccount queues the stored deliveries of one account, for an account a
// reload adds (or adds back) before it is visible to any connection.
func (o *outbox) loadAccount(a *account) {
	prefix := outboxKey(a.id, 0)[:len(outboxPrefix)+len(a.id)+1]
	n := 0
	err := o.auth.Store().Scan(prefix, func(key, value []byte) error {
		// The prefix also matches the keys of an account whose id starts
		// with this one's followed by '/': compare the whole id.
		id, num, ok := parseOutboxKey(key)
		if !ok || len(value) < 1 || string(id) != a.id {
			return nil
		}
		a.queue.pushLoaded(num, value)
		n++
		return nil
	})
	if err != nil {
		o.g.log.Error("loading the outbox of an added account failed", "account", a.id, "err", err)
	}
	if n > 0 {
		o.g.log.Info("outbox loaded for an added account", "account", a.id, "deliveries", n)
	}
}

// kickLoaded gets the deliveries found at start moving (SGIP: dial the SP's
// receivers). At boot, once the event loops are known.
func (o *outbox) kickLoaded() {
	for _, a := range o.g.accounts.Load().byID {
		if a.queue.Len() > 0 && a.cfg.Load().Receiver != nil {
			a.queue.kick()
		}
	}
}

// dialReceiver connects to an SGIP SP's own listener so that spsmg can
// bind type 2 and deliver (docs/protocols/sgip12.md §2). One dial at a time per account;
// a failure retries with backoff while deliveries wait.
func (q *deliveryQueue) dialReceiver() {
	q.mu.Lock()
	if q.dialing || q.g.shutdown.Load() {
		q.mu.Unlock()
		return
	}
	q.a.mu.Lock()
	hasReceiver := len(q.a.receivers) > 0
	q.a.mu.Unlock()
	if hasReceiver {
		q.mu.Unlock()
		return
	}
	q.dialing = true
	q.attempts++
	attempt := q.attempts
	q.mu.Unlock()
	go func() {
		g := q.g
		rc := q.a.cfg.Load().Receiver
		cfg := g.cfgLoad()
		nc, err := net.DialTimeout("tcp", rc.Addr, cfg.DefaultUpstreamConfig().ConnectTimeout)
		loops := g.loopList()
		if err == nil && len(loops) == 0 {
			nc.Close()
			err = errors.New("the event loops are not running yet")
		}
		if err == nil {
			l := loops[rand.IntN(len(loops))]
			s := newSPConn(g, l, nil, roleReceiver, q.a, g.faceOf(q.a.cfg.Load().Protocol))
			var ch <-chan gnet.RegisteredResult
			if ch, err = l.el.Enroll(gnet.NewContext(g.ctx, s), nc); err == nil {
				err = (<-ch).Err
			}
		}
		q.mu.Lock()
		q.dialing = false
		q.mu.Unlock()
		if err != nil {
			wait := backoff(cfg.DefaultUpstreamConfig().ReconnectMin, cfg.DefaultUpstreamConfig().ReconnectMax, attempt)
			g.log.Warn("cannot reach the SGIP SP's receiver", "account", q.a.id, "addr", rc.Addr, "err", err, "retry_in", wait.Round(time.Millisecond))
			time.AfterFunc(wait, q.kick)
		}
	}()
}

// receiverGone: an SGIP receiver connection closed; if deliveries wait,
// reconnect after a backoff.
func (q *deliveryQueue) receiverGone(s *spConn) {
	if s.state == spClosing && s.closeWhy == CloseLogout && q.Len() == 0 {
		return
	}
	q.mu.Lock()
	if s.closeWhy != CloseLoginFailed {
		q.attempts = 0
	}
	q.attempts++
	attempt := q.attempts
	q.mu.Unlock()
	if q.Len() > 0 && !q.g.shutdown.Load() {
		cfg := q.g.cfgLoad().Upstream
		time.AfterFunc(backoff(cfg.ReconnectMin, cfg.ReconnectMax, attempt), q.kick)
	}
}

// CheckOutboxRecord decodes an outbox record (spsmg store verify) and
// returns the account it waits for and its kind ("deliver", "report",
// "userrpt"). With a protocol (the upstream's, which every SP speaks) the
// frame is also parsed as that protocol's PDU. Any goroutine; no Gateway
// needed.
func CheckOutboxRecord(p codec.Protocol, key, value []byte) (account, kind string, err error) {
	if !bytes.HasPrefix(key, []byte(outboxPrefix)) {
		return "", "", fmt.Errorf("outbox: key outside %q", outboxPrefix)
	}
	acct, _, ok := parseOutboxKey(key)
	if !ok {
		return "", "", errors.New("outbox: key is not ob/<account>/<8-byte arrival number>")
	}
	account = string(acct)
	if len(value) < 1 {
		return account, "", errors.New("outbox: empty value")
	}
	k := codec.Kind(value[0])
	switch k {
	case codec.KindDeliver, codec.KindReport, codec.KindUserRpt:
	default:
		return account, "", fmt.Errorf("outbox: delivery kind %d", value[0])
	}
	frame := value[1:]
	if len(frame) < 12 || int(binary.BigEndian.Uint32(frame)) != len(frame) {
		return account, k.String(), fmt.Errorf("outbox: frame of %d bytes does not carry its own length", len(frame))
	}
	if p != codec.ProtocolUnknown {
		d := dialect.For(p)
		if d == nil {
			return account, k.String(), fmt.Errorf("outbox: unknown protocol %q", p)
		}
		var v codec.View
		if err := d.ParseView(frame, &v); err != nil {
			return account, k.String(), fmt.Errorf("outbox: %s frame: %w", p, err)
		}
		if v.Kind != k {
			return account, k.String(), fmt.Errorf("outbox: stored as %s, the frame is a %s", k, v.Kind)
		}
	}
	return account, k.String(), nil
}
