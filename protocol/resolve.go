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
// the custodian signed wins, and it must be held by at least t nodes that
// answered — a live record is rebuilt from t of its verified shares and
// checked against the signed commitment; a deletion counts only when t
// nodes present the same tombstone. A version held by fewer than t nodes
// (a write that failed, or nodes that are down) gives ErrThresholdNotMet,
// never a stale record, a partial record, or a "deleted" from one node. No
// node holding the record, with at least t answering, gives ErrNotFound.
func Resolve(v *Verifier, registry string, pseudonym []byte, answers []Answer) (Resolution, error) {
	res := Resolution{}
	var goods []held
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
		goods = append(goods, held{a, m})
	}
	if res.Answered-len(res.Bad) < v.threshold && len(goods) < v.threshold {
		return res, fmt.Errorf("%w: %s", ErrThresholdNotMet, res.summary(v))
	}
	if len(goods) == 0 {
		return res, ErrNotFound
	}
	newest := newestVersion(goods)
	res.Manifest = newest[0].m
	if len(newest) < v.threshold {
		what := "version"
		if newest[0].m.Tombstone {
			what = "version (a deletion)"
		}
		return res, fmt.Errorf("%w: the newest signed %s is held by %d of the nodes that answered, %d needed; %s",
			ErrThresholdNotMet, what, len(newest), v.threshold, res.summary(v))
	}
	if newest[0].m.Tombstone {
		return res, fmt.Errorf("%w: deleted", ErrNotFound)
	}
	return rebuild(v, res, newest)
}

// held is a verified answer and its manifest.
type held struct {
	a Answer
	m *pb.RecordManifest
}

// newestVersion returns the answers that hold the newest version, grouped
// by exact manifest bytes (two dealings with one version number do not mix).
func newestVersion(goods []held) []held {
	sort.SliceStable(goods, func(i, j int) bool { return goods[i].m.Version > goods[j].m.Version })
	top := goods[0].m.Version
	groups := map[string][]held{}
	var order []string
	for _, g := range goods {
		if g.m.Version != top {
			break
		}
		k := string(g.a.Item.Latest.Manifest)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], g)
	}
	best := groups[order[0]]
	for _, k := range order[1:] {
		if len(groups[k]) > len(best) {
			best = groups[k]
		}
	}
	return best
}

// rebuild combines the verified shares of one version and checks the record
// against the signed commitment. Check has already proven each share is the
// one dealt to its node (through the node's Merkle leaf), so they are
// combined as they are.
func rebuild(v *Verifier, res Resolution, holders []held) (Resolution, error) {
	dealt := make([]shares.Share, 0, len(holders))
	for _, g := range holders {
		dealt = append(dealt, shares.Share{Index: g.a.Node, Data: g.a.Item.Latest.Share})
	}
	secret, err := shares.Combine(dealt, v.threshold)
	if err != nil {
		return res, fmt.Errorf("%w: %d verified shares of the newest version do not combine (%v); %s",
			ErrThresholdNotMet, len(dealt), err, res.summary(v))
	}
	var commitment shares.Digest
	copy(commitment[:], holders[0].m.Commitment)
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
