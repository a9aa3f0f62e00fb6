package query

import (
	"iter"
	"maps"
	"strconv"
)

func strconv64(v int64) string { return strconv.FormatInt(v, 10) }

func mapKeys[V any](m map[string]V) iter.Seq[string] { return maps.Keys(m) }
