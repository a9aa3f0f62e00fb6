package registry

import (
	"errors"
	"fmt"
)

// mod11CheckDigit computes the Estonian check digit shared by personal codes
// and business registry codes: weights 1,2,...,9,1,... modulo 11; a
// remainder of 10 retries with weights 3,4,...,9,1,2,3,...; a second 10
// gives 0. digits must be ASCII digits.
func mod11CheckDigit(digits string) byte {
	if c := weightedMod11(digits, 0); c < 10 {
		return byte('0' + c)
	}
	if c := weightedMod11(digits, 2); c < 10 {
		return byte('0' + c)
	}
	return '0'
}

func weightedMod11(digits string, shift int) int {
	sum := 0
	for i := 0; i < len(digits); i++ {
		sum += int(digits[i]-'0') * ((i+shift)%9 + 1)
	}
	return sum % 11
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// personalCode is what an Estonian personal code embeds.
type personalCode struct {
	sex   byte // 'M' or 'F'
	birth civilDate
}

var (
	errPersonalCodeFormat  = errors.New("personal code must be 11 digits")
	errPersonalCodeCentury = errors.New("personal code must start with 1-6 (sex and century)")
	errPersonalCodeDate    = errors.New("personal code holds no valid birth date")
	errCheckDigit          = errors.New("wrong check digit")
)

// parsePersonalCode checks an Estonian personal code (isikukood):
// GYYMMDDSSSC, where G gives sex and century, YYMMDD the birth date, SSS a
// serial number and C the check digit.
func parsePersonalCode(s string) (personalCode, error) {
	if len(s) != 11 || !allDigits(s) {
		return personalCode{}, errPersonalCodeFormat
	}
	g := int(s[0] - '0')
	if g < 1 || g > 6 {
		return personalCode{}, errPersonalCodeCentury
	}
	yy, _ := digits(s[1:3])
	mm, _ := digits(s[3:5])
	dd, _ := digits(s[5:7])
	year := 1800 + 100*((g-1)/2) + yy
	if !validDate(year, mm, dd) {
		return personalCode{}, errPersonalCodeDate
	}
	if mod11CheckDigit(s[:10]) != s[10] {
		return personalCode{}, errCheckDigit
	}
	sex := byte('F')
	if g%2 == 1 {
		sex = 'M'
	}
	return personalCode{sex: sex, birth: civilDate{year, mm, dd}}, nil
}

// appendPersonalCode appends the personal code of someone of the given sex
// ('M' or 'F'), born on birth (1800-2099), with a serial number 0-999.
func appendPersonalCode(b []byte, sex byte, birth civilDate, serial int) []byte {
	g := 1 + 2*((birth.year-1800)/100)
	if sex == 'F' {
		g++
	}
	start := len(b)
	b = append(b, byte('0'+g))
	b = appendPadded(b, birth.year%100, 2)
	b = appendPadded(b, birth.month, 2)
	b = appendPadded(b, birth.day, 2)
	b = appendPadded(b, serial, 3)
	return append(b, mod11CheckDigit(string(b[start:])))
}

var (
	errRegistryCodeFormat = errors.New("registry code must be 8 digits starting with 1, 8 or 9")
)

// checkRegistryCode checks an Estonian business registry code: 8 digits, the
// first 1, 8 or 9, the last a mod-11 check digit over the first seven.
func checkRegistryCode(s string) error {
	if len(s) != 8 || !allDigits(s) || (s[0] != '1' && s[0] != '8' && s[0] != '9') {
		return errRegistryCodeFormat
	}
	if mod11CheckDigit(s[:7]) != s[7] {
		return errCheckDigit
	}
	return nil
}

// appendRegistryCode appends the registry code with the given first digit
// and six-digit body (0-999999).
func appendRegistryCode(b []byte, first byte, body int) []byte {
	start := len(b)
	b = append(b, first)
	b = appendPadded(b, body, 6)
	return append(b, mod11CheckDigit(string(b[start:])))
}

var errCadastralCode = errors.New("cadastral code must look like 78401:101:0010")

// checkCadastralCode checks the shape DDDDD:DDD:DDDD.
func checkCadastralCode(s string) error {
	if len(s) != 14 || s[5] != ':' || s[9] != ':' ||
		!allDigits(s[0:5]) || !allDigits(s[6:9]) || !allDigits(s[10:14]) {
		return errCadastralCode
	}
	return nil
}

// checkPartyCode accepts a personal code or a business registry code.
func checkPartyCode(s string) error {
	switch len(s) {
	case 11:
		if _, err := parsePersonalCode(s); err != nil {
			return fmt.Errorf("not a valid personal code: %w", err)
		}
		return nil
	case 8:
		if err := checkRegistryCode(s); err != nil {
			return fmt.Errorf("not a valid registry code: %w", err)
		}
		return nil
	}
	return errors.New("must be a personal code (11 digits) or a registry code (8 digits)")
}
