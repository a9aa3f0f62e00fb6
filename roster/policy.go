package roster

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNotAllowed is returned by Policy.Allow for a query the policy does
// not permit.
var ErrNotAllowed = errors.New("not allowed by the service's policy")

// AllFields in a Grant's fields allows every field of the registry.
const AllFields = "*"

// Policy is what one service may ask of the network: which registries and
// which of their statistical fields (measures and dimensions), and the
// smallest group it may see (a cell of fewer than MinGroupSize records is
// suppressed).
type Policy struct {
	Registries   []Grant `json:"registries"`
	MinGroupSize int     `json:"min_group_size"`
}

// Grant allows some fields of one registry; Fields ["*"] allows all.
type Grant struct {
	Registry string   `json:"registry"`
	Fields   []string `json:"fields"`
}

func (p *Policy) validate() error {
	if p.MinGroupSize < 1 {
		return fmt.Errorf("min_group_size %d must be at least 1", p.MinGroupSize)
	}
	seen := map[string]bool{}
	for _, g := range p.Registries {
		if g.Registry == "" || seen[g.Registry] {
			return fmt.Errorf("registry %q missing or listed twice", g.Registry)
		}
		seen[g.Registry] = true
		if len(g.Fields) == 0 {
			return fmt.Errorf("registry %s: no fields (use [%q] for all)", g.Registry, AllFields)
		}
	}
	return nil
}

// Allow checks that the policy lets the service use fields of registry.
func (p *Policy) Allow(registry string, fields []string) error {
	if p == nil {
		return fmt.Errorf("%w: no policy", ErrNotAllowed)
	}
	i := slices.IndexFunc(p.Registries, func(g Grant) bool { return g.Registry == registry })
	if i < 0 {
		return fmt.Errorf("%w: registry %s is not granted", ErrNotAllowed, registry)
	}
	g := p.Registries[i]
	if slices.Contains(g.Fields, AllFields) {
		return nil
	}
	var denied []string
	for _, f := range fields {
		if !slices.Contains(g.Fields, f) {
			denied = append(denied, f)
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("%w: %s fields %s are not granted (granted: %s)", ErrNotAllowed, registry,
			strings.Join(denied, ", "), strings.Join(g.Fields, ", "))
	}
	return nil
}
