package thhe

import (
	"errors"
	"fmt"
)

// ErrUnknownParams is returned for a parameter-set name or fingerprint that
// is not one of ours.
var ErrUnknownParams = errors.New("unknown HE parameters")

// ParamsNames are the names of the parameter sets, as configs spell them.
var paramsNames = []string{"production", "test"}

// ParamsByName returns the parameter set named "production" (or "") or
// "test".
func ParamsByName(name string) (Params, error) {
	switch name {
	case "", "production":
		return ProductionParams()
	case "test":
		return TestParams()
	}
	return Params{}, fmt.Errorf("%w: %q (want production or test)", ErrUnknownParams, name)
}

// ParamsByID returns the parameter set whose fingerprint (Params.ID) is id,
// so a client can learn the network's parameters from a node.
func ParamsByID(id []byte) (Params, error) {
	for _, name := range paramsNames {
		p, err := ParamsByName(name)
		if err != nil {
			return Params{}, err
		}
		if pid := p.ID(); string(pid[:]) == string(id) {
			return p, nil
		}
	}
	return Params{}, fmt.Errorf("%w: fingerprint %x", ErrUnknownParams, id)
}
