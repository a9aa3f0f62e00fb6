package thhe

import (
	"testing"
)

// benchFixture builds a complete n=5, t=3 group for params.
func benchFixture(b *testing.B, params Params) *fixture {
	b.Helper()
	g, err := NewGroup(params, 5, 3)
	if err != nil {
		b.Fatal(err)
	}
	parties, err := setupParties(g)
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{g: g, parties: parties}
	set := ActiveSet{1, 2, 3}
	if f.pk, err = runCKG(g, parties, set, newSeed(b)); err != nil {
		b.Fatal(err)
	}
	if f.keys.Relin, err = runRKG(g, parties, set, newSeed(b)); err != nil {
		b.Fatal(err)
	}
	if f.keys.Galois, err = runGKG(g, parties, set, newSeed(b)); err != nil {
		b.Fatal(err)
	}
	return f
}

func benchParams(b *testing.B) []struct {
	name string
	get  func() (Params, error)
} {
	ps := []struct {
		name string
		get  func() (Params, error)
	}{{"LogN12-test", TestParams}}
	if !testing.Short() {
		ps = append(ps, struct {
			name string
			get  func() (Params, error)
		}{"LogN14-production", ProductionParams})
	}
	return ps
}

func BenchmarkProtocols(b *testing.B) {
	for _, bp := range benchParams(b) {
		b.Run(bp.name, func(b *testing.B) {
			params, err := bp.get()
			if err != nil {
				b.Fatal(err)
			}
			f := benchFixture(b, params)
			set := ActiveSet{1, 2, 3}
			p := f.parties[1]
			ev := NewEvaluator(params, f.keys)
			_, tpk := NewTargetKeyPair(params)
			vals := randomValues(params.Slots(), 1<<20, 1)
			ind := randomValues(params.Slots(), 2, 2)

			b.Run("CKGShare", func(b *testing.B) {
				seed := newSeed(b)
				for b.Loop() {
					if _, err := p.CKGShare(set, seed); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("RKGShareRound1", func(b *testing.B) {
				for b.Loop() {
					if _, err := p.RKGShareRound1(set, newSeed(b)); err != nil {
						b.Fatal(err)
					}
				}
			})
			// One Galois element: the unit the node's setup moves and stores.
			el := InnerSumGaloisElements(params)[0]
			gkgSeed := newSeed(b)
			b.Run("GKGShare", func(b *testing.B) {
				for b.Loop() {
					if _, err := p.GKGShare(set, gkgSeed, el); err != nil {
						b.Fatal(err)
					}
				}
			})
			var gkgShares []*GKGShare
			for _, id := range set {
				s, err := f.parties[id].GKGShare(set, gkgSeed, el)
				if err != nil {
					b.Fatal(err)
				}
				gkgShares = append(gkgShares, s)
			}
			b.Run("AggregateGKG", func(b *testing.B) {
				for b.Loop() {
					if _, err := AggregateGKG(f.g, gkgSeed, el, gkgShares); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("EncodeDecodeGaloisKey", func(b *testing.B) {
				enc, err := EncodeGaloisKey(params, f.keys.Galois[0])
				if err != nil {
					b.Fatal(err)
				}
				share, err := gkgShares[0].MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(share)), "share-bytes")
				b.ReportMetric(float64(len(enc)), "key-bytes")
				for b.Loop() {
					if _, err := DecodeGaloisKey(params, enc); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Encrypt", func(b *testing.B) {
				for b.Loop() {
					if _, err := Encrypt(params, f.pk, vals); err != nil {
						b.Fatal(err)
					}
				}
			})
			cv, _ := Encrypt(params, f.pk, vals)
			ci, _ := Encrypt(params, f.pk, ind)
			b.Run("InnerSum", func(b *testing.B) {
				for b.Loop() {
					if _, err := ev.InnerSum(cv); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Mul", func(b *testing.B) {
				for b.Loop() {
					if _, err := ev.Mul(cv, ci); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("KeySwitchShare", func(b *testing.B) {
				// A share is once per ciphertext: each iteration needs a new
				// one (made outside the timer by re-encrypting).

				for b.Loop() {
					b.StopTimer()
					ct, err := Encrypt(params, f.pk, vals[:8])
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if _, err := p.KeySwitchShare(set, ct, tpk, "bench"); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
