package report_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/dataembassy/embassy/sim/report"
	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/results/resultstest"
)

// runPlots are the ids of the SVG plots of a run's report.
var runPlots = []string{"latency-cdf", "availability", "bytes-links", "bytes-nodes", "site-map"}

var sweepPlots = []string{"sweep-availability", "sweep-latency", "sweep-failures"}

func render(t *testing.T, r results.Run) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// doc parses the page and checks what every report must be: well-formed
// SVG, no script, nothing fetched from anywhere.
func doc(t *testing.T, page string) *html.Node {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		i := max(strings.Index(page, "http://"), strings.Index(page, "https://"))
		t.Errorf("the page has an absolute URL: …%s…", page[max(0, i-60):min(len(page), i+60)])
	}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "iframe", "object", "embed", "img", "link", "image", "use", "foreignObject":
			t.Errorf("the page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if a.Key == "src" || a.Key == "xlink:href" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has attribute %s=%q", n.Data, a.Key, a.Val)
			}
			if a.Key == "style" && strings.Contains(a.Val, "url(") {
				t.Errorf("<%s> style fetches %q", n.Data, a.Val)
			}
		}
		if n.Data == "style" && n.FirstChild != nil && (strings.Contains(n.FirstChild.Data, "url(") || strings.Contains(n.FirstChild.Data, "@import")) {
			t.Error("the stylesheet fetches something")
		}
	}
	// Every SVG is well-formed XML on its own.
	rest := page
	for {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("an <svg> is not closed")
		}
		part := rest[i : i+j+len("</svg>")]
		dec := xml.NewDecoder(strings.NewReader(part))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG is not well-formed XML: %v\n%.300s", err, part)
			}
		}
		rest = rest[i+j:]
	}
	return root
}

func byID(root *html.Node, id string) *html.Node {
	for n := range root.Descendants() {
		for _, a := range n.Attr {
			if a.Key == "id" && a.Val == id {
				return n
			}
		}
	}
	return nil
}

