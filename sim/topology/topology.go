package topology

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Errors callers branch on.
var (
	ErrUnknownSite = errors.New("unknown site")
	ErrBadSite     = errors.New("bad site")
	ErrBadLink     = errors.New("bad link")
)

// FibreSpeed is the speed of light in optical fibre, in km/s (about 2/3 c).
const FibreSpeed = 200_000.0

// EarthRadius is the mean Earth radius in km, for great-circle distances.
const EarthRadius = 6371.0

// DefaultSites are the sites of the default embassy network, in order:
// the home country first, then its allies.
var defaultSites = []string{"tallinn", "luxembourg", "frankfurt", "helsinki", "stockholm", "washington"}

// DefaultSiteIDs returns the ids of the default 6-site embassy network:
// Tallinn (home), Luxembourg, Frankfurt, Helsinki, Stockholm, Washington.
func DefaultSiteIDs() []string { return slices.Clone(defaultSites) }

// Site is a place where nodes or clients stand.
type Site struct {
	ID      string  // short lower-case name used in scenarios, e.g. "tallinn"
	Country string  // ISO 3166 alpha-2, e.g. "EE"
	City    string  // for people
	Lat     float64 // degrees north
	Lon     float64 // degrees east
}

var siteIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Validate checks the id, country code and position.
func (s Site) Validate() error {
	switch {
	case !siteIDRe.MatchString(s.ID):
		return fmt.Errorf("%w: id %q: want lower-case letters, digits and '-', starting with a letter, at most 32", ErrBadSite, s.ID)
	case !countryRe.MatchString(s.Country):
		return fmt.Errorf("%w: %s: country %q is not an ISO 3166 alpha-2 code like EE", ErrBadSite, s.ID, s.Country)
	case !(s.Lat >= -90 && s.Lat <= 90) || !(s.Lon >= -180 && s.Lon <= 180):
		return fmt.Errorf("%w: %s: position %v, %v is off the globe (lat -90..90, lon -180..180)", ErrBadSite, s.ID, s.Lat, s.Lon)
	}
	return nil
}

// DistanceKm is the great-circle distance between two sites (haversine).
func DistanceKm(a, b Site) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Floor is the physical lower bound on the round trip between two sites:
// there and back along the great circle at FibreSpeed.
func Floor(a, b Site) time.Duration {
	return time.Duration(2 * DistanceKm(a, b) / FibreSpeed * float64(time.Second))
}

// Source says where a link's RTT came from.
type Source string

// Sources of link RTTs.
const (
	SourceMeasured Source = "measured" // RIPE Atlas 2025 country-pair mean
	SourceDerived  Source = "derived"  // Luxembourg from Belgium, Germany and France
	SourceFloor    Source = "floor"    // physical lower bound: no usable measurement
	SourceLocal    Source = "local"    // two ends at one site
	SourceSet      Source = "set"      // set by a scenario (SetLink)
)

// Link is the behaviour of the path between two sites, the same both ways.
type Link struct {
	RTT       time.Duration // round trip, without jitter
	Jitter    time.Duration // spread of one-way delay around RTT/2
	Bandwidth int64         // bits per second, each direction
	Loss      float64       // probability that one packet is lost, 0 ≤ Loss < 1
	Source    Source
	Note      string // the figures behind RTT, for people
}

// Validate checks that the link's figures make sense.
func (l Link) Validate() error {
	switch {
	case l.RTT < 0:
		return fmt.Errorf("%w: RTT %v is negative", ErrBadLink, l.RTT)
	case l.Jitter < 0:
		return fmt.Errorf("%w: jitter %v is negative", ErrBadLink, l.Jitter)
	case l.Bandwidth <= 0:
		return fmt.Errorf("%w: bandwidth %d bit/s is not positive", ErrBadLink, l.Bandwidth)
	case !(l.Loss >= 0 && l.Loss < 1):
		return fmt.Errorf("%w: loss %v is outside [0, 1)", ErrBadLink, l.Loss)
	}
	return nil
}

// Defaults are the link figures that no measurement gives. They are
// modelling choices, not data: a scenario can change them.
type Defaults struct {
	Bandwidth  int64         // bits per second on every link
	Loss       float64       // packet loss on every link
	JitterFrac float64       // jitter as a fraction of each link's RTT
	LocalRTT   time.Duration // RTT between two machines at one site
}

// DefaultDefaults: 1 Gbit/s, no loss, jitter 2% of RTT, 0.5 ms within a site.
func DefaultDefaults() Defaults {
	return Defaults{Bandwidth: 1_000_000_000, Loss: 0, JitterFrac: 0.02, LocalRTT: 500 * time.Microsecond}
}

// Validate checks the defaults.
func (d Defaults) Validate() error {
	switch {
	case d.Bandwidth <= 0:
		return fmt.Errorf("%w: default bandwidth %d bit/s is not positive", ErrBadLink, d.Bandwidth)
	case !(d.Loss >= 0 && d.Loss < 1):
		return fmt.Errorf("%w: default loss %v is outside [0, 1)", ErrBadLink, d.Loss)
	case !(d.JitterFrac >= 0 && d.JitterFrac <= 1):
		return fmt.Errorf("%w: default jitter %v of RTT is outside [0, 1]", ErrBadLink, d.JitterFrac)
	case d.LocalRTT < 0:
		return fmt.Errorf("%w: local RTT %v is negative", ErrBadLink, d.LocalRTT)
	}
	return nil
}

