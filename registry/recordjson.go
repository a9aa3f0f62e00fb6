package registry

import (
	"fmt"
	"unicode/utf8"
)

// RecordJSON renders r as one JSON object whose keys are the field names in
// schema order. Int fields become JSON numbers; every other value is a JSON
// string exactly as ingested. There is no trailing newline.
func (s Schema) RecordJSON(r Record) ([]byte, error) {
	size := 2
	for i, f := range s.Fields {
		size += len(f.Name) + 4
		if i < len(r.Values) {
			size += len(r.Values[i]) + 2
		}
	}
	return s.AppendRecordJSON(make([]byte, 0, size), r)
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

// appendJSONString appends s as a JSON string: quote, backslash and
// control characters escaped, U+2028 and U+2029 escaped for JavaScript,
// invalid UTF-8 replaced by U+FFFD (as encoding/json does), everything else
// as it is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
