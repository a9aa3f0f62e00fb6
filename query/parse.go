package query

import (
	"strconv"
	"strings"
)

// Query is a parsed query: the syntax tree, every node carrying the byte
// offset of its first token in Text so that planning errors can point at
// it. Names are as written; Plan resolves them against a schema.
type Query struct {
	Text     string
	Items    []Item // the SELECT list, in order
	Registry Ident  // FROM
	Where    []Cond // joined by AND
	GroupBy  *Ident // nil without GROUP BY
}

// Ident is a name as written.
type Ident struct {
	Name string
	Pos  int
}

// Int is an integer literal.
type Int struct {
	Value int64
	Pos   int
	Text  string // as written
}

// Str is a string literal.
type Str struct {
	Value string // unquoted, '' turned into '
	Pos   int
	Text  string // as written, with the quotes
}

// ItemKind says what a SELECT item is.
type ItemKind int

// Item kinds.
const (
	ItemDim       ItemKind = iota + 1 // a bare name: the GROUP BY dimension
	ItemCount                         // COUNT(*)
	ItemSum                           // SUM(m)
	ItemAvg                           // AVG(m)
	ItemHistogram                     // HISTOGRAM(m, e0, ..., ek)
)

// Item is one SELECT item.
type Item struct {
	Kind  ItemKind
	Pos   int   // the item's first token
	Name  Ident // the dimension (ItemDim) or measure (ItemSum, ItemAvg, ItemHistogram)
	Edges []Int // ItemHistogram: e0, ..., ek
}

// CondKind says what a WHERE condition is.
type CondKind int

// Condition kinds.
const (
	CondEq      CondKind = iota + 1 // dim = 'v'
	CondIn                          // dim IN ('v1', ...)
	CondBetween                     // m BETWEEN lo AND hi
)

// Cond is one WHERE condition.
type Cond struct {
	Kind   CondKind
	Name   Ident
	Values []Str // CondEq (one) and CondIn
	Lo, Hi Int   // CondBetween, inclusive
}

const (
	wantItem = "expected a select item: a dimension, COUNT(*), SUM(measure), AVG(measure) or HISTOGRAM(measure, e0, e1, ...)"
	wantCond = "expected a condition: dimension = 'value', dimension IN ('value', ...) or measure BETWEEN a AND b"
	wantEnd  = "expected WHERE, GROUP BY or the end of the query"
)

// Parse parses one query of the grammar
//
//	SELECT item [, item]* FROM registry [WHERE cond [AND cond]*] [GROUP BY dim] [;]
//	item := dim | COUNT(*) | SUM(m) | AVG(m) | HISTOGRAM(m, e0, e1, ..., ek)
//	cond := dim = 'v' | dim IN ('v1', 'v2', ...) | m BETWEEN a AND b
//
// Errors are *Error values wrapping ErrSyntax or ErrUnsupported.
func Parse(text string) (*Query, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{text: text, toks: toks}
	return p.query()
}

type parser struct {
	text string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, kind error, format string, args ...any) *Error {
	return newError(p.text, t.pos, t.text, kind, format, args...)
}

// expect consumes the punctuation or keyword want, or fails with msg.
func (p *parser) expect(want, msg string) (token, error) {
	t := p.peek()
	if t.punct(want) || t.keyword(want) {
		return p.next(), nil
	}
	return t, p.unexpected(t, msg)
}

// unexpected explains a token where another was wanted: SQL that the
// subset does not support gets its own message, anything else msg.
func (p *parser) unexpected(t token, msg string) *Error {
	if t.kind == tokIdent {
		switch strings.ToUpper(t.text) {
		case "OR":
			return p.errAt(t, ErrUnsupported, "OR is not supported: conditions are joined by AND; for alternatives on one dimension use IN ('a', 'b')")
		case "NOT":
			return p.errAt(t, ErrUnsupported, "NOT is not supported: list the values to keep with IN ('a', 'b')")
		case "ORDER":
			return p.errAt(t, ErrUnsupported, "ORDER BY is not supported: rows come in the dimension's bucket order, then bin order")
		case "LIMIT", "OFFSET":
			return p.errAt(t, ErrUnsupported, "%s is not supported: every group is returned", strings.ToUpper(t.text))
		case "HAVING":
			return p.errAt(t, ErrUnsupported, "HAVING is not supported: filter rows with WHERE")
		case "JOIN", "UNION", "ON":
			return p.errAt(t, ErrUnsupported, "a query reads one registry: %s is not supported", strings.ToUpper(t.text))
		case "AS":
			return p.errAt(t, ErrUnsupported, "column aliases (AS) are not supported: columns are named after their items")
		case "DISTINCT":
			return p.errAt(t, ErrUnsupported, "DISTINCT is not supported: use GROUP BY dimension")
		case "LIKE", "IS", "NULL":
			return p.errAt(t, ErrUnsupported, "%s is not supported: conditions are dimension = 'value', dimension IN ('value', ...) and measure BETWEEN a AND b", strings.ToUpper(t.text))
		}
	}
	return p.errAt(t, ErrSyntax, "%s", msg)
}

