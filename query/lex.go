package query

import (
	"strconv"
	"strings"
)

// MaxQueryLen bounds the query text in bytes; longer texts are refused
// before they are read.
const MaxQueryLen = 64 << 10

type tokKind int

const (
	tokEOF    tokKind = iota
	tokIdent          // name or keyword
	tokInt            // decimal integer, optionally negative
	tokString         // '...' with '' for a quote
	tokPunct          // ( ) , ; * =
	tokOp             // < > <= >= <> != . | + - / ... : recognised only to refuse them
)

type token struct {
	kind tokKind
	pos  int    // byte offset in the text
	text string // as written
	str  string // tokString: the value; tokIdent: the name
	num  int64  // tokInt
}

// keyword reports whether an identifier token is the keyword kw (upper case).
func (t token) keyword(kw string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (t token) punct(p string) bool { return t.kind == tokPunct && t.text == p }

// isReserved reports whether t is a reserved word, which cannot be used
// as a name: the grammar's keywords and the SQL words refused with a
// message saying what to write instead.
func isReserved(t token) bool {
	if t.kind != tokIdent {
		return false
	}
	switch strings.ToUpper(t.text) {
	case "SELECT", "FROM", "WHERE", "AND", "GROUP", "BY", "IN", "BETWEEN",
		"OR", "NOT", "ORDER", "LIMIT", "OFFSET", "HAVING", "JOIN", "AS",
		"DISTINCT", "UNION", "LIKE", "IS", "NULL", "ON":
		return true
	}
	return false
}

// lex splits text into tokens, ending with a tokEOF at len(text).
func lex(text string) ([]token, error) {
	if len(text) > MaxQueryLen {
		return nil, newError(text, MaxQueryLen, "", ErrSyntax, "the query is longer than %d bytes", MaxQueryLen)
	}
	var toks []token
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(text) && isIdentPart(text[j]) {
				j++
			}
			toks = append(toks, token{kind: tokIdent, pos: i, text: text[i:j], str: text[i:j]})
			i = j
		case isDigit(c) || (c == '-' && i+1 < len(text) && isDigit(text[i+1])):
			j := i + 1
			for j < len(text) && isDigit(text[j]) {
				j++
			}
			if j < len(text) && (isIdentStart(text[j]) || text[j] == '.') {
				k := j + 1
				for k < len(text) && (isIdentPart(text[k]) || text[k] == '.') {
					k++
				}
				return nil, newError(text, i, text[i:k], ErrSyntax, "not an integer: numbers are decimal integers such as 10 or -5")
			}
			n, err := strconv.ParseInt(text[i:j], 10, 64)
			if err != nil {
				return nil, newError(text, i, text[i:j], ErrSyntax, "integer out of range (at most 19 digits)")
			}
			toks = append(toks, token{kind: tokInt, pos: i, text: text[i:j], num: n})
			i = j
		case c == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(text) {
				if text[j] == '\'' {
					if j+1 < len(text) && text[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					j++
					closed = true
					break
				}
				b.WriteByte(text[j])
				j++
			}
			if !closed {
				return nil, newError(text, i, text[i:], ErrSyntax, "unterminated string: strings end with ' (write '' for a quote inside)")
			}
			toks = append(toks, token{kind: tokString, pos: i, text: text[i:j], str: b.String()})
			i = j
		case strings.IndexByte("(),;*=", c) >= 0:
			toks = append(toks, token{kind: tokPunct, pos: i, text: text[i : i+1]})
			i++
		case c == '"' || c == '`':
			j := strings.IndexByte(text[i+1:], c)
			end := len(text)
			if j >= 0 {
				end = i + 1 + j + 1
			}
			return nil, newError(text, i, text[i:end], ErrUnsupported,
				"quoted identifiers are not supported: write names bare (county) and values in single quotes ('Harju maakond')")
		case strings.IndexByte("<>!.|+-/%:", c) >= 0:
			j := i + 1
			if j < len(text) && strings.IndexByte("=>", text[j]) >= 0 && (c == '<' || c == '>' || c == '!') {
				j++
			}
			toks = append(toks, token{kind: tokOp, pos: i, text: text[i:j]})
			i = j
		default:
			end := i + 1
			for end < len(text) && text[end]&0xC0 == 0x80 { // the rest of a UTF-8 sequence
				end++
			}
			return nil, newError(text, i, text[i:end], ErrSyntax, "unexpected character")
		}
	}
	toks = append(toks, token{kind: tokEOF, pos: len(text)})
	return toks, nil
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
