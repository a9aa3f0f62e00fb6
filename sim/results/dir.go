package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Files of a run directory and of a sweep directory.
const (
	FileRun          = "run.json"
	FileEvents       = "events.jsonl"
	FileOps          = "ops.csv"
	FileAvailability = "availability.csv"
	FileTraffic      = "traffic.csv"
	FileReport       = "report.html" // written by package sim/report
	FileSweep        = "sweep.csv"
)

// Format names the layout of run.json; Read refuses any other.
const Format = "embassy-sim-results/1"

// tempPrefix starts the names of Write's temporary files.
const tempPrefix = ".tmp-"

// File is an extra file that Write or WriteSweep puts into the directory
// with the same care as its own, e.g. report.html from package sim/report.
type File struct {
	Name  string // a single path element, not one of the data files
	Write func(w io.Writer) error
}

// Write writes the run's files into dir (created if missing): events.jsonl,
// ops.csv, availability.csv, traffic.csv, then the extra files, then
// run.json. Each file is written to a temporary file, synced and renamed
// into place. A non-empty dir is accepted only if it holds nothing but
// result files (and Write's leftover temporary files): an earlier run's
// results are replaced, anything else is refused with ErrNotResultsDir.
// Write first removes an old run.json, so that a directory with a run.json
// always holds one complete run. The run must pass Validate (ErrInvalid).
func Write(dir string, r Run, extra ...File) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := checkExtra(extra, FileRun, FileEvents, FileOps, FileAvailability, FileTraffic); err != nil {
		return err
	}
	allowed := []string{FileRun, FileEvents, FileOps, FileAvailability, FileTraffic, FileReport}
	for _, f := range extra {
		allowed = append(allowed, f.Name)
	}
	if err := prepareDir(dir, allowed, nil); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, FileRun)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("results: removing the old %s: %w", FileRun, err)
	}
	files := []File{
		{FileEvents, func(w io.Writer) error { return WriteEvents(w, r.Events) }},
		{FileOps, func(w io.Writer) error { return WriteOps(w, r.Ops) }},
		{FileAvailability, func(w io.Writer) error { return WriteSamples(w, r.Samples) }},
		{FileTraffic, func(w io.Writer) error { return WriteTraffic(w, r.Traffic) }},
	}
	files = append(files, extra...)
	files = append(files, File{FileRun, func(w io.Writer) error { return WriteRunInfo(w, r) }})
	for _, f := range files {
		if err := writeAtomic(dir, f); err != nil {
			return err
		}
	}
	return nil
}

