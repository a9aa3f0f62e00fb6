package sim

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of events per second.
type Rate float64

// String renders the rate in the largest unit that keeps it at least one.
func (r Rate) String() string {
	v := float64(r)
	switch {
	case v == 0 || v >= 1:
		return strconv.FormatFloat(v, 'g', -1, 64) + "/s"
	case v*60 >= 1:
		return strconv.FormatFloat(v*60, 'g', 6, 64) + "/min"
	case v*3600 >= 1:
		return strconv.FormatFloat(v*3600, 'g', 6, 64) + "/h"
	default:
		return strconv.FormatFloat(v*86400, 'g', 6, 64) + "/d"
	}
}

var rateUnits = map[string]float64{"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}

// parseRate reads "10/s", "5/min", "2/h" or "1/d".
func parseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	per, known := rateUnits[strings.TrimSpace(unit)]
	if !ok || !known {
		return 0, fmt.Errorf("rate %q: want a number per unit, like 10/s, 5/min, 2/h or 1/d", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("rate %q: %q is not a non-negative number", s, num)
	}
	return Rate(v / per), nil
}

// parseDuration reads a Go duration (90s, 45m, 2h30m, 250ms); it must not
// be negative.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a number with a unit, like 250ms, 90s, 45m or 2h30m", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}

var bandwidthRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([kMG]?)(bit/s|bps)$`)

// parseBandwidth reads bits per second with an SI prefix: 500kbit/s,
// 10Mbit/s, 1Gbit/s (or kbps, Mbps, Gbps). It must be positive.
func parseBandwidth(s string) (int64, error) {
	m := bandwidthRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		hint := ""
		if strings.Contains(s, "B/s") || strings.Contains(s, "byte") {
			hint = " (bandwidth is in bits: 8 Mbit/s is 1 MB/s)"
		}
		return 0, fmt.Errorf("bandwidth %q: want a number of bits per second, like 500kbit/s, 10Mbit/s or 1Gbit/s%s", s, hint)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	v *= map[string]float64{"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m[2]]
	if v < 1 || v > 1e15 {
		return 0, fmt.Errorf("bandwidth %q is outside 1 bit/s to 1 Pbit/s", s)
	}
	return int64(v), nil
}

// parseFraction reads "2%" or a plain number, as a fraction in [0, max).
func parseFraction(s string, max float64, what string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if strings.HasSuffix(t, "%") {
		t, scale = strings.TrimSpace(strings.TrimSuffix(t, "%")), 0.01
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s %q: want a percentage like 0.5%% or a fraction like 0.005", what, s)
	}
	v *= scale
	if v < 0 || v >= max {
		return 0, fmt.Errorf("%s %q is outside 0%% to %g%% (exclusive)", what, s, max*100)
	}
	return v, nil
}

// formatBandwidth renders bits per second with the largest SI prefix that
// keeps an integer.
func formatBandwidth(bps int64) string {
	for _, u := range []struct {
		div  int64
		name string
	}{{1e9, "Gbit/s"}, {1e6, "Mbit/s"}, {1e3, "kbit/s"}} {
		if bps%u.div == 0 {
			return fmt.Sprintf("%d%s", bps/u.div, u.name)
		}
	}
	return fmt.Sprintf("%dbit/s", bps)
}

// formatTime renders a time from the start of the run as h:mm:ss.mmm.
func formatTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
