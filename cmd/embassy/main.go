package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK        = 0
	exitFailure   = 1
	exitUsage     = 2
	exitNotFound  = 3
	exitThreshold = 4
	exitRejected  = 5
)

// exitError carries an exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code, err}
}

// env is what commands get from main: streams and the process context.
type env struct {
	stdout, stderr io.Writer
	args0          string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"node", "run one embassy node in the foreground", runNode},
		{"coordinator", "run a query coordinator (HTTP API) in the foreground", runCoordinator},
		{"testnet", "init, up, down or status of a local multi-process network", runTestnet},
		{"registry", "list and show registry schemas; generate synthetic registries", runRegistry},
		{"ingest", "store registry rows from CSV or JSON Lines (custodian)", runIngest},
		{"get", "look up records by key and print them as JSON", runGet},
		{"query", "ask an encrypted aggregate question (SQL subset) as a service", runQuery},
		{"delete", "delete records by key with signed tombstones (custodian)", runDelete},
		{"keygen", "make a principal key and print its public parts for the roster", runKeygen},
		{"service", "`service keygen`: make a government service's key and roster entry", runService},
		{"roster", "sign a roster as the custodian, or verify one", runRoster},
		{"demo", "run a local 5-node network in this process and show what it verifies", runDemo},
		{"sim", "simulate embassy networks from scenario files: run, validate, list", runSim},
		{"bench", "benchmarks: `bench ingest` (ingest, look-ups) and `bench query` (encrypted queries), each against a same-run baseline", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{stdout: os.Stdout, stderr: os.Stderr, args0: "embassy"}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return report(e, c.name, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(e.stderr, "embassy: unknown command %q\n\n", args[0])
	printUsage(e.stderr)
	return exitUsage
}

func report(e env, name string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "embassy %s: %v\n", name, err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "embassy: a nation's registries, secret-shared across allied data embassies")
	fmt.Fprintln(w, "\nUsage: embassy COMMAND [flags] [args]")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `embassy COMMAND --help` for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 failure, 2 bad usage/input/config, 3 not found, 4 threshold not met, 5 rows rejected.")
}

// newFlags makes a FlagSet whose usage shows the synopsis and description.
func newFlags(e env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: embassy %s\n\n%s\n", synopsis, strings.TrimSpace(description))
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(e.stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags; a flag error is a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{exitUsage, err}
	}
	return nil
}
