package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/reconcile"
)

// fakeRecon holds counts by (date, sp).
type fakeRecon struct {
	days map[string]map[string]map[string]uint64
	err  error
}

func (f *fakeRecon) Columns() []string { return []string{"mt_submitted", "refused_not_subscribed"} }

func (f *fakeRecon) Day(date, sp string) (map[string]uint64, error) {
	if date == "bad" {
		return nil, fmt.Errorf("%w: %q", reconcile.ErrBadDate, date)
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.days[date][sp], nil
}

func TestReconciliation(t *testing.T) {
	e := newEnv(t, nil)
	uri := "/v1/reconciliation?date=2026-03-01"
	t.Run("not configured", func(t *testing.T) {
		r := e.do(call{method: "GET", uri: uri})
		if r.status != http.StatusServiceUnavailable || r.errBody(t).Code != "not_configured" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	f := &fakeRecon{days: map[string]map[string]map[string]uint64{"2026-03-01": {
		"sp-a": {"mt_submitted": 12, "refused_not_subscribed": 2},
		"sp-b": {"mt_submitted": 99},
	}}}
	e.api.SetReconciler(f)
	t.Run("own account only", func(t *testing.T) {
		before := e.counter(epReconciliation, codeOK)
		r := e.do(call{method: "GET", uri: uri})
		want := "date,sp,mt_submitted,refused_not_subscribed\r\n2026-03-01,sp-a,12,2\r\n"
		if r.status != http.StatusOK || string(r.body) != want || !strings.HasPrefix(string(r.header.ContentType()), "text/csv") {
			t.Fatalf("%d %q %q", r.status, r.header.ContentType(), r.body)
		}
		if got := e.counter(epReconciliation, codeOK); got != before+1 {
			t.Errorf("counted %v → %v", before, got)
		}
		r = e.do(call{method: "GET", uri: uri, key: keyB})
		if want := "date,sp,mt_submitted,refused_not_subscribed\r\n2026-03-01,sp-b,99,0\r\n"; string(r.body) != want {
			t.Fatalf("sp-b: %q", r.body)
		}
	})
	t.Run("a day without counts is a row of zeros", func(t *testing.T) {
		r := e.do(call{method: "GET", uri: "/v1/reconciliation?date=2026-02-01"})
		if r.status != http.StatusOK || !strings.HasSuffix(string(r.body), "2026-02-01,sp-a,0,0\r\n") {
			t.Fatalf("%d %q", r.status, r.body)
		}
	})
	for _, c := range []struct {
		name   string
		c      call
		status int
		code   string
	}{
		{"bad date", call{method: "GET", uri: "/v1/reconciliation?date=bad"}, 400, "invalid_argument"},
		{"no date", call{method: "GET", uri: "/v1/reconciliation"}, 400, "invalid_argument"},
		{"two dates", call{method: "GET", uri: uri + "&date=2026-03-02"}, 400, "invalid_argument"},
		{"another parameter", call{method: "GET", uri: uri + "&sp=sp-b"}, 400, "unknown_field"},
		{"POST", call{method: "POST", uri: uri, body: "{}"}, 405, "method_not_allowed"},
		{"unsigned", call{method: "GET", uri: uri, noAuth: true}, 401, "missing_credentials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.c)
			if r.status != c.status || r.errBody(t).Code != c.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
		})
	}
	t.Run("store error", func(t *testing.T) {
		f.err = errors.New("disk on fire")
		r := e.do(call{method: "GET", uri: uri})
		if r.status != http.StatusInternalServerError || r.errBody(t).Code != "internal" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}
