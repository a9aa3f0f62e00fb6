package query

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dataembassy/embassy/registry"
)

// Result is an assembled query answer.
//
// A row holds, per column: the group or bin label as a string, COUNT(*)
// as a uint64, SUM as a json.Number (the exact integer), AVG as a
// json.Number (the exact quotient SUM/COUNT rounded to at most 6
// decimals, trailing zeros dropped), or nil (NULL) for SUM and AVG over no
// rows. Suppressed lists the groups counted but withheld because they hold
// fewer than K rows, each as its labels only (group label, then bin label;
// empty for the single row of a query without GROUP BY and HISTOGRAM).
type Result struct {
	Columns    []string `json:"columns"`
	Rows       [][]any  `json:"rows"`
	Suppressed [][]any  `json:"suppressed"`
	// K is the suppression threshold Assemble applied; it is not part of
	// the JSON form.
	K int `json:"-"`
}

// Assemble turns the decrypted cells of plan p into a Result. Each cell
// with a positive Count gives one row, in group bucket order, then bin
// order; a cell with 0 < Count < k is suppressed instead (only its labels
// are kept, in Suppressed); cells with Count 0 are left out, and so are
// missing cells (an evaluator may omit them). Without GROUP BY and
// HISTOGRAM there is exactly one row, even for Count 0 (COUNT(*) is 0, SUM
// and AVG are NULL), unless it is suppressed.
//
// Cells outside the plan's grid, repeated cells and cells whose Sums do
// not match Plan.Sums give an error wrapping ErrCells.
func Assemble(p *Plan, s registry.Schema, cells []Cell, k int) (*Result, error) {
	var groups []string
	if p.GroupBy != "" {
		if s.Statistics == nil {
			return nil, fmt.Errorf("%w: registry %s declares no statistics", ErrCells, s.Name)
		}
		d, ok := s.Statistics.Dimension(p.GroupBy)
		if !ok {
			return nil, fmt.Errorf("%w: registry %s has no dimension %s", ErrCells, s.Name, p.GroupBy)
		}
		groups = d.Buckets(s)
	}
	var bins []string
	if p.Histogram != nil {
		bins = p.Histogram.Labels
	}
	sorted := slices.Clone(cells)
	for _, c := range sorted {
		if err := checkCell(p, c, len(groups), len(bins)); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(sorted, func(a, b Cell) int {
		if a.Group != b.Group {
			return a.Group - b.Group
		}
		return a.Bin - b.Bin
	})
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Group == sorted[i-1].Group && sorted[i].Bin == sorted[i-1].Bin {
			return nil, fmt.Errorf("%w: cell (group %d, bin %d) appears twice", ErrCells, sorted[i].Group, sorted[i].Bin)
		}
	}
	if groups == nil && bins == nil && len(sorted) == 0 {
		sorted = []Cell{{Group: -1, Bin: -1}}
	}
	r := &Result{Rows: [][]any{}, Suppressed: [][]any{}, K: k}
	for _, c := range p.Columns {
		r.Columns = append(r.Columns, c.Name)
	}
	single := groups == nil && bins == nil
	for _, c := range sorted {
		var labels []any
		if c.Group >= 0 {
			labels = append(labels, groups[c.Group])
		}
		if c.Bin >= 0 {
			labels = append(labels, bins[c.Bin])
		}
		switch {
		case c.Count == 0 && !single:
			continue
		case c.Count > 0 && c.Count < uint64(max(k, 0)):
			if labels == nil {
				labels = []any{}
			}
			r.Suppressed = append(r.Suppressed, labels)
			continue
		}
		r.Rows = append(r.Rows, row(p, c, groups, bins))
	}
	return r, nil
}

