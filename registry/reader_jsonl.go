package registry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxLineBytes bounds one JSON Lines line; a longer line is a bad row.
const MaxLineBytes = 1 << 20

// jsonlRowReader reads one JSON object per line.
type jsonlRowReader struct {
	schema Schema
	in     *bufio.Reader
	line   int    // number of the last line read
	buf    []byte // reused line buffer
}

func newJSONLRowReader(r *bufio.Reader, s Schema) *jsonlRowReader {
	return &jsonlRowReader{schema: s, in: r}
}

func (j *jsonlRowReader) next() (Row, error) {
	for {
		line, tooLong, err := j.readLine()
		if err != nil {
			return Row{}, err
		}
		if tooLong {
			return Row{Line: j.line, Err: fmt.Errorf("%w: line longer than %d bytes", ErrInvalidRow, MaxLineBytes)}, nil
		}
		if blank(line) {
			continue
		}
		values, ok := j.parseFast(line)
		if !ok {
			values, err = j.parse(line)
		}
		if err != nil {
			return Row{Line: j.line, Err: fmt.Errorf("%w: %w", ErrInvalidRow, err)}, nil
		}
		return Row{Line: j.line, Record: Record{Values: values}, Err: j.schema.Validate(values)}, nil
	}
}

// readLine returns the next line without its newline, io.EOF at the end, or
// tooLong (with the rest of the line skipped) past MaxLineBytes.
func (j *jsonlRowReader) readLine() (line []byte, tooLong bool, err error) {
	j.buf = j.buf[:0]
	for {
		chunk, err := j.in.ReadSlice('\n')
		if !tooLong {
			j.buf = append(j.buf, chunk...)
			tooLong = len(j.buf) > MaxLineBytes+1
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(j.buf) == 0 && !tooLong:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		j.line++
		return bytes.TrimSuffix(j.buf, []byte{'\n'}), tooLong, nil
	}
}

// blank reports whether line holds only JSON whitespace.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

var errNotObject = errors.New("line is not a JSON object")

// parse decodes one object into values in schema order.
func (j *jsonlRowReader) parse(line []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	values := make([]string, len(j.schema.Fields))
	seen := make([]bool, len(values))
	for dec.More() {
		i, v, err := j.member(dec)
		if err != nil {
			return nil, err
		}
		if seen[i] {
			return nil, fmt.Errorf("key %q repeated", j.schema.Fields[i].Name)
		}
		seen[i], values[i] = true, v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return values, j.missing(seen)
}

// member reads one key and its value and returns the field index and the
// value's text.
func (j *jsonlRowReader) member(dec *json.Decoder) (int, string, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, "", fmt.Errorf("bad JSON: %w", err)
	}
	key, _ := tok.(string)
	i := j.schema.FieldIndex(key)
	if i < 0 {
		return 0, "", fmt.Errorf("unknown key %q", key)
	}
	tok, err = dec.Token()
	if err != nil {
		return 0, "", fmt.Errorf("bad JSON: %w", err)
	}
	f := &j.schema.Fields[i]
	switch v := tok.(type) {
	case string:
		return i, v, nil
	case json.Number:
		if f.Type != TypeInt {
			return 0, "", fmt.Errorf("field %q: must be a JSON string", f.Name)
		}
		return i, string(v), nil
	}
	if f.Type == TypeInt {
		return 0, "", fmt.Errorf("field %q: must be a JSON integer or a string of digits", f.Name)
	}
	return 0, "", fmt.Errorf("field %q: must be a JSON string", f.Name)
}

func (j *jsonlRowReader) missing(seen []bool) error {
	var names []string
	for i, ok := range seen {
		if !ok {
			names = append(names, fmt.Sprintf("%q", j.schema.Fields[i].Name))
		}
	}
	if len(names) > 0 {
		return fmt.Errorf("missing key(s) %s", strings.Join(names, ", "))
	}
	return nil
}
