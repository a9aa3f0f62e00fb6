package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dataembassy/embassy/protocol/pb"
	"google.golang.org/protobuf/proto"
)

// Query protocol limits.
const (
	// MaxQueryLifetime bounds expires − issued: nodes refuse longer-lived
	// queries, so a replay record can be forgotten after it.
	MaxQueryLifetime = 10 * time.Minute
	// MaxClockSkew is how far in the future a query's issue time may lie.
	MaxClockSkew = time.Minute
	// MaxQueryAttempts bounds how many times one query is evaluated (each
	// attempt on a freshly re-randomised ciphertext, with its own shares).
	MaxQueryAttempts = 3
	// MaxQueryText bounds the SQL text.
	MaxQueryText = 4 << 10
	nonceSize    = 16
)

// ErrBadQuery wraps every reason a node refuses a signed query; Refusal
// carries the machine-readable code.
var ErrBadQuery = errors.New("query refused")

// Refusal codes (QueryResponse.code): why a node refused a query.
const (
	CodeMalformed    = "malformed"     // does not decode or is missing fields
	CodeUnknownKey   = "unknown_key"   // not signed by a service of the roster
	CodeBadSignature = "bad_signature" // the signature does not verify
	CodeExpired      = "expired"       // past its expiry, or issued in the future
	CodeLifetime     = "lifetime"      // expires too long after it was issued
	CodeReplay       = "replay"        // this (query, attempt) was evaluated before, or too many attempts
	CodePolicy       = "policy"        // outside the service's policy
	CodeInvalid      = "invalid"       // does not parse or plan
	CodeRoster       = "roster"        // signed for another roster or parameters
	CodeNotReady     = "not_ready"     // no federation key or incomplete statistics
	CodeState        = "state"         // the node's statistics differ from the chosen state
	CodeInternal     = "internal"      // the node failed
)

// Refusal is a query refused with a code.
type Refusal struct {
	Code string
	Err  error
}

func (r *Refusal) Error() string   { return r.Err.Error() }
func (r *Refusal) Unwrap() []error { return []error{ErrBadQuery, r.Err} }

// Refuse makes a Refusal.
func Refuse(code string, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Err: fmt.Errorf(format, args...)}
}

// QueryMessage is what a service signs: a domain-separated copy of the
// encoded Query.
func QueryMessage(query []byte) []byte {
	return append([]byte("embassy/query/v1\x00"), query...)
}

// QueryID names a query: SHA-256 of its encoded bytes.
func QueryID(query []byte) [32]byte {
	return sha256.Sum256(QueryMessage(query))
}

// NewQuery builds and signs a query for the service key.
func NewQuery(service ed25519.PrivateKey, text string, rosterDigest, targetKey, targetKeyDigest, paramsID, nonce []byte,
	issued time.Time, lifetime time.Duration) (*pb.SignedQuery, error) {
	q := &pb.Query{Text: text, RosterDigest: rosterDigest, ServiceKey: service.Public().(ed25519.PublicKey),
		Nonce: nonce, IssuedUnixMs: issued.UnixMilli(), ExpiresUnixMs: issued.Add(lifetime).UnixMilli(),
		TargetKeyDigest: targetKeyDigest, ParamsId: paramsID}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("encode query: %w", err)
	}
	return &pb.SignedQuery{Query: b, Signature: ed25519.Sign(service, QueryMessage(b)), TargetKey: targetKey}, nil
}

// CheckedQuery is a signed query whose signature, roster, lifetime and
// freshness a node has checked.
type CheckedQuery struct {
	ID    [32]byte
	Query *pb.Query
}

