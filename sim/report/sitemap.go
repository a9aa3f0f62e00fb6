package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/dataembassy/embassy/sim/results"
)

// box is a label's rectangle, for collision checks.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

// placeSites projects sites equirectangularly (longitude scaled by the
// cosine of the mean latitude) over their bounding box into w×h, then
// pushes apart sites closer than minGap, deterministically, keeping
// them padX and padY inside the edges.
func placeSites(sites []results.Site, w, h, padX, padY, minGap float64) [][2]float64 {
	n := len(sites)
	pts := make([][2]float64, n)
	if n == 0 {
		return pts
	}
	meanLat := 0.0
	for _, s := range sites {
		meanLat += s.Lat
	}
	k := math.Cos(meanLat / float64(n) * math.Pi / 180)
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, s := range sites {
		pts[i] = [2]float64{s.Lon * k, -s.Lat}
		x0, x1 = min(x0, pts[i][0]), max(x1, pts[i][0])
		y0, y1 = min(y0, pts[i][1]), max(y1, pts[i][1])
	}
	bw, bh := x1-x0, y1-y0
	sx, sy := math.Inf(1), math.Inf(1)
	if bw > 0 {
		sx = (w - 2*padX) / bw
	}
	if bh > 0 {
		sy = (h - 2*padY) / bh
	}
	// One scale for both axes, except that a wide, flat box may be
	// stretched vertically up to maxStretch times to use the space.
	const maxStretch = 3
	scale := min(sx, sy)
	if math.IsInf(scale, 1) {
		scale = 1
	}
	sxv, syv := scale, min(sy, scale*maxStretch)
	if math.IsInf(syv, 1) {
		syv = scale
	}
	// Centre the box.
	ox := (w - bw*sxv) / 2
	oy := (h - bh*syv) / 2
	for i := range pts {
		pts[i] = [2]float64{ox + (pts[i][0]-x0)*sxv, oy + (pts[i][1]-y0)*syv}
	}
	for range 400 {
		moved := false
		for i := range n {
			for j := i + 1; j < n; j++ {
				dx, dy := pts[j][0]-pts[i][0], pts[j][1]-pts[i][1]
				d := math.Hypot(dx, dy)
				if d >= minGap {
					continue
				}
				if d < 1e-6 { // same place: separate along a fixed angle per pair
					a := float64(i*7+j*13) * 0.7
					dx, dy, d = math.Cos(a), math.Sin(a), 1
				}
				push := (minGap - d) / 2 * 0.6
				ux, uy := dx/d*push, dy/d*push
				pts[i][0] -= ux
				pts[i][1] -= uy
				pts[j][0] += ux
				pts[j][1] += uy
				moved = true
			}
		}
		for i := range pts {
			pts[i][0] = min(max(pts[i][0], padX), w-padX)
			pts[i][1] = min(max(pts[i][1], padY), h-padY)
		}
		if !moved {
			break
		}
	}
	return pts
}

