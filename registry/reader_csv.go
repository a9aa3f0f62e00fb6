package registry

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvRowReader reads CSV rows and maps their columns to schema order.
type csvRowReader struct {
	schema  Schema
	csv     *csv.Reader
	toField []int // column index -> field index
}

func newCSVRowReader(r io.Reader, s Schema) (*csvRowReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, fmt.Errorf("%w: empty input, want a header of %s", ErrBadHeader, strings.Join(s.FieldNames(), ","))
	case errors.As(err, &pe):
		return nil, fmt.Errorf("%w: %w", ErrBadHeader, err)
	case err != nil:
		return nil, err
	}
	toField, err := mapHeader(header, s)
	if err != nil {
		return nil, err
	}
	return &csvRowReader{schema: s, csv: cr, toField: toField}, nil
}

// mapHeader maps each column to its field, or reports every missing,
// unknown and repeated column.
func mapHeader(header []string, s Schema) ([]int, error) {
	toField := make([]int, len(header))
	seen := make([]bool, len(s.Fields))
	var unknown, repeated, missing []string
	for col, name := range header {
		i := s.FieldIndex(name)
		toField[col] = i
		switch {
		case i < 0:
			unknown = append(unknown, fmt.Sprintf("%q", name))
		case seen[i]:
			repeated = append(repeated, fmt.Sprintf("%q", name))
		default:
			seen[i] = true
		}
	}
	for i, ok := range seen {
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", s.Fields[i].Name))
		}
	}
	var problems []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"missing", missing}, {"unknown", unknown}, {"repeated", repeated}} {
		if len(p.names) > 0 {
			problems = append(problems, p.what+" column(s) "+strings.Join(p.names, ", "))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w for registry %s: %s", ErrBadHeader, s.Name, strings.Join(problems, "; "))
	}
	return toField, nil
}

func (c *csvRowReader) next() (Row, error) {
	fields, err := c.csv.Read()
	if err == io.EOF {
		return Row{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Row{Line: pe.StartLine, Err: fmt.Errorf("%w: %w", ErrInvalidRow, pe)}, nil
	}
	if err != nil {
		return Row{}, err
	}
	line, _ := c.csv.FieldPos(0)
	if len(fields) != len(c.toField) {
		return Row{Line: line, Err: fmt.Errorf("%w: %d fields, want %d", ErrInvalidRow, len(fields), len(c.toField))}, nil
	}
	values := make([]string, len(fields))
	for col, v := range fields {
		values[c.toField[col]] = v
	}
	return Row{Line: line, Record: Record{Values: values}, Err: c.schema.Validate(values)}, nil
}
