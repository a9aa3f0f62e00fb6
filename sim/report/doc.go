// Package report renders simulation results (package sim/results) as one
// self-contained HTML page: report.html of a run (Write) and of a sweep
// (WriteSweep). Save and SaveSweep write a results directory with its
// report in one go.
//
// A run's report shows the scenario's settings, a summary table per
// operation kind and the failure reasons, the latency CDF per kind, the
// availability timeline (nodes reachable per client against the
// threshold, actions as numbered markers, partitions and killed nodes
// shaded, failed operations below each panel), the timeline's actions,
// bytes per directed site pair and per node and client, and a map-like
// diagram of the sites with their nodes, clients and links (RTT labels;
// links cut by a partition dashed, degraded ones orange). A sweep's report
// has one row per run (its parameters, lookup availability and latency,
// failures) linking to the run's own report, and bar charts across runs.
//
// Guarantees: the page needs nothing from outside and opens without a
// network — CSS and SVG are inline, there is no JavaScript and no font,
// image or stylesheet to fetch, no absolute URL at all (a
// Content-Security-Policy of default-src 'none' tells the browser so);
// the only links are a sweep's relative links to its runs' reports. Every
// text from the results is escaped (html/template for the page,
// html.EscapeString inside the SVG built here), so a scenario, site or
// error text cannot inject markup. The same Run renders to the same
// bytes. The tests parse every page, check each SVG as XML, and load the
// pages in headless Chromium when it is installed, failing on any console
// message.
package report
