// Package results is the data model of one simulation run's outputs and
// its files: the run's settings and topology (run.json, with a summary per
// operation kind), the event log (events.jsonl), and the metrics
// (ops.csv, availability.csv, traffic.csv); a sweep adds sweep.csv. It
// writes them (Write, WriteSweep) and reads them back (Read and the
// per-file readers).
//
// Guarantees:
//
//   - Deterministic files: the same Run gives the same bytes. Times are
//     integer microseconds since the scenario start (never wall-clock
//     time), columns and JSON fields have a fixed order, and no map is
//     iterated in an unspecified order.
//   - Round trip: for a Run that Validate accepts and whose times are
//     whole microseconds, Read(dir) after Write(dir, r) returns a Run
//     deeply equal to r (empty slices and maps read back as nil). Write
//     truncates finer times to the microsecond.
//   - Write never leaves a half-written file under a result's name: each
//     file is written to a temporary file in the directory, synced and
//     renamed; run.json is renamed last, so a directory with a run.json is
//     complete. Write refuses a non-empty directory that holds anything
//     but result files (ErrNotResultsDir), so a wrong --out does not
//     clobber other files.
//   - The readers reject malformed input with an error wrapping ErrFormat
//     naming the file, line and problem; no input makes them panic
//     (fuzzed).
//
// The package does no rendering: report.html is written by package
// sim/report, which passes itself to Write as an extra File.
package results
