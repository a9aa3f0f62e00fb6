package cube

import (
	"testing"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/thhe"
)

// BenchmarkAdd: the custodian's hot path, per record.
func BenchmarkAdd(b *testing.B) {
	for _, name := range []string{"population", "land", "business"} {
		b.Run(name, func(b *testing.B) {
			s := builtin(b, name)
			a, err := NewAccumulator(s, 1<<14)
			if err != nil {
				b.Fatal(err)
			}
			recs := registryRecords(b, name, 4096)
			i := 0
			for b.Loop() {
				if err := a.Add(recs[i%len(recs)], 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/record")
		})
	}
}

func productionKeyed(b *testing.B) *keyed {
	b.Helper()
	if testing.Short() {
		b.Skip("production parameters: skipped with -short")
	}
	params, err := thhe.ProductionParams()
	if err != nil {
		b.Fatal(err)
	}
	return newKeyed(params, 5)
}

// BenchmarkEncrypt: one batch delta of 10000 records per registry, at
// ProductionParams.
func BenchmarkEncrypt(b *testing.B) {
	k := productionKeyed(b)
	for _, name := range []string{"population", "land", "business"} {
		b.Run(name, func(b *testing.B) {
			a, err := NewAccumulator(builtin(b, name), k.params.Slots())
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range registryRecords(b, name, 10000) {
				if err := a.Add(r, 1); err != nil {
					b.Fatal(err)
				}
			}
			var d *Delta
			for b.Loop() {
				if d, err = a.Encrypt(k.params, k.pk); err != nil {
					b.Fatal(err)
				}
			}
			enc, _ := d.MarshalBinary()
			cts := 0
			for _, l := range a.Layouts() {
				cts += l.Ciphertexts
			}
			b.ReportMetric(float64(len(enc)), "delta-bytes")
			b.ReportMetric(float64(cts), "ciphertexts")
		})
	}
}

// BenchmarkEvaluate: the two reference queries at ProductionParams, on a
// state of 16 folded deltas; reports the result size and the result noise
// (log2, lattigo BGV units; the flooding is sized for ≤ 2^12).
func BenchmarkEvaluate(b *testing.B) {
	k := productionKeyed(b)
	for _, tc := range []struct {
		name string
		plan *query.Plan
	}{
		{"population-count-sum-by-county", &query.Plan{Registry: "population", Cube: "people", GroupBy: "county", Sums: []string{"birth_year"}}},
		{"land-filtered-sum", &query.Plan{Registry: "land", Cube: "parcels_by_area", Sums: []string{"area_m2"},
			Filter: map[string][]int{"county": {0}, "purpose": {0, 1}}}},
		{"population-histogram-merged", &query.Plan{Registry: "population", Cube: "people", Sums: []string{"birth_year"},
			Histogram: &query.HistogramPlan{Measure: "birth_year", Bins: []query.BinRange{{From: 1, To: 11}, {From: 11, To: 21}, {From: 21, To: 27}}}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := builtin(b, tc.plan.Registry)
			st, err := NewState(k.params, s)
			if err != nil {
				b.Fatal(err)
			}
			a, _ := NewAccumulator(s, k.params.Slots())
			recs := registryRecords(b, tc.plan.Registry, 16*1000)
			for i := range 16 {
				for _, r := range recs[i*1000 : (i+1)*1000] {
					if err := a.Add(r, 1); err != nil {
						b.Fatal(err)
					}
				}
				d, err := a.Encrypt(k.params, k.pk)
				if err != nil {
					b.Fatal(err)
				}
				if err := st.Fold(d); err != nil {
					b.Fatal(err)
				}
				a.Reset()
			}
			l, cts, err := st.Cube(tc.plan.Cube)
			if err != nil {
				b.Fatal(err)
			}
			var res *Result
			for b.Loop() {
				if res, err = Evaluate(k.ev, l, tc.plan, cts); err != nil {
					b.Fatal(err)
				}
			}
			size, noise := 0, 0.0
			for _, ct := range res.Ciphertexts {
				e, _ := thhe.EncodeCiphertext(k.params, ct)
				size += len(e)
				noise = max(noise, noiseBits(k.params, k.sk, ct))
			}
			in, _ := thhe.EncodeCiphertext(k.params, cts[0])
			b.ReportMetric(float64(len(in)*len(cts)), "cube-bytes")
			b.ReportMetric(float64(size), "result-bytes")
			b.ReportMetric(noise, "log2-noise")
			if noise > resultNoiseBound {
				b.Fatalf("result noise 2^%.1f above the bound 2^%d", noise, resultNoiseBound)
			}
			// Worst-case data (uniform slots mod T) for the same plan.
			worst := worstCubeCiphertexts(b, k, l, 16)
			wr, err := Evaluate(k.ev, l, tc.plan, worst)
			if err != nil {
				b.Fatal(err)
			}
			wn := 0.0
			for _, ct := range wr.Ciphertexts {
				wn = max(wn, noiseBits(k.params, k.sk, ct))
			}
			b.ReportMetric(wn, "log2-noise-worst")
			if wn > resultNoiseBound {
				b.Fatalf("worst-case result noise 2^%.1f above the bound 2^%d", wn, resultNoiseBound)
			}
			b.Logf("%s: %d result ciphertexts, noise 2^%.1f (worst data 2^%.1f), budget 2^%.1f", tc.name, len(res.Ciphertexts), noise, wn, budgetBits(k.params, thhe.MinKeySwitchLevel))
		})
	}
}

// BenchmarkRerandomize: one result ciphertext at the key-switch level.
func BenchmarkRerandomize(b *testing.B) {
	k := productionKeyed(b)
	ct, err := thhe.ZeroCiphertext(k.params, thhe.MinKeySwitchLevel)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := thhe.Rerandomize(k.params, k.pk, ct, [32]byte{1}); err != nil {
			b.Fatal(err)
		}
	}
}