// CheckQuery decodes sq and checks what needs no policy: the fields, the
// roster digest and parameters, the signature by the key it names (which
// the caller must find among the roster's services), the target key
// against its signed digest if the key is present, the lifetime and that
// now lies within [issued − MaxClockSkew, expires]. Errors are *Refusal.
func CheckQuery(sq *pb.SignedQuery, rosterDigest, paramsID []byte, now time.Time) (*CheckedQuery, error) {
	if sq == nil || len(sq.Query) == 0 {
		return nil, Refuse(CodeMalformed, "no query")
	}
	var q pb.Query
	if err := proto.Unmarshal(sq.Query, &q); err != nil {
		return nil, Refuse(CodeMalformed, "query does not decode: %v", err)
	}
	switch {
	case len(q.Text) == 0 || len(q.Text) > MaxQueryText:
		return nil, Refuse(CodeMalformed, "query text is empty or longer than %d bytes", MaxQueryText)
	case len(q.Nonce) != nonceSize:
		return nil, Refuse(CodeMalformed, "nonce is %d bytes, want %d", len(q.Nonce), nonceSize)
	case len(q.ServiceKey) != ed25519.PublicKeySize:
		return nil, Refuse(CodeMalformed, "service key is %d bytes", len(q.ServiceKey))
	case len(q.TargetKeyDigest) != sha256.Size:
		return nil, Refuse(CodeMalformed, "target key digest is %d bytes", len(q.TargetKeyDigest))
	case !bytes.Equal(q.RosterDigest, rosterDigest):
		return nil, Refuse(CodeRoster, "query signed for another roster")
	case !bytes.Equal(q.ParamsId, paramsID):
		return nil, Refuse(CodeRoster, "query expects other HE parameters than this network's")
	}
	if !ed25519.Verify(q.ServiceKey, QueryMessage(sq.Query), sq.Signature) {
		return nil, Refuse(CodeBadSignature, "query signature does not verify")
	}
	// The target key travels only where it is used (evaluate); when it
	// does, it must be the one the service signed.
	if len(sq.TargetKey) > 0 && sha256.Sum256(sq.TargetKey) != [32]byte(q.TargetKeyDigest) {
		return nil, Refuse(CodeMalformed, "target key does not match its signed digest")
	}
	issued, expires := time.UnixMilli(q.IssuedUnixMs), time.UnixMilli(q.ExpiresUnixMs)
	switch {
	case expires.Sub(issued) > MaxQueryLifetime || !expires.After(issued):
		return nil, Refuse(CodeLifetime, "query lives %v, at most %v", expires.Sub(issued), MaxQueryLifetime)
	case now.After(expires):
		return nil, Refuse(CodeExpired, "query expired at %s", expires.UTC().Format(time.RFC3339))
	case issued.After(now.Add(MaxClockSkew)):
		return nil, Refuse(CodeExpired, "query issued in the future (%s)", issued.UTC().Format(time.RFC3339))
	}
	return &CheckedQuery{ID: QueryID(sq.Query), Query: &q}, nil
}

// AttemptSeed is the seed every node re-randomises attempt k of a query
// with, so all members of the attempt's active set compute the same
// ciphertext and no two attempts share one.
func AttemptSeed(id [32]byte, attempt uint32) [32]byte {
	h := sha256.New()
	h.Write([]byte("embassy/query/attempt/v1\x00"))
	h.Write(id[:])
	h.Write(binary.BigEndian.AppendUint32(nil, attempt))
	return [32]byte(h.Sum(nil))
}

// StatsMessage is what the custodian signs for a batch's statistics delta.
func StatsMessage(rosterDigest []byte, registry string, batchRoot []byte, delta []byte) []byte {
	d := sha256.Sum256(delta)
	m := append([]byte("embassy/stats/v1\x00"), rosterDigest...)
	m = append(m, registry...)
	m = append(m, 0)
	m = append(m, batchRoot...)
	return append(m, d[:]...)
}

// SignStats signs a batch's statistics delta.
func SignStats(custodian ed25519.PrivateKey, rosterDigest []byte, registry string, batchRoot, delta []byte) *pb.StatsDelta {
	return &pb.StatsDelta{Delta: delta, Signature: ed25519.Sign(custodian, StatsMessage(rosterDigest, registry, batchRoot, delta))}
}

// VerifyStats checks the custodian's signature on a batch's statistics delta.
func VerifyStats(custodian ed25519.PublicKey, rosterDigest []byte, registry string, batchRoot []byte, s *pb.StatsDelta) bool {
	return s != nil && len(custodian) == ed25519.PublicKeySize &&
		ed25519.Verify(custodian, StatsMessage(rosterDigest, registry, batchRoot, s.Delta), s.Signature)
}
