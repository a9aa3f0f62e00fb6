package registry

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readAll reads every row; it fails the test on an I/O error.
func readAll(t testing.TB, in io.Reader, f Format, s Schema) []Row {
	t.Helper()
	r, err := NewReader(in, f, s)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func trickyPopulationRecords() []Record {
	rows := [][]string{
		validPopulationRow(),
		{"49403136526", "Õie, \"Ülle\"", "Šmidt\nŽukov", "F", "1994-03-13", "Harju maakond", "Tallinn", "\"Mäe\" talu, Kõrve küla,\nSaue vald", "UKR"},
		{"37605030299", " leading space", "trailing ", "M", "1976-05-03", "Võru maakond", "Võru linn", `a""b`, "FIN"},
	}
	var out []Record
	for _, r := range rows {
		out = append(out, Record{Values: r})
	}
	return out
}

func TestWriterReaderRoundTrip(t *testing.T) {
	s := mustLookup(t, "population")
	g, err := NewGenerator("population", 3)
	if err != nil {
		t.Fatal(err)
	}
	records := trickyPopulationRecords()
	for range 500 {
		records = append(records, g.Next())
	}
	for _, f := range []Format{FormatCSV, FormatJSONL} {
		t.Run(string(f), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pop."+string(f))
			out, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWriter(out, f, s)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range records {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}
			in, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			format, err := FormatFromPath(path)
			if err != nil || format != f {
				t.Fatalf("FormatFromPath = %v, %v", format, err)
			}
			rows := readAll(t, in, f, s)
			if len(rows) != len(records) {
				t.Fatalf("read %d rows, wrote %d", len(rows), len(records))
			}
			for i, row := range rows {
				if row.Err != nil {
					t.Fatalf("row %d (line %d): %v", i, row.Line, row.Err)
				}
				if !slices.Equal(row.Record.Values, records[i].Values) {
					t.Fatalf("row %d: got %q, want %q", i, row.Record.Values, records[i].Values)
				}
			}
		})
	}
}

