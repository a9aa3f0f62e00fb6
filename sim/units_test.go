package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestUnits(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"10/s", 10, true}, {"6/min", 0.1, true}, {"36/h", 0.01, true}, {"86.4/d", 0.001, true},
		{"0/s", 0, true}, {" 2 / sec ", 2, true}, {"10", 0, false}, {"10/week", 0, false},
		{"-1/s", 0, false}, {"x/s", 0, false}, {"NaN/s", 0, false}, {"Inf/s", 0, false},
	} {
		got, err := parseRate(c.in)
		if (err == nil) != c.ok || (c.ok && abs(float64(got-c.want)) > 1e-12) {
			t.Errorf("parseRate(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"1Gbit/s", 1e9}, {"10Mbit/s", 1e7}, {"500kbit/s", 5e5}, {"2.5Mbps", 2_500_000}, {"64bit/s", 64},
		{"10MB/s", -1}, {"10 Mbit", -1}, {"0bit/s", -1}, {"-1Mbit/s", -1}, {"2Pbit/s", -1}, {"1e3bit/s", -1},
	} {
		got, err := parseBandwidth(c.in)
		if c.want < 0 && err == nil || c.want >= 0 && (err != nil || got != c.want) {
			t.Errorf("parseBandwidth(%q) = %d, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		in   string
		want float64
	}{
		{"1%", 0.01}, {"0.5 %", 0.005}, {"0.02", 0.02}, {"0", 0}, {"100%", -1}, {"1", -1}, {"-1%", -1}, {"x", -1}, {"NaN", -1},
	} {
		got, err := parseFraction(c.in, 1, "loss")
		if c.want < 0 && err == nil || c.want >= 0 && (err != nil || abs(got-c.want) > 1e-12) {
			t.Errorf("parseFraction(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second}, {"2h30m", 150 * time.Minute}, {"0s", 0}, {"-1s", -1}, {"60", -1}, {"1d", -1},
	} {
		got, err := parseDuration(c.in)
		if c.want < 0 && err == nil || c.want >= 0 && (err != nil || got != c.want) {
			t.Errorf("parseDuration(%q) = %v, %v", c.in, got, err)
		}
	}
	for in, want := range map[Rate]string{10: "10/s", 0.1: "6/min", 0.01: "36/h", 0.0001: "8.64/d", 0: "0/s"} {
		if got := in.String(); got != want {
			t.Errorf("Rate(%v).String() = %q, want %q", float64(in), got, want)
		}
	}
	for in, want := range map[int64]string{1e9: "1Gbit/s", 2_500_000: "2500kbit/s", 64: "64bit/s"} {
		if got := formatBandwidth(in); got != want {
			t.Errorf("formatBandwidth(%d) = %q, want %q", in, got, want)
		}
	}
	if got := formatTime(time.Hour + 2*time.Minute + 3*time.Second + 4*time.Millisecond); got != "1:02:03.004" {
		t.Errorf("formatTime = %q", got)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// overlaps and insertInterval against the obvious linear reference.
func TestOverlapsMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var ivs, all [][2]time.Duration
		for range 40 {
			from := time.Duration(rng.IntN(1000))
			to := from + time.Duration(1+rng.IntN(50))
			ref := false
			for _, iv := range all {
				if from < iv[1] && iv[0] < to {
					ref = true
				}
			}
			if got := overlaps(ivs, from, to); got != ref {
				t.Fatalf("overlaps(%v, %v, %v) = %v, reference %v", ivs, from, to, got, ref)
			}
			if !ref {
				ivs = insertInterval(ivs, from, to)
				all = append(all, [2]time.Duration{from, to})
				if !slices.IsSortedFunc(ivs, func(a, b [2]time.Duration) int { return cmp.Compare(a[0], b[0]) }) {
					t.Fatalf("not sorted: %v", ivs)
				}
			}
		}
	}
}
