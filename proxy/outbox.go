package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
)

// outboxPrefix keeps the proxy's records apart from authcache's in the one
// Badger database (a directory opens once per process).
const outboxPrefix = "ob/"

// outbox persists deliveries for SPs that cannot take them now (SPEC §4:
// store-and-forward). Keys are "ob/<account>/<8-byte big-endian arrival
// number>", so a prefix scan returns each account's deliveries in order;
// the value is the delivery kind and the frame.
type outbox struct {
	g    *Gateway
	auth *authcache.Engine
}

func newOutbox(g *Gateway, auth *authcache.Engine) *outbox { return &outbox{g: g, auth: auth} }

func outboxKey(account string, key uint64) []byte {
	b := make([]byte, 0, len(outboxPrefix)+len(account)+1+8)
	b = append(b, outboxPrefix...)
	b = append(b, account...)
	b = append(b, '/')
	return binary.BigEndian.AppendUint64(b, key)
}

// put writes d; done (any goroutine) learns whether it is durable.
func (o *outbox) put(a *account, d *delivery, done func(error)) {
	v := make([]byte, 0, 1+len(d.frame))
	v = append(v, byte(d.kind))
	v = append(v, d.frame...)
	err := o.auth.Persist(done, authcache.Mutation{Key: outboxKey(a.id, d.key), Value: v})
	if err != nil && done != nil {
		done(err)
	}
}

// remove deletes an answered delivery.
func (o *outbox) remove(a *account, d *delivery) {
	_ = o.auth.Enqueue(authcache.Mutation{Key: outboxKey(a.id, d.key), Delete: true})
}

// load fills the accounts' queues from the store at boot, in arrival order.
// Deliveries of accounts no longer configured stay in the store.
func (o *outbox) load() {
	t := o.g.accounts.Load()
	n, orphans := 0, 0
	err := o.auth.Store().Scan([]byte(outboxPrefix), func(key, value []byte) error {
		rest := key[len(outboxPrefix):]
		i := bytes.LastIndexByte(rest, '/')
		if i < 0 || len(rest)-i-1 != 8 || len(value) < 1 {
			return nil
		}
		a := t.byID[string(rest[:i])]
		if a == nil {
			orphans++
			return nil
		}
		d := &delivery{kind: codec.Kind(value[0]), frame: clone(value[1:]), key: binary.BigEndian.Uint64(rest[i+1:]), persisted: true}
		q := a.queue
		q.mu.Lock()
		q.pushLocked(d)
		if d.key >= q.nextKey {
			q.nextKey = d.key + 1
		}
		q.mu.Unlock()
		n++
		return nil
	})
	if err != nil {
		o.g.log.Error("loading the outbox failed", "err", err)
	}
	if n > 0 || orphans > 0 {
		o.g.log.Info("outbox loaded", "deliveries", n, "of_removed_accounts", orphans)
	}
	for _, a := range t.byID {
		if a.queue.Len() > 0 && a.cfg.Load().Receiver != nil {
			a.queue.kick()
		}
	}
}

// dialReceiver connects to an SGIP SP's own listener so that spsmg can
// bind type 2 and deliver (sgip12.md §2). One dial at a time per account;
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
		nc, err := net.DialTimeout("tcp", rc.Addr, cfg.Upstream.ConnectTimeout)
		if err == nil {
			loops := g.loopList()
			l := loops[rand.IntN(len(loops))]
			s := newSPConn(g, l, nil, roleReceiver, q.a)
			var ch <-chan gnet.RegisteredResult
			if ch, err = l.el.Enroll(gnet.NewContext(g.ctx, s), nc); err == nil {
				err = (<-ch).Err
			}
		}
		q.mu.Lock()
		q.dialing = false
		q.mu.Unlock()
		if err != nil {
			wait := backoff(cfg.Upstream.ReconnectMin, cfg.Upstream.ReconnectMax, attempt)
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
func CheckOutboxRecord(p config.Protocol, key, value []byte) (account, kind string, err error) {
	if !bytes.HasPrefix(key, []byte(outboxPrefix)) {
		return "", "", fmt.Errorf("outbox: key outside %q", outboxPrefix)
	}
	rest := key[len(outboxPrefix):]
	i := bytes.LastIndexByte(rest, '/')
	if i <= 0 || len(rest)-i-1 != 8 {
		return "", "", errors.New("outbox: key is not ob/<account>/<8-byte arrival number>")
	}
	account = string(rest[:i])
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
	if p != "" {
		d, err := dialectFor(p)
		if err != nil {
			return account, k.String(), err
		}
		var v codec.View
		if err := d.parseView(frame, &v); err != nil {
			return account, k.String(), fmt.Errorf("outbox: %s frame: %w", p, err)
		}
		if v.Kind != k {
			return account, k.String(), fmt.Errorf("outbox: stored as %s, the frame is a %s", k, v.Kind)
		}
	}
	return account, k.String(), nil
}
