package thhe

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"
)

// Party is one node's secret state. It is sans-IO: methods take and return
// messages; moving them between nodes is the caller's job. A Party is safe
// for concurrent use (methods serialise on a mutex).
//
// Life cycle: NewParty samples the party's own secret contribution sk_i (the
// collective secret key is Σ sk_i over all N parties, nobody ever holds it).
// ThresholdShares splits sk_i into N Shamir shares of degree T-1; each peer
// gets one (over a confidential channel). ReceiveThresholdShare adds what
// peers send; once all N contributions are in, the party holds its T-of-N
// share of the collective key and erases sk_i and its Shamir polynomial.
// From then on every protocol runs for an ActiveSet of T parties.
//
// A party releases at most one key-switch share per ciphertext, as recorded
// in its ReleaseLog: in memory for a party from NewParty, the caller's
// (durable) log for one from AssembleParty.
type Party struct {
	g  Group
	id int

	mu       sync.Mutex
	sk       *rlwe.SecretKey // own contribution; nil once setup is done
	poly     *multiparty.ShamirPolynomial
	tsk      multiparty.ShamirSecretShare // sum of received Shamir shares
	got      map[int]bool                 // whose Shamir share has been added
	done     bool                         // all N contributions received
	dealt    bool                         // ThresholdShares has been called
	thr      multiparty.Thresholdizer
	cmb      multiparty.Combiner
	additive map[string]*rlwe.SecretKey // additive share per active set
	rkg      map[Seed]*rkgState         // round-1 state per RKG instance
	log      ReleaseLog                 // ciphertext digests already key-switched
}

// ThresholdShare is one Shamir share of a party's secret contribution. It
// is SECRET: send it only to party To, over an encrypted, authenticated
// channel.
type ThresholdShare struct {
	From, To int
	Share    multiparty.ShamirSecretShare

	params *Params // for MarshalBinary
}

// NewParty creates party id (1..g.N) with a fresh secret contribution. Its
// once-per-ciphertext record is a MemReleaseLog: it lasts as long as the
// Party object.
func NewParty(g Group, id int) (*Party, error) {
	p, err := emptyParty(g, id, NewMemReleaseLog())
	if err != nil {
		return nil, err
	}
	thr := p.thr
	sk := rlwe.NewKeyGenerator(g.Params.Parameters).GenSecretKeyNew()
	poly, err := thr.GenShamirPolynomial(g.T, sk)
	if err != nil {
		return nil, fmt.Errorf("thhe: shamir polynomial: %w", err)
	}
	p.sk, p.poly = sk, &poly
	// The party's own share of its own contribution never leaves it.
	own := thr.AllocateThresholdSecretShare()
	thr.GenShamirSecretShare(multiparty.ShamirPublicPoint(id), poly, &own)
	if err := p.addShare(id, own); err != nil {
		return nil, err
	}
	return p, nil
}

// emptyParty is party id of g with no key material yet, recording its
// releases in log.
func emptyParty(g Group, id int, log ReleaseLog) (*Party, error) {
	if log == nil {
		return nil, fmt.Errorf("thhe: party %d needs a release log", id)
	}
	if _, err := NewGroup(g.Params, g.N, g.T); err != nil {
		return nil, err
	}
	if id < 1 || id > g.N {
		return nil, fmt.Errorf("thhe: party %d out of range 1..%d", id, g.N)
	}
	params := g.Params.Parameters
	thr := multiparty.NewThresholdizer(params)
	all := make([]multiparty.ShamirPublicPoint, g.N)
	for i := range all {
		all[i] = multiparty.ShamirPublicPoint(i + 1)
	}
	return &Party{
		g:        g,
		id:       id,
		tsk:      thr.AllocateThresholdSecretShare(),
		got:      map[int]bool{},
		thr:      thr,
		cmb:      multiparty.NewCombiner(*params.GetRLWEParameters(), multiparty.ShamirPublicPoint(id), all, g.T),
		additive: map[string]*rlwe.SecretKey{},
		rkg:      map[Seed]*rkgState{},
		log:      log,
	}, nil
}

// ID returns the party's number.
func (p *Party) ID() int { return p.id }

// Group returns the party's group.
func (p *Party) Group() Group { return p.g }

