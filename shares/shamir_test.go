package shares

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"math/rand/v2"
	"testing"
)

// seeded returns a deterministic 32-byte seed reader.
func seeded(b byte) io.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 32)) }

func testDealer(t testing.TB, th, n int, seed byte) *Dealer {
	t.Helper()
	d, err := NewDealerWithRand(Params{Threshold: th, Nodes: n}, seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var bigP = new(big.Int).SetUint64(Prime)

func TestFieldAgainstBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	edge := []uint64{0, 1, 2, Prime - 1, Prime - 2, 1 << 60, 1<<61 - 2, 1 << 32, 1<<32 - 1}
	vals := append([]uint64(nil), edge...)
	for range 2000 {
		vals = append(vals, r.Uint64N(Prime))
	}
	ba, bb, want := new(big.Int), new(big.Int), new(big.Int)
	for i, a := range vals {
		b := vals[(i*7+3)%len(vals)]
		ba.SetUint64(a)
		bb.SetUint64(b)
		if got := fadd(a, b); got != want.Add(ba, bb).Mod(want, bigP).Uint64() {
			t.Fatalf("fadd(%d,%d)=%d want %d", a, b, got, want)
		}
		if got := fsub(a, b); got != want.Sub(ba, bb).Mod(want, bigP).Uint64() {
			t.Fatalf("fsub(%d,%d)=%d want %d", a, b, got, want)
		}
		if got := fmul(a, b); got != want.Mul(ba, bb).Mod(want, bigP).Uint64() {
			t.Fatalf("fmul(%d,%d)=%d want %d", a, b, got, want)
		}
		if a != 0 {
			if got := fmul(a, finv(a)); got != 1 {
				t.Fatalf("a*inv(a)=%d for a=%d", got, a)
			}
		}
	}
	for _, a := range edge {
		for _, b := range edge {
			ba.SetUint64(a)
			bb.SetUint64(b)
			if got := fmul(a, b); got != want.Mul(ba, bb).Mod(want, bigP).Uint64() {
				t.Fatalf("fmul(%d,%d)=%d want %d", a, b, got, want)
			}
		}
	}
}

func TestParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		p  Params
		ok bool
	}{
		{Params{1, 1}, true},
		{Params{3, 5}, true},
		{Params{5, 5}, true},
		{Params{255, 255}, true},
		{Params{2, 255}, true},
		{Params{0, 5}, false},
		{Params{-1, 5}, false},
		{Params{6, 5}, false},
		{Params{3, 256}, false},
		{Params{256, 256}, false},
		{Params{0, 0}, false},
	} {
		err := tc.p.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%+v: err=%v want ok=%v", tc.p, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%+v: %v is not ErrInvalidParams", tc.p, err)
		}
		if _, derr := NewDealer(tc.p); (derr == nil) != tc.ok {
			t.Errorf("NewDealer(%+v): %v", tc.p, derr)
		}
	}
	if _, err := NewDealerWithRand(Params{2, 3}, nil); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("nil reader: %v", err)
	}
	if _, err := NewDealerWithRand(Params{2, 3}, bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("short reader accepted")
	}
}

func TestSharedSize(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 64}, {1, 64}, {52, 64}, {53, 128}, {108, 128}, {109, 192},
		{250, 320}, {282, 384}, {-1, 0}, {MaxSecretLen + 1, 0},
	} {
		if got := SharedSize(tc.n); got != tc.want {
			t.Errorf("SharedSize(%d)=%d want %d", tc.n, got, tc.want)
		}
	}
	d := testDealer(t, 2, 3, 1)
	for n := range 200 {
		sh, err := d.Split(make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sh {
			if len(s.Data) != SharedSize(n) {
				t.Fatalf("len %d: share size %d want %d", n, len(s.Data), SharedSize(n))
			}
		}
	}
}

