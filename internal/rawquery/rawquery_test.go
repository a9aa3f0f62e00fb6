package rawquery

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

func records(t *testing.T, s registry.Schema, n int, seed uint64) []registry.Record {
	t.Helper()
	var buf bytes.Buffer
	if err := registry.Generate(&buf, registry.FormatCSV, s.Name, n, seed); err != nil {
		t.Fatal(err)
	}
	rd, err := registry.NewReader(&buf, registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	var out []registry.Record
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Err == nil {
			out = append(out, row.Record)
		}
	}
}

func answer(t *testing.T, plan *query.Plan, s registry.Schema, cells []query.Cell) string {
	t.Helper()
	res, err := query.Assemble(plan, s, cells, 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := query.WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Run's decrypted cells equal the plaintext oracle's, for every kind of
// aggregate; a state folded from other records gives another answer.
func TestRunMatchesOracle(t *testing.T) {
	params, err := thhe.TestParams()
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGroup(params, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	cases := []string{
		"SELECT county, COUNT(*), SUM(birth_year), AVG(birth_year) FROM population GROUP BY county",
		"SELECT SUM(area_m2) FROM land WHERE county = 'Tartu maakond' AND purpose = 'forest' AND area_m2 BETWEEN 1000 AND 49999",
		"SELECT HISTOGRAM(employees, 0, 10, 50, 250) FROM business WHERE status = 'active'",
		"SELECT legal_form, COUNT(*), AVG(employees) FROM business WHERE status = 'active' GROUP BY legal_form",
	}
	for i, text := range cases {
		q, err := query.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		s, err := q.Schema(registry.Builtin())
		if err != nil {
			t.Fatal(err)
		}
		plan, err := q.Plan(s)
		if err != nil {
			t.Fatal(err)
		}
		recs := records(t, s, 800, uint64(i+1))
		st, err := g.Fold(s, recs)
		if err != nil {
			t.Fatal(err)
		}
		run, err := g.Run(st, plan)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		cells, err := query.Oracle(q, s, recs)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := answer(t, plan, s, run.Cells), answer(t, plan, s, cells); got != want {
			t.Errorf("%s:\nraw HE  %s\noracle  %s", text, got, want)
		}
		if len(run.Ciphertexts) == 0 || len(run.Ciphertexts) != len(run.Shares) {
			t.Errorf("%s: %d result ciphertexts, %d shares", text, len(run.Ciphertexts), len(run.Shares))
		}
		if run.Evaluate <= 0 || run.Share <= 0 || run.Combine <= 0 || run.Total() != run.Node()+run.Combine {
			t.Errorf("%s: timing %+v", text, run.Timing)
		}
		// The same plan on other records: another answer (the check above
		// can tell them apart).
		other, err := g.Fold(s, records(t, s, 700, uint64(i+100)))
		if err != nil {
			t.Fatal(err)
		}
		run2, err := g.Run(other, plan)
		if err != nil {
			t.Fatal(err)
		}
		if answer(t, plan, s, run2.Cells) == answer(t, plan, s, cells) {
			t.Errorf("%s: two different record sets gave the same answer", text)
		}
	}
}
