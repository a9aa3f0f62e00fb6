package store

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestStatsStoredOncePerBatch(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	seal, leaves, vs := benchBatch(10)
	stored, isNew, err := s.PutBatchStats("population", seal, leaves, vs, []byte("delta-1"))
	if err != nil || stored != 10 || !isNew {
		t.Fatalf("first delivery: stored %d new %v err %v", stored, isNew, err)
	}
	stored, isNew, err = s.PutBatchStats("population", seal, leaves, vs, []byte("delta-1"))
	if err != nil || stored != 0 || isNew {
		t.Fatalf("second delivery: stored %d new %v err %v; want nothing new", stored, isNew, err)
	}
	seal2, leaves2, vs2 := benchBatch(5)
	if _, isNew, err := s.PutBatchStats("population", seal2, leaves2, vs2, nil); err != nil || !isNew {
		t.Fatalf("batch without statistics: new %v err %v", isNew, err)
	}
	s.Close()
	// After a restart both entries are there, the second one empty.
	s, err = Open(dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]string{}
	if err := s.EachStats("population", func(root, delta []byte) error {
		got[string(root)] = string(delta)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[string(seal.Root)] != "delta-1" || got[string(seal2.Root)] != "" {
		t.Fatalf("stats after restart: %q", got)
	}
	if err := s.EachStats("land", func(_, _ []byte) error { t.Fatal("land has no statistics"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestReserveAttemptDurable(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	id := [32]byte(bytes.Repeat([]byte{4}, 32))
	now := time.Unix(1_800_000_000, 0)
	if err := s.ReserveAttempt(id, 1, now); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveAttempt(id, 1, now); !errors.Is(err, ErrAttemptUsed) {
		t.Fatalf("second reservation: %v, want ErrAttemptUsed", err)
	}
	if err := s.ReserveAttempt(id, 2, now); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.ReserveAttempt(id, 2, now); !errors.Is(err, ErrAttemptUsed) {
		t.Fatalf("after restart: %v, want ErrAttemptUsed", err)
	}
	got, err := s.Attempts(id)
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("Attempts = %v, %v", got, err)
	}
	other, err := s.Attempts([32]byte{})
	if err != nil || len(other) != 0 {
		t.Fatalf("another query has attempts %v, %v", other, err)
	}
}

func TestPruneAttempts(t *testing.T) {
	s, err := Open(t.TempDir(), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old, recent := [32]byte{1}, [32]byte{2}
	base := time.Unix(1_800_000_000, 0)
	if err := s.ReserveAttempt(old, 1, base); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveAttempt(recent, 1, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneAttempts(base.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if got, _ := s.Attempts(old); len(got) != 0 {
		t.Fatalf("old attempts kept: %v", got)
	}
	if got, _ := s.Attempts(recent); len(got) != 1 {
		t.Fatalf("recent attempts lost: %v", got)
	}
}
