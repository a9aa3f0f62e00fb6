package registry

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
)

// Writer writes records of one schema as CSV or JSON Lines.
type Writer struct {
	schema Schema
	csv    *csv.Writer   // for FormatCSV
	out    *bufio.Writer // for FormatJSONL
	buf    []byte        // reused JSON buffer
}

// NewWriter returns a writer in format f. CSV output starts with the header
// of field names; JSON Lines output is one RecordJSON object per line.
// Output is buffered: call Flush at the end.
func NewWriter(w io.Writer, f Format, s Schema) (*Writer, error) {
	switch f {
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(s.FieldNames()); err != nil {
			return nil, err
		}
		return &Writer{schema: s, csv: cw}, nil
	case FormatJSONL:
		return &Writer{schema: s, out: bufio.NewWriterSize(w, 64<<10)}, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownFormat, f)
	}
}

// Write writes one record. It does not validate it beyond the number of
// values (and, for JSON Lines, the form of ints).
func (w *Writer) Write(r Record) error {
	if len(r.Values) != len(w.schema.Fields) {
		return fmt.Errorf("%w: %d values, want %d", ErrInvalidRow, len(r.Values), len(w.schema.Fields))
	}
	if w.csv != nil {
		return w.csv.Write(r.Values)
	}
	b, err := w.schema.AppendRecordJSON(w.buf[:0], r)
	if err != nil {
		return err
	}
	w.buf = append(b, '\n')
	_, err = w.out.Write(w.buf)
	return err
}

// Flush writes any buffered output and reports any earlier write error.
func (w *Writer) Flush() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return w.out.Flush()
}
