package shares

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestLazyReduction(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	bound := uint64(1)<<62 + 1<<11
	ys := []uint64{0, 1, Prime - 1, Prime, bound - 1, 1<<63 - 1}
	for range 5000 {
		ys = append(ys, r.Uint64N(bound))
	}
	want, by := new(big.Int), new(big.Int)
	for _, y := range ys {
		for x := uint64(0); x <= MaxNodes; x++ {
			z := mulSmallLazy(y, x)
			if z >= 1<<61+1<<10 {
				t.Fatalf("mulSmallLazy(%d,%d)=%d too large", y, x, z)
			}
			by.SetUint64(y)
			w := want.Mul(by, new(big.Int).SetUint64(x)).Mod(want, bigP).Uint64()
			if canon(z) != w {
				t.Fatalf("mulSmallLazy(%d,%d) ≢ %d", y, x, w)
			}
			if z+Prime-1 >= bound {
				t.Fatalf("Horner step may exceed the bound")
			}
		}
		by.SetUint64(y)
		if canon(y) != want.Mod(by, bigP).Uint64() {
			t.Fatalf("canon(%d)", y)
		}
	}
}

func TestInvSmall(t *testing.T) {
	for d := uint64(1); d <= MaxNodes; d++ {
		if fmul(invSmall[d], d) != 1 || invSmall[d] != finv(d) {
			t.Fatalf("invSmall[%d] wrong", d)
		}
	}
}