// count counts the elements under n with this tag and, if class is not
// empty, this class attribute.
func count(n *html.Node, tag, class string) int {
	c := 0
	for d := range n.Descendants() {
		if d.Type != html.ElementNode || d.Data != tag {
			continue
		}
		if class == "" || attr(d, "class") == class {
			c++
		}
	}
	return c
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func TestRunReport(t *testing.T) {
	r := resultstest.Run(resultstest.Options{})
	page := render(t, r)
	root := doc(t, page)
	for _, id := range runPlots {
		n := byID(root, id)
		if n == nil || n.Data != "svg" {
			t.Fatalf("no <svg id=%q>", id)
		}
		if count(n, "title", "") == 0 {
			t.Errorf("plot %s has no title", id)
		}
	}
	// The latency CDF has one curve per kind.
	if got := count(byID(root, "latency-cdf"), "path", "series"); got != 3 {
		t.Errorf("latency CDF: %d curves, want 3", got)
	}
	// One availability panel per client: a reachable line, a nodes-up
	// line and a threshold line each.
	av := byID(root, "availability")
	if got := count(av, "path", "series"); got != len(r.Clients) {
		t.Errorf("availability: %d reachable lines, want %d", got, len(r.Clients))
	}
	if got := count(av, "path", "threshold"); got != len(r.Clients) {
		t.Errorf("availability: %d threshold lines, want %d", got, len(r.Clients))
	}
	// A marker per distinct action instant, a shaded span per partition
	// and per killed node.
	instants := map[time.Duration]bool{}
	kills := 0
	for _, e := range r.Events {
		if e.Type == results.EventAction {
			instants[e.T] = true
			if e.Action == results.ActionKill {
				kills++
			}
		}
	}
	if got := count(av, "line", "marker"); got != len(instants) {
		t.Errorf("availability: %d action markers, want %d", got, len(instants))
	}
	if got := count(av, "rect", "partition"); got != 1 {
		t.Errorf("availability: %d partition spans, want 1", got)
	}
	if got := count(av, "rect", "killed"); got != kills {
		t.Errorf("availability: %d kill spans, want %d", got, kills)
	}
	// Bars: one per directed site pair, two per endpoint.
	links, endpoints := 0, 0
	for _, x := range r.Traffic {
		if x.Scope == results.ScopeLink {
			links++
		} else {
			endpoints++
		}
	}
	if got := count(byID(root, "bytes-links"), "rect", ""); got != min(links, 31) {
		t.Errorf("bytes per link: %d bars, want %d", got, min(links, 31))
	}
	if got := count(byID(root, "bytes-nodes"), "rect", ""); got != 2*endpoints+2 { // + 2 legend swatches
		t.Errorf("bytes per node: %d rects, want %d", got, 2*endpoints+2)
	}
	// The map: every site, every node; the home site's links cut by the
	// partition dashed, the degraded link orange.
	m := byID(root, "site-map")
	if got := count(m, "circle", "site"); got != len(r.Sites) {
		t.Errorf("map: %d sites, want %d", got, len(r.Sites))
	}
	nodes := 0
	for d := range m.Descendants() {
		if d.Data == "rect" && strings.HasPrefix(attr(d, "class"), "node") && d.Parent.Data == "g" {
			nodes++
		}
	}
	if nodes != len(r.Nodes) {
		t.Errorf("map: %d nodes, want %d", nodes, len(r.Nodes))
	}
	if got := count(m, "line", "link cut"); got != len(r.Sites)-1 {
		t.Errorf("map: %d cut links, want %d (tallinn to every other site)", got, len(r.Sites)-1)
	}
	if got := count(m, "line", "link degraded"); got != 1 {
		t.Errorf("map: %d degraded links, want 1", got)
	}
	// Summary: a row per kind with its counts.
	sum := results.Summarize(r)
	body := text(byID(root, "summary"))
	for _, k := range sum.Kinds {
		if !strings.Contains(body, k.Kind) {
			t.Errorf("summary lacks kind %s", k.Kind)
		}
	}
	if !strings.Contains(body, "threshold 57") && sum.Kinds[1].Reasons[0].Reason == "threshold" {
		t.Errorf("summary lacks the lookups' failure reasons: %s", body)
	}
	head := text(byID(root, "summary")) + text(root)
	for _, want := range []string{"seed", "threshold t = 4", "Tallinn (EE): 2", "home at tallinn (custodian)"} {
		if !strings.Contains(head, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for n := range root.Descendants() {
		if n.Data == "a" {
			t.Errorf("a run outside a sweep links to %q", attr(n, "href"))
		}
	}
	// The same run, the same bytes.
	if page2 := render(t, r); page2 != page {
		t.Error("two renderings of one run differ")
	}
}

func TestReportEscapes(t *testing.T) {
	const evil = `<script>alert("x")</script>&<b>`
	r := resultstest.Run(resultstest.Options{Ops: 40, Scenario: evil, Params: map[string]string{evil: evil}})
	r.Description = evil
	r.Sites[0].City = evil
	r.Nodes[0].Name = evil
	r.Clients[0].Name = evil
	r.Traffic[0].Name = evil
	for i := range r.Events {
		if r.Events[i].Type == results.EventAction {
			r.Events[i].Target = evil
			r.Events[i].Detail = evil
		}
	}
	for i := range r.Ops {
		if !r.Ops[i].OK {
			r.Ops[i].Error = evil
			r.Ops[i].Reason = evil
		}
	}
	page := render(t, r)
	root := doc(t, page)
	if strings.Contains(page, "<script") || strings.Contains(page, "<b>") {
		t.Fatal("unescaped markup from the results in the page")
	}
	h1 := ""
	for n := range root.Descendants() {
		if n.Data == "h1" {
			h1 = text(n)
		}
	}
	if !strings.Contains(h1, evil) {
		t.Errorf("the title shows %q, want it to contain %q", h1, evil)
	}
	if !strings.Contains(text(byID(root, "site-map")), evil) {
		t.Error("the map does not show the city's name as text")
	}
	var buf bytes.Buffer
	r.Dir = `a"b?c#d`
	if err := report.WriteSweep(&buf, []results.Run{r}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script") {
		t.Fatal("unescaped markup in the sweep page")
	}
	sroot := doc(t, buf.String())
	for n := range sroot.Descendants() {
		if n.Data == "a" && attr(n, "href") != "a%22b%3Fc%23d/report.html" {
			t.Errorf("link %q, want the directory escaped as one path element", attr(n, "href"))
		}
	}
}

func TestReportEdgeCases(t *testing.T) {
	one := resultstest.Run(resultstest.Options{Ops: 5, Nodes: 1, Threshold: 1, Duration: 90 * time.Second})
	allFail := resultstest.Run(resultstest.Options{Ops: 30})
	for i := range allFail.Ops {
		allFail.Ops[i].OK, allFail.Ops[i].Reason = false, "timeout"
	}
	instant := resultstest.Run(resultstest.Options{Ops: 30})
	for i := range instant.Ops {
		instant.Ops[i].Latency = 0
	}
	sameSite := resultstest.Run(resultstest.Options{Ops: 30})
	for i := range sameSite.Sites {
		sameSite.Sites[i].Lat, sameSite.Sites[i].Lon = 50, 10
	}
	many := resultstest.Run(resultstest.Options{Ops: 30})
	for i := range 300 {
		many.Events = append(many.Events, results.Event{T: many.Duration, Type: results.EventAction, Action: "kill", Target: "node1"})
		many.Traffic = append(many.Traffic, results.Traffic{Scope: results.ScopeLink, Name: "x>y" + strings.Repeat("z", i%7), BytesOut: int64(i)})
	}
	tests := map[string]results.Run{
		"empty":         {},
		"one node":      one,
		"all failed":    allFail,
		"zero latency":  instant,
		"one place":     sameSite,
		"many actions":  many,
		"unknown names": {Nodes: []results.Node{{Name: "n", Site: "nowhere"}}, Clients: []results.Client{{Name: "c", Site: "nowhere"}}, Links: []results.Link{{A: "a", B: "b"}}},
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			root := doc(t, render(t, r))
			for _, id := range runPlots {
				if byID(root, id) == nil {
					t.Errorf("no plot %s", id)
				}
			}
			if strings.Contains(render(t, r), "NaN") {
				t.Error("NaN in the page")
			}
		})
	}
}

func TestSweepReport(t *testing.T) {
	runs := resultstest.Sweep(2, []int{5, 7}, []int{3, 4})
	var buf bytes.Buffer
	if err := report.WriteSweep(&buf, runs); err != nil {
		t.Fatal(err)
	}
	root := doc(t, buf.String())
	for _, id := range sweepPlots {
		if n := byID(root, id); n == nil || n.Data != "svg" {
			t.Errorf("no <svg id=%q>", id)
		}
	}
	table := byID(root, "sweep-table")
	if table == nil {
		t.Fatal("no sweep table")
	}
	var links []string
	for n := range table.Descendants() {
		if n.Data == "a" {
			links = append(links, attr(n, "href"))
		}
	}
	var want []string
	for _, r := range runs {
		want = append(want, r.Dir+"/report.html")
	}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("links %q, want %q", links, want)
	}
	if got := count(table, "tr", ""); got != len(runs)+1 {
		t.Errorf("%d rows, want %d", got, len(runs)+1)
	}
	if got := count(byID(root, "sweep-availability"), "rect", ""); got != len(runs) {
		t.Errorf("%d availability bars, want %d", got, len(runs))
	}
	// Every run's p95 lookup latency is in its row.
	for n := range table.Descendants() {
		if n.Data != "tr" || count(n, "a", "") == 0 {
			continue
		}
		row := text(n)
		for _, r := range runs {
			if strings.Contains(row, r.Dir) {
				look, _ := results.Summarize(r).Kind(results.KindLookup)
				if p95 := msText(look.P95); !strings.Contains(row, p95) {
					t.Errorf("row %q lacks p95 %s", row, p95)
				}
			}
		}
	}
}

