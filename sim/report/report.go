package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Parse(pageTemplate))

// fact is one row of the settings table.
type fact struct{ Name, Value string }

// kindRow is one row of the summary table.
type kindRow struct {
	Kind               string
	Count, OK, Failed  int
	Success            string
	P50, P95, P99, Max string
	Reasons            string
}

// failureRow groups failed operations by kind and reason.
type failureRow struct {
	Kind, Reason string
	Count        int
	First        string
	Example      string
}

// runPage is what the template of a run's report gets.
type runPage struct {
	InSweep      bool // link back to ../report.html
	Title        string
	Description  string
	Facts        []fact
	Kinds        []kindRow
	Headline     string
	Failures     []failureRow
	Actions      []actionRow
	ActionsOpen  bool
	CDF          template.HTML
	Availability template.HTML
	LinkBytes    template.HTML
	NodeBytes    template.HTML
	Map          template.HTML
}

type actionRow struct {
	N                       int
	T, Kind, Target, Detail string
}

// Write renders the run's report.html to w.
func Write(w io.Writer, r results.Run) error {
	st := readStory(r)
	sum := results.Summarize(r)
	p := runPage{
		Title:        r.Scenario,
		InSweep:      r.Dir != "",
		Description:  r.Description,
		Facts:        facts(r),
		CDF:          latencyCDF(r),
		Availability: availability(r, st),
		LinkBytes:    linkBars(r),
		NodeBytes:    endpointBars(r),
		Map:          siteMap(r, st),
	}
	for _, k := range sum.Kinds {
		var reasons []string
		for _, rc := range k.Reasons {
			reasons = append(reasons, fmt.Sprintf("%s %d", rc.Reason, rc.Count))
		}
		row := kindRow{Kind: k.Kind, Count: k.Count, OK: k.OK, Failed: k.Failed,
			Success: percent(k.OK, k.Count), Reasons: strings.Join(reasons, ", "), P50: "–", P95: "–", P99: "–", Max: "–"}
		if k.OK > 0 {
			row.P50, row.P95, row.P99, row.Max = msText(k.P50), msText(k.P95), msText(k.P99), msText(k.Max)
		}
		p.Kinds = append(p.Kinds, row)
	}
	p.Headline = headline(sum)
	p.Failures = failures(r.Ops)
	for _, a := range st.actions {
		p.Actions = append(p.Actions, actionRow{a.N, results.FormatTime(a.T), a.Kind, a.Target, a.Detail})
	}
	p.ActionsOpen = len(p.Actions) <= 40
	return render(w, "run", p)
}

func render(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := page.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func percent(n, of int) string {
	if of == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

func headline(s results.Summary) string {
	var parts []string
	if s.Lookups > 0 {
		parts = append(parts, fmt.Sprintf("Lookup availability %s%% of %d lookups.", strconv.FormatFloat(100*s.Availability, 'f', 1, 64), s.Lookups))
	} else {
		parts = append(parts, "No lookups.")
	}
	if s.Samples > 0 {
		parts = append(parts, fmt.Sprintf("Threshold margin (nodes reachable − t) at least %s; below the threshold in %d of %d samples.", signed(s.MinMargin), s.Below, s.Samples))
	}
	return strings.Join(parts, " ")
}

func facts(r results.Run) []fact {
	f := []fact{
		{"seed", strconv.FormatUint(r.Seed, 10)},
		{"duration", durationText(r.Duration)},
		{"nodes / threshold", fmt.Sprintf("%d nodes, threshold t = %d", len(r.Nodes), r.Threshold)},
	}
	var sites []string
	for _, s := range r.Sites {
		n := 0
		for _, x := range r.Nodes {
			if x.Site == s.ID {
				n++
			}
		}
		label := s.City
		if label == "" {
			label = s.ID
		}
		if s.Country != "" {
			label += " (" + s.Country + ")"
		}
		sites = append(sites, fmt.Sprintf("%s: %d", label, n))
	}
	if len(sites) > 0 {
		f = append(f, fact{"sites: nodes", strings.Join(sites, ", ")})
	}
	var clients []string
	for _, c := range r.Clients {
		clients = append(clients, fmt.Sprintf("%s at %s (%s)", c.Name, c.Site, c.Role))
	}
	if len(clients) > 0 {
		f = append(f, fact{"clients", strings.Join(clients, ", ")})
	}
	if len(r.Params) > 0 {
		f = append(f, fact{"sweep settings", paramsText(r.Params)})
	}
	if r.SampleInterval > 0 {
		f = append(f, fact{"sampling interval", durationText(r.SampleInterval)})
	}
	f = append(f, fact{"recorded", fmt.Sprintf("%d events, %d operations, %d samples", len(r.Events), len(r.Ops), len(r.Samples))})
	return f
}

func paramsText(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, " ")
}

func durationText(d time.Duration) string {
	if d%time.Second == 0 {
		return d.String()
	}
	return d.Round(time.Millisecond).String()
}

func failures(ops []results.Op) []failureRow {
	var rows []failureRow
	idx := map[[2]string]int{}
	for _, o := range ops {
		if o.OK {
			continue
		}
		k := [2]string{o.Kind, o.Reason}
		i, ok := idx[k]
		if !ok {
			i = len(rows)
			idx[k] = i
			rows = append(rows, failureRow{Kind: o.Kind, Reason: o.Reason, First: results.FormatTime(o.Start), Example: o.Error})
		}
		rows[i].Count++
	}
	slices.SortStableFunc(rows, func(a, b failureRow) int {
		if a.Kind != b.Kind {
			return strings.Compare(a.Kind, b.Kind)
		}
		return b.Count - a.Count
	})
	return rows
}

// Save writes the run's results directory (results.Write) with its
// report.html.
func Save(dir string, r results.Run) error {
	return results.Write(dir, r, results.File{Name: results.FileReport, Write: func(w io.Writer) error { return Write(w, r) }})
}

// SaveSweep writes sweep.csv and the sweep's report.html into dir
// (results.WriteSweep); the runs' own directories are written with Save.
func SaveSweep(dir string, runs []results.Run) error {
	return results.WriteSweep(dir, runs, results.File{Name: results.FileReport, Write: func(w io.Writer) error { return WriteSweep(w, runs) }})
}

// signed writes a negative number with a minus sign.
func signed(n int) string {
	if n < 0 {
		return "−" + strconv.Itoa(-n)
	}
	return strconv.Itoa(n)
}