// siteMap draws the sites where they are (roughly), their nodes and
// clients, and the links with their RTTs; links that a partition cut at
// any time are dashed, links degraded at any time orange.
func siteMap(r results.Run, st story) template.HTML {
	const w, legendH = plotWidth, 40.0
	h := 560.0
	if len(r.Sites) <= 3 {
		h = 420
	}
	s := newSVG("site-map", "Map of the sites, their nodes and clients, and the links between them", w, h+legendH)
	if len(r.Sites) == 0 {
		s.text(w/2, h/2, "middle", "note", "no sites")
		return s.html()
	}
	pts := placeSites(r.Sites, w, h, 110, 70, 170)
	for i := range pts {
		pts[i][1] += legendH
	}
	at := map[string]int{}
	for i, site := range r.Sites {
		at[site.ID] = i
	}
	nodesAt := make([][]results.Node, len(r.Sites))
	for _, n := range r.Nodes {
		if i, ok := at[n.Site]; ok {
			nodesAt[i] = append(nodesAt[i], n)
		}
	}
	clientsAt := make([][]string, len(r.Sites))
	for _, c := range r.Clients {
		if i, ok := at[c.Site]; ok {
			clientsAt[i] = append(clientsAt[i], c.Name)
		}
	}
	// Legend.
	lx := 16.0
	lx = s.legendItem(lx, 22, "line", "#8a8a8a", "link (RTT)")
	fmt.Fprintf(&s.b, `<line x1="%s" y1="18" x2="%s" y2="18" class="link cut key"/>`, num(lx), num(lx+18))
	s.text(lx+22, 22, "start", "legend", "cut by a partition")
	lx += 22 + textWidth("cut by a partition", 12) + 18
	fmt.Fprintf(&s.b, `<line x1="%s" y1="18" x2="%s" y2="18" class="link degraded key"/>`, num(lx), num(lx+18))
	s.text(lx+22, 22, "start", "legend", "degraded")
	lx += 22 + textWidth("degraded", 12) + 18
	s.rect(lx, 11, 13, 13, "node", "", "")
	s.text(lx+20, 22, "start", "legend", "node")
	lx += 20 + textWidth("node", 12) + 16
	s.rect(lx, 11, 13, 13, "node killed", "", "")
	s.text(lx+20, 22, "start", "legend", "killed at some time")
	lx += 20 + textWidth("killed at some time", 12) + 16
	s.rect(lx, 11, 13, 13, "node byzantine", "", "")
	s.text(lx+20, 22, "start", "legend", "Byzantine")
	lx += 20 + textWidth("Byzantine", 12) + 16
	s.rect(lx, 11, 13, 13, "node attacked", "", "")
	s.text(lx+20, 22, "start", "legend", "DDoS target")

	// Site glyph areas, so that RTT labels avoid them.
	var taken []box
	glyph := make([]box, len(r.Sites))
	for i, site := range r.Sites {
		x, y := pts[i][0], pts[i][1]
		per := min(len(nodesAt[i]), 6)
		rows := (len(nodesAt[i]) + 5) / 6
		nw := float64(per) * 16
		lw := max(textWidth(site.City, 13), textWidth(siteLine(site, len(nodesAt[i])), 11), textWidth(clientLine(clientsAt[i]), 11), nw)
		glyph[i] = box{x - lw/2 - 2, y - 10 - 16*float64(rows), x + lw/2 + 2, y + 46}
		taken = append(taken, glyph[i])
	}
	// Links under the sites.
	links := 0
	for _, l := range r.Links {
		if l.A != l.B {
			links++
		}
	}
	labels := links <= 40
	for _, l := range r.Links {
		ia, oka := at[l.A]
		ib, okb := at[l.B]
		if !oka || !okb || l.A == l.B {
			continue
		}
		p := pairOf(l.A, l.B)
		class := "link"
		state := ""
		switch {
		case st.cutLinks[p] && st.degraded[p]:
			class, state = "link cut degraded", ", cut by a partition and degraded"
		case st.cutLinks[p]:
			class, state = "link cut", ", cut by a partition"
		case st.degraded[p]:
			class, state = "link degraded", ", degraded"
		}
		a, b := pts[ia], pts[ib]
		title := fmt.Sprintf("%s – %s: RTT %s, %s%s%s", l.A, l.B, msText(msOf(l.RTT)), bandwidth(l.Bandwidth), lossText(l.Loss), state)
		fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s"%s>%s</line>`, num(a[0]), num(a[1]), num(b[0]), num(b[1]), attrs("class", class), tip(title))
		if !labels {
			continue
		}
		label := msText(msOf(l.RTT))
		lw, lh := textWidth(label, 11)+6, 14.0
		var chosen box
		found := false
		for _, f := range []float64{0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75, 0.45, 0.55} {
			cx, cy := a[0]+(b[0]-a[0])*f, a[1]+(b[1]-a[1])*f
			bx := box{cx - lw/2, cy - lh/2, cx + lw/2, cy + lh/2}
			free := true
			for _, t := range taken {
				if bx.overlaps(t) {
					free = false
					break
				}
			}
			if free {
				chosen, found = bx, true
				break
			}
		}
		if !found {
			continue // the tooltip on the line still gives the RTT
		}
		taken = append(taken, chosen)
		s.open("g", "class", "rtt")
		s.rect(chosen.x0, chosen.y0, lw, lh, "rtt-bg", "", "")
		s.text((chosen.x0+chosen.x1)/2, chosen.y1-3.5, "middle", "rtt-label", label)
		s.b.WriteString(tip(title))
		s.close("g")
	}
	// Sites, nodes, clients.
	for i, site := range r.Sites {
		x, y := pts[i][0], pts[i][1]
		s.circle(x, y, 6, "site", "", fmt.Sprintf("%s, %s (%s): %.4f, %.4f", site.ID, site.City, site.Country, site.Lat, site.Lon))
		nodes := nodesAt[i]
		for j, n := range nodes {
			row, col := j/6, j%6
			inRow := min(len(nodes)-row*6, 6)
			nx := x - float64(inRow)*16/2 + float64(col)*16 + 1
			ny := y - 12 - 16*float64(row+1) + 2
			class := "node"
			var notes []string
			if st.killed[n.Name] {
				class += " killed"
				notes = append(notes, "killed at some time")
			}
			if st.byzantine[n.Name] {
				class += " byzantine"
				notes = append(notes, "Byzantine at some time")
			}
			if st.attacked[n.Name] {
				class += " attacked"
				notes = append(notes, "under DDoS at some time")
			}
			t := n.Name
			if len(notes) > 0 {
				t += ": " + strings.Join(notes, ", ")
			}
			s.open("g")
			s.rect(nx, ny, 14, 14, class, "", "")
			s.text(nx+7, ny+10.5, "middle", "node-label", strconv.Itoa(n.Index))
			s.b.WriteString(tip(t))
			s.close("g")
		}
		s.text(x, y+20, "middle", "site-label", site.City)
		s.text(x, y+33, "middle", "site-sub", siteLine(site, len(nodes)))
		if cl := clientLine(clientsAt[i]); cl != "" {
			s.text(x, y+45, "middle", "site-client", cl)
		}
	}
	return s.html()
}

func siteLine(site results.Site, nodes int) string {
	n := strconv.Itoa(nodes) + " nodes"
	if nodes == 1 {
		n = "1 node"
	}
	if site.Country == "" {
		return n
	}
	return site.Country + " · " + n
}

func clientLine(clients []string) string {
	if len(clients) == 0 {
		return ""
	}
	return "clients: " + strings.Join(clients, ", ")
}

func bandwidth(bps int64) string {
	v := float64(bps)
	for _, u := range []string{"bit/s", "kbit/s", "Mbit/s", "Gbit/s"} {
		if v < 1000 || u == "Gbit/s" {
			return strconv.FormatFloat(v, 'g', 4, 64) + " " + u
		}
		v /= 1000
	}
	return ""
}

func lossText(l float64) string {
	if l == 0 {
		return ""
	}
	return ", loss " + strconv.FormatFloat(l*100, 'g', 3, 64) + "%"
}
