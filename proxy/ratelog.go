package proxy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// logLimiter keeps hostile or broken peers from flooding the log: malformed
// input gets a log line (docs/product.md §4), and the log stays bounded.
// Each kind of line — keyed by its constant message — passes 10 at once,
// then one a second; the next line that passes says how many were
// suppressed meanwhile. The metrics count every case; the log shows
// examples.
type logLimiter struct {
	mu    sync.Mutex
	gates map[string]*logGate
	// now is the limiter's clock (Options.LogClock; nil: time.Now). A
	// test's clock refills the budget by advancing, instead of the test
	// waiting a second per line.
	now func() time.Time
}

type logGate struct {
	lim        *rate.Limiter
	suppressed int
}

func (l *logLimiter) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// logRL logs msg at lvl unless its kind is over its rate. Any goroutine.
func (g *Gateway) logRL(lvl slog.Level, msg string, args ...any) { g.logRLKey(msg, lvl, msg, args...) }

// logRLKey is logRL with its own limiter key, for one message that covers
// several cases (a close reason, a login status): a rare case keeps its
// own budget during a flood of a common one.
func (g *Gateway) logRLKey(key string, lvl slog.Level, msg string, args ...any) {
	if !g.log.Enabled(context.Background(), lvl) {
		return
	}
	l := &g.logLimit
	l.mu.Lock()
	if l.gates == nil {
		l.gates = make(map[string]*logGate)
	}
	gate := l.gates[key]
	if gate == nil {
		gate = &logGate{lim: rate.NewLimiter(rate.Every(time.Second), 10)}
		l.gates[key] = gate
	}
	if !gate.lim.AllowN(l.clock(), 1) {
		gate.suppressed++
		l.mu.Unlock()
		return
	}
	n := gate.suppressed
	gate.suppressed = 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	g.log.Log(context.Background(), lvl, msg, args...)
}
