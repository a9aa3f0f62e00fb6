//go:build !go1.26 || go1.27

package bubble

import "testing"

// Run runs f in a new synctest bubble and returns f's error. On this Go
// version it is not implemented: it returns ErrUnsupportedGo without
// calling f. See the package documentation.
func Run(f func(t *testing.T) error) error {
	return ErrUnsupportedGo
}
