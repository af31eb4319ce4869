package proxy

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogLimiterClock: a kind of line passes 10 at once, then one a second
// of the limiter's clock, and the next line that passes says how many were
// suppressed; another kind keeps its own budget. The clock stands still
// unless the test moves it, so no step depends on how fast the test runs.
func TestLogLimiterClock(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &Gateway{log: slog.New(slog.NewTextHandler(&out, nil))}
	g.logLimit.now = func() time.Time { return now }
	lines := func() []string { return strings.Split(strings.TrimSpace(out.String()), "\n") }

	for i := 0; i < 15; i++ {
		g.logRL(slog.LevelWarn, "flood")
	}
	g.logRLKey("rare", slog.LevelWarn, "flood", "case", "rare")
	if got := lines(); len(got) != 11 || !strings.Contains(got[10], "case=rare") {
		t.Fatalf("15 lines of one kind and 1 of another with the clock still: %d lines passed, want 10 + 1:\n%s", len(got), out.String())
	}
	now = now.Add(999 * time.Millisecond)
	g.logRL(slog.LevelWarn, "flood")
	if got := lines(); len(got) != 11 {
		t.Fatalf("a line passed %v after the burst, before a second had passed", 999*time.Millisecond)
	}
	now = now.Add(time.Millisecond)
	g.logRL(slog.LevelWarn, "flood")
	got := lines()
	if len(got) != 12 || !strings.Contains(got[11], "suppressed_since_last=6") {
		t.Fatalf("one second later: want a 12th line saying 6 were suppressed; got:\n%s", out.String())
	}
}
