package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dataembassy/embassy/sim/results"
)

// sweepRow is one run in the sweep's table.
type sweepRow struct {
	Link         string // the run's report, relative
	Dir          string
	Params       []string // in the order of sweepPage.Params
	Lookups      int
	Availability string
	P50, P95     string
	Failed       int
	Ops          int
	MinMargin    string
}

type sweepPage struct {
	Title        string
	Description  string
	Facts        []fact
	Params       []string
	Rows         []sweepRow
	AvailPlot    template.HTML
	LatencyPlot  template.HTML
	FailuresPlot template.HTML
}

// maxSweepBars is the number of runs the sweep's charts show; the table
// lists every run.
const maxSweepBars = 100

// WriteSweep renders a sweep's report.html: one row per run (in the given
// order) linking to RUNDIR/report.html, where RUNDIR is the run's Dir,
// and charts of lookup availability, p95 lookup latency and failed
// operations across runs.
func WriteSweep(w io.Writer, runs []results.Run) error {
	var p sweepPage
	var names []string
	for _, r := range runs {
		if !slices.Contains(names, r.Scenario) {
			names = append(names, r.Scenario)
		}
		for k := range r.Params {
			if !slices.Contains(p.Params, k) {
				p.Params = append(p.Params, k)
			}
		}
	}
	slices.Sort(p.Params)
	p.Title = "sweep of " + strings.Join(names, ", ")
	if len(runs) > 0 {
		p.Description = runs[0].Description
	}
	values := map[string][]string{}
	for _, r := range runs {
		for _, k := range p.Params {
			if v, ok := r.Params[k]; ok && !slices.Contains(values[k], v) {
				values[k] = append(values[k], v)
			}
		}
	}
	p.Facts = append(p.Facts, fact{"runs", fmt.Sprint(len(runs))})
	for _, k := range p.Params {
		p.Facts = append(p.Facts, fact{k, strings.Join(values[k], ", ")})
	}
	var avail, p95, failed []bar
	for i, r := range runs {
		s := results.Summarize(r)
		look, _ := s.Kind(results.KindLookup)
		row := sweepRow{Dir: r.Dir, Lookups: look.Count, Availability: "–", P50: "–", P95: "–", Ops: len(r.Ops), MinMargin: "–"}
		if r.Dir != "" {
			row.Link = url.PathEscape(r.Dir) + "/" + results.FileReport
		}
		for _, k := range p.Params {
			row.Params = append(row.Params, r.Params[k])
		}
		for _, k := range s.Kinds {
			row.Failed += k.Failed
		}
		if look.Count > 0 {
			row.Availability = percent(look.OK, look.Count)
		}
		if look.OK > 0 {
			row.P50, row.P95 = msText(look.P50), msText(look.P95)
		}
		if s.Samples > 0 {
			row.MinMargin = signed(s.MinMargin)
		}
		p.Rows = append(p.Rows, row)
		if i < maxSweepBars {
			label := paramsText(r.Params)
			if label == "" {
				label = r.Dir
			}
			if label == "" {
				label = fmt.Sprintf("run %d", i+1)
			}
			avail = append(avail, bar{label: label, values: []float64{s.Availability * 100}})
			p95 = append(p95, bar{label: label, values: []float64{look.P95}})
			failed = append(failed, bar{label: label, values: []float64{float64(row.Failed)}, note: fmt.Sprintf("of %d", len(r.Ops))})
		}
	}
	pct := func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "%" }
	count := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	p.AvailPlot = barChart("sweep-availability", "Lookup availability per run", "lookups that succeeded (%)",
		avail, []string{"availability"}, []string{palette[2]}, pct, 100)
	p.LatencyPlot = barChart("sweep-latency", "p95 lookup latency per run", "p95 latency of successful lookups (ms)",
		p95, []string{"p95"}, []string{palette[0]}, msTick, 0)
	p.FailuresPlot = barChart("sweep-failures", "Failed operations per run", "operations that failed",
		failed, []string{"failed"}, []string{palette[3]}, count, 0)
	if len(runs) > maxSweepBars {
		p.Facts = append(p.Facts, fact{"charts", fmt.Sprintf("the first %d runs; the table lists all", maxSweepBars)})
	}
	return render(w, "sweep", p)
}
