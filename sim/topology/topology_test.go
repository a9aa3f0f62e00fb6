package topology

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite data/default_links.csv")

func mustSite(t *testing.T, id string) Site {
	t.Helper()
	cat, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := Find(cat, id)
	if !ok {
		t.Fatalf("site %q not in catalogue", id)
	}
	return s
}

// The floors that data/README.md (and shared/data/README.md) quote.
func TestFloorMatchesQuotedFigures(t *testing.T) {
	for _, c := range []struct {
		a, b string
		ms   float64
	}{
		{"tallinn", "luxembourg", 16.1}, {"tallinn", "frankfurt", 14.5}, {"tallinn", "helsinki", 0.8},
		{"tallinn", "stockholm", 3.8}, {"tallinn", "washington", 69.6}, {"luxembourg", "frankfurt", 1.9},
	} {
		got := Floor(mustSite(t, c.a), mustSite(t, c.b)).Seconds() * 1000
		if math.Abs(got-c.ms) > 0.05 {
			t.Errorf("floor %s-%s = %.2f ms, want %.1f", c.a, c.b, got, c.ms)
		}
	}
	if f := Floor(mustSite(t, "oslo"), mustSite(t, "oslo")); f != 0 {
		t.Errorf("floor of a site to itself = %v", f)
	}
}

func TestCatalogueCoversTheTable(t *testing.T) {
	cat, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	table, err := RIPEAtlas2025()
	if err != nil {
		t.Fatal(err)
	}
	countries := map[string]bool{}
	for _, s := range cat {
		countries[s.Country] = true
	}
	if len(countries) != len(cat) {
		t.Errorf("%d sites for %d countries: want one per country", len(cat), len(countries))
	}
	// 22 countries, upper triangle with the diagonal.
	if n := len(countries); table.Len() != n*(n+1)/2 {
		t.Errorf("table has %d rows, want %d for %d countries", table.Len(), n*(n+1)/2, n)
	}
	for a := range countries {
		for b := range countries {
			if _, ok := table.Lookup(a, b); !ok {
				t.Errorf("no row for %s-%s", a, b)
			}
		}
	}
}

