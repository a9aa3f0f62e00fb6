package roster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Sentinel errors.
var (
	ErrInvalid      = errors.New("invalid roster")
	ErrBadSignature = errors.New("roster signature does not verify")
)

// MaxNodes bounds n (share indices are one byte).
const MaxNodes = 255

// Principal is the custodian, a government service or a query coordinator.
type Principal struct {
	Name       string `json:"name"`
	SigningKey []byte `json:"signing_key"` // Ed25519 public key, base64 in JSON
	SealKey    []byte `json:"seal_key"`    // HPKE public key, base64 in JSON
	// Policy says what a service may ask (services only; required there).
	Policy *Policy `json:"policy,omitempty"`
}

// Node is one embassy node, hosted by one ally.
type Node struct {
	Index      int      `json:"index"` // 1..n: the node's Shamir evaluation point
	Name       string   `json:"name"`
	Ally       string   `json:"ally"`    // hosting organisation
	Country    string   `json:"country"` // ISO 3166 alpha-2
	SigningKey []byte   `json:"signing_key"`
	SealKey    []byte   `json:"seal_key"`
	Addrs      []string `json:"addrs"` // libp2p multiaddrs
}

// Roster is the membership of one embassy network.
type Roster struct {
	Network   string      `json:"network"`
	Epoch     uint64      `json:"epoch"`
	Threshold int         `json:"threshold"`
	Custodian Principal   `json:"custodian"`
	Services  []Principal `json:"services"`
	// Coordinators may relay services' signed queries to the nodes; they
	// are trusted with nothing but availability.
	Coordinators []Principal `json:"coordinators,omitempty"`
	Nodes        []Node      `json:"nodes"`
}

// Digest identifies a signed roster: SHA-256 of the signed bytes.
type Digest [32]byte

type signedFile struct {
	Roster    json.RawMessage `json:"roster"`
	Signature []byte          `json:"signature"`
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// N is the number of nodes.
func (r Roster) N() int { return len(r.Nodes) }

// Validate checks the roster's internal consistency.
func (r Roster) Validate() error {
	n := len(r.Nodes)
	switch {
	case n == 0:
		return fmt.Errorf("%w: no nodes", ErrInvalid)
	case n > MaxNodes:
		return fmt.Errorf("%w: %d nodes, at most %d", ErrInvalid, n, MaxNodes)
	case r.Threshold < 1 || r.Threshold > n:
		return fmt.Errorf("%w: threshold %d must be between 1 and n=%d", ErrInvalid, r.Threshold, n)
	}
	keys := map[string]string{}
	addKey := func(who string, key []byte) error {
		if len(key) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: %s has a %d-byte signing key, want %d", ErrInvalid, who, len(key), ed25519.PublicKeySize)
		}
		if prev, dup := keys[string(key)]; dup {
			return fmt.Errorf("%w: %s and %s share a signing key", ErrInvalid, prev, who)
		}
		keys[string(key)] = who
		return nil
	}
	if err := checkPrincipal("custodian", r.Custodian, addKey); err != nil {
		return err
	}
	for _, s := range r.Services {
		if err := checkPrincipal("service "+s.Name, s, addKey); err != nil {
			return err
		}
		if s.Policy == nil {
			return fmt.Errorf("%w: service %s has no policy", ErrInvalid, s.Name)
		}
		if err := s.Policy.validate(); err != nil {
			return fmt.Errorf("%w: service %s: policy: %w", ErrInvalid, s.Name, err)
		}
	}
	for _, c := range r.Coordinators {
		if err := checkPrincipal("coordinator "+c.Name, c, addKey); err != nil {
			return err
		}
		if c.Policy != nil {
			return fmt.Errorf("%w: coordinator %s has a policy (only services have one)", ErrInvalid, c.Name)
		}
	}
	if r.Custodian.Policy != nil {
		return fmt.Errorf("%w: the custodian has a policy (only services have one)", ErrInvalid)
	}
	names := map[string]bool{}
	for i, nd := range r.Nodes {
		who := fmt.Sprintf("node %q", nd.Name)
		if nd.Index != i+1 {
			return fmt.Errorf("%w: %s has index %d, want %d (nodes are listed by index from 1)", ErrInvalid, who, nd.Index, i+1)
		}
		if !namePattern.MatchString(nd.Name) || names[nd.Name] {
			return fmt.Errorf("%w: %s: name missing, malformed or repeated", ErrInvalid, who)
		}
		names[nd.Name] = true
		if err := addKey(who, nd.SigningKey); err != nil {
			return err
		}
		if len(nd.SealKey) == 0 {
			return fmt.Errorf("%w: %s has no seal key", ErrInvalid, who)
		}
		if len(nd.Addrs) == 0 {
			return fmt.Errorf("%w: %s has no addresses", ErrInvalid, who)
		}
	}
	return nil
}

