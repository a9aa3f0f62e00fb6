package shares

import "math/bits"

// Arithmetic in the prime field GF(p) with the Mersenne prime p = 2^61 − 1.
//
// Elements are uint64 values in [0, p). Reduction uses 2^61 ≡ 1 (mod p):
// a value x = hi·2^61 + lo is congruent to hi + lo.

// Prime is the field modulus p = 2^61 − 1.
const Prime uint64 = 1<<61 - 1

// fadd returns a+b mod p for a, b < p.
func fadd(a, b uint64) uint64 {
	s := a + b // < 2^62
	s = (s & Prime) + (s >> 61)
	if s >= Prime {
		s -= Prime
	}
	return s
}

// fsub returns a−b mod p for a, b < p.
func fsub(a, b uint64) uint64 {
	return fadd(a, Prime-b)
}

// fmul returns a·b mod p for a, b < p.
func fmul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b) // product < 2^122, so hi < 2^58
	// a·b = hi·2^64 + lo = (hi<<3 | lo>>61)·2^61 + (lo & p)
	x := (lo & Prime) + (hi<<3 | lo>>61) // < 2^61 + 2^61
	x = (x & Prime) + (x >> 61)
	if x >= Prime {
		x -= Prime
	}
	return x
}

// mulSmallLazy returns a value ≡ y·x (mod p) below 2^61 + 2^10, for any
// y < 2^63 and x < 2^8 (an evaluation point). It skips the final
// conditional subtraction, so Horner steps can chain it with plain adds.
func mulSmallLazy(y, x uint64) uint64 {
	hi, lo := bits.Mul64(y, x) // < 2^71, so hi < 2^7
	return (lo & Prime) + (hi<<3 | lo>>61)
}

// canon maps y < 2^64 to its canonical representative in [0, p).
func canon(y uint64) uint64 {
	y = (y & Prime) + (y >> 61) // < 2^61 + 8
	if y >= Prime {
		y -= Prime
	}
	return y
}

// fpow returns a^e mod p.
func fpow(a, e uint64) uint64 {
	r := uint64(1)
	for e > 0 {
		if e&1 == 1 {
			r = fmul(r, a)
		}
		a = fmul(a, a)
		e >>= 1
	}
	return r
}

// finv returns a^-1 mod p for a ≠ 0 (Fermat: a^(p−2)); finv(0) = 0.
func finv(a uint64) uint64 {
	return fpow(a, Prime-2)
}
