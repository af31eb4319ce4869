package sp

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spsmg/spsmg/codec"
)

// Report is the outcome of a load run. Everything counts only what was sent
// after the warmup.
type Report struct {
	Protocol codec.Protocol
	Conns    int
	Window   int
	Rate     float64 // configured; 0 unlimited

	Sent      uint64           // Submits written
	Responses []ResultCount    // Submit_Resp by result code, ascending
	Templates []TemplateReport // the same per template of the mix

	// Errors sums everything that is not a response: Unanswered (no
	// response by the end of the drain), Unmatched (a Submit_Resp whose
	// sequence matched no Submit in flight: a duplicate or a gateway bug),
	// BadFrames (undecodable or unexpected frames) and lost connections
	// (ConnErrors).
	Errors     uint64
	Unanswered uint64
	Unmatched  uint64
	BadFrames  uint64
	ConnErrors []string

	// MO and Reports received on the connections (CMPP, SMGP), acknowledged.
	MO, Reports uint64

	// Elapsed runs from the end of the warmup to the last response;
	// MsgsPerSec is the responses over it.
	Elapsed    time.Duration
	MsgsPerSec float64

	// Latency is Submit write → Submit_Resp read; Histogram holds every
	// value, for other quantiles.
	Latency   LatencySummary
	Histogram *Histogram

	ConnectTime time.Duration // dial + login of every connection (in parallel)
	Interrupted bool          // the context ended the run early
}

// ResultCount is how many responses carried one result code.
type ResultCount struct {
	Result uint32
	Count  uint64
}

// TemplateReport is the part of a Report one template accounts for.
type TemplateReport struct {
	Name      string
	Sent      uint64
	Responses []ResultCount
}

// LatencySummary holds the usual quantiles of a latency histogram.
type LatencySummary struct {
	P50, P90, P99, P999, Max, Mean time.Duration
}

// Answered is the number of responses, whatever their result.
func (r *Report) Answered() uint64 { return sumCounts(r.Responses) }

// Count is the number of responses with result code result.
func (r *Report) Count(result uint32) uint64 { return countOf(r.Responses, result) }

// Template returns the report of the template named name.
func (r *Report) Template(name string) (TemplateReport, bool) {
	for _, t := range r.Templates {
		if t.Name == name {
			return t, true
		}
	}
	return TemplateReport{}, false
}

// Count is the number of the template's responses with result code result.
func (t TemplateReport) Count(result uint32) uint64 { return countOf(t.Responses, result) }

func sumCounts(rs []ResultCount) uint64 {
	var n uint64
	for _, rc := range rs {
		n += rc.Count
	}
	return n
}

func countOf(rs []ResultCount, result uint32) uint64 {
	for _, rc := range rs {
		if rc.Result == result {
			return rc.Count
		}
	}
	return 0
}

func sortedCounts(m map[uint32]uint64) []ResultCount {
	out := make([]ResultCount, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ResultCount{Result: k, Count: m[k]})
	}
	return out
}

// report gathers the connections' counters once every goroutine is done.
func (r *loadRun) report(interrupted bool) Report {
	rep := Report{
		Protocol: r.cfg.Protocol, Conns: r.cfg.Conns, Window: r.cfg.Window, Rate: r.cfg.Rate,
		ConnectTime: r.connectTime, Interrupted: interrupted, Histogram: &Histogram{},
	}
	all := make(map[uint32]uint64)
	per := make([]map[uint32]uint64, len(r.tmpls))
	sent := make([]uint64, len(r.tmpls))
	for i := range per {
		per[i] = make(map[uint32]uint64)
	}
	var lastNs int64
	for _, c := range r.conns {
		rep.Histogram.Merge(&c.hist)
		for ti := range r.tmpls {
			sent[ti] += c.sent[ti]
			for res, n := range c.results[ti] {
				if n > 0 {
					per[ti][uint32(res)] += n
					all[uint32(res)] += n
				}
			}
		}
		for k, n := range c.bigResults {
			per[k[0]][k[1]] += n
			all[k[1]] += n
		}
		for i := range c.ring {
			if s := &c.ring[i]; s.seq != 0 && !s.warm {
				rep.Unanswered++
			}
		}
		rep.Unmatched += c.unmatched
		rep.BadFrames += c.badFrames
		rep.MO += c.mo
		rep.Reports += c.reports
		lastNs = max(lastNs, c.lastNs)
		if c.err != nil {
			rep.ConnErrors = append(rep.ConnErrors, fmt.Sprintf("conn %d: %v", c.id, c.err))
		}
	}
	for ti, t := range r.tmpls {
		rep.Sent += sent[ti]
		rep.Templates = append(rep.Templates, TemplateReport{Name: t.name, Sent: sent[ti], Responses: sortedCounts(per[ti])})
	}
	rep.Responses = sortedCounts(all)
	rep.Errors = rep.Unanswered + rep.Unmatched + rep.BadFrames + uint64(len(rep.ConnErrors))
	rep.Elapsed = time.Duration(lastNs - r.warmEndNs)
	if rep.Elapsed <= 0 {
		rep.Elapsed = time.Duration(max(r.now()-r.warmEndNs, 1))
	}
	rep.MsgsPerSec = float64(rep.Answered()) / rep.Elapsed.Seconds()
	h := rep.Histogram
	rep.Latency = LatencySummary{P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99),
		P999: h.Quantile(0.999), Max: h.Max(), Mean: h.Mean()}
	return rep
}

