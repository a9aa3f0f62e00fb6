package node

import (
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// Faults makes a node Byzantine, for simulations and tests that run nodes
// in-process (Config.Faults; a configuration file cannot set it). A nil
// Faults is an honest node.
//
// The node calls it where it produces what a dishonest node would falsify,
// before anything is sealed or signed, so that what a test exercises is the
// protocol's defence and not the envelope's. An implementation that is
// switched on and off at run time (e.g. by an atomic flag a simulator sets)
// leaves the values alone while it is off. The methods are called from the
// node's request handlers, possibly concurrently; they must return
// promptly and must not block (inside a synctest bubble a hook waiting for
// a mutex stops the clock), and must not keep what they are given.
type Faults interface {
	// GetItems may change the items of a Get reply, one per requested
	// pseudonym of registry in request order, before they are sealed to
	// the caller. For a metadata-only request the items carry no share.
	GetItems(registry string, items []*pb.GetItem)
	// KeySwitchShare may change this node's key-switch share of result
	// ciphertext i of a query, computed for ct, before it is encoded and
	// sent to the coordinator. ct must not be changed.
	KeySwitchShare(i int, ct *rlwe.Ciphertext, share *thhe.KeySwitchShare)
}
