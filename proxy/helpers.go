package proxy

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

var processStart = time.Now()

// nanotime is a monotonic clock reading in nanoseconds.
func nanotime() int64 { return int64(time.Since(processStart)) }

// resultOf is the protocol's result code for a refusal.
func (g *Gateway) resultOf(o reason.Reason) uint32 { return (*g.results.Load())[o] }

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
