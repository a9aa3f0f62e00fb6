package query

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

func TestGeneratePlans(t *testing.T) {
	for _, s := range registry.Builtin() {
		rng := rand.New(rand.NewPCG(7, 7))
		seen := map[string]int{}
		for range 1500 {
			text := Generate(rng, s)
			q, err := Parse(text)
			if err != nil {
				t.Fatalf("%s: generated %q does not parse: %v", s.Name, text, err)
			}
			if _, err := q.Plan(s); err != nil {
				t.Fatalf("%s: generated %q does not plan: %v", s.Name, text, err)
			}
			for _, it := range q.Items {
				seen[[]string{ItemDim: "dim", ItemCount: "COUNT", ItemSum: "SUM", ItemAvg: "AVG", ItemHistogram: "HISTOGRAM"}[it.Kind]]++
			}
			axes := map[string]int{}
			for _, c := range q.Where {
				seen[[]string{CondEq: "=", CondIn: "IN", CondBetween: "BETWEEN"}[c.Kind]]++
				axes[c.Name.Name]++
				if axes[c.Name.Name] == 2 {
					seen["two conditions on one axis"]++
				}
			}
			if q.GroupBy != nil {
				seen["GROUP BY"]++
				if !slices.ContainsFunc(q.Items, func(it Item) bool { return it.Kind == ItemDim }) {
					seen["GROUP BY not selected"]++
				}
			}
			if strings.HasSuffix(text, ";") {
				seen[";"]++
			}
			if strings.Contains(text, "select") || strings.Contains(text, "from") {
				seen["lower case"]++
			}
			if strings.Contains(text, "\n") {
				seen["newline"]++
			}
		}
		for _, want := range []string{"dim", "COUNT", "SUM", "AVG", "HISTOGRAM", "=", "IN", "BETWEEN",
			"two conditions on one axis", "GROUP BY", "GROUP BY not selected", ";", "lower case", "newline"} {
			if seen[want] == 0 {
				t.Errorf("%s: 1500 generated queries never have %s", s.Name, want)
			}
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	s, err := registry.Lookup("business")
	if err != nil {
		t.Fatal(err)
	}
	a, b := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	for range 50 {
		if x, y := Generate(a, s), Generate(b, s); x != y {
			t.Fatalf("same seed, different queries:\n%s\n%s", x, y)
		}
	}
}