// msText mirrors the report's latency format for the checks above.
func msText(ms float64) string {
	switch {
	case ms >= 1000:
		return trimFloat(ms/1000, 2) + " s"
	case ms >= 100:
		return trimFloat(ms, 0) + " ms"
	case ms >= 10:
		return trimFloat(ms, 1) + " ms"
	}
	return trimFloat(ms, 2) + " ms"
}

func trimFloat(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func TestSave(t *testing.T) {
	dir := t.TempDir()
	runs := resultstest.Sweep(3, []int{5}, []int{3, 4})
	for _, r := range runs {
		if err := report.Save(filepath.Join(dir, r.Dir), r); err != nil {
			t.Fatal(err)
		}
		got, err := results.Read(filepath.Join(dir, r.Dir))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Error("the run read back differs")
		}
		b, err := os.ReadFile(filepath.Join(dir, r.Dir, results.FileReport))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != render(t, r) {
			t.Error("report.html is not the run's report")
		}
		if !strings.Contains(string(b), `<a href="../report.html">`) {
			t.Error("a run of a sweep does not link to the sweep's report")
		}
	}
	if err := report.SaveSweep(dir, runs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{results.FileSweep, results.FileReport} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := report.SaveSweep(dir, runs); !errors.Is(err, results.ErrNotResultsDir) {
		t.Errorf("SaveSweep into a directory with other files: %v", err)
	}
}
