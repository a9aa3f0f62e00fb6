package results

import (
	"cmp"
	"slices"
	"time"
)

// Summary is the digest of a run that run.json carries and sweeps compare.
type Summary struct {
	Kinds []KindSummary `json:"kinds,omitempty"` // one per operation kind present, by kind
	// Lookups is how many lookups there were; Availability the share of
	// them that succeeded (0 when there were none).
	Lookups      int     `json:"lookups"`
	Availability float64 `json:"availability"`
	// Samples is how many availability samples there were; MinMargin the
	// smallest Margin among them (0 when none); Below how many had fewer
	// nodes reachable than the threshold.
	Samples   int `json:"samples"`
	MinMargin int `json:"min_margin"`
	Below     int `json:"samples_below_threshold"`
}

// KindSummary digests the operations of one kind.
type KindSummary struct {
	Kind    string        `json:"kind"`
	Count   int           `json:"count"`
	OK      int           `json:"ok"`
	Failed  int           `json:"failed"`
	Reasons []ReasonCount `json:"reasons,omitempty"` // most frequent first, then by reason
	// Latency percentiles (nearest rank) and maximum of the operations
	// that succeeded, in milliseconds; 0 when none succeeded.
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// ReasonCount is how many operations failed for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Kind returns the summary of one kind, and whether there were operations
// of that kind.
func (s Summary) Kind(kind string) (KindSummary, bool) {
	for _, k := range s.Kinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return KindSummary{Kind: kind}, false
}

// Summarize digests the run's Ops and Samples. Times are taken in whole
// microseconds, as the files hold them, so that a run read back has the
// summary of the run written.
func Summarize(r Run) Summary {
	var s Summary
	byKind := map[string][]Op{}
	for _, o := range r.Ops {
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		s.Kinds = append(s.Kinds, summarizeKind(k, byKind[k]))
	}
	if k, ok := s.Kind(KindLookup); ok {
		s.Lookups = k.Count
		s.Availability = float64(k.OK) / float64(k.Count)
	}
	s.Samples = len(r.Samples)
	for i, x := range r.Samples {
		if i == 0 || x.Margin < s.MinMargin {
			s.MinMargin = x.Margin
		}
		if x.Margin < 0 {
			s.Below++
		}
	}
	return s
}

func summarizeKind(kind string, ops []Op) KindSummary {
	k := KindSummary{Kind: kind, Count: len(ops)}
	var lat []time.Duration
	reasons := map[string]int{}
	for _, o := range ops {
		if o.OK {
			k.OK++
			lat = append(lat, o.Latency.Truncate(time.Microsecond))
		} else {
			k.Failed++
			reasons[o.Reason]++
		}
	}
	for r, n := range reasons {
		k.Reasons = append(k.Reasons, ReasonCount{r, n})
	}
	slices.SortFunc(k.Reasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	slices.Sort(lat)
	k.P50 = ms(Percentile(lat, 50))
	k.P95 = ms(Percentile(lat, 95))
	k.P99 = ms(Percentile(lat, 99))
	if len(lat) > 0 {
		k.Max = ms(lat[len(lat)-1])
	}
	return k
}

// ms is d in milliseconds, exact to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted values: the smallest value such that at least p% of the values
// are at most it. It returns 0 for no values; p is clamped to 1..100.
func Percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	p = min(max(p, 1), 100)
	rank := (p*n + 99) / 100 // ceil(p*n/100), at least 1
	return sorted[rank-1]
}
