package registry

import (
	"encoding/binary"
	"fmt"
)

// Record is one registry row: values in schema field order, exactly as
// ingested (ints as their decimal text).
type Record struct {
	Values []string
}

// RecordVersion is the first byte of every encoded record.
const RecordVersion byte = 1

// Key returns the record's key value, or "" if the record is too short.
func (s Schema) Key(r Record) string {
	i := s.KeyIndex()
	if i < 0 || i >= len(r.Values) {
		return ""
	}
	return r.Values[i]
}

// EncodeRecord encodes r compactly and deterministically: RecordVersion,
// then each value as a uvarint byte length followed by its bytes. The
// encoding is what gets secret-shared. It does not validate r; the schema
// only fixes how many values DecodeRecord expects.
func (s Schema) EncodeRecord(r Record) []byte {
	return s.AppendRecord(nil, r)
}

// AppendRecord appends the encoding of r to b, for callers that reuse a
// buffer.
func (s Schema) AppendRecord(b []byte, r Record) []byte {
	size := 1
	for _, v := range r.Values {
		size += uvarintLen(uint64(len(v))) + len(v)
	}
	b = growBytes(b, size)
	b = append(b, RecordVersion)
	for _, v := range r.Values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// DecodeRecord decodes an EncodeRecord encoding strictly: a wrong version,
// a truncated or overlong length, missing values or trailing bytes give an
// error wrapping ErrMalformedRecord. It never panics. Only the minimal
// encoding is accepted, so decoding and re-encoding gives the same bytes.
func (s Schema) DecodeRecord(b []byte) (Record, error) {
	if len(b) == 0 {
		return Record{}, fmt.Errorf("%w: empty", ErrMalformedRecord)
	}
	if b[0] != RecordVersion {
		return Record{}, fmt.Errorf("%w: version %d, want %d", ErrMalformedRecord, b[0], RecordVersion)
	}
	// One string holds all the bytes; the values are slices of it.
	text := string(b[1:])
	values := make([]string, len(s.Fields))
	pos := 0
	for i := range values {
		v, n, err := decodeValue(text[pos:])
		if err != nil {
			return Record{}, fmt.Errorf("%w: value %d of %d: %w", ErrMalformedRecord, i+1, len(values), err)
		}
		values[i] = v
		pos += n
	}
	if pos != len(text) {
		return Record{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformedRecord, len(text)-pos)
	}
	return Record{Values: values}, nil
}

// decodeValue reads one length-prefixed value and returns it with the
// number of bytes it took.
func decodeValue(b string) (string, int, error) {
	length, n := uvarint(b)
	switch {
	case n == 0:
		return "", 0, errTruncated
	case n < 0 || n != uvarintLen(length):
		return "", 0, errBadLength
	case length > uint64(len(b)-n):
		return "", 0, errTruncated
	}
	end := n + int(length)
	return b[n:end], end, nil
}

// uvarint is binary.Uvarint for a string: n == 0 means too short, n < 0
// an overflow of 64 bits.
func uvarint(b string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(b); i++ {
		if i == binary.MaxVarintLen64 {
			return 0, -(i + 1)
		}
		c := b[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
