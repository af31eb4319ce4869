package proxy

import (
	"sync/atomic"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/reason"
)

// The decision spsmg takes on one MT Submit is a reason.Reason: the
// authorization engine's (allowed or refused) or one of the proxy's own
// refusals. It indexes the decision counters (metric labels result and
// reason) and the result-code table of the protocol.

// decisionCounts counts decisions by reason; written by one loop, read at
// scrape time.
type decisionCounts []atomic.Uint64

func newDecisionCounts() decisionCounts { return make(decisionCounts, reason.Count) }

// buildResults is the result code of every refusal for dialect d: the
// configuration's table of d's family (its defaults, with the file's
// entries over them).
func buildResults(cfg *config.Config, d codec.Dialect) codec.ResultTable {
	return cfg.Results.Table(d.Protocol().Family())
}
