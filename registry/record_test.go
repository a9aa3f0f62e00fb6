package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// randomValue makes strings mixing ASCII, Estonian letters, other scripts,
// control characters and, sometimes, long runs that need multi-byte lengths.
func randomValue(rng *rand.Rand) string {
	alphabet := []rune("aZ09 ,\"\n\r\t\\õäöüšžÕÄÖÜŠŽ€Ж語🙂\x00\x7f")
	n := rng.IntN(20)
	if rng.IntN(10) == 0 {
		n = 100 + rng.IntN(300)
	}
	var sb strings.Builder
	for range n {
		sb.WriteRune(alphabet[rng.IntN(len(alphabet))])
	}
	return sb.String()
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range registries {
		s := mustLookup(t, name)
		for range 2000 {
			r := Record{Values: make([]string, len(s.Fields))}
			for i := range r.Values {
				r.Values[i] = randomValue(rng)
			}
			b := s.EncodeRecord(r)
			got, err := s.DecodeRecord(b)
			if err != nil {
				t.Fatalf("decode %q: %v", r.Values, err)
			}
			if !slices.Equal(got.Values, r.Values) {
				t.Fatalf("round trip: got %q, want %q", got.Values, r.Values)
			}
			if !bytes.Equal(s.EncodeRecord(got), b) {
				t.Fatal("re-encoding differs")
			}
		}
	}
}

func TestEncodeRecordLayout(t *testing.T) {
	s := Schema{Name: "t", KeyField: "a", Fields: []Field{{Name: "a", Type: TypeString}, {Name: "b", Type: TypeString}}}
	got := s.EncodeRecord(Record{Values: []string{"hi", ""}})
	want := []byte{RecordVersion, 2, 'h', 'i', 0}
	if !bytes.Equal(got, want) {
		t.Fatalf("EncodeRecord = %v, want %v", got, want)
	}
	long := strings.Repeat("x", 300)
	got = s.EncodeRecord(Record{Values: []string{long, "y"}})
	if !bytes.Equal(got[:3], []byte{RecordVersion, 0xac, 0x02}) || len(got) != 3+300+2 {
		t.Fatalf("long value encoded as % x...", got[:3])
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	s := Schema{Name: "t", KeyField: "a", Fields: []Field{{Name: "a", Type: TypeString}, {Name: "b", Type: TypeString}}}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"wrong version", []byte{2, 0, 0}, "version"},
		{"no values", []byte{1}, "truncated"},
		{"one value missing", []byte{1, 1, 'a'}, "value 2 of 2"},
		{"truncated value", []byte{1, 1, 'a', 3, 'b'}, "truncated"},
		{"trailing", []byte{1, 0, 0, 0}, "trailing"},
		{"overlong varint", []byte{1, 0x80, 0x00, 0}, "non-minimal"},
		{"huge length", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0}, "truncated"},
		{"varint overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "overlong"},
		{"unterminated varint", []byte{1, 0x80}, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.DecodeRecord(tt.b)
			if !errors.Is(err, ErrMalformedRecord) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrMalformedRecord mentioning %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	s := mustLookup(f, "land")
	f.Add(s.EncodeRecord(Record{Values: []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "1", "0", "10060701"}}))
	f.Add([]byte{1})
	f.Add([]byte{1, 0x80, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := s.DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedRecord) {
				t.Fatalf("error does not wrap ErrMalformedRecord: %v", err)
			}
			return
		}
		if len(r.Values) != len(s.Fields) {
			t.Fatalf("decoded %d values", len(r.Values))
		}
		if !bytes.Equal(s.EncodeRecord(r), b) {
			t.Fatal("accepted bytes that do not re-encode identically")
		}
	})
}

func TestKey(t *testing.T) {
	s := mustLookup(t, "land")
	if got := s.Key(Record{Values: []string{"78401:101:0010", "x"}}); got != "78401:101:0010" {
		t.Errorf("Key = %q", got)
	}
	if got := s.Key(Record{}); got != "" {
		t.Errorf("Key of empty record = %q", got)
	}
}

