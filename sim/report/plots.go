package report

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

const plotWidth = 960

// legendItem draws a legend swatch and label at (x, y); it returns the
// x after it.
func (s *svg) legendItem(x, y float64, kind, colour, label string) float64 {
	switch kind {
	case "line":
		fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" style="stroke:%s;stroke-width:2.5"/>`, num(x), num(y-4), num(x+18), num(y-4), esc(colour))
	case "dash":
		fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="threshold"/>`, num(x), num(y-4), num(x+18), num(y-4))
	default:
		s.rect(x, y-10, 14, 12, "", "fill:"+colour, "")
	}
	s.text(x+22, y, "start", "legend", label)
	return x + 22 + textWidth(label, 12) + 18
}

// latencyCDF: per op kind, the share of successful operations that took
// at most x, x on a log scale.
func latencyCDF(r results.Run) template.HTML {
	byKind := map[string][]time.Duration{}
	var kinds []string
	for _, o := range r.Ops {
		if !o.OK {
			continue
		}
		if _, ok := byKind[o.Kind]; !ok {
			kinds = append(kinds, o.Kind)
		}
		byKind[o.Kind] = append(byKind[o.Kind], o.Latency)
	}
	slices.Sort(kinds)
	const left, right, bottom = 64.0, 24.0, 52.0
	top := 24 + 18*float64(len(kinds))
	h := top + 320 + bottom
	s := newSVG("latency-cdf", "Latency CDF of successful operations, by kind", plotWidth, h)
	if len(kinds) == 0 {
		s.text(plotWidth/2, h/2, "middle", "note", "no operation succeeded")
		return s.html()
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, k := range kinds {
		slices.Sort(byKind[k])
		l := byKind[k]
		lo = min(lo, msOf(l[0]))
		hi = max(hi, msOf(l[len(l)-1]))
	}
	lo = max(lo, 0.001)
	hi = max(hi, lo)
	d0 := math.Floor(math.Log10(lo))
	d1 := math.Ceil(math.Log10(hi))
	if d1 <= d0 {
		d1 = d0 + 1
	}
	x := linear{d0, d1, left, plotWidth - right}
	y := linear{0, 1, h - bottom, top}
	logX := func(ms float64) float64 { return x.at(math.Log10(max(ms, math.Pow(10, d0)))) }
	// Grid and axes.
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		s.line(left, y.at(f), plotWidth-right, y.at(f), "grid")
		s.text(left-8, y.at(f)+4, "end", "tick", strconv.Itoa(int(f*100))+"%")
	}
	for dec := d0; dec <= d1; dec++ {
		v := math.Pow(10, dec)
		s.line(x.at(dec), top, x.at(dec), h-bottom, "grid")
		s.text(x.at(dec), h-bottom+16, "middle", "tick", msTick(v))
		if dec < d1 && d1-d0 <= 3 {
			for _, m := range []float64{2, 5} {
				xv := x.at(dec + math.Log10(m))
				s.line(xv, top, xv, h-bottom, "grid minor")
				s.text(xv, h-bottom+16, "middle", "tick minor", msTick(m*v))
			}
		}
	}
	s.line(left, h-bottom, plotWidth-right, h-bottom, "axis")
	s.line(left, top, left, h-bottom, "axis")
	s.text((left+plotWidth-right)/2, h-12, "middle", "axis-title", "latency (log scale)")
	s.textRot(16, (top+h-bottom)/2, "middle", "axis-title", "operations at most this fast", -90)
	// Curves: a step per operation, at most ~600 points per kind.
	var legend []string
	for i, k := range kinds {
		l := byKind[k]
		colour := kindColour(k, i)
		n := len(l)
		stride := max(1, n/600)
		pts := [][2]float64{{logX(msOf(l[0])), y.at(0)}}
		for j := 0; j < n; j += stride {
			j2 := min(j+stride-1, n-1)
			xv := logX(msOf(l[j2]))
			pts = append(pts, [2]float64{xv, pts[len(pts)-1][1]}, [2]float64{xv, y.at(float64(j2+1) / float64(n))})
		}
		s.path(pts, "series", "stroke:"+colour)
		sorted := l
		p50 := msOf(results.Percentile(sorted, 50))
		p95 := msOf(results.Percentile(sorted, 95))
		s.circle(logX(p50), y.at(0.5), 3.5, "", "fill:"+colour, fmt.Sprintf("%s p50 %s", k, msText(p50)))
		s.circle(logX(p95), y.at(0.95), 3.5, "", "fill:"+colour, fmt.Sprintf("%s p95 %s", k, msText(p95)))
		legend = append(legend, colour, fmt.Sprintf("%s: n=%d, p50 %s, p95 %s", k, n, msText(p50), msText(p95)))
	}
	// The legend above the plot, a row per kind.
	for i := 0; i < len(legend); i += 2 {
		s.legendItem(left, 20+float64(i/2)*18, "line", legend[i], legend[i+1])
	}
	return s.html()
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// clientPanel is one client's series in the availability timeline.
type clientPanel struct {
	name, site, role string
	samples          []results.Sample
}

// availability draws, per client, the nodes reachable over time against
// the threshold, with the timeline's actions as numbered markers and the
// partitions and killed nodes shaded.
func availability(r results.Run, st story) template.HTML {
	var panels []clientPanel
	index := map[string]int{}
	for _, c := range r.Clients {
		index[c.Name] = len(panels)
		panels = append(panels, clientPanel{name: c.Name, site: c.Site, role: c.Role})
	}
	for _, x := range r.Samples {
		i, ok := index[x.Client]
		if !ok {
			i = len(panels)
			index[x.Client] = i
			panels = append(panels, clientPanel{name: x.Client, site: x.Site})
		}
		panels[i].samples = append(panels[i].samples, x)
	}
	panels = slices.DeleteFunc(panels, func(p clientPanel) bool { return len(p.samples) == 0 })
	const left, right, legendH, markerRow = 64.0, 24.0, 34.0, 14.0
	const panelH, bandH, gap, axisH = 120.0, 12.0, 40.0, 46.0
	markerH := 3 * markerRow
	top := legendH + markerH + 16 // room for the first panel's title
	h := top + float64(max(len(panels), 1))*(panelH+bandH+gap) + axisH - gap
	s := newSVG("availability", "Nodes reachable per client over time, against the threshold", plotWidth, h)
	if len(panels) == 0 {
		s.text(plotWidth/2, top+40, "middle", "note", "no availability samples")
		return s.html()
	}
	end := max(st.end, time.Nanosecond)
	x := linear{0, float64(end), left, plotWidth - right}
	bottom := h - axisH
	// Legend.
	lx := left
	lx = s.legendItem(lx, 18, "line", palette[0], "nodes reachable")
	lx = s.legendItem(lx, 18, "line", "#9a9a9a", "nodes up")
	lx = s.legendItem(lx, 18, "dash", "", "threshold")
	lx = s.legendItem(lx, 18, "box", "rgba(242,142,43,0.35)", "partition")
	lx = s.legendItem(lx, 18, "box", "rgba(0,0,0,0.16)", "node(s) killed")
	s.legendItem(lx, 18, "box", "#e15759", "failed ops (share)")
	// Shading behind everything, across all panels.
	for _, p := range st.partitions {
		s.rect(x.at(float64(p.from)), top, x.at(float64(p.to))-x.at(float64(p.from)), bottom-top, "partition", "",
			fmt.Sprintf("partition %s, %s to %s", p.what, results.FormatTime(p.from), results.FormatTime(p.to)))
	}
	for _, k := range st.kills {
		s.rect(x.at(float64(k.from)), top, x.at(float64(k.to))-x.at(float64(k.from)), bottom-top, "killed", "",
			fmt.Sprintf("%s down, %s to %s", k.what, results.FormatTime(k.from), results.FormatTime(k.to)))
	}
	// Action markers: one per instant, numbered, labels bumped to a free row.
	type marker struct {
		t     time.Duration
		first int
		last  int
		what  string
	}
	var markers []marker
	for _, a := range st.actions {
		if n := len(markers); n > 0 && markers[n-1].t == a.T {
			markers[n-1].last = a.N
			markers[n-1].what += "; " + a.Kind + " " + a.Target
			continue
		}
		markers = append(markers, marker{a.T, a.N, a.N, a.Kind + " " + a.Target})
	}
	rowEnd := make([]float64, 3)
	for i := range rowEnd {
		rowEnd[i] = math.Inf(-1)
	}
	for _, m := range markers {
		xv := x.at(float64(m.t))
		label := strconv.Itoa(m.first)
		if m.last != m.first {
			label += "–" + strconv.Itoa(m.last)
		}
		s.line(xv, legendH+4, xv, bottom, "marker")
		w := textWidth(label, 10) + 4
		for row := range rowEnd {
			if xv-w/2 > rowEnd[row] {
				rowEnd[row] = xv + w/2
				s.open("g")
				s.text(xv, legendH+markerRow*float64(row)+12, "middle", "marker-label", label)
				s.b.WriteString(tip(results.FormatTime(m.t) + " " + m.what))
				s.close("g")
				break
			}
		}
	}
	// Panels.
	maxY := max(len(r.Nodes), r.Threshold, 1)
	for _, p := range panels {
		for _, x := range p.samples {
			maxY = max(maxY, x.NodesUp, x.Reachable, x.Threshold)
		}
	}
	step := timeStep(end, 12)
	for i, p := range panels {
		py := top + float64(i)*(panelH+bandH+gap)
		y := linear{0, float64(maxY), py + panelH, py + 8}
		s.line(left, py+panelH, plotWidth-right, py+panelH, "axis")
		s.line(left, py, left, py+panelH, "axis")
		ticks := []int{0, maxY}
		if th := p.samples[0].Threshold; th > 0 && th < maxY {
			ticks = append(ticks, th)
		}
		for _, v := range ticks {
			s.line(left, y.at(float64(v)), plotWidth-right, y.at(float64(v)), "grid")
			s.text(left-8, y.at(float64(v))+4, "end", "tick", strconv.Itoa(v))
		}
		title := p.name
		if p.site != "" {
			title += " at " + p.site
		}
		if p.role != "" {
			title += " (" + p.role + ")"
		}
		s.text(left, py-8, "start", "panel-title", title)
		s.textRot(18, py+panelH/2, "middle", "axis-title", "nodes", -90)
		// Series as steps: each sample's value holds until the next one.
		var up, reach, thr stepper
		for j, smp := range p.samples {
			x0 := x.at(float64(smp.T))
			x1 := x.at(float64(end))
			if j+1 < len(p.samples) {
				x1 = x.at(float64(p.samples[j+1].T))
			}
			if j == 0 {
				x0 = x.at(0)
			}
			up.add(x0, x1, y.at(float64(smp.NodesUp)))
			reach.add(x0, x1, y.at(float64(smp.Reachable)))
			thr.add(x0, x1, y.at(float64(smp.Threshold)))
			if smp.Margin < 0 {
				s.rect(x0, y.at(float64(smp.Threshold)), x1-x0, y.at(float64(smp.Reachable))-y.at(float64(smp.Threshold)), "below", "", "")
			}
			if total := smp.OK + smp.Failed; smp.Failed > 0 {
				bh := bandH * float64(smp.Failed) / float64(total)
				s.rect(x.at(float64(smp.T-r.SampleInterval)), py+panelH+bandH+2-bh, max(x1-x0, 1.5), bh, "failed", "",
					fmt.Sprintf("%s: %d of %d operations failed", results.FormatTime(smp.T), smp.Failed, total))
			}
		}
		s.path(up.pts, "series up", "")
		s.path(thr.pts, "threshold", "")
		s.path(reach.pts, "series", "stroke:"+palette[0])
	}
	// Time axis.
	for t := time.Duration(0); t <= end; t += step {
		xv := x.at(float64(t))
		s.line(xv, bottom, xv, bottom+5, "axis")
		s.text(xv, bottom+18, "middle", "tick", clock(t, end, step))
	}
	s.text((left+plotWidth-right)/2, h-6, "middle", "axis-title", "time since the start ("+clockUnit(end, step)+")")
	return s.html()
}

// bar is one bar (or pair of bars) of a bar chart.
type bar struct {
	label  string
	values []float64
	note   string // after the value label
}

// barChart draws horizontal bars, one row per bar, a series per value
// index with the given colours and names; format renders values.
func barChart(id, label, axis string, bars []bar, names, colours []string, format func(float64) string, maxV float64) template.HTML {
	per := len(colours)
	rowH := 8 + 14*float64(per)
	labelW := 80.0
	for _, b := range bars {
		labelW = max(labelW, textWidth(b.label, 12)+12)
	}
	labelW = min(labelW, 320)
	const bottom, right = 48.0, 150.0
	top := 12.0
	if len(names) > 1 {
		top = 34 // room for the legend
	}
	h := top + float64(max(len(bars), 1))*rowH + bottom
	s := newSVG(id, label, plotWidth, h)
	lx := labelW
	if len(names) > 1 {
		for i, n := range names {
			lx = s.legendItem(lx, 18, "box", colours[i], n)
		}
	}
	if len(bars) == 0 {
		s.text(plotWidth/2, top+20, "middle", "note", "nothing to show")
		return s.html()
	}
	for _, b := range bars {
		for _, v := range b.values {
			maxV = max(maxV, v)
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	step := niceStep(maxV, 6)
	maxV = math.Ceil(maxV/step) * step
	x := linear{0, maxV, labelW, plotWidth - right}
	bottomY := top + float64(len(bars))*rowH
	for v := 0.0; v <= maxV+step/2; v += step {
		s.line(x.at(v), top, x.at(v), bottomY, "grid")
		s.text(x.at(v), bottomY+16, "middle", "tick", format(v))
	}
	s.line(labelW, top, labelW, bottomY, "axis")
	s.line(labelW, bottomY, plotWidth-right, bottomY, "axis")
	s.text((labelW+plotWidth-right)/2, h-8, "middle", "axis-title", axis)
	for i, b := range bars {
		ry := top + float64(i)*rowH + 4
		s.text(labelW-8, ry+rowH/2+2, "end", "bar-label", b.label)
		for j, v := range b.values {
			by := ry + 14*float64(j)
			t := b.label + ": " + format(v)
			if len(names) > 1 {
				t = b.label + " " + names[j] + ": " + format(v)
			}
			s.rect(labelW, by, x.at(v)-labelW, 12, "", "fill:"+colours[j], t)
			val := format(v)
			if j == len(b.values)-1 && b.note != "" {
				val += " " + b.note
			}
			s.text(x.at(v)+5, by+10, "start", "value", val)
		}
	}
	return s.html()
}

// linkBars: bytes sent over each directed site pair, most first.
func linkBars(r results.Run) template.HTML {
	var bars []bar
	var rows []results.Traffic
	for _, t := range r.Traffic {
		if t.Scope == results.ScopeLink {
			rows = append(rows, t)
		}
	}
	slices.SortStableFunc(rows, func(a, b results.Traffic) int {
		return cmp.Or(cmp.Compare(b.BytesOut, a.BytesOut), cmp.Compare(a.Name, b.Name))
	})
	const most = 30
	var rest results.Traffic
	for i, t := range rows {
		if i >= most {
			rest.BytesOut += t.BytesOut
			rest.Dropped += t.Dropped
			continue
		}
		bars = append(bars, bar{label: strings.Replace(t.Name, ">", " → ", 1), values: []float64{float64(t.BytesOut)}, note: dropped(t.Dropped)})
	}
	if len(rows) > most {
		bars = append(bars, bar{label: fmt.Sprintf("%d other links", len(rows)-most), values: []float64{float64(rest.BytesOut)}, note: dropped(rest.Dropped)})
	}
	return barChart("bytes-links", "Bytes sent per directed site pair", "bytes sent from the first site to the second",
		bars, []string{"sent"}, []string{palette[0]}, bytesSI, 0)
}

func dropped(n int64) string {
	if n == 0 {
		return ""
	}
	return "(" + strconv.FormatInt(n, 10) + " packets dropped)"
}

// endpointBars: bytes sent and received by each node and client.
func endpointBars(r results.Run) template.HTML {
	var bars []bar
	for _, t := range r.Traffic {
		if t.Scope == results.ScopeEndpoint {
			bars = append(bars, bar{label: strings.Replace(t.Name, ">", " → ", 1), values: []float64{float64(t.BytesOut), float64(t.BytesIn)}, note: dropped(t.Dropped)})
		}
	}
	return barChart("bytes-nodes", "Bytes sent and received per node and client", "bytes",
		bars, []string{"sent", "received"}, []string{palette[0], palette[2]}, bytesSI, 0)
}

// msTick formats an axis tick in milliseconds: 1 ms, 20 ms, 1.5 s.
func msTick(ms float64) string {
	if ms >= 1000 {
		return strconv.FormatFloat(ms/1000, 'g', 4, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'g', 4, 64) + " ms"
}

// stepper builds a step line from spans of constant value, with a point
// only where the value changes.
type stepper struct{ pts [][2]float64 }

func (st *stepper) add(x0, x1, y float64) {
	n := len(st.pts)
	if n > 0 && st.pts[n-1][1] == y {
		st.pts[n-1][0] = x1 // extend the current step
		return
	}
	st.pts = append(st.pts, [2]float64{x0, y}, [2]float64{x1, y})
}
