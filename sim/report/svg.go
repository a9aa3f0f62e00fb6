package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// svg builds one inline SVG element. Every piece of text and every
// attribute value that is not a number goes through esc: the output is
// safe to embed as template.HTML.
type svg struct {
	b    strings.Builder
	w, h float64
}

func esc(s string) string { return html.EscapeString(s) }

// num formats a coordinate: at most one decimal, no exponent, no "-0".
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*10) / 10
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func newSVG(id, label string, w, h float64) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg id="%s" class="plot" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`,
		esc(id), num(w), num(h), num(w), num(h), esc(label))
	s.b.WriteString("<title>" + esc(label) + "</title>")
	return s
}

// attrs renders name="value" pairs (name, value, name, value, ...),
// skipping empty values.
func attrs(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		b.WriteString(" " + kv[i] + `="` + esc(kv[i+1]) + `"`)
	}
	return b.String()
}

// tip returns a <title> child (a tooltip), or "".
func tip(t string) string {
	if t == "" {
		return ""
	}
	return "<title>" + esc(t) + "</title>"
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s"%s/>`, num(x1), num(y1), num(x2), num(y2), attrs("class", class))
}

func (s *svg) rect(x, y, w, h float64, class, style, title string) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s"%s>%s</rect>`,
		num(x), num(y), num(max(w, 0)), num(max(h, 0)), attrs("class", class, "style", style), tip(title))
}

func (s *svg) circle(x, y, r float64, class, style, title string) {
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s"%s>%s</circle>`, num(x), num(y), num(r), attrs("class", class, "style", style), tip(title))
}

// text draws a label; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, class, t string) {
	s.textRot(x, y, anchor, class, t, 0)
}

func (s *svg) textRot(x, y float64, anchor, class, t string, deg float64) {
	rot := ""
	if deg != 0 {
		rot = fmt.Sprintf("rotate(%s %s %s)", num(deg), num(x), num(y))
	}
	fmt.Fprintf(&s.b, `<text x="%s" y="%s"%s>%s</text>`, num(x), num(y), attrs("text-anchor", anchor, "class", class, "transform", rot), esc(t))
}

// path draws a path from points, M then L.
func (s *svg) path(pts [][2]float64, class, style string) {
	if len(pts) == 0 {
		return
	}
	var d strings.Builder
	for i, p := range pts {
		if i == 0 {
			d.WriteString("M")
		} else {
			d.WriteString(" L")
		}
		d.WriteString(num(p[0]) + " " + num(p[1]))
	}
	fmt.Fprintf(&s.b, `<path d="%s"%s/>`, d.String(), attrs("class", class, "style", style))
}

func (s *svg) open(tag string, kv ...string) { s.b.WriteString("<" + tag + attrs(kv...) + ">") }
func (s *svg) close(tag string)              { s.b.WriteString("</" + tag + ">") }

func (s *svg) html() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String()) // every part escaped above
}

// linear maps [d0, d1] onto [r0, r1].
type linear struct{ d0, d1, r0, r1 float64 }

func (l linear) at(v float64) float64 {
	if l.d1 == l.d0 {
		return (l.r0 + l.r1) / 2
	}
	return l.r0 + (v-l.d0)/(l.d1-l.d0)*(l.r1-l.r0)
}

// niceStep is the step among 1, 2, 5 × 10^k that cuts span into at most
// n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// timeStep picks a tick step for a time axis over d, at most n ticks.
func timeStep(d time.Duration, n int) time.Duration {
	steps := []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
		20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	for _, s := range steps {
		if d/s <= time.Duration(n) {
			return s
		}
	}
	return d / time.Duration(n)
}

// clock formats a time since the start for an axis: h:mm for runs of an
// hour or more, m:ss for shorter ones, s.mmm for sub-second steps.
func clock(t, span, step time.Duration) string {
	switch {
	case step < time.Second:
		return strconv.FormatFloat(t.Seconds(), 'f', -1, 64) + "s"
	case span >= time.Hour:
		m := int64(t / time.Minute)
		return fmt.Sprintf("%d:%02d", m/60, m%60)
	default:
		s := int64(t / time.Second)
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
}

func clockUnit(span, step time.Duration) string {
	switch {
	case step < time.Second:
		return "s"
	case span >= time.Hour:
		return "h:mm"
	}
	return "m:ss"
}

// bytesSI formats a byte count with three significant digits.
func bytesSI(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for math.Abs(b) >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(b, 'g', 3, 64) + " " + units[i]
}

// msText formats milliseconds for people.
func msText(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
}

// textWidth estimates the width of a label in the report's sans-serif at
// the given size, for layout (no font metrics are available).
func textWidth(t string, size float64) float64 {
	return float64(len([]rune(t))) * size * 0.62
}

// palette: Tableau 10, for series without a fixed colour.
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// kindColour gives the usual kinds fixed colours and others the rest of
// the palette in order.
func kindColour(kind string, i int) string {
	switch kind {
	case "lookup":
		return palette[0]
	case "query":
		return palette[1]
	case "ingest":
		return palette[2]
	}
	return palette[3+i%(len(palette)-3)]
}
