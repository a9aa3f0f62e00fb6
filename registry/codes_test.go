package registry

import (
	"errors"
	"testing"
)

func TestParsePersonalCode(t *testing.T) {
	tests := []struct {
		code    string
		wantErr error
		sex     byte
		birth   string
	}{
		{"37605030299", nil, 'M', "1976-05-03"},
		{"49403136526", nil, 'F', "1994-03-13"},
		{"37605030290", errCheckDigit, 0, ""},
		{"3760503029", errPersonalCodeFormat, 0, ""},
		{"3760503029a", errPersonalCodeFormat, 0, ""},
		{"77605030299", errPersonalCodeCentury, 0, ""},
		{"07605030299", errPersonalCodeCentury, 0, ""},
		{"37602300299", errPersonalCodeDate, 0, ""}, // 30 February
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, err := parsePersonalCode(tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.sex != tt.sex || got.birth.String() != tt.birth {
				t.Errorf("got sex %c birth %s, want %c %s", got.sex, got.birth, tt.sex, tt.birth)
			}
		})
	}
}

func TestMod11SecondRound(t *testing.T) {
	// Exhaustively find codes whose first round gives 10 and check the rule.
	found := 0
	for n := 0; n < 100000 && found < 5; n++ {
		body := "3760503" + string(appendPadded(nil, n%1000, 3))
		if weightedMod11(body, 0) != 10 {
			continue
		}
		found++
		want := weightedMod11(body, 2)
		if want == 10 {
			want = 0
		}
		if got := mod11CheckDigit(body); got != byte('0'+want) {
			t.Errorf("%s: check digit %c, want %d", body, got, want)
		}
	}
	if found == 0 {
		t.Fatal("no code needed the second round")
	}
}

func TestAppendPersonalCodeRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		sex   byte
		birth civilDate
	}{{'M', civilDate{1925, 1, 1}}, {'F', civilDate{1999, 12, 31}}, {'M', civilDate{2025, 6, 30}}, {'F', civilDate{1850, 2, 28}}} {
		for serial := 0; serial < 1000; serial += 37 {
			code := string(appendPersonalCode(nil, tt.sex, tt.birth, serial))
			got, err := parsePersonalCode(code)
			if err != nil || got.sex != tt.sex || got.birth != tt.birth {
				t.Fatalf("%s: got %+v, %v", code, got, err)
			}
		}
	}
}

func TestCheckRegistryCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"10060701", true}, // Swedbank AS
		{"10234957", true}, // Telia Eesti AS
		{"12417834", true}, // Bolt Technology OÜ
		{"10060702", false},
		{"1006070", false},
		{"20060701", false},
		{"1006070x", false},
	}
	for _, tt := range tests {
		if err := checkRegistryCode(tt.code); (err == nil) != tt.ok {
			t.Errorf("checkRegistryCode(%q) = %v, want ok=%v", tt.code, err, tt.ok)
		}
	}
	for _, first := range []byte("189") {
		for body := 0; body < 1000000; body += 99991 {
			if code := appendRegistryCode(nil, first, body); checkRegistryCode(string(code)) != nil {
				t.Errorf("generated %s does not validate", code)
			}
		}
	}
}

func TestCheckCadastralCode(t *testing.T) {
	for code, ok := range map[string]bool{
		"78401:101:0010":  true,
		"00000:000:0000":  true,
		"78401:101:001":   false,
		"78401-101-0010":  false,
		"7840a:101:0010":  false,
		"78401:101:00100": false,
		"":                false,
	} {
		if err := checkCadastralCode(code); (err == nil) != ok {
			t.Errorf("checkCadastralCode(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

func TestCheckPartyCode(t *testing.T) {
	for code, ok := range map[string]bool{
		"37605030299": true,
		"10060701":    true,
		"37605030290": false,
		"10060702":    false,
		"123":         false,
	} {
		if err := checkPartyCode(code); (err == nil) != ok {
			t.Errorf("checkPartyCode(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

func TestCheckCountry(t *testing.T) {
	for code, ok := range map[string]bool{
		"EST": true, "RUS": true, "ABW": true, "ZWE": true, "FIN": true,
		"est": false, "XXA": false, "EE": false, "ESTO": false, "": false, "AAA": false, "ZZZ": false,
	} {
		if err := checkCountry(code); (err == nil) != ok {
			t.Errorf("checkCountry(%q) = %v, want ok=%v", code, err, ok)
		}
	}
}

func TestCountryListShape(t *testing.T) {
	if len(countryCodes)%4 != 0 || len(countryCodes)/4 < 240 {
		t.Fatalf("country list has %d bytes", len(countryCodes))
	}
	prev := ""
	for i := 0; i < len(countryCodes); i += 4 {
		c := countryCodes[i : i+3]
		for _, r := range c {
			if r < 'A' || r > 'Z' {
				t.Fatalf("bad code %q", c)
			}
		}
		if countryCodes[i+3] != '\n' || c <= prev {
			t.Fatalf("list not sorted or not one per line at %q", c)
		}
		prev = c
	}
}

func TestParseDate(t *testing.T) {
	for s, ok := range map[string]bool{
		"2024-02-29": true, "2023-02-29": false, "1900-02-29": false, "2000-02-29": true,
		"2024-13-01": false, "2024-00-10": false, "2024-04-31": false, "2024-4-01": false,
		"0000-01-01": false, "2024/01/01": false, "2024-01-01T": false, "9999-12-31": true,
	} {
		if _, err := parseDate(s); (err == nil) != ok {
			t.Errorf("parseDate(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}
