package query

import (
	"errors"
	"strings"
	"testing"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"SELECT COUNT(*) FROM population", "SELECT COUNT(*) FROM population"},
		{"select count ( * ) from population ;", "SELECT COUNT(*) FROM population"},
		{"SELECT county, COUNT(*), SUM(birth_year), AVG(birth_year) FROM population GROUP BY county",
			"SELECT county, COUNT(*), SUM(birth_year), AVG(birth_year) FROM population GROUP BY county"},
		{"SELECT HISTOGRAM(employees, 0, 10, 250) FROM business WHERE employees BETWEEN -5 AND 9",
			"SELECT HISTOGRAM(employees, 0, 10, 250) FROM business WHERE employees BETWEEN -5 AND 9"},
		{"SELECT COUNT(*) FROM land WHERE county = 'Jõgeva maakond' AND purpose IN ('forest','other')",
			"SELECT COUNT(*) FROM land WHERE county = 'Jõgeva maakond' AND purpose IN ('forest', 'other')"},
		{"SELECT COUNT(*) FROM x WHERE d = 'it''s' AND d IN ('''', '')", "SELECT COUNT(*) FROM x WHERE d = 'it''s' AND d IN ('''', '')"},
		{"SELECT COUNT(*) FROM x WHERE m BETWEEN 1 AND 2 AND d = 'a' GROUP BY d;",
			"SELECT COUNT(*) FROM x WHERE m BETWEEN 1 AND 2 AND d = 'a' GROUP BY d"},
		{"\n\tSeLeCt\r\n  Sex\nFROM  P  group  BY  sex", "SELECT Sex FROM P GROUP BY sex"},
		{"SELECT count, sum FROM x", "SELECT count, sum FROM x"}, // function names are not reserved
	}
	for _, tt := range tests {
		q, err := Parse(tt.text)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.text, err)
			continue
		}
		if got := q.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.text, got, tt.want)
		}
		q2, err := Parse(q.String())
		if err != nil || q2.String() != q.String() {
			t.Errorf("round trip of %q: %v, %q", q.String(), err, q2)
		}
	}
}

