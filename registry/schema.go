package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// FieldType names the kind of value a field holds and so how it is validated.
type FieldType string

// The field types a schema may use.
const (
	TypeString        FieldType = "string"         // valid UTF-8, no NUL, 1..MaxLen bytes
	TypeInt           FieldType = "int"            // canonical decimal int64 within Min/Max
	TypeDate          FieldType = "date"           // YYYY-MM-DD, a real calendar date
	TypeEnum          FieldType = "enum"           // one of Values
	TypePersonalCode  FieldType = "personal_code"  // Estonian isikukood, 11 digits with check digit
	TypeCadastralCode FieldType = "cadastral_code" // DDDDD:DDD:DDDD
	TypeRegistryCode  FieldType = "registry_code"  // Estonian business registry code, 8 digits with check digit
	TypeCountry       FieldType = "country"        // ISO 3166-1 alpha-3 code
	TypePartyCode     FieldType = "party_code"     // a personal code or a registry code
)

// DefaultMaxLen is the byte limit of a string field whose MaxLen is 0.
const DefaultMaxLen = 256

func (t FieldType) known() bool {
	switch t {
	case TypeString, TypeInt, TypeDate, TypeEnum, TypePersonalCode,
		TypeCadastralCode, TypeRegistryCode, TypeCountry, TypePartyCode:
		return true
	}
	return false
}

// Field describes one column of a registry.
type Field struct {
	Name        string    `json:"name"`
	Type        FieldType `json:"type"`
	Description string    `json:"description,omitempty"`
	// Values lists the allowed values of an enum field.
	Values []string `json:"values,omitempty"`
	// Min and Max bound an int field when set.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
	// MaxLen limits a string field in bytes; 0 means DefaultMaxLen.
	MaxLen int `json:"max_len,omitempty"`
	// SexField and BirthDateField, on a personal_code field, name the
	// fields that must agree with the sex and birth date the code embeds.
	SexField       string `json:"sex_field,omitempty"`
	BirthDateField string `json:"birth_date_field,omitempty"`
}

// Schema describes one registry: its fields in order and which one is the key.
type Schema struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// KeyField names the key field. (It cannot be called Key: that is the
	// method that returns a record's key value.)
	KeyField string  `json:"key"`
	Fields   []Field `json:"fields"`
	// Statistics, when set, declares the encrypted aggregates the registry
	// offers (see Statistics); nil means none.
	Statistics *Statistics `json:"statistics,omitempty"`
}

// ParseSchema parses a JSON schema and checks that it is well formed: a
// name, at least one field, unique non-empty field names, known types, a key
// that names a field, non-empty enums and consistent bounds. Errors wrap
// ErrInvalidSchema.
func ParseSchema(data []byte) (Schema, error) {
	var s Schema
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Schema{}, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Schema{}, fmt.Errorf("%w: trailing data after the schema object", ErrInvalidSchema)
	}
	if err := s.check(); err != nil {
		return Schema{}, fmt.Errorf("%w: %s: %w", ErrInvalidSchema, s.Name, err)
	}
	return s, nil
}

// FieldNames returns the field names in schema order.
func (s Schema) FieldNames() []string {
	names := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		names[i] = f.Name
	}
	return names
}

// FieldIndex returns the position of the named field, or -1.
func (s Schema) FieldIndex(name string) int {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// KeyIndex returns the position of the key field, or -1 if the schema has
// none (ParseSchema never returns such a schema).
func (s Schema) KeyIndex() int {
	return s.FieldIndex(s.KeyField)
}