func checkPrincipal(who string, p Principal, addKey func(string, []byte) error) error {
	if !namePattern.MatchString(p.Name) {
		return fmt.Errorf("%w: %s: name %q missing or malformed", ErrInvalid, who, p.Name)
	}
	if len(p.SealKey) == 0 {
		return fmt.Errorf("%w: %s has no seal key (replies are sealed to it)", ErrInvalid, who)
	}
	return addKey(who, p.SigningKey)
}

// Sign validates r and returns the signed roster file.
func Sign(r Roster, custodian ed25519.PrivateKey) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !bytes.Equal(custodian.Public().(ed25519.PublicKey), r.Custodian.SigningKey) {
		return nil, fmt.Errorf("%w: signing key is not the roster's custodian key", ErrInvalid)
	}
	body, err := json.MarshalIndent(r, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode roster: %w", err)
	}
	sig := ed25519.Sign(custodian, signedMessage(body))
	out, err := json.MarshalIndent(signedFile{Roster: body, Signature: sig}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode roster: %w", err)
	}
	return append(out, '\n'), nil
}

func signedMessage(body []byte) []byte {
	return append([]byte("embassy/roster/v1\x00"), body...)
}

// Open parses a signed roster file, verifies the signature against the
// pinned custodian key and validates the roster.
func Open(data []byte, custodian ed25519.PublicKey) (Roster, Digest, error) {
	var f signedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Roster{}, Digest{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if len(custodian) != ed25519.PublicKeySize || !ed25519.Verify(custodian, signedMessage(f.Roster), f.Signature) {
		return Roster{}, Digest{}, ErrBadSignature
	}
	var r Roster
	dec := json.NewDecoder(bytes.NewReader(f.Roster))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Roster{}, Digest{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !bytes.Equal(r.Custodian.SigningKey, custodian) {
		return Roster{}, Digest{}, fmt.Errorf("%w: roster names another custodian", ErrInvalid)
	}
	if err := r.Validate(); err != nil {
		return Roster{}, Digest{}, err
	}
	return r, sha256.Sum256(f.Roster), nil
}

// NodeBySigningKey finds the node with that public key.
func (r Roster) NodeBySigningKey(key []byte) (Node, bool) {
	for _, n := range r.Nodes {
		if bytes.Equal(n.SigningKey, key) {
			return n, true
		}
	}
	return Node{}, false
}

// IsService reports whether key belongs to a listed service.
func (r Roster) IsService(key []byte) bool {
	_, ok := r.Service(key)
	return ok
}

// Service finds the service with that signing key.
func (r Roster) Service(key []byte) (Principal, bool) {
	for _, s := range r.Services {
		if bytes.Equal(s.SigningKey, key) {
			return s, true
		}
	}
	return Principal{}, false
}

func (r Roster) isCoordinator(key []byte) bool {
	for _, c := range r.Coordinators {
		if bytes.Equal(c.SigningKey, key) {
			return true
		}
	}
	return false
}

// Role is what a principal may do.
type Role int

// Roles of a peer, as the roster defines them.
const (
	RoleNone Role = iota
	RoleNode
	RoleCustodian
	RoleService
	RoleCoordinator
)

func (r Role) String() string {
	return [...]string{"none", "node", "custodian", "service", "coordinator"}[r]
}

// RoleOf tells the role of the holder of an Ed25519 public key.
func (r Roster) RoleOf(key []byte) Role {
	switch {
	case bytes.Equal(key, r.Custodian.SigningKey):
		return RoleCustodian
	case r.IsService(key):
		return RoleService
	case r.isCoordinator(key):
		return RoleCoordinator
	}
	if _, ok := r.NodeBySigningKey(key); ok {
		return RoleNode
	}
	return RoleNone
}

// SealKeyOf is the HPKE public key of the principal (custodian, service or
// node) with that signing key, or nil.
func (r Roster) SealKeyOf(signingKey []byte) []byte {
	if bytes.Equal(signingKey, r.Custodian.SigningKey) {
		return r.Custodian.SealKey
	}
	for _, s := range append(slices.Clone(r.Services), r.Coordinators...) {
		if bytes.Equal(s.SigningKey, signingKey) {
			return s.SealKey
		}
	}
	if n, ok := r.NodeBySigningKey(signingKey); ok {
		return n.SealKey
	}
	return nil
}

// ParseCustodianKey parses a pinned custodian key as configuration files
// hold it: a base64 Ed25519 public key.
func ParseCustodianKey(s string) (ed25519.PublicKey, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, errors.New("custodian_key is not a base64 Ed25519 public key")
	}
	return key, nil
}
