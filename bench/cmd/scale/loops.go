package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The loops curve: spsmg with N event loops beside HAProxy with N threads
// (nbthread), and the direct path as the ceiling, for N in -loops. Each
// point is one run of cmd/compare (-loops N -half=false), built once and
// run as a child process: the curve measures exactly what `make
// bench-compare` measures, with its checks (every allowed Submit answered
// with result 0), and its CSV is read back by column name.

// loopPoint is one path's peak at one loop count in one round.
type loopPoint struct {
	Loops      int
	Round      int
	Path       string  // direct, haproxy, spsmg
	MsgsPerSec float64 // answered Submits per second
	MidCPU     float64 // middle box CPU seconds per million answered Submits (0 for direct)
	P99us      float64
	OKPct      float64
	Busiest    float64 // middle box's busiest thread, CPU / wall
	RunqWait   float64 // middle box's threads' run-queue wait / wall
	Load1      float64
}

// loopsRun is what the CSV's rows share.
type loopsRun struct {
	Date          string
	Proto         string
	Conns, Window int
	CPUs          int
	Points        []loopPoint
}

// loopsOrder is the sweep of round r: rounds alternate up and down, so
// that a drift of the machine's load does not always favour the same end
// of the curve.
func loopsOrder(loops []int, round int) []int {
	out := slices.Clone(loops)
	if round%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

func loopsCurve(ctx context.Context, o options, root, dir string, out io.Writer) error {
	csvPath, svgPath := filepath.Join(dir, "loops.csv"), filepath.Join(dir, "loops.svg")
	if o.redraw {
		run, err := readLoopsFile(csvPath)
		if err != nil {
			return err
		}
		return writeFile(svgPath, loopsSVG(run))
	}
	tmp, err := os.MkdirTemp("", "spsmg-scale-loops-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	compare := filepath.Join(tmp, "compare")
	fmt.Fprintln(out, "# building bench/cmd/compare")
	build := exec.CommandContext(ctx, "go", "build", "-o", compare, "./bench/cmd/compare")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./bench/cmd/compare: %v\n%s", err, b)
	}
	run := loopsRun{Date: time.Now().UTC().Format(time.RFC3339), Proto: o.proto, Conns: o.loopsConns,
		Window: o.loopsWindow, CPUs: runtime.NumCPU()}
	for round := range o.rounds {
		for _, n := range loopsOrder(o.loops, round) {
			csvN := filepath.Join(tmp, fmt.Sprintf("compare-%d-%d.csv", round, n))
			args := []string{"-proto", o.proto, "-conns", strconv.Itoa(o.loopsConns), "-window", strconv.Itoa(o.loopsWindow),
				"-paths", "direct,haproxy,spsmg", "-loops", strconv.Itoa(n), "-half=false",
				"-duration", o.duration.String(), "-warmup", o.warmup.String(), "-users", strconv.Itoa(o.users),
				"-bin", filepath.Join(tmp, "bin"), "-csv", csvN}
			fmt.Fprintf(out, "\n# round %d/%d, %d event loops / HAProxy threads: compare %s\n", round+1, o.rounds, n, strings.Join(args, " "))
			cmd := exec.CommandContext(ctx, compare, args...)
			cmd.Dir = root
			cmd.Stdout, cmd.Stderr = out, out
			// On SIGINT compare stops its own children; give it the chance.
			cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
			cmd.WaitDelay = 15 * time.Second
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("compare -loops %d: %w", n, err)
			}
			f, err := os.Open(csvN)
			if err != nil {
				return err
			}
			pts, err := readComparePeaks(f, n, round+1)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", csvN, err)
			}
			run.Points = append(run.Points, pts...)
		}
	}
	var csvBuf strings.Builder
	if err := writeLoopsCSV(&csvBuf, run); err != nil {
		return err
	}
	if err := writeFile(csvPath, []byte(csvBuf.String())); err != nil {
		return err
	}
	if err := writeFile(svgPath, loopsSVG(run)); err != nil {
		return err
	}
	printLoops(out, run)
	fmt.Fprintf(out, "# wrote %s and %s\n", csvPath, svgPath)
	return nil
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

// columns maps a CSV header to column indexes and reads cells by name.
type columns map[string]int

func newColumns(header []string, need ...string) (columns, error) {
	c := columns{}
	for i, h := range header {
		c[strings.TrimSpace(h)] = i
	}
	for _, n := range need {
		if _, ok := c[n]; !ok {
			return nil, fmt.Errorf("no column %q in header %q", n, strings.Join(header, ","))
		}
	}
	return c, nil
}

// float reads column name of rec (line: the CSV line, for the error). A
// column the header lacks, or an empty cell, reads 0.
func (c columns) float(rec []string, line int, name string) (float64, error) {
	i, ok := c[name]
	if !ok || i >= len(rec) || rec[i] == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(rec[i], 64)
	if err != nil {
		return 0, fmt.Errorf("line %d, %s: %q is not a number", line, name, rec[i])
	}
	return v, nil
}

func (c columns) str(rec []string, name string) string {
	if i, ok := c[name]; ok && i < len(rec) {
		return rec[i]
	}
	return ""
}

