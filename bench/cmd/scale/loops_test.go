package main

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/loops.svg from the test's points")

// compareCSV is what cmd/compare writes, with a column it may add later
// ("extra", before the ones read) and a half-load row that is not a peak.
const compareCSV = `date,load1,extra,proto,conns,window,path,phase,rate,msgs_per_s,p50_us,p99_us,p999_us,ok_pct,mid_cpu_s_per_M,smgsim_cpu_s_per_M,spsim_cpu_s_per_M,mid_peak_rss_bytes,mid_busiest_thread_share,mid_runq_wait_share
2026-12-04T10:00:00Z,2.50,x,cmpp3,16,1024,direct,peak,0,5000000,700,4000,6000,100.000,0.000,0.060,0.050,0,,0.000
2026-12-04T10:00:00Z,2.50,x,cmpp3,16,1024,haproxy,peak,0,3000000,1700,4000,6000,100.000,0.160,0.070,0.050,15700000,0.390,0.970
2026-12-04T10:00:00Z,2.60,x,cmpp3,16,1024,spsmg,peak,0,1900000,3200,8700,12700,100.000,0.660,0.070,0.060,43100000,0.290,1.220
2026-12-04T10:00:00Z,2.60,x,cmpp3,16,1024,spsmg,half,950000,950000,300,900,1200,100.000,0.700,0.070,0.060,43100000,0.150,0.300
`

