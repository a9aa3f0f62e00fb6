package query

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

func col(name string, kind ColumnKind, measure string) Column {
	return Column{Name: name, Kind: kind, Measure: measure}
}

var (
	colCount = col("COUNT(*)", ColumnCount, "")
)

func TestPlanGood(t *testing.T) {
	tests := []struct {
		text string
		want Plan
	}{
		{"SELECT county, COUNT(*), AVG(birth_year) FROM population WHERE citizenship IN ('EST','other') AND birth_year BETWEEN 1950 AND 1999 GROUP BY county",
			Plan{Registry: "population", Cube: "people",
				Filter:  map[string][]int{"citizenship": {0, 6}, "birth_year": {11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
				GroupBy: "county", Sums: []string{"birth_year"},
				Columns: []Column{col("county", ColumnGroup, ""), colCount, col("AVG(birth_year)", ColumnAvg, "birth_year")}}},
		// e0 > 0 restricts the measure in Filter; COUNT(*) is added at the end.
		{"SELECT HISTOGRAM(employees, 1, 10, 250), SUM(revenue_eur) FROM business WHERE status = 'active'",
			Plan{Registry: "business", Cube: "firms",
				Filter: map[string][]int{"employees": {1, 2, 3, 4}, "status": {0}},
				Histogram: &HistogramPlan{Measure: "employees", Bins: []BinRange{{1, 2}, {2, 4}, {4, 5}},
					Labels: []string{"[1,10)", "[10,250)", "[250,+inf)"}},
				Sums: []string{"revenue_eur"},
				Columns: []Column{col("HISTOGRAM(employees)", ColumnBin, "employees"),
					col("SUM(revenue_eur)", ColumnSum, "revenue_eur"), colCount}}},
		// e0 = 0 restricts nothing; an explicit COUNT(*) is the histogram's count.
		{"SELECT COUNT(*), HISTOGRAM(birth_year, 0, 1950, 2000) FROM population",
			Plan{Registry: "population", Cube: "people", Filter: map[string][]int{},
				Histogram: &HistogramPlan{Measure: "birth_year", Bins: []BinRange{{0, 11}, {11, 21}, {21, 27}},
					Labels: []string{"[0,1950)", "[1950,2000)", "[2000,+inf)"}},
				Columns: []Column{colCount, col("HISTOGRAM(birth_year)", ColumnBin, "birth_year")}}},
		// No axes: the smallest cube (15*3*6 = 270 of 1350, 270, 360).
		{"SELECT COUNT(*) FROM business",
			Plan{Registry: "business", Cube: "firms_by_revenue", Filter: map[string][]int{}, Columns: []Column{colCount}}},
		{"SELECT COUNT(*) FROM business WHERE county = 'Harju maakond'",
			Plan{Registry: "business", Cube: "firms_by_revenue", Filter: map[string][]int{"county": {0}}, Columns: []Column{colCount}}},
		{"SELECT COUNT(*) FROM business WHERE legal_form = 'AS'",
			Plan{Registry: "business", Cube: "firms", Filter: map[string][]int{"legal_form": {1}}, Columns: []Column{colCount}}},
		{"SELECT COUNT(*) FROM business WHERE founded_year BETWEEN 2000 AND 2009",
			Plan{Registry: "business", Cube: "firms_by_age", Filter: map[string][]int{"founded_year": {2, 3}}, Columns: []Column{colCount}}},
		// A tie (720 and 720) goes to the first cube; an unselected GROUP BY
		// dimension becomes the first column.
		{"SELECT SUM(area_m2) FROM land GROUP BY purpose",
			Plan{Registry: "land", Cube: "parcels_by_area", Filter: map[string][]int{}, GroupBy: "purpose",
				Sums: []string{"area_m2"}, Columns: []Column{col("purpose", ColumnGroup, ""), col("SUM(area_m2)", ColumnSum, "area_m2")}}},
		// An upper bound at or above the maximum reaches the last bin.
		{"SELECT COUNT(*) FROM land WHERE assessed_value_eur BETWEEN 10000000 AND 2251799813685247",
			Plan{Registry: "land", Cube: "parcels_by_value", Filter: map[string][]int{"assessed_value_eur": {7}}, Columns: []Column{colCount}}},
		{"SELECT COUNT(*) FROM land WHERE assessed_value_eur BETWEEN 0 AND 9223372036854775807",
			Plan{Registry: "land", Cube: "parcels_by_value", Filter: map[string][]int{"assessed_value_eur": {0, 1, 2, 3, 4, 5, 6, 7}}, Columns: []Column{colCount}}},
		{"SELECT COUNT(*) FROM land WHERE area_m2 BETWEEN 0 AND 499",
			Plan{Registry: "land", Cube: "parcels_by_area", Filter: map[string][]int{"area_m2": {0}}, Columns: []Column{colCount}}},
		// Sums in first-use order, without repeats.
		{"SELECT AVG(revenue_eur), SUM(employees), SUM(revenue_eur), AVG(founded_year), COUNT(*), COUNT(*) FROM business",
			Plan{Registry: "business", Cube: "firms_by_revenue", Filter: map[string][]int{},
				Sums: []string{"revenue_eur", "employees", "founded_year"},
				Columns: []Column{col("AVG(revenue_eur)", ColumnAvg, "revenue_eur"), col("SUM(employees)", ColumnSum, "employees"),
					col("SUM(revenue_eur)", ColumnSum, "revenue_eur"), col("AVG(founded_year)", ColumnAvg, "founded_year"), colCount, colCount}}},
		// Conditions on one axis intersect; IN repeats collapse.
		{"SELECT COUNT(*) FROM population WHERE county IN ('Harju maakond','Tartu maakond','Hiiu maakond', 'Tartu maakond') AND county IN ('Tartu maakond','Harju maakond', 'Valga maakond')",
			Plan{Registry: "population", Cube: "people", Filter: map[string][]int{"county": {0, 11}}, Columns: []Column{colCount}}},
		{"SELECT HISTOGRAM(employees, 10, 50) FROM business WHERE employees BETWEEN 0 AND 49",
			Plan{Registry: "business", Cube: "firms", Filter: map[string][]int{"employees": {2}},
				Histogram: &HistogramPlan{Measure: "employees", Bins: []BinRange{{2, 3}, {3, 5}}, Labels: []string{"[10,50)", "[50,+inf)"}},
				Columns:   []Column{col("HISTOGRAM(employees)", ColumnBin, "employees"), colCount}}},
		// Names match up to case and are normalised.
		{"SELECT County, COUNT(*) FROM Population WHERE CITIZENSHIP = 'other' GROUP BY COUNTY",
			Plan{Registry: "population", Cube: "people", Filter: map[string][]int{"citizenship": {6}}, GroupBy: "county",
				Columns: []Column{col("county", ColumnGroup, ""), colCount}}},
	}
	schemas := registry.Builtin()
	for _, tt := range tests {
		p, err := Compile(tt.text, schemas)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.text, err)
			continue
		}
		if !reflect.DeepEqual(*p, tt.want) {
			t.Errorf("Compile(%q)\n got %s\nwant %s", tt.text, p, &tt.want)
		}
	}
}

