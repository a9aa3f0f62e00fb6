package registry

import (
	"encoding/json"
	"fmt"
)

// RecordJSON renders r as one JSON object whose keys are the field names in
// schema order. Int fields become JSON numbers; every other value is a JSON
// string exactly as ingested. There is no trailing newline.
func (s Schema) RecordJSON(r Record) ([]byte, error) {
	return s.AppendRecordJSON(nil, r)
}

// AppendRecordJSON appends the RecordJSON rendering of r to b.
func (s Schema) AppendRecordJSON(b []byte, r Record) ([]byte, error) {
	if len(r.Values) != len(s.Fields) {
		return nil, fmt.Errorf("%w: %d values, want %d", ErrInvalidRow, len(r.Values), len(s.Fields))
	}
	b = append(b, '{')
	for i := range s.Fields {
		f := &s.Fields[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		v := r.Values[i]
		if f.Type != TypeInt {
			b = appendJSONString(b, v)
			continue
		}
		if _, err := parseCanonicalInt(v); err != nil {
			return nil, fmt.Errorf("%w: field %q: %w", ErrInvalidRow, f.Name, err)
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it (invalid UTF-8 becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	if plainJSON(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	enc, err := json.Marshal(s)
	if err != nil { // cannot happen for a string
		panic(err)
	}
	return append(b, enc...)
}

// plainJSON reports whether s needs no escaping at all: printable ASCII
// other than the characters encoding/json escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
