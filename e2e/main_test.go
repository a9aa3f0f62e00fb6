package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Paths set up by TestMain.
var (
	binary  string // the embassy executable under test
	popFile string // 10,000 population rows, seed 7, shared read-only by the tests
	popRows []row  // its rows, in file order
)

// popRowCount is the size of the shared population file.
const popRowCount = 10_000

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		os.Exit(0)
	}
	os.Exit(setupAndRun(m))
}

func setupAndRun(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "embassy-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	binary = filepath.Join(tmp, "embassy")
	// No -race: the binary is a subprocess; -race on `go test` covers the
	// test process only.
	build := exec.Command("go", "build", "-o", binary, "./cmd/embassy")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/embassy: %v\n%s", err, out)
		return 1
	}
	popFile = filepath.Join(tmp, "pop.csv")
	gen := exec.Command(binary, "registry", "generate", "population",
		"--rows", fmt.Sprint(popRowCount), "--seed", "7", "--out", popFile)
	if out, err := gen.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: registry generate: %v\n%s", err, out)
		return 1
	}
	if popRows, err = readRows(popFile); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if len(popRows) != popRowCount {
		fmt.Fprintf(os.Stderr, "e2e: %s holds %d rows, want %d\n", popFile, len(popRows), popRowCount)
		return 1
	}
	return m.Run()
}

// moduleRoot finds the directory of go.mod: `go env GOMOD`, or by walking
// up from the working directory.
func moduleRoot() (string, error) {
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if mod := strings.TrimSpace(string(out)); mod != "" && mod != os.DevNull {
			return filepath.Dir(mod), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// commandTimeout bounds every embassy invocation.
const commandTimeout = 2 * time.Minute

// run runs the embassy binary with args and returns its output and exit
// code. A command that does not finish within commandTimeout, or cannot be
// started, fails the test with its stderr and the tails of the node logs of
// the testnet it names (--dir or --client).
func run(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	stdout, stderr = out.String(), errb.String()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("embassy %s: timed out after %s\nstderr:\n%s%s", short(args), commandTimeout, stderr, logTails(netDirOf(args)))
	case errors.As(err, &ee):
		code = ee.ExitCode()
		if code < 0 {
			t.Fatalf("embassy %s: %v\nstderr:\n%s%s", short(args), err, stderr, logTails(netDirOf(args)))
		}
	case err != nil:
		t.Fatalf("embassy %s: %v", short(args), err)
	}
	return stdout, stderr, code
}

// short abbreviates a long argument list (thousands of keys) for messages.
func short(args []string) string {
	if len(args) > 12 {
		return strings.Join(args[:10], " ") + fmt.Sprintf(" ... (%d more args)", len(args)-10)
	}
	return strings.Join(args, " ")
}

// netDirOf finds the testnet directory that a command line names.
func netDirOf(args []string) string {
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--dir":
			return args[i+1]
		case "--client":
			return filepath.Dir(args[i+1])
		}
	}
	return ""
}

// logTails returns the last lines of every node log of the testnet in dir.
func logTails(dir string) string {
	if dir == "" {
		return ""
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "node*", "node.log"))
	var b strings.Builder
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(&b, "\n--- tail of %s:\n%s", l, strings.Join(lines, "\n"))
	}
	return b.String()
}

// firstLines returns at most n lines of s, for messages.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		return strings.Join(lines[:n], "") + fmt.Sprintf("... (%d more lines)\n", len(lines)-n)
	}
	return s
}
