package identity

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SeedSize is the size of a principal's secret seed in bytes.
const SeedSize = 32

// ErrBadKeyFile is returned for a key file that cannot be parsed.
var ErrBadKeyFile = errors.New("bad key file")

// SealKEM is the HPKE KEM used to seal data to a principal.
func SealKEM() hpke.KEM { return hpke.MLKEM768X25519() }

// SealKDF and SealAEAD complete the HPKE suite.
func SealKDF() hpke.KDF   { return hpke.HKDFSHA256() }
func SealAEAD() hpke.AEAD { return hpke.ChaCha20Poly1305() }

// Identity is one principal's secret key material.
type Identity struct {
	seed    [SeedSize]byte
	signing ed25519.PrivateKey
	seal    hpke.PrivateKey
}

// Generate makes a fresh identity from the system CSPRNG.
func Generate() (*Identity, error) {
	var seed [SeedSize]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("generate identity: %w", err)
	}
	return FromSeed(seed[:])
}

// FromSeed derives an identity deterministically from a 32-byte seed.
func FromSeed(seed []byte) (*Identity, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("%w: seed is %d bytes, want %d", ErrBadKeyFile, len(seed), SeedSize)
	}
	id := &Identity{}
	copy(id.seed[:], seed)
	id.signing = ed25519.NewKeyFromSeed(derive(seed, "embassy/identity/ed25519/v1"))
	sealPriv, err := SealKEM().DeriveKeyPair(derive(seed, "embassy/identity/hpke/v1"))
	if err != nil {
		return nil, fmt.Errorf("derive seal key: %w", err)
	}
	id.seal = sealPriv
	return id, nil
}

func derive(seed []byte, label string) []byte {
	out, err := hkdf.Key(sha256.New, seed, nil, label, 32)
	if err != nil { // only possible for absurd lengths
		panic(err)
	}
	return out
}

// SigningKey is the Ed25519 private key.
func (id *Identity) SigningKey() ed25519.PrivateKey { return id.signing }

// PublicKey is the Ed25519 public key.
func (id *Identity) PublicKey() ed25519.PublicKey {
	return id.signing.Public().(ed25519.PublicKey)
}

// SealPrivateKey is the HPKE private key.
func (id *Identity) SealPrivateKey() hpke.PrivateKey { return id.seal }

// SealPublicKey is the serialized HPKE public key, as published in the roster.
func (id *Identity) SealPublicKey() []byte { return id.seal.PublicKey().Bytes() }

// Save writes the seed to path with mode 0600, refusing to overwrite.
func (id *Identity) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("save key: %w", err)
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(id.seed[:])); err != nil {
		f.Close()
		return fmt.Errorf("save key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save key %s: %w", path, err)
	}
	return f.Close()
}

// Load reads an identity written by Save.
func Load(path string) (*Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	id, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return id, nil
}

// Parse reads the contents of a key file (hex seed, surrounding space ignored).
func Parse(data []byte) (*Identity, error) {
	seed, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: not hex", ErrBadKeyFile)
	}
	return FromSeed(seed)
}

// Seal encrypts plaintext so that only the holder of the private key behind
// sealPublicKey can read it. info binds the ciphertext to its purpose.
func Seal(sealPublicKey []byte, info, plaintext []byte) ([]byte, error) {
	pub, err := SealKEM().NewPublicKey(sealPublicKey)
	if err != nil {
		return nil, fmt.Errorf("seal: bad public key: %w", err)
	}
	return hpke.Seal(pub, SealKDF(), SealAEAD(), info, plaintext)
}

// Open decrypts what Seal produced for this identity.
func (id *Identity) Open(info, ciphertext []byte) ([]byte, error) {
	return hpke.Open(id.seal, SealKDF(), SealAEAD(), info, ciphertext)
}

// HETargetSeed is the 32-byte seed from which a service derives its
// homomorphic-encryption key pair (see thhe.TargetKeyFromSeed): the answers
// to its queries are re-encrypted to that key, so the key file is all a
// service needs to keep.
func (id *Identity) HETargetSeed() []byte { return derive(id.seed[:], "embassy/identity/he-target/v1") }
