package reconcile

import "github.com/spsmg/spsmg/authcache"

// Columns of the subscription changes (authcache.SubChanges).
const (
	ColSubscriptionsAdded     = "subscriptions_added"
	ColSubscriptionsCancelled = "subscriptions_cancelled"
	ColSubscriptionsPaused    = "subscriptions_paused"
	ColSubscriptionsResumed   = "subscriptions_resumed"
)

// EngineSource counts subscription changes by SP from the authorization
// engine.
func EngineSource(e *authcache.Engine) Source { return engineSource{e} }

type engineSource struct{ e *authcache.Engine }

func (engineSource) Columns() []string {
	return []string{ColSubscriptionsAdded, ColSubscriptionsCancelled, ColSubscriptionsPaused, ColSubscriptionsResumed}
}

func (s engineSource) Counts(add func(sp, column string, v uint64)) {
	for sp, c := range s.e.SubscriptionChanges() {
		add(sp, ColSubscriptionsAdded, c.Added)
		add(sp, ColSubscriptionsCancelled, c.Cancelled)
		add(sp, ColSubscriptionsPaused, c.Paused)
		add(sp, ColSubscriptionsResumed, c.Resumed)
	}
}

// Func adapts a columns list and a counting function (the gateway's
// ReconcileColumns and ReconcileCounts).
func Func(columns []string, counts func(add func(sp, column string, v uint64))) Source {
	return funcSource{columns, counts}
}

type funcSource struct {
	cols   []string
	counts func(add func(sp, column string, v uint64))
}

func (f funcSource) Columns() []string                            { return f.cols }
func (f funcSource) Counts(add func(sp, column string, v uint64)) { f.counts(add) }