func TestParsePositions(t *testing.T) {
	q, err := Parse("SELECT HISTOGRAM(m, 0, 10), SUM(x)\nFROM r WHERE d IN ('a', 'b''c') AND m BETWEEN 1 AND 9 GROUP BY d")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s at %d, want %d", what, got, want)
		}
	}
	check("HISTOGRAM", q.Items[0].Pos, 7)
	check("m", q.Items[0].Name.Pos, 17)
	check("10", q.Items[0].Edges[1].Pos, 23)
	check("SUM", q.Items[1].Pos, 28)
	check("x", q.Items[1].Name.Pos, 32)
	check("r", q.Registry.Pos, 40)
	check("d", q.Where[0].Name.Pos, 48)
	check("'b''c'", q.Where[0].Values[1].Pos, 59)
	if v := q.Where[0].Values[1]; v.Value != "b'c" || v.Text != "'b''c'" {
		t.Errorf("string literal %+v", v)
	}
	check("9", q.Where[1].Hi.Pos, 87)
	check("GROUP BY d", q.GroupBy.Pos, 98)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text      string
		kind      error
		line, col int
		token     string
		msg       string // a substring of the message
	}{
		{"", ErrSyntax, 1, 1, "", "expected SELECT"},
		{"UPDATE x", ErrSyntax, 1, 1, "UPDATE", "expected SELECT"},
		{"SELECT", ErrSyntax, 1, 7, "", "expected a select item"},
		{"SELECT * FROM population", ErrUnsupported, 1, 8, "*", "SELECT * is not supported"},
		{"SELECT DISTINCT county FROM population", ErrUnsupported, 1, 8, "DISTINCT", "DISTINCT is not supported"},
		{"SELECT COUNT(*) population", ErrSyntax, 1, 17, "population", "expected , or FROM"},
		{"SELECT COUNT(*), FROM population", ErrSyntax, 1, 18, "FROM", "expected a select item"},
		{"SELECT COUNT(county) FROM population", ErrUnsupported, 1, 14, "county", "only COUNT(*)"},
		{"SELECT COUNT(*, FROM population", ErrSyntax, 1, 15, ",", "expected )"},
		{"SELECT MAX(birth_year) FROM population", ErrUnsupported, 1, 8, "MAX", "MAX is not supported"},
		{"SELECT foo(birth_year) FROM population", ErrUnsupported, 1, 8, "foo", "unknown function"},
		{"SELECT SUM(*) FROM population", ErrSyntax, 1, 12, "*", "expected a measure name in SUM(...)"},
		{"SELECT HISTOGRAM(m) FROM population", ErrSyntax, 1, 19, ")", "expected , and the bin edges"},
		{"SELECT HISTOGRAM(m, 1, x) FROM population", ErrSyntax, 1, 24, "x", "expected an integer bin edge"},
		{"SELECT HISTOGRAM(m, 1.5) FROM population", ErrSyntax, 1, 21, "1.5", "not an integer"},
		{"SELECT HISTOGRAM(m, 99999999999999999999) FROM p", ErrSyntax, 1, 21, "99999999999999999999", "out of range"},
		{"SELECT county AS c FROM population", ErrUnsupported, 1, 15, "AS", "aliases"},
		{"SELECT county c FROM population", ErrUnsupported, 1, 15, "c", "aliases"},
		{"SELECT COUNT(*) FROM", ErrSyntax, 1, 21, "", "expected the registry name"},
		{"SELECT COUNT(*) FROM a, b", ErrUnsupported, 1, 23, ",", "one registry"},
		{"SELECT COUNT(*) FROM a JOIN b", ErrUnsupported, 1, 24, "JOIN", "JOIN is not supported"},
		{"SELECT COUNT(*) FROM p.q", ErrUnsupported, 1, 23, ".", "qualified names"},
		{"SELECT COUNT(*) FROM p WHERE", ErrSyntax, 1, 29, "", "expected a condition"},
		{"SELECT COUNT(*) FROM p WHERE sex", ErrSyntax, 1, 33, "", "expected =, IN or BETWEEN"},
		{"SELECT COUNT(*) FROM p WHERE sex = M", ErrSyntax, 1, 36, "M", "value in single quotes"},
		{"SELECT COUNT(*) FROM p WHERE sex = \"M\"", ErrUnsupported, 1, 36, "\"M\"", "single quotes"},
		{"SELECT COUNT(*) FROM p WHERE sex = 'M", ErrSyntax, 1, 36, "'M", "unterminated string"},
		{"SELECT COUNT(*) FROM p WHERE sex != 'M'", ErrUnsupported, 1, 34, "!=", "comparison != is not supported"},
		{"SELECT COUNT(*) FROM p WHERE m >= 5", ErrUnsupported, 1, 32, ">=", "BETWEEN"},
		{"SELECT COUNT(*) FROM p WHERE sex = 'M' OR sex = 'F'", ErrUnsupported, 1, 40, "OR", "OR is not supported"},
		{"SELECT COUNT(*) FROM p WHERE NOT sex = 'M'", ErrUnsupported, 1, 30, "NOT", "NOT is not supported"},
		{"SELECT COUNT(*) FROM p WHERE sex LIKE 'M%'", ErrUnsupported, 1, 34, "LIKE", "LIKE is not supported"},
		{"SELECT COUNT(*) FROM p WHERE sex IN ()", ErrSyntax, 1, 38, ")", "value in single quotes"},
		{"SELECT COUNT(*) FROM p WHERE sex IN 'M'", ErrSyntax, 1, 37, "'M'", "expected ( after IN"},
		{"SELECT COUNT(*) FROM p WHERE sex IN ('M' 'F')", ErrSyntax, 1, 42, "'F'", "expected , or )"},
		{"SELECT COUNT(*) FROM p WHERE sex IN (SELECT x FROM y)", ErrUnsupported, 1, 38, "SELECT", "subqueries"},
		{"SELECT COUNT(*) FROM p WHERE m BETWEEN 1", ErrSyntax, 1, 41, "", "expected AND"},
		{"SELECT COUNT(*) FROM p WHERE m BETWEEN 1 AND x", ErrSyntax, 1, 46, "x", "expected an integer"},
		{"SELECT COUNT(*) FROM p WHERE m BETWEEN - AND 1", ErrSyntax, 1, 40, "-", "expected an integer"},
		{"SELECT COUNT(*) FROM p GROUP county", ErrSyntax, 1, 30, "county", "expected BY"},
		{"SELECT COUNT(*) FROM p GROUP BY", ErrSyntax, 1, 32, "", "expected a dimension after GROUP BY"},
		{"SELECT COUNT(*) FROM p GROUP BY a, b", ErrUnsupported, 1, 34, ",", "GROUP BY takes one dimension"},
		{"SELECT COUNT(*) FROM p GROUP BY a ORDER BY a", ErrUnsupported, 1, 35, "ORDER", "ORDER BY is not supported"},
		{"SELECT COUNT(*) FROM p LIMIT 10", ErrUnsupported, 1, 24, "LIMIT", "LIMIT is not supported"},
		{"SELECT COUNT(*) FROM p GROUP BY a HAVING COUNT(*) > 5", ErrUnsupported, 1, 35, "HAVING", "HAVING is not supported"},
		{"SELECT COUNT(*) FROM p WHERE a = 'b' c", ErrSyntax, 1, 38, "c", "expected AND, GROUP BY or the end"},
		{"SELECT COUNT(*) FROM p x", ErrSyntax, 1, 24, "x", "expected WHERE, GROUP BY or the end"},
		{"SELECT COUNT(*) FROM p; SELECT 1", ErrSyntax, 1, 25, "SELECT", "one query at a time"},
		{"SELECT COUNT(*) FROM p WHERE a = 'b' -- comment", ErrSyntax, 1, 38, "-", "expected AND"},
		{"SELECT COUNT(*) FROM p WHERE a = 'b' # x", ErrSyntax, 1, 38, "#", "unexpected character"},
		{"SELECT COUNT(*)\nFROM p\nWHERE läne = 'x'", ErrSyntax, 3, 8, "ä", "unexpected character"},
		{"SELECT COUNT(*)\nFROM p\nWHERE a = 'ä' AND b = c", ErrSyntax, 3, 23, "c", "value in single quotes"},
		{"SELECT COUNT(*) FROM select", ErrSyntax, 1, 22, "select", "expected the registry name"},
		{"SELECT in FROM p", ErrSyntax, 1, 8, "in", "expected a select item"},
		{"SELECT COUNT(*) FROM p WHERE a IN ('x', 'y'", ErrSyntax, 1, 44, "", "expected , or )"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.text)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *Error", tt.text, err)
			continue
		}
		if !errors.Is(err, tt.kind) || e.Line != tt.line || e.Col != tt.col || e.Token != tt.token || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q):\n got %v (%v, %d:%d, token %q)\nwant %v, %d:%d, token %q, message with %q",
				tt.text, err, e.Kind, e.Line, e.Col, e.Token, tt.kind, tt.line, tt.col, tt.token, tt.msg)
		}
		checkErrorPos(t, tt.text, e)
	}
}

