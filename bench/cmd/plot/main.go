// Command plot draws the CSVs of cmd/scale and cmd/compare as PNGs
// (gonum/plot) beside them:
//
//	conns.png    throughput and p99 latency against SP connections
//	             (all sending; idle with 4 sending), log scale
//	memory.png   spsmg's RSS and RSS per idle connection against connections
//	auth.png     authorization decision time against subscriptions
//	compare.png  direct / HAProxy / spsmg: throughput and CPU per message
//
//	go run ./bench/cmd/plot [-dir bench/results]
//
// A missing CSV skips its pictures.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/spsmg/spsmg/bench/internal/rig"
)

func main() {
	dir := flag.String("dir", "bench/results", "directory of the CSVs, relative to the module root")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	root, err := rig.ModuleRoot()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	for _, f := range []struct {
		csv  string
		draw func(table, string) error
	}{
		{"conns.csv", drawConns},
		{"auth.csv", drawAuth},
		{"compare.csv", drawCompare},
	} {
		t, err := readCSV(filepath.Join(dir, f.csv))
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Printf("%s: missing, skipped\n", f.csv)
			continue
		}
		if err != nil {
			return err
		}
		if err := f.draw(t, dir); err != nil {
			return fmt.Errorf("%s: %w", f.csv, err)
		}
	}
	return nil
}

// table is a CSV by column name.
type table []map[string]string

func readCSV(path string) (table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	var t table
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, k := range recs[0] {
			if i < len(r) {
				m[k] = r[i]
			}
		}
		t = append(t, m)
	}
	return t, nil
}

func num(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// where keeps the rows whose column k is v.
func (t table) where(k, v string) table {
	var out table
	for _, r := range t {
		if r[k] == v {
			out = append(out, r)
		}
	}
	return out
}

// xy makes sorted points of two columns, each scaled.
func (t table) xy(x, y string, sy float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(t))
	for _, r := range t {
		pts = append(pts, plotter.XY{X: num(r[x]), Y: num(r[y]) * sy})
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
	return pts
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

// pathColor keeps direct, HAProxy and spsmg apart across the charts.
var pathColor = map[string]color.Color{"direct": palette[0], "haproxy": palette[1], "spsmg": palette[2]}

func newPlot(title, x, y string, logX, logY bool) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	return p // legend bottom right, where these curves leave room
}

// countTicks labels a log axis of counts 10k, 100k, 1M, 10M.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for v := 1.0; v <= hi*10; v *= 10 {
		if v < lo/10 {
			continue
		}
		label := strconv.FormatFloat(v, 'f', 0, 64)
		switch {
		case v >= 1e6:
			label = strconv.FormatFloat(v/1e6, 'f', 0, 64) + "M"
		case v >= 1e3:
			label = strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
		}
		if v >= lo && v <= hi {
			out = append(out, plot.Tick{Value: v, Label: label})
		}
	}
	return out
}

