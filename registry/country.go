package registry

import (
	_ "embed"
	"errors"
)

// countryCodes holds the ISO 3166-1 alpha-3 codes, sorted, each followed by
// a newline, so that code i starts at byte 4*i.
//
//go:embed data/countries.txt
var countryCodes string

var errCountry = errors.New("not an ISO 3166-1 alpha-3 country code")

// checkCountry checks s against the embedded list by binary search.
func checkCountry(s string) error {
	if len(s) != 3 {
		return errCountry
	}
	lo, hi := 0, len(countryCodes)/4
	for lo < hi {
		mid := (lo + hi) / 2
		c := countryCodes[4*mid : 4*mid+3]
		switch {
		case c == s:
			return nil
		case c < s:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return errCountry
}