// String renders the report as a table for people:
//
//	protocol       cmpp3                   conns 4, window 16, rate unlimited
//	elapsed        2.003s                  connect 1.2ms
//	sent           2000000
//	responses      2000000                 998502 msg/s
//	  result 0     1000000         50.00%  OK
//	  result 106   1000000         50.00%  vendor-defined (106)
//	errors         0                       unanswered 0, unmatched 0, bad frames 0, lost connections 0
//	latency        p50 120µs               p90 180µs, p99 410µs, p99.9 1.2ms, max 3.4ms, mean 131µs
func (r Report) String() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	rate := "unlimited"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%.0f msg/s", r.Rate)
	}
	fmt.Fprintf(w, "protocol\t%s\t\tconns %d, window %d, rate %s\n", r.Protocol, r.Conns, r.Window, rate)
	status := ""
	if r.Interrupted {
		status = ", interrupted"
	}
	fmt.Fprintf(w, "elapsed\t%v\t\tconnect %v%s\n", r.Elapsed.Round(time.Microsecond), r.ConnectTime.Round(time.Microsecond), status)
	fmt.Fprintf(w, "sent\t%d\t\t\n", r.Sent)
	answered := r.Answered()
	fmt.Fprintf(w, "responses\t%d\t\t%.0f msg/s\n", answered, r.MsgsPerSec)
	results := func(indent string, rs []ResultCount, total uint64) {
		for _, rc := range rs {
			fmt.Fprintf(w, "%sresult %d\t%d\t%s\t%s\n", indent, rc.Result, rc.Count, pct(rc.Count, total),
				ResultText(r.Protocol, rc.Result))
		}
	}
	results("  ", r.Responses, answered)
	if len(r.Templates) > 1 {
		for _, t := range r.Templates {
			tAnswered := sumCounts(t.Responses)
			fmt.Fprintf(w, "  template %s\t%d\t\tsent %d\n", t.Name, tAnswered, t.Sent)
			results("    ", t.Responses, tAnswered)
		}
	}
	fmt.Fprintf(w, "errors\t%d\t\tunanswered %d, unmatched %d, bad frames %d, lost connections %d\n",
		r.Errors, r.Unanswered, r.Unmatched, r.BadFrames, len(r.ConnErrors))
	for _, e := range r.ConnErrors {
		fmt.Fprintf(w, "\t\t\t%s\n", e)
	}
	l := r.Latency
	fmt.Fprintf(w, "latency\tp50 %v\t\tp90 %v, p99 %v, p99.9 %v, max %v, mean %v\n",
		dur(l.P50), dur(l.P90), dur(l.P99), dur(l.P999), dur(l.Max), dur(l.Mean))
	if r.MO > 0 || r.Reports > 0 {
		fmt.Fprintf(w, "received\tMO %d\t\treports %d\n", r.MO, r.Reports)
	}
	w.Flush()
	return b.String()
}

func pct(n, total uint64) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(total))
}

// dur rounds a latency for display: µs below 10 ms, else 0.1 ms.
func dur(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