// proxies are the countries whose measurements stand in for a country
// whose own rows are unusable. Luxembourg's rows are dominated by
// multinational hosters registered there (LU-LU 96 ms, DE-LU 73 ms over
// 191 km), so Luxembourg is taken as the mean of its neighbours.
var proxies = map[string][]string{"LU": {"BE", "DE", "FR"}}

// Topology is a set of sites and the links between every pair of them.
type Topology struct {
	sites []Site
	index map[string]int
	links [][]Link // symmetric; links[i][i] is the local link
}

// New derives the links between sites from the RIPE Atlas table and d:
//
//   - same site: d.LocalRTT (source local);
//   - countries both in the table: the mean RTT of the country pair
//     (measured), or, where a country has proxies (Luxembourg), the mean of
//     its proxies' pairs (derived);
//   - otherwise the physical floor (floor);
//   - and never below the floor: a figure under it becomes the floor.
//
// Jitter is d.JitterFrac of the RTT; bandwidth and loss are d's.
func New(sites []Site, d Defaults) (*Topology, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	table, err := RIPEAtlas2025()
	if err != nil {
		return nil, err
	}
	t := &Topology{index: map[string]int{}}
	for _, s := range sites {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if _, dup := t.index[s.ID]; dup {
			return nil, fmt.Errorf("%w: site %q is listed twice", ErrBadSite, s.ID)
		}
		t.index[s.ID] = len(t.sites)
		t.sites = append(t.sites, s)
	}
	n := len(t.sites)
	t.links = make([][]Link, n)
	for i := range t.links {
		t.links[i] = make([]Link, n)
	}
	for i := range n {
		for j := i; j < n; j++ {
			l := deriveLink(table, t.sites[i], t.sites[j], d)
			t.links[i][j], t.links[j][i] = l, l
		}
	}
	return t, nil
}

func deriveLink(table CountryTable, a, b Site, d Defaults) Link {
	l := Link{Bandwidth: d.Bandwidth, Loss: d.Loss}
	floor := Floor(a, b)
	switch {
	case a.ID == b.ID:
		l.RTT, l.Source, l.Note = d.LocalRTT, SourceLocal, "within one site"
	default:
		pa, pb := proxyOf(a.Country), proxyOf(b.Country)
		var sum float64
		var used []string
		complete := true
		for _, x := range pa {
			for _, y := range pb {
				r, ok := table.Lookup(x, y)
				if !ok {
					complete = false
					continue
				}
				sum += r.Avg
				used = append(used, fmt.Sprintf("%s-%s %.1f", x, y, r.Avg))
			}
		}
		switch {
		case !complete:
			l.RTT, l.Source = floor, SourceFloor
			l.Note = fmt.Sprintf("no measurement for %s-%s: floor over %.0f km", a.Country, b.Country, DistanceKm(a, b))
		case len(used) == 1:
			l.RTT, l.Source = msDuration(sum), SourceMeasured
			l.Note = "RIPE Atlas 2025 mean " + used[0] + " ms"
		default:
			l.RTT, l.Source = msDuration(sum/float64(len(used))), SourceDerived
			l.Note = "mean of RIPE Atlas 2025 means " + strings.Join(used, ", ") + " ms"
		}
		if l.RTT < floor {
			l.Note = fmt.Sprintf("%s (%.1f ms) is below the floor over %.0f km", l.Note, l.RTT.Seconds()*1000, DistanceKm(a, b))
			l.RTT, l.Source = floor, SourceFloor
		}
	}
	l.Jitter = time.Duration(d.JitterFrac * float64(l.RTT))
	return l
}

func proxyOf(country string) []string {
	if p, ok := proxies[country]; ok {
		return p
	}
	return []string{country}
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// Default is the default embassy network: the six sites of DefaultSiteIDs
// with DefaultDefaults.
func Default() (*Topology, error) {
	cat, err := Catalogue()
	if err != nil {
		return nil, err
	}
	sites := make([]Site, 0, len(defaultSites))
	for _, id := range defaultSites {
		s, ok := Find(cat, id)
		if !ok {
			return nil, fmt.Errorf("%w: default site %q is not in the catalogue", ErrUnknownSite, id)
		}
		sites = append(sites, s)
	}
	return New(sites, DefaultDefaults())
}

// Find returns the site with id from sites.
func Find(sites []Site, id string) (Site, bool) {
	for _, s := range sites {
		if s.ID == id {
			return s, true
		}
	}
	return Site{}, false
}

// Sites returns the sites in their order.
func (t *Topology) Sites() []Site { return slices.Clone(t.sites) }

// Site returns the site with id.
func (t *Topology) Site(id string) (Site, bool) {
	i, ok := t.index[id]
	if !ok {
		return Site{}, false
	}
	return t.sites[i], true
}

// Link returns the link between two sites (either order).
func (t *Topology) Link(a, b string) (Link, error) {
	i, ok := t.index[a]
	if !ok {
		return Link{}, fmt.Errorf("%w: %q", ErrUnknownSite, a)
	}
	j, ok := t.index[b]
	if !ok {
		return Link{}, fmt.Errorf("%w: %q", ErrUnknownSite, b)
	}
	return t.links[i][j], nil
}

// SetLink replaces the link between two sites (both directions). The RTT
// may be set below the floor: a scenario may want an impossible network.
func (t *Topology) SetLink(a, b string, l Link) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("%s-%s: %w", a, b, err)
	}
	i, ok := t.index[a]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownSite, a)
	}
	j, ok := t.index[b]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownSite, b)
	}
	t.links[i][j], t.links[j][i] = l, l
	return nil
}