func TestCSVColumnsInAnyOrder(t *testing.T) {
	s := mustLookup(t, "land")
	in := "owner_code,area_m2,cadastral_code,county,municipality,purpose,assessed_value_eur\n" +
		"10060701,1200,78401:101:0010,Tartu maakond,Tartu linn,residential,150000\n"
	rows := readAll(t, strings.NewReader(in), FormatCSV, s)
	want := []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "residential", "1200", "150000", "10060701"}
	if len(rows) != 1 || rows[0].Err != nil || !slices.Equal(rows[0].Record.Values, want) {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestCSVBadRowsAndLineNumbers(t *testing.T) {
	s := mustLookup(t, "land")
	header := "cadastral_code,county,municipality,purpose,area_m2,assessed_value_eur,owner_code\n"
	good := func(code string) string {
		return code + ",Tartu maakond,Tartu linn,forest,10,0,10060701\n"
	}
	in := "\ufeff" + header + // line 1, with a BOM
		good("00001:001:0001") + // line 2
		"00001:001:0002,Tartu maakond,\"Tartu\nlinn\nmulti\",forest,10,0,10060701\n" + // lines 3-5, valid string
		"00001:001:0003,Tartu maakond,Tartu linn,forest,0,0,10060701\n" + // line 6: area 0
		"00001:001:0004,Tartu maakond\n" + // line 7: too few fields
		"\n" + // line 8: blank, skipped
		"00001:001:0005,Tartu maakond,Tar\"tu,forest,10,0,10060701\n" + // line 9: bare quote
		good("00001:001:0006") + // line 10
		"00001:001:0007,Tartu maakond,Tartu linn,forest,10,0,37605030290\n" + // line 11: bad check digit
		good("00001:001:0008") // line 12, no trailing newline below
	in = strings.TrimSuffix(in, "\n")
	rows := readAll(t, strings.NewReader(in), FormatCSV, s)
	want := []struct {
		line int
		bad  string
	}{{2, ""}, {3, ""}, {6, "area_m2"}, {7, "2 fields"}, {9, "bare"}, {10, ""}, {11, "owner_code"}, {12, ""}}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	for i, w := range want {
		row := rows[i]
		if row.Line != w.line {
			t.Errorf("row %d: line %d, want %d", i, row.Line, w.line)
		}
		switch {
		case w.bad == "" && row.Err != nil:
			t.Errorf("line %d: unexpected %v", w.line, row.Err)
		case w.bad != "" && (!errors.Is(row.Err, ErrInvalidRow) || !strings.Contains(row.Err.Error(), w.bad)):
			t.Errorf("line %d: err %v, want ErrInvalidRow mentioning %q", w.line, row.Err, w.bad)
		}
	}
	if got := rows[0].Record.Values[0]; got != "00001:001:0001" {
		t.Errorf("BOM not stripped? first key %q", got)
	}
	if got := rows[1].Record.Values[2]; got != "Tartu\nlinn\nmulti" {
		t.Errorf("multi-line field = %q", got)
	}
}

func TestCSVBadHeader(t *testing.T) {
	s := mustLookup(t, "business")
	tests := []struct {
		name, header string
		want         []string
	}{
		{"empty input", "", []string{"empty"}},
		{"missing", "registry_code,name,legal_form,county,founded,employees,revenue_eur", []string{`missing column(s) "status"`}},
		{"unknown", "registry_code,name,legal_form,county,founded,employees,revenue_eur,status,ceo", []string{`unknown column(s) "ceo"`}},
		{"renamed", "registry_code,name,legal_form,county,founded,staff,revenue_eur,status", []string{`missing column(s) "employees"`, `unknown column(s) "staff"`}},
		{"repeated", "registry_code,name,legal_form,county,founded,employees,revenue_eur,status,name", []string{`repeated column(s) "name"`}},
		{"case", "Registry_code,name,legal_form,county,founded,employees,revenue_eur,status", []string{`"Registry_code"`}},
		{"bad quoting", `"registry_code,name`, []string{"bad header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.header+"\n"), FormatCSV, s)
			if tt.header == "" {
				_, err = NewReader(strings.NewReader(""), FormatCSV, s)
			}
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("err = %v, want ErrBadHeader", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestJSONLBadRows(t *testing.T) {
	s := mustLookup(t, "land")
	good := `{"cadastral_code":"00001:001:0001","county":"Tartu maakond","municipality":"Tartu linn","purpose":"forest","area_m2":10,"assessed_value_eur":"0","owner_code":"10060701"}`
	tests := []struct {
		line string
		bad  string // "" = valid
	}{
		{good, ""},
		{strings.Replace(good, `"area_m2":10`, `"area_m2":10.5`, 1), "area_m2"},
		{strings.Replace(good, `"area_m2":10`, `"area_m2":1e3`, 1), "area_m2"},
		{strings.Replace(good, `"area_m2":10`, `"area_m2":"010"`, 1), "area_m2"},
		{strings.Replace(good, `"area_m2":10`, `"area_m2":true`, 1), "area_m2"},
		{strings.Replace(good, `"county":"Tartu maakond"`, `"county":7`, 1), "must be a JSON string"},
		{strings.Replace(good, `"county":"Tartu maakond"`, `"county":{"a":1}`, 1), "must be a JSON string"},
		{strings.Replace(good, `"county":"Tartu maakond",`, ``, 1), `missing key(s) "county"`},
		{strings.Replace(good, `"county":`, `"County":`, 1), `unknown key "County"`},
		{strings.Replace(good, `{`, `{"purpose":"forest",`, 1), `key "purpose" repeated`},
		{good + ` {}`, "after the JSON object"},
		{`[1,2]`, "not a JSON object"},
		{`{"cadastral_code":`, "bad JSON"},
		{`nonsense`, "not a JSON object"},
	}
	var in strings.Builder
	in.WriteString("\ufeff")
	for _, tt := range tests {
		in.WriteString(tt.line + "\n\n") // a blank line after each
	}
	rows := readAll(t, strings.NewReader(in.String()), FormatJSONL, s)
	if len(rows) != len(tests) {
		t.Fatalf("got %d rows, want %d", len(rows), len(tests))
	}
	for i, tt := range tests {
		row := rows[i]
		if row.Line != 2*i+1 {
			t.Errorf("row %d: line %d, want %d", i, row.Line, 2*i+1)
		}
		switch {
		case tt.bad == "" && row.Err != nil:
			t.Errorf("line %d: unexpected %v", row.Line, row.Err)
		case tt.bad != "" && (!errors.Is(row.Err, ErrInvalidRow) || !strings.Contains(row.Err.Error(), tt.bad)):
			t.Errorf("line %d %s: err %v, want ErrInvalidRow mentioning %q", row.Line, tt.line, row.Err, tt.bad)
		}
	}
	if got := rows[0].Record.Values[4]; got != "10" {
		t.Errorf("area_m2 = %q", got)
	}
}

func TestJSONLLongLine(t *testing.T) {
	s := mustLookup(t, "land")
	in := `{"x":"` + strings.Repeat("a", MaxLineBytes) + "\"}\n" + `{}` + "\n"
	rows := readAll(t, strings.NewReader(in), FormatJSONL, s)
	if len(rows) != 2 || !strings.Contains(rows[0].Err.Error(), "longer than") || rows[1].Line != 2 {
		t.Fatalf("rows = %+v", rows)
	}
}

type failingReader struct{ data io.Reader }

var errDisk = errors.New("disk on fire")

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, errDisk
	}
	return n, err
}

func TestReaderIOError(t *testing.T) {
	s := mustLookup(t, "land")
	for _, tt := range []struct {
		f  Format
		in string
	}{
		{FormatCSV, "cadastral_code,county,municipality,purpose,area_m2,assessed_value_eur,owner_code\n00001:001:0001,Tartu"},
		{FormatJSONL, `{"a":1}` + "\n" + `{"b"`},
	} {
		r, err := NewReader(failingReader{strings.NewReader(tt.in)}, tt.f, s)
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == nil {
				continue
			}
			if !errors.Is(err, errDisk) {
				t.Errorf("%s: err = %v, want the I/O error", tt.f, err)
			}
			break
		}
	}
}

func TestFormats(t *testing.T) {
	for path, want := range map[string]Format{"a.csv": FormatCSV, "/x/B.CSV": FormatCSV, "a.jsonl": FormatJSONL, "a.ndjson": FormatJSONL, "a.json": "", "csv": ""} {
		got, err := FormatFromPath(path)
		if got != want || (want == "") != errors.Is(err, ErrUnknownFormat) {
			t.Errorf("FormatFromPath(%q) = %q, %v", path, got, err)
		}
	}
	if _, err := NewReader(strings.NewReader(""), "xml", Schema{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("NewReader xml: %v", err)
	}
	if _, err := NewWriter(io.Discard, "xml", Schema{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("NewWriter xml: %v", err)
	}
	if f, err := ParseFormat("NDJSON"); f != FormatJSONL || err != nil {
		t.Errorf("ParseFormat = %v, %v", f, err)
	}
}

func TestWriterRejectsWrongLength(t *testing.T) {
	s := mustLookup(t, "land")
	for _, f := range []Format{FormatCSV, FormatJSONL} {
		w, err := NewWriter(io.Discard, f, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(Record{Values: []string{"a"}}); !errors.Is(err, ErrInvalidRow) {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// fuzzReader checks the reader's contract on arbitrary input: no panic,
// increasing line numbers, bad rows wrap ErrInvalidRow, good rows validate.
func fuzzReader(t *testing.T, f Format, s Schema, data []byte) {
	r, err := NewReader(bytes.NewReader(data), f, s)
	if err != nil {
		if !errors.Is(err, ErrBadHeader) {
			t.Fatalf("NewReader: %v", err)
		}
		return
	}
	last := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if row.Line <= last {
			t.Fatalf("line %d after %d", row.Line, last)
		}
		last = row.Line
		if row.Err != nil {
			if !errors.Is(row.Err, ErrInvalidRow) {
				t.Fatalf("row error does not wrap ErrInvalidRow: %v", row.Err)
			}
			continue
		}
		if err := s.Validate(row.Record.Values); err != nil {
			t.Fatalf("accepted invalid row: %v", err)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	s := mustLookup(f, "land")
	var seed bytes.Buffer
	if err := Generate(&seed, FormatCSV, "land", 5, 1); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte("cadastral_code,county,municipality,purpose,area_m2,assessed_value_eur,owner_code\n\"a\nb\",\"x\"y\n1,2\n"))
	f.Add([]byte("\ufeffa,b\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReader(t, FormatCSV, s, data) })
}

func FuzzReadJSONL(f *testing.F) {
	s := mustLookup(f, "land")
	var seed bytes.Buffer
	if err := Generate(&seed, FormatJSONL, "land", 5, 1); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte("{\"area_m2\":1.5}\n\n[]\n{"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzReader(t, FormatJSONL, s, data) })
}

func benchmarkRead(b *testing.B, f Format) {
	const rows = 20000
	s := mustLookup(b, "population")
	var data bytes.Buffer
	if err := Generate(&data, f, "population", rows, 7); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(data.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data.Bytes()), f, s)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("read %d rows", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadCSV(b *testing.B)   { benchmarkRead(b, FormatCSV) }
func BenchmarkReadJSONL(b *testing.B) { benchmarkRead(b, FormatJSONL) }

// FuzzJSONLFastPath checks that the fast path, where it applies, gives
// exactly what the general json.Decoder path gives.
func FuzzJSONLFastPath(f *testing.F) {
	s := mustLookup(f, "land")
	var seed bytes.Buffer
	if err := Generate(&seed, FormatJSONL, "land", 3, 1); err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(seed.Bytes(), []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"cadastral_code":"a","county":"b","municipality":"c","purpose":"d","area_m2":-0,"assessed_value_eur":"0","owner_code":"x"}`))
	f.Add([]byte(` { "cadastral_code" : "\u00e4" } `))
	f.Fuzz(func(t *testing.T, line []byte) {
		j := newJSONLRowReader(nil, s)
		fast, ok := j.parseFast(line)
		if !ok {
			return
		}
		slow, err := j.parse(line)
		if err != nil {
			t.Fatalf("fast path accepted %q, general path says %v", line, err)
		}
		if !slices.Equal(fast, slow) {
			t.Fatalf("%q: fast %q, general %q", line, fast, slow)
		}
	})
}

// TestRoundTripRandomValues writes random records (quotes, commas,
// newlines, tabs, NUL, Estonian letters, emoji) and reads them back
// unchanged. "\r" is left out: encoding/csv turns "\r\n" inside a quoted
// field into "\n".
func TestRoundTripRandomValues(t *testing.T) {
	s, err := ParseSchema([]byte(`{"name":"free","key":"id","fields":[
		{"name":"id","type":"string"},{"name":"n","type":"int"},{"name":"text","type":"string"},{"name":"more","type":"string"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var records []Record
	for range 1000 {
		r := Record{Values: []string{
			strings.ReplaceAll(randomValue(rng), "\r", ""),
			strconv.FormatInt(rng.Int64()-rng.Int64(), 10),
			strings.ReplaceAll(randomValue(rng), "\r", ""),
			strings.ReplaceAll(randomValue(rng), "\r", ""),
		}}
		records = append(records, r)
	}
	for _, f := range []Format{FormatCSV, FormatJSONL} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, f, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		rows := readAll(t, &buf, f, s)
		// Empty values are invalid rows but still come back; CSV skips a
		// line that is entirely empty, which cannot happen with 4 columns.
		if len(rows) != len(records) {
			t.Fatalf("%s: %d rows back, %d written", f, len(rows), len(records))
		}
		for i, row := range rows {
			if !slices.Equal(row.Record.Values, records[i].Values) {
				t.Fatalf("%s row %d: got %q, want %q (%v)", f, i, row.Record.Values, records[i].Values, row.Err)
			}
		}
	}
}

func TestCRLFInput(t *testing.T) {
	s := mustLookup(t, "land")
	row := "00001:001:0001,Tartu maakond,Tartu linn,forest,10,0,10060701"
	csvIn := "cadastral_code,county,municipality,purpose,area_m2,assessed_value_eur,owner_code\r\n" + row + "\r\n\r\n" + row + "\r\n"
	jsonIn := `{"cadastral_code":"00001:001:0001","county":"Tartu maakond","municipality":"Tartu linn","purpose":"forest","area_m2":10,"assessed_value_eur":0,"owner_code":"10060701"}` + "\r\n"
	for _, tt := range []struct {
		f     Format
		in    string
		lines []int
	}{
		{FormatCSV, csvIn, []int{2, 4}},
		{FormatJSONL, jsonIn + "\r\n" + jsonIn, []int{1, 3}},
	} {
		rows := readAll(t, strings.NewReader(tt.in), tt.f, s)
		if len(rows) != len(tt.lines) {
			t.Fatalf("%s: %d rows", tt.f, len(rows))
		}
		for i, r := range rows {
			if r.Err != nil || r.Line != tt.lines[i] || r.Record.Values[6] != "10060701" {
				t.Errorf("%s row %d: %+v", tt.f, i, r)
			}
		}
	}
}
