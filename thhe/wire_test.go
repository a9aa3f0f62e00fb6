package thhe

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// encodings holds one valid encoding of every wire type, made once.
type encodings struct {
	threshold, ckg, rkg1, rkgAgg, rkg2, gkg, keySwitch, ciphertext, publicKey, relinKey, galoisKey []byte
}

var (
	encOnce sync.Once
	encs    encodings
	encErr  error
)

func getEncodings(t testing.TB) encodings {
	t.Helper()
	getFixture(t)
	encOnce.Do(func() { encs, encErr = makeEncodings() })
	if encErr != nil {
		t.Fatal(encErr)
	}
	return encs
}

func makeEncodings() (e encodings, err error) {
	// A fresh group: the fixture's parties have erased their contributions.
	params, err := TestParams()
	if err != nil {
		return e, err
	}
	g, err := NewGroup(params, 4, 2)
	if err != nil {
		return e, err
	}
	p1, err := NewParty(g, 1)
	if err != nil {
		return e, err
	}
	ts, err := p1.ThresholdShares()
	if err != nil {
		return e, err
	}
	if e.threshold, err = ts[3].MarshalBinary(); err != nil {
		return e, err
	}
	f := fix
	set := ActiveSet{2, 4, 5}
	seed := Seed{1, 2, 3}
	ck, err := f.parties[2].CKGShare(set, seed)
	if err != nil {
		return e, err
	}
	if e.ckg, err = ck.MarshalBinary(); err != nil {
		return e, err
	}
	var r1 []*RKGShare
	for _, id := range set {
		s, err := f.parties[id].RKGShareRound1(set, seed)
		if err != nil {
			return e, err
		}
		r1 = append(r1, s)
	}
	if e.rkg1, err = r1[0].MarshalBinary(); err != nil {
		return e, err
	}
	agg, err := AggregateRKGRound1(f.g, seed, r1)
	if err != nil {
		return e, err
	}
	if e.rkgAgg, err = agg.MarshalBinary(); err != nil {
		return e, err
	}
	r2, err := f.parties[4].RKGShareRound2(agg)
	if err != nil {
		return e, err
	}
	if e.rkg2, err = r2.MarshalBinary(); err != nil {
		return e, err
	}
	gk, err := f.parties[5].GKGShare(set, seed, InnerSumGaloisElements(f.g.Params)[2])
	if err != nil {
		return e, err
	}
	if e.gkg, err = gk.MarshalBinary(); err != nil {
		return e, err
	}
	_, tpk := NewTargetKeyPair(f.g.Params)
	ct, err := Encrypt(f.g.Params, f.pk, []int64{5, -6, 7})
	if err != nil {
		return e, err
	}
	ks, err := f.parties[2].KeySwitchShare(set, ct, tpk, "test")
	if err != nil {
		return e, err
	}
	if e.keySwitch, err = ks.MarshalBinary(); err != nil {
		return e, err
	}
	if e.ciphertext, err = EncodeCiphertext(f.g.Params, ct); err != nil {
		return e, err
	}
	if e.publicKey, err = EncodePublicKey(f.g.Params, tpk); err != nil {
		return e, err
	}
	if e.relinKey, err = EncodeRelinKey(f.g.Params, f.keys.Relin); err != nil {
		return e, err
	}
	if e.galoisKey, err = EncodeGaloisKey(f.g.Params, f.keys.Galois[1]); err != nil {
		return e, err
	}
	return e, nil
}

// codec is one decoder with its re-encoder, for round trips and fuzzing.
type codec struct {
	name   string
	sample func(encodings) []byte
	group  func(*fixture) Group
	decode func(Group, []byte) (func() ([]byte, error), error)
}

func fixGroup(f *fixture) Group { return f.g }

// thresholdGroup is the 4-party, t=2 group the threshold share was made in.
func thresholdGroup(f *fixture) Group {
	g, _ := NewGroup(f.g.Params, 4, 2)
	return g
}

var codecs = []codec{
	{"threshold", func(e encodings) []byte { return e.threshold }, thresholdGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		s, err := g.DecodeThresholdShare(b)
		if err != nil {
			return nil, err
		}
		return s.MarshalBinary, nil
	}},
	{"ckg", func(e encodings) []byte { return e.ckg }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		s, err := g.DecodeCKGShare(b)
		if err != nil {
			return nil, err
		}
		return s.MarshalBinary, nil
	}},
	{"rkg1", func(e encodings) []byte { return e.rkg1 }, fixGroup, decodeRKG},
	{"rkgAgg", func(e encodings) []byte { return e.rkgAgg }, fixGroup, decodeRKG},
	{"rkg2", func(e encodings) []byte { return e.rkg2 }, fixGroup, decodeRKG},
	{"gkg", func(e encodings) []byte { return e.gkg }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		s, err := g.DecodeGKGShare(b)
		if err != nil {
			return nil, err
		}
		return s.MarshalBinary, nil
	}},
	{"keySwitch", func(e encodings) []byte { return e.keySwitch }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		s, err := g.DecodeKeySwitchShare(b)
		if err != nil {
			return nil, err
		}
		return s.MarshalBinary, nil
	}},
	{"ciphertext", func(e encodings) []byte { return e.ciphertext }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		ct, err := DecodeCiphertext(g.Params, b)
		if err != nil {
			return nil, err
		}
		return func() ([]byte, error) { return EncodeCiphertext(g.Params, ct) }, nil
	}},
	{"publicKey", func(e encodings) []byte { return e.publicKey }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		pk, err := DecodePublicKey(g.Params, b)
		if err != nil {
			return nil, err
		}
		return func() ([]byte, error) { return EncodePublicKey(g.Params, pk) }, nil
	}},
	{"relinKey", func(e encodings) []byte { return e.relinKey }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		rlk, err := DecodeRelinKey(g.Params, b)
		if err != nil {
			return nil, err
		}
		return func() ([]byte, error) { return EncodeRelinKey(g.Params, rlk) }, nil
	}},
	{"galoisKey", func(e encodings) []byte { return e.galoisKey }, fixGroup, func(g Group, b []byte) (func() ([]byte, error), error) {
		gk, err := DecodeGaloisKey(g.Params, b)
		if err != nil {
			return nil, err
		}
		return func() ([]byte, error) { return EncodeGaloisKey(g.Params, gk) }, nil
	}},
}

