package shares

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"go.dedis.ch/kyber/v3"
	"go.dedis.ch/kyber/v3/group/mod"
	"go.dedis.ch/kyber/v3/share"
)

// fieldGroup is a test-only kyber.Group whose scalars are mod.Int over our
// prime p = 2^61 − 1. Only the scalar side is used by share.PriPoly and
// share.RecoverSecret.
type fieldGroup struct{}

func (fieldGroup) String() string       { return "GF(2^61-1)" }
func (fieldGroup) ScalarLen() int       { return 8 }
func (fieldGroup) Scalar() kyber.Scalar { return mod.NewInt64(0, bigP) }
func (fieldGroup) PointLen() int        { return 0 }
func (fieldGroup) Point() kyber.Point   { panic("fieldGroup: points are not supported") }

func scalarU64(t *testing.T, s kyber.Scalar) uint64 {
	t.Helper()
	v, ok := s.(*mod.Int)
	if !ok || !v.V.IsUint64() || v.V.Uint64() >= Prime {
		t.Fatalf("unexpected scalar %v", s)
	}
	return v.V.Uint64()
}

// testStream is a deterministic cipher.Stream for kyber's Pick.
func testStream(seed byte) cipher.Stream {
	b, err := aes.NewCipher(bytes.Repeat([]byte{seed}, 16))
	if err != nil {
		panic(err)
	}
	return cipher.NewCTR(b, make([]byte, 16))
}

// TestKyberRecoversOurShares: kyber's RecoverSecret, run element by element
// on our shares (kyber index I = our Index − 1), yields our framed secret.
func TestKyberRecoversOurShares(t *testing.T) {
	g := fieldGroup{}
	r := rand.New(rand.NewPCG(7, 8))
	for iter := range 40 {
		n := 1 + r.IntN(8)
		th := 1 + r.IntN(n)
		secret := make([]byte, r.IntN(200))
		for i := range secret {
			secret[i] = byte(r.Uint32())
		}
		sh, err := testDealer(t, th, n, byte(iter)).Split(secret)
		if err != nil {
			t.Fatal(err)
		}
		perm := r.Perm(n)[:th]
		want := frameElements(secret)
		for k, e := range want {
			pri := make([]*share.PriShare, 0, th)
			for _, j := range perm {
				y := binary.LittleEndian.Uint64(sh[j].Data[8*k:])
				pri = append(pri, &share.PriShare{I: sh[j].Index - 1, V: mod.NewInt64(int64(y), bigP)})
			}
			s, err := share.RecoverSecret(g, pri, th, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := scalarU64(t, s); got != e {
				t.Fatalf("iter %d element %d: kyber recovered %d want %d", iter, k, got, e)
			}
		}
	}
}

// TestOurCombineOnKyberShares: kyber deals each framed element with
// share.NewPriPoly; our Combine (any t shares, any order) yields the secret,
// and our Lagrange coefficients also recover kyber's random secrets.
func TestOurCombineOnKyberShares(t *testing.T) {
	g := fieldGroup{}
	r := rand.New(rand.NewPCG(9, 10))
	for iter := range 40 {
		n := 1 + r.IntN(8)
		th := 1 + r.IntN(n)
		stream := testStream(byte(iter))
		secret := make([]byte, r.IntN(200))
		for i := range secret {
			secret[i] = byte(r.Uint32())
		}
		elems := frameElements(secret)
		sh := make([]Share, n)
		for i := range sh {
			sh[i] = Share{Index: i + 1, Data: make([]byte, 8*len(elems))}
		}
		for k, e := range elems {
			poly := share.NewPriPoly(g, th, mod.NewInt64(int64(e), bigP), stream)
			for _, ps := range poly.Shares(n) {
				binary.LittleEndian.PutUint64(sh[ps.I].Data[8*k:], scalarU64(t, ps.V))
			}
		}
		perm := r.Perm(n)[:th]
		sub := make([]Share, th)
		idx := make([]int, th)
		for i, j := range perm {
			sub[i], idx[i] = sh[j], sh[j].Index
		}
		got, err := Combine(sub, th)
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("iter %d: Combine on kyber shares: %v", iter, err)
		}

		// Random full-field secrets (s = nil: kyber picks it).
		c, err := NewCombiner(idx)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			poly := share.NewPriPoly(g, th, nil, stream)
			all := poly.Shares(n)
			var acc uint64
			for i, j := range perm {
				acc = fadd(acc, fmul(c.lambda[i], scalarU64(t, all[j].V)))
			}
			if want := scalarU64(t, poly.Secret()); acc != want {
				t.Fatalf("iter %d: interpolated %d, kyber secret %d", iter, acc, want)
			}
		}
	}
}
