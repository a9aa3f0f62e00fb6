package query

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors that callers can branch on with errors.Is. Every error
// from Parse, Plan and Compile is an *Error wrapping exactly one of the
// first four; Assemble's errors wrap ErrCells.
var (
	// ErrSyntax: the text is not a query of the grammar (a misplaced or
	// missing token, an unterminated string, an integer out of range).
	ErrSyntax = errors.New("syntax error")
	// ErrUnsupported: SQL outside the supported subset (OR, ORDER BY,
	// MIN, ...) or a query the registry's statistics cannot answer (a
	// range or histogram that does not cut at declared bin edges, axes
	// that no declared cube holds together).
	ErrUnsupported = errors.New("unsupported query")
	// ErrUnknown: a registry, column or value that the schema does not
	// declare.
	ErrUnknown = errors.New("unknown name")
	// ErrInvalid: a well-formed query that makes no sense (a selected
	// dimension that is not the GROUP BY dimension, an empty range,
	// conditions that exclude every row, histogram edges not ascending).
	ErrInvalid = errors.New("invalid query")
	// ErrCells: the cells handed to Assemble do not fit the plan.
	ErrCells = errors.New("cells do not fit the plan")
)

// Error is a parse or plan error located at the offending token.
type Error struct {
	Pos   int    // byte offset of the token in the query text
	Line  int    // 1-based line of Pos
	Col   int    // 1-based column of Pos, counted in characters (runes)
	Token string // the token's text as written; "" at the end of the input
	Msg   string // what is wrong and what is supported
	Kind  error  // ErrSyntax, ErrUnsupported, ErrUnknown or ErrInvalid
}

// Error renders the error as query:LINE:COL: near "TOKEN": MSG.
func (e *Error) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("query:%d:%d: at end of input: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("query:%d:%d: near %q: %s", e.Line, e.Col, shorten(e.Token), e.Msg)
}

// shorten cuts a long token (an unterminated string runs to the end of
// the text) to its first 40 characters for display.
func shorten(token string) string {
	n := 0
	for i := range token {
		if n == 40 {
			return token[:i] + "..."
		}
		n++
	}
	return token
}

// Unwrap returns the sentinel (ErrSyntax, ErrUnsupported, ...).
func (e *Error) Unwrap() error { return e.Kind }

// newError locates byte offset pos of text. pos is clamped to the text.
func newError(text string, pos int, token string, kind error, format string, args ...any) *Error {
	pos = max(0, min(pos, len(text)))
	line, col := lineCol(text, pos)
	return &Error{Pos: pos, Line: line, Col: col, Token: token, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

// lineCol returns the 1-based line and rune column of byte offset pos.
func lineCol(text string, pos int) (line, col int) {
	before := text[:pos]
	line = 1 + strings.Count(before, "\n")
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, 1 + utf8.RuneCountInString(before)
}