func checkCell(p *Plan, c Cell, groups, bins int) error {
	switch {
	case groups == 0 && c.Group != -1, groups > 0 && (c.Group < 0 || c.Group >= groups):
		return fmt.Errorf("%w: group %d (the plan has %d groups)", ErrCells, c.Group, groups)
	case bins == 0 && c.Bin != -1, bins > 0 && (c.Bin < 0 || c.Bin >= bins):
		return fmt.Errorf("%w: bin %d (the plan has %d bins)", ErrCells, c.Bin, bins)
	case len(c.Sums) != len(p.Sums):
		return fmt.Errorf("%w: cell (group %d, bin %d) has %d sums, the plan %d", ErrCells, c.Group, c.Bin, len(c.Sums), len(p.Sums))
	}
	for i, v := range c.Sums {
		if v == nil || v.Sign() < 0 {
			return fmt.Errorf("%w: cell (group %d, bin %d): sum of %s is missing or negative", ErrCells, c.Group, c.Bin, p.Sums[i])
		}
	}
	return nil
}

// row renders one cell in the plan's columns.
func row(p *Plan, c Cell, groups, bins []string) []any {
	out := make([]any, len(p.Columns))
	for i, col := range p.Columns {
		switch col.Kind {
		case ColumnGroup:
			out[i] = groups[c.Group]
		case ColumnBin:
			out[i] = bins[c.Bin]
		case ColumnCount:
			out[i] = c.Count
		case ColumnSum, ColumnAvg:
			j := slices.Index(p.Sums, col.Measure)
			if c.Count == 0 || j < 0 {
				out[i] = nil
				break
			}
			if col.Kind == ColumnSum {
				out[i] = json.Number(c.Sums[j].String())
			} else {
				out[i] = json.Number(average(c.Sums[j], c.Count))
			}
		}
	}
	return out
}

// average renders sum/count exactly rounded to 6 decimals (halves away
// from zero), without trailing zeros.
func average(sum *big.Int, count uint64) string {
	q := new(big.Rat).SetFrac(sum, new(big.Int).SetUint64(count))
	s := q.FloatString(6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// WriteJSON writes r as one JSON object {"columns": [...], "rows": [[...]],
// "suppressed": [[...]]} followed by a newline. Sums and averages are
// JSON numbers written exactly.
func WriteJSON(w io.Writer, r *Result) error {
	out := *r
	if out.Rows == nil {
		out.Rows = [][]any{}
	}
	if out.Suppressed == nil {
		out.Suppressed = [][]any{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// WriteTable writes r as an aligned text table: a header, a rule, the rows
// (numbers right-aligned, NULL for nil), a row count and, if any group was
// withheld, a line "suppressed (fewer than K rows): label; label".
func WriteTable(w io.Writer, r *Result) error {
	cells := make([][]string, 0, len(r.Rows)+1)
	cells = append(cells, r.Columns)
	for _, row := range r.Rows {
		line := make([]string, len(r.Columns))
		for i := range line {
			if i < len(row) {
				line[i] = show(row[i])
			}
		}
		cells = append(cells, line)
	}
	widths := make([]int, len(r.Columns))
	for _, line := range cells {
		for i, c := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	right := make([]bool, len(r.Columns))
	for i := range right {
		right[i] = len(r.Rows) > 0
		for _, row := range r.Rows {
			if i >= len(row) {
				continue
			}
			if _, text := row[i].(string); text {
				right[i] = false
			}
		}
	}
	var b strings.Builder
	for n, line := range cells {
		for i, c := range line {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(line)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteString("\n")
		if n == 0 {
			for i, wd := range widths {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(strings.Repeat("-", wd))
			}
			b.WriteString("\n")
		}
	}
	if len(r.Rows) == 1 {
		b.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(&b, "(%d rows)\n", len(r.Rows))
	}
	if len(r.Suppressed) > 0 {
		names := make([]string, len(r.Suppressed))
		for i, labels := range r.Suppressed {
			parts := make([]string, len(labels))
			for j, l := range labels {
				parts[j] = show(l)
			}
			names[i] = strings.Join(parts, " ")
			if len(labels) == 0 {
				names[i] = "the whole result"
			}
		}
		fmt.Fprintf(&b, "suppressed (fewer than %d rows): %s\n", r.K, strings.Join(names, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// show renders one value for the table.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}