func decodeRKG(g Group, b []byte) (func() ([]byte, error), error) {
	s, err := g.DecodeRKGShare(b)
	if err != nil {
		return nil, err
	}
	return s.MarshalBinary, nil
}

func TestWireRoundTrip(t *testing.T) {
	f := getFixture(t)
	e := getEncodings(t)
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			in := c.sample(e)
			enc, err := c.decode(c.group(f), in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := enc()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, out) {
				t.Fatalf("round trip changed %d bytes into %d different bytes", len(in), len(out))
			}
			// Truncated, extended and foreign-parameter inputs are refused.
			for _, bad := range [][]byte{in[:len(in)-1], append(slices.Clone(in), 0), in[:20], nil} {
				if _, err := c.decode(c.group(f), bad); err == nil {
					t.Fatalf("decoded a %d-byte input", len(bad))
				}
			}
			other := slices.Clone(in)
			other[6] ^= 1 // params ID
			if _, err := c.decode(c.group(f), other); !errors.Is(err, ErrMismatch) {
				t.Fatalf("foreign params: %v", err)
			}
		})
	}
}

// TestDecodedSharesWork runs a whole key switch on shares that went through
// the wire, and checks the result decrypts.
func TestDecodedSharesWork(t *testing.T) {
	f := getFixture(t)
	tsk, tpk := NewTargetKeyPair(f.g.Params)
	set := mustSet(t, f.g, 1, 4, 5)
	ct, err := Encrypt(f.g.Params, f.pk, []int64{9, 8, -7})
	if err != nil {
		t.Fatal(err)
	}
	ctb, _ := EncodeCiphertext(f.g.Params, ct)
	pkb, _ := EncodePublicKey(f.g.Params, tpk)
	var shares []*KeySwitchShare
	for _, id := range set {
		ct2, err := DecodeCiphertext(f.g.Params, ctb)
		if err != nil {
			t.Fatal(err)
		}
		tpk2, err := DecodePublicKey(f.g.Params, pkb)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.parties[id].KeySwitchShare(set, ct2, tpk2, "test")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if s, err = f.g.DecodeKeySwitchShare(b); err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	out, err := AggregateKeySwitch(f.g, ct, shares)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(f.g.Params, tsk, out)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 9 || got[1] != 8 || got[2] != -7 || got[3] != 0 {
		t.Fatalf("got %v", got[:4])
	}
}

func TestMarshalNeedsParams(t *testing.T) {
	for _, m := range []interface{ MarshalBinary() ([]byte, error) }{
		&ThresholdShare{}, &CKGShare{}, &RKGShare{}, &GKGShare{}, &KeySwitchShare{},
	} {
		if _, err := m.MarshalBinary(); err == nil {
			t.Fatalf("%T without parameters marshalled", m)
		}
	}
	var ct *rlwe.Ciphertext
	if _, err := EncodeCiphertext(getFixture(t).g.Params, ct); err == nil {
		t.Fatal("nil ciphertext encoded")
	}
}

func fuzzCodec(f *testing.F, name string) {
	fx := getFixture(f)
	e := getEncodings(f)
	var c codec
	for _, c = range codecs {
		if c.name == name {
			break
		}
	}
	in := c.sample(e)
	f.Add(in)
	f.Add(in[:len(in)/2])
	f.Add(in[:30])
	f.Add([]byte("THHE"))
	if name == "rkg1" {
		f.Add(e.rkgAgg)
		f.Add(e.rkg2)
	}
	g := c.group(fx)
	f.Fuzz(func(t *testing.T, b []byte) {
		enc, err := c.decode(g, b)
		if err != nil {
			return
		}
		out, err := enc()
		if err != nil {
			t.Fatalf("decoded input does not re-encode: %v", err)
		}
		// Decoding canonicalises (coefficients reduced mod q), so a second
		// round trip must be the identity.
		enc2, err := c.decode(g, out)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		out2, err := enc2()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("encoding not canonical")
		}
	})
}

func FuzzDecodeThresholdShare(f *testing.F) { fuzzCodec(f, "threshold") }
func FuzzDecodeCKGShare(f *testing.F)       { fuzzCodec(f, "ckg") }
func FuzzDecodeRKGShare(f *testing.F)       { fuzzCodec(f, "rkg1") }
func FuzzDecodeGKGShare(f *testing.F)       { fuzzCodec(f, "gkg") }
func FuzzDecodeKeySwitchShare(f *testing.F) { fuzzCodec(f, "keySwitch") }
func FuzzDecodeCiphertext(f *testing.F)     { fuzzCodec(f, "ciphertext") }
func FuzzDecodePublicKey(f *testing.F)      { fuzzCodec(f, "publicKey") }
func FuzzDecodeRelinKey(f *testing.F)       { fuzzCodec(f, "relinKey") }
func FuzzDecodeGaloisKey(f *testing.F)      { fuzzCodec(f, "galoisKey") }
