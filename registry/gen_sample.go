package registry

import (
	"math"
	"math/rand/v2"
)

// picker draws an index with probability proportional to its weight.
type picker struct {
	cum []float64 // cumulative weights
}

func newPicker(weights []float64) picker {
	cum := make([]float64, len(weights))
	total := 0.0
	for i, w := range weights {
		total += w
		cum[i] = total
	}
	return picker{cum: cum}
}

func (p picker) pick(rng *rand.Rand) int {
	x := rng.Float64() * p.cum[len(p.cum)-1]
	lo, hi := 0, len(p.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if p.cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func weightsOf[T any](items []T, weight func(T) float64) []float64 {
	w := make([]float64, len(items))
	for i, it := range items {
		w[i] = weight(it)
	}
	return w
}

// logNormal draws a log-normal value with the given median and spread
// (the standard deviation of its logarithm).
func logNormal(rng *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*rng.NormFloat64())
}

// clampInt rounds x to an int64 within [lo, hi].
func clampInt(x float64, lo, hi int64) int64 {
	switch {
	case x < float64(lo):
		return lo
	case x > float64(hi):
		return hi
	}
	return int64(math.Round(x))
}

func chance(rng *rand.Rand, p float64) bool {
	return rng.Float64() < p
}

func oneOf(rng *rand.Rand, items []string) string {
	return items[rng.IntN(len(items))]
}

// countyPicker draws a county and then one of its municipalities.
type countyPicker struct {
	counties       picker
	municipalities []picker
}

func newCountyPicker(countyWeight func(county) float64) countyPicker {
	cp := countyPicker{counties: newPicker(weightsOf(counties, countyWeight))}
	for _, c := range counties {
		cp.municipalities = append(cp.municipalities,
			newPicker(weightsOf(c.municipalities, func(m municipality) float64 { return m.weight })))
	}
	return cp
}

// pick returns county and municipality indexes.
func (cp countyPicker) pick(rng *rand.Rand) (int, int) {
	c := cp.counties.pick(rng)
	return c, cp.municipalities[c].pick(rng)
}

func populationShare(c county) float64 { return c.share }