// Every link of the whole catalogue: symmetric, at or above the floor,
// with a known source, and valid.
func TestEveryLinkAtOrAboveFloor(t *testing.T) {
	cat, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	top, err := New(cat, DefaultDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cat {
		for _, b := range cat {
			ab, err := top.Link(a.ID, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			ba, _ := top.Link(b.ID, a.ID)
			if ab != ba {
				t.Errorf("%s-%s not symmetric: %+v vs %+v", a.ID, b.ID, ab, ba)
			}
			if ab.RTT < Floor(a, b) {
				t.Errorf("%s-%s: RTT %v below floor %v", a.ID, b.ID, ab.RTT, Floor(a, b))
			}
			if err := ab.Validate(); err != nil {
				t.Errorf("%s-%s: %v", a.ID, b.ID, err)
			}
			want := SourceMeasured
			switch {
			case a.ID == b.ID:
				want = SourceLocal
			case a.Country == "LU" || b.Country == "LU":
				want = SourceDerived
			}
			if ab.Source != want && ab.Source != SourceFloor {
				t.Errorf("%s-%s: source %s, want %s (or floor)", a.ID, b.ID, ab.Source, want)
			}
		}
	}
}

func TestDerivationRules(t *testing.T) {
	tallinn, helsinki, lux := mustSite(t, "tallinn"), mustSite(t, "helsinki"), mustSite(t, "luxembourg")
	tokyo := Site{ID: "tokyo", Country: "JP", City: "Tokyo", Lat: 35.6762, Lon: 139.6503}
	// A US-registered site standing in Sydney: the EE-US mean (123.5 ms)
	// is below the floor over ~15,000 km.
	sydney := Site{ID: "sydney-us", Country: "US", City: "Sydney", Lat: -33.8688, Lon: 151.2093}
	d := DefaultDefaults()
	top, err := New([]Site{tallinn, helsinki, lux, tokyo, sydney}, d)
	if err != nil {
		t.Fatal(err)
	}
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	for _, c := range []struct {
		a, b   string
		rtt    time.Duration
		source Source
		note   string
	}{
		{"tallinn", "helsinki", ms(24.463651), SourceMeasured, "EE-FI 24.5"},
		{"tallinn", "luxembourg", ms((64.00000 + 42.2 + 55.7) / 3), SourceDerived, "EE-BE 64.0, EE-DE 42.2, EE-FR 55.7"},
		{"luxembourg", "luxembourg", d.LocalRTT, SourceLocal, "within one site"},
		{"tallinn", "tokyo", Floor(tallinn, tokyo), SourceFloor, "no measurement for EE-JP"},
		{"tallinn", "sydney-us", Floor(tallinn, sydney), SourceFloor, "below the floor"},
	} {
		l, err := top.Link(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if d := l.RTT - c.rtt; d < -ms(0.1) || d > ms(0.1) {
			t.Errorf("%s-%s: RTT %v, want about %v", c.a, c.b, l.RTT, c.rtt)
		}
		if l.Source != c.source || !strings.Contains(l.Note, c.note) {
			t.Errorf("%s-%s: source %s note %q, want %s with %q", c.a, c.b, l.Source, l.Note, c.source, c.note)
		}
		if want := time.Duration(d.JitterFrac * float64(l.RTT)); l.Jitter != want {
			t.Errorf("%s-%s: jitter %v, want %v", c.a, c.b, l.Jitter, want)
		}
		if l.Bandwidth != d.Bandwidth || l.Loss != d.Loss {
			t.Errorf("%s-%s: bandwidth %d loss %v, want the defaults", c.a, c.b, l.Bandwidth, l.Loss)
		}
	}
}

func TestNewRejects(t *testing.T) {
	tallinn := mustSite(t, "tallinn")
	for name, c := range map[string]struct {
		sites []Site
		d     Defaults
		want  error
	}{
		"duplicate site": {[]Site{tallinn, tallinn}, DefaultDefaults(), ErrBadSite},
		"bad id":         {[]Site{{ID: "Tallinn", Country: "EE"}}, DefaultDefaults(), ErrBadSite},
		"bad country":    {[]Site{{ID: "x", Country: "EST"}}, DefaultDefaults(), ErrBadSite},
		"off the globe":  {[]Site{{ID: "x", Country: "EE", Lat: 91}}, DefaultDefaults(), ErrBadSite},
		"NaN position":   {[]Site{{ID: "x", Country: "EE", Lon: math.NaN()}}, DefaultDefaults(), ErrBadSite},
		"zero bandwidth": {[]Site{tallinn}, Defaults{LocalRTT: 1}, ErrBadLink},
		"loss of one":    {[]Site{tallinn}, Defaults{Bandwidth: 1, Loss: 1}, ErrBadLink},
	} {
		if _, err := New(c.sites, c.d); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", name, err, c.want)
		}
	}
}

func TestSetLink(t *testing.T) {
	top, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	l := Link{RTT: time.Millisecond, Bandwidth: 10, Loss: 0.5, Source: SourceSet}
	if err := top.SetLink("washington", "tallinn", l); err != nil {
		t.Fatal(err)
	}
	if got, _ := top.Link("tallinn", "washington"); got != l {
		t.Errorf("after SetLink: %+v, want %+v", got, l)
	}
	if err := top.SetLink("tallinn", "paris", l); !errors.Is(err, ErrUnknownSite) {
		t.Errorf("SetLink to a site not in the topology: %v", err)
	}
	if err := top.SetLink("tallinn", "helsinki", Link{Bandwidth: 0}); !errors.Is(err, ErrBadLink) {
		t.Errorf("SetLink with zero bandwidth: %v", err)
	}
	if _, err := top.Link("tallinn", "nowhere"); !errors.Is(err, ErrUnknownSite) {
		t.Errorf("Link to unknown site: %v", err)
	}
}

// data/default_links.csv is the default network's links as New derives
// them, for readers; go test -run TestDefaultLinksFile -update rewrites it.
func TestDefaultLinksFile(t *testing.T) {
	top, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(top.Sites()); got != 6 {
		t.Fatalf("default network has %d sites, want 6", got)
	}
	var b bytes.Buffer
	if err := top.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	const path = "data/default_links.csv"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("%s is out of date; run go test ./sim/topology -run TestDefaultLinksFile -update\ngot:\n%s", path, b.String())
	}
}

func TestPlacement(t *testing.T) {
	nodes := Spread([]string{"a", "b", "c"}, 5)
	var got []string
	for _, n := range nodes {
		got = append(got, n.Name+"@"+n.Site)
	}
	if s := strings.Join(got, " "); s != "node1@a node2@b node3@c node4@a node5@b" {
		t.Errorf("Spread: %s", s)
	}
	if Spread(nil, 3) != nil {
		t.Error("Spread over no sites placed nodes")
	}
	got = nil
	for _, n := range Place([]SiteCount{{"x", 2}, {"y", 0}, {"z", 1}}) {
		got = append(got, n.Name+"@"+n.Site)
	}
	if s := strings.Join(got, " "); s != "node1@x node2@x node3@z" {
		t.Errorf("Place: %s", s)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "cty1,cty2,rtt_cnt,rtt_avg,rtt_std,rtt_min,rtt_max\n"
	for name, data := range map[string]string{
		"empty":        "",
		"wrong header": "a,b,c,d,e,f,g\n",
		"short row":    head + "EE,FI,1,2,3,4\n",
		"bad country":  head + "EST,FI,1,2,3,4,5\n",
		"negative":     head + "EE,FI,1,-2,3,4,5\n",
		"NaN":          head + "EE,FI,1,NaN,3,4,5\n",
		"bad count":    head + "EE,FI,x,2,3,4,5\n",
		"duplicate":    head + "EE,FI,1,2,3,4,5\nFI,EE,1,2,3,4,5\n",
	} {
		if _, err := ParseCountryRTT([]byte(data)); !errors.Is(err, ErrBadData) {
			t.Errorf("%s: error %v, want ErrBadData", name, err)
		}
	}
	const sitesHead = "id,country,city,lat,lon\n"
	for name, data := range map[string]string{
		"empty":     "",
		"header":    "id,country\n",
		"position":  sitesHead + "x,EE,X,north,1\n",
		"bad site":  sitesHead + "X,EE,X,1,1\n",
		"duplicate": sitesHead + "x,EE,X,1,1\nx,FI,Y,2,2\n",
	} {
		if _, err := ParseSites([]byte(data)); !errors.Is(err, ErrBadData) {
			t.Errorf("sites %s: error %v, want ErrBadData", name, err)
		}
	}
}

func FuzzParseCountryRTT(f *testing.F) {
	f.Add(countryRTTCSV[:400])
	f.Add([]byte("cty1,cty2,rtt_cnt,rtt_avg,rtt_std,rtt_min,rtt_max\nEE,FI,1,2,3,4,5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		table, err := ParseCountryRTT(data)
		if err != nil {
			return
		}
		for _, r := range table.rows {
			if r.Avg < 0 || math.IsNaN(r.Avg) || !countryRe.MatchString(r.A) {
				t.Fatalf("accepted bad row %+v", r)
			}
		}
	})
}

func FuzzParseSites(f *testing.F) {
	f.Add(sitesCSV)
	f.Fuzz(func(t *testing.T, data []byte) {
		sites, err := ParseSites(data)
		if err != nil {
			return
		}
		for _, s := range sites {
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted bad site: %v", err)
			}
		}
	})
}
