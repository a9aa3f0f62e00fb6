package query

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

// FuzzParse: Parse never panics; an error is an *Error whose position,
// line, column and token agree with the text; a parsed query prints in a
// form that parses back to the same form, and planning it against every
// built-in schema never panics and fails only with a located *Error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT COUNT(*) FROM population",
		"SELECT county, COUNT(*), AVG(birth_year) FROM population WHERE citizenship IN ('EST','other') AND birth_year BETWEEN 1950 AND 1999 GROUP BY county;",
		"select histogram(employees, 0, 10, 250), sum(revenue_eur) from business where status = 'active'",
		"SELECT COUNT(*) FROM land WHERE county = 'Jõgeva maakond' AND purpose IN ('it''s', '')",
		"SELECT COUNT(*) FROM p WHERE a = 'b",
		"SELECT COUNT(*) FROM p WHERE m BETWEEN -9223372036854775808 AND 9223372036854775807",
		"SELECT \"x\" FROM `y` WHERE a <> 'b' OR c >= 1",
		"\xff\xfe SELECT",
	} {
		f.Add(s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range registry.Builtin() {
		for range 5 {
			f.Add(Generate(rng, s))
		}
	}
	schemas := registry.Builtin()
	f.Fuzz(func(t *testing.T, text string) {
		q, err := Parse(text)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %v, not an *Error", text, err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Parse(%q) = %v, neither ErrSyntax nor ErrUnsupported", text, err)
			}
			checkErrorPos(t, text, e)
			return
		}
		canon := q.String()
		q2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, text, err)
		}
		if q2.String() != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, q2.String())
		}
		for _, s := range schemas {
			if _, err := q.Plan(s); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Plan(%q, %s) = %v, not an *Error", text, s.Name, err)
				}
				checkErrorPos(t, text, e)
			}
		}
	})
}
