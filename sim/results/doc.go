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
//   - Round trip: for a Run that Validate accepts, whose times are whole
//     microseconds and whose text is valid UTF-8 without carriage returns,
//     Read(dir) after Write(dir, r) returns a Run deeply equal to r (empty
//     slices and maps read back as nil). Write truncates finer times to
//     the microsecond, writes invalid UTF-8 as U+FFFD and line breaks as
//     "\n"; it never fails because of text.
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
// # Files
//
// All times are integer microseconds since the scenario start.
//
//   - run.json: format ("embassy-sim-results/1"), scenario, description,
//     seed, duration_us, threshold, sample_interval_us, params, dir,
//     sites [{id, city, country, lat, lon}], links [{a, b, rtt_us,
//     bandwidth_bps, loss}], nodes [{name, index, site}], clients [{name,
//     site, role}], summary {kinds [{kind, count, ok, failed, reasons
//     [{reason, count}], p50_ms, p95_ms, p99_ms, max_ms}], lookups,
//     availability, samples, min_margin, samples_below_threshold}.
//   - events.jsonl: one object per line: t_us, t ("h:mm:ss.mmm"), type,
//     and as present action, target, detail, op {start_us, latency_us,
//     kind, client, site, registry, ok, reason, error, reachable}.
//   - ops.csv: start_us, latency_us, kind, client, site, registry, ok,
//     reason, reachable, error.
//   - availability.csv: t_us, client, site, nodes_up, reachable,
//     threshold, margin, ok, failed.
//   - traffic.csv: scope (endpoint or link), name, bytes_out, bytes_in,
//     packets_out, packets_in, dropped.
//   - sweep.csv: run (the run's directory), one column per sweep
//     parameter (sorted by name), ops, ops_failed, lookups,
//     lookups_failed, availability, lookup_p50_ms, lookup_p95_ms,
//     lookup_p99_ms, min_margin, samples_below_threshold.
//
// The package does no rendering: report.html is written by package
// sim/report, which passes itself to Write as an extra File.
package results
