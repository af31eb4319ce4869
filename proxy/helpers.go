package proxy

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

var processStart = time.Now()

// nanotime is a monotonic clock reading in nanoseconds.
func nanotime() int64 { return int64(time.Since(processStart)) }

// resultOf is the protocol's result code for a refusal.
func (g *Gateway) resultOf(o reason.Reason) uint32 { return (*g.results.Load())[o] }

// anyOtherLoopReady reports whether a loop other than from has a logged-in
// bind. Any goroutine; reads atomics.
func (g *Gateway) anyOtherLoopReady(from *loop) bool {
	for _, l := range g.loopList() {
		if l != from && l.readyBinds.Load() > 0 {
			return true
		}
	}
	return false
}

// forwardElsewhere hands a Submit to a bind on another loop when this loop
// has none logged in (for instance when the SMG allows fewer connections
// than there are loops). The frame is copied; the response comes back by
// AsyncWrite. Returns false when no loop has a bind.
func (g *Gateway) forwardElsewhere(from *loop, frame []byte, v *codec.View, s *spConn, allow reason.Reason) bool {
	var target *loop
	for _, l := range g.loopList() {
		if l != from && l.readyBinds.Load() > 0 {
			target = l
			break
		}
	}
	if target == nil {
		return false
	}
	f := clone(frame)
	var spSeq wireSeq
	copy(spSeq[:], v.Sequence)
	kind, cmd, needReport, dests := v.Kind, v.Command, v.NeedReport, v.DestCount
	s.inflight.Add(1) // counted now so the window holds across the hand-over
	err := target.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		target.tick()
		s.inflight.Add(-1)
		if b := target.pickBind(); b != nil {
			b.forward(f, kind, cmd, spSeq[:g.seqLen], pendSubmit, s, needReport, dests, allow)
		} else { // its bind went away meanwhile
			s.refuseLater(target, &pending{kind: pendSubmit, cmdKind: kind, cmd: cmd, spSeq: spSeq}, reason.UpstreamUnavailable)
		}
		target.flush()
		return nil
	}))
	if err != nil {
		s.inflight.Add(-1)
		return false
	}
	return true
}

var msgIDCounter atomic.Uint32

// nextMsgID makes the id of a Deliver spsmg builds itself (Noti_SP), in
// the CMPP Msg_Id layout (docs/protocols/cmpp.md §11) with the configured gateway code.
func (g *Gateway) nextMsgID() uint64 {
	t := time.Now()
	var gw uint64
	fmt.Sscan(g.cfgLoad().Node.GatewayCode, &gw)
	seq := uint64(msgIDCounter.Add(1)) & 0xffff
	return uint64(t.Month())<<60 | uint64(t.Day())<<55 | uint64(t.Hour())<<50 | uint64(t.Minute())<<44 |
		uint64(t.Second())<<38 | (gw&0x3fffff)<<16 | seq
}

// AuthPolicy turns the config's authorization section into authcache's
// (used here on reload and by whoever opens the engine: cmd/spsmg, tests).
func AuthPolicy(cfg *config.Config) authcache.Config {
	a := cfg.Authorization
	p := authcache.Config{
		PortalNumber:        a.PortalNumber,
		PendingTTL:          a.PendingTTL,
		PendingRepeatWindow: a.PendingRepeatWindow,
		NoticeServiceCode:   a.NoticeServiceCode,
		MOLinkIDTTL:         a.MOLinkIDTTL,
		MOLinkIDUses:        a.MOLinkIDUses,
		WebCodeDigits:       a.WebCodeLength,
		WebCodePrefix:       a.WebLinkIDPrefix,
		WebCodeTTL:          a.WebCodeTTL,
		WebCodeUses:         a.WebCodeUses,
		RouteTTL:            a.RouteTTL,
		RouteCacheTTL:       a.RouteCacheTTL,
		LongSMSTTL:          a.LongSMSTTL,
		LongSMSCapacity:     a.LongSMSCapacity,
		RouteCacheBytes:     a.RouteCacheBytes,
	}
	for _, s := range a.ExemptServices {
		p.ExemptServices = append(p.ExemptServices, authcache.ExemptService{ServiceCode: s})
	}
	for _, ac := range cfg.Accounts {
		if ac.Exempt {
			p.ExemptSPs = append(p.ExemptSPs, ac.ID)
		}
		for _, s := range ac.ExemptServices {
			p.ExemptServices = append(p.ExemptServices, authcache.ExemptService{SP: ac.ID, ServiceCode: s})
		}
	}
	if a.UnsubscribeKeyword != "" {
		p.Keywords.Unsubscribe = []string{a.UnsubscribeKeyword}
	}
	if a.CancelAllKeyword != "" {
		p.Keywords.UnsubscribeAll = []string{a.CancelAllKeyword}
	}
	return p
}