func TestRecordJSON(t *testing.T) {
	for _, name := range registries {
		s := mustLookup(t, name)
		g, err := NewGenerator(name, 9)
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			r := g.Next()
			checkRecordJSON(t, s, r)
		}
	}
	// Values that need escaping.
	s := mustLookup(t, "population")
	r := Record{Values: validPopulationRow()}
	r.Values[s.FieldIndex("address")] = "\"Mäe\" talu, <küla> & \\ \n\t\x01 🙂"
	checkRecordJSON(t, s, r)
}

func checkRecordJSON(t *testing.T, s Schema, r Record) {
	t.Helper()
	b, err := s.RecordJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasSuffix(b, []byte("\n")) || !utf8.Valid(b) {
		t.Fatalf("bad JSON text %q", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object", b)
	}
	for i, f := range s.Fields {
		key, err := dec.Token()
		if err != nil || key != f.Name {
			t.Fatalf("%s: key %d is %v, want %s", b, i, key, f.Name)
		}
		val, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch v := val.(type) {
		case json.Number:
			if f.Type != TypeInt || string(v) != r.Values[i] {
				t.Fatalf("%s: field %s = number %s", b, f.Name, v)
			}
		case string:
			if f.Type == TypeInt || v != r.Values[i] {
				t.Fatalf("%s: field %s = string %q, want %q", b, f.Name, v, r.Values[i])
			}
		default:
			t.Fatalf("%s: field %s = %v", b, f.Name, v)
		}
	}
	// And the whole thing is valid JSON to a plain decoder.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || len(m) != len(s.Fields) {
		t.Fatalf("json.Unmarshal(%s) = %v, %v", b, m, err)
	}
}

func TestRecordJSONErrors(t *testing.T) {
	s := mustLookup(t, "land")
	if _, err := s.RecordJSON(Record{Values: []string{"x"}}); !errors.Is(err, ErrInvalidRow) {
		t.Errorf("short record: %v", err)
	}
	r := Record{Values: []string{"78401:101:0010", "Tartu maakond", "Tartu linn", "forest", "12a", "0", "10060701"}}
	if _, err := s.RecordJSON(r); !errors.Is(err, ErrInvalidRow) || !strings.Contains(err.Error(), "area_m2") {
		t.Errorf("bad int: %v", err)
	}
}

func BenchmarkEncodeRecord(b *testing.B) {
	s := mustLookup(b, "population")
	r := Record{Values: validPopulationRow()}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendRecord(buf[:0], r)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeRecord(b *testing.B) {
	s := mustLookup(b, "population")
	enc := s.EncodeRecord(Record{Values: validPopulationRow()})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.DecodeRecord(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(enc)))
}

func BenchmarkRecordJSON(b *testing.B) {
	s := mustLookup(b, "population")
	r := Record{Values: validPopulationRow()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.RecordJSON(r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []string{"", "plain", "\"\\/\b\f\n\r\t\x00\x1f\x7f", "õäöü \u2028\u2029 🙂", "bad \xff\xfe utf8 \xe2\x82", "<&>"}
	for range 2000 {
		cases = append(cases, randomValue(rng)+string([]byte{byte(rng.IntN(256))}))
	}
	for _, s := range cases {
		checkJSONString(t, s)
	}
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	ours := appendJSONString(nil, s)
	theirs, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var a, b string
	if err := json.Unmarshal(ours, &a); err != nil {
		t.Fatalf("%q gave invalid JSON %s: %v", s, ours, err)
	}
	if err := json.Unmarshal(theirs, &b); err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("%q: ours decodes to %q, encoding/json's to %q", s, a, b)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("õ\"\\\n\xff\u2028")
	f.Fuzz(checkJSONString)
}

func FuzzUvarint(f *testing.F) {
	f.Add([]byte{0x80, 0x01})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		x1, n1 := uvarint(string(b))
		x2, n2 := binary.Uvarint(b)
		if x1 != x2 || n1 != n2 {
			t.Fatalf("% x: uvarint = %d,%d; binary.Uvarint = %d,%d", b, x1, n1, x2, n2)
		}
	})
}
