package registry

import "unicode/utf8"

// parseFast handles the common line: a flat object holding every field
// once, strings without escapes and ints in canonical form. It allocates
// one string for the whole line. For anything else it returns ok=false and
// the caller takes the general json.Decoder path, which also gives the
// error. For lines it accepts it gives exactly what that path gives.
func (j *jsonlRowReader) parseFast(line []byte) (values []string, ok bool) {
	fields := j.schema.Fields
	if len(fields) > 64 {
		return nil, false
	}
	text := string(line)
	values = make([]string, len(fields))
	var seen uint64
	i := skipSpace(text, 0)
	if i >= len(text) || text[i] != '{' {
		return nil, false
	}
	for {
		key, next, ok := scanPlainString(text, skipSpace(text, i+1))
		if !ok {
			return nil, false
		}
		f := fieldIndexOf(fields, key)
		if f < 0 || seen&(1<<f) != 0 {
			return nil, false
		}
		seen |= 1 << f
		i = skipSpace(text, next)
		if i >= len(text) || text[i] != ':' {
			return nil, false
		}
		if values[f], i, ok = scanValue(text, skipSpace(text, i+1), fields[f].Type == TypeInt); !ok {
			return nil, false
		}
		i = skipSpace(text, i)
		if i >= len(text) {
			return nil, false
		}
		if text[i] == '}' {
			break
		}
		if text[i] != ',' {
			return nil, false
		}
	}
	if skipSpace(text, i+1) != len(text) || seen != 1<<len(fields)-1 {
		return nil, false
	}
	return values, true
}

func fieldIndexOf(fields []Field, name string) int {
	for i := range fields {
		if fields[i].Name == name {
			return i
		}
	}
	return -1
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanPlainString reads a JSON string at s[i] that has no escapes, no
// control characters and only valid UTF-8, and returns its contents and
// the index after the closing quote.
func scanPlainString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[start:j]
			return v, j + 1, ascii || utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", 0, false
}

// scanValue reads a plain string, or for an int field also a canonical
// integer literal.
func scanValue(s string, i int, isInt bool) (string, int, bool) {
	if i < len(s) && s[i] == '"' {
		return scanPlainString(s, i)
	}
	if !isInt {
		return "", 0, false
	}
	j := i
	for j < len(s) && (s[j] == '-' || (s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	if _, err := parseCanonicalInt(s[i:j]); err != nil {
		return "", 0, false
	}
	return s[i:j], j, true
}
