package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var registries = []string{"population", "land", "business"}

func TestGeneratedRowsValidate(t *testing.T) {
	for _, name := range registries {
		s := mustLookup(t, name)
		for _, seed := range []uint64{0, 1, 7, 42, 1 << 40} {
			t.Run(fmt.Sprintf("%s/%d", name, seed), func(t *testing.T) {
				g, err := NewGenerator(name, seed)
				if err != nil {
					t.Fatal(err)
				}
				keys := make(map[string]bool)
				for i := range 2000 {
					r := g.Next()
					if err := s.Validate(r.Values); err != nil {
						t.Fatalf("row %d %q: %v", i, r.Values, err)
					}
					k := s.Key(r)
					if keys[k] {
						t.Fatalf("row %d: key %s repeated", i, k)
					}
					keys[k] = true
				}
			})
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	for _, name := range registries {
		for _, f := range []Format{FormatCSV, FormatJSONL} {
			gen := func(seed uint64) []byte {
				var buf bytes.Buffer
				if err := Generate(&buf, f, name, 500, seed); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			a, b, c := gen(7), gen(7), gen(8)
			if !bytes.Equal(a, b) {
				t.Errorf("%s %s: same seed gave different output", name, f)
			}
			if bytes.Equal(a, c) {
				t.Errorf("%s %s: different seeds gave the same output", name, f)
			}
		}
	}
}

func TestGeneratePrefixStable(t *testing.T) {
	// The i-th record does not depend on how many are asked for.
	var short, long bytes.Buffer
	if err := Generate(&short, FormatCSV, "population", 100, 3); err != nil {
		t.Fatal(err)
	}
	if err := Generate(&long, FormatCSV, "population", 300, 3); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(long.Bytes(), short.Bytes()) {
		t.Fatal("100 rows are not a prefix of 300 rows")
	}
}

func TestGenerateErrors(t *testing.T) {
	if err := Generate(io.Discard, FormatCSV, "vehicles", 1, 1); !errors.Is(err, ErrUnknownRegistry) {
		t.Errorf("unknown registry: %v", err)
	}
	if err := Generate(io.Discard, Format("xml"), "land", 1, 1); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown format: %v", err)
	}
	if err := Generate(io.Discard, FormatCSV, "land", -1, 1); err == nil {
		t.Error("negative rows accepted")
	}
	if err := Generate(io.Discard, FormatCSV, "business", 3_000_001, 1); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("too many rows: %v", err)
	}
}

func TestPopulationCountyShares(t *testing.T) {
	const rows = 20000
	s := mustLookup(t, "population")
	g, err := NewGenerator("population", 11)
	if err != nil {
		t.Fatal(err)
	}
	ci := s.FieldIndex("county")
	counts := make(map[string]int)
	for range rows {
		counts[g.Next().Values[ci]]++
	}
	total := 0.0
	for _, c := range counties {
		total += c.share
	}
	for _, c := range counties {
		want := 100 * c.share / total
		got := 100 * float64(counts[c.name]) / rows
		if math.Abs(got-want) > 2 {
			t.Errorf("%s: %.1f%%, want %.1f%% ± 2", c.name, got, want)
		}
	}
}

func TestPopulationShape(t *testing.T) {
	const rows = 20000
	s := mustLookup(t, "population")
	g, err := NewGenerator("population", 5)
	if err != nil {
		t.Fatal(err)
	}
	var female, est, quoted, comma int
	for range rows {
		v := g.Next().Values
		if v[s.FieldIndex("sex")] == "F" {
			female++
		}
		if v[s.FieldIndex("citizenship")] == "EST" {
			est++
		}
		addr := v[s.FieldIndex("address")]
		if bytes.ContainsRune([]byte(addr), '"') {
			quoted++
		}
		if bytes.ContainsRune([]byte(addr), ',') {
			comma++
		}
		if bytes.ContainsAny([]byte(addr), "\r\n") {
			t.Fatalf("address with a newline: %q", addr)
		}
	}
	check := func(what string, got int, lo, hi float64) {
		share := float64(got) / rows
		if share < lo || share > hi {
			t.Errorf("%s share %.3f, want %.3f-%.3f", what, share, lo, hi)
		}
	}
	check("female", female, 0.47, 0.56)
	check("EST citizenship", est, 0.80, 0.90)
	check("quoted address", quoted, 0.003, 0.008)
	check("address with comma", comma, 0.5, 1)
}

func BenchmarkGenerate(b *testing.B) {
	for _, name := range registries {
		b.Run(name, func(b *testing.B) {
			const rows = 10000
			b.ReportAllocs()
			for b.Loop() {
				if err := Generate(io.Discard, FormatCSV, name, rows, 7); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func TestGeneratedKeysUniqueAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 300,000 rows")
	}
	for _, name := range registries {
		s := mustLookup(t, name)
		g, err := NewGenerator(name, 99)
		if err != nil {
			t.Fatal(err)
		}
		keys := make(map[string]struct{}, 100000)
		for i := range 100000 {
			k := s.Key(g.Next())
			if _, dup := keys[k]; dup {
				t.Fatalf("%s row %d: key %s repeated", name, i, k)
			}
			keys[k] = struct{}{}
		}
	}
}

func TestRegistryCodeSpaceIsPermuted(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a million codes")
	}
	b := newBusinessMaker()
	seen := make([]bool, registryCodeSpace)
	for range registryCodeSpace {
		code := b.registryCode('9')
		body, _ := digits(code[1:7])
		if seen[body] {
			t.Fatalf("code %s repeated", code)
		}
		seen[body] = true
	}
}

func TestBusinessPastCompanyCodes(t *testing.T) {
	b := newBusinessMaker()
	b.used['1'] = registryCodeSpace // pretend every company code is taken
	g := &Generator{rng: newTestRand(), maker: b, maxRows: maxBusinessRows}
	s := mustLookup(t, "business")
	for range 200 {
		r := g.Next()
		if err := s.Validate(r.Values); err != nil {
			t.Fatal(err)
		}
		if c := s.Key(r)[0]; c == '1' {
			t.Fatalf("company code %s after the space ran out", s.Key(r))
		}
	}
}

func TestNextPanicsPastMaxRows(t *testing.T) {
	g, err := NewGenerator("land", 1)
	if err != nil {
		t.Fatal(err)
	}
	g.maxRows = 2
	g.Next()
	g.Next()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic past MaxRows")
		}
	}()
	g.Next()
}

func TestNewGeneratorUnknown(t *testing.T) {
	if _, err := NewGenerator("vehicles", 1); !errors.Is(err, ErrUnknownRegistry) {
		t.Fatalf("err = %v", err)
	}
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(1, 1)) }

