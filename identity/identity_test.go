package identity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	id, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "k", "node.key")
	if err := id.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := id.Save(path); err == nil {
		t.Fatal("Save overwrote an existing key file")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.PublicKey(), id.PublicKey()) || !bytes.Equal(back.SealPublicKey(), id.SealPublicKey()) {
		t.Fatal("loaded identity differs")
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"nothex":  "zz\n",
		"short":   "abcd\n",
		"toolong": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(p); !errors.Is(err, ErrBadKeyFile) {
				t.Fatalf("Load(%q) = %v, want ErrBadKeyFile", content, err)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

func TestDerivationIsDeterministicAndSeparated(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, SeedSize)
	a, _ := FromSeed(seed)
	b, _ := FromSeed(seed)
	if !bytes.Equal(a.PublicKey(), b.PublicKey()) || !bytes.Equal(a.SealPublicKey(), b.SealPublicKey()) {
		t.Fatal("same seed gave different keys")
	}
	other, _ := FromSeed(bytes.Repeat([]byte{8}, SeedSize))
	if bytes.Equal(a.PublicKey(), other.PublicKey()) {
		t.Fatal("different seeds gave the same key")
	}
	sig := ed25519.Sign(a.SigningKey(), []byte("m"))
	if !ed25519.Verify(b.PublicKey(), []byte("m"), sig) {
		t.Fatal("signature does not verify")
	}
}

func TestSealOpen(t *testing.T) {
	alice, _ := Generate()
	mallory, _ := Generate()
	ct, err := Seal(alice.SealPublicKey(), []byte("info"), []byte("share bytes"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := alice.Open([]byte("info"), ct)
	if err != nil || string(pt) != "share bytes" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := mallory.Open([]byte("info"), ct); err == nil {
		t.Fatal("another identity opened the sealed data")
	}
	if _, err := alice.Open([]byte("other"), ct); err == nil {
		t.Fatal("Open ignored the info binding")
	}
	if _, err := Seal([]byte("short"), nil, nil); err == nil {
		t.Fatal("Seal accepted a malformed public key")
	}
}

// FuzzParse: key file contents of any bytes parse or err, never panic; a
// parsed key writes back as the same seed.
func FuzzParse(f *testing.F) {
	f.Add([]byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"))
	f.Add([]byte("zz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := Parse(b)
		if err != nil {
			return
		}
		again, err := FromSeed(id.seed[:])
		if err != nil || !bytes.Equal(again.PublicKey(), id.PublicKey()) {
			t.Fatalf("re-deriving the parsed seed gave another key: %v", err)
		}
	})
}