// subsets calls f with every k-subset of 0..n-1 (in increasing order).
func subsets(n, k int, f func([]int)) {
	idx := make([]int, k)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == k {
			f(idx)
			return
		}
		for i := start; i <= n-(k-depth); i++ {
			idx[depth] = i
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
}

func TestSplitCombineAllSubsets(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 10; n++ {
		for th := 1; th <= min(n, 5); th++ {
			d := testDealer(t, th, n, byte(n*16+th))
			for _, size := range []int{0, 1, 52, 53, 250} {
				secret := make([]byte, size)
				for i := range secret {
					secret[i] = byte(r.Uint32())
				}
				sh, err := d.Split(secret)
				if err != nil {
					t.Fatal(err)
				}
				if len(sh) != n {
					t.Fatalf("got %d shares want %d", len(sh), n)
				}
				for i, s := range sh {
					if s.Index != i+1 {
						t.Fatalf("share %d has index %d", i, s.Index)
					}
					if err := s.Validate(); err != nil {
						t.Fatal(err)
					}
				}
				// Every t-subset (exhaustive: at most C(10,5)=252).
				subsets(n, th, func(ix []int) {
					sub := make([]Share, len(ix))
					for i, j := range ix {
						sub[i] = sh[j]
					}
					// Reverse the order too: Combine must not depend on it.
					if len(sub) > 1 && ix[0]%2 == 0 {
						for i, j := 0, len(sub)-1; i < j; i, j = i+1, j-1 {
							sub[i], sub[j] = sub[j], sub[i]
						}
					}
					got, err := Combine(sub, th)
					if err != nil {
						t.Fatalf("n=%d t=%d size=%d subset %v: %v", n, th, size, ix, err)
					}
					if !bytes.Equal(got, secret) {
						t.Fatalf("n=%d t=%d size=%d subset %v: wrong secret", n, th, size, ix)
					}
				})
				// Fewer than t shares.
				if th > 1 {
					if _, err := Combine(sh[:th-1], th); !errors.Is(err, ErrThresholdNotMet) {
						t.Fatalf("t-1 shares: %v", err)
					}
				}
				// All n shares also work (first t used).
				if got, err := Combine(sh, th); err != nil || !bytes.Equal(got, secret) {
					t.Fatalf("all shares: %v", err)
				}
			}
		}
	}
}

func TestCombineErrors(t *testing.T) {
	d := testDealer(t, 3, 5, 9)
	secret := []byte("a registry record")
	sh, _ := d.Split(secret)
	other, _ := d.Split([]byte("a much longer registry record that needs two padding blocks in total"))

	cases := []struct {
		name   string
		shares []Share
		t      int
		want   error
	}{
		{"t=0", sh, 0, ErrInvalidParams},
		{"t=256", sh, 256, ErrInvalidParams},
		{"none", nil, 3, ErrThresholdNotMet},
		{"two", sh[:2], 3, ErrThresholdNotMet},
		{"dup same data", []Share{sh[0], sh[0], sh[1]}, 3, ErrThresholdNotMet},
		{"dup conflicting", []Share{sh[0], {Index: 1, Data: sh[1].Data}, sh[2]}, 3, ErrInvalidShare},
		{"index 0", []Share{{Index: 0, Data: sh[0].Data}, sh[1], sh[2]}, 3, ErrInvalidShare},
		{"index 256", []Share{{Index: 256, Data: sh[0].Data}, sh[1], sh[2]}, 3, ErrInvalidShare},
		{"negative index", []Share{{Index: -1, Data: sh[0].Data}, sh[1], sh[2]}, 3, ErrInvalidShare},
		{"nil data", []Share{{Index: 1}, {Index: 2}, {Index: 3}}, 3, ErrInvalidShare},
		{"short data", []Share{{Index: 1, Data: sh[0].Data[:8]}, sh[1], sh[2]}, 3, ErrInvalidShare},
		{"mismatched lengths", []Share{sh[0], sh[1], other[2]}, 3, ErrInvalidShare},
		{"unreduced element", []Share{{Index: 1, Data: bytes.Repeat([]byte{0xff}, 64)}, sh[1], sh[2]}, 3, ErrInvalidShare},
		{"mixed secrets", []Share{sh[0], sh[1], func() Share { s, _ := d.Split(secret); return s[2] }()}, 3, ErrInvalidShare},
	}
	for _, tc := range cases {
		if _, err := Combine(tc.shares, tc.t); !errors.Is(err, tc.want) {
			t.Errorf("%s: err=%v want %v", tc.name, err, tc.want)
		}
	}
	// Duplicates with the same data are skipped, not fatal.
	if got, err := Combine([]Share{sh[0], sh[0], sh[3], sh[4]}, 3); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("duplicate skip: %v", err)
	}
}

func TestCombiner(t *testing.T) {
	d := testDealer(t, 3, 5, 7)
	c, err := NewCombiner([]int{5, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Indices(); len(got) != 3 || got[0] != 5 {
		t.Fatalf("Indices=%v", got)
	}
	for i := range 50 {
		secret := bytes.Repeat([]byte{byte(i)}, i*5)
		sh, _ := d.Split(secret)
		got, err := c.Combine([]Share{sh[4], sh[1], sh[2]})
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("record %d: %v", i, err)
		}
		if _, err := c.Combine([]Share{sh[1], sh[4], sh[2]}); !errors.Is(err, ErrInvalidShare) {
			t.Fatalf("wrong order: %v", err)
		}
		if _, err := c.Combine(sh[:2]); !errors.Is(err, ErrThresholdNotMet) {
			t.Fatalf("too few: %v", err)
		}
		if _, err := c.Combine(sh[:4]); !errors.Is(err, ErrInvalidShare) {
			t.Fatalf("too many: %v", err)
		}
	}
	for _, bad := range [][]int{{1, 1}, {0, 1}, {1, 256}, {-3}} {
		if _, err := NewCombiner(bad); !errors.Is(err, ErrInvalidShare) {
			t.Errorf("NewCombiner(%v): %v", bad, err)
		}
	}
	if _, err := NewCombiner(nil); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("NewCombiner(nil): %v", err)
	}
	if _, err := NewCombiner(make([]int, 256)); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("NewCombiner(256): %v", err)
	}
}

