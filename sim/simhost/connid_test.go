package simhost_test

import (
	"bytes"
	"testing"

	"github.com/dataembassy/embassy/sim/simhost"
)

func TestConnID(t *testing.T) {
	for _, tc := range []struct {
		name     string
		datagram []byte
		want     []byte
	}{
		{"empty", nil, nil},
		{"long header", []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9}, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"long header, empty ID", []byte{0xc3, 0, 0, 0, 1, 0, 4, 9, 9, 9, 9}, []byte{}},
		{"long header cut in its ID", []byte{0xc3, 0, 0, 0, 1, 8, 1, 2}, nil},
		{"long header cut before the ID length", []byte{0xc3, 0, 0}, nil},
		{"short header", []byte{0x43, 0xa, 0xb, 0xc, 0xd, 0x77, 0x66}, []byte{0xa, 0xb, 0xc, 0xd}},
		{"short header cut in its ID", []byte{0x43, 0xa, 0xb}, nil},
	} {
		got := simhost.ConnID(tc.datagram)
		if !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("%s: ConnID(% x) = % x, want % x", tc.name, tc.datagram, got, tc.want)
		}
	}
}

// FuzzConnID: no datagram makes ConnID panic, and what it returns is a
// part of the datagram.
func FuzzConnID(f *testing.F) {
	f.Add([]byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0x43, 1, 2, 3, 4})
	f.Add([]byte{0xff, 0, 0, 0, 0, 255})
	f.Fuzz(func(t *testing.T, datagram []byte) {
		if id := simhost.ConnID(datagram); len(id) > 0 && !bytes.Contains(datagram, id) {
			t.Fatalf("ConnID(% x) = % x, not in the datagram", datagram, id)
		}
	})
}
