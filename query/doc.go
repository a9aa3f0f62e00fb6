// Package query is the SQL subset of Embassy's encrypted aggregate
// queries: it parses a query, plans it against a registry schema's
// statistics (registry.Statistics), evaluates it over plaintext as a
// reference (Oracle), generates random valid queries for tests (Generate),
// and assembles and formats the decrypted answer (Assemble, WriteTable,
// WriteJSON). It does no cryptography and no I/O beyond an io.Writer.
//
// # Grammar
//
// Keywords are case-insensitive; names (registry, dimension, measure) are
// matched exactly, else case-insensitively when that is unambiguous.
// Strings are in single quotes, a quote inside written twice; integers are
// decimal and may be negative in literals.
//
//	SELECT item [, item]* FROM registry [WHERE cond [AND cond]*] [GROUP BY dim] [;]
//	item := dim | COUNT(*) | SUM(m) | AVG(m) | HISTOGRAM(m, e0, e1, ..., ek)
//	cond := dim = 'v' | dim IN ('v1', 'v2', ...) | m BETWEEN a AND b
//
// SELECT, FROM, WHERE, AND, GROUP, BY, IN and BETWEEN are reserved, and so
// are OR, NOT, ORDER, LIMIT, OFFSET, HAVING, JOIN, AS, DISTINCT, UNION,
// LIKE, IS, NULL and ON, which are refused with a message saying what to
// write instead. A query text is at most MaxQueryLen bytes.
//
// # Semantics
//
// Plan (see Query.Plan) derives the Plan that every node evaluates:
//
//   - dim = 'v' and IN keep the dimension's buckets with those labels
//     (registry.Dimension.Buckets). A country dimension's Other label
//     ("other") keeps every country it does not list; naming an unlisted
//     country is an error that says to use it.
//   - m BETWEEN a AND b (inclusive) keeps the bins covering [a, b]; a must
//     be a declared bin edge, and b+1 a declared edge unless b ≥ m's
//     maximum. Ranges and histograms cut only where the registry's bins do.
//   - Conditions on one axis intersect; conditions that leave an axis no
//     bucket at all make the query invalid rather than empty.
//   - A selected bare dimension must be the GROUP BY dimension; GROUP BY
//     takes a dimension. If the GROUP BY dimension is not selected, it
//     becomes the first column.
//   - HISTOGRAM(m, e0, ..., ek) (at most one) splits rows into the bins
//     [e_i, e_{i+1}) and [e_k, +inf); its edges ascend and are declared
//     edges of m. Rows below e0 are not counted, and Plan.Filter says so.
//     Its column holds the bin label; the counts are in the query's
//     COUNT(*) column, added at the end when the SELECT list has none.
//   - The cube is the smallest declared cube (product of its axes' bucket
//     counts) holding every axis that WHERE, GROUP BY and HISTOGRAM use,
//     the first in schema order on a tie.
//
// # Errors
//
// Every Parse, Plan and Compile error is an *Error with the byte offset,
// line and column (in characters) and the text of the offending token, and
// a message naming what is supported; it wraps ErrSyntax, ErrUnsupported,
// ErrUnknown or ErrInvalid. Parse never panics (FuzzParse).
//
// # Results
//
// Assemble turns decrypted Cells into rows in group bucket order, then bin
// order, leaving out empty groups and withholding (Suppressed) those with
// fewer than k rows. COUNT(*) is a uint64, SUM an exact integer and AVG
// the exact quotient rounded to 6 decimals, both as json.Number so that
// large values print exactly. Without GROUP BY and HISTOGRAM the answer is
// one row even over no rows: COUNT(*) 0, SUM and AVG NULL.
//
// # Reference and tests
//
// Oracle computes the cells of a parsed query over plaintext records from
// the query's own semantics, not from its Plan, so that the planner (and
// the encrypted evaluator) can be compared with it cell for cell; the
// tests fold a plaintext tabulation of each cube by the Plan and require
// the oracle's cells exactly, for random queries from Generate.
// Plan.Uses and Plan.Fields list what a plan reads, for access policies;
// Plan.Canonical is a deterministic encoding for comparing plans.
//
// # Why a hand-written parser
//
// The maintained Go SQL parsers available (vitess.io/vitess's sqlparser,
// and the xwb1989/sqlparser and dolthub forks of it) build ASTs without
// source positions: ColName, Literal and FuncExpr carry no offset, so a
// planning error ("not a bin edge", "unknown column") could not point at
// its token. They also accept all of MySQL, so every unsupported construct
// would need a walk to refuse it, and vitess is a large module (with
// protobuf-generated types) for a grammar of a dozen productions. A
// recursive-descent parser of that grammar is about 500 lines, keeps a
// position on every node, and names the supported alternative at each
// point of failure.
package query
