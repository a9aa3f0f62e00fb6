package topology

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The files are described in data/README.md.
var (
	//go:embed data/country_rtt_ripe_atlas_2025.csv
	countryRTTCSV []byte
	//go:embed data/sites.csv
	sitesCSV []byte
)

// ErrBadData is returned for a malformed RTT or sites table.
var ErrBadData = errors.New("bad topology data")

// CountryRTT is one row of the RIPE Atlas table: ping round-trip times in
// milliseconds between probes in one country and targets in another
// (countries where the networks are registered).
type CountryRTT struct {
	A, B          string // ISO 3166 alpha-2, as in the table
	Count         int64
	Avg, Std      float64
	Min, Max      float64
	sourceLineNum int
}

// CountryTable is a symmetric country-pair table.
type CountryTable struct {
	rows map[[2]string]CountryRTT
}

// Lookup returns the row for the pair in either order.
func (t CountryTable) Lookup(a, b string) (CountryRTT, bool) {
	r, ok := t.rows[pairKey(a, b)]
	return r, ok
}

// Len is the number of rows.
func (t CountryTable) Len() int { return len(t.rows) }

func pairKey(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

var countryRe = regexp.MustCompile(`^[A-Z]{2}$`)

// ParseCountryRTT reads a table with the header
// cty1,cty2,rtt_cnt,rtt_avg,rtt_std,rtt_min,rtt_max. A pair may appear only
// once (in either order); values must be finite and non-negative.
func ParseCountryRTT(data []byte) (CountryTable, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 7
	header, err := r.Read()
	if err != nil {
		return CountryTable{}, fmt.Errorf("%w: country RTT header: %w", ErrBadData, err)
	}
	want := []string{"cty1", "cty2", "rtt_cnt", "rtt_avg", "rtt_std", "rtt_min", "rtt_max"}
	if strings.Join(header, ",") != strings.Join(want, ",") {
		return CountryTable{}, fmt.Errorf("%w: country RTT header is %q, want %q", ErrBadData, strings.Join(header, ","), strings.Join(want, ","))
	}
	t := CountryTable{rows: map[[2]string]CountryRTT{}}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return t, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return CountryTable{}, fmt.Errorf("%w: country RTT: %w", ErrBadData, err)
		}
		row := CountryRTT{A: rec[0], B: rec[1], sourceLineNum: line}
		if !countryRe.MatchString(row.A) || !countryRe.MatchString(row.B) {
			return CountryTable{}, fmt.Errorf("%w: country RTT line %d: countries %q, %q are not ISO 3166 alpha-2 codes", ErrBadData, line, row.A, row.B)
		}
		if row.Count, err = strconv.ParseInt(rec[2], 10, 64); err != nil || row.Count < 0 {
			return CountryTable{}, fmt.Errorf("%w: country RTT line %d: count %q", ErrBadData, line, rec[2])
		}
		for i, p := range []*float64{&row.Avg, &row.Std, &row.Min, &row.Max} {
			v, err := strconv.ParseFloat(rec[3+i], 64)
			if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return CountryTable{}, fmt.Errorf("%w: country RTT line %d: %s %q is not a non-negative number", ErrBadData, line, want[3+i], rec[3+i])
			}
			*p = v
		}
		k := pairKey(row.A, row.B)
		if prev, dup := t.rows[k]; dup {
			return CountryTable{}, fmt.Errorf("%w: country RTT line %d: pair %s-%s already on line %d", ErrBadData, line, row.A, row.B, prev.sourceLineNum)
		}
		t.rows[k] = row
	}
}

// RIPEAtlas2025 is the shipped table (data/country_rtt_ripe_atlas_2025.csv).
func RIPEAtlas2025() (CountryTable, error) { return ParseCountryRTT(countryRTTCSV) }

// ParseSites reads a sites table with the header id,country,city,lat,lon.
func ParseSites(data []byte) ([]Site, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 5
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: sites header: %w", ErrBadData, err)
	}
	if strings.Join(header, ",") != "id,country,city,lat,lon" {
		return nil, fmt.Errorf("%w: sites header is %q, want \"id,country,city,lat,lon\"", ErrBadData, strings.Join(header, ","))
	}
	var sites []Site
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return sites, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%w: sites: %w", ErrBadData, err)
		}
		s := Site{ID: rec[0], Country: rec[1], City: rec[2]}
		var errLat, errLon error
		s.Lat, errLat = strconv.ParseFloat(rec[3], 64)
		s.Lon, errLon = strconv.ParseFloat(rec[4], 64)
		if errLat != nil || errLon != nil {
			return nil, fmt.Errorf("%w: sites line %d: position %q, %q is not two numbers", ErrBadData, line, rec[3], rec[4])
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%w: sites line %d: %w", ErrBadData, line, err)
		}
		if prev, dup := seen[s.ID]; dup {
			return nil, fmt.Errorf("%w: sites line %d: site %q already on line %d", ErrBadData, line, s.ID, prev)
		}
		seen[s.ID] = line
		sites = append(sites, s)
	}
}

// Catalogue is the shipped list of sites (data/sites.csv): one city per
// country of the RIPE Atlas table.
func Catalogue() ([]Site, error) { return ParseSites(sitesCSV) }