// refCombine is a big.Int Lagrange interpolation at 0 over GF(p), element by
// element, returning the field elements of the framed secret.
func refCombine(shares []Share) []uint64 {
	m := len(shares[0].Data) / 8
	out := make([]uint64, m)
	for k := range m {
		acc := new(big.Int)
		for i, si := range shares {
			num, den := big.NewInt(1), big.NewInt(1)
			for j, sj := range shares {
				if i == j {
					continue
				}
				num.Mul(num, big.NewInt(int64(sj.Index)))
				den.Mul(den, big.NewInt(int64(sj.Index-si.Index)))
			}
			den.Mod(den, bigP).ModInverse(den, bigP)
			y := new(big.Int).SetUint64(binary.LittleEndian.Uint64(si.Data[8*k:]))
			term := y.Mul(y, num).Mul(y, den)
			acc.Add(acc, term).Mod(acc, bigP)
		}
		out[k] = acc.Uint64()
	}
	return out
}

// frameElements returns the framed secret's field elements.
func frameElements(secret []byte) []uint64 {
	m := elementCount(len(secret))
	fr := make([]byte, m*ElementBytes+1)
	binary.LittleEndian.PutUint32(fr, uint32(len(secret)))
	copy(fr[4:], secret)
	out := make([]uint64, m)
	for k := range out {
		out[k] = binary.LittleEndian.Uint64(fr[k*7:]) & low56
	}
	return out
}

// refEval evaluates the polynomial with the given coefficients at x with big.Int.
func refEval(coef []uint64, x int) uint64 {
	acc, bx := new(big.Int), big.NewInt(int64(x))
	for j := len(coef) - 1; j >= 0; j-- {
		acc.Mul(acc, bx).Add(acc, new(big.Int).SetUint64(coef[j])).Mod(acc, bigP)
	}
	return acc.Uint64()
}

func TestAgainstBigIntReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 200 {
		n := 1 + r.IntN(12)
		th := 1 + r.IntN(n)
		d := testDealer(t, th, n, byte(iter))
		secret := make([]byte, r.IntN(300))
		for i := range secret {
			secret[i] = byte(r.Uint32())
		}
		sh, err := d.Split(secret)
		if err != nil {
			t.Fatal(err)
		}
		// Random t-subset in random order.
		perm := r.Perm(n)[:th]
		sub := make([]Share, th)
		for i, j := range perm {
			sub[i] = sh[j]
		}
		want := frameElements(secret)
		got := refCombine(sub)
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("iter %d: reference interpolation of element %d: %d want %d", iter, k, got[k], want[k])
			}
		}
		// And our Combine on shares made by the reference evaluator.
		refShares := make([]Share, n)
		for i := range refShares {
			refShares[i] = Share{Index: i + 1, Data: make([]byte, 8*len(want))}
		}
		coef := make([]uint64, th)
		for k, s := range want {
			coef[0] = s
			for j := 1; j < th; j++ {
				coef[j] = r.Uint64N(Prime)
			}
			for i := range refShares {
				binary.LittleEndian.PutUint64(refShares[i].Data[8*k:], refEval(coef, i+1))
			}
		}
		for i := range sub {
			sub[i] = refShares[perm[i]]
		}
		dec, err := Combine(sub, th)
		if err != nil || !bytes.Equal(dec, secret) {
			t.Fatalf("iter %d: Combine of reference shares: %v", iter, err)
		}
	}
}

