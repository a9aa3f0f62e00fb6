package protocol

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
)

// Sentinels for look-up outcomes that callers branch on.
var (
	ErrNotFound        = errors.New("record not found")
	ErrThresholdNotMet = errors.New("threshold not met")
)

// Answer is one node's reply to a look-up of one record.
type Answer struct {
	Node int    // roster index
	Name string // node name, for messages
	Item *pb.GetItem
	Err  error // the node did not answer (down, timeout, refused)
}

// Fault names a node whose answer could not be used.
type Fault struct {
	Node   int
	Name   string
	Reason string
}

func (f Fault) String() string { return fmt.Sprintf("%s (index %d): %s", f.Name, f.Node, f.Reason) }

// Resolution is the outcome of a look-up.
type Resolution struct {
	Record    []byte // registry-encoded record
	Manifest  *pb.RecordManifest
	Answered  int     // nodes that answered at all
	Bad       []Fault // nodes whose share or manifest failed verification
	Unreached []Fault // nodes that did not answer
}

// Resolve decides a look-up from the nodes' answers: the newest version that
// the custodian signed wins; its record is rebuilt from t verified shares and
// checked against the signed commitment. A deleted record and a record no
// node holds give ErrNotFound; fewer than t usable answers give
// ErrThresholdNotMet, never a partial or stale record.
func Resolve(v *Verifier, registry string, pseudonym []byte, answers []Answer) (Resolution, error) {
	res := Resolution{}
	type good struct {
		a Answer
		m *pb.RecordManifest
	}
	var goods []good
	for _, a := range answers {
		if a.Err != nil || a.Item == nil {
			reason := "no answer"
			if a.Err != nil {
				reason = a.Err.Error()
			}
			res.Unreached = append(res.Unreached, Fault{a.Node, a.Name, reason})
			continue
		}
		res.Answered++
		if !a.Item.Found {
			continue
		}
		m, err := v.Check(a.Item.Latest, a.Node, registry, pseudonym)
		if err != nil {
			res.Bad = append(res.Bad, Fault{a.Node, a.Name, err.Error()})
			continue
		}
		goods = append(goods, good{a, m})
	}
	if res.Answered-len(res.Bad) < v.threshold && len(goods) < v.threshold {
		return res, fmt.Errorf("%w: %s", ErrThresholdNotMet, res.summary(v))
	}
	if len(goods) == 0 {
		return res, ErrNotFound
	}
	sort.SliceStable(goods, func(i, j int) bool { return goods[i].m.Version > goods[j].m.Version })
	newest := goods[0].m
	res.Manifest = newest
	if newest.Tombstone {
		return res, fmt.Errorf("%w: deleted", ErrNotFound)
	}
	var cands []shares.Candidate
	for _, g := range goods {
		if g.m.Version != newest.Version {
			continue
		}
		// Check proved the share is the one dealt to this node.
		share := g.a.Item.Latest.Share
		cands = append(cands, shares.Candidate{Share: shares.Share{Index: g.a.Node, Data: share},
			Digest: shares.ShareDigest(g.a.Node, share), Source: g.a.Name})
	}
	secret, _, err := shares.Reconstruct(cands, v.threshold)
	if err != nil {
		return res, fmt.Errorf("%w: %d verified shares of the newest version; %s", ErrThresholdNotMet, len(cands), res.summary(v))
	}
	var commitment shares.Digest
	copy(commitment[:], newest.Commitment)
	record, err := shares.OpenRecord(secret, commitment)
	if err != nil {
		return res, fmt.Errorf("rebuilt record does not match the custodian's commitment: %w", err)
	}
	res.Record = record
	return res, nil
}

func (r Resolution) summary(v *Verifier) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d nodes answered, %d needed", r.Answered, v.nodes, v.threshold)
	if len(r.Bad) > 0 {
		fmt.Fprintf(&b, "; invalid shares from %s", joinFaults(r.Bad))
	}
	if len(r.Unreached) > 0 {
		fmt.Fprintf(&b, "; unreachable: %s", joinNames(r.Unreached))
	}
	return b.String()
}

func joinFaults(fs []Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, ", ")
}

func joinNames(fs []Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name
	}
	return strings.Join(parts, ", ")
}