func TestPersonalCodeFullDateMovesBirth(t *testing.T) {
	p := newPopulationMaker()
	day := civilDate{1980, 12, 31}
	seen := make(map[string]bool)
	for i := range 1005 {
		code, birth := p.personalCode('F', day)
		pc, err := parsePersonalCode(code)
		if err != nil || seen[code] {
			t.Fatalf("row %d: code %s repeated or invalid: %v", i, code, err)
		}
		seen[code] = true
		if pc.birth != birth || pc.sex != 'F' {
			t.Fatalf("code %s says %s, returned birth %s", code, pc.birth, birth)
		}
		if want := (civilDate{1981, 1, 1}); i >= 1000 && birth != want {
			t.Fatalf("row %d: birth %s, want %s once the day is full", i, birth, want)
		}
	}
}

func TestBusinessAndLandShape(t *testing.T) {
	const rows = 20000
	biz := mustLookup(t, "business")
	g, err := NewGenerator("business", 4)
	if err != nil {
		t.Fatal(err)
	}
	var ou, active, small, withStaff int
	var revenueWithStaff, revenueWithout float64
	for range rows {
		v := g.Next().Values
		if v[biz.FieldIndex("legal_form")] == "OÜ" {
			ou++
		}
		if v[biz.FieldIndex("status")] == "active" {
			active++
		}
		emp, _ := parseCanonicalInt(v[biz.FieldIndex("employees")])
		rev, _ := parseCanonicalInt(v[biz.FieldIndex("revenue_eur")])
		if emp <= 10 {
			small++
		}
		if emp > 0 {
			withStaff++
			revenueWithStaff += float64(rev)
		} else {
			revenueWithout += float64(rev)
		}
	}
	if ou < rows*7/10 || active < rows*3/4 || small < rows*8/10 {
		t.Errorf("business: OÜ %d, active %d, ≤10 employees %d of %d", ou, active, small, rows)
	}
	if revenueWithStaff/float64(withStaff) < 5*revenueWithout/float64(rows-withStaff) {
		t.Error("revenue does not grow with staff")
	}

	land := mustLookup(t, "land")
	g, err = NewGenerator("land", 4)
	if err != nil {
		t.Fatal(err)
	}
	areas := make(map[string][]int64)
	for range rows {
		v := g.Next().Values
		a, _ := parseCanonicalInt(v[land.FieldIndex("area_m2")])
		p := v[land.FieldIndex("purpose")]
		areas[p] = append(areas[p], a)
	}
	median := func(xs []int64) int64 { slices.Sort(xs); return xs[len(xs)/2] }
	if r, f := median(areas["residential"]), median(areas["forest"]); r*10 > f {
		t.Errorf("median residential parcel %d m², forest %d m²", r, f)
	}
}
