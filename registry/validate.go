package registry

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validate checks one row given as values in schema field order. Every
// field is required. The error names the field and the reason and wraps
// ErrInvalidRow.
func (s Schema) Validate(values []string) error {
	if len(values) != len(s.Fields) {
		return fmt.Errorf("%w: %d values, want %d", ErrInvalidRow, len(values), len(s.Fields))
	}
	for i := range s.Fields {
		if err := s.Fields[i].Validate(values[i]); err != nil {
			return fmt.Errorf("%w: field %q: %w", ErrInvalidRow, s.Fields[i].Name, err)
		}
	}
	if err := s.validateLinks(values); err != nil {
		return err
	}
	return s.validateMeasures(values)
}

// validateMeasures checks that every measure of a valid row is within its
// declared bits (a date-derived year could exceed them).
func (s Schema) validateMeasures(values []string) error {
	if s.Statistics == nil {
		return nil
	}
	for _, m := range s.Statistics.Measures {
		if _, err := s.MeasureValue(m, Record{Values: values}); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidRow, err)
		}
	}
	return nil
}

// Validate checks one value of the field on its own, without the checks
// that involve other fields.
func (f *Field) Validate(v string) error {
	if v == "" {
		return errors.New("empty")
	}
	switch f.Type {
	case TypeString:
		return f.validateString(v)
	case TypeInt:
		return f.validateInt(v)
	case TypeDate:
		_, err := parseDate(v)
		return err
	case TypeEnum:
		if !slices.Contains(f.Values, v) {
			return fmt.Errorf("%q is not one of %s", v, strings.Join(f.Values, ", "))
		}
		return nil
	case TypePersonalCode:
		_, err := parsePersonalCode(v)
		return err
	case TypeCadastralCode:
		return checkCadastralCode(v)
	case TypeRegistryCode:
		return checkRegistryCode(v)
	case TypeCountry:
		return checkCountry(v)
	case TypePartyCode:
		return checkPartyCode(v)
	}
	return fmt.Errorf("unknown type %q", f.Type)
}

func (f *Field) validateString(v string) error {
	limit := f.MaxLen
	if limit == 0 {
		limit = DefaultMaxLen
	}
	if len(v) > limit {
		return fmt.Errorf("%d bytes, longer than %d", len(v), limit)
	}
	if !utf8.ValidString(v) {
		return errors.New("not valid UTF-8")
	}
	if strings.IndexByte(v, 0) >= 0 {
		return errors.New("contains a NUL byte")
	}
	return nil
}

func (f *Field) validateInt(v string) error {
	n, err := parseCanonicalInt(v)
	if err != nil {
		return err
	}
	if f.Min != nil && n < *f.Min {
		return fmt.Errorf("%d is less than %d", n, *f.Min)
	}
	if f.Max != nil && n > *f.Max {
		return fmt.Errorf("%d is greater than %d", n, *f.Max)
	}
	return nil
}

var errNotInt = errors.New("not an integer in canonical decimal form")

// parseCanonicalInt accepts -?(0|[1-9][0-9]*) within int64, the form that is
// also a valid JSON number and that strconv.FormatInt gives back.
func parseCanonicalInt(v string) (int64, error) {
	body := strings.TrimPrefix(v, "-")
	if body == "" || !allDigits(body) || (body[0] == '0' && (len(body) > 1 || len(v) > 1)) {
		return 0, errNotInt
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errors.New("integer out of range")
	}
	return n, nil
}

// validateLinks checks that each personal code agrees with the sex and
// birth date fields it is linked to. Values have passed field validation.
func (s Schema) validateLinks(values []string) error {
	for i := range s.Fields {
		f := &s.Fields[i]
		if f.SexField == "" && f.BirthDateField == "" {
			continue
		}
		code, err := parsePersonalCode(values[i])
		if err != nil {
			return fmt.Errorf("%w: field %q: %w", ErrInvalidRow, f.Name, err)
		}
		if err := s.checkSexLink(f, code, values); err != nil {
			return err
		}
		if err := s.checkBirthLink(f, code, values); err != nil {
			return err
		}
	}
	return nil
}

func (s Schema) checkSexLink(f *Field, code personalCode, values []string) error {
	j := s.FieldIndex(f.SexField)
	if j < 0 || (len(values[j]) == 1 && values[j][0] == code.sex) {
		return nil
	}
	return fmt.Errorf("%w: field %q: code says sex %c but %s is %s",
		ErrInvalidRow, f.Name, code.sex, f.SexField, values[j])
}

func (s Schema) checkBirthLink(f *Field, code personalCode, values []string) error {
	j := s.FieldIndex(f.BirthDateField)
	if j < 0 {
		return nil
	}
	d, err := parseDate(values[j])
	if err == nil && d == code.birth {
		return nil
	}
	return fmt.Errorf("%w: field %q: code says birth date %s but %s is %s",
		ErrInvalidRow, f.Name, code.birth, f.BirthDateField, values[j])
}
