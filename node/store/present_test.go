package store

import (
	"crypto/rand"
	"fmt"
	"testing"
)

// The filter never says "absent" for a key it was given, and rarely says
// "maybe" for one it was not.
func TestPresenceHasNoFalseNegatives(t *testing.T) {
	p := newPresence(5000)
	var added [][]byte
	for i := range 5000 {
		k := fmt.Appendf(nil, "l/land\x00%032d", i)
		p.add(k)
		added = append(added, k)
	}
	for _, k := range added {
		if !p.mayHold(k) {
			t.Fatalf("added key %q reported absent", k)
		}
	}
	falsePositives := 0
	for range 10000 {
		k := make([]byte, 40)
		rand.Read(k)
		if p.mayHold(k) {
			falsePositives++
		}
	}
	if falsePositives > 500 {
		t.Fatalf("%d of 10000 unknown keys reported maybe present", falsePositives)
	}
}

// A store reopened over existing data, and one whose filter was rebuilt,
// still finds every record.
func TestPresenceSurvivesReopenAndRebuild(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	var vs []Version
	for i := range 300 {
		p := make([]byte, 32)
		rand.Read(p)
		vs = append(vs, Version{Pseudonym: p, Number: uint64(i + 1), Share: sampleShare(i)})
	}
	if _, err := s.PutVersions("land", vs); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store, when string) {
		ps := make([][]byte, len(vs))
		for i, v := range vs {
			ps[i] = v.Pseudonym
		}
		got, err := s.Latest("land", ps, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range got {
			if f == nil || f.Version != vs[i].Number {
				t.Fatalf("%s: record %d not found", when, i)
			}
		}
	}
	check(s, "after put")
	if err := s.rebuildPresence(); err != nil {
		t.Fatal(err)
	}
	check(s, "after rebuild")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s, "after reopen")
}

// FuzzDecodeMeta: an index entry of any bytes decodes or errs, never
// panics, and what decodes encodes back to the same bytes.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(Version{Number: 7, ContentTag: []byte("tag")}))
	f.Add(encodeMeta(Version{Number: 1, Tombstone: true}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		if b[8] > 1 {
			return // flag bytes other than 0/1 read as "not a tombstone"
		}
		back := encodeMeta(Version{Number: m.Version, Tombstone: m.Tombstone, ContentTag: m.ContentTag})
		if string(back) != string(b) {
			t.Fatalf("decode/encode changed %x into %x", b, back)
		}
	})
}
