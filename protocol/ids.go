package protocol

import "time"

// ID is a versioned stream protocol identifier.
type ID string

// Stream protocols. Each stream carries one request and one response.
const (
	StoreID   ID = "/embassy/store/1.0.0"   // custodian -> node: shares to keep
	GetID     ID = "/embassy/get/1.0.0"     // custodian or service -> node: latest shares
	HandoffID ID = "/embassy/handoff/1.0.0" // custodian -> node, node -> node: parcels for absent nodes
	// KeySetupID: node -> node only: the federation key setup (threshold
	// deals, collective public, relinearisation and Galois keys). Messages
	// in pb/keysetup.proto.
	KeySetupID ID = "/embassy/keysetup/1.0.0"
	// QueryProtoID (coordinator or service -> node): prepare and evaluate an
	// encrypted query. Messages in pb/query.proto.
	QueryProtoID ID = "/embassy/query/1.0.0"
	// FedKeyID (custodian, service or coordinator -> node): the collective
	// public key.
	FedKeyID ID = "/embassy/fedkey/1.0.0"
)

// Limits bounds one protocol's messages in size and time.
type Limits struct {
	MaxRequest  int
	MaxResponse int
	Deadline    time.Duration // for the whole exchange
}

// LimitsFor returns the bounds that both sides enforce for id.
func LimitsFor(id ID) Limits {
	switch id {
	case StoreID:
		return Limits{MaxRequest: 16 << 20, MaxResponse: 4 << 10, Deadline: 60 * time.Second}
	case GetID:
		return Limits{MaxRequest: 1 << 20, MaxResponse: 16 << 20, Deadline: 30 * time.Second}
	case HandoffID:
		return Limits{MaxRequest: 32 << 20, MaxResponse: 4 << 10, Deadline: 60 * time.Second}
	case KeySetupID:
		// At N=2^14 with 6 moduli (4 Q, 2 P) one polynomial over QP is
		// 768 KiB: a threshold deal is one (sealed), the public key two, a
		// GKG share (one Galois element) two, an RKG share, the round-1
		// aggregate (sent back in the round-2 request), the
		// relinearisation key and one Galois key four each: 3 MiB, the
		// largest message, 37.5% of the bound. The Galois keys (14, 35 MiB) are therefore moved one
		// element per exchange, never together. The deadline covers making
		// one share (GKG ≈ 15 ms, RKG round 1 ≈ 21 ms at N=2^14 on one
		// core) and moving 3 MiB with a wide margin for a loaded host.
		// TestKeySetupMessagesFit (package node) checks the sizes at the
		// production parameters.
		return Limits{MaxRequest: 8 << 20, MaxResponse: 8 << 20, Deadline: 30 * time.Second}
	case QueryProtoID:
		// A request carries the service's HE public key (2 QP polynomials,
		// 1.25 MiB at N=2^14); a response a few result ciphertexts and
		// their key-switch shares (≤ 512 KiB each at N=2^14, level 1).
		return Limits{MaxRequest: 4 << 20, MaxResponse: 32 << 20, Deadline: 60 * time.Second}
	case FedKeyID:
		return Limits{MaxRequest: 4 << 10, MaxResponse: 4 << 20, Deadline: 30 * time.Second}
	default:
		return Limits{MaxRequest: 4 << 10, MaxResponse: 4 << 10, Deadline: 5 * time.Second}
	}
}

// MaxConcurrentStreams bounds how many streams of one protocol a node
// serves at once; more are reset at once.
const MaxConcurrentStreams = 16

// MaxItemsPerRequest bounds how many records one Store or Get may carry.
const MaxItemsPerRequest = 4096
