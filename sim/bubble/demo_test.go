//go:build go1.26 && !go1.27

package bubble_test

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoBinary builds internal/bubbledemo, an ordinary program that
// calls bubble.Run twice, runs it and checks its exact output: this is the
// test that fails if a Go release changes testing.MainStart or M.Run in a
// way that breaks Run.
func TestDemoBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the demo: %v", err)
	}
	dir := t.TempDir()
	build := func(name string, ldflags string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command(goTool, "build", "-o", out, "-ldflags="+ldflags, "github.com/dataembassy/embassy/sim/bubble/internal/bubbledemo")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, msg)
		}
		return out
	}
	plain := build("bubbledemo", "")
	// As `go test` links its binaries: testing.Testing() is true, which
	// testing/cryptotest requires.
	seedable := build("bubbledemo-seedable", "-X=testing.testBinary=1")

	const (
		run1 = "x: run 1: started 2000-01-01 00:00:00, virtual 1h0m0s\n"
		run2 = "x: run 2: started 2000-01-01 00:00:00, virtual 1h0m0s\n"
	)
	tests := []struct {
		name   string
		binary string
		mode   string
		stdout string
		code   int
		stderr []string // the first is a prefix, the others are contained
	}{
		{"ok", plain, "ok", run1 + run2 +
			"x: args [-label x ok] (unchanged true), flag.Parsed true, flag.Args [ok], test.run on flag.CommandLine false\n", 0, nil},
		{"error", plain, "error", run1 + run2, 1, []string{"bubbledemo: run 2: boom\n"}},
		{"panic", plain, "panic", run1 + run2, 1, []string{"bubbledemo: run 2: bubble: panic: kaboom\n", "main.sleep("}},
		{"fatal", plain, "fatal", run1 + run2, 1, []string{
			"bubbledemo: run 2: bubble: the testing framework reported a failure: f did not return",
			"--- FAIL: bubble", "main.go:", ": fatal\n"}},
		{"deadlock", plain, "deadlock", run1 + run2, 1, []string{
			"bubbledemo: run 2: bubble: deadlock: all goroutines in bubble are blocked\n", "main.sleep("}},
		{"seeded-plain", plain, "seeded", "", 1, []string{
			"bubbledemo: run 1: bubble: panic: cryptotest: SetGlobalRandom used in a non-test binary\n"}},
		{"seeded", seedable, "seeded",
			"x: run 1: random 22301fb8d82978da\n" + run1 + "x: run 2: random 22301fb8d82978da\n" + run2 +
				"x: args [-label x seeded] (unchanged true), flag.Parsed true, flag.Args [seeded], test.run on flag.CommandLine false\n", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(tt.binary, "-label", "x", tt.mode)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			if got := stdout.String(); got != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.stdout)
			}
			got := stderr.String()
			if len(tt.stderr) == 0 && got != "" {
				t.Errorf("stderr: %s", got)
			}
			for i, want := range tt.stderr {
				if i == 0 && !strings.HasPrefix(got, want) || !strings.Contains(got, want) {
					t.Errorf("stderr does not have %q:\n%s", want, got)
				}
			}
		})
	}
}
