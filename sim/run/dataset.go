package run

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/sim"
)

// maxIngestRows bounds the rows generated for one scenario's ingest; the
// ingest stops early when they run out.
const maxIngestRows = 1_000_000

// dataset is the synthetic registry data of a run: what the custodian
// ingests, and, for checking answers, which records the network holds.
// The simulator knows the plaintext; the nodes never see it.
type dataset struct {
	regs map[string]*regData
}

type regData struct {
	schema  registry.Schema
	header  []string
	rows    [][]string // CSV fields, in schema order
	records []registry.Record

	mu       sync.Mutex
	next     int     // the next row to ingest
	readable []int   // rows stored on at least t nodes, in ingest order
	unsure   [][]int // batches whose ingest failed: stored on some nodes, maybe on t
}

// newDataset generates the rows of every registry the workload touches:
// preload rows for each, plus the ingest's rows at its rate over the
// scenario for the ingested one, from the scenario's seed.
func newDataset(s *sim.Scenario, preload int) (*dataset, error) {
	want := map[string]int{}
	w := s.Workload
	if w.Lookups != nil {
		for _, m := range w.Lookups.Mix {
			want[m.Registry] = preload
		}
	}
	if w.Queries != nil {
		for _, m := range w.Queries.Mix {
			p, err := query.Compile(m.SQL, registry.Builtin())
			if err != nil {
				return nil, fmt.Errorf("query %q: %w", m.SQL, err)
			}
			want[p.Registry] = preload
		}
	}
	if w.Ingest != nil {
		n := math.Ceil(float64(w.Ingest.Rate) * s.Duration.Seconds())
		want[w.Ingest.Registry] = preload + int(min(n, maxIngestRows))
	}
	d := &dataset{regs: map[string]*regData{}}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		rd, err := generate(name, want[name], s.Seed+uint64(i))
		if err != nil {
			return nil, err
		}
		d.regs[name] = rd
	}
	return d, nil
}

func generate(name string, count int, seed uint64) (*regData, error) {
	s, err := registry.Lookup(name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := registry.Generate(&buf, registry.FormatCSV, name, count, seed); err != nil {
		return nil, fmt.Errorf("generate %s: %w", name, err)
	}
	rd, err := registry.NewReader(bytes.NewReader(buf.Bytes()), registry.FormatCSV, s)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(buf.Bytes()))
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", name, err)
	}
	out := &regData{schema: s, header: header}
	seen := map[string]bool{}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		fields, err := cr.Read()
		if err != nil {
			return nil, fmt.Errorf("generate %s: row %d: %w", name, row.Line, err)
		}
		key := s.Key(row.Record)
		if row.Err != nil || seen[key] {
			continue // the generator's deliberate bad rows, and repeated keys
		}
		seen[key] = true
		out.rows = append(out.rows, fields)
		out.records = append(out.records, row.Record)
	}
	return out, nil
}

// takeBatch reserves the next n rows for ingest and returns their
// indices and a reader over them (nil when the rows have run out).
func (r *regData) takeBatch(n int) ([]int, *registry.Reader, error) {
	r.mu.Lock()
	from := r.next
	to := min(from+n, len(r.rows))
	r.next = to
	r.mu.Unlock()
	if from == to {
		return nil, nil, nil
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(r.header)
	_ = w.WriteAll(r.rows[from:to])
	rd, err := registry.NewReader(bytes.NewReader(buf.Bytes()), registry.FormatCSV, r.schema)
	if err != nil {
		return nil, nil, err
	}
	idx := make([]int, to-from)
	for i := range idx {
		idx[i] = from + i
	}
	return idx, rd, nil
}

// stored marks rows as readable.
func (r *regData) stored(idx []int) {
	r.mu.Lock()
	r.readable = append(r.readable, idx...)
	r.mu.Unlock()
}

// failed notes a batch whose ingest failed: some nodes may hold it (a
// timed-out batch may even be stored everywhere), so a query may count it.
func (r *regData) failed(idx []int) {
	r.mu.Lock()
	r.unsure = append(r.unsure, idx)
	r.mu.Unlock()
}

// maxUnsure bounds the failed batches whose every combination a query's
// answer is checked against.
const maxUnsure = 6

// candidates returns the record sets a query's answer may be computed
// over: the readable records with any combination of the most recent
// failed batches.
func (r *regData) candidates() [][]registry.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	base := make([]registry.Record, len(r.readable))
	for i, k := range r.readable {
		base[i] = r.records[k]
	}
	unsure := r.unsure[max(0, len(r.unsure)-maxUnsure):]
	out := make([][]registry.Record, 0, 1<<len(unsure))
	for mask := range 1 << len(unsure) {
		set := base
		if mask != 0 {
			set = slices.Clone(base)
			for b, idx := range unsure {
				if mask&(1<<b) != 0 {
					for _, k := range idx {
						set = append(set, r.records[k])
					}
				}
			}
		}
		out = append(out, set)
	}
	return out
}

// pick returns the row that draw (uniform in [0,1)) selects among the
// readable ones, or -1 if none is.
func (r *regData) pick(draw float64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.readable) == 0 {
		return -1
	}
	return r.readable[int(draw*float64(len(r.readable)))]
}
