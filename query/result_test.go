package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

func compile(t *testing.T, text string) (*Plan, registry.Schema) {
	t.Helper()
	q, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	s, err := q.Schema(registry.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	p, err := q.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

func TestAssembleGroups(t *testing.T) {
	p, s := compile(t, "SELECT county, COUNT(*), SUM(birth_year), AVG(birth_year) FROM population GROUP BY county")
	cells := []Cell{ // out of order, with empty and small groups
		sumCell(11, -1, 3, 5925),    // Tartu maakond: suppressed
		sumCell(0, -1, 10, 19755),   // Harju maakond
		sumCell(1, -1, 0, 0),        // Hiiu maakond: empty
		sumCell(2, -1, 7, 13901),    // Ida-Viru maakond
		sumCell(14, -1, 1, 2000),    // Võru maakond: suppressed
		sumCell(13, -1, 6, 11999+1), // Viljandi maakond
	}
	r, err := Assemble(p, s, cells, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{
		Columns: []string{"county", "COUNT(*)", "SUM(birth_year)", "AVG(birth_year)"},
		Rows: [][]any{
			{"Harju maakond", uint64(10), json.Number("19755"), json.Number("1975.5")},
			{"Ida-Viru maakond", uint64(7), json.Number("13901"), json.Number("1985.857143")},
			{"Viljandi maakond", uint64(6), json.Number("12000"), json.Number("2000")},
		},
		Suppressed: [][]any{{"Tartu maakond"}, {"Võru maakond"}},
		K:          5,
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got  %#v\nwant %#v", r, want)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	wantTable := `county            COUNT(*)  SUM(birth_year)  AVG(birth_year)
----------------  --------  ---------------  ---------------
Harju maakond           10            19755           1975.5
Ida-Viru maakond         7            13901      1985.857143
Viljandi maakond         6            12000             2000
(3 rows)
suppressed (fewer than 5 rows): Tartu maakond; Võru maakond
`
	if table.String() != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", table.String(), wantTable)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"columns":["county","COUNT(*)","SUM(birth_year)","AVG(birth_year)"],"rows":[["Harju maakond",10,19755,1975.5],["Ida-Viru maakond",7,13901,1985.857143],["Viljandi maakond",6,12000,2000]],"suppressed":[["Tartu maakond"],["Võru maakond"]]}` + "\n"
	if js.String() != wantJSON {
		t.Errorf("JSON:\n%s\nwant:\n%s", js.String(), wantJSON)
	}
}

func TestAssembleHistogram(t *testing.T) {
	p, s := compile(t, "SELECT sex, HISTOGRAM(birth_year, 0, 1950, 2000) FROM population WHERE citizenship = 'other' GROUP BY sex")
	cells := []Cell{
		{Group: 1, Bin: 2, Count: 4}, {Group: 0, Bin: 1, Count: 2}, {Group: 0, Bin: 0, Count: 9},
		{Group: 1, Bin: 0, Count: 0}, {Group: 1, Bin: 1, Count: 12},
	}
	r, err := Assemble(p, s, cells, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{
		Columns: []string{"sex", "HISTOGRAM(birth_year)", "COUNT(*)"},
		Rows: [][]any{
			{"M", "[0,1950)", uint64(9)},
			{"F", "[1950,2000)", uint64(12)},
			{"F", "[2000,+inf)", uint64(4)},
		},
		Suppressed: [][]any{{"M", "[1950,2000)"}},
		K:          3,
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got  %#v\nwant %#v", r, want)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	wantTable := `sex  HISTOGRAM(birth_year)  COUNT(*)
---  ---------------------  --------
M    [0,1950)                      9
F    [1950,2000)                  12
F    [2000,+inf)                   4
(3 rows)
suppressed (fewer than 3 rows): M [1950,2000)
`
	if table.String() != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", table.String(), wantTable)
	}
}

func TestAssembleSingle(t *testing.T) {
	p, s := compile(t, "SELECT COUNT(*), SUM(revenue_eur), AVG(revenue_eur) FROM business")
	huge, _ := new(big.Int).SetString("1180591620717411303424", 10) // 2^70
	tests := []struct {
		name  string
		cells []Cell
		rows  [][]any
		supp  [][]any
	}{
		{"no rows", []Cell{sumCell(-1, -1, 0, 0)}, [][]any{{uint64(0), nil, nil}}, [][]any{}},
		{"no cell", nil, [][]any{{uint64(0), nil, nil}}, [][]any{}},
		{"few rows", []Cell{sumCell(-1, -1, 4, 100)}, [][]any{}, [][]any{{}}},
		{"exactly k", []Cell{sumCell(-1, -1, 5, 2)}, [][]any{{uint64(5), json.Number("2"), json.Number("0.4")}}, [][]any{}},
		{"rounding", []Cell{sumCell(-1, -1, 6, 4)}, [][]any{{uint64(6), json.Number("4"), json.Number("0.666667")}}, [][]any{}},
		{"huge", []Cell{{Group: -1, Bin: -1, Count: 6, Sums: []*big.Int{huge}}},
			[][]any{{uint64(6), json.Number("1180591620717411303424"), json.Number("196765270119568550570.666667")}}, [][]any{}},
	}
	for _, tt := range tests {
		r, err := Assemble(p, s, tt.cells, 5)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(r.Rows, tt.rows) || !reflect.DeepEqual(r.Suppressed, tt.supp) {
			t.Errorf("%s: rows %#v suppressed %#v, want %#v and %#v", tt.name, r.Rows, r.Suppressed, tt.rows, tt.supp)
		}
	}
	r, err := Assemble(p, s, []Cell{{Group: -1, Bin: -1, Count: 3, Sums: []*big.Int{huge}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var js, table bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if want := `{"columns":["COUNT(*)","SUM(revenue_eur)","AVG(revenue_eur)"],"rows":[[3,1180591620717411303424,393530540239137101141.333333]],"suppressed":[]}` + "\n"; js.String() != want {
		t.Errorf("JSON %s, want %s", js.String(), want)
	}
	r, err = Assemble(p, s, nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	want := `COUNT(*)  SUM(revenue_eur)  AVG(revenue_eur)
--------  ----------------  ----------------
       0              NULL              NULL
(1 row)
`
	if table.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", table.String(), want)
	}
	table.Reset()
	r, _ = Assemble(p, s, []Cell{sumCell(-1, -1, 2, 7)}, 5)
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	want = `COUNT(*)  SUM(revenue_eur)  AVG(revenue_eur)
--------  ----------------  ----------------
(0 rows)
suppressed (fewer than 5 rows): the whole result
`
	if table.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", table.String(), want)
	}
}

func TestAssembleErrors(t *testing.T) {
	pg, s := compile(t, "SELECT sex, SUM(birth_year) FROM population GROUP BY sex")
	ph, _ := compile(t, "SELECT HISTOGRAM(birth_year, 0, 2000) FROM population")
	p1, _ := compile(t, "SELECT COUNT(*) FROM population")
	tests := []struct {
		name  string
		p     *Plan
		cells []Cell
	}{
		{"group out of range", pg, []Cell{sumCell(2, -1, 1, 1)}},
		{"negative group", pg, []Cell{sumCell(-1, -1, 1, 1)}},
		{"bin without histogram", pg, []Cell{sumCell(0, 0, 1, 1)}},
		{"repeated cell", pg, []Cell{sumCell(0, -1, 1, 1), sumCell(1, -1, 1, 1), sumCell(0, -1, 2, 2)}},
		{"too few sums", pg, []Cell{sumCell(0, -1, 1)}},
		{"nil sum", pg, []Cell{{Group: 0, Bin: -1, Count: 1, Sums: []*big.Int{nil}}}},
		{"negative sum", pg, []Cell{sumCell(0, -1, 1, -1)}},
		{"bin out of range", ph, []Cell{sumCell(-1, 2, 1)}},
		{"group without GROUP BY", ph, []Cell{sumCell(0, 1, 1)}},
		{"two single cells", p1, []Cell{sumCell(-1, -1, 1), sumCell(-1, -1, 1)}},
	}
	for _, tt := range tests {
		if _, err := Assemble(tt.p, s, tt.cells, 5); !errors.Is(err, ErrCells) {
			t.Errorf("%s: %v, want ErrCells", tt.name, err)
		}
	}
}

// Assemble over the oracle's full grid, zero cells included.
func TestAssembleOracleCells(t *testing.T) {
	s, rs := records(t, "land", 1000, 6)
	q, err := Parse("SELECT purpose, COUNT(*), AVG(area_m2) FROM land WHERE county IN ('Harju maakond', 'Hiiu maakond') GROUP BY purpose")
	if err != nil {
		t.Fatal(err)
	}
	p, err := q.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := Oracle(q, s, rs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Assemble(p, s, cells, 10)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, row := range r.Rows {
		total += row[1].(uint64)
	}
	var want uint64
	for _, c := range cells {
		if c.Count >= 10 {
			want += c.Count
		}
	}
	if total != want || len(r.Rows)+len(r.Suppressed) == 0 {
		t.Errorf("rows count %d rows, want %d (%d rows, %d suppressed)", total, want, len(r.Rows), len(r.Suppressed))
	}
}
