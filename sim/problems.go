package sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is matched by every error that reports problems in a
// scenario (an *InvalidError).
var ErrInvalid = errors.New("invalid scenario")

// ErrNotSupported is matched by problems that name a feature the system
// does not have yet (an ally leaving or joining needs resharing).
var ErrNotSupported = errors.New("not supported yet")

// Pos is a position in a scenario file, 1-based. The zero Pos means the
// value did not come from the file (a default or a command-line setting).
type Pos struct {
	Line, Col int
}

// Problem is one thing wrong with a scenario.
type Problem struct {
	Pos Pos
	Msg string
	// Unsupported marks a problem that asks for something that does not
	// exist yet, rather than a mistake.
	Unsupported bool
}

func (p Problem) String() string {
	if p.Pos.Line == 0 {
		return p.Msg
	}
	return fmt.Sprintf("line %d: %s", p.Pos.Line, p.Msg)
}

// InvalidError lists every problem found in a scenario, in file order.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s: %s", ErrInvalid, strings.Join(parts, "; "))
}

// Is matches ErrInvalid, and ErrNotSupported when a problem is of that kind.
func (e *InvalidError) Is(target error) bool {
	if target == ErrInvalid {
		return true
	}
	if target == ErrNotSupported {
		return slices.ContainsFunc(e.Problems, func(p Problem) bool { return p.Unsupported })
	}
	return false
}

// Format writes the problems one a line as FILE:LINE: message (FILE: message
// for problems without a line), the form editors and compilers use.
func (e *InvalidError) Format(file string) []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Pos.Line == 0 {
			out[i] = fmt.Sprintf("%s: %s", file, p.Msg)
		} else {
			out[i] = fmt.Sprintf("%s:%d: %s", file, p.Pos.Line, p.Msg)
		}
	}
	return out
}

// problems collects Problems.
type problems struct {
	list []Problem
}

func (ps *problems) add(pos Pos, format string, a ...any) {
	ps.list = append(ps.list, Problem{Pos: pos, Msg: fmt.Sprintf(format, a...)})
}

func (ps *problems) unsupported(pos Pos, format string, a ...any) {
	ps.list = append(ps.list, Problem{Pos: pos, Msg: fmt.Sprintf(format, a...), Unsupported: true})
}

// err returns nil or an *InvalidError with the problems sorted by position
// (stable, so problems at one place keep the order they were found in),
// without exact duplicates.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	list = slices.Compact(list)
	return &InvalidError{Problems: list}
}
