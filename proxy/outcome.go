package proxy

import (
	"sync/atomic"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
)

// outcome is the decision spsmg took on one MT Submit: an authcache reason
// (allowed or refused) or one of the proxy's own refusals. It indexes the
// decision counters (metric labels result and reason) and the result-code
// table of the protocol.
type outcome uint8

var (
	// outcomes after authcache's reasons.
	outFlowControl, outWindowFull, outUpstreamUnavailable, outUpstreamTimeout,
	outServiceNotAllowed, outSPNumberNotAllowed, outMalformed, outTooManyRecipients,
	outAccountSuspended outcome

	// outStoreUnavailable is authcache's own reason, used by the proxy too
	// (exempt accounts below the store's free-space reserve).
	outStoreUnavailable = outcome(authcache.ReasonStoreUnavailable)

	numOutcomes   int
	outcomeNames  []string
	outcomeAllows []bool
)

func init() {
	rs := authcache.Reasons()
	max := 0
	for _, r := range rs {
		if int(r) > max {
			max = int(r)
		}
	}
	numOutcomes = max + 1
	outcomeNames = make([]string, numOutcomes)
	outcomeAllows = make([]bool, numOutcomes)
	for _, r := range rs {
		outcomeNames[r] = r.String()
		outcomeAllows[r] = r.Allowed()
	}
	add := func(name string) outcome {
		outcomeNames = append(outcomeNames, name)
		outcomeAllows = append(outcomeAllows, false)
		numOutcomes++
		return outcome(numOutcomes - 1)
	}
	outFlowControl = add(config.ReasonFlowControl)
	outWindowFull = add(config.ReasonWindowFull)
	outUpstreamUnavailable = add(config.ReasonUpstreamUnavailable)
	outUpstreamTimeout = add(config.ReasonUpstreamTimeout)
	outServiceNotAllowed = add(config.ReasonServiceNotAllowed)
	outSPNumberNotAllowed = add(config.ReasonSPNumberNotAllowed)
	outMalformed = add(config.ReasonMalformed)
	outTooManyRecipients = add(config.ReasonTooManyRecipients)
	outAccountSuspended = add(config.ReasonAccountSuspended)
	if numOutcomes > 255 {
		panic("proxy: too many outcomes")
	}
}

func (o outcome) String() string { return outcomeNames[o] }

// decisionCounts counts outcomes; written by one loop, read at scrape time.
type decisionCounts []atomic.Uint64

func newDecisionCounts() decisionCounts { return make(decisionCounts, numOutcomes) }

// resultTable maps each refusal outcome to the protocol's result code.
type resultTable []uint32

// buildResults reads the config table of one protocol family. Reasons the
// table does not name fall back to the default of the family, then to the
// generic refusal code of the family's not_subscribed entry.
func buildResults(cfg *config.Config, family string) resultTable {
	t := make(resultTable, numOutcomes)
	table := cfg.Results.Family(family)
	def := config.DefaultResults().Family(family)
	for o := 0; o < numOutcomes; o++ {
		if outcomeAllows[o] {
			continue
		}
		name := outcomeNames[o]
		switch {
		case table[name] != 0:
			t[o] = table[name]
		case def[name] != 0:
			t[o] = def[name]
		default:
			t[o] = def["not_subscribed"]
		}
	}
	return t
}
