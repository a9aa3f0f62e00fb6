package registry

import "errors"

var errBadDate = errors.New("not a valid date (want YYYY-MM-DD)")

// civilDate is a calendar date without time zone.
type civilDate struct {
	year, month, day int
}

// parseDate parses YYYY-MM-DD and checks that the date exists.
func parseDate(s string) (civilDate, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return civilDate{}, errBadDate
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || y == 0 {
		return civilDate{}, errBadDate
	}
	if !validDate(y, m, d) {
		return civilDate{}, errors.New("no such calendar date")
	}
	return civilDate{y, m, d}, nil
}

// digits parses a short string of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

func validDate(y, m, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isLeap(y int) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

// appendDate appends d as YYYY-MM-DD.
func appendDate(b []byte, d civilDate) []byte {
	b = appendPadded(b, d.year, 4)
	b = append(b, '-')
	b = appendPadded(b, d.month, 2)
	b = append(b, '-')
	return appendPadded(b, d.day, 2)
}

// appendPadded appends n (non-negative) zero-padded to width digits.
func appendPadded(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n > 0 || i > len(buf)-width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[i:]...)
}

func (d civilDate) String() string {
	return string(appendDate(nil, d))
}
