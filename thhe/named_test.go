package thhe

import (
	"errors"
	"testing"
)

func TestParamsByNameAndID(t *testing.T) {
	for _, name := range []string{"production", "test"} {
		p, err := ParamsByName(name)
		if err != nil {
			t.Fatal(err)
		}
		id := p.ID()
		q, err := ParamsByID(id[:])
		if err != nil {
			t.Fatal(err)
		}
		if q.ID() != id || q.LogN() != p.LogN() {
			t.Fatalf("%s: ParamsByID gave another set", name)
		}
	}
	if _, err := ParamsByName("fast"); !errors.Is(err, ErrUnknownParams) {
		t.Fatalf("unknown name: %v", err)
	}
	if _, err := ParamsByID([]byte("12345678")); !errors.Is(err, ErrUnknownParams) {
		t.Fatalf("unknown id: %v", err)
	}
}
