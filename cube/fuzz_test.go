package cube

import (
	"bytes"
	"testing"

	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// fuzzSeeds returns the parameters and a valid delta and state of the tiny
// schema (under a throwaway key: the decoders never see keys).
func fuzzSeeds(f *testing.F) (params thhe.Params, delta, state []byte) {
	params, err := thhe.TestParams()
	if err != nil {
		f.Fatal(err)
	}
	_, pk := thhe.NewTargetKeyPair(params)
	s := tiny(f)
	a, err := NewAccumulator(s, params.Slots())
	if err != nil {
		f.Fatal(err)
	}
	if err := a.Add(registry.Record{Values: []string{"x", "blue", "1999-12-31", "77"}}, 1); err != nil {
		f.Fatal(err)
	}
	d, err := a.Encrypt(params, pk)
	if err != nil {
		f.Fatal(err)
	}
	st, err := NewState(params, s)
	if err != nil {
		f.Fatal(err)
	}
	if err := st.Fold(d); err != nil {
		f.Fatal(err)
	}
	delta, _ = d.MarshalBinary()
	if state, err = st.MarshalBinary(); err != nil {
		f.Fatal(err)
	}
	return params, delta, state
}

func addSeeds(f *testing.F, valid []byte) {
	f.Add(valid)
	f.Add(valid[:40])
	f.Add(valid[:len(valid)-1])
	f.Add([]byte("ECUB"))
	f.Add([]byte{})
}

func FuzzDecodeDelta(f *testing.F) {
	params, delta, _ := fuzzSeeds(f)
	addSeeds(f, delta)
	s := tiny(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDelta(params, s, b)
		if err != nil {
			return
		}
		if enc, _ := d.MarshalBinary(); !bytes.Equal(enc, b) {
			t.Fatal("a decoded delta does not keep its bytes")
		}
		st, _ := NewState(params, s)
		if err := st.Fold(d); err != nil {
			t.Fatalf("a decoded delta does not fold: %v", err)
		}
	})
}

func FuzzDecodeState(f *testing.F) {
	params, _, state := fuzzSeeds(f)
	addSeeds(f, state)
	s := tiny(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := DecodeState(params, s, b)
		if err != nil {
			return
		}
		enc, err := st.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		st2, err := DecodeState(params, s, enc)
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if enc2, _ := st2.MarshalBinary(); !bytes.Equal(enc, enc2) {
			t.Fatal("state encoding is not stable")
		}
	})
}
