package jsoningress

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// logLimiter keeps a flood of one kind of bad request from flooding the
// log: per message, at most logBurst lines, refilled at one every
// logEvery; what was left out is counted on the next line written.
type logLimiter struct {
	mu    sync.Mutex
	gates map[string]*logGate
}

type logGate struct {
	tokens  float64
	last    time.Time
	dropped int
}

const (
	logBurst = 10
	logEvery = 6 * time.Second
)

func (l *logLimiter) init() { l.gates = map[string]*logGate{} }

func (s *Server) logRL(lvl slog.Level, msg string, args ...any) {
	if !s.log.Enabled(context.Background(), lvl) {
		return
	}
	l := &s.logLim
	now := time.Now()
	l.mu.Lock()
	g := l.gates[msg]
	if g == nil {
		g = &logGate{tokens: logBurst, last: now}
		l.gates[msg] = g
	}
	g.tokens = min(logBurst, g.tokens+float64(now.Sub(g.last))/float64(logEvery))
	g.last = now
	if g.tokens < 1 {
		g.dropped++
		l.mu.Unlock()
		return
	}
	g.tokens--
	dropped := g.dropped
	g.dropped = 0
	l.mu.Unlock()
	if dropped > 0 {
		args = append(args, "suppressed", dropped)
	}
	s.log.Log(context.Background(), lvl, msg, args...)
}

// isTemporary: an accept failure the listener outlives (no file
// descriptor left, a connection reset before it was taken).
func isTemporary(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}