// addSeries draws pts as a line with points, in colour i.
func addSeries(p *plot.Plot, name string, i int, pts plotter.XYs) error {
	if len(pts) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := palette[i%len(palette)]
	l.Color, s.Color = c, c
	l.Width = vg.Points(1.5)
	s.Shape = draw.CircleGlyph{}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// save draws plots side by side into one PNG.
func save(path string, plots ...*plot.Plot) error {
	const w, h = 6 * vg.Inch, 4.5 * vg.Inch
	img := vgimg.New(w*vg.Length(len(plots)), h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	fmt.Println("wrote", path)
	return f.Close()
}

// series names of conns.csv.
func connSeries(t table) []struct {
	name string
	rows table
} {
	active, idle := t.where("series", "active"), t.where("series", "idle")
	label := func(rs table, f string) string {
		if len(rs) == 0 {
			return ""
		}
		return fmt.Sprintf(f, rs[0]["sending"], rs[0]["window"])
	}
	return []struct {
		name string
		rows table
	}{
		{"all N sending, window " + firstOf(active, "window"), active},
		{label(idle, "N idle + %s sending × window %s"), idle},
	}
}

func firstOf(t table, k string) string {
	if len(t) == 0 {
		return ""
	}
	return t[0][k]
}

func drawConns(t table, dir string) error {
	proto := firstOf(t, "proto")
	thr := newPlot("spsmg throughput ("+proto+")", "SP connections (N)", "MT Submits/s (thousands)", true, false)
	thr.X.Tick.Marker = countTicks{}
	lat := newPlot("Submit → Response p99 ("+proto+")", "SP connections (N)", "p99 latency (ms)", true, true)
	lat.X.Tick.Marker = countTicks{}
	lat.Legend.Top, lat.Legend.Left = true, true
	for i, s := range connSeries(t) {
		if err := addSeries(thr, s.name, i, s.rows.xy("conns", "msgs_per_s", 1e-3)); err != nil {
			return err
		}
		if err := addSeries(lat, s.name, i, s.rows.xy("conns", "p99_us", 1e-3)); err != nil {
			return err
		}
	}
	thr.Y.Min = 0
	if err := save(filepath.Join(dir, "conns.png"), thr, lat); err != nil {
		return err
	}

	idle := t.where("series", "idle")
	rss := newPlot("spsmg RSS with N idle connections", "idle SP connections (N)", "RSS (MB)", true, false)
	per := newPlot("spsmg memory per idle connection", "idle SP connections (N)", "RSS delta / N (KB)", true, false)
	rss.X.Tick.Marker, per.X.Tick.Marker = countTicks{}, countTicks{}
	per.Legend.Top = true
	if err := addSeries(rss, "RSS after the run", 0, idle.xy("conns", "spsmg_rss_bytes", 1e-6)); err != nil {
		return err
	}
	if err := addSeries(per, "(RSS with N idle − RSS before) / N", 1, idle.xy("conns", "rss_per_idle_conn_bytes", 1e-3)); err != nil {
		return err
	}
	rss.Y.Min, per.Y.Min = 0, 0
	return save(filepath.Join(dir, "memory.png"), rss, per)
}

func drawAuth(t table, dir string) error {
	p := newPlot("authorization decision vs store size (authcache benchmarks)", "subscriptions in memory", "ns per decision", true, false)
	p.X.Tick.Marker = countTicks{}
	if err := addSeries(p, "subscribed user (hit)", 0, t.where("benchmark", "AuthorizeSubscriptionHit").xy("subscriptions", "ns_per_op", 1)); err != nil {
		return err
	}
	if err := addSeries(p, "unsubscribed user (miss)", 1, t.where("benchmark", "AuthorizeMiss").xy("subscriptions", "ns_per_op", 1)); err != nil {
		return err
	}
	top := 0.0
	for _, r := range append(t.where("benchmark", "AuthorizeSubscriptionHit"), t.where("benchmark", "AuthorizeMiss")...) {
		top = max(top, num(r["ns_per_op"]))
	}
	p.Y.Min, p.Y.Max = 0, top*1.15
	return save(filepath.Join(dir, "auth.png"), p)
}

// drawCompare plots, per protocol, the last peak run of its largest
// shape (connections × window): throughput of each path and the middle
// box's CPU per million messages, as grouped bars.
func drawCompare(t table, dir string) error {
	peak := t.where("phase", "peak")
	if len(peak) == 0 {
		return nil
	}
	shapeOf := func(r map[string]string) float64 { return num(r["conns"]) * num(r["window"]) }
	best := map[string]float64{} // proto → largest shape
	var protos []string
	for _, r := range peak {
		if _, ok := best[r["proto"]]; !ok {
			protos = append(protos, r["proto"])
		}
		best[r["proto"]] = max(best[r["proto"]], shapeOf(r))
	}
	last := map[[2]string]map[string]string{} // proto, path → row
	shapes := map[string]string{}
	for _, r := range peak {
		if shapeOf(r) == best[r["proto"]] {
			last[[2]string{r["proto"], r["path"]}] = r
			shapes[r["proto"]] = r["conns"] + "×" + r["window"]
		}
	}
	labels := make([]string, len(protos))
	for i, p := range protos {
		labels[i] = p + " " + shapes[p]
	}
	grouped := func(title, y string, paths []string, col string, scale float64) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.Y.Label.Text = y
		w := vg.Points(18)
		top := 0.0
		for i, path := range paths {
			v := make(plotter.Values, len(protos))
			for j, proto := range protos {
				if r := last[[2]string{proto, path}]; r != nil {
					v[j] = num(r[col]) * scale
					top = max(top, v[j])
				}
			}
			b, err := plotter.NewBarChart(v, w)
			if err != nil {
				return nil, err
			}
			b.Color = pathColor[path] // the same colour for a path in every chart
			b.Offset = w * vg.Length(2*i-len(paths)+1) / 2
			p.Add(b)
			p.Legend.Add(path, b)
		}
		p.Add(plotter.NewGrid())
		p.NominalX(labels...)
		p.Legend.Top = true
		p.Y.Min, p.Y.Max = 0, top*1.25
		return p, nil
	}
	a, err := grouped("throughput at peak (separate processes)", "M MT Submits/s", []string{"direct", "haproxy", "spsmg"}, "msgs_per_s", 1e-6)
	if err != nil {
		return err
	}
	b, err := grouped("middle box CPU at peak", "CPU seconds per million Submits", []string{"haproxy", "spsmg"}, "mid_cpu_s_per_M", 1)
	if err != nil {
		return err
	}
	return save(filepath.Join(dir, "compare.png"), a, b)
}
