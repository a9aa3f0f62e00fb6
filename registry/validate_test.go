package registry

import (
	"errors"
	"strings"
	"testing"
)

func mustLookup(t testing.TB, name string) Schema {
	t.Helper()
	s, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validPopulationRow() []string {
	return []string{"37605030299", "Jüri", "Põder", "M", "1976-05-03", "Tartu maakond", "Tartu linn", "Pärna tn 12-4, Tartu", "EST"}
}

func TestValidatePopulation(t *testing.T) {
	s := mustLookup(t, "population")
	with := func(field, value string) []string {
		row := validPopulationRow()
		row[s.FieldIndex(field)] = value
		return row
	}
	tests := []struct {
		name  string
		row   []string
		field string // "" = valid
		why   string
	}{
		{"valid", validPopulationRow(), "", ""},
		{"valid woman", []string{"49403136526", "Õie", "Šmidt", "F", "1994-03-13", "Harju maakond", "Tallinn", `"Mäe" talu, Kõrve küla, Saue vald`, "UKR"}, "", ""},
		{"bad check digit", with("personal_code", "37605030290"), "personal_code", "check digit"},
		{"sex disagrees", with("sex", "F"), "personal_code", "sex"},
		{"birth disagrees", with("birth_date", "1976-05-04"), "personal_code", "birth date"},
		{"bad sex", with("sex", "X"), "sex", "not one of"},
		{"bad date", with("birth_date", "1976-02-30"), "birth_date", "calendar date"},
		{"bad county", with("county", "Harjumaa"), "county", "not one of"},
		{"empty name", with("given_name", ""), "given_name", "empty"},
		{"long name", with("given_name", strings.Repeat("ä", 129)), "given_name", "longer than 256"},
		{"bad utf8", with("family_name", "Mä\xffe"), "family_name", "UTF-8"},
		{"nul", with("address", "a\x00b"), "address", "NUL"},
		{"bad country", with("citizenship", "XYZ"), "citizenship", "ISO 3166"},
		{"lowercase country", with("citizenship", "est"), "citizenship", "ISO 3166"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate(tt.row)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidRow) {
				t.Fatalf("err = %v, want ErrInvalidRow", err)
			}
			if !strings.Contains(err.Error(), `"`+tt.field+`"`) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q should name field %s and say %q", err, tt.field, tt.why)
			}
		})
	}
}

func TestValidateLength(t *testing.T) {
	s := mustLookup(t, "population")
	if err := s.Validate(validPopulationRow()[:5]); !errors.Is(err, ErrInvalidRow) {
		t.Fatalf("err = %v", err)
	}
}

func TestValidateLandAndBusiness(t *testing.T) {
	land := mustLookup(t, "land")
	business := mustLookup(t, "business")
	tests := []struct {
		s     Schema
		row   []string
		field string
	}{
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "residential", "1200", "150000", "37605030299"}, ""},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "1", "0", "10060701"}, ""},
		{land, []string{"78401:101:001", "Tartu maakond", "Tartu linn", "forest", "1", "0", "10060701"}, "cadastral_code"},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "0", "0", "10060701"}, "area_m2"},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "012", "0", "10060701"}, "area_m2"},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "12", "-1", "10060701"}, "assessed_value_eur"},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "12", "99999999999999999999", "10060701"}, "assessed_value_eur"},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "12", "1", "10060702"}, "owner_code"},
		{land, []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "park", "12", "1", "10060701"}, "purpose"},
		{business, []string{"12417834", "Bolt Technology", "OÜ", "Harju maakond", "2013-02-11", "1000", "500000000", "active"}, ""},
		{business, []string{"12417835", "Bolt Technology", "OÜ", "Harju maakond", "2013-02-11", "1000", "500000000", "active"}, "registry_code"},
		{business, []string{"12417834", "Bolt Technology", "GmbH", "Harju maakond", "2013-02-11", "1000", "500000000", "active"}, "legal_form"},
		{business, []string{"12417834", "Bolt Technology", "OÜ", "Harju maakond", "2013-02-11", "1e3", "500000000", "active"}, "employees"},
		{business, []string{"12417834", "Bolt Technology", "OÜ", "Harju maakond", "2013-02-11", "10", "5", "closed"}, "status"},
	}
	for i, tt := range tests {
		err := tt.s.Validate(tt.row)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%d: unexpected error %v", i, err)
		case tt.field != "" && (!errors.Is(err, ErrInvalidRow) || !strings.Contains(err.Error(), `"`+tt.field+`"`)):
			t.Errorf("%d: err = %v, want invalid %s", i, err, tt.field)
		}
	}
}

func TestParseCanonicalInt(t *testing.T) {
	for s, ok := range map[string]bool{
		"0": true, "7": true, "-7": true, "9223372036854775807": true, "-9223372036854775808": true,
		"-0": false, "07": false, "+7": false, "": false, "-": false, "1.0": false, "1e3": false,
		"9223372036854775808": false, " 7": false,
	} {
		if _, err := parseCanonicalInt(s); (err == nil) != ok {
			t.Errorf("parseCanonicalInt(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func BenchmarkValidatePopulation(b *testing.B) {
	s := mustLookup(b, "population")
	row := validPopulationRow()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(row); err != nil {
			b.Fatal(err)
		}
	}
}