// ThresholdShares returns the Shamir shares of this party's contribution
// for every other party, keyed by recipient. It may be called again (same
// shares) until the party has also received every peer's share; then its
// contribution is erased and ThresholdShares returns ErrSetupDone.
func (p *Party) ThresholdShares() (map[int]*ThresholdShare, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.poly == nil {
		return nil, ErrSetupDone
	}
	defer p.maybeErase()
	p.dealt = true
	out := make(map[int]*ThresholdShare, p.g.N-1)
	for j := 1; j <= p.g.N; j++ {
		if j == p.id {
			continue
		}
		s := p.thr.AllocateThresholdSecretShare()
		p.thr.GenShamirSecretShare(multiparty.ShamirPublicPoint(j), *p.poly, &s)
		out[j] = &ThresholdShare{From: p.id, To: j, Share: s, params: &p.g.Params}
	}
	return out, nil
}

// ReceiveThresholdShare adds a peer's Shamir share. Each peer's share is
// accepted once; after the last one the party erases its own contribution.
func (p *Party) ReceiveThresholdShare(s *ThresholdShare) error {
	if s == nil {
		return fmt.Errorf("thhe: nil threshold share")
	}
	if s.To != p.id {
		return fmt.Errorf("thhe: threshold share for party %d delivered to %d: %w", s.To, p.id, ErrMismatch)
	}
	if s.From < 1 || s.From > p.g.N || s.From == p.id {
		return fmt.Errorf("thhe: threshold share from invalid party %d", s.From)
	}
	if err := checkQP(p.g.Params, s.Share.Poly); err != nil {
		return fmt.Errorf("thhe: threshold share from %d: %w", s.From, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addShare(s.From, s.Share)
}

func (p *Party) addShare(from int, s multiparty.ShamirSecretShare) error {
	if p.done {
		return ErrSetupDone
	}
	if p.got[from] {
		return fmt.Errorf("thhe: second threshold share from party %d: %w", from, ErrMismatch)
	}
	if err := p.thr.AggregateShares(p.tsk, s, &p.tsk); err != nil {
		return fmt.Errorf("thhe: aggregate threshold share: %w", err)
	}
	p.got[from] = true
	if len(p.got) == p.g.N {
		p.done = true
		p.maybeErase()
	}
	return nil
}

// maybeErase erases the party's own contribution once it has both dealt
// its shares and received everyone's. p.mu must be held.
func (p *Party) maybeErase() {
	if p.done && p.dealt {
		zero(p.sk)
		p.sk = nil
		if p.poly != nil {
			for i := range p.poly.Value {
				zeroQP(p.poly.Value[i].Q.Coeffs, p.poly.Value[i].P.Coeffs)
			}
		}
		p.poly = nil
	}
}

// SetupDone reports whether the party holds its threshold share.
func (p *Party) SetupDone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// additiveShare returns the party's additive share of the collective secret
// key for set (Lagrange-weighted threshold share). p.mu must be held.
func (p *Party) additiveShare(set ActiveSet) (*rlwe.SecretKey, error) {
	if !p.done {
		return nil, ErrSetupIncomplete
	}
	if err := p.g.checkSet(set); err != nil {
		return nil, err
	}
	if !set.Contains(p.id) {
		return nil, fmt.Errorf("thhe: party %d is not in active set %v: %w", p.id, []int(set), ErrMismatch)
	}
	k := set.key()
	if sk, ok := p.additive[k]; ok {
		return sk, nil
	}
	sk := rlwe.NewSecretKey(p.g.Params.Parameters)
	if err := p.cmb.GenAdditiveShare(set.points(), multiparty.ShamirPublicPoint(p.id), p.tsk, sk); err != nil {
		return nil, fmt.Errorf("thhe: additive share: %w", err)
	}
	p.additive[k] = sk
	return sk, nil
}

func zero(sk *rlwe.SecretKey) {
	if sk != nil {
		zeroQP(sk.Value.Q.Coeffs, sk.Value.P.Coeffs)
	}
}

func zeroQP(ms ...[][]uint64) {
	for _, m := range ms {
		for _, row := range m {
			clear(row)
		}
	}
}

// digest is SHA-256 over a domain label and b.
func digest(label string, b []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("embassy/thhe/" + label + "/v1\x00"))
	h.Write(b)
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}
