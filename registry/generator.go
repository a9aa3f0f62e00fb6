package registry

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
)

// Generator makes synthetic records of one built-in registry,
// deterministically from a seed: the i-th call to Next gives the same
// record for the same registry and seed. Keys never repeat within one
// Generator. A Generator is not safe for concurrent use.
type Generator struct {
	rng     *rand.Rand
	maker   rowMaker
	made    int
	maxRows int
}

// rowMaker makes the values of one row.
type rowMaker interface {
	next(rng *rand.Rand) []string
}

// NewGenerator returns a generator for the named built-in registry.
func NewGenerator(registry string, seed uint64) (*Generator, error) {
	if _, err := Lookup(registry); err != nil {
		return nil, err
	}
	g := &Generator{rng: rand.New(rand.NewPCG(seed, streamOf(registry)))}
	switch registry {
	case "population":
		g.maker, g.maxRows = newPopulationMaker(), maxPopulationRows
	case "land":
		g.maker, g.maxRows = newLandMaker(), maxLandRows
	case "business":
		g.maker, g.maxRows = newBusinessMaker(), maxBusinessRows
	default:
		return nil, fmt.Errorf("%w: no generator for %q", ErrUnknownRegistry, registry)
	}
	return g, nil
}

// streamOf picks a distinct PCG stream per registry.
func streamOf(registry string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(registry))
	return h.Sum64()
}

// MaxRows is how many records the generator can make before its unique
// keys run out.
func (g *Generator) MaxRows() int { return g.maxRows }

// Next returns the next record. It panics past MaxRows records.
func (g *Generator) Next() Record {
	if g.made >= g.maxRows {
		panic(fmt.Sprintf("registry: generator key space exhausted after %d rows", g.made))
	}
	g.made++
	return Record{Values: g.maker.next(g.rng)}
}

// Generate writes rows synthetic records of the named registry in format f.
func Generate(w io.Writer, f Format, registry string, rows int, seed uint64) error {
	if rows < 0 {
		return fmt.Errorf("negative row count %d", rows)
	}
	s, err := Lookup(registry)
	if err != nil {
		return err
	}
	g, err := NewGenerator(registry, seed)
	if err != nil {
		return err
	}
	if rows > g.MaxRows() {
		return fmt.Errorf("%w: %d %s rows asked, at most %d", ErrTooManyRows, rows, registry, g.MaxRows())
	}
	out, err := NewWriter(w, f, s)
	if err != nil {
		return err
	}
	for range rows {
		if err := out.Write(g.Next()); err != nil {
			return err
		}
	}
	return out.Flush()
}
