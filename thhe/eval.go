package thhe

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// EvaluationKeys are the collective keys an evaluator needs.
type EvaluationKeys struct {
	Relin  *rlwe.RelinearizationKey
	Galois []*rlwe.GaloisKey
}

// Encrypt encodes values (at most params.Slots(), the rest zero) and
// encrypts them under pk at the top level. Values must lie in
// [-MaxSlotValue, MaxSlotValue].
func Encrypt(params Params, pk *rlwe.PublicKey, values []int64) (*rlwe.Ciphertext, error) {
	if err := checkPublicKey(params, pk); err != nil {
		return nil, err
	}
	if len(values) > params.Slots() {
		return nil, fmt.Errorf("thhe: %d values, a ciphertext holds %d", len(values), params.Slots())
	}
	for i, v := range values {
		if v > MaxSlotValue || v < -MaxSlotValue {
			return nil, fmt.Errorf("thhe: value %d at %d outside ±%d", v, i, MaxSlotValue)
		}
	}
	pt := bgv.NewPlaintext(params.Parameters, params.MaxLevel())
	if err := bgv.NewEncoder(params.Parameters).Encode(values, pt); err != nil {
		return nil, fmt.Errorf("thhe: encode: %w", err)
	}
	ct, err := rlwe.NewEncryptor(params.Parameters, pk).EncryptNew(pt)
	if err != nil {
		return nil, fmt.Errorf("thhe: encrypt: %w", err)
	}
	return ct, nil
}

// NewTargetKeyPair generates the key pair of a querier (the target of a key
// switch). Only the querier keeps the secret key.
func NewTargetKeyPair(params Params) (*rlwe.SecretKey, *rlwe.PublicKey) {
	return rlwe.NewKeyGenerator(params.Parameters).GenKeyPairNew()
}

// Decrypt decrypts ct with sk and decodes all slots as signed integers in
// [-MaxSlotValue, MaxSlotValue].
func Decrypt(params Params, sk *rlwe.SecretKey, ct *rlwe.Ciphertext) ([]int64, error) {
	if err := checkCiphertext(params, ct); err != nil {
		return nil, err
	}
	pt := rlwe.NewDecryptor(params.Parameters, sk).DecryptNew(ct)
	out := make([]int64, params.Slots())
	if err := bgv.NewEncoder(params.Parameters).Decode(pt, out); err != nil {
		return nil, fmt.Errorf("thhe: decode: %w", err)
	}
	return out, nil
}

// Evaluator computes on ciphertexts under the collective key. It is not
// safe for concurrent use; use one per goroutine.
type Evaluator struct {
	params Params
	ev     *bgv.Evaluator
}

// NewEvaluator builds an evaluator with the collective evaluation keys
// (either may be nil if the corresponding operations are not used).
func NewEvaluator(params Params, keys EvaluationKeys) *Evaluator {
	evk := rlwe.NewMemEvaluationKeySet(keys.Relin, keys.Galois...)
	return &Evaluator{params: params, ev: bgv.NewEvaluator(params.Parameters, evk)}
}

// Add returns a + b (slot-wise).
func (e *Evaluator) Add(a, b *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, a); err != nil {
		return nil, err
	}
	if err := checkCiphertext(e.params, b); err != nil {
		return nil, err
	}
	out, err := e.ev.AddNew(a, b)
	if err != nil {
		return nil, fmt.Errorf("thhe: add: %w", err)
	}
	return out, nil
}

// Mul returns a * b (slot-wise), relinearised and rescaled: one level lower
// than its inputs. Needs the relinearisation key.
func (e *Evaluator) Mul(a, b *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, a); err != nil {
		return nil, err
	}
	if err := checkCiphertext(e.params, b); err != nil {
		return nil, err
	}
	if min(a.Level(), b.Level()) < 1 {
		return nil, fmt.Errorf("thhe: no level left to multiply")
	}
	out, err := e.ev.MulRelinNew(a, b)
	if err != nil {
		return nil, fmt.Errorf("thhe: multiply: %w", err)
	}
	if err := e.ev.Rescale(out, out); err != nil {
		return nil, fmt.Errorf("thhe: rescale: %w", err)
	}
	return out, nil
}

// InnerSum returns a ciphertext whose every slot holds the sum of all slots
// of ct. Needs the Galois keys for InnerSumGaloisElements.
func (e *Evaluator) InnerSum(ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, ct); err != nil {
		return nil, err
	}
	out := bgv.NewCiphertext(e.params.Parameters, 1, ct.Level())
	// Slots form a 2 × N/2 matrix: sum each row, then add the swapped rows.
	if err := e.ev.InnerSum(ct, 1, e.params.N()>>1, out); err != nil {
		return nil, fmt.Errorf("thhe: inner sum: %w", err)
	}
	rot, err := e.ev.RotateRowsNew(out)
	if err != nil {
		return nil, fmt.Errorf("thhe: rotate rows: %w", err)
	}
	if err := e.ev.Add(out, rot, out); err != nil {
		return nil, fmt.Errorf("thhe: add: %w", err)
	}
	return out, nil
}

// FilteredSum returns InnerSum(values * indicator): with a 0/1 indicator,
// the sum of the selected values (and with values all 1, a count).
func (e *Evaluator) FilteredSum(values, indicator *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	prod, err := e.Mul(values, indicator)
	if err != nil {
		return nil, err
	}
	return e.InnerSum(prod)
}