// checkErrorPos checks that an error's position is in range and agrees
// with its line, column and token.
func checkErrorPos(t *testing.T, text string, e *Error) {
	t.Helper()
	if e.Pos < 0 || e.Pos > len(text) {
		t.Fatalf("%q: error position %d outside [0, %d]: %v", text, e.Pos, len(text), e)
	}
	if !strings.HasPrefix(text[e.Pos:], e.Token) {
		t.Fatalf("%q: token %q is not at %d: %v", text, e.Token, e.Pos, e)
	}
	line, col := 1, 1
	for _, r := range text[:e.Pos] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	if e.Line != line || e.Col != col {
		t.Fatalf("%q: error at %d:%d, want %d:%d", text, e.Line, e.Col, line, col)
	}
	if e.Kind == nil || e.Msg == "" {
		t.Fatalf("%q: error without kind or message: %#v", text, e)
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse("SELECT COUNT(*) FROM p WHERE a <> 'b'")
	want := `query:1:32: near "<>": comparison <> is not supported: use measure BETWEEN a AND b for ranges and = or IN for dimensions`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	_, err = Parse("SELECT COUNT(*)\nFROM")
	want = `query:2:5: at end of input: expected the registry name after FROM`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestParseTooLong(t *testing.T) {
	text := "SELECT COUNT(*) FROM p WHERE a IN ('x'" + strings.Repeat(", 'x'", MaxQueryLen/5) + ")"
	_, err := Parse(text)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) || e.Pos != MaxQueryLen {
		t.Fatalf("Parse of %d bytes = %v", len(text), err)
	}
}

func TestErrorShortensToken(t *testing.T) {
	text := "SELECT COUNT(*) FROM p WHERE a = '" + strings.Repeat("é", 100)
	_, err := Parse(text)
	var e *Error
	if !errors.As(err, &e) || len(e.Token) != 201 {
		t.Fatalf("Parse: %v", err)
	}
	want := `query:1:34: near "'` + strings.Repeat("é", 39) + `...": unterminated string`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}