func (p *parser) query() (*Query, error) {
	q := &Query{Text: p.text}
	if _, err := p.expect("SELECT", "expected SELECT: queries have the form SELECT items FROM registry [WHERE conditions] [GROUP BY dimension]"); err != nil {
		return nil, err
	}
	if t := p.peek(); t.keyword("DISTINCT") {
		return nil, p.unexpected(t, "")
	}
	for {
		it, err := p.item()
		if err != nil {
			return nil, err
		}
		q.Items = append(q.Items, it)
		if !p.peek().punct(",") {
			break
		}
		p.next()
	}
	if _, err := p.expect("FROM", "expected , or FROM after a select item"); err != nil {
		return nil, err
	}
	name, err := p.name("expected the registry name after FROM")
	if err != nil {
		return nil, err
	}
	q.Registry = name
	if t := p.peek(); t.punct(",") {
		return nil, p.errAt(t, ErrUnsupported, "a query reads one registry")
	}
	if p.peek().keyword("WHERE") {
		p.next()
		for {
			c, err := p.cond()
			if err != nil {
				return nil, err
			}
			q.Where = append(q.Where, c)
			if !p.peek().keyword("AND") {
				break
			}
			p.next()
		}
	}
	if p.peek().keyword("GROUP") {
		p.next()
		if _, err := p.expect("BY", "expected BY after GROUP"); err != nil {
			return nil, err
		}
		g, err := p.name("expected a dimension after GROUP BY")
		if err != nil {
			return nil, err
		}
		q.GroupBy = &g
		if t := p.peek(); t.punct(",") {
			return nil, p.errAt(t, ErrUnsupported, "GROUP BY takes one dimension")
		}
	}
	if p.peek().punct(";") {
		p.next()
		if t := p.peek(); t.kind != tokEOF {
			return nil, p.errAt(t, ErrSyntax, "expected the end of the query after ; (one query at a time)")
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		msg := wantEnd
		switch {
		case q.GroupBy != nil:
			msg = "expected the end of the query after GROUP BY dimension"
		case q.Where != nil:
			msg = "expected AND, GROUP BY or the end of the query"
		}
		return nil, p.unexpected(t, msg)
	}
	return q, nil
}

// name consumes a name that is not a reserved word.
func (p *parser) name(msg string) (Ident, error) {
	t := p.peek()
	if t.kind != tokIdent || isReserved(t) {
		return Ident{}, p.unexpected(t, msg)
	}
	p.next()
	if nt := p.peek(); nt.kind == tokOp && nt.text == "." {
		return Ident{}, p.errAt(nt, ErrUnsupported, "qualified names are not supported: write the bare name")
	}
	return Ident{Name: t.str, Pos: t.pos}, nil
}

func (p *parser) item() (Item, error) {
	t := p.peek()
	if t.punct("*") {
		return Item{}, p.errAt(t, ErrUnsupported, "SELECT * is not supported: select aggregates (COUNT(*), SUM(measure), AVG(measure), HISTOGRAM(measure, e0, ...)) and the GROUP BY dimension")
	}
	if t.kind != tokIdent || isReserved(t) {
		return Item{}, p.unexpected(t, wantItem)
	}
	if !p.toks[p.i+1].punct("(") {
		n, err := p.name(wantItem)
		if err != nil {
			return Item{}, err
		}
		if a := p.peek(); a.kind == tokIdent && !isReserved(a) {
			return Item{}, p.errAt(a, ErrUnsupported, "column aliases are not supported: columns are named after their items")
		}
		return Item{Kind: ItemDim, Pos: t.pos, Name: n}, nil
	}
	p.next() // the function name
	p.next() // (
	it := Item{Pos: t.pos}
	switch strings.ToUpper(t.text) {
	case "COUNT":
		it.Kind = ItemCount
		if a := p.peek(); !a.punct("*") {
			if a.kind == tokIdent && !isReserved(a) || a.keyword("DISTINCT") {
				return Item{}, p.errAt(a, ErrUnsupported, "only COUNT(*) is supported (no value is ever missing, so COUNT(column) would be the same)")
			}
			return Item{}, p.unexpected(a, "expected * in COUNT(*)")
		}
		p.next()
	case "SUM", "AVG", "HISTOGRAM":
		switch strings.ToUpper(t.text) {
		case "SUM":
			it.Kind = ItemSum
		case "AVG":
			it.Kind = ItemAvg
		default:
			it.Kind = ItemHistogram
		}
		if a := p.peek(); a.keyword("DISTINCT") {
			return Item{}, p.unexpected(a, "")
		}
		n, err := p.name("expected a measure name in " + strings.ToUpper(t.text) + "(...)")
		if err != nil {
			return Item{}, err
		}
		it.Name = n
		if it.Kind == ItemHistogram {
			if _, err := p.expect(",", "expected , and the bin edges: HISTOGRAM(measure, e0, e1, ...)"); err != nil {
				return Item{}, err
			}
			for {
				e, err := p.integer("expected an integer bin edge: HISTOGRAM(measure, e0, e1, ...)")
				if err != nil {
					return Item{}, err
				}
				it.Edges = append(it.Edges, e)
				if !p.peek().punct(",") {
					break
				}
				p.next()
			}
		}
	case "MIN", "MAX", "MEDIAN", "STDDEV", "VARIANCE", "COUNT_DISTINCT", "GROUP_CONCAT", "PERCENTILE":
		return Item{}, p.errAt(t, ErrUnsupported, "%s is not supported: the aggregates are COUNT(*), SUM(measure), AVG(measure) and HISTOGRAM(measure, e0, e1, ...)", strings.ToUpper(t.text))
	default:
		return Item{}, p.errAt(t, ErrUnsupported, "unknown function: the aggregates are COUNT(*), SUM(measure), AVG(measure) and HISTOGRAM(measure, e0, e1, ...)")
	}
	if _, err := p.expect(")", "expected )"); err != nil {
		return Item{}, err
	}
	return it, nil
}

func (p *parser) integer(msg string) (Int, error) {
	t := p.peek()
	if t.kind != tokInt {
		return Int{}, p.unexpected(t, msg)
	}
	p.next()
	return Int{Value: t.num, Pos: t.pos, Text: t.text}, nil
}

func (p *parser) str(msg string) (Str, error) {
	t := p.peek()
	if t.kind != tokString {
		return Str{}, p.unexpected(t, msg)
	}
	p.next()
	return Str{Value: t.str, Pos: t.pos, Text: t.text}, nil
}

func (p *parser) cond() (Cond, error) {
	n, err := p.name(wantCond)
	if err != nil {
		return Cond{}, err
	}
	c := Cond{Name: n}
	t := p.peek()
	switch {
	case t.punct("="):
		p.next()
		c.Kind = CondEq
		v, err := p.str("expected a value in single quotes: dimension = 'value'")
		if err != nil {
			return Cond{}, err
		}
		c.Values = []Str{v}
	case t.keyword("IN"):
		p.next()
		c.Kind = CondIn
		if _, err := p.expect("(", "expected ( after IN: dimension IN ('a', 'b')"); err != nil {
			return Cond{}, err
		}
		if sel := p.peek(); sel.keyword("SELECT") {
			return Cond{}, p.errAt(sel, ErrUnsupported, "subqueries are not supported: list the values, IN ('a', 'b')")
		}
		for {
			v, err := p.str("expected a value in single quotes: dimension IN ('a', 'b')")
			if err != nil {
				return Cond{}, err
			}
			c.Values = append(c.Values, v)
			if !p.peek().punct(",") {
				break
			}
			p.next()
		}
		if _, err := p.expect(")", "expected , or ) in the IN list"); err != nil {
			return Cond{}, err
		}
	case t.keyword("BETWEEN"):
		p.next()
		c.Kind = CondBetween
		if c.Lo, err = p.integer("expected an integer: measure BETWEEN a AND b"); err != nil {
			return Cond{}, err
		}
		if _, err := p.expect("AND", "expected AND: measure BETWEEN a AND b"); err != nil {
			return Cond{}, err
		}
		if c.Hi, err = p.integer("expected an integer: measure BETWEEN a AND b"); err != nil {
			return Cond{}, err
		}
	case t.kind == tokOp && strings.ContainsAny(t.text, "<>!"):
		return Cond{}, p.errAt(t, ErrUnsupported, "comparison %s is not supported: use measure BETWEEN a AND b for ranges and = or IN for dimensions", t.text)
	default:
		return Cond{}, p.unexpected(t, "expected =, IN or BETWEEN after the name")
	}
	return c, nil
}

// String renders the query in a canonical form (upper-case keywords,
// single spaces, names and literals as written) that parses back to an
// equal Query, positions aside.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, it := range q.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		switch it.Kind {
		case ItemDim:
			b.WriteString(it.Name.Name)
		case ItemCount:
			b.WriteString("COUNT(*)")
		case ItemSum:
			b.WriteString("SUM(" + it.Name.Name + ")")
		case ItemAvg:
			b.WriteString("AVG(" + it.Name.Name + ")")
		case ItemHistogram:
			b.WriteString("HISTOGRAM(" + it.Name.Name)
			for _, e := range it.Edges {
				b.WriteString(", " + strconv.FormatInt(e.Value, 10))
			}
			b.WriteString(")")
		}
	}
	b.WriteString(" FROM " + q.Registry.Name)
	for i, c := range q.Where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(c.Name.Name)
		switch c.Kind {
		case CondEq:
			b.WriteString(" = " + quote(c.Values[0].Value))
		case CondIn:
			b.WriteString(" IN (")
			for j, v := range c.Values {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(quote(v.Value))
			}
			b.WriteString(")")
		case CondBetween:
			b.WriteString(" BETWEEN " + strconv.FormatInt(c.Lo.Value, 10) + " AND " + strconv.FormatInt(c.Hi.Value, 10))
		}
	}
	if q.GroupBy != nil {
		b.WriteString(" GROUP BY " + q.GroupBy.Name)
	}
	return b.String()
}

// quote renders s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