func TestReadComparePeaks(t *testing.T) {
	pts, err := readComparePeaks(strings.NewReader(compareCSV), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []loopPoint{
		{Loops: 4, Round: 2, Path: "direct", MsgsPerSec: 5e6, P99us: 4000, OKPct: 100, Load1: 2.5},
		{Loops: 4, Round: 2, Path: "haproxy", MsgsPerSec: 3e6, MidCPU: 0.16, P99us: 4000, OKPct: 100, Busiest: 0.39, RunqWait: 0.97, Load1: 2.5},
		{Loops: 4, Round: 2, Path: "spsmg", MsgsPerSec: 1.9e6, MidCPU: 0.66, P99us: 8700, OKPct: 100, Busiest: 0.29, RunqWait: 1.22, Load1: 2.6},
	}
	if !slices.Equal(pts, want) {
		t.Fatalf("got  %+v\nwant %+v", pts, want)
	}
}

func TestReadComparePeaksErrors(t *testing.T) {
	for _, tc := range []struct {
		name, csv, want string
	}{
		{"missing column", "path,phase,msgs_per_s\ndirect,peak,1\n", `no column "mid_cpu_s_per_M"`},
		{"bad number", "path,phase,msgs_per_s,mid_cpu_s_per_M\ndirect,peak,1,0\nspsmg,peak,fast,0.5\n", `line 3, msgs_per_s: "fast" is not a number`},
		{"no peak rows", "path,phase,msgs_per_s,mid_cpu_s_per_M\nspsmg,half,1,0.5\n", "no peak rows"},
		{"empty", "", "empty CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readComparePeaks(strings.NewReader(tc.csv), 1, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// testRun is a three-point curve on a 2-CPU machine, two rounds, with
// numbers of the shape the machine gives.
func testRun() loopsRun {
	run := loopsRun{Date: "2026-12-04T10:00:00Z", Proto: "cmpp3", Conns: 16, Window: 1024, CPUs: 2}
	for round := 1; round <= 2; round++ {
		for _, n := range []int{1, 2, 4} {
			f := float64(n) * float64(round)
			run.Points = append(run.Points,
				loopPoint{Loops: n, Round: round, Path: "direct", MsgsPerSec: 5e6 + 1e5*f, OKPct: 100, Load1: 2},
				loopPoint{Loops: n, Round: round, Path: "haproxy", MsgsPerSec: 2e6 + 4e5*f, MidCPU: 0.16 + 0.01*f, P99us: 4000, OKPct: 100, Busiest: 0.4, RunqWait: 0.9, Load1: 2},
				loopPoint{Loops: n, Round: round, Path: "spsmg", MsgsPerSec: 1e6 + 3e5*f, MidCPU: 0.7 - 0.02*f, P99us: 9000, OKPct: 100, Busiest: 0.3, RunqWait: 1.2, Load1: 2.25})
		}
	}
	return run
}

func TestLoopsCSVRoundTrip(t *testing.T) {
	run := testRun()
	var b bytes.Buffer
	if err := writeLoopsCSV(&b, run); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 1+len(run.Points) {
		t.Fatalf("%d lines, want a header and %d rows:\n%s", len(lines), len(run.Points), b.String())
	}
	if lines[0] != strings.Join(loopsHeader, ",") {
		t.Fatalf("header %q", lines[0])
	}
	// The second round's spsmg at 4 loops: 1e6 + 3e5×8 msgs/s, 0.7 − 0.02×8 s/1M.
	if want := "2026-12-04T10:00:00Z,cmpp3,16,1024,2,4,2,spsmg,2.25,3400000,0.540,9000,100.000,0.300,1.200"; lines[len(lines)-1] != want {
		t.Fatalf("last row\n%s\nwant\n%s", lines[len(lines)-1], want)
	}
	got, err := readLoopsCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Date != run.Date || got.Proto != run.Proto || got.Conns != run.Conns || got.Window != run.Window || got.CPUs != run.CPUs {
		t.Fatalf("read back %+v, want %+v", got, run)
	}
	for i := range run.Points {
		g, w := got.Points[i], run.Points[i]
		// The CSV keeps 3 decimals of CPU and shares, none of msgs/s.
		if g.Loops != w.Loops || g.Round != w.Round || g.Path != w.Path || g.MsgsPerSec != math.Round(w.MsgsPerSec) ||
			math.Abs(g.MidCPU-w.MidCPU) > 5e-4 || math.Abs(g.RunqWait-w.RunqWait) > 5e-4 || g.Load1 != w.Load1 {
			t.Fatalf("point %d read back as %+v, want %+v", i, g, w)
		}
	}
}

func TestReadLoopsCSVErrors(t *testing.T) {
	head := strings.Join(loopsHeader, ",") + "\n"
	for _, tc := range []struct{ name, csv, want string }{
		{"no rows", head, "no rows"},
		{"missing column", "date,proto\nx,y\n", `no column "conns"`},
		{"bad loops", head + "d,cmpp3,16,1024,2,four,1,spsmg,1,1,1,1,1,1,1\n", `line 2, loops: "four" is not an integer`},
		{"bad cpu", head + "d,cmpp3,16,1024,2,4,1,spsmg,1,1,lots,1,1,1,1\n", `line 2, mid_cpu_s_per_M: "lots" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readLoopsCSV(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMedians(t *testing.T) {
	pts := []loopPoint{
		{Loops: 4, Path: "spsmg", MsgsPerSec: 30, MidCPU: 3},
		{Loops: 1, Path: "spsmg", MsgsPerSec: 10, MidCPU: 1},
		{Loops: 1, Path: "spsmg", MsgsPerSec: 50, MidCPU: 2},
		{Loops: 1, Path: "spsmg", MsgsPerSec: 20, MidCPU: 9},
		{Loops: 4, Path: "spsmg", MsgsPerSec: 40, MidCPU: 5},
		{Loops: 1, Path: "haproxy", MsgsPerSec: 7, MidCPU: 0.5},
	}
	m := medians(pts)
	want := []medianPoint{
		{Loops: 1, MsgsPerSec: 20, MidCPU: 2, MinMsgs: 10, MaxMsgs: 50, Rounds: 3},
		{Loops: 4, MsgsPerSec: 35, MidCPU: 4, MinMsgs: 30, MaxMsgs: 40, Rounds: 2},
	}
	if !slices.Equal(m["spsmg"], want) {
		t.Fatalf("spsmg %+v, want %+v", m["spsmg"], want)
	}
	if h := m["haproxy"]; len(h) != 1 || h[0].MsgsPerSec != 7 || h[0].Rounds != 1 {
		t.Fatalf("haproxy %+v", h)
	}
}

func TestLoopsOrderAlternates(t *testing.T) {
	loops := []int{1, 2, 4}
	if got := loopsOrder(loops, 0); !slices.Equal(got, []int{1, 2, 4}) {
		t.Fatalf("round 0: %v", got)
	}
	if got := loopsOrder(loops, 1); !slices.Equal(got, []int{4, 2, 1}) {
		t.Fatalf("round 1: %v", got)
	}
	if !slices.Equal(loops, []int{1, 2, 4}) {
		t.Fatalf("the flag's list was reordered: %v", loops)
	}
}

func TestNiceAxis(t *testing.T) {
	for _, tc := range []struct{ hi, step, top float64 }{
		{4.6e6, 1e6, 5e6},
		{2e6, 5e5, 2e6}, // a multiple of the step is its own top
		{0.217, 0.05, 0.25},
		{9, 2, 10},
		{11, 2.5, 12.5},
		{0, 0.2, 1},
	} {
		step, top := niceAxis(tc.hi, 5)
		if math.Abs(step-tc.step) > 1e-9*tc.step || math.Abs(top-tc.top) > 1e-9*tc.top {
			t.Errorf("niceAxis(%v) = %v, %v; want %v, %v", tc.hi, step, top, tc.step, tc.top)
		}
		if top < tc.hi {
			t.Errorf("niceAxis(%v): top %v below the data", tc.hi, top)
		}
	}
}

func TestLoopXIsLog2(t *testing.T) {
	loops := []int{1, 2, 4, 8}
	x1, x2, x4, x8 := loopX(1, loops, 0, 100), loopX(2, loops, 0, 100), loopX(4, loops, 0, 100), loopX(8, loops, 0, 100)
	if !(0 < x1 && x8 < 100) {
		t.Fatalf("ends %v, %v outside the axis or on it", x1, x8)
	}
	if d1, d2, d3 := x2-x1, x4-x2, x8-x4; math.Abs(d1-d2) > 1e-9 || math.Abs(d2-d3) > 1e-9 {
		t.Fatalf("doublings %v, %v, %v apart: want equal steps", d1, d2, d3)
	}
	if x := loopX(3, []int{3}, 0, 100); x != 50 {
		t.Fatalf("a single count at %v, want the middle", x)
	}
}

func TestCountLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 500: "500", 2.5e5: "250k", 1.5e6: "1.5M", 2e6: "2M", 0.1 + 0.2: "0.3"} {
		if got := countLabel(v); got != want {
			t.Errorf("countLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

var rePath = regexp.MustCompile(`<path d="(M[^"]*)" fill="none" stroke="(#[0-9a-f]{6})" stroke-width="2"`)

func TestLoopsSVG(t *testing.T) {
	run := testRun()
	svg := loopsSVG(run)
	if !bytes.Equal(svg, loopsSVG(run)) {
		t.Fatal("two drawings of the same points differ")
	}
	// Well-formed XML.
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
	}
	// Throughput: direct, HAProxy, spsmg; CPU: HAProxy, spsmg. Each line
	// runs left to right through three points, and rising msgs/s is drawn
	// upwards (smaller y).
	lines := rePath.FindAllStringSubmatch(string(svg), -1)
	var colors []string
	for _, l := range lines {
		colors = append(colors, l[2])
	}
	wantColors := []string{pathStyle["direct"].color, pathStyle["haproxy"].color, pathStyle["spsmg"].color,
		pathStyle["haproxy"].color, pathStyle["spsmg"].color}
	if !slices.Equal(colors, wantColors) {
		t.Fatalf("lines in colours %v, want %v", colors, wantColors)
	}
	for i, l := range lines {
		xs, ys := pathPoints(t, l[1])
		if len(xs) != 3 || !slices.IsSorted(xs) {
			t.Fatalf("line %d: x %v, want 3 ascending", i, xs)
		}
		rising := i < 3 || l[2] == pathStyle["haproxy"].color // spsmg's CPU falls in testRun
		if rising != (ys[0] > ys[1] && ys[1] > ys[2]) {
			t.Fatalf("line %d (%s): y %v, rising %v", i, l[2], ys, rising)
		}
	}
	for _, want := range []string{"direct (ceiling)", "HAProxy, TCP mode", "spsmg", "more loops than CPUs",
		"median of 2 round(s)", "bars: lowest–highest round", ">4<", ">6M<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("no %q in the SVG", want)
		}
	}

	// No shading when every count fits the CPUs; text is escaped.
	for _, cpus := range []int{4, 8} {
		run.CPUs, run.Proto = cpus, "a<b"
		svg = loopsSVG(run)
		if bytes.Contains(svg, []byte("more loops than CPUs")) {
			t.Errorf("shaded with %d CPUs and at most 4 loops", cpus)
		}
	}
	if !bytes.Contains(svg, []byte("a&lt;b,")) {
		t.Error("title not escaped")
	}
}

// TestLoopsSVGGolden pins the drawing of testRun: a change to the layout
// shows up as a diff of testdata/loops.svg (go test -run Golden -update).
func TestLoopsSVGGolden(t *testing.T) {
	got := loopsSVG(testRun())
	path := filepath.Join("testdata", "loops.svg")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("loopsSVG differs from %s (rerun with -update after checking the drawing)", path)
	}
}

func pathPoints(t *testing.T, d string) (xs, ys []float64) {
	t.Helper()
	for _, seg := range regexp.MustCompile(`[ML]`).Split(d, -1)[1:] {
		f := strings.Fields(seg)
		if len(f) != 2 {
			t.Fatalf("segment %q of %q", seg, d)
		}
		x, err1 := strconv.ParseFloat(f[0], 64)
		y, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("segment %q of %q", seg, d)
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys
}

func TestParseLoopsFlags(t *testing.T) {
	o, err := parse([]string{"-what", "loops", "-loops", "1, 2,4", "-rounds", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.what["loops"] || o.what["conns"] || !slices.Equal(o.loops, []int{1, 2, 4}) || o.rounds != 3 ||
		o.loopsConns != 16 || o.loopsWindow != 1024 {
		t.Fatalf("%+v", o)
	}
	for _, args := range [][]string{
		{"-loops", "1,0"}, {"-loops", "two"}, {"-rounds", "0"}, {"-what", "loop"}, {"-conns", "-1"},
	} {
		if _, err := parse(args); err == nil {
			t.Errorf("parse(%q) accepted", args)
		}
	}
}
