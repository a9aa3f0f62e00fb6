package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
)

// PseudonymSize is the size of a record pseudonym.
const PseudonymSize = 32

// Pseudonymizer computes the pseudonyms under which nodes index records and
// the content tags that detect unchanged rows. Both are HMAC-SHA256 under
// secret keys held by the custodian and authorised services, never by nodes:
// a node sees only pseudonyms and cannot test a guessed personal code.
type Pseudonymizer struct {
	indexKey []byte
	tagKey   []byte
}

// NewPseudonymizer derives both keys from one 32-byte network secret.
func NewPseudonymizer(secret []byte) *Pseudonymizer {
	return &Pseudonymizer{
		indexKey: mac(secret, []byte("embassy/pseudonym-key/v1")),
		tagKey:   mac(secret, []byte("embassy/content-tag-key/v1")),
	}
}

// Pseudonym of a record key in a registry.
func (p *Pseudonymizer) Pseudonym(registry, key string) []byte {
	return mac(p.indexKey, []byte(registry), []byte{0}, []byte(key))
}

// ContentTag of an encoded record in a registry.
func (p *Pseudonymizer) ContentTag(registry string, encoded []byte) []byte {
	return mac(p.tagKey, []byte(registry), []byte{0}, encoded)
}

func mac(key []byte, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}