// readComparePeaks reads the rows of cmd/compare's CSV measured at full
// speed (phase "peak") as points of loops and round. Columns are found
// by name, so compare may add some.
func readComparePeaks(r io.Reader, loops, round int) ([]loopPoint, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("empty CSV")
	}
	c, err := newColumns(recs[0], "path", "phase", "msgs_per_s", "mid_cpu_s_per_M")
	if err != nil {
		return nil, err
	}
	var pts []loopPoint
	for i, rec := range recs[1:] {
		line := i + 2
		if c.str(rec, "phase") != "peak" {
			continue
		}
		p := loopPoint{Loops: loops, Round: round, Path: c.str(rec, "path")}
		for _, f := range []struct {
			col string
			dst *float64
		}{
			{"msgs_per_s", &p.MsgsPerSec}, {"mid_cpu_s_per_M", &p.MidCPU}, {"p99_us", &p.P99us},
			{"ok_pct", &p.OKPct}, {"mid_busiest_thread_share", &p.Busiest},
			{"mid_runq_wait_share", &p.RunqWait}, {"load1", &p.Load1},
		} {
			if *f.dst, err = c.float(rec, line, f.col); err != nil {
				return nil, err
			}
		}
		pts = append(pts, p)
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no peak rows")
	}
	return pts, nil
}

var loopsHeader = []string{"date", "proto", "conns", "window", "cpus", "loops", "round", "path", "load1",
	"msgs_per_s", "mid_cpu_s_per_M", "p99_us", "ok_pct", "mid_busiest_thread_share", "mid_runq_wait_share"}

func writeLoopsCSV(w io.Writer, run loopsRun) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(loopsHeader)
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, p := range run.Points {
		_ = cw.Write([]string{run.Date, run.Proto, strconv.Itoa(run.Conns), strconv.Itoa(run.Window),
			strconv.Itoa(run.CPUs), strconv.Itoa(p.Loops), strconv.Itoa(p.Round), p.Path, f(p.Load1, 2),
			f(p.MsgsPerSec, 0), f(p.MidCPU, 3), f(p.P99us, 0), f(p.OKPct, 3), f(p.Busiest, 3), f(p.RunqWait, 3)})
	}
	cw.Flush()
	return cw.Error()
}

func readLoopsFile(path string) (loopsRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return loopsRun{}, err
	}
	defer f.Close()
	run, err := readLoopsCSV(f)
	if err != nil {
		return run, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}

// readLoopsCSV reads what writeLoopsCSV wrote (for -redraw).
func readLoopsCSV(r io.Reader) (loopsRun, error) {
	var run loopsRun
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return run, err
	}
	if len(recs) < 2 {
		return run, fmt.Errorf("no rows")
	}
	c, err := newColumns(recs[0], loopsHeader...)
	if err != nil {
		return run, err
	}
	ints := func(rec []string, line int, name string) (int, error) {
		v, err := strconv.Atoi(c.str(rec, name))
		if err != nil {
			return 0, fmt.Errorf("line %d, %s: %q is not an integer", line, name, c.str(rec, name))
		}
		return v, nil
	}
	for i, rec := range recs[1:] {
		line := i + 2
		var p loopPoint
		p.Path = c.str(rec, "path")
		for _, f := range []struct {
			col string
			dst *int
		}{{"conns", &run.Conns}, {"window", &run.Window}, {"cpus", &run.CPUs}, {"loops", &p.Loops}, {"round", &p.Round}} {
			if *f.dst, err = ints(rec, line, f.col); err != nil {
				return run, err
			}
		}
		for _, f := range []struct {
			col string
			dst *float64
		}{
			{"load1", &p.Load1}, {"msgs_per_s", &p.MsgsPerSec}, {"mid_cpu_s_per_M", &p.MidCPU}, {"p99_us", &p.P99us},
			{"ok_pct", &p.OKPct}, {"mid_busiest_thread_share", &p.Busiest}, {"mid_runq_wait_share", &p.RunqWait},
		} {
			if *f.dst, err = c.float(rec, line, f.col); err != nil {
				return run, err
			}
		}
		run.Date, run.Proto = c.str(rec, "date"), c.str(rec, "proto")
		run.Points = append(run.Points, p)
	}
	return run, nil
}

// medianPoint is one path at one loop count over every round: the median
// of each figure, and how far the rounds spread.
type medianPoint struct {
	Loops              int
	MsgsPerSec, MidCPU float64
	MinMsgs, MaxMsgs   float64
	Rounds             int
}

// medians groups points by path and loop count (loops ascending).
func medians(pts []loopPoint) map[string][]medianPoint {
	type key struct {
		path  string
		loops int
	}
	groups := map[key][]loopPoint{}
	for _, p := range pts {
		k := key{p.Path, p.Loops}
		groups[k] = append(groups[k], p)
	}
	out := map[string][]medianPoint{}
	for k, g := range groups {
		msgs, cpu := make([]float64, len(g)), make([]float64, len(g))
		for i, p := range g {
			msgs[i], cpu[i] = p.MsgsPerSec, p.MidCPU
		}
		m := medianPoint{Loops: k.loops, MsgsPerSec: median(msgs), MidCPU: median(cpu), MinMsgs: slices.Min(msgs),
			MaxMsgs: slices.Max(msgs), Rounds: len(g)}
		out[k.path] = append(out[k.path], m)
	}
	for _, ms := range out {
		sort.Slice(ms, func(i, j int) bool { return ms[i].Loops < ms[j].Loops })
	}
	return out
}

// median of v (the mean of the middle two when even); v is reordered.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func printLoops(out io.Writer, run loopsRun) {
	m := medians(run.Points)
	fmt.Fprintf(out, "\n# %s, %d conns × window %d, %d CPUs: medians over rounds\n", run.Proto, run.Conns, run.Window, run.CPUs)
	fmt.Fprintf(out, "%6s %-8s %12s %12s %12s %14s\n", "loops", "path", "msgs/s", "min", "max", "mid CPU s/1M")
	for _, path := range []string{"direct", "haproxy", "spsmg"} {
		for _, p := range m[path] {
			fmt.Fprintf(out, "%6d %-8s %12.0f %12.0f %12.0f %14.3f\n", p.Loops, path, p.MsgsPerSec, p.MinMsgs, p.MaxMsgs, p.MidCPU)
		}
	}
}
