package thhe

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"
)

// Lattigo's arithmetic trusts the shapes of its inputs and panics (or reads
// out of bounds) on a polynomial of the wrong degree or level. Everything
// that crosses a trust boundary is checked here first.

func checkPoly(n, level int, p ring.Poly) error {
	if len(p.Coeffs) != level+1 {
		return fmt.Errorf("polynomial has %d RNS limbs, want %d", len(p.Coeffs), level+1)
	}
	for _, row := range p.Coeffs {
		if len(row) != n {
			return fmt.Errorf("polynomial limb has %d coefficients, want %d", len(row), n)
		}
	}
	return nil
}

func checkQP(params Params, p ringqp.Poly) error {
	if err := checkPoly(params.N(), params.MaxLevelQ(), p.Q); err != nil {
		return err
	}
	return checkPoly(params.N(), params.MaxLevelP(), p.P)
}

// checkGadget checks a gadget ciphertext (RKG / Galois share) against a
// freshly allocated one of the expected shape.
func checkGadget(params Params, got, want rlwe.GadgetCiphertext) error {
	if got.BaseTwoDecomposition != want.BaseTwoDecomposition || len(got.Value) != len(want.Value) {
		return fmt.Errorf("gadget ciphertext has the wrong shape")
	}
	for i := range want.Value {
		if len(got.Value[i]) != len(want.Value[i]) {
			return fmt.Errorf("gadget ciphertext has the wrong shape")
		}
		for j := range want.Value[i] {
			if len(got.Value[i][j]) != len(want.Value[i][j]) {
				return fmt.Errorf("gadget ciphertext has the wrong degree")
			}
			for k := range want.Value[i][j] {
				if err := checkQP(params, got.Value[i][j][k]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkCiphertext accepts a degree-1 NTT ciphertext at a valid level.
func checkCiphertext(params Params, ct *rlwe.Ciphertext) error {
	if ct == nil || ct.MetaData == nil {
		return fmt.Errorf("thhe: nil ciphertext")
	}
	if len(ct.Value) != 2 {
		return fmt.Errorf("thhe: ciphertext of degree %d, want 1 (relinearise first)", len(ct.Value)-1)
	}
	level := len(ct.Value[0].Coeffs) - 1
	if level < 0 || level > params.MaxLevel() {
		return fmt.Errorf("thhe: ciphertext level %d out of range", level)
	}
	for _, v := range ct.Value {
		if err := checkPoly(params.N(), level, v); err != nil {
			return fmt.Errorf("thhe: ciphertext: %w", err)
		}
	}
	if !ct.IsNTT {
		return fmt.Errorf("thhe: ciphertext not in NTT form")
	}
	return nil
}

func checkPublicKey(params Params, pk *rlwe.PublicKey) error {
	if pk == nil || len(pk.Value) != 2 {
		return fmt.Errorf("thhe: malformed public key")
	}
	for _, v := range pk.Value {
		if err := checkQP(params, v); err != nil {
			return fmt.Errorf("thhe: public key: %w", err)
		}
	}
	return nil
}
