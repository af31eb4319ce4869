package jsoningress

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec/jsonsock"
	"github.com/spsmg/spsmg/config"
)

// Pushes. A report due to a merchant is an A002 request to its account's
// report_addr, on a connection of its own, answered by a B002. A push not
// answered within json.report_resend (60 s, the protocol's rule) is sent
// again, on a new connection; after three pushes the report is given up
// (counted and logged). The record (js/p/) is written before the SMG is
// acknowledged, rewritten after every push with the pushes made and when
// the next is due, and deleted once the merchant answered: a restart,
// kill -9 included, pushes again what was not answered (a push in flight
// at the kill is pushed again; the merchant may see it twice).

const (
	maxPushing  = 32               // pushes in flight at once
	dialTimeout = 10 * time.Second // at most; never beyond report_resend
	maxB002     = 4096             // a B002 body is {"status":"1"}
)

type pusher struct {
	s    *Server
	last atomic.Uint64 // the highest push number given out or found in the store

	mu      sync.Mutex
	due     pushHeap
	wake    chan struct{}
	quit    chan struct{}
	sem     chan struct{}
	wg      sync.WaitGroup
	waiting atomic.Int64 // records not yet answered or given up
}

func newPusher(s *Server) *pusher {
	return &pusher{s: s, wake: make(chan struct{}, 1), quit: make(chan struct{}), sem: make(chan struct{}, maxPushing)}
}

// next numbers a new push: above every number in the store.
func (p *pusher) next() uint64 { return p.last.Add(1) }