// tinySchema has a measure without edges, a dimension in no cube, a
// value with a quote and a country dimension with its own Other label.
func tinySchema(t testing.TB) registry.Schema {
	t.Helper()
	s, err := registry.ParseSchema([]byte(`{"name": "tiny", "key": "id", "fields": [
		{"name": "id", "type": "string"},
		{"name": "kind", "type": "enum", "values": ["a", "b'c"]},
		{"name": "n", "type": "int", "min": 0, "max": 1000},
		{"name": "home", "type": "country"}],
	"statistics": {
		"measures": [{"name": "n", "field": "n", "bits": 10}, {"name": "nb", "field": "n", "bits": 10, "edges": [0, 10, 100]}],
		"dimensions": [{"name": "kind", "field": "kind"}, {"name": "home", "field": "home", "values": ["FIN"], "other": "elsewhere"}],
		"cubes": [{"name": "c1", "axes": ["kind", "nb"]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		text      string
		kind      error
		line, col int
		token     string
		msg       string
	}{
		{"SELECT county, COUNT(*) FROM population WHERE foo = 'x' GROUP BY county", ErrUnknown, 1, 47, "foo",
			"unknown column; registry population has dimensions county, sex, citizenship and measures birth_year"},
		{"SELECT COUNT(*) FROM people", ErrUnknown, 1, 22, "people", "unknown registry; the registries are business, land, population"},
		{"SELECT SUM(county) FROM population", ErrInvalid, 1, 12, "county", "SUM needs a measure; county is a dimension (measures: birth_year)"},
		{"SELECT AVG(x) FROM population", ErrUnknown, 1, 12, "x", "unknown column"},
		{"SELECT birth_year FROM population", ErrInvalid, 1, 8, "birth_year", "a measure is selected through an aggregate"},
		{"SELECT county FROM population", ErrInvalid, 1, 8, "county", "county is not aggregated: add GROUP BY county"},
		{"SELECT sex, COUNT(*) FROM population GROUP BY county", ErrInvalid, 1, 8, "sex", "sex is not the GROUP BY dimension (county)"},
		{"SELECT COUNT(*) FROM population GROUP BY birth_year", ErrInvalid, 1, 42, "birth_year", "GROUP BY needs a dimension"},
		{"SELECT COUNT(*) FROM population GROUP BY nope", ErrUnknown, 1, 42, "nope", "unknown column"},
		{"SELECT HISTOGRAM(birth_year, 0), histogram(birth_year, 0) FROM population", ErrUnsupported, 1, 34, "histogram", "at most one HISTOGRAM"},
		{"SELECT HISTOGRAM(county, 0) FROM population", ErrInvalid, 1, 18, "county", "HISTOGRAM needs a binned measure; county is a dimension"},
		{"SELECT HISTOGRAM(birth_year, 1950, 1900) FROM population", ErrInvalid, 1, 36, "1900", "histogram edges must increase: 1900 follows 1950"},
		{"SELECT HISTOGRAM(birth_year, 1950, 1950) FROM population", ErrInvalid, 1, 36, "1950", "must increase"},
		{"SELECT HISTOGRAM(birth_year, 1951) FROM population", ErrUnsupported, 1, 30, "1951", "1951 is not a bin edge of birth_year; the nearest edges are 1950 and 1955"},
		{"SELECT HISTOGRAM(birth_year, 3000) FROM population", ErrUnsupported, 1, 30, "3000", "the highest edge is 2025"},
		{"SELECT COUNT(*) FROM population WHERE birth_year BETWEEN -5 AND 1899", ErrUnsupported, 1, 58, "-5", "the lowest edge is 0"},
		{"SELECT COUNT(*) FROM population WHERE birth_year BETWEEN 1950 AND 1960", ErrUnsupported, 1, 67, "1960", "the nearest allowed upper bounds are 1959 and 1964"},
		{"SELECT COUNT(*) FROM population WHERE birth_year BETWEEN 0 AND 1000", ErrUnsupported, 1, 64, "1000", "the nearest allowed upper bound is 1899"},
		{"SELECT COUNT(*) FROM population WHERE birth_year BETWEEN 2025 AND 4000", ErrUnsupported, 1, 67, "4000", "the nearest allowed upper bounds are 2024 and 4095"},
		{"SELECT COUNT(*) FROM population WHERE birth_year BETWEEN 1960 AND 1949", ErrInvalid, 1, 58, "1960", "empty range: 1960 is above 1949"},
		{"SELECT COUNT(*) FROM population WHERE county BETWEEN 0 AND 1", ErrInvalid, 1, 39, "county", "BETWEEN needs a binned measure"},
		{"SELECT COUNT(*) FROM population WHERE birth_year = '1950'", ErrInvalid, 1, 39, "birth_year", "= and IN compare a dimension"},
		{"SELECT COUNT(*) FROM population WHERE sex = 'X'", ErrUnknown, 1, 45, "'X'", "not a value of sex; its values are 'M', 'F'"},
		{"SELECT COUNT(*) FROM population WHERE sex IN ('M', 'm')", ErrUnknown, 1, 52, "'m'", "did you mean 'M'?"},
		{"SELECT COUNT(*) FROM population WHERE citizenship = 'XYZ'", ErrUnknown, 1, 53, "'XYZ'",
			"citizenship declares EST, RUS, UKR, FIN, LVA, BLR; XYZ is not declared: use 'other', which holds every country not listed"},
		{"SELECT COUNT(*) FROM population WHERE citizenship = 'fin'", ErrUnknown, 1, 53, "'fin'", "did you mean 'FIN'?"},
		{"SELECT COUNT(*) FROM population WHERE sex = 'M' AND sex = 'F'", ErrInvalid, 1, 53, "sex", "the conditions on sex exclude every row"},
		{"SELECT HISTOGRAM(employees, 50) FROM business WHERE employees BETWEEN 0 AND 9", ErrInvalid, 1, 53, "employees", "the conditions on employees exclude every row"},
		{"SELECT COUNT(*) FROM business WHERE employees BETWEEN 10 AND 49 AND revenue_eur BETWEEN 0 AND 0", ErrUnsupported, 1, 69, "revenue_eur",
			"no cube holds employees and revenue_eur together; registry business has cubes firms (county, legal_form, status, employees); firms_by_revenue (county, status, revenue_eur); firms_by_age (county, status, founded_year)"},
		{"SELECT legal_form, COUNT(*) FROM business WHERE county = 'Harju maakond' AND revenue_eur BETWEEN 0 AND 0 GROUP BY legal_form", ErrUnsupported, 1, 115, "legal_form",
			"no cube holds county, revenue_eur and legal_form together"},
		{"SELECT HISTOGRAM(founded_year, 0), COUNT(*) FROM business GROUP BY legal_form", ErrUnsupported, 1, 68, "legal_form", "no cube holds founded_year and legal_form"},
		{"SELECT COUNT(*) FROM tiny WHERE home = 'FIN'", ErrUnsupported, 1, 33, "home", "no cube holds home together; registry tiny has cubes c1 (kind, nb)"},
		{"SELECT COUNT(*) FROM tiny WHERE home = 'EST'", ErrUnknown, 1, 40, "'EST'", "use 'elsewhere'"},
		{"SELECT HISTOGRAM(n, 0) FROM tiny", ErrUnsupported, 1, 18, "n", "measure n has no bin edges (binned measures: nb)"},
		{"SELECT COUNT(*) FROM tiny WHERE n BETWEEN 0 AND 9", ErrUnsupported, 1, 33, "n", "measure n has no bin edges"},
		{"SELECT COUNT(*) FROM bare", ErrUnsupported, 1, 22, "bare", "registry bare declares no statistics"},
	}
	bare, err := registry.ParseSchema([]byte(`{"name": "bare", "key": "id", "fields": [{"name": "id", "type": "string"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	schemas := append(registry.Builtin(), tinySchema(t), bare)
	for _, tt := range tests {
		_, err := Compile(tt.text, schemas)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%q) = %v, want an *Error", tt.text, err)
			continue
		}
		if !errors.Is(err, tt.kind) || e.Line != tt.line || e.Col != tt.col || e.Token != tt.token || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Compile(%q):\n got %v (%v, %d:%d, token %q)\nwant %v, %d:%d, token %q, message with %q",
				tt.text, err, e.Kind, e.Line, e.Col, e.Token, tt.kind, tt.line, tt.col, tt.token, tt.msg)
		}
		checkErrorPos(t, tt.text, e)
	}
}

func TestPlanErrorString(t *testing.T) {
	_, err := Compile("SELECT county, COUNT(*) FROM population WHERE foo = 'x' GROUP BY county", registry.Builtin())
	want := `query:1:47: near "foo": unknown column; registry population has dimensions county, sex, citizenship and measures birth_year`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestPlanWrongSchema(t *testing.T) {
	q, err := Parse("SELECT COUNT(*) FROM land")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := registry.Lookup("population")
	if _, err := q.Plan(s); !errors.Is(err, ErrUnknown) {
		t.Errorf("planning a land query against population: %v", err)
	}
}

func TestPlanQuotedValue(t *testing.T) {
	p, err := Compile("SELECT COUNT(*) FROM tiny WHERE kind = 'b''c'", []registry.Schema{tinySchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Filter, map[string][]int{"kind": {1}}) || p.Cube != "c1" {
		t.Errorf("plan %s", p)
	}
}

// Every dimension and binned measure of the built-in schemas plans, alone
// and as GROUP BY or HISTOGRAM, in a cube that holds it.
func TestPlanBuiltinAxes(t *testing.T) {
	for _, s := range registry.Builtin() {
		st := s.Statistics
		if st == nil {
			t.Fatalf("%s declares no statistics", s.Name)
		}
		var texts []string
		for _, d := range st.Dimensions {
			b := d.Buckets(s)
			texts = append(texts,
				"SELECT "+d.Name+", COUNT(*) FROM "+s.Name+" GROUP BY "+d.Name,
				"SELECT COUNT(*) FROM "+s.Name+" WHERE "+d.Name+" = "+quote(b[len(b)-1]))
		}
		for _, m := range st.Measures {
			texts = append(texts, "SELECT SUM("+m.Name+"), AVG("+m.Name+") FROM "+s.Name)
			if len(m.Edges) > 0 {
				texts = append(texts,
					"SELECT HISTOGRAM("+m.Name+", "+joinInts(m.Edges)+") FROM "+s.Name,
					"SELECT COUNT(*) FROM "+s.Name+" WHERE "+m.Name+" BETWEEN 0 AND "+strconv64(m.Max()))
			}
		}
		for _, text := range texts {
			p, err := Compile(text, []registry.Schema{s})
			if err != nil {
				t.Errorf("%s", err)
				continue
			}
			i := slices.IndexFunc(st.Cubes, func(c registry.Cube) bool { return c.Name == p.Cube })
			if i < 0 {
				t.Errorf("%q: cube %q is not declared", text, p.Cube)
				continue
			}
			for _, axis := range append(slices.Collect(mapKeys(p.Filter)), p.GroupBy) {
				if axis != "" && !slices.Contains(st.Cubes[i].Axes, axis) {
					t.Errorf("%q: cube %s lacks axis %s", text, p.Cube, axis)
				}
			}
		}
	}
}

func TestPlanUsesFieldsCanonical(t *testing.T) {
	schemas := registry.Builtin()
	p, err := Compile("SELECT county, AVG(birth_year) FROM population WHERE citizenship = 'EST' GROUP BY county", schemas)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := registry.Lookup("population")
	if got, want := p.Uses(), []string{"birth_year", "citizenship", "county"}; !slices.Equal(got, want) {
		t.Errorf("Uses() = %v, want %v", got, want)
	}
	if got, want := p.Fields(s), []string{"birth_date", "citizenship", "county"}; !slices.Equal(got, want) {
		t.Errorf("Fields() = %v, want %v", got, want)
	}
	a, err := Compile("SELECT COUNT(*) FROM population WHERE sex IN ('F','M','F') AND county = 'Hiiu maakond'", schemas)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile("select count(*)\nfrom POPULATION where County = 'Hiiu maakond' and sex in ('M', 'F');", schemas)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Canonical(), b.Canonical()) {
		t.Errorf("equivalent queries, different plans:\n%s\n%s", a, b)
	}
	c, err := Compile("SELECT COUNT(*) FROM population WHERE sex IN ('F') AND county = 'Hiiu maakond'", schemas)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Canonical(), c.Canonical()) {
		t.Errorf("different queries, same plan %s", a)
	}
}