func checkExtra(extra []File, reserved ...string) error {
	seen := map[string]bool{}
	for _, f := range extra {
		switch {
		case f.Write == nil:
			return fmt.Errorf("%w: extra file %q has no writer", ErrInvalid, f.Name)
		case f.Name == "" || f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." || strings.HasPrefix(f.Name, tempPrefix):
			return fmt.Errorf("%w: extra file name %q is not a plain file name", ErrInvalid, f.Name)
		case slices.Contains(reserved, f.Name) || seen[f.Name]:
			return fmt.Errorf("%w: extra file %q would overwrite a results file", ErrInvalid, f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// prepareDir creates dir or checks that it holds only the allowed files,
// temporary files and (for sweeps) subdirectories that subdirOK accepts.
func prepareDir(dir string, allowed []string, subdirOK func(name string) bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("results: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.Type().IsRegular() && (slices.Contains(allowed, name) || strings.HasPrefix(name, tempPrefix)):
		case e.IsDir() && subdirOK != nil && subdirOK(name):
		default:
			return fmt.Errorf("%w: %s holds %q; choose an empty or new directory", ErrNotResultsDir, dir, name)
		}
	}
	if slices.Contains(allowed, FileRun) {
		if err := checkFormat(filepath.Join(dir, FileRun)); err != nil {
			return err
		}
	}
	return nil
}

// checkFormat accepts a missing file or a run.json of this package.
func checkFormat(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(data, &head) != nil || head.Format != Format {
		return fmt.Errorf("%w: %s is not a run.json of %s", ErrNotResultsDir, path, Format)
	}
	return nil
}

func writeAtomic(dir string, f File) (err error) {
	tmp, err := os.CreateTemp(dir, tempPrefix+f.Name+"-*")
	if err != nil {
		return fmt.Errorf("results: %s: %w", f.Name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := f.Write(bw); err != nil {
		return fmt.Errorf("results: writing %s: %w", f.Name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("results: writing %s: %w", f.Name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("results: %s: %w", f.Name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("results: %s: %w", f.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("results: %s: %w", f.Name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, f.Name)); err != nil {
		return fmt.Errorf("results: %s: %w", f.Name, err)
	}
	return nil
}

// runJSON is the form of run.json, fields in this order.
type runJSON struct {
	Format           string            `json:"format"`
	Scenario         string            `json:"scenario"`
	Description      string            `json:"description,omitempty"`
	Seed             uint64            `json:"seed"`
	DurationUS       int64             `json:"duration_us"`
	Threshold        int               `json:"threshold"`
	SampleIntervalUS int64             `json:"sample_interval_us"`
	Params           map[string]string `json:"params,omitempty"` // encoding/json sorts the keys
	Dir              string            `json:"dir,omitempty"`
	Sites            []siteJSON        `json:"sites"`
	Links            []linkJSON        `json:"links"`
	Nodes            []nodeJSON        `json:"nodes"`
	Clients          []clientJSON      `json:"clients"`
	Summary          Summary           `json:"summary"`
}

type siteJSON struct {
	ID      string  `json:"id"`
	City    string  `json:"city"`
	Country string  `json:"country"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}

type linkJSON struct {
	A         string  `json:"a"`
	B         string  `json:"b"`
	RTTUS     int64   `json:"rtt_us"`
	Bandwidth int64   `json:"bandwidth_bps"`
	Loss      float64 `json:"loss"`
}

type nodeJSON struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	Site  string `json:"site"`
}

type clientJSON struct {
	Name string `json:"name"`
	Site string `json:"site"`
	Role string `json:"role"`
}

// WriteRunInfo writes run.json: the run without its events, ops, samples
// and traffic, plus Summarize(r), indented, times in microseconds.
func WriteRunInfo(w io.Writer, r Run) error {
	j := runJSON{
		Format:           Format,
		Scenario:         cleanText(r.Scenario),
		Description:      cleanText(r.Description),
		Seed:             r.Seed,
		DurationUS:       us(r.Duration),
		Threshold:        r.Threshold,
		SampleIntervalUS: us(r.SampleInterval),
		Dir:              cleanText(r.Dir),
		Sites:            []siteJSON{},
		Links:            []linkJSON{},
		Nodes:            []nodeJSON{},
		Clients:          []clientJSON{},
	}
	// The summary of the ops as the files hold them (text cleaned), so
	// that Read finds the same.
	sr := Run{Ops: slices.Clone(r.Ops), Samples: r.Samples}
	for i := range sr.Ops {
		sr.Ops[i].Kind, sr.Ops[i].Reason = cleanText(sr.Ops[i].Kind), cleanText(sr.Ops[i].Reason)
	}
	j.Summary = Summarize(sr)
	if len(r.Params) > 0 {
		j.Params = map[string]string{}
		for k, v := range r.Params {
			j.Params[cleanText(k)] = cleanText(v)
		}
	}
	for _, s := range r.Sites {
		j.Sites = append(j.Sites, siteJSON{cleanText(s.ID), cleanText(s.City), cleanText(s.Country), s.Lat, s.Lon})
	}
	for _, l := range r.Links {
		j.Links = append(j.Links, linkJSON{cleanText(l.A), cleanText(l.B), us(l.RTT), l.Bandwidth, l.Loss})
	}
	for _, n := range r.Nodes {
		j.Nodes = append(j.Nodes, nodeJSON{cleanText(n.Name), n.Index, cleanText(n.Site)})
	}
	for _, c := range r.Clients {
		j.Clients = append(j.Clients, clientJSON{cleanText(c.Name), cleanText(c.Site), cleanText(c.Role)})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadRunInfo reads run.json: a Run without Events, Ops, Samples and
// Traffic, and the summary written with it. Unknown fields and other
// formats are refused (ErrFormat).
func ReadRunInfo(rd io.Reader) (Run, Summary, error) {
	bad := func(err error) (Run, Summary, error) {
		return Run{}, Summary{}, fmt.Errorf("%w: %s: %w", ErrFormat, FileRun, err)
	}
	dec := json.NewDecoder(io.LimitReader(rd, 64<<20))
	dec.DisallowUnknownFields()
	var j runJSON
	if err := dec.Decode(&j); err != nil {
		return bad(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(errors.New("trailing data after the JSON object"))
	}
	if j.Format != Format {
		return bad(fmt.Errorf("format %q, want %q", j.Format, Format))
	}
	d, err := fromUS(j.DurationUS)
	if err != nil {
		return bad(fmt.Errorf("duration: %w", err))
	}
	si, err := fromUS(j.SampleIntervalUS)
	if err != nil {
		return bad(fmt.Errorf("sample interval: %w", err))
	}
	r := Run{
		Scenario: j.Scenario, Description: j.Description, Seed: j.Seed, Duration: d,
		Threshold: j.Threshold, SampleInterval: si, Dir: j.Dir,
	}
	text := []string{j.Scenario, j.Description, j.Dir}
	if len(j.Params) > 0 {
		r.Params = j.Params
		for k, v := range j.Params {
			text = append(text, k, v)
		}
	}
	for _, s := range j.Sites {
		r.Sites = append(r.Sites, Site(s))
		text = append(text, s.ID, s.City, s.Country)
	}
	for _, l := range j.Links {
		rtt, err := fromUS(l.RTTUS)
		if err != nil {
			return bad(fmt.Errorf("link %s-%s: RTT: %w", l.A, l.B, err))
		}
		r.Links = append(r.Links, Link{l.A, l.B, rtt, l.Bandwidth, l.Loss})
		text = append(text, l.A, l.B)
	}
	for _, n := range j.Nodes {
		r.Nodes = append(r.Nodes, Node(n))
		text = append(text, n.Name, n.Site)
	}
	for _, c := range j.Clients {
		r.Clients = append(r.Clients, Client(c))
		text = append(text, c.Name, c.Site, c.Role)
	}
	if err := checkText(text...); err != nil {
		return bad(err)
	}
	if err := r.Validate(); err != nil {
		return bad(err)
	}
	return r, j.Summary, nil
}

// Read reads a directory that Write wrote, checks the run as Validate
// does, and checks that run.json's summary is the summary of the ops and
// samples read (ErrFormat otherwise: files from different runs, or edited).
func Read(dir string) (Run, error) {
	var r Run
	var sum Summary
	steps := []struct {
		name string
		read func(io.Reader) error
	}{
		{FileRun, func(rd io.Reader) (err error) { r, sum, err = ReadRunInfo(rd); return }},
		{FileEvents, func(rd io.Reader) (err error) { r.Events, err = ReadEvents(rd); return }},
		{FileOps, func(rd io.Reader) (err error) { r.Ops, err = ReadOps(rd); return }},
		{FileAvailability, func(rd io.Reader) (err error) { r.Samples, err = ReadSamples(rd); return }},
		{FileTraffic, func(rd io.Reader) (err error) { r.Traffic, err = ReadTraffic(rd); return }},
	}
	for _, s := range steps {
		f, err := os.Open(filepath.Join(dir, s.name))
		if err != nil {
			return Run{}, fmt.Errorf("results: %w", err)
		}
		err = s.read(bufio.NewReaderSize(f, 64<<10))
		f.Close()
		if err != nil {
			return Run{}, fmt.Errorf("%s: %w", dir, err)
		}
	}
	if err := r.Validate(); err != nil {
		return Run{}, fmt.Errorf("%w: %s: %w", ErrFormat, dir, err)
	}
	if got := Summarize(r); !reflect.DeepEqual(got, sum) {
		return Run{}, fmt.Errorf("%w: %s: the summary in %s is not that of %s and %s", ErrFormat, dir, FileRun, FileOps, FileAvailability)
	}
	return r, nil
}

// SweepFixedColumns follow the run's directory and its parameters in
// sweep.csv.
var SweepFixedColumns = []string{"ops", "ops_failed", "lookups", "lookups_failed", "availability",
	"lookup_p50_ms", "lookup_p95_ms", "lookup_p99_ms", "min_margin", "samples_below_threshold"}

// SweepColumns returns sweep.csv's header for these runs: "run" (the run's
// directory), then every parameter name of any run in sorted order, then
// SweepFixedColumns.
func SweepColumns(runs []Run) []string {
	var params []string
	for _, r := range runs {
		for k := range r.Params {
			if !slices.Contains(params, k) {
				params = append(params, k)
			}
		}
	}
	slices.Sort(params)
	cols := append([]string{"run"}, params...)
	return append(cols, SweepFixedColumns...)
}

// WriteSweepCSV writes sweep.csv: one row per run in the given order, the
// columns of SweepColumns; a parameter a run lacks is empty.
func WriteSweepCSV(w io.Writer, runs []Run) error {
	cols := SweepColumns(runs)
	nparams := len(cols) - 1 - len(SweepFixedColumns)
	return writeCSV(w, cols, len(runs), func(i int) []string {
		r := runs[i]
		s := Summarize(r)
		failed := 0
		for _, k := range s.Kinds {
			failed += k.Failed
		}
		look, _ := s.Kind(KindLookup)
		row := []string{r.Dir}
		for _, p := range cols[1 : 1+nparams] {
			row = append(row, r.Params[p])
		}
		return append(row, itoa(len(r.Ops)), itoa(failed), itoa(look.Count), itoa(look.Failed),
			ftoa(s.Availability), ftoa(look.P50), ftoa(look.P95), ftoa(look.P99), itoa(s.MinMargin), itoa(s.Below))
	})
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// WriteSweep writes sweep.csv (and the extra files, e.g. the sweep's
// report.html) into dir, with Write's care. Each run must pass Validate
// and have a Dir, unique among the runs, and SweepColumns must not repeat
// a name (a parameter named like a fixed column). A non-empty dir may hold
// only sweep files and run directories (subdirectories that are empty or
// hold a run.json of this package).
func WriteSweep(dir string, runs []Run, extra ...File) error {
	seen := map[string]bool{}
	for i, r := range runs {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		if r.Dir == "" || seen[r.Dir] {
			return fmt.Errorf("%w: run %d: directory %q is empty or used by another run", ErrInvalid, i+1, r.Dir)
		}
		seen[r.Dir] = true
	}
	cols := SweepColumns(runs)
	for i, c := range cols {
		if slices.Contains(cols[:i], c) {
			return fmt.Errorf("%w: sweep parameter %q has the name of a column of %s", ErrInvalid, c, FileSweep)
		}
	}
	if err := checkExtra(extra, FileSweep); err != nil {
		return err
	}
	allowed := []string{FileSweep, FileReport}
	for _, f := range extra {
		allowed = append(allowed, f.Name)
	}
	subdirOK := func(name string) bool {
		sub := filepath.Join(dir, name)
		entries, err := os.ReadDir(sub)
		return err == nil && (len(entries) == 0 || checkFormat(filepath.Join(sub, FileRun)) == nil && fileExists(filepath.Join(sub, FileRun)))
	}
	if err := prepareDir(dir, allowed, subdirOK); err != nil {
		return err
	}
	files := append([]File{{FileSweep, func(w io.Writer) error { return WriteSweepCSV(w, runs) }}}, extra...)
	for _, f := range files {
		if err := writeAtomic(dir, f); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
