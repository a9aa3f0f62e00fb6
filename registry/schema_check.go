package registry

import (
	"errors"
	"fmt"
	"slices"
)

// check reports the first way in which s is not a usable schema.
func (s Schema) check() error {
	if s.Name == "" {
		return errors.New("missing name")
	}
	if len(s.Fields) == 0 {
		return errors.New("no fields")
	}
	seen := make(map[string]bool, len(s.Fields))
	for _, f := range s.Fields {
		if f.Name == "" {
			return errors.New("a field has no name")
		}
		if seen[f.Name] {
			return fmt.Errorf("duplicate field %q", f.Name)
		}
		seen[f.Name] = true
		if err := f.check(); err != nil {
			return fmt.Errorf("field %q: %w", f.Name, err)
		}
	}
	if s.KeyField == "" {
		return errors.New("missing key")
	}
	if !seen[s.KeyField] {
		return fmt.Errorf("key %q is not a field", s.KeyField)
	}
	if err := s.checkLinks(); err != nil {
		return err
	}
	if err := s.checkStats(); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	return nil
}

func (f Field) check() error {
	if !f.Type.known() {
		return fmt.Errorf("unknown type %q", f.Type)
	}
	if f.Type != TypeEnum && len(f.Values) > 0 {
		return errors.New("values are only allowed on enum fields")
	}
	if f.Type != TypeInt && (f.Min != nil || f.Max != nil) {
		return errors.New("min and max are only allowed on int fields")
	}
	if f.Type != TypeString && f.MaxLen != 0 {
		return errors.New("max_len is only allowed on string fields")
	}
	if f.Type != TypePersonalCode && (f.SexField != "" || f.BirthDateField != "") {
		return errors.New("sex_field and birth_date_field are only allowed on personal_code fields")
	}
	if f.MaxLen < 0 {
		return errors.New("negative max_len")
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		return errors.New("min is greater than max")
	}
	if f.Type == TypeEnum {
		return checkEnumValues(f.Values)
	}
	return nil
}

func checkEnumValues(values []string) error {
	if len(values) == 0 {
		return errors.New("enum has no values")
	}
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if v == "" {
			return errors.New("enum has an empty value")
		}
		if seen[v] {
			return fmt.Errorf("enum value %q repeated", v)
		}
		seen[v] = true
	}
	return nil
}

// checkLinks checks the fields a personal_code field refers to.
func (s Schema) checkLinks() error {
	for _, f := range s.Fields {
		if f.SexField != "" {
			if err := s.checkSexField(f.SexField); err != nil {
				return fmt.Errorf("field %q: sex_field: %w", f.Name, err)
			}
		}
		if f.BirthDateField != "" {
			i := s.FieldIndex(f.BirthDateField)
			if i < 0 || s.Fields[i].Type != TypeDate {
				return fmt.Errorf("field %q: birth_date_field %q is not a date field", f.Name, f.BirthDateField)
			}
		}
	}
	return nil
}

func (s Schema) checkSexField(name string) error {
	i := s.FieldIndex(name)
	if i < 0 {
		return fmt.Errorf("%q is not a field", name)
	}
	sf := s.Fields[i]
	if sf.Type != TypeEnum || len(sf.Values) != 2 || !slices.Contains(sf.Values, "M") || !slices.Contains(sf.Values, "F") {
		return fmt.Errorf("%q must be an enum of M and F", name)
	}
	return nil
}