func TestUnframeStrict(t *testing.T) {
	good := func(secret []byte) []byte {
		fr := make([]byte, elementCount(len(secret))*7)
		binary.LittleEndian.PutUint32(fr, uint32(len(secret)))
		copy(fr[4:], secret)
		return fr
	}
	if got, err := unframe(good([]byte("abc"))); err != nil || string(got) != "abc" {
		t.Fatalf("good: %q %v", got, err)
	}
	if got, err := unframe(good(nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q %v", got, err)
	}
	bad := map[string][]byte{}
	b := good([]byte("abc"))
	b[10] = 1
	bad["non-zero padding"] = b
	b = good([]byte("abc"))
	binary.LittleEndian.PutUint32(b, 53)
	bad["prefix > available"] = b
	b = good([]byte("abc"))
	binary.LittleEndian.PutUint32(b, 0xffffffff)
	bad["huge prefix"] = b
	bad["overlong padding"] = append(good([]byte("abc")), make([]byte, 56)...)
	bad["not a block"] = good([]byte("abc"))[:50]
	bad["empty"] = nil
	for name, fr := range bad {
		if _, err := unframe(fr); !errors.Is(err, ErrInvalidShare) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestShareCodec(t *testing.T) {
	d := testDealer(t, 2, 3, 4)
	sh, _ := d.Split([]byte("codec"))
	for _, s := range sh {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Share
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if got.Index != s.Index || !bytes.Equal(got.Data, s.Data) {
			t.Fatal("round trip mismatch")
		}
		b[1] ^= 1
		if got.Data[0] == b[1] {
			t.Fatal("decoded data aliases input")
		}
	}
	for _, b := range [][]byte{nil, {1}, {0, 0, 0, 0, 0, 0, 0, 0, 0}, append([]byte{1}, make([]byte, 63)...)} {
		if _, err := DecodeShare(b); !errors.Is(err, ErrInvalidShare) {
			t.Errorf("DecodeShare(%x): %v", b, err)
		}
	}
	if _, err := (Share{Index: 0, Data: make([]byte, 64)}).MarshalBinary(); !errors.Is(err, ErrInvalidShare) {
		t.Errorf("marshal index 0: %v", err)
	}
}

// TestDealerDeterminismAndFreshness: a fixed seed reproduces, and the same
// secret split twice by one dealer gives different shares.
func TestDealerDeterminismAndFreshness(t *testing.T) {
	secret := []byte("same secret")
	a, _ := testDealer(t, 3, 5, 42).Split(secret)
	b, _ := testDealer(t, 3, 5, 42).Split(secret)
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatal("same seed, different shares")
		}
	}
	d := testDealer(t, 3, 5, 42)
	first, _ := d.Split(secret)
	second, _ := d.Split(secret)
	for i := range first {
		if bytes.Equal(first[i].Data, second[i].Data) {
			t.Fatalf("share %d repeated across splits of the same secret", i+1)
		}
	}
	// t=1 means no randomness: every share is the framed secret itself.
	one, _ := testDealer(t, 1, 3, 1).Split(secret)
	if !bytes.Equal(one[0].Data, one[2].Data) {
		t.Fatal("t=1 shares differ")
	}
}

// TestPrivacyDistribution is a deterministic chi-square sanity check: with
// t=2, a single share's elements look uniform whatever the secret (all-zero
// or all-0xff), and two dealers seeded alike give share-1 elements that
// differ exactly by the secret difference, i.e. the secret is masked by a
// uniform one-time pad.
func TestPrivacyDistribution(t *testing.T) {
	const buckets = 16
	for _, fill := range []byte{0x00, 0xff} {
		d := testDealer(t, 2, 3, 77)
		secret := bytes.Repeat([]byte{fill}, 250)
		var counts [buckets]float64
		total := 0
		for range 400 {
			sh, _ := d.Split(secret)
			for k := 0; k < len(sh[0].Data); k += 8 {
				y := binary.LittleEndian.Uint64(sh[0].Data[k:])
				counts[y>>57]++ // top 4 of 61 bits
				total++
			}
		}
		exp := float64(total) / buckets
		chi := 0.0
		for _, c := range counts {
			chi += (c - exp) * (c - exp) / exp
		}
		// 15 degrees of freedom: P(chi2 > 37.7) ≈ 0.001. The seed is fixed,
		// so this is deterministic; a biased sampler would blow far past it.
		if chi > 37.7 {
			t.Errorf("fill %#x: chi-square %.1f over %d samples", fill, chi, total)
		}
	}
	s0, s1 := make([]byte, 100), bytes.Repeat([]byte{0xff}, 100)
	a, _ := testDealer(t, 2, 2, 5).Split(s0)
	b, _ := testDealer(t, 2, 2, 5).Split(s1)
	e0, e1 := frameElements(s0), frameElements(s1)
	for k := range e0 {
		ya := binary.LittleEndian.Uint64(a[0].Data[8*k:])
		yb := binary.LittleEndian.Uint64(b[0].Data[8*k:])
		if fsub(yb, ya) != fsub(e1[k], e0[k]) {
			t.Fatalf("element %d: share difference is not the secret difference", k)
		}
	}
}
