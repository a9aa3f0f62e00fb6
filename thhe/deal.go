package thhe

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/multiparty"
)

// Deal samples party id's secret contribution sk_id, returns its N Shamir
// shares keyed by recipient (the party's own share under id) and erases
// sk_id and the polynomial. It is the restartable form of the threshold
// setup: a node persists what Deal returns (its own share encrypted at rest,
// the others sealed to their recipients) before sending anything, so a
// restart resends the same contribution instead of sampling a second one.
// Every share is SECRET.
func Deal(g Group, id int) (map[int]*ThresholdShare, error) {
	p, err := NewParty(g, id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int]*ThresholdShare, g.N)
	for j := 1; j <= g.N; j++ {
		s := p.thr.AllocateThresholdSecretShare()
		p.thr.GenShamirSecretShare(multiparty.ShamirPublicPoint(j), *p.poly, &s)
		out[j] = &ThresholdShare{From: id, To: j, Share: s, params: &p.g.Params}
	}
	p.dealt, p.done = true, true // p is discarded: erase everything it holds
	p.maybeErase()
	zeroQP(p.tsk.Poly.Q.Coeffs, p.tsk.Poly.P.Coeffs)
	return out, nil
}

// AssembleParty builds party id's finished state from the N threshold shares
// addressed to it, one from each party (its own included): the result holds
// the party's T-of-N share of the collective key, like a Party that ran
// NewParty, ThresholdShares and ReceiveThresholdShare to the end. Its
// once-per-ciphertext record is log (not nil), which must outlive the
// process for the rule to hold across restarts: a node passes its durable
// log and so refuses, after a restart, a ciphertext it released before.
func AssembleParty(g Group, id int, shares []*ThresholdShare, log ReleaseLog) (*Party, error) {
	p, err := emptyParty(g, id, log)
	if err != nil {
		return nil, err
	}
	if len(shares) != g.N {
		return nil, fmt.Errorf("thhe: %d threshold shares, need one from each of %d parties: %w", len(shares), g.N, ErrSetupIncomplete)
	}
	p.dealt = true
	for _, s := range shares {
		if s == nil {
			return nil, fmt.Errorf("thhe: nil threshold share")
		}
		if s.To != id {
			return nil, fmt.Errorf("thhe: threshold share for party %d given to %d: %w", s.To, id, ErrMismatch)
		}
		if s.From < 1 || s.From > g.N {
			return nil, fmt.Errorf("thhe: threshold share from invalid party %d", s.From)
		}
		if err := checkQP(g.Params, s.Share.Poly); err != nil {
			return nil, fmt.Errorf("thhe: threshold share from %d: %w", s.From, err)
		}
		if err := p.addShare(s.From, s.Share); err != nil {
			return nil, err
		}
	}
	if !p.done {
		return nil, ErrSetupIncomplete
	}
	return p, nil
}