// load reads this node's pushes from the store and queues them as due.
func (p *pusher) load() error {
	var loaded []push
	err := p.s.st.Scan([]byte(pushPrefix), func(k, v []byte) error {
		num, node, ok := parsePushKey(k)
		if ok && num > p.last.Load() {
			p.last.Store(num)
		}
		if !ok || node != p.s.node {
			return nil
		}
		r, err := decodePush(k, v)
		if err != nil {
			p.s.log.Error("json listener: a report push record does not decode; left in the store", "key", string(k), "err", err)
			return nil
		}
		loaded = append(loaded, r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range loaded {
		p.add(r)
	}
	if len(loaded) > 0 {
		p.s.log.Info("json listener: reports waiting for their merchants loaded", "reports", len(loaded))
	}
	return nil
}

// add queues r for its due time.
func (p *pusher) add(r push) {
	p.s.m.waiting.Set(float64(p.waiting.Add(1)))
	p.schedule(r)
}

func (p *pusher) schedule(r push) {
	p.mu.Lock()
	heap.Push(&p.due, r)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pusher) finish() { p.s.m.waiting.Set(float64(p.waiting.Add(-1))) }

func (p *pusher) start() {
	p.wg.Add(1)
	go p.run()
}

// stop stops pushing; pushes in flight are cut off (their records stay).
func (p *pusher) stop() {
	select {
	case <-p.quit:
		return
	default:
	}
	close(p.quit)
	p.wg.Wait()
}

// run starts each push when it is due, at most maxPushing at once.
func (p *pusher) run() {
	defer p.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		var wait time.Duration = -1
		var r push
		if len(p.due) > 0 {
			if d := time.Until(time.UnixMilli(p.due[0].DueMS)); d > 0 {
				wait = d
			} else {
				r = heap.Pop(&p.due).(push)
				wait = 0
			}
		}
		p.mu.Unlock()
		if wait == 0 {
			select {
			case p.sem <- struct{}{}:
			case <-p.quit:
				return
			}
			p.wg.Add(1)
			go func() {
				defer func() { <-p.sem; p.wg.Done() }()
				p.attempt(r)
			}()
			continue
		}
		var tc <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-p.wake:
		case <-tc:
		case <-p.quit:
			return
		}
		if wait > 0 && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// attempt pushes r once and records what came of it.
func (p *pusher) attempt(r push) {
	s := p.s
	set := s.set.Load()
	a := set.byID[r.Account]
	key := pushKey(r.Num, r.Node)
	if a == nil || a.JSON.ReportAddr == "" {
		s.log.Warn("json listener: report given up: its account is no longer configured with a report_addr", "account", r.Account, "msgid", r.MsgID)
		s.m.reports.WithLabelValues(r.Account, repAbandoned).Inc()
		_ = s.st.Persist(nil, authcache.Mutation{Key: key, Delete: true})
		p.finish()
		return
	}
	resend := set.ing.ReportResend
	started := time.Now()
	result := p.pushOnce(a, &r, resend)
	if s.ctx.Err() != nil && result != pushAnswered {
		return // cut off by Shutdown: not a push; the record is pushed at the next start
	}
	s.m.pushes.WithLabelValues(r.Account, result).Inc()
	r.Pushes++
	if result == pushAnswered {
		s.m.reports.WithLabelValues(r.Account, repPushed).Inc()
		_ = s.st.Persist(nil, authcache.Mutation{Key: key, Delete: true})
		p.finish()
		return
	}
	if r.Pushes >= config.JSONReportPushes {
		s.logRL(slog.LevelWarn, "json listener: report given up after its last push went unanswered", "account", r.Account,
			"msgid", r.MsgID, "pushes", r.Pushes, "last", result, "report_addr", a.JSON.ReportAddr)
		s.m.reports.WithLabelValues(r.Account, repAbandoned).Inc()
		_ = s.st.Persist(nil, authcache.Mutation{Key: key, Delete: true})
		p.finish()
		return
	}
	// The next push is due report_resend after this one began: at once
	// when this one waited that long for its answer.
	r.DueMS = started.Add(resend).UnixMilli()
	_ = s.st.Persist(nil, authcache.Mutation{Key: key, Value: r.encode()})
	p.schedule(r)
}

// pushOnce sends r as an A002 to a's report_addr and waits, at most
// resend from now, for the B002.
func (p *pusher) pushOnce(a *account, r *push, resend time.Duration) string {
	s := p.s
	deadline := time.Now().Add(resend)
	ctx, cancel := context.WithDeadline(s.ctx, deadline)
	defer cancel()
	d := net.Dialer{Timeout: min(dialTimeout, resend)}
	c, err := d.DialContext(ctx, "tcp", a.JSON.ReportAddr)
	if err != nil {
		s.logRL(slog.LevelWarn, "json listener: report_addr unreachable; the report will be pushed again", "account", a.ID, "report_addr", a.JSON.ReportAddr, "err", err)
		return pushUnreachable
	}
	defer c.Close()
	// Cut the connection when the listener stops.
	unwatch := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer unwatch()
	_ = c.SetDeadline(deadline)
	body := jsonsock.AppendReport(nil, &jsonsock.Report{MsgID: r.MsgID, Phone: r.Phone, Status: r.Status, SendTime: r.SentMS, Stat: r.Stat})
	frame, err := jsonsock.AppendRequest(nil, jsonsock.CmdReport, a.JSON.AppID, a.JSON.AppSecret, body)
	if err != nil { // checked by config: the fields fit
		s.log.Error("json listener: A002 not built", "account", a.ID, "err", err)
		return pushUnreachable
	}
	if _, err := c.Write(frame); err != nil {
		return pushUnreachable
	}
	sp := jsonsock.Splitter{MaxBody: maxB002}
	buf := make([]byte, 0, 256)
	for {
		f, _, err := sp.Split(buf)
		if err == nil {
			if f.Command != jsonsock.CmdReportResp {
				return pushRefused
			}
			st, err := jsonsock.DecodeStatus(jsonsock.CmdReportResp, f.Body)
			if err != nil || st.Status != jsonsock.StatusSuccess {
				return pushRefused
			}
			return pushAnswered
		}
		if !errors.Is(err, jsonsock.ErrIncomplete) {
			return pushRefused
		}
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, 256)...)[:len(buf)]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && n == 0 {
			return pushNoAnswer // the deadline passed, or the merchant closed without answering
		}
	}
}

// pushHeap orders pushes by due time, then number.
type pushHeap []push

func (h pushHeap) Len() int { return len(h) }
func (h pushHeap) Less(i, j int) bool {
	if h[i].DueMS != h[j].DueMS {
		return h[i].DueMS < h[j].DueMS
	}
	return h[i].Num < h[j].Num
}
func (h pushHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pushHeap) Push(x any)   { *h = append(*h, x.(push)) }
func (h *pushHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
