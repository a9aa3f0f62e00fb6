package registry

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Row is one row read from a file.
type Row struct {
	// Line is the 1-based line on which the row starts (in CSV the header
	// is line 1; a row with a multi-line quoted field starts on its first).
	Line int
	// Record holds the values in schema field order. It is unusable when
	// Err is set.
	Record Record
	// Err, when set, wraps ErrInvalidRow with the reason.
	Err error
}

// Reader reads rows of one schema from CSV or JSON Lines input.
type Reader struct {
	next func() (Row, error)
}

// NewReader returns a reader of rows in format f. For CSV it reads and
// checks the header at once: it must hold exactly the schema's field names,
// in any order, or the error wraps ErrBadHeader and names the missing,
// unknown or repeated columns. A leading UTF-8 byte order mark is skipped.
func NewReader(r io.Reader, f Format, s Schema) (*Reader, error) {
	br, err := skipBOM(r)
	if err != nil {
		return nil, err
	}
	switch f {
	case FormatCSV:
		cr, err := newCSVRowReader(br, s)
		if err != nil {
			return nil, err
		}
		return &Reader{next: cr.next}, nil
	case FormatJSONL:
		jr := newJSONLRowReader(br, s)
		return &Reader{next: jr.next}, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownFormat, f)
	}
}

// Next returns the next row, or io.EOF after the last. A row that fails
// parsing or validation comes back with Row.Err set and a nil error, and
// reading can go on; only I/O errors are returned as the error.
func (r *Reader) Next() (Row, error) {
	return r.next()
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func skipBOM(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(utf8BOM))
	if err != nil && err != io.EOF {
		return nil, err
	}
	if bytes.Equal(head, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, err
		}
	}
	return br, nil
}
