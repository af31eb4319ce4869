package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
)

// loopsSVG draws the loops curve by hand (no plotting library: the output
// is plain text, the same bytes for the same points, and diffs in review):
// on the left msgs/s against event loops for direct, HAProxy and spsmg
// (medians over rounds, a bar from the lowest to the highest round), on
// the right the middle box's CPU seconds per million Submits. Loop counts
// are placed on a log2 axis; counts above the machine's CPUs are shaded.
func loopsSVG(run loopsRun) []byte {
	const (
		width, height = 900, 400
		panelW        = 450
		left, right   = 75, 25 // plot area inside a panel
		top, bottom   = 60, 320
	)
	m := medians(run.Points)
	var loops []int
	rounds := 0
	for _, p := range run.Points {
		if !slices.Contains(loops, p.Loops) {
			loops = append(loops, p.Loops)
		}
		rounds = max(rounds, p.Round)
	}
	slices.Sort(loops)

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	title := fmt.Sprintf("%s, %d SP conns × window %d, %d CPUs, median of %d round(s), %s",
		run.Proto, run.Conns, run.Window, run.CPUs, rounds, run.Date)
	fmt.Fprintf(&b, `<text x="%d" y="20" text-anchor="middle" font-size="14">%s</text>`+"\n", width/2, html.EscapeString(title))

	panels := []struct {
		title  string
		format func(float64) string
		value  func(medianPoint) float64
		paths  []string
		bars   bool
	}{
		{"throughput (MT/s)", countLabel, func(p medianPoint) float64 { return p.MsgsPerSec }, []string{"direct", "haproxy", "spsmg"}, true},
		{"middle box CPU s per 1M MT", decimalLabel, func(p medianPoint) float64 { return p.MidCPU }, []string{"haproxy", "spsmg"}, false},
	}
	for i, pn := range panels {
		x0, x1 := float64(i*panelW+left), float64((i+1)*panelW-right)
		y0, y1 := float64(top), float64(bottom)
		var hi float64
		for _, path := range pn.paths {
			for _, p := range m[path] {
				hi = max(hi, pn.value(p))
				if pn.bars {
					hi = max(hi, p.MaxMsgs)
				}
			}
		}
		step, yMax := niceAxis(hi, 5)
		xOf := func(n int) float64 { return loopX(n, loops, x0, x1) }
		yOf := func(v float64) float64 { return y1 - (y1-y0)*v/yMax }

		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle" font-size="13">%s</text>`+"\n", num((x0+x1)/2), top-12, html.EscapeString(pn.title))
		// Loop counts above the CPUs share them: shade that part.
		if len(loops) > 0 && run.CPUs > 0 && loops[len(loops)-1] > run.CPUs {
			sx := x0
			if run.CPUs >= loops[0] {
				sx = xOf(run.CPUs)
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#eeeeee"/>`+"\n", num(sx), num(y0), num(x1-sx), num(y1-y0))
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#777777" font-size="11">more loops than CPUs</text>`+"\n", num(x1-4), num(y1-6))
		}
		// Grid and y labels.
		for k := range int(math.Round(yMax/step)) + 1 {
			v := float64(k) * step
			y := yOf(v)
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#dddddd"/>`+"\n", num(x0), num(y), num(x1), num(y))
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`+"\n", num(x0-6), num(y+4), pn.format(v))
		}
		// Axes, x ticks and labels.
		fmt.Fprintf(&b, `<path d="M%s %sV%sH%s" fill="none" stroke="black"/>`+"\n", num(x0), num(y0), num(y1), num(x1))
		for _, n := range loops {
			x := xOf(n)
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/>`+"\n", num(x), num(y1), num(x), num(y1+5))
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%d</text>`+"\n", num(x), num(y1+19), n)
		}
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">event loops (spsmg) = threads (HAProxy)</text>`+"\n", num((x0+x1)/2), bottom+38)
		// One line per path, a dot per point, and the rounds' spread.
		for _, path := range pn.paths {
			st := pathStyle[path]
			pts := m[path]
			if len(pts) == 0 {
				continue
			}
			var d bytes.Buffer
			for j, p := range pts {
				cmd := "L"
				if j == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%s %s", cmd, num(xOf(p.Loops)), num(yOf(pn.value(p))))
			}
			dash := ""
			if st.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
			}
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", d.String(), st.color, dash)
			for _, p := range pts {
				x, y := xOf(p.Loops), yOf(pn.value(p))
				if pn.bars && p.Rounds > 1 {
					fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`+"\n", num(x), num(yOf(p.MinMsgs)), num(x), num(yOf(p.MaxMsgs)), st.color)
				}
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", num(x), num(y), st.color)
			}
		}
	}
	// Legend, one row under both panels.
	x := 150.0
	for _, path := range []string{"direct", "haproxy", "spsmg"} {
		st := pathStyle[path]
		dash := ""
		if st.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
		}
		fmt.Fprintf(&b, `<line x1="%s" y1="382" x2="%s" y2="382" stroke="%s" stroke-width="2"%s/>`+"\n", num(x), num(x+28), st.color, dash)
		fmt.Fprintf(&b, `<text x="%s" y="386">%s</text>`+"\n", num(x+34), html.EscapeString(st.label))
		x += 200
	}
	if rounds > 1 {
		fmt.Fprintf(&b, `<text x="%s" y="386" fill="#555555">bars: lowest–highest round</text>`+"\n", num(x-20))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

var pathStyle = map[string]struct{ color, dash, label string }{
	// The colours of cmd/plot's compare.png.
	"direct":  {"#1f77b4", "6 4", "direct (ceiling)"},
	"haproxy": {"#d62728", "", "HAProxy, TCP mode"},
	"spsmg":   {"#2ca02c", "", "spsmg"},
}

// loopX places loop count n between x0 and x1 on a log2 scale of loops
// (sorted); a single count sits in the middle.
func loopX(n int, loops []int, x0, x1 float64) float64 {
	if len(loops) == 0 || loops[0] == loops[len(loops)-1] {
		return (x0 + x1) / 2
	}
	// Leave a margin so that the first and last dots clear the axes.
	pad := (x1 - x0) * 0.06
	lo, hi := math.Log2(float64(loops[0])), math.Log2(float64(loops[len(loops)-1]))
	return x0 + pad + (x1-x0-2*pad)*(math.Log2(float64(n))-lo)/(hi-lo)
}

// niceAxis picks a step of 1, 2, 2.5 or 5 × 10^k giving at most about
// ticks intervals up to hi, and the axis maximum (a multiple of the step
// at or above hi; 1 when hi is 0).
func niceAxis(hi float64, ticks int) (step, top float64) {
	if hi <= 0 || math.IsNaN(hi) || math.IsInf(hi, 0) {
		return 0.2, 1
	}
	raw := hi / float64(ticks)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * p; step >= raw {
			break
		}
	}
	top = math.Ceil(hi/step-1e-9) * step
	return step, top
}

// num writes a coordinate with at most one decimal.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// countLabel writes 1500000 as 1.5M, 800000 as 800k.
func countLabel(v float64) string {
	r := func(x float64) string { return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64) }
	switch {
	case v >= 1e6:
		return r(v/1e6) + "M"
	case v >= 1e3:
		return r(v/1e3) + "k"
	}
	return r(v)
}

func decimalLabel(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
