package jsoningress

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/jsonsock"
	"github.com/spsmg/spsmg/proxy"
)

// Reports. The gateway hands every status report whose route names a json
// account to TakeReport, on an event loop. A worker (one of reportShards,
// chosen by the message, so that the reports of one message's parts are
// taken one after the other) reads the message's record, decides whether
// the merchant is due a report now, writes the record and, when due, the
// push record together, and only then acknowledges the report to the SMG:
// a report acknowledged is never lost. The merchant gets one report per
// message: status 2 with the carrier's stat as soon as a part fails,
// status 1 with DELIVRD once every part was delivered.

const (
	reportShards = 8
	reportQueue  = 1024 // reports waiting per worker; beyond, the SMG is answered busy
)

type reporter struct {
	s      *Server
	seed   maphash.Seed
	queues [reportShards]chan proxy.IngressReport
	mu     sync.RWMutex // held for reading while a report is queued, for writing to stop
	closed bool
	quit   chan struct{}
	wg     sync.WaitGroup
}

func newReporter(s *Server) *reporter {
	r := &reporter{s: s, seed: maphash.MakeSeed(), quit: make(chan struct{})}
	for i := range r.queues {
		r.queues[i] = make(chan proxy.IngressReport, reportQueue)
		r.wg.Add(1)
		go r.work(r.queues[i])
	}
	return r
}

// TakeReport takes a report of a json account's message (proxy.ReportSink).
// Called on an event loop: it only queues.
func (s *Server) TakeReport(rep proxy.IngressReport) {
	r := s.reports
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		rep.Done(false)
		return
	}
	key := rep.Origin
	if len(key) > msgKeyLen {
		key = key[:msgKeyLen]
	}
	select {
	case r.queues[maphash.Bytes(r.seed, key)%reportShards] <- rep:
	default:
		s.logRL(slog.LevelWarn, "json listener: report queue full; the SMG will send the report again", "account", rep.Account)
		rep.Done(false)
	}
}

// stop stops the workers; reports still queued are answered busy, so that
// the SMG sends them again.
func (r *reporter) stop() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	close(r.quit)
	r.wg.Wait()
	for _, q := range r.queues {
		for {
			select {
			case rep := <-q:
				rep.Done(false)
				continue
			default:
			}
			break
		}
	}
}

func (r *reporter) work(q chan proxy.IngressReport) {
	defer r.wg.Done()
	for {
		select {
		case <-r.quit:
			return
		case rep := <-q:
			r.take(rep)
		}
	}
}

// take handles one report; see the top of the file.
func (r *reporter) take(rep proxy.IngressReport) {
	s := r.s
	count := func(result string) { s.m.reports.WithLabelValues(rep.Account, result).Inc() }
	var del codec.Delivery
	if err := s.upstream(rep.Upstream).d.DecodeDelivery(rep.Frame, &del); err != nil || del.Kind != codec.KindReport {
		// Nothing a resend would change: acknowledged and dropped.
		s.logRL(slog.LevelWarn, "json listener: report frame not readable; acknowledged and dropped", "account", rep.Account, "err", err)
		count(repUnmapped)
		rep.Done(true)
		return
	}
	if len(rep.Origin) != msgKeyLen+1 || rep.Origin[msgKeyLen] == 0 {
		count(repUnmapped)
		rep.Done(true)
		return
	}
	key, part := msgKey(rep.Origin[:msgKeyLen]), int(rep.Origin[msgKeyLen])
	v, err := s.st.Get(key)
	if errors.Is(err, authcache.ErrNotFound) {
		s.logRL(slog.LevelInfo, "json listener: report of a message with no record (older than route_ttl, or not sent in full); acknowledged and dropped", "account", rep.Account)
		count(repUnmapped)
		rep.Done(true)
		return
	}
	if err != nil {
		s.logRL(slog.LevelError, "json listener: message record not readable now; the SMG will send the report again", "err", err)
		rep.Done(false)
		return
	}
	m, err := decodeMessage(v)
	if err != nil || m.Account != rep.Account || part > m.Parts {
		s.logRL(slog.LevelError, "json listener: message record does not match its report; acknowledged and dropped", "account", rep.Account, "err", err)
		count(repUnmapped)
		rep.Done(true)
		return
	}
	stat := del.Report.Stat
	switch {
	case stat == "ACCEPTD" || stat == "ENROUTE":
		count(repInterim)
		rep.Done(true)
		return
	case m.Done || m.delivered(part):
		count(repDuplicate)
		rep.Done(true)
		return
	}
	var p *push
	if stat == "DELIVRD" {
		m.setDelivered(part)
		if m.deliveredCount() >= m.Parts {
			p = &push{Status: jsonsock.StatusSuccess}
		}
	} else {
		p = &push{Status: jsonsock.StatusFailure}
	}
	now := time.Now()
	muts := make([]authcache.Mutation, 1, 2)
	if p != nil {
		m.Done = true
		p.Num, p.Node = s.pusher.next(), s.node
		p.Account, p.MsgID, p.Phone, p.Stat, p.SentMS = m.Account, m.MsgID, m.Phone, stat, m.SentMS
		p.DueMS = now.UnixMilli()
		muts = append(muts, authcache.Mutation{Key: pushKey(p.Num, p.Node), Value: p.encode()})
	}
	muts[0] = authcache.Mutation{Key: key, Value: m.encode(), ExpiresAt: m.SentMS/1000 + s.set.Load().routeTTL}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	err = s.persist(ctx, muts...)
	cancel()
	if err != nil {
		s.logRL(slog.LevelError, "json listener: report not written; the SMG will send it again", "account", rep.Account, "err", err)
		rep.Done(false)
		return
	}
	rep.Done(true)
	if p == nil {
		count(repPart)
		return
	}
	count(repQueued)
	s.pusher.add(*p)
}
