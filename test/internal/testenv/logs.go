package testenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// LogRecorder is a slog.Handler that keeps every record, so that a test can
// check what the gateway logged: that a hostile case is logged, how many
// lines it cost, and that no credential appears. With SPSMG_TEST_LOG set
// the records are also printed to stderr.
type LogRecorder struct {
	mu      sync.Mutex
	records []LogRecord
	attrs   []slog.Attr
	group   string
	root    *LogRecorder
	echo    slog.Handler
}

// LogRecord is one log line: level, message and the attributes as
// "key=value" text.
type LogRecord struct {
	Level slog.Level
	Msg   string
	Attrs string
}

func (r LogRecord) String() string { return r.Level.String() + " " + r.Msg + " " + r.Attrs }

// NewLogRecorder returns an empty recorder.
func NewLogRecorder() *LogRecorder {
	r := &LogRecorder{}
	r.root = r
	if os.Getenv("SPSMG_TEST_LOG") != "" {
		r.echo = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return r
}

// Logger is a debug-level logger writing into r.
func (r *LogRecorder) Logger() *slog.Logger { return slog.New(r) }

func (r *LogRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *LogRecorder) Handle(ctx context.Context, rec slog.Record) error {
	var b strings.Builder
	write := func(a slog.Attr) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v", a.Key, a.Value.Resolve().Any())
	}
	for _, a := range r.attrs {
		write(a)
	}
	rec.Attrs(func(a slog.Attr) bool { write(a); return true })
	root := r.root
	root.mu.Lock()
	root.records = append(root.records, LogRecord{Level: rec.Level, Msg: rec.Message, Attrs: b.String()})
	root.mu.Unlock()
	if root.echo != nil {
		_ = root.echo.Handle(ctx, rec)
	}
	return nil
}

func (r *LogRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &LogRecorder{attrs: append(append([]slog.Attr(nil), r.attrs...), as...), group: r.group, root: r.root}
}

func (r *LogRecorder) WithGroup(name string) slog.Handler {
	return &LogRecorder{attrs: r.attrs, group: name, root: r.root}
}

// Mark returns the number of records so far; pass it to Since.
func (r *LogRecorder) Mark() int {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	return len(r.root.records)
}

// Since returns the records logged after mark.
func (r *LogRecorder) Since(mark int) []LogRecord {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	return append([]LogRecord(nil), r.root.records[mark:]...)
}

// All returns every record.
func (r *LogRecorder) All() []LogRecord { return r.Since(0) }

// Count counts the records after mark whose message contains substr.
func (r *LogRecorder) Count(mark int, substr string) int {
	n := 0
	for _, rec := range r.Since(mark) {
		if strings.Contains(rec.Msg, substr) {
			n++
		}
	}
	return n
}

// Text is every record after mark, one per line.
func (r *LogRecorder) Text(mark int) string {
	var b strings.Builder
	for _, rec := range r.Since(mark) {
		b.WriteString(rec.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Summary counts the records after mark by message, for a report.
func (r *LogRecorder) Summary(mark int) map[string]int {
	m := map[string]int{}
	for _, rec := range r.Since(mark) {
		m[rec.kind()]++
	}
	return m
}

// kind is the gateway's rate-limiter key of a line: its message, plus the
// close reason or login status where one message covers several cases
// (proxy/ratelog.go logRLKey), so that each case is checked against its
// own budget.
func (r LogRecord) kind() string {
	for _, field := range strings.Fields(r.Attrs) {
		for _, p := range []string{"status=", "reason="} {
			if v, ok := strings.CutPrefix(field, p); ok {
				return r.Msg + " " + strings.Trim(v, `"`)
			}
		}
	}
	return r.Msg
}

// FindSecrets returns the secrets that occur in text.
func FindSecrets(text string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}
