package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/dataembassy/embassy/protocol/pb"
)

func TestCheckQuery(t *testing.T) {
	_, service := testKey(40)
	roster := bytes.Repeat([]byte{7}, 32)
	params := []byte("params-1")
	target := []byte("the service's HE public key")
	td := sha256.Sum256(target)
	now := time.Unix(1_800_000_000, 0)
	nonce := bytes.Repeat([]byte{9}, 16)
	sign := func(text string, issued time.Time, life time.Duration) *pb.SignedQuery {
		sq, err := NewQuery(service, text, roster, target, td[:], params, nonce, issued, life)
		if err != nil {
			t.Fatal(err)
		}
		return sq
	}
	good := sign("SELECT COUNT(*) FROM population", now, time.Minute)
	tests := []struct {
		name string
		sq   *pb.SignedQuery
		at   time.Time
		code string
	}{
		{"good", good, now, ""},
		{"good until expiry", good, now.Add(time.Minute), ""},
		{"expired", good, now.Add(time.Minute + time.Millisecond), CodeExpired},
		{"from the future", good, now.Add(-2 * MaxClockSkew), CodeExpired},
		{"too long-lived", sign("SELECT COUNT(*) FROM land", now, MaxQueryLifetime+time.Second), now, CodeLifetime},
		{"no query", &pb.SignedQuery{}, now, CodeMalformed},
		{"garbage", &pb.SignedQuery{Query: []byte{0xff, 0xff}}, now, CodeMalformed},
		{"tampered", func() *pb.SignedQuery {
			sq := sign("SELECT COUNT(*) FROM population", now, time.Minute)
			sq.Query[3] ^= 1
			return sq
		}(), now, CodeBadSignature},
		{"other target key", func() *pb.SignedQuery {
			sq := sign("SELECT COUNT(*) FROM population", now, time.Minute)
			sq.TargetKey = []byte("an attacker's key")
			return sq
		}(), now, CodeMalformed},
	}
	for _, tc := range tests {
		cq, err := CheckQuery(tc.sq, roster, params, tc.at)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if cq.ID != QueryID(tc.sq.Query) || cq.Query.Text == "" {
				t.Errorf("%s: checked query lost its id or text", tc.name)
			}
			continue
		}
		var r *Refusal
		if !errors.As(err, &r) || r.Code != tc.code || !errors.Is(err, ErrBadQuery) {
			t.Errorf("%s: got %v, want refusal %q", tc.name, err, tc.code)
		}
	}
	if _, err := CheckQuery(good, bytes.Repeat([]byte{8}, 32), params, now); err == nil {
		t.Error("a query for another roster passed")
	}
	if _, err := CheckQuery(good, roster, []byte("params-2"), now); err == nil {
		t.Error("a query for other parameters passed")
	}
}

func TestAttemptSeedsDiffer(t *testing.T) {
	a, b := QueryID([]byte("a")), QueryID([]byte("b"))
	seen := map[[32]byte]bool{}
	for _, id := range [][32]byte{a, b} {
		for k := uint32(1); k <= MaxQueryAttempts; k++ {
			s := AttemptSeed(id, k)
			if seen[s] {
				t.Fatalf("seed repeated for attempt %d", k)
			}
			seen[s] = true
		}
	}
}

func TestStatsSignature(t *testing.T) {
	pub, priv := testKey(41)
	roster := bytes.Repeat([]byte{1}, 32)
	root := bytes.Repeat([]byte{2}, 32)
	s := SignStats(priv, roster, "population", root, []byte("delta"))
	if !VerifyStats(pub, roster, "population", root, s) {
		t.Fatal("good stats signature refused")
	}
	for name, ok := range map[string]bool{
		"other registry": VerifyStats(pub, roster, "land", root, s),
		"other batch":    VerifyStats(pub, roster, "population", bytes.Repeat([]byte{3}, 32), s),
		"other delta":    VerifyStats(pub, roster, "population", root, &pb.StatsDelta{Delta: []byte("delta!"), Signature: s.Signature}),
		"nil":            VerifyStats(pub, roster, "population", root, nil),
		"bad key":        VerifyStats(ed25519.PublicKey{1}, roster, "population", root, s),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func testKey(b byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

// FuzzCheckQuery: arbitrary bytes never panic and never pass unsigned.
func FuzzCheckQuery(f *testing.F) {
	_, service := testKey(42)
	roster := bytes.Repeat([]byte{7}, 32)
	target := []byte("k")
	td := sha256.Sum256(target)
	now := time.Unix(1_800_000_000, 0)
	sq, err := NewQuery(service, "SELECT COUNT(*) FROM land", roster, target, td[:], []byte("p"), make([]byte, 16), now, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sq.Query, sq.Signature)
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, q, sig []byte) {
		cq, err := CheckQuery(&pb.SignedQuery{Query: q, Signature: sig, TargetKey: target}, roster, []byte("p"), now)
		if err == nil && !ed25519.Verify(cq.Query.ServiceKey, QueryMessage(q), sig) {
			t.Fatal("accepted a query whose signature does not verify")
		}
	})
}
