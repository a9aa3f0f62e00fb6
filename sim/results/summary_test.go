package results_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

// percentileRef is the definition: the smallest value v among the values
// such that at least p% of the values are ≤ v.
func percentileRef(values []time.Duration, p int) time.Duration {
	if len(values) == 0 {
		return 0
	}
	best := time.Duration(-1)
	for _, v := range values {
		n := 0
		for _, w := range values {
			if w <= v {
				n++
			}
		}
		if n*100 >= p*len(values) && (best < 0 || v < best) {
			best = v
		}
	}
	return best
}

func TestPercentileMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := rng.IntN(60)
		values := make([]time.Duration, n)
		for i := range values {
			values[i] = time.Duration(rng.IntN(20)) * time.Millisecond // repeats on purpose
		}
		sorted := slices.Clone(values)
		slices.Sort(sorted)
		for p := 1; p <= 100; p++ {
			if got, want := results.Percentile(sorted, p), percentileRef(values, p); got != want {
				t.Fatalf("Percentile(%v, %d) = %v, want %v", sorted, p, got, want)
			}
		}
	}
	if got := results.Percentile([]time.Duration{1, 2, 3}, 0); got != 1 {
		t.Errorf("p=0 clamps to 1: got %v", got)
	}
	if got := results.Percentile([]time.Duration{1, 2, 3}, 500); got != 3 {
		t.Errorf("p=500 clamps to 100: got %v", got)
	}
}

// summarizeRef recomputes a kind's summary the slow way.
func summarizeRef(ops []results.Op, kind string) results.KindSummary {
	k := results.KindSummary{Kind: kind}
	var lat []time.Duration
	count := map[string]int{}
	for _, o := range ops {
		if o.Kind != kind {
			continue
		}
		k.Count++
		if o.OK {
			k.OK++
			lat = append(lat, o.Latency.Truncate(time.Microsecond))
		} else {
			k.Failed++
			count[o.Reason]++
		}
	}
	for len(count) > 0 { // pick the most frequent, smallest name first
		var best string
		for r, n := range count {
			if best == "" || n > count[best] || n == count[best] && r < best {
				best = r
			}
		}
		k.Reasons = append(k.Reasons, results.ReasonCount{Reason: best, Count: count[best]})
		delete(count, best)
	}
	msOf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	k.P50, k.P95, k.P99 = msOf(percentileRef(lat, 50)), msOf(percentileRef(lat, 95)), msOf(percentileRef(lat, 99))
	for _, l := range lat {
		k.Max = max(k.Max, msOf(l))
	}
	return k
}

func TestSummarizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := []string{"query", "lookup", "ingest"}
	reasons := []string{"threshold", "timeout", "corrupt"}
	for range 100 {
		var r results.Run
		for range rng.IntN(80) {
			o := results.Op{Kind: kinds[rng.IntN(3)], Latency: time.Duration(rng.Int64N(int64(3 * time.Second))), OK: rng.IntN(4) > 0}
			if !o.OK {
				o.Reason = reasons[rng.IntN(3)]
			}
			r.Ops = append(r.Ops, o)
		}
		wantMin, below := 0, 0
		for i := range rng.IntN(20) {
			s := results.Sample{Reachable: rng.IntN(7), Threshold: 4}
			s.Margin = s.Reachable - s.Threshold
			if i == 0 || s.Margin < wantMin {
				wantMin = s.Margin
			}
			if s.Margin < 0 {
				below++
			}
			r.Samples = append(r.Samples, s)
		}
		got := results.Summarize(r)
		var want []results.KindSummary
		for _, k := range []string{"ingest", "lookup", "query"} {
			if ks := summarizeRef(r.Ops, k); ks.Count > 0 {
				want = append(want, ks)
			}
		}
		if !reflect.DeepEqual(got.Kinds, want) {
			t.Fatalf("kinds:\n got %+v\nwant %+v", got.Kinds, want)
		}
		look := summarizeRef(r.Ops, "lookup")
		wantAvail := 0.0
		if look.Count > 0 {
			wantAvail = float64(look.OK) / float64(look.Count)
		}
		if got.Lookups != look.Count || got.Availability != wantAvail {
			t.Errorf("lookups %d availability %v, want %d %v", got.Lookups, got.Availability, look.Count, wantAvail)
		}
		if got.Samples != len(r.Samples) || got.MinMargin != wantMin || got.Below != below {
			t.Errorf("samples %d min margin %d below %d, want %d %d %d", got.Samples, got.MinMargin, got.Below, len(r.Samples), wantMin, below)
		}
	}
}
