package registry

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a row file format.
type Format string

// The supported formats.
const (
	FormatCSV   Format = "csv"   // RFC 4180 CSV with a header row
	FormatJSONL Format = "jsonl" // JSON Lines: one JSON object per line
)

// FormatFromPath picks the format from a file name: .csv is CSV, .jsonl and
// .ndjson are JSON Lines (case-insensitive). Anything else wraps
// ErrUnknownFormat.
func FormatFromPath(path string) (Format, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return FormatCSV, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	default:
		return "", fmt.Errorf("%w: cannot tell the format of %q from its extension (want .csv, .jsonl or .ndjson)", ErrUnknownFormat, path)
	}
}

// ParseFormat parses a format name: "csv", or "jsonl" (also "ndjson").
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(name) {
	case "csv":
		return FormatCSV, nil
	case "jsonl", "ndjson":
		return FormatJSONL, nil
	default:
		return "", fmt.Errorf("%w: %q (want csv or jsonl)", ErrUnknownFormat, name)
	}
}
