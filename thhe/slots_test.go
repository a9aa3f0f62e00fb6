package thhe

import (
	"bytes"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// switchAndDecrypt key-switches ct to a fresh target key and decrypts it.
func switchAndDecrypt(t *testing.T, f *fixture, ct *rlwe.Ciphertext) []int64 {
	t.Helper()
	tsk, tpk := NewTargetKeyPair(f.g.Params)
	out, err := keySwitch(f.g, f.parties, mustSet(t, f.g, 1, 2, 3), ct, tpk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(f.g.Params, tsk, out)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSlotOps(t *testing.T) {
	f := getFixture(t)
	params := f.g.Params
	ev := NewEvaluator(params, f.keys)
	n := params.Slots()
	vals := randomValues(n, 1<<20, 21)
	ct, err := Encrypt(params, f.pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	mask := make([]uint64, n)
	for i := range mask {
		mask[i] = uint64(i % 3 % 2)
	}
	masked, err := ev.MulPlainRescale(ct, mask)
	if err != nil {
		t.Fatal(err)
	}
	if masked.Level() != ct.Level()-1 {
		t.Fatalf("level %d after one rescale from %d", masked.Level(), ct.Level())
	}
	rotC, err := ev.RotateColumns(masked, 4)
	if err != nil {
		t.Fatal(err)
	}
	rotR, err := ev.RotateRows(masked)
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := ev.DropToLevel(rotC, MinKeySwitchLevel)
	if err != nil {
		t.Fatal(err)
	}
	if dropped.Level() != MinKeySwitchLevel {
		t.Fatalf("dropped to level %d", dropped.Level())
	}
	half := n / 2
	want := func(i int) int64 { return vals[i] * int64(mask[i]) }
	for _, tc := range []struct {
		name string
		ct   *rlwe.Ciphertext
		at   func(i int) int64
	}{
		{"mask", masked, want},
		{"rotate columns", dropped, func(i int) int64 { r, c := i/half, i%half; return want(r*half + (c+4)%half) }},
		{"rotate rows", rotR, func(i int) int64 { return want((i + half) % n) }},
	} {
		got := switchAndDecrypt(t, f, tc.ct)
		for i := range got {
			if got[i] != tc.at(i) {
				t.Fatalf("%s: slot %d = %d, want %d", tc.name, i, got[i], tc.at(i))
			}
		}
	}
	for _, k := range []int{0, 3, half, -1, 2 * half} {
		if _, err := ev.RotateColumns(masked, k); err == nil {
			t.Fatalf("rotation by %d accepted", k)
		}
	}
	low, _ := ev.DropToLevel(ct, 0)
	if _, err := ev.MulPlainRescale(low, mask); err == nil {
		t.Fatal("rescale at level 0 accepted")
	}
	if _, err := ev.MulPlainRescale(ct, []uint64{PlaintextModulus}); err == nil {
		t.Fatal("unreduced plaintext accepted")
	}
	if _, err := ev.DropToLevel(masked, masked.Level()+1); err == nil {
		t.Fatal("drop to a higher level accepted")
	}
	if _, err := ZeroCiphertext(params, params.MaxLevel()+1); err == nil {
		t.Fatal("zero ciphertext above the top level")
	}
	z, _ := ZeroCiphertext(params, 1)
	for i, v := range switchAndDecrypt(t, f, z) {
		if v != 0 {
			t.Fatalf("zero ciphertext: slot %d = %d", i, v)
		}
	}
}

func TestRerandomize(t *testing.T) {
	f := getFixture(t)
	params := f.g.Params
	vals := randomValues(params.Slots(), 1<<20, 22)
	ct, err := Encrypt(params, f.pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvaluator(params, f.keys)
	low, _ := ev.DropToLevel(ct, 1)
	for _, in := range []*rlwe.Ciphertext{ct, low} {
		a, err := Rerandomize(params, f.pk, in, [32]byte{7})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Rerandomize(params, f.pk, in, [32]byte{7})
		c, _ := Rerandomize(params, f.pk, in, [32]byte{8})
		ea, _ := EncodeCiphertext(params, a)
		eb, _ := EncodeCiphertext(params, b)
		ec, _ := EncodeCiphertext(params, c)
		ein, _ := EncodeCiphertext(params, in)
		if !bytes.Equal(ea, eb) || bytes.Equal(ea, ec) || bytes.Equal(ea, ein) {
			t.Fatalf("level %d: same seed equal %v, other seed equal %v, input equal %v", in.Level(), bytes.Equal(ea, eb), bytes.Equal(ea, ec), bytes.Equal(ea, ein))
		}
		got := switchAndDecrypt(t, f, a)
		for i := range got {
			if got[i] != vals[i] {
				t.Fatalf("level %d: slot %d = %d, want %d", in.Level(), i, got[i], vals[i])
			}
		}
	}
	if _, err := Rerandomize(params, nil, ct, [32]byte{}); err == nil {
		t.Fatal("nil key accepted")
	}
}
